"""Backprop schedules: which activations to keep, which to recompute, and when.

Notation. The network has n layers; a_0 is the input batch (owned by the
caller, never counted) and a_i = f_i(a_{i-1} W_i + b_i) for i = 1..n. The
backward step through layer i needs only a_{i-1}: it forms the weight
gradient a_{i-1}^T delta_i and turns the gradient flowing back into
delta_{i-1} with f'(a_{i-1}); the loss turns a_n into delta_n.

A schedule with stride k keeps the checkpoints a_k, a_2k, ... (below n) from
the forward pass and drops every other activation as soon as the next layer
has consumed it. The backward pass walks the segments from the last to the
first, recomputes each segment's activations once from its checkpoint, and
drops each activation right after the backward step that consumes it. Plain
backprop is stride 1: everything is a checkpoint and nothing is recomputed.

A plan is a tuple of operations, pure data that can be printed, tested and
priced without running any arithmetic:

    ("forward", i, kind)   compute a_i from a_{i-1}, keep it under ``kind``
    ("loss",)              turn a_n and the targets into delta_n
    ("backward", i)        gradients of layer i, and delta_{i-1} if i > 1
    ("free", i)            drop a_i

Memory, in units of one activation (B x d x itemsize for equal widths d), for
n layers and stride k, with m = floor((n - 1) / k) checkpoints:

    peak(k) = max(m + 2, m + (n - 1 - m k), m - 1 + (k - 1))

(the forward pass, the last segment, any other segment; the exact walk below
also covers the edge cases), so plain backprop keeps n units and the best
stride, about sqrt n, keeps about 2 sqrt n (Chen et al. 2016, "Training Deep
Nets with Sublinear Memory Cost", section 4). Every activation below a_n that
is not a checkpoint is recomputed once, so a step costs n + (n - 1 - m) layer
forward evaluations: about one extra forward pass.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.errors import EngineError

DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Strategy:
    """A parsed strategy: ``naive``, ``sqrt`` or ``stride`` with its ``stride``."""

    name: str
    stride: int | None = None

    def __str__(self):
        return f"stride:{self.stride}" if self.name == "stride" else self.name


def parse_strategy(text):
    """Parse ``naive``, ``sqrt`` or ``stride:K`` (K >= 1)."""
    if text in ("naive", "sqrt"):
        return Strategy(text)
    if isinstance(text, str) and text.startswith("stride:"):
        if not re.fullmatch(r"stride:[1-9][0-9]*", text, flags=re.ASCII):
            raise EngineError(
                f"strategy {text!r}: the stride must be an integer >= 1, written in digits"
            )
        return Strategy("stride", int(text[len("stride:"):]))
    raise EngineError(
        f"strategy {text!r} is unknown: use naive, sqrt or stride:K with K >= 1"
    )


@lru_cache(maxsize=256)
def plan(n, stride, kind="checkpoint"):
    """The operations of one backprop step over ``n`` layers with checkpoint ``stride``.

    Kept forward activations are tagged ``kind``; the transient ones
    ``activation``; recomputed ones ``recomputed``.
    """
    if n < 1 or stride < 1:
        raise ValueError(f"need n >= 1 and stride >= 1, got n={n}, stride={stride}")
    kept = set(range(stride, n, stride))
    ops = []

    # forward: keep the checkpoints, drop the rest once consumed
    for i in range(1, n + 1):
        ops.append(("forward", i, kind if i in kept else "activation"))
        if i - 1 >= 1 and i - 1 not in kept:
            ops.append(("free", i - 1))
    ops.append(("loss",))
    ops.append(("free", n))

    # backward: segments [c, e) from the last to the first
    starts = [0, *sorted(kept)]
    ends = [*sorted(kept), n]
    for c, e in reversed(list(zip(starts, ends))):
        for i in range(c + 1, e):
            ops.append(("forward", i, "recomputed"))
        for i in range(e, c, -1):
            ops.append(("backward", i))
            if i - 1 >= 1:
                ops.append(("free", i - 1))
    return tuple(ops)


def resolve_stride(strategy, sizes, batch=1, dtype="float32"):
    """The checkpoint stride a strategy uses on a network with these layer sizes.

    ``sqrt`` takes the stride with the smallest predicted peak, the smallest
    such stride (fewest recomputations) among ties.
    """
    if strategy.name == "naive":
        return 1
    if strategy.name == "stride":
        return strategy.stride
    return _best_stride(tuple(int(s) for s in sizes), int(batch), str(np.dtype(dtype)))


@lru_cache(maxsize=256)
def _best_stride(sizes, batch, dtype):
    # cached: a training run asks once per step with the same sizes
    return int(np.argmin(peaks_by_stride(sizes, batch, dtype))) + 1


def peaks_by_stride(sizes, batch, dtype):
    """Peak activation bytes for strides k = 1, 2, ..., in O(n) array work per k.

    The same quantity as ``walk(plan(n, k), ...)``, read off prefix sums: in
    the forward pass computing a_i holds the checkpoints below i - 1, a_{i-1}
    and a_i; recomputing the segment [c, e) holds the checkpoints up to c and
    a_{c+1} .. a_{e-1}. The first segment alone recomputes min(k, n) - 1
    activations, a bound that grows with k: the list stops at the first k
    whose bound exceeds the best peak so far, as no larger stride can do
    better (about 2 sqrt n strides for equal widths).
    """
    n = len(sizes) - 1
    nbytes = np.array(sizes, dtype=np.int64) * batch * np.dtype(dtype).itemsize
    nbytes[0] = 0  # the input belongs to the caller
    total = np.cumsum(nbytes)
    smallest = nbytes[1:].min()
    peaks = []
    for k in range(1, n + 1):
        if peaks and (k - 1) * smallest > min(peaks):
            break
        starts = np.arange(0, n, k)  # a_0 and the checkpoints
        kept = np.zeros(n + 1, dtype=np.int64)
        kept[starts[1:]] = nbytes[starts[1:]]
        kept_total = np.cumsum(kept)
        below = np.concatenate(([0, 0], kept_total[: n - 1]))  # checkpoints < i - 1
        forward = below[1:] + nbytes[:-1] + nbytes[1:]
        ends = np.append(starts[1:], n)
        segment = kept_total[starts] + total[ends - 1] - total[starts]
        peaks.append(max(forward.max(), segment.max()))
    return np.array(peaks)


def walk(ops, sizes, batch, dtype):
    """(peak activation bytes, layer forward evaluations) of a plan, without arithmetic."""
    itemsize = np.dtype(dtype).itemsize
    live = peak = evals = 0
    for op in ops:
        if op[0] == "forward":
            live += batch * sizes[op[1]] * itemsize
            peak = max(peak, live)
            evals += 1
        elif op[0] == "free":
            live -= batch * sizes[op[1]] * itemsize
    assert live == 0, "a plan must release every activation it makes"
    return peak, evals


@dataclass(frozen=True)
class Prediction:
    stride: int
    peak_activation_bytes: int
    forward_layer_evals: int


def predict(sizes, batch, dtype, strategy):
    """Peak activation bytes and layer forward evaluations of one step, from theory."""
    check_sizes(sizes)
    check_positive("batch", batch)
    check_dtype(dtype)
    if isinstance(strategy, str):
        strategy = parse_strategy(strategy)
    n = len(sizes) - 1
    stride = resolve_stride(strategy, sizes, batch, dtype)
    peak, evals = walk(plan(n, stride), sizes, batch, dtype)
    return Prediction(stride, peak, evals)


def units_formula(n, k):
    """Closed-form peak in activation units for n equal-width layers and stride k."""
    m = (n - 1) // k
    forward = m + 1 + (1 if n >= 2 and (n - 1) % k != 0 else 0)
    last = m + (n - 1 - m * k)
    other = m - 1 + (k - 1) if m >= 1 else 0
    return max(forward, last, other)


def check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise EngineError(f"{name} {value!r} is invalid: it must be an integer >= 1")


def check_sizes(sizes):
    if len(sizes) < 2:
        raise EngineError(
            f"layer sizes {list(sizes)!r} are invalid: give at least an input "
            "and an output size"
        )
    for size in sizes:
        check_positive("layer size", size)


def check_dtype(dtype):
    if str(dtype) not in DTYPES:
        raise EngineError(f"dtype {dtype!r} is unknown: use float32 or float64")
