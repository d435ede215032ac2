"""A multilayer perceptron in NumPy: parameters, one layer forward, one layer backward.

Layer i (1..n) maps a_{i-1} (B x d_{i-1}) to a_i = f(a_{i-1} W_i + b_i)
(B x d_i), W_i being d_{i-1} x d_i. Hidden layers use sigmoid, tanh or relu;
the output layer uses softmax with cross-entropy or the identity with mean
squared error. Every derivative is written in terms of the layer's output, so
the backward pass needs the activations and nothing else.
"""

import numpy as np

from engine.errors import EngineError
from engine.ledger import WORKSPACE
from engine.schedule import check_dtype, check_sizes

ACTIVATIONS = ("sigmoid", "tanh", "relu")
OUTPUTS = ("softmax", "identity")


class MLP:
    """An MLP with seeded initialisation and float32 or float64 parameters.

    Weights are drawn from N(0, gain^2 / fan_in): gain^2 = 2 for relu
    (He et al. 2015, "Delving Deep into Rectifiers"), 1 for tanh and 16 for
    sigmoid, whose slope at zero is 1/4 (Glorot and Bengio 2010, "Understanding
    the difficulty of training deep feedforward neural networks"). Biases
    start at zero, except after a sigmoid layer: its outputs centre on 1/2,
    not 0, so the next layer's bias starts at -1/2 times the column sums of
    its weights, which centres that layer's pre-activations. With
    unit-variance weights instead, a 16-layer sigmoid net saturates and stays
    at chance accuracy.
    """

    def __init__(self, sizes, activation="relu", output="softmax", dtype="float32", seed=0):
        check_sizes(sizes)
        if activation not in ACTIVATIONS:
            raise EngineError(
                f"activation {activation!r} is unknown: use one of {', '.join(ACTIVATIONS)}"
            )
        if output not in OUTPUTS:
            raise EngineError(f"output {output!r} is unknown: use softmax or identity")
        check_dtype(dtype)
        self.sizes = [int(size) for size in sizes]
        self.activation = activation
        self.output = output
        self.dtype = np.dtype(dtype)

        gain2 = {"relu": 2.0, "tanh": 1.0, "sigmoid": 16.0}[activation]
        rng = np.random.default_rng(seed)
        self.weights, self.biases = [], []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            weight = rng.standard_normal((fan_in, fan_out)) * np.sqrt(gain2 / fan_in)
            self.weights.append(weight.astype(self.dtype))
            self.biases.append(np.zeros(fan_out, self.dtype))
        if activation == "sigmoid":
            for w, b in zip(self.weights[1:], self.biases[1:]):
                b[:] = -0.5 * w.sum(axis=0)

    @property
    def depth(self):
        return len(self.sizes) - 1

    def parameters(self):
        """The parameter arrays in a fixed order: W_1, b_1, ..., W_n, b_n."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def forward_layer(self, i, a_prev, out):
        """a_i = f(a_{i-1} W_i + b_i), written into ``out`` in place."""
        np.matmul(a_prev, self.weights[i - 1], out=out)
        out += self.biases[i - 1]
        if i < self.depth:
            activate(self.activation, out)
        elif self.output == "softmax":
            out -= out.max(axis=1, keepdims=True)
            np.exp(out, out=out)
            out /= out.sum(axis=1, keepdims=True)
        return out

    def loss_and_delta(self, a_n, targets, ledger):
        """The loss and delta_n = dL/dz_n from the output a_n.

        Softmax with cross-entropy, L = -(1/B) sum_b log p[b, y_b], gives
        delta = (p - onehot(y)) / B. Identity with mean squared error,
        L = (1/(B m)) sum (a - y)^2, gives delta = 2 (a - y) / (B m).
        """
        batch = a_n.shape[0]
        delta = ledger.empty(a_n.shape, self.dtype, WORKSPACE, "delta")
        if self.output == "softmax":
            rows = np.arange(batch)
            with np.errstate(divide="ignore"):
                loss = -np.log(a_n[rows, targets]).mean(dtype=np.float64)
            np.divide(a_n, batch, out=delta)
            delta[rows, targets] -= self.dtype.type(1.0 / batch)
        else:
            np.subtract(a_n, targets, out=delta)
            loss = np.mean(np.square(delta, dtype=np.float64))
            delta *= self.dtype.type(2.0 / delta.size)
        return float(loss), delta

    def backward_layer(self, i, a_prev, delta, grads, ledger):
        """Gradients of W_i and b_i into ``grads``; returns delta_{i-1} (None for i = 1)."""
        np.matmul(a_prev.T, delta, out=grads[2 * (i - 1)])
        np.sum(delta, axis=0, out=grads[2 * i - 1])
        if i == 1:
            return None
        back = ledger.empty(a_prev.shape, self.dtype, WORKSPACE, f"delta{i - 1}")
        np.matmul(delta, self.weights[i - 1].T, out=back)
        scale_by_derivative(self.activation, back, a_prev, ledger)
        return back


def activate(name, z):
    """Apply the hidden activation to ``z`` in place."""
    if name == "relu":
        np.maximum(z, 0, out=z)
    elif name == "tanh":
        np.tanh(z, out=z)
    else:  # sigmoid(z) = (1 + tanh(z / 2)) / 2, which cannot overflow
        z *= 0.5
        np.tanh(z, out=z)
        z += 1
        z *= 0.5


def scale_by_derivative(name, grad, a, ledger):
    """grad *= f'(z), with f' written through the output a = f(z)."""
    if name == "relu":
        mask = ledger.empty(a.shape, np.bool_, WORKSPACE, "mask")
        np.greater(a, 0, out=mask)
        np.multiply(grad, mask, out=grad)
        return
    slope = ledger.empty(a.shape, a.dtype, WORKSPACE, "slope")
    if name == "tanh":  # 1 - a^2
        np.multiply(a, a, out=slope)
        np.subtract(1, slope, out=slope)
    else:  # sigmoid: a (1 - a)
        np.subtract(1, a, out=slope)
        slope *= a
    grad *= slope
