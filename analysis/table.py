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

import ast

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

ASV_VALUES = {"bytes": "peak_activation_bytes", "seconds": "step_seconds"}


def from_asv(results_dir):
    """A sweep table from asv results, read by ``analysis.asv_results.load_results``.

    Assumes each benchmark is parameterised by depth, width, batch and
    strategy (params a dict or its repr) and reports bytes (the ledger's peak
    activation bytes) or seconds (one step). Forward evaluations are not in
    asv results, so they come from the schedule (``engine.predict``).
    """
    try:
        from analysis.asv_results import load_results
    except ImportError:
        raise EngineError(
            "reading asv results needs analysis/asv_results.py, which is not on "
            "this branch yet: regenerate from a sweep table (--table) instead"
        ) from None
    results = load_results(results_dir)
    if "status" in results.columns:
        results = results[
            results["status"].astype(str).str.lower().isin(["ok", "success"])
        ]
    if results.empty:
        raise EngineError(
            f"asv results in {str(results_dir)!r} hold no successful measurement"
        )
    rows = {}
    for record in results.to_dict("records"):
        params = _params(record["params"])
        column = ASV_VALUES.get(str(record["unit"]).lower())
        if column is None or not {"depth", "width", "batch", "strategy"} <= set(params):
            continue
        key = (
            int(params["depth"]),
            int(params["width"]),
            int(params["batch"]),
            str(params["strategy"]),
            str(params.get("dtype", "float32")),
            str(record.get("commit")),
            str(record.get("machine")),
        )
        rows.setdefault(key, {})[column] = float(record["value"])
    if not rows:
        raise EngineError(
            f"asv results in {str(results_dir)!r} have no benchmark with "
            "depth, width, batch and strategy parameters in bytes or seconds"
        )
    return check_table(_asv_frame(rows), f"asv results in {str(results_dir)!r}")


def _params(value):
    if isinstance(value, dict):
        return value
    try:
        parsed = ast.literal_eval(str(value))
    except (ValueError, SyntaxError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _asv_frame(rows):
    from engine import predict

    records = []
    for (depth, width, batch, strategy, dtype, commit, machine), values in rows.items():
        prediction = predict([width] * (depth + 1), batch, dtype, strategy)
        records.append(
            {
                "experiment": "depth" if strategy in ("naive", "sqrt") else "stride",
                "depth": depth,
                "width": width,
                "batch": batch,
                "dtype": dtype,
                "strategy": strategy,
                "stride": prediction.stride,
                "unit_bytes": width * batch * np.dtype(dtype).itemsize,
                "peak_activation_bytes": values.get("peak_activation_bytes", np.nan),
                "forward_layer_evals": prediction.forward_layer_evals,
                "step_seconds": values.get("step_seconds", np.nan),
                "commit": commit,
                "hostname": machine,
            }
        )
    return pd.DataFrame.from_records(records)
