"""The sweep table: one row per measured configuration, read back and checked.

Columns are the keys of ``engine.measure_step`` plus ``experiment`` (which
grid the row belongs to), ``forward_seconds`` (one plain forward pass, for
the time claim) and the provenance columns ``hostname``, ``cpu``,
``numpy_version``, ``commit`` and ``measured_at``. The experiments are

    depth      naive and sqrt over a grid of depths n
    sqrt_plan  stride:k with k the stride sqrt picks, over the same depths
    stride     stride:k over a grid of k at one depth
    large      wide layers in a fresh process, RSS delta against the ledger

A table can also be built from asv results through ``analysis.asv_results``.
"""

import numpy as np
import pandas as pd

from engine.errors import EngineError

EXPERIMENTS = ("depth", "sqrt_plan", "stride", "large")
KEY = (
    "experiment",
    "depth",
    "width",
    "batch",
    "dtype",
    "activation",
    "strategy",
    "repeats",
)
REQUIRED = (
    "experiment",
    "depth",
    "width",
    "batch",
    "strategy",
    "unit_bytes",
    "peak_activation_bytes",
    "forward_layer_evals",
    "step_seconds",
)
POSITIVE = (
    "depth",
    "width",
    "batch",
    "unit_bytes",
    "peak_activation_bytes",
    "forward_layer_evals",
    "step_seconds",
)
PROVENANCE = ("hostname", "cpu", "numpy_version", "commit")


def load_table(path):
    """Read a sweep CSV and check it; raises EngineError naming what is wrong."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise EngineError(
            f"sweep table {str(path)!r} does not exist: run scripts/sweep.py first"
        ) from None
    except pd.errors.EmptyDataError:
        raise EngineError(
            f"sweep table {str(path)!r} is empty: it has no header"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise EngineError(
            f"sweep table {str(path)!r} is not a CSV file: {error}"
        ) from None
    return check_table(frame, str(path))


def check_table(frame, name="table"):
    """Check columns, values and the depth grid; returns the frame."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise EngineError(
            f"{name} lacks the columns {', '.join(missing)}: "
            "a sweep table needs " + ", ".join(REQUIRED)
        )
    if frame.empty:
        raise EngineError(f"{name} has no rows: it needs at least one measurement")
    for column in POSITIVE:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column][~(values > 0)]
        if len(bad):
            raise EngineError(
                f"{name}: {column} {bad.iloc[0]!r} is invalid: it must be a number > 0"
            )
    depth_rows = frame[frame["experiment"] == "depth"]
    if depth_rows.empty:
        raise EngineError(
            f"{name} has no rows with experiment 'depth': "
            "the scaling fit needs a depth grid"
        )
    for strategy, rows in depth_rows.groupby("strategy"):
        if rows["depth"].nunique() < 2:
            raise EngineError(
                f"{name}: strategy {strategy!r} has the single depth "
                f"{int(rows['depth'].iloc[0])}: a fit needs at least 2"
            )
    return frame


def provenance(frame):
    """The distinct values of each provenance column, joined for the report."""
    out = {}
    for column in PROVENANCE:
        if column in frame.columns:
            out[column] = ", ".join(sorted(map(str, frame[column].dropna().unique())))
        else:
            out[column] = "unknown"
    return out


# ---- asv results -------------------------------------------------------------

# The network every asv suite measures (benchmarks/common.py): asv records only
# the benchmark parameters, so the fixed sizes are restated here and a test
# holds the two equal.
ASV_WIDTH, ASV_BATCH, ASV_DTYPE, ASV_STRIDE_DEPTH = 64, 64, "float32", 64
ASV_COLUMNS = {
    "ActivationMemory.track_peak_activation_bytes": "peak_activation_bytes",
    "Recomputation.track_forward_layer_evals": "forward_layer_evals",
    "BackpropStep.time_backprop_step": "step_seconds",
}


def from_asv(results_dir, commit=None):
    """A sweep table from the asv suites' results for one commit (the newest by default).

    bench_depth rows become the ``depth`` experiment (naive and sqrt over n);
    bench_stride rows the ``stride`` experiment at n = 64. Peaks, forward
    evaluations and step times are asv's stored figures; the timing-only
    experiments of a sweep (forward pass, interleaved sqrt plan, RSS) are not
    in asv results, so the claims that need them are left out. Raises
    EngineError unless ``commit`` names exactly one commit measured on one
    machine and environment.
    """
    from analysis.asv_results import load_results

    results = load_results(results_dir)
    results = results[results["status"] == "ok"]
    if results.empty:
        raise EngineError(f"asv results in {str(results_dir)!r} hold no successful "
                          "measurement: run asv run first")
    where = f"asv results in {str(results_dir)!r}"
    if commit is None:
        commit = results.sort_values("date")["commit"].iloc[-1]
    matches = sorted({c for c in results["commit"].astype(str) if c.startswith(commit)})
    if not commit or len(matches) != 1:
        found = f"{len(matches)} commits" if matches and commit else "no commit"
        raise EngineError(f"{where} have {found} starting with {commit!r}: give a "
                          "hash prefix that names exactly one benchmarked commit")
    commit = matches[0]
    results = results[results["commit"] == commit]
    runs = sorted(set(zip(results["machine"], results["env"])))
    if len(runs) > 1:
        names = ", ".join(f"{machine}/{env}" for machine, env in runs)
        raise EngineError(f"{where} hold commit {commit[:8]} from {len(runs)} machines "
                          f"or environments ({names}): point --asv at a copy with one")

    rows = {}
    for record in results.to_dict("records"):
        suite, _, name = record["benchmark"].partition(".")
        column = ASV_COLUMNS.get(name)
        if column is None or suite not in ("bench_depth", "bench_stride"):
            continue
        if suite == "bench_depth":
            key = ("depth", int(record["depth"]), str(record["strategy"]))
        else:
            key = ("stride", ASV_STRIDE_DEPTH, f"stride:{int(record['stride'])}")
        row = rows.setdefault(key, {"machine": record["machine"], "commit": commit})
        row[column] = float(record["value"])
    if not rows:
        raise EngineError(f"asv results in {str(results_dir)!r} hold no bench_depth "
                          "or bench_stride figures")
    return check_table(_asv_frame(rows), f"asv results in {str(results_dir)!r}")


def _asv_frame(rows):
    from engine import predict

    records = []
    for (experiment, depth, strategy), values in rows.items():
        prediction = predict([ASV_WIDTH] * (depth + 1), ASV_BATCH, ASV_DTYPE, strategy)
        records.append({
            "experiment": experiment,
            "depth": depth,
            "width": ASV_WIDTH,
            "batch": ASV_BATCH,
            "dtype": ASV_DTYPE,
            "strategy": strategy,
            "stride": prediction.stride,
            "unit_bytes": ASV_WIDTH * ASV_BATCH * np.dtype(ASV_DTYPE).itemsize,
            "peak_activation_bytes": values.get("peak_activation_bytes", np.nan),
            "predicted_peak_activation_bytes": prediction.peak_activation_bytes,
            "forward_layer_evals": values.get("forward_layer_evals", np.nan),
            "predicted_forward_layer_evals": prediction.forward_layer_evals,
            "step_seconds": values.get("step_seconds", np.nan),
            "commit": values["commit"],
            "hostname": values["machine"],
        })
    return pd.DataFrame.from_records(records)
