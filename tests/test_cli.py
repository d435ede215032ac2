import json
import subprocess
import sys

import pytest

from engine.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("depth,width,batch,strategy,dtype", [
    (1, 8, 4, "naive", "float32"),
    (1, 8, 4, "sqrt", "float64"),
    (7, 16, 3, "stride:3", "float32"),
    (12, 8, 5, "stride:12", "float64"),
    (12, 8, 5, "stride:40", "float32"),
    (33, 4, 2, "sqrt", "float32"),
    (64, 16, 8, "stride:1", "float64"),
])
def test_measure_json_gives_measured_equal_to_predicted(
        capsys, depth, width, batch, strategy, dtype):
    code = main(["measure", "--depth", str(depth), "--width", str(width), "--batch",
                 str(batch), "--strategy", strategy, "--dtype", dtype, "--json",
                 "--repeats", "1"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["peak_activation_bytes"] == result["predicted_peak_activation_bytes"]
    assert result["forward_layer_evals"] == result["predicted_forward_layer_evals"]
    for key in ("depth", "width", "batch", "dtype", "strategy", "stride",
                "step_seconds", "peak_rss_bytes"):
        assert key in result
    assert result["peak_rss_bytes"] > 0 and result["step_seconds"] > 0


def test_depth_256_sqrt_against_naive(capsys):
    units = {}
    for strategy in ("naive", "sqrt"):
        main(["measure", "--depth", "256", "--width", "8", "--batch", "2", "--strategy",
              strategy, "--json", "--repeats", "1"])
        units[strategy] = json.loads(capsys.readouterr().out)["peak_activation_units"]
    assert units["naive"] == 256
    assert abs(units["sqrt"] - 32) <= 2


@pytest.mark.parametrize("args,message", [
    (["measure", "--depth", "0", "--width", "4", "--batch", "2", "--strategy", "naive"],
     "--depth: 0 is invalid"),
    (["measure", "--depth", "3", "--width", "-1", "--batch", "2", "--strategy", "naive"],
     "--width: -1 is invalid"),
    (["measure", "--depth", "3", "--width", "4", "--batch", "0", "--strategy", "naive"],
     "--batch: 0 is invalid"),
    (["measure", "--depth", "3", "--width", "4", "--batch", "2", "--strategy", "stride:0"],
     "'stride:0'"),
    (["measure", "--depth", "3", "--width", "4", "--batch", "2", "--strategy", "best"],
     "'best' is unknown"),
    (["measure", "--depth", "3", "--width", "4", "--batch", "2", "--strategy", "naive",
      "--dtype", "int8"], "'int8'"),
    (["measure", "--depth", "100000", "--width", "100000", "--batch", "3", "--strategy",
      "naive"], "GiB is available"),
    (["train", "--dataset", "cifar"], "'cifar'"),
    (["train", "--activation", "gelu"], "'gelu'"),
    (["train", "--dataset", "mnist"], "needs --data-path"),
    (["train", "--dataset", "mnist", "--data-path", "/no/such/file.npz"], "does not exist"),
    (["train", "--epochs", "2", "--lr", "1e5", "--quiet"], "in epoch 1"),
    (["train", "--sizes", "64,x,10"], "'64,x,10'"),
    (["train", "--seed", "4294967296"], "in 0..4294967295"),
    (["train", "--data-path", "/tmp"], "goes with --dataset mnist only"),
    (["train", "--strategy", "naive", "naive"], "names naive more than once"),
    (["measure", "--depth", "99999999999999999999", "--width", "8", "--batch", "2",
      "--strategy", "sqrt"], "GiB is available"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert message in lines[0]


def test_train_prints_epochs_and_the_memory_table():
    result = run("train", "--epochs", "2", "--sizes", "64,32,32,32,10", "--quiet")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum("epoch" in line and "loss" in line for line in lines) == 4
    rows = {line.split()[0]: line.split() for line in lines
            if line.split()[:1] in (["naive"], ["sqrt"]) and "epoch" not in line}
    for row in rows.values():
        assert row[2] == row[3]  # predicted peak == measured peak
    assert "bitwise equal across strategies: yes" in result.stdout


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_swallowed_by_a_weakref_callback_still_stops_the_run():
    import signal
    import weakref

    import numpy as np

    from engine.cli import check_interrupted, interrupts_remembered

    with interrupts_remembered():
        array = np.empty(4)
        # a Ctrl-C raised inside the callback is printed and dropped by Python
        ref = weakref.ref(array, lambda _: signal.raise_signal(signal.SIGINT))
        with pytest.raises(KeyboardInterrupt):
            try:
                del array
            except KeyboardInterrupt:
                pass  # or it surfaces here, after the callback
            check_interrupted()
    assert ref() is None
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
