"""The sweep measures each configuration once, resumes, never leaves half a file."""

import os
import stat

import pandas as pd
import pytest
from conftest import TINY

import engine
from analysis import atomic, sweep
from analysis.table import KEY, load_table
from engine.errors import EngineError


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


def cut_last_row(text):
    return text[: text.rindex(",")]


MALFORMED = {
    "empty": lambda good: b"",
    "binary": lambda good: bytes(range(256)),
    "bad quoting": lambda good: b'experiment,depth\n"depth,8\n',
    "no step_seconds": lambda good: good.drop(columns="step_seconds").to_csv(
        index=False).encode(),
    "depth 'abc'": lambda good: good.astype({"depth": object}).assign(
        depth=["abc"] + list(good["depth"][1:])).to_csv(index=False).encode(),
    "last row cut": lambda good: cut_last_row(good.to_csv(index=False)).encode(),
    "last value cut": lambda good: good.to_csv(index=False).encode()[:-3],
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_existing_table_is_refused_and_kept(swept, tmp_path, monkeypatch, case):
    def fail(**kwargs):
        raise AssertionError("a refused table must not be extended")

    monkeypatch.setattr(engine, "measure_step", fail)
    good = pd.read_csv(swept / "sweep" / "sweep.csv")
    path = tmp_path / "sweep.csv"
    path.write_bytes(MALFORMED[case](good))
    before = path.read_bytes()
    with pytest.raises(EngineError) as error:
        sweep.run_sweep(tmp_path, TINY, progress=False)
    message = str(error.value)
    assert str(path) in message and "move it away or pick another --out" in message
    assert "\n" not in message
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.csv"]


def test_unreadable_timelines_are_refused(swept, tmp_path):
    (tmp_path / "timelines.json").write_text("{not json")
    with pytest.raises(EngineError, match="timelines.*move it away"):
        sweep.timelines(tmp_path / "timelines.json", TINY)


def test_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        atomic.write_text(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_sweep_table_is_not_private(swept):
    mode = stat.S_IMODE((swept / "sweep" / "sweep.csv").stat().st_mode)
    assert mode == 0o666 & ~current_umask()


def current_umask():
    umask = os.umask(0o022)
    os.umask(umask)
    return umask
