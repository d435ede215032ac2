"""One backprop step as depth n grows: plain backprop against sqrt(n) checkpoints."""

import engine

from . import common


class BackpropStep:
    params = (common.DEPTHS, common.STRATEGIES)
    param_names = ["depth", "strategy"]
    version = "1"

    def setup(self, depth, strategy):
        self.model, self.inputs, self.targets = common.network(depth)
        self.grads = common.zero_grads(self.model)
        self.ledger = engine.Ledger()

    def time_backprop_step(self, depth, strategy):
        engine.backprop(
            self.model, self.inputs, self.targets, strategy, self.ledger, self.grads
        )


class ActivationMemory:
    params = (common.DEPTHS, common.STRATEGIES)
    param_names = ["depth", "strategy"]
    unit = "bytes"
    version = "1"

    def setup(self, depth, strategy):
        self.result = common.measure(depth, strategy)

    def track_peak_activation_bytes(self, depth, strategy):
        return self.result["peak_activation_bytes"]

    # The growth of resident memory during the first measured step over the
    # RSS just before it, so the interpreter, imports and setup are excluded
    # (asv's peakmem_ would report the process's high-water mark since start).
    # Small activations reuse freed heap pages, so small networks read near 0.
    def track_step_rss_delta_bytes(self, depth, strategy):
        return self.result["rss_delta_bytes"]


class Recomputation:
    params = (common.DEPTHS, common.STRATEGIES)
    param_names = ["depth", "strategy"]
    unit = "evaluations"
    version = "1"

    def setup(self, depth, strategy):
        self.result = common.measure(depth, strategy)

    def track_forward_layer_evals(self, depth, strategy):
        return self.result["forward_layer_evals"]
