"""The recommender: MovieLens data, a two-head factor model, training, evaluation.

Nothing here knows about Telegram; the bot imports this package, never the other way round.
"""

from recsys.config import TrainConfig
from recsys.model import FactorModel, UserVector
from recsys.train import Trainer

__all__ = ["FactorModel", "TrainConfig", "Trainer", "UserVector"]
