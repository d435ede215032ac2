"""Run a backprop plan on a model: one training step's loss and gradients.

Every strategy runs the same layer functions in the same order on the same
inputs, so the gradients of naive, stride:K and sqrt are bitwise equal; only
which activations are alive at each moment differs. Activations live in one
dict indexed by layer and leave it when the plan says ``free``: no other
reference is held, so the ledger sees the bytes go at that moment.
"""

import numpy as np

from engine.ledger import GRADIENT, Ledger
from engine.schedule import parse_strategy, plan, resolve_stride


def backprop(model, inputs, targets, strategy="naive", ledger=None, grads=None):
    """Loss and gradients (in ``model.parameters()`` order) for one batch.

    ``strategy`` is ``naive``, ``sqrt``, ``stride:K`` or a parsed Strategy;
    ``ledger`` (a fresh Ledger by default) counts what the step keeps alive.
    """
    if isinstance(strategy, str):
        strategy = parse_strategy(strategy)
    if ledger is None:
        ledger = Ledger()
    batch = inputs.shape[0]
    stride = resolve_stride(strategy, model.sizes, batch, model.dtype)
    kind = "activation" if strategy.name == "naive" else "checkpoint"
    ops = plan(model.depth, stride, kind)

    if grads is None:
        grads = [
            ledger.empty(p.shape, model.dtype, GRADIENT, f"grad{index}")
            for index, p in enumerate(model.parameters())
        ]
    acts = {0: inputs}
    state = {"loss": None, "delta": None}
    for op in ops:
        _run(op, model, acts, state, targets, grads, ledger)
    return state["loss"], grads


def _run(op, model, acts, state, targets, grads, ledger):
    # One operation per call, so that no local variable outlives its operation
    # and keeps a freed activation alive.
    name = op[0]
    if name == "forward":
        i, kind = op[1], op[2]
        out = ledger.empty((acts[i - 1].shape[0], model.sizes[i]), model.dtype, kind, f"a{i}")
        acts[i] = model.forward_layer(i, acts[i - 1], out)
        ledger.count_forward()
    elif name == "free":
        del acts[op[1]]
    elif name == "loss":
        state["loss"], state["delta"] = model.loss_and_delta(acts[model.depth], targets, ledger)
    else:
        i = op[1]
        state["delta"] = model.backward_layer(i, acts[i - 1], state["delta"], grads, ledger)


def random_batch(sizes, batch, dtype, seed=0):
    """Seeded standard-normal inputs and regression targets for a network of these sizes."""
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((batch, sizes[0])).astype(dtype)
    targets = rng.standard_normal((batch, sizes[-1])).astype(dtype)
    return inputs, targets
