import numpy as np
import pytest

from engine.data import load_dataset
from engine.errors import EngineError
from engine.model import MLP
from engine.train import Trainer, evaluate, fingerprint


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", seed=0)


def test_digits_reach_95_percent_with_equal_weights_after_every_epoch(digits):
    prints, accuracy = {}, {}
    for strategy in ("naive", "sqrt"):
        model = MLP([64, 128, 128, 10], "relu", "softmax", "float32", seed=0)
        trainer = Trainer(model, digits, strategy, batch_size=32, lr=0.05, seed=0)
        prints[strategy] = []
        for _ in range(20):
            stats = trainer.epoch()
            prints[strategy].append(fingerprint(model))
        accuracy[strategy] = stats.test_metric
    assert prints["naive"] == prints["sqrt"]
    assert accuracy["naive"] >= 0.95


def test_deep_sigmoid_learns_with_scaled_init_and_not_with_unit_variance(digits):
    sizes = [64] + [64] * 16 + [10]
    scaled = MLP(sizes, "sigmoid", "softmax", "float32", seed=0)
    unit = MLP(sizes, "sigmoid", "softmax", "float32", seed=0)
    rng = np.random.default_rng(0)
    for w, b in zip(unit.weights, unit.biases):
        w[:] = rng.standard_normal(w.shape)
        b[:] = 0
    results = []
    for model in (scaled, unit):
        trainer = Trainer(model, digits, "sqrt", batch_size=32, lr=0.05, seed=0)
        for _ in range(5):
            stats = trainer.epoch()
        results.append(stats.test_metric)
    # measured here: 0.91 against 0.21 after five epochs (chance is 0.10)
    assert results[0] > 0.8, "scaled init should learn"
    assert results[1] < 0.3, "unit-variance init should stay near chance"


def test_regression_beats_the_mean_and_approaches_least_squares():
    data = load_dataset("diabetes", dtype="float64", seed=0)
    model = MLP([10, 16, 1], "tanh", "identity", "float64", seed=0)
    trainer = Trainer(model, data, "sqrt", batch_size=32, lr=0.01, momentum=0.9, seed=0)
    for _ in range(30):
        stats = trainer.epoch()
    assert stats.test_metric < 1.0  # predicting the mean scores about 1 (standardised)
    assert stats.test_metric < 1.3 * data.baseline_mse


def test_nan_loss_stops_naming_the_epoch(digits):
    model = MLP([64, 32, 10], "relu", "softmax", "float32", seed=0)
    trainer = Trainer(model, digits, "naive", batch_size=32, lr=1e4, seed=0)
    with pytest.raises(EngineError, match="in epoch 1"):
        for _ in range(3):
            trainer.epoch()


def test_l2_touches_weights_not_biases(digits, monkeypatch):
    model = MLP([64, 10], "relu", "softmax", "float64", seed=0)
    trainer = Trainer(model, digits, "naive", lr=0.1, momentum=0.0, l2=0.5)
    zero = [np.zeros_like(p) for p in model.parameters()]
    monkeypatch.setattr("engine.train.backprop", lambda *args: (0.0, zero))
    weights, bias = model.weights[0].copy(), model.biases[0].copy()
    trainer.step(digits.x_train[:4], digits.y_train[:4])
    np.testing.assert_allclose(model.weights[0], weights * (1 - 0.1 * 0.5), rtol=1e-15)
    np.testing.assert_array_equal(model.biases[0], bias)


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": 0.0}, "learning rate 0.0"),
    ({"lr": float("nan")}, "learning rate nan"),
    ({"momentum": 1.0}, "momentum 1.0"),
    ({"l2": -1.0}, "L2 -1.0"),
    ({"batch_size": 0}, "batch size 0"),
])
def test_bad_hyperparameters(digits, kwargs, message):
    model = MLP([64, 10], "relu", "softmax", "float32")
    with pytest.raises(EngineError, match=message):
        Trainer(model, digits, **kwargs)


def test_sizes_must_fit_the_data(digits):
    with pytest.raises(EngineError, match="first must be 64"):
        Trainer(MLP([10, 10], "relu", "softmax"), digits)


def test_evaluate_is_accuracy_for_softmax(digits):
    model = MLP([64, 10], "relu", "softmax", "float64", seed=0)
    accuracy = evaluate(model, digits.x_test, digits.y_test)
    assert 0.0 <= accuracy <= 1.0
