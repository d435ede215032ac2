import numpy as np
import pytest

from engine.errors import EngineError
from engine.schedule import (
    parse_strategy,
    peaks_by_stride,
    plan,
    predict,
    units_formula,
    walk,
)


def units(sizes, strategy, batch=1):
    return predict(sizes, batch, "float32", strategy).peak_activation_bytes / (
        sizes[1] * batch * 4
    )


@pytest.mark.parametrize("n", range(1, 40))
def test_walk_matches_closed_form_for_equal_widths(n):
    for k in range(1, n + 2):
        peak, evals = walk(plan(n, k), [3] * (n + 1), 2, "float64")
        assert peak == units_formula(n, k) * 3 * 2 * 8
        m = len(range(k, n, k))
        assert evals == n + (n - 1 - m)


def test_fast_peaks_match_the_walk_on_unequal_widths():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        sizes = [int(s) for s in rng.integers(1, 50, n + 1)]
        peaks = peaks_by_stride(sizes, 3, "float32")
        walked = [walk(plan(n, k), sizes, 3, "float32")[0] for k in range(1, n + 1)]
        assert list(peaks) == walked[: len(peaks)]
        assert min(peaks) == min(walked)


def test_naive_keeps_every_activation():
    assert units([8] * 257, "naive") == 256
    assert predict([8] * 257, 1, "float32", "naive").forward_layer_evals == 256


def test_sqrt_at_depth_256_is_within_two_units_of_two_sqrt_n():
    assert abs(units([8] * 257, "sqrt") - 2 * 256**0.5) <= 2


def test_sqrt_is_the_best_stride():
    sizes = [5, 9, 2, 30, 7, 7, 1, 12, 40, 3, 6]
    best = min(predict(sizes, 4, "float64", f"stride:{k}").peak_activation_bytes
               for k in range(1, 11))
    assert predict(sizes, 4, "float64", "sqrt").peak_activation_bytes == best


def test_stride_one_is_naive_memory_and_work():
    naive = predict([6] * 13, 2, "float32", "naive")
    one = predict([6] * 13, 2, "float32", "stride:1")
    assert one.peak_activation_bytes == naive.peak_activation_bytes
    assert one.forward_layer_evals == naive.forward_layer_evals


def test_stride_beyond_depth_recomputes_everything_once():
    # edge case: a stride larger than the depth keeps no checkpoint
    p = predict([4] * 11, 1, "float32", "stride:50")
    assert p.forward_layer_evals == 10 + 9
    assert p.peak_activation_bytes == 9 * 4 * 4


def test_depth_one():
    # edge case: a single layer has nothing to checkpoint
    for s in ("naive", "sqrt", "stride:1", "stride:3"):
        p = predict([5, 7], 2, "float64", s)
        assert (p.peak_activation_bytes, p.forward_layer_evals) == (7 * 2 * 8, 1)


def test_plan_uses_only_live_activations_and_releases_all():
    for n, k in [(10, 3), (7, 1), (9, 20), (1, 1), (16, 4)]:
        alive = {0}
        for op in plan(n, k):
            if op[0] == "forward":
                assert op[1] - 1 in alive and op[1] not in alive
                alive.add(op[1])
            elif op[0] == "free":
                alive.remove(op[1])
            elif op[0] == "backward":
                assert op[1] - 1 in alive
            else:
                assert n in alive
        assert alive == {0}


@pytest.mark.parametrize("text", ["", "Naive", "stride", "stride:", "stride:0",
                                  "stride:-2", "stride:1.5", "sqrt:3", None, "stride:+3",
                                  "stride:\u0663", "stride:3 ", "stride:1_0", "stride:03"])
def test_bad_strategies_are_rejected_with_the_value(text):
    with pytest.raises(EngineError, match="strategy"):
        parse_strategy(text)


def test_bad_arguments_name_the_value():
    with pytest.raises(EngineError, match="batch 0"):
        predict([3, 3], 0, "float32", "naive")
    with pytest.raises(EngineError, match="'float16'"):
        predict([3, 3], 1, "float16", "naive")
    with pytest.raises(EngineError, match="layer size -1"):
        predict([3, -1], 1, "float32", "naive")
    with pytest.raises(EngineError, match="at least an input"):
        predict([3], 1, "float32", "naive")
