"""One training epoch on scikit-learn's bundled digits: plain backprop against sqrt(n).

Skipped (NotImplementedError from setup) on commits whose engine has no
engine.data or engine.train yet.
"""

from . import common


class TrainingEpoch:
    params = common.STRATEGIES
    param_names = ["strategy"]
    version = "1"
    # One epoch per sample, each from a freshly seeded trainer: the weights
    # change as they train, so epochs timed back to back would not do the same
    # work. engine.train's epoch() also evaluates on the train and test splits.
    number = 1

    def setup(self, strategy):
        self.trainer = common.digits_trainer(strategy)

    def time_epoch(self, strategy):
        self.trainer.epoch()
