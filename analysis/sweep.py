"""Run the engine over grids of depths and strides and keep one tidy table.

Notation: n is the depth, k the checkpoint stride, d the width, B the batch.
A sweep measures

* naive and sqrt over a geometric grid of depths (narrow layers keep a
  1024-layer step cheap), with ``forward_seconds``, one plain forward pass,
  for the time claim;
* stride:k with k the stride sqrt picks, over the same depths: the same
  plan as sqrt, timed interleaved with a naive step and a forward pass;
* stride:k over a grid of k at one depth;
* a few wide configurations, each in a fresh process, where the resident
  set size (RSS) growth is compared with the ledger's bytes;
* one live-bytes timeline per strategy at a modest depth.

The table is rewritten atomically after every configuration, so an
interrupted sweep loses at most one measurement, and a rerun skips every
configuration whose key (``analysis.table.KEY``) is already in the table.
"""

import json
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

import engine
from analysis import atomic
from analysis.table import KEY, REQUIRED, check_rows, read_csv
from engine.cli import check_interrupted
from engine.errors import EngineError

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Grid:
    """What a sweep measures; ``default`` and ``quick`` are the two presets."""

    depths: tuple = tuple(round(2 ** (e / 2)) for e in range(6, 23))  # 8 .. 2048
    width: int = 32
    batch: int = 32
    repeats: int = 7
    paired_repeats: int = 11
    stride_depth: int = 1024
    strides: tuple = (1, 2, 4, 8, 12, 16, 24, 32, 40, 48, 64, 128, 256, 512, 1024)
    stride_repeats: int = 3
    large_depths: tuple = (4, 8, 16, 32, 64)
    large_width: int = 512
    large_batch: int = 256
    timeline_depth: int = 32
    dtype: str = "float32"
    activation: str = "relu"
    seed: int = 0
    strategies: tuple = field(default=("naive", "sqrt"))


GRIDS = {
    "default": Grid(),
    "quick": Grid(
        depths=tuple(2**e for e in range(3, 12)),  # 8 .. 2048
        repeats=3,
        paired_repeats=5,
        stride_depth=256,
        strides=(1, 2, 4, 8, 12, 16, 24, 32, 64, 128, 256),
        stride_repeats=2,
        large_depths=(8, 16, 32),
        timeline_depth=16,
    ),
}


def configurations(grid):
    """Every (experiment, measure_step keyword arguments) of a grid, in run order."""
    base = dict(
        width=grid.width,
        batch=grid.batch,
        dtype=grid.dtype,
        activation=grid.activation,
        seed=grid.seed,
    )
    out = []
    for n in grid.depths:
        for strategy in grid.strategies:
            out.append(
                ("depth", dict(base, depth=n, strategy=strategy, repeats=grid.repeats))
            )
        k = sqrt_stride(n, grid)
        out.append(
            (
                "sqrt_plan",
                dict(
                    base, depth=n, strategy=f"stride:{k}", repeats=grid.paired_repeats
                ),
            )
        )
    for k in grid.strides:
        if k <= grid.stride_depth:
            out.append(
                (
                    "stride",
                    dict(
                        base,
                        depth=grid.stride_depth,
                        strategy=f"stride:{k}",
                        repeats=grid.stride_repeats,
                    ),
                )
            )
    for n in grid.large_depths:
        for strategy in grid.strategies:
            out.append(
                (
                    "large",
                    dict(
                        base,
                        depth=n,
                        strategy=strategy,
                        repeats=1,
                        width=grid.large_width,
                        batch=grid.large_batch,
                    ),
                )
            )
    return out


def sqrt_stride(n, grid):
    """The stride sqrt picks for depth ``n``, from the schedule (no arithmetic)."""
    sizes = [grid.width] * (n + 1)
    return engine.predict(sizes, grid.batch, grid.dtype, "sqrt").stride


def key_of(experiment, kwargs):
    row = dict(kwargs, experiment=experiment)
    return tuple(str(row[column]) for column in KEY)


def measure(experiment, kwargs):
    """One row of the table: ``engine.measure_step`` plus the forward-pass time."""
    if experiment == "large":
        row = measure_in_fresh_process(kwargs)
    else:
        row = engine.measure_step(**kwargs)
    row["experiment"] = experiment
    if experiment == "depth":
        row["forward_seconds"] = forward_seconds(**kwargs)
    if experiment == "sqrt_plan":
        row.update(paired_seconds(**kwargs))
    return row


def paired_seconds(
    depth, width, batch, strategy, dtype="float32", activation="relu", repeats=1, seed=0
):
    """Median seconds of naive, ``strategy`` and forward-only passes, interleaved.

    The three are timed in turn in each of ``repeats`` rounds (after one
    untimed round) on the same model and batch, so a slow spell of the
    machine hits all three alike; their ratios are what the time claim uses.
    Returns step_seconds (``strategy``), naive_step_seconds, forward_seconds.
    """
    sizes = [width] * (depth + 1)
    model = engine.MLP(sizes, activation, "identity", dtype, seed)
    inputs, targets = engine.random_batch(sizes, batch, dtype, seed)
    grads = [np.full_like(p, 0) for p in model.parameters()]
    timers = {
        "step_seconds": lambda: engine.backprop(
            model, inputs, targets, strategy, engine.Ledger(), grads
        ),
        "naive_step_seconds": lambda: engine.backprop(
            model, inputs, targets, "naive", engine.Ledger(), grads
        ),
        "forward_seconds": lambda: forward_pass(model, inputs, engine.Ledger()),
    }
    seconds = {name: [] for name in timers}
    for _ in range(repeats + 1):
        for name, work in timers.items():
            start = time.perf_counter()
            work()
            seconds[name].append(time.perf_counter() - start)
    return {name: float(np.median(values[1:])) for name, values in seconds.items()}


def forward_pass(model, inputs, ledger):
    """One plain forward pass, each activation dropped once the next layer has it."""
    a = inputs
    for i in range(1, model.depth + 1):
        out = ledger.empty(
            (a.shape[0], model.sizes[i]), model.dtype, "activation", f"a{i}"
        )
        a = model.forward_layer(i, a, out)
    return a


def measure_in_fresh_process(kwargs):
    """``measure_step`` in a new interpreter that imports only the engine.

    In a long-lived process the allocator keeps pages freed by earlier steps
    and reuses them, which hides new activations from the RSS reading; a
    fresh process starts with a clean baseline.
    """
    code = (
        "import json, sys, engine; "
        "print(json.dumps(engine.measure_step(**json.loads(sys.argv[1]))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(kwargs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EngineError(f"measuring {kwargs} in a fresh process failed: {last}")
    return json.loads(done.stdout)


def forward_seconds(
    depth,
    width,
    batch,
    dtype="float32",
    activation="relu",
    repeats=1,
    seed=0,
    strategy=None,
):
    """Median seconds of one plain forward pass, allocating through a ledger.

    Each activation is dropped once the next layer has consumed it, so this
    is the cost of one recomputation pass. One warm-up pass is not timed.
    """
    sizes = [width] * (depth + 1)
    model = engine.MLP(sizes, activation, "identity", dtype, seed)
    inputs, _ = engine.random_batch(sizes, batch, dtype, seed)
    seconds = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        forward_pass(model, inputs, engine.Ledger())
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds[1:]))


def machine():
    """Where and from what code the sweep ran: hostname, cpu, numpy version, commit."""
    return {
        "hostname": socket.gethostname(),
        "cpu": cpu_name(),
        "numpy_version": np.__version__,
        "commit": commit(),
    }


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def commit():
    """``git rev-parse HEAD`` of this repository, "+dirty" if tracked code changed."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "diff",
                "--quiet",
                "HEAD",
                "--",
                ".",
                ":(exclude)results",
            ],
            capture_output=True,
        ).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def read_existing(path):
    """The table of an earlier run at ``path`` (empty if none), checked row by row.

    A sweep resumes from this table and counts its rows as done, so a
    malformed one (not a CSV, a column missing, a value out of range, the
    last row cut short) is refused and left untouched rather than extended.
    """
    path = Path(path)
    if not path.exists():
        return pd.DataFrame()
    advice = "move it away or pick another --out"
    try:
        table = read_csv(path, "existing sweep table")
        name = f"existing sweep table {str(path)!r}"
        check_rows(table, name, tuple(dict.fromkeys((*REQUIRED, *KEY))))
        if not path.read_bytes().endswith(b"\n"):
            raise EngineError(f"{name} ends in the middle of a row")
    except EngineError as error:
        raise EngineError(f"{error}; {advice}") from None
    return table


def run_sweep(out_dir, grid, progress=True):
    """Measure every configuration of ``grid`` not yet in ``out_dir``/sweep.csv.

    Returns (table, number of configurations measured now, paths written).
    """
    out_dir = Path(out_dir)
    path = out_dir / "sweep.csv"
    table = read_existing(path)
    out_dir.mkdir(parents=True, exist_ok=True)  # fail before measuring, not after
    done = set()
    if not table.empty:
        done = {
            tuple(str(v) for v in row)
            for row in table[list(KEY)].itertuples(index=False)
        }
    pending = [(e, kw) for e, kw in configurations(grid) if key_of(e, kw) not in done]
    stamp = machine()
    rows = table.to_dict("records")
    # leave=False: the bar clears its line when it closes, even on an error or
    # Ctrl-C, so the script's last line stands alone
    bar = tqdm(pending, desc="sweep", unit="config", leave=False,
               disable=not progress or not pending)
    with bar:
        for experiment, kwargs in bar:
            check_interrupted()
            row = measure(experiment, kwargs)
            row.update(stamp, measured_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
            rows.append(row)
            table = pd.DataFrame.from_records(rows)
            table = table[["experiment", *table.columns.drop("experiment")]]
            atomic.write_csv(path, table)
    written = [path] if pending else []
    if timelines(out_dir / "timelines.json", grid):
        written.append(out_dir / "timelines.json")
    return table, len(pending), written


def timelines(path, grid):
    """Store one step's live-activation-bytes timeline per strategy; True if written."""
    try:
        stored = load_timelines(path) or {}
    except EngineError as error:
        raise EngineError(f"{error}; move it away or pick another --out") from None
    changed = False
    for strategy in grid.strategies:
        config = dict(
            depth=grid.timeline_depth,
            width=grid.width,
            batch=grid.batch,
            dtype=grid.dtype,
            activation=grid.activation,
        )
        if stored.get(strategy, {}).get("config") == config:
            continue
        result = engine.measure_step(strategy=strategy, timeline=True, **config)
        stored[strategy] = {
            "config": config,
            "stride": result["stride"],
            "unit_bytes": result["unit_bytes"],
            "events": [list(e) for e in result["timeline"]],
        }
        changed = True
    if changed:
        atomic.write_json(path, stored)
    return changed


def load_timelines(path):
    """The stored timelines, or None if there are none; EngineError if unreadable."""
    def check(stored):
        for entry in stored.values():
            entry["config"]["depth"], entry["unit_bytes"], entry["events"][0][1]

    return atomic.read_json(path, f"timelines {str(path)!r}", check,
                            "are not a stored timeline file: rerun scripts/sweep.py")
