import numpy as np
import pytest

from engine.ledger import Ledger


def test_bytes_leave_when_numpy_frees_the_buffer():
    ledger = Ledger()
    a = ledger.empty((10, 4), np.float32, "activation")
    b = ledger.empty((3,), np.float64, "checkpoint")
    assert ledger.live_activation_bytes == 160 + 24
    del a
    assert ledger.live_activation_bytes == 24
    del b
    assert ledger.live_activation_bytes == 0
    assert ledger.peak_activation_bytes == 184
    assert ledger.peak["activation"] == 160 and ledger.peak["checkpoint"] == 24


def test_an_extra_reference_keeps_the_bytes_counted():
    ledger = Ledger()
    a = ledger.empty((100,), np.float64, "recomputed")
    kept = a[10:20]  # a view holds the whole buffer
    del a
    assert ledger.live_activation_bytes == 800
    del kept
    assert ledger.live_activation_bytes == 0


def test_workspace_and_gradients_are_not_activations():
    ledger = Ledger()
    w = ledger.empty((8,), np.float64, "workspace")
    g = ledger.empty((8,), np.float64, "gradient")
    assert ledger.live_activation_bytes == 0
    assert ledger.live_bytes == 128
    assert ledger.peak["workspace"] == 64
    del w, g


def test_timeline_records_each_event_with_live_activation_bytes():
    ledger = Ledger(timeline=True)
    a = ledger.empty((2,), np.float32, "activation", "a1")
    b = ledger.empty((4,), np.float32, "checkpoint", "a2")
    del a
    del b
    assert ledger.timeline == [("+activation a1", 8), ("+checkpoint a2", 24),
                               ("-activation a1", 16), ("-checkpoint a2", 0)]


def test_reset_peaks_starts_from_what_is_alive():
    ledger = Ledger()
    a = ledger.empty((4,), np.float32, "activation")
    b = ledger.empty((4,), np.float32, "activation")
    del b
    ledger.reset_peaks()
    assert ledger.peak_activation_bytes == 16
    del a


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="'weights'"):
        Ledger().empty((1,), np.float32, "weights")
