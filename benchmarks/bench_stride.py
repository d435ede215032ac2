"""One backprop step of a 64-layer MLP for every checkpoint stride k from 1 to n.

Stride 1 is plain backprop; stride n keeps no checkpoint and recomputes the
whole forward pass.
"""

import engine

from . import common


class BackpropStep:
    params = common.STRIDES
    param_names = ["stride"]
    version = "1"

    def setup(self, stride):
        self.strategy = common.stride_strategy(stride)
        self.model, self.inputs, self.targets = common.network(common.STRIDE_DEPTH)
        self.grads = common.zero_grads(self.model)
        self.ledger = engine.Ledger()

    def time_backprop_step(self, stride):
        engine.backprop(
            self.model,
            self.inputs,
            self.targets,
            self.strategy,
            self.ledger,
            self.grads,
        )


class ActivationMemory:
    params = common.STRIDES
    param_names = ["stride"]
    unit = "bytes"
    version = "1"

    def setup(self, stride):
        strategy = common.stride_strategy(stride)
        self.result = common.measure(common.STRIDE_DEPTH, strategy)

    def track_peak_activation_bytes(self, stride):
        return self.result["peak_activation_bytes"]

    # RSS growth during the step over the RSS just before it (see bench_depth).
    def track_step_rss_delta_bytes(self, stride):
        return self.result["rss_delta_bytes"]


class Recomputation:
    params = common.STRIDES
    param_names = ["stride"]
    unit = "evaluations"
    version = "1"

    def setup(self, stride):
        strategy = common.stride_strategy(stride)
        self.result = common.measure(common.STRIDE_DEPTH, strategy)

    def track_forward_layer_evals(self, stride):
        return self.result["forward_layer_evals"]
