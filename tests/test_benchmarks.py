"""The asv suites: their figures against engine.predict, and one asv dry run."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from benchmarks import bench_depth, bench_stride, bench_training, common

ROOT = Path(__file__).resolve().parent.parent
DEPTH_CASES = [(d, s) for d in common.DEPTHS for s in common.STRATEGIES]
HAS_TRAINER = importlib.util.find_spec("engine.train") is not None


def predicted(depth, strategy):
    return engine.predict(common.sizes(depth), common.BATCH, common.DTYPE, strategy)


@pytest.mark.parametrize("depth, strategy", DEPTH_CASES)
def test_depth_tracks_equal_prediction(depth, strategy):
    memory = bench_depth.ActivationMemory()
    memory.setup(depth, strategy)
    recomputation = bench_depth.Recomputation()
    recomputation.setup(depth, strategy)

    expected = predicted(depth, strategy)
    assert memory.track_peak_activation_bytes(depth, strategy) == (
        expected.peak_activation_bytes
    )
    assert recomputation.track_forward_layer_evals(depth, strategy) == (
        expected.forward_layer_evals
    )
    assert memory.track_step_rss_delta_bytes(depth, strategy) >= 0


@pytest.mark.parametrize("stride", common.STRIDES)
def test_stride_tracks_equal_prediction(stride):
    memory = bench_stride.ActivationMemory()
    memory.setup(stride)
    recomputation = bench_stride.Recomputation()
    recomputation.setup(stride)

    expected = predicted(common.STRIDE_DEPTH, f"stride:{stride}")
    assert expected.stride == stride
    assert memory.track_peak_activation_bytes(stride) == expected.peak_activation_bytes
    assert recomputation.track_forward_layer_evals(stride) == (
        expected.forward_layer_evals
    )


def test_timed_bodies_run_one_step():
    step = bench_depth.BackpropStep()
    step.setup(8, "sqrt")
    step.time_backprop_step(8, "sqrt")
    assert step.ledger.forward_evals == predicted(8, "sqrt").forward_layer_evals

    step = bench_stride.BackpropStep()
    step.setup(8)
    step.time_backprop_step(8)


def test_network_is_cached_and_seeded():
    assert common.network(4) is common.network(4)
    _, inputs, _ = common.network(4)
    assert inputs.shape == (common.BATCH, common.WIDTH)
    assert str(inputs.dtype) == common.DTYPE


def test_measure_fails_loudly_when_prediction_differs(monkeypatch):
    real = engine.predict

    def off_by_one(*args):
        p = real(*args)
        return engine.Prediction(
            p.stride, p.peak_activation_bytes + 1, p.forward_layer_evals
        )

    monkeypatch.setattr(engine, "predict", off_by_one)
    with pytest.raises(AssertionError, match="peak_activation_bytes measured"):
        common.measure(4, "naive")


def test_stride_strategy_rejects_zero():
    with pytest.raises(ValueError, match="stride 0 is invalid"):
        common.stride_strategy(0)


def test_require_raises_asv_skip_for_missing_pieces():
    with pytest.raises(NotImplementedError, match="no module engine.nonexistent"):
        common.require("engine.nonexistent", "thing")
    with pytest.raises(NotImplementedError, match="no engine.nonexistent_thing"):
        common.require("engine", "nonexistent_thing")
    assert common.require("engine", "predict") is engine.predict


def test_training_epoch_runs_or_skips_with_reason():
    epoch = bench_training.TrainingEpoch()
    if not HAS_TRAINER:
        with pytest.raises(NotImplementedError, match="engine.train"):
            epoch.setup("sqrt")
        return
    epoch.setup("sqrt")
    epoch.time_epoch("sqrt")


# One line per benchmark in asv's output: "[ 50.00%] ··· name   status".
STATUS_LINE = re.compile(r"^\[\s*[\d.]+%\] ··· (\S+\.\S+)\s+(ok|failed|n/a)$")


def private_config(tmp_path):
    """asv.conf.json with every folder asv writes moved under tmp_path."""
    config = json.loads((ROOT / "asv.conf.json").read_text())
    config.update(
        repo=str(ROOT),
        benchmark_dir=str(ROOT / "benchmarks"),
        results_dir=str(tmp_path / "results"),
        html_dir=str(tmp_path / "html"),
        env_dir=str(tmp_path / "env"),
    )
    path = tmp_path / "asv.conf.json"
    path.write_text(json.dumps(config))
    return str(path)


def test_asv_dry_run_runs_every_benchmark(tmp_path):
    # asv keeps machine information in $HOME and writes benchmarks.json to its
    # results folder: private ones leave the user's and the checkout's alone.
    env = {**os.environ, "HOME": str(tmp_path)}
    asv = [sys.executable, "-m", "asv"]
    config = ["--config", private_config(tmp_path)]
    subprocess.run(
        [*asv, "machine", "--yes"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    run = subprocess.run(
        [*asv, "run", *config, "--python=same", "--quick", "--dry-run", "--show-stderr"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output

    total = int(re.search(r"Running (\d+) total benchmarks", output).group(1))
    # asv shortens long names with a leading "...", so count lines, not names
    statuses = [
        match.group(2) for match in map(STATUS_LINE.match, output.splitlines()) if match
    ]
    assert len(statuses) == total, output
    assert set(statuses) == {"ok"}, output
    assert "failed" not in output, output

    skips = [line for line in output.splitlines() if "asv: skipped" in line]
    if HAS_TRAINER:
        assert not skips, output
    else:
        assert all("engine.train" in line for line in skips), output


def test_asv_check_finds_no_problems(tmp_path):
    check = subprocess.run(
        [sys.executable, "-m", "asv", "check", "--config", private_config(tmp_path),
         "--python=same"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = check.stdout + check.stderr
    assert check.returncode == 0, output
    assert "No problems found" in output, output
