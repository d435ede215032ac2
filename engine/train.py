"""Mini-batch SGD with momentum and L2 on the weights, and evaluation.

The update for a weight W with gradient g, velocity v, rate lr, momentum mu
and L2 coefficient lam is

    v <- mu v - lr (g + lam W),    W <- W + v

and the same without the lam term for a bias. The batch order comes from a
seeded generator, so two runs with the same seed see the same batches; since
every strategy returns bitwise equal gradients, they end every epoch with
bitwise equal weights.
"""

import hashlib
import time
from dataclasses import dataclass

import numpy as np

from engine.backprop import backprop
from engine.errors import EngineError
from engine.ledger import Ledger
from engine.schedule import check_positive, parse_strategy


@dataclass
class EpochStats:
    epoch: int
    loss: float  # mean training loss over the epoch's batches
    train_metric: float  # accuracy (classification) or mean squared error
    test_metric: float
    seconds: float


class Trainer:
    """Trains ``model`` on ``data`` with one backprop strategy; ``ledger`` spans all steps."""

    def __init__(self, model, data, strategy="naive", batch_size=32, lr=0.05,
                 momentum=0.9, l2=1e-4, seed=0):
        check_hyperparameters(batch_size, lr, momentum, l2)
        check_model_fits_data(model.sizes, model.output, data)
        self.model, self.data = model, data
        self.strategy = parse_strategy(strategy) if isinstance(strategy, str) else strategy
        self.batch_size = batch_size
        self.lr, self.momentum, self.l2 = lr, momentum, l2
        self.rng = np.random.default_rng(seed)
        self.velocity = [np.zeros_like(p) for p in model.parameters()]
        self.grads = [np.full_like(p, 0) for p in model.parameters()]
        self.ledger = Ledger()
        self.step_seconds = []
        self.epochs_done = 0

    def step(self, inputs, targets):
        """One SGD step on a batch; returns its loss."""
        start = time.perf_counter()
        loss, grads = backprop(self.model, inputs, targets, self.strategy,
                               self.ledger, self.grads)
        self.step_seconds.append(time.perf_counter() - start)

        dtype = self.model.dtype.type
        lr, mu, lam = dtype(self.lr), dtype(self.momentum), dtype(self.l2)
        for index, (p, g, v) in enumerate(zip(self.model.parameters(), grads, self.velocity)):
            if index % 2 == 0:  # a weight: add the L2 term
                g += lam * p
            v *= mu
            v -= lr * g
            p += v
        return loss

    def epoch(self, progress=None):
        """One pass over the shuffled training set; raises EngineError if the loss turns NaN.

        ``progress`` is called with each batch's loss (for a progress bar).
        """
        self.epochs_done += 1
        start = time.perf_counter()
        order = self.rng.permutation(len(self.data.x_train))
        losses = []
        for first in range(0, len(order), self.batch_size):
            batch = order[first:first + self.batch_size]
            loss = self.step(self.data.x_train[batch], self.data.y_train[batch])
            if not np.isfinite(loss):
                raise EngineError(
                    f"the loss became {loss} in epoch {self.epochs_done} "
                    f"(strategy {self.strategy}): lower the learning rate")
            losses.append(loss)
            if progress is not None:
                progress(loss)
        seconds = time.perf_counter() - start
        return EpochStats(
            self.epochs_done,
            float(np.mean(losses)),
            evaluate(self.model, self.data.x_train, self.data.y_train),
            evaluate(self.model, self.data.x_test, self.data.y_test),
            seconds,
        )


def check_model_fits_data(sizes, output, data):
    """Raise EngineError unless the layer sizes and output suit the data set."""
    if sizes[0] != data.n_features or sizes[-1] != data.n_outputs:
        raise EngineError(
            f"layer sizes {list(sizes)} do not fit {data.name}: the first must be "
            f"{data.n_features} (features) and the last {data.n_outputs} (outputs)")
    expected = "softmax" if data.task == "classification" else "identity"
    if output != expected:
        raise EngineError(f"{data.name} is {data.task}: the output must be {expected}")


def check_hyperparameters(batch_size, lr, momentum, l2):
    """Raise EngineError naming the first value out of its range."""
    check_positive("batch size", batch_size)
    for name, value, rule, limit in (("learning rate", lr, lr > 0, "> 0"),
                                     ("momentum", momentum, 0 <= momentum < 1, "in [0, 1)"),
                                     ("L2", l2, l2 >= 0, ">= 0")):
        if not (np.isfinite(value) and rule):
            raise EngineError(f"{name} {value!r} is invalid: it must be {limit}")


def infer(model, inputs, batch_size=1024):
    """The network's outputs for ``inputs``, in batches, keeping no activations."""
    outputs = []
    for first in range(0, len(inputs), batch_size):
        a = inputs[first:first + batch_size]
        for i in range(1, model.depth + 1):
            a = model.forward_layer(i, a, np.empty((len(a), model.sizes[i]), model.dtype))
        outputs.append(a)
    return np.concatenate(outputs)


def evaluate(model, inputs, targets):
    """Accuracy for a softmax model, mean squared error for an identity one."""
    outputs = infer(model, inputs)
    if model.output == "softmax":
        return float(np.mean(outputs.argmax(axis=1) == targets))
    return float(np.mean((outputs.astype(np.float64) - targets) ** 2))


def fingerprint(model):
    """A SHA-256 of the parameters' bytes: equal fingerprints mean bitwise equal weights."""
    digest = hashlib.sha256()
    for p in model.parameters():
        digest.update(np.ascontiguousarray(p).tobytes())
    return digest.hexdigest()
