"""The asv results loader on small result files laid out as asv 0.6.6 writes them."""

import json
import math
import re

import pytest

from analysis.asv_results import load_results

COLUMNS = ["result", "params", "version", "started_at", "duration"]
BENCHMARKS = {
    "bench_depth.ActivationMemory.track_peak_activation_bytes": {
        "name": "bench_depth.ActivationMemory.track_peak_activation_bytes",
        "type": "track",
        "unit": "bytes",
        "param_names": ["depth", "strategy"],
        "params": [["4", "8"], ["'naive'", "'sqrt'"]],
        "version": "1",
    },
    "bench_training.TrainingEpoch.time_epoch": {
        "name": "bench_training.TrainingEpoch.time_epoch",
        "type": "time",
        "unit": "seconds",
        "param_names": ["strategy"],
        "params": [["'naive'", "'sqrt'"]],
        "version": "1",
    },
    "bench_misc.Plain.track_one": {
        "name": "bench_misc.Plain.track_one",
        "type": "track",
        "unit": "evaluations",
        "param_names": [],
        "params": [],
        "version": "1",
    },
    "version": 2,
}
PEAK = "bench_depth.ActivationMemory.track_peak_activation_bytes"
EPOCH = "bench_training.TrainingEpoch.time_epoch"


def write_results(root, results, commit="a" * 40, machine="box"):
    root.mkdir(exist_ok=True)
    (root / "benchmarks.json").write_text(json.dumps(BENCHMARKS))
    (root / machine).mkdir(exist_ok=True)
    (root / machine / "machine.json").write_text(json.dumps({"machine": machine}))
    data = {
        "commit_hash": commit,
        "env_name": "virtualenv-py3.11",
        "date": 1796397654000,
        "params": {"machine": machine, "python": "3.11"},
        "python": "3.11",
        "requirements": {},
        "env_vars": {},
        "result_columns": COLUMNS,
        "results": results,
        "durations": {},
        "version": 2,
    }
    path = root / machine / f"{commit[:8]}-virtualenv-py3.11.json"
    # asv writes NaN for skipped values, which Python's json module reads back.
    path.write_text(json.dumps(data))
    return path


def naming(path, message):
    """A pattern for an error message that starts with the file's path."""
    return re.escape(f"{path}: {message}")


def peak_entry(values, version="1"):
    return [values, [["4", "8"], ["'naive'", "'sqrt'"]], version, 1796397685153, 9.7]


def test_multi_param_result_expands_one_row_per_combination(tmp_path):
    write_results(tmp_path, {PEAK: peak_entry([65536, 32768, 131072, 65536])})
    frame = load_results(tmp_path)

    assert len(frame) == 4
    assert list(frame["depth"]) == [4, 4, 8, 8]
    assert list(frame["strategy"]) == ["naive", "sqrt", "naive", "sqrt"]
    assert frame.loc[3, "params"] == {"depth": 8, "strategy": "sqrt"}
    assert list(frame["value"]) == [65536, 32768, 131072, 65536]
    assert set(frame["status"]) == {"ok"}
    assert set(frame["unit"]) == {"bytes"}
    assert set(frame["machine"]) == {"box"}
    assert set(frame["commit"]) == {"a" * 40}
    assert set(frame["env"]) == {"virtualenv-py3.11"}


def test_unparametrised_benchmark_is_one_row(tmp_path):
    write_results(tmp_path, {"bench_misc.Plain.track_one": [[7], [], "1"]})
    frame = load_results(tmp_path)
    assert list(frame["value"]) == [7.0]
    assert frame.loc[0, "params"] == {}


def test_failed_entries_are_null(tmp_path):
    # One combination failed (null), and a benchmark that failed everywhere,
    # which asv stores as a single null instead of a list.
    write_results(
        tmp_path,
        {
            PEAK: peak_entry([65536, None, 131072, 65536]),
            EPOCH: [None, [["'naive'", "'sqrt'"]], "1"],
        },
    )
    frame = load_results(tmp_path).set_index("benchmark")

    peak = frame.loc[PEAK]
    assert list(peak["status"]) == ["ok", "failed", "ok", "ok"]
    assert math.isnan(peak["value"].iloc[1])
    assert list(frame.loc[EPOCH, "status"]) == ["failed", "failed"]


def test_skipped_entries_are_nan(tmp_path):
    write_results(tmp_path, {EPOCH: [[math.nan, 0.02], [["'naive'", "'sqrt'"]], "1"]})
    frame = load_results(tmp_path)
    assert list(frame["status"]) == ["skipped", "ok"]
    assert math.isnan(frame.loc[0, "value"])
    assert frame.loc[1, "value"] == 0.02


def test_version_mismatch_is_left_out(tmp_path):
    write_results(
        tmp_path,
        {
            PEAK: peak_entry([1, 2, 3, 4], version="0"),
            EPOCH: [[0.01, 0.02], [["'naive'", "'sqrt'"]], "1"],
        },
    )
    frame = load_results(tmp_path)
    assert set(frame["benchmark"]) == {EPOCH}


def test_benchmark_no_longer_listed_is_left_out(tmp_path):
    write_results(tmp_path, {"bench_gone.Old.track_x": [[1], [], "1"]})
    assert load_results(tmp_path).empty


def test_several_commits_and_machines(tmp_path):
    write_results(tmp_path, {PEAK: peak_entry([1, 2, 3, 4])}, commit="a" * 40)
    write_results(tmp_path, {PEAK: peak_entry([1, 2, 3, 4])}, commit="b" * 40)
    write_results(tmp_path, {PEAK: peak_entry([1, 2, 3, 4])}, machine="other")
    frame = load_results(tmp_path)
    assert len(frame) == 12
    assert frame.groupby(["commit", "machine"]).size().to_dict() == {
        ("a" * 40, "box"): 4,
        ("a" * 40, "other"): 4,
        ("b" * 40, "box"): 4,
    }


def test_malformed_json_names_the_file(tmp_path):
    path = write_results(tmp_path, {})
    path.write_text('{"commit_hash": ')
    with pytest.raises(ValueError, match=naming(path, "malformed JSON")):
        load_results(tmp_path)


def test_missing_key_names_the_file(tmp_path):
    path = write_results(tmp_path, {})
    data = json.loads(path.read_text())
    del data["result_columns"]
    path.write_text(json.dumps(data))
    message = "malformed result file: missing 'result_columns'"
    with pytest.raises(ValueError, match=naming(path, message)):
        load_results(tmp_path)


def test_wrong_number_of_values_names_the_file(tmp_path):
    path = write_results(tmp_path, {PEAK: peak_entry([1, 2, 3])})
    with pytest.raises(ValueError, match=naming(path, f"malformed entry for {PEAK}")):
        load_results(tmp_path)


def test_unsupported_format_version_names_the_file(tmp_path):
    path = write_results(tmp_path, {})
    data = json.loads(path.read_text())
    data["version"] = 1
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=naming(path, "result format version 1")):
        load_results(tmp_path)


def test_missing_benchmarks_json_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="benchmarks.json: no such file"):
        load_results(tmp_path)


def test_from_asv_builds_a_sweep_table_with_predictions(tmp_path):
    from analysis.table import from_asv

    # the three per-step figures of bench_depth, depth 4 and 8, naive then sqrt
    names = {
        "ActivationMemory.track_peak_activation_bytes": ("track", "bytes",
                                                          [65536, 32768, 131072, 65536]),
        "Recomputation.track_forward_layer_evals": ("track", "evaluations", [4, 6, 8, 13]),
        "BackpropStep.time_backprop_step": ("time", "seconds", [1e-4, 2e-4, 2e-4, 3e-4]),
    }
    results = {}
    path = write_results(tmp_path, {})
    benchmarks = {"version": 2}
    for name, (kind, unit, values) in names.items():
        full = f"bench_depth.{name}"
        benchmarks[full] = {**BENCHMARKS[PEAK], "name": full, "type": kind, "unit": unit}
        results[full] = peak_entry(values)
    (tmp_path / "benchmarks.json").write_text(json.dumps(benchmarks))
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "results": results}))

    table = from_asv(tmp_path).set_index(["depth", "strategy"])
    assert table.loc[(8, "naive"), "peak_activation_bytes"] == 131072
    assert table.loc[(8, "naive"), "predicted_peak_activation_bytes"] == 131072
    assert table.loc[(8, "sqrt"), "forward_layer_evals"] == 13
    assert table.loc[(8, "sqrt"), "predicted_forward_layer_evals"] == 13
    assert table.loc[(4, "sqrt"), "step_seconds"] == 2e-4
    assert set(table["experiment"]) == {"depth"}


def test_from_asv_restates_the_suites_network():
    from analysis import table
    from benchmarks import common

    assert (table.ASV_WIDTH, table.ASV_BATCH, table.ASV_DTYPE, table.ASV_STRIDE_DEPTH) == (
        common.WIDTH, common.BATCH, common.DTYPE, common.STRIDE_DEPTH)


def test_from_asv_refuses_a_prefix_that_names_no_single_commit(tmp_path):
    from analysis.table import from_asv
    from engine.errors import EngineError

    write_results(tmp_path, {PEAK: peak_entry([65536, 32768, 131072, 65536])},
                  commit="ab" + "0" * 38)
    write_results(tmp_path, {PEAK: peak_entry([65536, 32768, 131072, 65536])},
                  commit="ac" + "0" * 38)
    with pytest.raises(EngineError, match="2 commits starting with 'a'"):
        from_asv(tmp_path, "a")
    with pytest.raises(EngineError, match="no commit starting with ''"):
        from_asv(tmp_path, "")


def test_from_asv_refuses_one_commit_from_two_machines(tmp_path):
    from analysis.table import from_asv
    from engine.errors import EngineError

    for machine in ("box", "other"):
        write_results(tmp_path, {PEAK: peak_entry([65536, 32768, 131072, 65536])},
                      machine=machine)
    with pytest.raises(EngineError, match="from 2 machines"):
        from_asv(tmp_path)
