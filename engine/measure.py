"""One backprop step of an n-layer, width-d MLP, measured beside the theory.

This is the single entry point the command line, the asv suites and the
sweep scripts share, so they all measure the same thing the same way.
"""

import time

import numpy as np

from engine.backprop import backprop, random_batch
from engine.ledger import Ledger
from engine.memory import PeakRSS, check_fits, step_bytes
from engine.model import MLP
from engine.schedule import check_dtype, check_positive, parse_strategy, predict


def measure_step(depth, width, batch, strategy, dtype="float32", activation="relu",
                 repeats=1, seed=0, timeline=False):
    """Measure one step on seeded random regression data; returns a flat dict.

    The network has ``depth`` layers of ``width`` units and inputs of width
    ``width``, so one activation unit is width x batch x itemsize bytes. The
    first step runs under the ledger and the process-memory monitor; then
    ``repeats`` more steps are timed and the median is reported (the first
    step pays for first-touch page faults and is not timed).
    """
    check_positive("depth", depth)
    check_positive("width", width)
    check_positive("batch", batch)
    check_positive("repeats", repeats)
    parsed = parse_strategy(strategy) if isinstance(strategy, str) else strategy
    check_dtype(dtype)
    check_fits(step_bytes(depth, depth * (width + 1) * width, depth * width * batch,
                          np.dtype(dtype).itemsize),
               f"an MLP of depth {depth}, width {width} and batch {batch}")
    sizes = [width] * (depth + 1)
    prediction = predict(sizes, batch, dtype, parsed)
    model = MLP(sizes, activation, "identity", dtype, seed)
    inputs, targets = random_batch(sizes, batch, dtype, seed)
    grads = [np.full_like(p, 0) for p in model.parameters()]  # touched: not in the delta

    # the measured step: ledger and resident memory
    ledger = Ledger(timeline=timeline)
    with PeakRSS() as rss:
        backprop(model, inputs, targets, parsed, ledger, grads)

    # timed steps, with a ledger as in the measured step
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        backprop(model, inputs, targets, parsed, Ledger(), grads)
        seconds.append(time.perf_counter() - start)

    unit = width * batch * np.dtype(dtype).itemsize
    result = {
        "depth": depth,
        "width": width,
        "batch": batch,
        "dtype": str(np.dtype(dtype)),
        "activation": activation,
        "strategy": str(parsed),
        "stride": prediction.stride,
        "unit_bytes": unit,
        "peak_activation_bytes": ledger.peak_activation_bytes,
        "predicted_peak_activation_bytes": prediction.peak_activation_bytes,
        "peak_activation_units": ledger.peak_activation_bytes / unit,
        "forward_layer_evals": ledger.forward_evals,
        "predicted_forward_layer_evals": prediction.forward_layer_evals,
        "peak_workspace_bytes": ledger.peak["workspace"],
        "step_seconds": float(np.median(seconds)),
        "step_seconds_all": seconds,
        "repeats": repeats,
        "peak_rss_bytes": rss.peak_bytes,
        "rss_baseline_bytes": rss.baseline_bytes,
        "rss_delta_bytes": rss.delta_bytes,
        "rss_source": rss.source,
    }
    if timeline:
        result["timeline"] = ledger.timeline
    return result

