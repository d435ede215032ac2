"""A NumPy MLP with plain and checkpointed backprop, and a ledger of live activation bytes."""

from engine.backprop import backprop, random_batch
from engine.errors import EngineError
from engine.ledger import Ledger, NullLedger
from engine.measure import measure_step
from engine.model import MLP
from engine.schedule import Prediction, Strategy, parse_strategy, plan, predict

__all__ = [
    "MLP",
    "EngineError",
    "Ledger",
    "NullLedger",
    "Prediction",
    "Strategy",
    "backprop",
    "measure_step",
    "parse_strategy",
    "plan",
    "predict",
    "random_batch",
]
