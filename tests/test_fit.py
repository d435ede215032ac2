"""The fit confirms what is true, rejects what is false, says when it cannot tell."""

import re

import numpy as np
import pandas as pd
import pytest

from analysis import fit
from analysis.sweep import Grid
from analysis.table import check_rows, check_table, load_table
from engine import predict
from engine.errors import EngineError
from engine.schedule import plan, walk

WIDTH, BATCH, UNIT = 32, 32, 32 * 32 * 4
DEPTHS = np.array(Grid().depths)  # the sweep's grid, 8 .. 2048


def peaks(strategy, depths=DEPTHS):
    return np.array(
        [
            predict([WIDTH] * (n + 1), BATCH, "float32", strategy).peak_activation_bytes
            for n in depths
        ],
        float,
    )


def leaky_plan(n, k):
    """The stride-k plan, with the backward pass freeing only at the very end."""
    ops = plan(n, k)
    loss = ops.index(("loss",))
    backward = [op for op in ops[loss + 1 :] if op[0] != "free"]
    frees = [op for op in ops[loss + 1 :] if op[0] == "free"]
    return ops[: loss + 1] + tuple(backward) + tuple(frees)


def sqrt_claim(n, y):
    return fit.depth_claim("sqrt", n, y, 0.5, "sqrt n", 2.0, UNIT)


def test_naive_exponent_is_one():
    claim = fit.depth_claim("naive", DEPTHS, peaks("naive"), 1.0, "n", 1.0, UNIT)
    assert claim.verdict == "confirmed"
    assert claim.exponent == pytest.approx(1.0, abs=0.05)


def test_exact_sqrt_schedule_is_confirmed():
    claim = sqrt_claim(DEPTHS, peaks("sqrt"))
    assert claim.verdict == "confirmed", claim.reason
    assert claim.low <= 0.5 <= claim.high


def test_noisy_sqrt_data_is_confirmed():
    rng = np.random.default_rng(1)
    y = 2 * np.sqrt(DEPTHS) * UNIT * (1 + 0.02 * rng.standard_normal(len(DEPTHS)))
    claim = sqrt_claim(DEPTHS, y)
    assert claim.verdict == "confirmed", claim.reason
    assert claim.exponent == pytest.approx(0.5, abs=0.05)


def test_planted_leak_is_rejected():
    # the leak keeps every recomputed activation to the end: about n units again
    y = []
    for n in DEPTHS:
        k = predict([WIDTH] * (n + 1), BATCH, "float32", "sqrt").stride
        y.append(walk(leaky_plan(n, k), [WIDTH] * (n + 1), BATCH, "float32")[0])
    claim = sqrt_claim(DEPTHS, np.array(y, float))
    assert claim.verdict == "rejected", claim.reason
    assert claim.low > 0.55


def test_linear_data_rejects_the_sqrt_claim():
    assert sqrt_claim(DEPTHS, peaks("naive")).verdict == "rejected"


def test_too_few_depths_is_inconclusive():
    claim = sqrt_claim(DEPTHS[-3:], peaks("sqrt", DEPTHS[-3:]))
    assert claim.verdict == "inconclusive"
    assert "only 3 depths" in claim.reason


def test_narrow_depth_range_is_inconclusive():
    depths = np.arange(100, 140, 8)
    assert sqrt_claim(depths, peaks("sqrt", depths)).verdict == "inconclusive"


def test_poor_fit_is_inconclusive():
    rng = np.random.default_rng(2)
    y = UNIT * rng.uniform(10, 100, len(DEPTHS))
    assert sqrt_claim(DEPTHS, y).verdict == "inconclusive"


def test_bic_picks_the_true_shape():
    n = DEPTHS.astype(float)
    assert fit.fit_candidates(n, 3 + 5 * n * np.log(n))[0].model == "n log n"
    assert fit.fit_candidates(n, 3 + 5 * np.sqrt(n))[0].model == "sqrt n"


def test_stride_grid_follows_n_over_k_plus_k():
    n = 1024
    strides = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 1024], float)
    units = np.array(
        [
            predict(
                [WIDTH] * (n + 1), BATCH, "float32", f"stride:{int(k)}"
            ).peak_activation_bytes
            / UNIT
            for k in strides
        ]
    )
    claim = fit.stride_claim(n, strides, units)
    assert claim.verdict == "confirmed", claim.reason
    assert "equal to the exact walk: yes" in claim.measured


def test_stride_grid_with_a_constant_peak_is_rejected():
    strides = np.array([1, 4, 16, 32, 64, 256], float)
    assert fit.stride_claim(1024, strides, np.full(6, 64.0)).verdict == "rejected"


def test_time_ratio_agreeing_with_evaluations_is_confirmed():
    n = np.array([256, 512, 1024, 2048])
    naive = pd.DataFrame(
        {"depth": n, "step_seconds": n * 4e-5, "forward_seconds": n * 1e-5}
    )
    evals = 2 * n - np.sqrt(n)
    step = n * 4e-5 + (evals - n) * 1e-5
    plan_rows = pd.DataFrame(
        {"depth": n, "step_seconds": step, "forward_layer_evals": evals}
    )
    claim, details = fit.time_claim(naive, plan_rows)
    assert claim.verdict == "confirmed", claim.reason
    assert details["agreement"] == pytest.approx(1.0)


def test_time_ratio_far_from_prediction_is_rejected():
    n = np.array([256, 512, 1024])
    naive = pd.DataFrame(
        {"depth": n, "step_seconds": n * 4e-5, "forward_seconds": n * 1e-5}
    )
    plan_rows = pd.DataFrame(
        {"depth": n, "step_seconds": n * 12e-5, "forward_layer_evals": 2 * n - 30}
    )
    assert fit.time_claim(naive, plan_rows)[0].verdict == "rejected"


@pytest.fixture(scope="module")
def table(swept):
    return load_table(swept / "sweep" / "sweep.csv")


BAD_VALUES = [
    ("stride", "x", "stride 'x' in row 1 is invalid: it must be an integer > 0"),
    ("depth", 8.5, "depth 8.5 in row 1 is invalid: it must be an integer > 0"),
    ("batch", 0, "batch 0 in row 1 is invalid: it must be an integer > 0"),
    ("forward_layer_evals", np.nan, "forward_layer_evals nan in row 1 is invalid"),
    ("step_seconds", np.inf, "step_seconds inf in row 1 is invalid"),
    ("forward_seconds", np.nan, "forward_seconds nan in row 1 is invalid"),
    ("forward_seconds", 0.0, "forward_seconds 0.0 in row 1 is invalid: it must be a "
     "number > 0"),
    ("strategy", "plain", "row 1: strategy 'plain' is unknown"),
    ("strategy", "stride:0", "row 1: strategy 'stride:0'"),
]


@pytest.mark.parametrize("column, value, message", BAD_VALUES)
def test_bad_value_is_refused_with_a_plain_message(table, column, value, message):
    bad = table.astype({column: object})
    bad.loc[bad.index[0], column] = value
    with pytest.raises(EngineError, match=re.escape(message)) as error:
        check_table(bad, "t")
    assert "np." not in str(error.value)


def test_table_without_stride_is_refused(table):
    with pytest.raises(EngineError, match="lacks the column stride"):
        check_table(table.drop(columns="stride"), "t")


def test_rss_delta_may_be_negative_but_not_missing(table):
    large = table.iloc[:1].assign(experiment="large", rss_delta_bytes=-4096,
                                  peak_workspace_bytes=0, peak_rss_bytes=0,
                                  rss_baseline_bytes=0)
    check_rows(pd.concat([table, large]))
    with pytest.raises(EngineError, match="rss_delta_bytes nan"):
        check_rows(pd.concat([table, large.assign(rss_delta_bytes=np.nan)]))


@pytest.mark.parametrize("strategy", ["naive", "sqrt"])
def test_a_strategy_without_depth_rows_is_inconclusive(table, strategy):
    rest = table[~((table["experiment"] == "depth") & (table["strategy"] == strategy))]
    claim = next(c for c in fit.fit_table(rest)["claims"] if "peak grows" in c["claim"]
                 and c["claim"].startswith(strategy))
    assert claim["verdict"] == "inconclusive"
    assert claim["reason"] == f"no depth rows with strategy {strategy!r}"
