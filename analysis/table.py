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

import csv

import numpy as np
import pandas as pd

from engine.errors import EngineError
from engine.schedule import parse_strategy

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
    "stride",
    "unit_bytes",
    "peak_activation_bytes",
    "forward_layer_evals",
    "step_seconds",
)
INTEGER, POSITIVE, NON_NEGATIVE, FINITE = (
    "an integer > 0",
    "a number > 0",
    "a number >= 0",
    "a finite number",
)
# the rule each required numeric column follows, on every row
RULES = {
    "depth": INTEGER,
    "width": INTEGER,
    "batch": INTEGER,
    "stride": INTEGER,
    "unit_bytes": POSITIVE,
    "peak_activation_bytes": POSITIVE,
    "forward_layer_evals": INTEGER,
    "step_seconds": POSITIVE,
}
# optional numeric columns: (rule, the experiments whose rows must fill it, None
# for every row); elsewhere an empty cell is allowed, a filled one obeys the rule
OPTIONAL = {
    "forward_seconds": (POSITIVE, ("depth", "sqrt_plan")),
    "naive_step_seconds": (POSITIVE, ("sqrt_plan",)),
    "predicted_peak_activation_bytes": (POSITIVE, None),
    "predicted_forward_layer_evals": (INTEGER, None),
    "peak_activation_units": (POSITIVE, None),
    "peak_workspace_bytes": (NON_NEGATIVE, ("large",)),
    "repeats": (INTEGER, None),
    "peak_rss_bytes": (NON_NEGATIVE, ("large",)),
    "rss_baseline_bytes": (NON_NEGATIVE, ("large",)),
    "rss_delta_bytes": (FINITE, ("large",)),  # a difference: may be below 0
}
PROVENANCE = ("hostname", "cpu", "numpy_version", "commit")


def one_line(text):
    """``text`` with its lines joined, for a one-line error message."""
    return " ".join(line.strip() for line in str(text).splitlines() if line.strip())


def shown(value):
    """A cell as the user would write it: nan, 0, 8.5, 'abc' (no numpy wrappers)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def read_csv(path, what="sweep table"):
    """``pd.read_csv`` with every failure an EngineError naming ``path``.

    Also refuses a row with more or fewer fields than the header, which
    pandas would pad with empty cells or fold into the index.
    """
    name = f"{what} {str(path)!r}"
    try:
        with open(path, newline="", encoding="utf-8") as f:
            records = list(csv.reader(f))
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise EngineError(f"{name} does not exist: run scripts/sweep.py first") from None
    except pd.errors.EmptyDataError:
        raise EngineError(f"{name} is empty: it has no header") from None
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as error:
        raise EngineError(f"{name} is not a CSV file: {one_line(error)}") from None
    except OSError as error:
        raise EngineError(f"{name} cannot be read: {error.strerror or error}") from None
    if not records:
        raise EngineError(f"{name} is empty: it has no header")
    for row, record in enumerate(records[1:], start=1):
        if record and len(record) != len(records[0]):
            raise EngineError(
                f"{name}: row {row} has {len(record)} fields, the header "
                f"{len(records[0])}: the file is cut short or not a sweep table"
            )
    return frame


def load_table(path):
    """Read a sweep CSV and check it; raises EngineError naming what is wrong."""
    return check_table(read_csv(path), f"sweep table {str(path)!r}")


def check_table(frame, name="table"):
    """Check columns, values and the depth grid; returns the frame."""
    check_rows(frame, name)
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


def check_rows(frame, name="table", required=REQUIRED):
    """Check that every row is a measurement: columns present, values valid.

    Unlike ``check_table`` it asks nothing of the grid, so it also accepts the
    first rows of a sweep that is still running.
    """
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise EngineError(
            f"{name} lacks the column{'s' * (len(missing) > 1)} {', '.join(missing)}: "
            "a sweep table needs " + ", ".join(required)
        )
    if frame.empty:
        raise EngineError(f"{name} has no rows: it needs at least one measurement")
    for column, rule in RULES.items():
        check_column(frame, name, column, rule, fill=True)
    for column, (rule, experiments) in OPTIONAL.items():
        if column in frame.columns:
            fill = frame["experiment"].isin(experiments) if experiments else True
            check_column(frame, name, column, rule, fill)
    for row, text in enumerate(frame["strategy"], start=1):
        check_strategy(text, f"{name}: row {row}")
    return frame


def check_column(frame, name, column, rule, fill):
    """Refuse the first value of ``column`` that breaks ``rule``.

    ``fill``: True or a boolean mask of the rows where an empty cell is an
    error; elsewhere an empty cell passes.
    """
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
    good = np.isfinite(values)
    if rule == INTEGER:
        good &= (values > 0) & (np.round(values) == values)
    elif rule == POSITIVE:
        good &= values > 0
    elif rule == NON_NEGATIVE:
        good &= values >= 0
    empty = frame[column].isna().to_numpy()
    bad = ~good & (np.asarray(fill) | ~empty)
    if bad.any():
        row = int(np.argmax(bad))
        raise EngineError(
            f"{name}: {column} {shown(frame[column].iloc[row])} in row {row + 1} "
            f"is invalid: it must be {rule}"
        )


def check_strategy(text, where):
    """Refuse anything but naive, sqrt or stride:K with K a positive integer."""
    try:
        parsed = parse_strategy(text)
    except EngineError as error:
        raise EngineError(f"{where}: {error}") from None
    if str(parsed) != text:
        raise EngineError(f"{where}: strategy {text!r} is invalid: write it {str(parsed)!r}")


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
