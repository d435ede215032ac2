"""The analysis scripts fail in one line: interrupts, empty or unusable --out, long errors."""

import importlib.util
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import sweep
from analysis.cli import run
from engine.errors import EngineError

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ("sweep.py", "fit.py", "plots.py", "report.py", "reproduce.py")


def load(name):
    spec = importlib.util.spec_from_file_location(name[:-3], ROOT / "scripts" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call(name, argv, capsys, monkeypatch):
    """Run a script's main in this process as its command line would; (status, stderr)."""
    monkeypatch.setattr(sys, "argv", [f"scripts/{name}", *argv])
    status = run(load(name).main, argv)
    return status, capsys.readouterr().err


def test_interrupt_is_one_line_and_status_130(capsys, monkeypatch):
    def interrupted(argv):
        raise KeyboardInterrupt

    monkeypatch.setattr(sys, "argv", ["scripts/sweep.py"])
    assert run(interrupted) == 130
    assert capsys.readouterr().err == "sweep.py: interrupted\n"


def test_multi_line_error_is_folded_into_one(capsys, monkeypatch):
    def fails(argv):
        raise EngineError("table: Error tokenizing data.\nC error: EOF\n")

    monkeypatch.setattr(sys, "argv", ["scripts/fit.py"])
    assert run(fails) == 2
    assert capsys.readouterr().err == "fit.py: error: table: Error tokenizing data. C error: EOF\n"


@pytest.mark.parametrize("name", SCRIPTS)
def test_empty_out_is_refused(name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, err = call(name, ["--out", ""], capsys, monkeypatch)
    assert status == 2
    assert err == f"{name}: error: argument --out: '' is invalid: give a folder or file name\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["sweep.py", "reproduce.py"])
def test_unusable_out_names_the_output_folder(name, tmp_path, capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("nothing is measured before the folder exists")

    monkeypatch.setattr(sweep, "measure", fail)
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "results"
    status, err = call(name, ["--quick", "--out", str(out)], capsys, monkeypatch)
    assert status == 2
    assert err.endswith(f"{name}: error: output folder {str(out)!r}: Not a directory\n")


def test_out_that_is_a_file(swept, tmp_path, capsys, monkeypatch):
    out = tmp_path / "file"
    out.write_text("mine")
    table = swept / "sweep" / "sweep.csv"
    status, err = call("report.py", ["--out", str(out), "--table", str(table)], capsys,
                       monkeypatch)
    assert status == 2
    assert err == f"report.py: error: output folder {str(out)!r} is a file: give a folder\n"
    assert out.read_text() == "mine"


def test_ctrl_c_stops_the_sweep_in_one_line_and_keeps_the_table(tmp_path):
    done = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "sweep.py"), "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,  # bytes: text mode would turn the bar's \r into \n
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    table = tmp_path / "sweep" / "sweep.csv"
    deadline = time.monotonic() + 60
    while not table.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    done.send_signal(signal.SIGINT)
    err = done.communicate(timeout=60)[1].decode()
    assert done.returncode == 130
    assert err.count("\n") == 1 and err.split("\r")[-1] == "sweep.py: interrupted\n"
    assert "Traceback" not in err
    assert len(sweep.read_existing(table)) >= 1
