"""Hyperparameters of a training run, one documented field each."""

from __future__ import annotations

import ast
import functools
import inspect
import json
import textwrap
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

_Solver = Literal["adam", "als"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run produces (with the data and the seed)."""

    star_solver: _Solver = "als"
    """How the star head is fitted: explicit biased ALS with weighted-λ regularisation (no
    implicit term), or minibatch Adam on biased MF with an SVD++-style implicit term. ALS is
    the default since the Bayesian head joined the blend: on ML-100k fold 0 the blend with
    ALS scored RMSE 0.8875 against 0.8884 with Adam, in half the training time."""

    factors: int = 32
    """Latent dimensions of the star head."""

    reg_factors: float = 0.15
    """L2 on user and item factors, per rating (weighted-λ: a user with n ratings pays n·λ)."""

    reg_bias: float = 0.03
    """L2 on user and item biases, per rating."""

    reg_implicit: float = 1.5
    """L2 on the implicit item vectors y_j, per rating (Adam only)."""

    implicit: bool = True
    """Add the SVD++-style term |N(u)|^-½ Σ_{j∈N(u)} y_j to each user (Adam only)."""

    learning_rate: float = 0.02
    """Adam step size."""

    learning_rate_decay: float = 0.95
    """Multiplies the Adam step size after every epoch: big steps first, fine ones at the end."""

    batch_size: int = 16384
    """Ratings per Adam step."""

    epochs: int = 80
    """Upper bound on star-head epochs (Adam passes or ALS sweeps); early stopping ends sooner."""

    rank_factors: int = 64
    """Latent dimensions of the rank head. 64 rather than 32: ML-100k fold 0 NDCG@10 0.3977
    -> 0.4049 (new users 0.4992 -> 0.4998) for about a second more of training."""

    rank_reg: float = 30.0
    """L2 on rank-head factors (the same for every row: popular films are not penalised more),
    as on a catalogue of ML-100k's size; a wider one gets more (:mod:`recsys.rankscale`)."""

    rank_unobserved_weight: float = 0.2
    """Weight w0 of every unrated cell (target 0) in the rank head; rated cells weigh 1. As on
    a catalogue of ML-100k's size; a wider one gets less (:mod:`recsys.rankscale`)."""

    rank_sweeps: int = 15
    """Upper bound on rank-head ALS sweeps; early stopping on validation NDCG ends sooner."""

    neighbours: int = 40
    """Neighbours kept per film by the item-KNN head blended into star predictions; 0 turns
    the head off."""

    neighbour_shrinkage: float = 100.0
    """Shrinks the similarity of films with few raters in common towards 0."""

    neighbour_max_items: int = 10_000
    """Only this many of the most rated films get neighbours (0: every film); for the others
    the head predicts its damped baseline, which the blend weighs with the star head (on
    validation that beat the star head alone for such films). The similarity work grows
    with ratings × films and its matrix with films², 400 MB at 10,000 films."""

    bayes_factors: int = 10
    """Latent dimensions of the Bayesian head (recsys/bayes.py), blended into star
    predictions."""

    bayes_samples: int = 80
    """Gibbs samples the Bayesian head averages; 0 turns the head off. Each sample keeps
    (k + 1) numbers per user and per film in the model file."""

    bayes_burn_in: int = 20
    """Gibbs sweeps thrown away before samples are kept."""

    blend_support: bool = True
    """Let each head's blend weight move with the user's and the film's number of ratings
    (recsys/blend.py); off, one weight per head."""

    genre_prior: float = 5.0
    """κ of the genre prior (recsys/genres.py), in ratings: after training, a film with n
    ratings moves its star-head factors towards its genres' mean by κ / (n + κ).
    0 turns it off; it needs the catalogue's genres (``Trainer.fit(ratings, genres)``). On
    MovieLens 100k κ = 5 cut RMSE on films with under 10 training ratings by 3% before the
    Bayesian head joined the blend; with it, it changes that RMSE by +0.1% and helps films
    made cold by 0.2-0.3% (recsys/genre_eval.py; README, "Genres for films with few
    ratings")."""

    validation_share: float = 0.1
    """Share of ratings held out to choose the number of epochs; 0 trains blind for
    ``epochs`` / ``rank_sweeps``."""

    patience: int = 5
    """Epochs without validation improvement before stopping."""

    min_improvement: float = 0.0
    """Relative validation improvement below which an epoch does not count as progress. ALS
    keeps improving validation RMSE by ~1e-6 a sweep long after it has converged, so without
    it ``patience`` never fires and training runs to ``epochs``."""

    refit: bool = True
    """After early stopping, bring the validation share in: users solved again on all their
    ratings, rank and neighbour heads fitted again on everything."""

    seed: int = 0
    """Seeds initialisation, the validation split and minibatch order: same seed, same model."""

    def __post_init__(self) -> None:
        for name in _RANGES:
            check_setting(name, getattr(self, name))

    @classmethod
    def for_scale(cls) -> TrainConfig:
        """Settings for millions of ratings (ML-10M and up): explicit ALS for stars (Adam's
        implicit term costs the square of the ratings), neighbours for the 4,000 most rated
        films only, 64 factors, early stopping that ignores sub-0.01% gains, and no Bayesian
        head (its samples would hold samples × 11 numbers per user)."""
        return cls(
            star_solver="als", factors=64, reg_factors=0.12, epochs=30, rank_factors=64,
            rank_sweeps=15, neighbour_max_items=4_000, patience=3, min_improvement=1e-4,
            bayes_samples=0,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_settings(self, settings: dict[str, Any], source: str = "settings") -> TrainConfig:
        """This config with ``settings`` (field name → value) applied, each checked: an unknown
        name or a value of the wrong type is a ValueError naming it."""
        known = {f.name: type(getattr(self, f.name)) for f in fields(self)}
        checked: dict[str, Any] = {}
        for name, value in settings.items():
            if name not in known:
                raise ValueError(f"{source}: unknown training setting {name!r}")
            kind = known[name]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)  # JSON writes 30.0 as 30
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ValueError(f"{source}: {name} must be a {kind.__name__}, not {value!r}")
            checked[name] = value
        if checked.get("star_solver", self.star_solver) not in get_args(_Solver):
            raise ValueError(f"{source}: star_solver must be one of {get_args(_Solver)}")
        try:
            return replace(self, **checked)
        except ValueError as exc:  # a value out of its range
            raise ValueError(f"{source}: {exc}") from None

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> None:
        """Write a config file :meth:`from_file` reads: every setting under ``"config"``, and
        ``extra`` (how it was chosen, say) beside it."""
        body = {"config": self.to_dict(), **(extra or {})}
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(body, indent=2) + "\n")

    @classmethod
    def from_file(cls, path: str | Path) -> TrainConfig:
        """The settings of a config file (``recsys tune`` writes them) over the defaults;
        settings the file leaves out keep their default."""
        try:
            body = json.loads(Path(path).read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not a JSON training config ({exc})") from exc
        if not isinstance(body, dict) or not isinstance(body.get("config"), dict):
            raise ValueError(f"{path}: a training config holds its settings under 'config'")
        return cls().with_settings(body["config"], str(path))


_AT_LEAST_1 = (1, None, "at least 1")
_AT_LEAST_0 = (0, None, "0 or more")
_RANGES: dict[str, tuple[float, float | None, str]] = {
    "factors": _AT_LEAST_1,
    "reg_factors": _AT_LEAST_0,
    "reg_bias": _AT_LEAST_0,
    "reg_implicit": _AT_LEAST_0,
    "learning_rate": (1e-12, None, "above 0"),
    "learning_rate_decay": (1e-12, 1, "above 0 and at most 1"),
    "batch_size": _AT_LEAST_1,
    "epochs": _AT_LEAST_1,
    "rank_factors": _AT_LEAST_1,
    "rank_reg": (1e-12, None, "above 0"),
    "rank_unobserved_weight": (0, 1, "between 0 and 1"),
    "rank_sweeps": _AT_LEAST_1,
    "neighbours": _AT_LEAST_0,
    "neighbour_shrinkage": _AT_LEAST_0,
    "neighbour_max_items": _AT_LEAST_0,
    "bayes_factors": _AT_LEAST_1,
    "bayes_samples": _AT_LEAST_0,
    "bayes_burn_in": _AT_LEAST_0,
    "genre_prior": _AT_LEAST_0,
    "validation_share": (0, 0.5, "between 0 and 0.5"),
    "patience": _AT_LEAST_1,
    "min_improvement": _AT_LEAST_0,
    "seed": (0, 2**32 - 1, "between 0 and 4294967295"),
}
"""What a setting may be (low, high or None, in words); anything else is a ValueError naming
the setting, whether it came from a flag, a config file or the bot's TRAIN_* settings."""


def check_setting(name: str, value: float) -> None:
    """A ValueError when ``value`` is out of ``name``'s range (NaN included)."""
    if name not in _RANGES:
        return
    low, high, words = _RANGES[name]
    if not (low <= value and (high is None or value <= high)):
        raise ValueError(f"{name} must be {words}, not {value!r}")


@functools.cache
def field_docs() -> dict[str, str]:
    """Each TrainConfig field's docstring, the string under it in the source (what --help
    shows; Python keeps no attribute docstrings at run time)."""
    body = ast.parse(textwrap.dedent(inspect.getsource(TrainConfig))).body[0]
    assert isinstance(body, ast.ClassDef)
    docs: dict[str, str] = {}
    for field, text in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(field, ast.AnnAssign)
            and isinstance(field.target, ast.Name)
            and isinstance(text, ast.Expr)
            and isinstance(text.value, ast.Constant)
            and isinstance(text.value.value, str)
        ):
            docs[field.target.id] = " ".join(text.value.value.split())
    return docs
