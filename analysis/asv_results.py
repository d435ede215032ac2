"""Load asv 0.6 result files into one pandas DataFrame.

asv writes ``<results_dir>/benchmarks.json`` (every benchmark's type, unit,
parameters and version) and one ``<machine>/<commit>-<env>.json`` per commit
and environment. In a result file (format version 2) each benchmark maps to
a row aligned with ``result_columns``; trailing empty columns are dropped.
Parametrised values are flattened over the product of the parameter lists,
first parameter slowest, and the parameters are stored as their ``repr``.
A value of ``null`` means the benchmark failed, ``NaN`` that it was skipped
(NotImplementedError in setup); a benchmark that failed for every
combination is stored as a single ``null``.
"""

import ast
import itertools
import json
import math
from pathlib import Path

import pandas as pd

from engine.errors import EngineError

RESULT_FORMAT = 2
COLUMNS = [
    "benchmark",
    "type",
    "params",
    "commit",
    "machine",
    "env",
    "date",
    "value",
    "unit",
    "status",
]


def load_results(results_dir):
    """One row per benchmark, parameter combination, commit, machine and environment.

    Columns: ``benchmark``, ``type`` (time, track, ...), ``params`` (dict of
    parameter name to value), ``commit``, ``machine``, ``env``, ``date``
    (the commit's date, UTC), ``value`` (float; NaN unless status is ok),
    ``unit`` and ``status`` (``ok``, ``failed`` or ``skipped``), then one
    column per parameter name seen in any benchmark. Results whose version
    differs from benchmarks.json, or whose benchmark it no longer lists, are
    left out: they measured code that has since changed.

    Raises EngineError (a ValueError) naming the file when a file is missing or malformed.
    """
    root = Path(results_dir)
    benchmarks = _read_json(root / "benchmarks.json")
    rows = []
    for path in sorted(root.glob("*/*.json")):
        if path.name != "machine.json":
            rows.extend(_rows(path, _read_json(path), benchmarks))

    param_names = sorted({name for row in rows for name in row["params"]})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for name in param_names:
        values = [row["params"].get(name) for row in rows]
        frame[name] = pd.Series(values, index=frame.index, dtype=object)
    frame["date"] = pd.to_datetime(frame["date"], unit="ms", utc=True)
    frame["value"] = frame["value"].astype(float)
    return frame


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise EngineError(
            f"{path}: no such file; is this an asv results directory?"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise EngineError(f"{path}: malformed JSON ({error})") from None


def _rows(path, data, benchmarks):
    """The rows of one result file, checked against its documented layout."""
    if not isinstance(data, dict):
        raise EngineError(f"{path}: malformed result file: the top is not an object")
    if data.get("version") != RESULT_FORMAT:
        raise EngineError(
            f"{path}: result format version {data.get('version')!r} is unsupported: "
            f"this loader reads asv's version {RESULT_FORMAT} (asv 0.5 and 0.6)"
        )
    try:
        commit = data["commit_hash"]
        env = data["env_name"]
        date = data["date"]
        machine = data["params"]["machine"]
        columns = list(data["result_columns"])
        results = dict(data["results"])
    except (KeyError, TypeError, ValueError) as error:
        raise EngineError(f"{path}: malformed result file: missing {error}") from None

    rows = []
    for name, entry in results.items():
        if not isinstance(entry, list):
            raise EngineError(
                f"{path}: malformed entry for {name}: {entry!r} is not a list"
            )
        fields = dict(zip(columns, entry))
        known = benchmarks.get(name)
        if not isinstance(known, dict) or fields.get("version") != known.get("version"):
            continue
        for params, value in _combinations(path, name, fields, known):
            rows.append(
                {
                    "benchmark": name,
                    "type": known.get("type"),
                    "params": params,
                    "commit": commit,
                    "machine": machine,
                    "env": env,
                    "date": date,
                    "value": float(value) if _status(value) == "ok" else math.nan,
                    "unit": known.get("unit"),
                    "status": _status(value),
                }
            )
    return rows


def _combinations(path, name, fields, known):
    """(params dict, value) for each parameter combination of one benchmark."""
    names = known.get("param_names", [])
    grid = fields.get("params") or []
    if len(grid) != len(names):
        raise EngineError(
            f"{path}: malformed entry for {name}: {len(grid)} parameter lists "
            f"for the {len(names)} names {names}"
        )
    combos = [
        dict(zip(names, map(_parse_param, combo))) for combo in itertools.product(*grid)
    ]
    values = fields.get("result")
    if values is None:  # asv stores "failed everywhere" as one null
        values = [None] * len(combos)
    if not isinstance(values, list) or len(values) != len(combos):
        raise EngineError(
            f"{path}: malformed entry for {name}: {values!r} is not a list of "
            f"{len(combos)} values, one per parameter combination"
        )
    return zip(combos, values)


def _parse_param(text):
    # asv stores each parameter value as its repr: "4", "'sqrt'".
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _status(value):
    if value is None:
        return "failed"
    if isinstance(value, float) and math.isnan(value):
        return "skipped"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "failed"
    return "ok"
