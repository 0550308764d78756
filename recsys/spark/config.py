"""Hyperparameters of the Spark engine, one documented field each."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from recsys.config import TrainConfig


@dataclass(frozen=True)
class SparkTrainConfig:
    """What a Spark training run produces, with the data and the seed.

    Regularisation follows Spark's ALS, which scales ``regParam`` by each row's number of
    ratings (weighted-λ, "ALS-WR"): the same per-rating convention as ``TrainConfig``.
    """

    factors: int = 32
    """Latent dimensions of the star head (Spark ALS ``rank``)."""

    reg_factors: float = 0.13
    """λ of the explicit ALS on the bias residuals, per rating."""

    star_iterations: int = 15
    """Explicit ALS iterations of the star head."""

    item_bias_damping: float = 5.0
    """A film's bias is its residuals' sum over (ratings + this): films with few ratings stay
    near the global mean (Koren's damped baseline)."""

    reg_bias: float = 0.03
    """L2 on a user's bias, per rating: their mean residual shrunk by 1/(1 + this). The same
    weighted penalty fold-in solves with, so folded-in and trained users agree."""

    bias_rounds: int = 2
    """Alternations of item and user biases before the factors are fitted."""

    rank_factors: int = 32
    """Latent dimensions of the rank head."""

    rank_alpha: float = 2.0
    """Confidence α of Spark's implicit ALS: a rated cell r weighs 1 + α·|r|, an unrated one 1.
    With binary input that is the project's weighted MF with unrated weight w0 = 1 / (1 + α)
    (w0 = 0.2 at α = 4)."""

    rank_reg: float = 0.3
    """λ of the implicit ALS, per rating (Spark scales it by each row's rating count)."""

    rank_iterations: int = 15
    """Implicit ALS iterations of the rank head."""

    rank_input: Literal["binary", "stars"] = "stars"
    """What Spark's implicit ALS sees in a rated cell: 1 (which films a user rated, the
    project's weighted MF up to its targets) or stars − ``rank_offset``: confidence grows
    with the distance from the offset, and a rating below it says "seen, not liked"
    (preference 0), where the project's weighted MF gives low stars a low target."""

    rank_offset: float = 2.5
    """Subtracted from the stars when ``rank_input`` is "stars": 4 and 5 stars are strong
    "liked", 3 a weak one, 1 and 2 "seen, not liked". Chosen on ML-100k with the rest: binary
    input reached NDCG@10 0.356 at best (α 1–20, λ 0.05–2), this 0.386 on the same fold."""

    blocks: int = 0
    """User and item blocks of Spark's ALS (its unit of parallel work); 0: the session's
    default parallelism (the cores of local mode or of the cluster)."""

    seed: int = 0
    """Seeds Spark's factor initialisation: same data, seed and partitioning, same model."""

    checkpoint_interval: int = 10
    """ALS iterations between checkpoints: without them the lineage of 20+ iterations
    overflows the JVM stack."""

    @classmethod
    def from_train_config(cls, config: TrainConfig) -> SparkTrainConfig:
        """The Spark run that matches a torch ``TrainConfig`` where the two share a meaning:
        the star head's factors and the seed. Regularisation keeps Spark's tuned values (the
        torch rank head's λ is not weighted per rating; the star head has no ALS twin), and
        so does the rank head's size: the two rank heads are different models (weighted MF
        on star targets; implicit ALS on stars − 2.5 as confidences), and the torch head's 64
        factors cost Spark's new users (ML-100k, folded in from 10 ratings: NDCG@10 0.4495
        at 64 against 0.4642 at 32; trained users 0.3922 against 0.3862 on fold 0)."""
        return replace(cls(), factors=config.factors, seed=config.seed)

    @property
    def unobserved_weight(self) -> float:
        """w0 of the project's weighted MF that ``rank_alpha`` stands for."""
        return 1.0 / (1.0 + self.rank_alpha)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
