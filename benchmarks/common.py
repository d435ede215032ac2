"""Seeded networks, batches and measurements shared by every asv suite.

Only ever add to this module: the suites' recorded history depends on the
data they build staying the same from commit to commit.
"""

import functools
import importlib

import numpy as np

import engine

# n (depth) varies per suite; d (width) and B (batch) stay small so that a
# full --quick sweep takes about a minute on two cores.
WIDTH = 64
BATCH = 64
DTYPE = "float32"
SEED = 0

DEPTHS = [4, 8, 16, 32, 64, 128, 256, 512, 1024]
STRATEGIES = ["naive", "sqrt"]
STRIDE_DEPTH = 64
STRIDES = [1, 2, 4, 8, 16, 32, 64]


def sizes(depth, width=WIDTH):
    """Layer widths of an n-layer, width-d MLP, input first: [d] * (n + 1)."""
    return [width] * (depth + 1)


@functools.cache
def network(depth, width=WIDTH, batch=BATCH, dtype=DTYPE, seed=SEED):
    """(model, inputs, targets): the network and batch engine.measure_step builds.

    Cached, so asv's repeated setup calls build each network once per process.
    backprop only reads the model, so sharing it between calls is safe.
    """
    layer_sizes = sizes(depth, width)
    model = engine.MLP(layer_sizes, "relu", "identity", dtype, seed)
    inputs, targets = engine.random_batch(layer_sizes, batch, dtype, seed)
    return model, inputs, targets


def zero_grads(model):
    """Buffers for backprop's ``grads``, touched now so no timed step pays for them."""
    return [np.full_like(p, 0) for p in model.parameters()]


def measure(depth, strategy, width=WIDTH, batch=BATCH):
    """engine.measure_step on the network network() builds, checked against predict.

    Raises AssertionError when the ledger's peak activation bytes or layer
    forward evaluations differ from the prediction, so the benchmark fails
    instead of recording a figure the theory does not explain.
    """
    measure_step = require("engine", "measure_step")
    predict = require("engine", "predict")

    # A dropped warm-up step on a 2-layer network first: the first backprop in
    # a process grows RSS by about 0.6 MB of one-time allocations (NumPy and
    # interpreter internals) that would otherwise land in the step's RSS delta.
    measure_step(2, width, batch, "naive", DTYPE, seed=SEED)
    result = measure_step(depth, width, batch, strategy, DTYPE, seed=SEED)
    predicted = predict(sizes(depth, width), batch, DTYPE, strategy)
    expected = {
        "peak_activation_bytes": predicted.peak_activation_bytes,
        "forward_layer_evals": predicted.forward_layer_evals,
    }
    for key, value in expected.items():
        if result[key] != value:
            raise AssertionError(
                f"{key} measured {result[key]} but engine.predict says {value} "
                f"for depth={depth}, width={width}, batch={batch}, "
                f"strategy={strategy!r}"
            )
    return result


def stride_strategy(stride):
    """The engine's strategy string for checkpoint stride k."""
    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride {stride!r} is invalid: it must be an integer >= 1")
    return f"stride:{stride}"


def require(module, name):
    """``module.name`` from the engine under test, or NotImplementedError (asv's skip).

    An older commit's engine may lack a newer piece; raising from setup makes
    asv record the benchmark as skipped for that commit instead of failing it.
    """
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is None or not module.startswith(error.name):
            raise
        raise NotImplementedError(
            f"the engine at this commit has no module {module}"
        ) from None
    if not hasattr(found, name):
        raise NotImplementedError(f"the engine at this commit has no {module}.{name}")
    return getattr(found, name)


TRAIN_DEPTH = 16
TRAIN_WIDTH = 64
TRAIN_BATCH = 64


@functools.cache
def digits():
    """scikit-learn's bundled 8 x 8 digits, split by the engine with the shared seed."""
    load_dataset = require("engine.data", "load_dataset")
    return load_dataset("digits", seed=SEED)


def digits_trainer(strategy, depth=TRAIN_DEPTH, width=TRAIN_WIDTH, batch=TRAIN_BATCH):
    """A fresh engine.train.Trainer for a depth-n, width-d classifier on digits."""
    trainer_class = require("engine.train", "Trainer")
    data = digits()
    layer_sizes = [data.x_train.shape[1]] + [width] * (depth - 1) + [data.n_classes]
    model = engine.MLP(layer_sizes, "relu", "softmax", DTYPE, SEED)
    return trainer_class(
        model,
        data,
        strategy,
        batch_size=batch,
        lr=0.01,
        momentum=0.9,
        l2=0.0,
        seed=SEED,
    )
