"""One training epoch on scikit-learn's bundled digits: plain backprop against sqrt(n).

Skipped (NotImplementedError from setup) on commits whose engine has no
engine.data or engine.train yet.
"""

from . import common


class TrainingEpoch:
    params = common.STRATEGIES
    param_names = ["strategy"]
    version = "1"

    def setup(self, strategy):
        self.trainer = common.digits_trainer(strategy)

    # Every call trains on, so later epochs start from trained weights; the
    # step count and shapes per epoch stay the same, and so does the cost.
    def time_epoch(self, strategy):
        self.trainer.epoch()
