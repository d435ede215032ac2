import numpy as np

from engine.memory import PeakRSS

MiB = 2**20


def test_peak_rss_sees_a_short_lived_allocation():
    with PeakRSS() as rss:
        block = np.ones(64 * MiB, np.uint8)  # touched, so resident
        del block
    assert rss.delta_bytes >= 60 * MiB
    assert rss.peak_bytes >= rss.baseline_bytes + rss.delta_bytes - 1


def test_peak_rss_of_nothing_is_small():
    with PeakRSS() as rss:
        pass
    assert 0 <= rss.delta_bytes < 16 * MiB
