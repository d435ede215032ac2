"""The report regenerates from a saved table without benchmarks; bad input exits 2."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import engine
from analysis import plots, sweep
from analysis.markdown import to_html
from analysis.report import regenerate
from engine.errors import EngineError

ROOT = Path(__file__).resolve().parent.parent


def script(name, *args):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_regenerate_runs_no_benchmark(swept, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("regenerating must not measure")

    for name in ("measure_step", "backprop"):
        monkeypatch.setattr(engine, name, fail)
    monkeypatch.setattr(sweep, "measure", fail)
    out = tmp_path / "results"
    shutil.copytree(swept / "sweep", out / "sweep")
    _, written = regenerate(out)
    text = (out / "report" / "REPORT.md").read_text()
    assert "## Claims" in text and "python scripts/report.py --out" in text
    assert "<table>" in (out / "report" / "REPORT.html").read_text()
    assert all(Path(p).exists() for p in written)


def test_report_script_writes_report(swept, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(swept / "sweep", out / "sweep")
    done = script("report.py", "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"Wrote {out / 'report' / 'REPORT.md'}" in done.stdout


def write(path, frame_or_text):
    if isinstance(frame_or_text, str):
        path.write_text(frame_or_text)
    else:
        frame_or_text.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "case", ["missing", "empty", "columns", "single depth", "non-positive"]
)
@pytest.mark.parametrize("name", ["fit.py", "plots.py", "report.py"])
def test_bad_table_exits_2_and_leaves_outputs(swept, tmp_path, case, name):
    good = pd.read_csv(swept / "sweep" / "sweep.csv")
    table = tmp_path / "table.csv"
    if case == "empty":
        write(table, "")
    elif case == "columns":
        write(table, good.drop(columns=["peak_activation_bytes"]))
    elif case == "single depth":
        write(table, good[good["depth"] == 16])
    elif case == "non-positive":
        bad = good.copy()
        bad.loc[0, "peak_activation_bytes"] = -1
        write(table, bad)
    out = tmp_path / "results"
    existing = out / "report" / "REPORT.md"
    existing.parent.mkdir(parents=True)
    existing.write_text("previous report")
    (out / "fit").mkdir()
    (out / "fit" / "fit.json").write_text("{}")

    done = script(name, "--out", out, "--table", table)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"{name}: error: ")
    assert existing.read_text() == "previous report"
    assert (out / "fit" / "fit.json").read_text() == "{}"


def test_bad_argument_is_one_line(tmp_path):
    done = script("reproduce.py", "--bogus")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1


def test_asv_folder_without_results_is_a_clear_error(tmp_path):
    done = script("report.py", "--out", tmp_path, "--asv", tmp_path)
    assert done.returncode == 2
    assert "asv" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_markdown_subset():
    page = to_html("# T\n\n| a | b |\n|---|---|\n| 1 | `x` |\n\n![f](f.png)\n")
    assert "<h1>T</h1>" in page and "<td><code>x</code></td>" in page
    assert '<img alt="f" src="f.png">' in page


def outputs(out):
    """Every file under <out>/fit and <out>/report, with its bytes."""
    return {p: p.read_bytes() for d in ("fit", "report") for p in (out / d).rglob("*")
            if p.is_file()}


@pytest.fixture
def reported(swept, tmp_path):
    """An output folder holding a sweep and a report made from it."""
    out = tmp_path / "results"
    shutil.copytree(swept / "sweep", out / "sweep")
    regenerate(out)
    return out


def test_failure_while_drawing_leaves_every_old_output(reported, monkeypatch):
    before = outputs(reported)
    real = plots.atomic.save_figure
    calls = []

    def fail_third(fig, path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(path))
        return real(fig, path)

    monkeypatch.setattr(plots.atomic, "save_figure", fail_third)
    with pytest.raises(OSError) as error:
        regenerate(reported)
    assert error.value.filename == str(reported / "report" / "figures" / "time_vs_depth.png")
    assert outputs(reported) == before
    assert sorted(p.name for p in reported.iterdir()) == ["fit", "report", "sweep"]


def test_unwritable_target_is_named_and_nothing_moves(reported):
    before = outputs(reported)
    page = reported / "report" / "REPORT.html"
    page.unlink()
    page.mkdir()
    done = script("report.py", "--out", reported)
    assert done.returncode == 2
    assert done.stderr == (f"report.py: error: output folder {str(reported)!r}: cannot "
                           f"write {str(page)!r}: Is a directory\n")
    del before[page]
    assert outputs(reported) == before
    assert not list(reported.glob(".staging*"))


def test_bad_saved_training_result_is_one_line(reported):
    (reported / "training").mkdir()
    (reported / "training" / "digits.json").write_text('{"status": "done"}')
    with pytest.raises(EngineError, match="digits.json' is not a stored training result"):
        regenerate(reported)
