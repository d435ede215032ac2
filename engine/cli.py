"""Command line: ``python -m engine train`` and ``python -m engine measure``.

A bad argument or input file ends the run with one line on stderr and exit
status 2; no traceback reaches the user for anything the user can fix.
"""

import argparse
import contextlib
import json
import signal
import sys

import numpy as np

from engine.data import DATASETS, load_dataset
from engine.errors import EngineError
from engine.measure import measure_step
from engine.memory import PeakRSS, check_fits, step_bytes
from engine.model import ACTIVATIONS, MLP
from engine.schedule import DTYPES, parse_strategy, predict
from engine.train import Trainer, check_hyperparameters, check_model_fits_data, fingerprint

MiB = 2**20
INTERRUPTED = 130  # 128 + SIGINT, the shell's status for Ctrl-C
_interrupts = []


def _on_interrupt(signum, frame):
    _interrupts.append(signum)
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_remembered():
    """Remember every Ctrl-C inside the block, so one that Python swallows still stops it.

    Python prints and drops an exception raised inside a weak-reference
    callback or a destructor, and the ledger runs one on every release: a
    Ctrl-C that lands there would be lost. ``check_interrupted`` raises it
    again at the next safe point. Nothing changes where SIGINT is ignored.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield
        return
    _interrupts.clear()
    signal.signal(signal.SIGINT, _on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _interrupts.clear()


def check_interrupted():
    """Raise KeyboardInterrupt if a Ctrl-C arrived (loops call this between steps)."""
    if _interrupts:
        raise KeyboardInterrupt


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit status 2."""

    def error(self, message):
        raise EngineError(message)


def int_at_least(minimum, maximum=None):
    """An argparse type: an integer >= ``minimum`` (and <= ``maximum`` if given)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum or (maximum is not None and value > maximum):
            rule = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
            raise argparse.ArgumentTypeError(f"{value} is invalid: it must be {rule}")
        return value

    return parse


positive_int = int_at_least(1)


def strategy(text):
    try:
        parse_strategy(text)
    except EngineError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def sizes(text):
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of integers") from None
    if len(values) < 2 or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is invalid: give at least two sizes, each >= 1")
    return values


def build_parser():
    parser = Parser(prog="python -m engine", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    train = commands.add_parser("train", help="train an MLP and compare strategies' memory")
    train.add_argument("--dataset", default="digits", choices=DATASETS)
    train.add_argument("--data-path", help="mnist: mnist.npz or a folder of IDX .gz files")
    train.add_argument("--sizes", type=sizes,
                       help="layer sizes, input first (default: features,128,128,outputs)")
    train.add_argument("--activation", default="relu", choices=ACTIVATIONS)
    train.add_argument("--strategy", type=strategy, nargs="+", default=["naive", "sqrt"],
                       help="naive, sqrt or stride:K; several train one after another")
    train.add_argument("--epochs", type=positive_int, default=20)
    train.add_argument("--batch-size", type=positive_int, default=32)
    train.add_argument("--lr", type=float, default=0.05)
    train.add_argument("--momentum", type=float, default=0.9)
    train.add_argument("--l2", type=float, default=1e-4)
    train.add_argument("--seed", type=int_at_least(0, 2**32 - 1), default=0)
    train.add_argument("--dtype", default="float32", choices=DTYPES)
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    measure = commands.add_parser("measure", help="measure one backprop step on random data")
    measure.add_argument("--depth", type=positive_int, required=True)
    measure.add_argument("--width", type=positive_int, required=True)
    measure.add_argument("--batch", type=positive_int, required=True)
    measure.add_argument("--strategy", type=strategy, required=True)
    measure.add_argument("--dtype", default="float32", choices=DTYPES)
    measure.add_argument("--activation", default="relu", choices=ACTIVATIONS)
    measure.add_argument("--repeats", type=positive_int, default=3,
                         help="timed steps after the measured one (median reported)")
    measure.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv=None):
    try:
        with interrupts_remembered():
            args = build_parser().parse_args(argv)
            status = {"train": run_train, "measure": run_measure}[args.command](args)
            check_interrupted()
        return status
    except EngineError as error:
        print(f"engine: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("engine: interrupted", file=sys.stderr)
        return INTERRUPTED


def run_measure(args):
    result = measure_step(args.depth, args.width, args.batch, args.strategy,
                          args.dtype, args.activation, args.repeats)
    if args.json:
        print(json.dumps(result))
        return 0
    unit = result["unit_bytes"]
    print(f"depth {args.depth}, width {args.width}, batch {args.batch}, {args.dtype}, "
          f"strategy {result['strategy']} (stride {result['stride']}); "
          f"one activation unit = {unit} bytes")
    rows = [
        ("peak activation bytes", result["predicted_peak_activation_bytes"],
         result["peak_activation_bytes"]),
        ("peak activation units", result["predicted_peak_activation_bytes"] / unit,
         result["peak_activation_units"]),
        ("layer forward evaluations", result["predicted_forward_layer_evals"],
         result["forward_layer_evals"]),
    ]
    print(f"{'':28}{'predicted':>14}{'measured':>14}")
    for name, predicted, measured in rows:
        print(f"{name:28}{predicted:>14,g}{measured:>14,g}")
    print(f"step time {result['step_seconds'] * 1e3:.2f} ms (median of {args.repeats}), "
          f"peak RSS {result['peak_rss_bytes'] / MiB:.1f} MiB "
          f"(+{result['rss_delta_bytes'] / MiB:.1f} MiB during the step)")
    return 0


def run_train(args):
    if args.data_path is not None and args.dataset != "mnist":
        raise EngineError(f"--data-path {args.data_path!r} goes with --dataset mnist only; "
                          f"{args.dataset} is bundled")
    repeated = sorted({s for s in args.strategy if args.strategy.count(s) > 1})
    if repeated:
        raise EngineError(f"--strategy names {', '.join(repeated)} more than once: "
                          "give each strategy once")
    check_hyperparameters(args.batch_size, args.lr, args.momentum, args.l2)
    data = load_dataset(args.dataset, args.data_path, args.dtype, args.seed)
    layer_sizes = args.sizes or [data.n_features, 128, 128, data.n_outputs]
    output = "softmax" if data.task == "classification" else "identity"
    check_model_fits_data(layer_sizes, output, data)
    parameters = sum((a + 1) * b for a, b in zip(layer_sizes, layer_sizes[1:]))
    check_fits(step_bytes(len(layer_sizes) - 1, parameters,
                          args.batch_size * sum(layer_sizes[1:]),
                          np.dtype(args.dtype).itemsize, parameter_copies=5),
               f"an MLP of sizes {layer_sizes}")
    metric = "acc" if data.task == "classification" else "mse"
    if data.baseline_mse is not None:
        print(f"{data.name}: least-squares linear fit, test mse {data.baseline_mse:.4f}")
    print(f"{data.name}: {len(data.x_train)} training and {len(data.x_test)} test examples, "
          f"layer sizes {layer_sizes}, {args.activation}, {args.dtype}")

    rows, fingerprints = [], {}
    for name in args.strategy:
        model = MLP(layer_sizes, args.activation, output, args.dtype, args.seed)
        trainer = Trainer(model, data, name, args.batch_size, args.lr, args.momentum,
                          args.l2, args.seed)
        fingerprints[name] = []
        with PeakRSS() as rss:
            for _ in range(args.epochs):
                stats = run_epoch(trainer, args.quiet)
                fingerprints[name].append(fingerprint(model))
                print(f"{name:>10} epoch {stats.epoch:3d}/{args.epochs}  loss {stats.loss:.4f}"
                      f"  train {metric} {stats.train_metric:.4f}"
                      f"  test {metric} {stats.test_metric:.4f}  {stats.seconds:.2f} s")
        batch = min(args.batch_size, len(data.x_train))
        prediction = predict(layer_sizes, batch, args.dtype, trainer.strategy)
        rows.append((name, prediction.stride, prediction.peak_activation_bytes,
                     trainer.ledger.peak_activation_bytes,
                     float(np.median(trainer.step_seconds)), rss.peak_bytes))

    print()
    print(f"{'strategy':>10} {'stride':>6} {'predicted peak':>15} {'measured peak':>14} "
          f"{'step ms':>8} {'peak RSS MiB':>13}")
    for name, stride, predicted, measured, step, peak_rss in rows:
        print(f"{name:>10} {stride:>6} {predicted:>15,} {measured:>14,} "
              f"{step * 1e3:>8.3f} {peak_rss / MiB:>13.1f}")
    print("(peak activation bytes of one step; step time is the median over all steps)")
    if len(fingerprints) > 1:
        same = len({tuple(f) for f in fingerprints.values()}) == 1
        print("weights after every epoch bitwise equal across strategies: "
              f"{'yes' if same else 'NO'}")
    return 0


def run_epoch(trainer, quiet):
    from tqdm import tqdm

    batches = -(-len(trainer.data.x_train) // trainer.batch_size)
    with tqdm(total=batches, disable=quiet or None, leave=False, unit="batch",
              desc=f"epoch {trainer.epochs_done + 1}") as bar:
        def progress(loss):
            check_interrupted()
            bar.update()
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

        return trainer.epoch(progress)
