"""The sweep measures each configuration once, resumes, never leaves half a file."""

import pandas as pd
import pytest
from conftest import TINY

import engine
from analysis import atomic, sweep
from analysis.table import KEY, load_table


def test_table_has_one_row_per_configuration(swept):
    table = load_table(swept / "sweep" / "sweep.csv")
    assert len(table) == len(sweep.configurations(TINY))
    assert not table.duplicated(list(KEY)).any()
    assert {"hostname", "cpu", "numpy_version", "commit"} <= set(table.columns)
    assert (
        table["peak_activation_bytes"] == table["predicted_peak_activation_bytes"]
    ).all()


def test_rerun_measures_nothing_new(swept, monkeypatch):
    def fail(**kwargs):
        raise AssertionError("a resumed sweep must not measure again")

    monkeypatch.setattr(engine, "measure_step", fail)
    before = (swept / "sweep" / "sweep.csv").read_bytes()
    _, measured, written = sweep.run_sweep(swept / "sweep", TINY, progress=False)
    assert measured == 0 and written == []
    assert (swept / "sweep" / "sweep.csv").read_bytes() == before


def test_interrupted_sweep_keeps_complete_rows_and_resumes(tmp_path, monkeypatch):
    calls = []
    real = engine.measure_step

    def flaky(**kwargs):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(engine, "measure_step", flaky)
    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep(tmp_path, TINY, progress=False)
    assert len(pd.read_csv(tmp_path / "sweep.csv")) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.csv"]  # no temporary left

    monkeypatch.setattr(engine, "measure_step", real)
    table, measured, _ = sweep.run_sweep(tmp_path, TINY, progress=False)
    assert measured == len(sweep.configurations(TINY)) - 3
    assert len(table) == len(sweep.configurations(TINY))


def test_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic.replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_timelines_cover_each_strategy(swept):
    stored = sweep.timelines(swept / "sweep" / "timelines.json", TINY)
    assert stored is False  # already there: not measured again


def test_paired_seconds_times_all_three():
    times = sweep.paired_seconds(16, 8, 4, "stride:4", repeats=2)
    assert set(times) == {"step_seconds", "naive_step_seconds", "forward_seconds"}
    assert all(v > 0 for v in times.values())
