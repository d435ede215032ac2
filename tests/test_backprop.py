import numpy as np
import pytest

from engine.backprop import backprop, random_batch
from engine.ledger import Ledger
from engine.model import MLP
from engine.schedule import predict

CASES = [  # (layer sizes, strategies): depth 1, strides 1, = depth, > depth, not dividing
    ([4, 3], ["naive", "sqrt", "stride:1", "stride:2"]),
    ([5, 7, 3, 9, 4], ["naive", "sqrt", "stride:1", "stride:2", "stride:3", "stride:4",
                       "stride:9"]),
    ([6] * 11, ["naive", "sqrt"] + [f"stride:{k}" for k in (1, 2, 3, 4, 7, 10, 11, 40)]),
    ([3, 17, 1, 8, 8, 30, 2, 5, 5, 11, 6, 4, 9, 3], ["naive", "sqrt", "stride:3",
                                                     "stride:5", "stride:13"]),
]


def batch_for(sizes, output, dtype, batch=6):
    inputs, targets = random_batch(sizes, batch, dtype, seed=3)
    if output == "softmax":
        targets = np.arange(batch) % sizes[-1]
    return inputs, targets


@pytest.mark.parametrize("sizes,strategies", CASES)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("output", ["softmax", "identity"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_measured_equals_predicted_and_gradients_are_bitwise_equal(
        sizes, strategies, activation, output, dtype):
    model = MLP(sizes, activation, output, dtype, seed=1)
    inputs, targets = batch_for(sizes, output, dtype)
    loss0, grads0 = backprop(model, inputs, targets, "naive")
    for strategy in strategies:
        ledger = Ledger()
        loss, grads = backprop(model, inputs, targets, strategy, ledger)
        expected = predict(sizes, len(inputs), dtype, strategy)
        assert ledger.peak_activation_bytes == expected.peak_activation_bytes, strategy
        assert ledger.forward_evals == expected.forward_layer_evals, strategy
        assert ledger.live_activation_bytes == 0, "the step leaked activations"
        assert loss == loss0
        for g, g0 in zip(grads, grads0):
            assert g.dtype == np.dtype(dtype)
            assert np.array_equal(g, g0), strategy


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("output", ["softmax", "identity"])
def test_gradients_match_central_differences(activation, output):
    # float64, step 1e-6: truncation and rounding errors stay below 1e-7 relative
    sizes = [4, 6, 5, 3]
    model = MLP(sizes, activation, output, "float64", seed=2)
    inputs, targets = batch_for(sizes, output, "float64", batch=5)
    _, grads = backprop(model, inputs, targets, "stride:2")
    rng = np.random.default_rng(0)
    for p, g in zip(model.parameters(), grads):
        for flat in rng.choice(p.size, size=min(4, p.size), replace=False):
            index = np.unravel_index(flat, p.shape)
            old = p[index]
            p[index] = old + 1e-6
            up = backprop(model, inputs, targets)[0]
            p[index] = old - 1e-6
            down = backprop(model, inputs, targets)[0]
            p[index] = old
            numeric = (up - down) / 2e-6
            assert numeric == pytest.approx(g[index], rel=1e-5, abs=1e-8)


def test_a_held_activation_shows_up_in_the_measurement():
    # keep every forward output alive from outside: naive memory under a sqrt plan
    sizes = [8] * 17
    model = MLP(sizes, "relu", "identity", "float64")
    inputs, targets = random_batch(sizes, 4, "float64")
    held = []
    forward = model.forward_layer
    model.forward_layer = lambda i, a, out: held.append(forward(i, a, out)) or held[-1]
    ledger = Ledger()
    backprop(model, inputs, targets, "sqrt", ledger)
    predicted = predict(sizes, 4, "float64", "sqrt").peak_activation_bytes
    assert ledger.peak_activation_bytes > predicted
    assert ledger.live_activation_bytes == sum(a.nbytes for a in held)
    held.clear()
    assert ledger.live_activation_bytes == 0


def test_timeline_is_a_saw_tooth_under_checkpointing():
    sizes = [4] * 17
    model = MLP(sizes, "tanh", "identity", "float32")
    inputs, targets = random_batch(sizes, 2, "float32")
    ledger = Ledger(timeline=True)
    backprop(model, inputs, targets, "stride:4", ledger)
    live = [bytes_ for _, bytes_ in ledger.timeline]
    assert max(live) == ledger.peak_activation_bytes and live[-1] == 0
    rises = sum(1 for a, b in zip(live, live[1:]) if b > a)
    recomputed = sum(1 for event, _ in ledger.timeline if event.startswith("+recomputed"))
    assert recomputed == 16 - 1 - 3
    assert rises == 16 + recomputed
