"""The model file: safetensors for the arrays, one JSON header for everything else.

No pickle anywhere; a write is atomic, so a crash mid-write leaves the previous file whole.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from recsys.bayes import BayesHead
from recsys.blend import Blend
from recsys.genres import GenrePrior
from recsys.neighbours import NeighbourHead
from recsys.similarity import SimilarFilms
from recsys.solve import RowMatrix
from recsys.vocab import Vocabulary

if TYPE_CHECKING:
    from recsys.model import FactorModel

FORMAT_VERSION = 1
_METADATA_KEY = "moviebot"


def save_model(model: FactorModel, path: str | Path) -> None:
    """Write ``model`` to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {
        "item_ids": torch.from_numpy(model.items.ids.copy()),
        "user_ids": torch.from_numpy(model.users.ids.copy()),
        "item_bias": model.item_bias,
        "item_factors": model.item_factors,
        "implicit_factors": model.implicit_factors,
        "user_bias": model.user_bias,
        "user_factors": model.user_factors,
        "rank_item_factors": model.rank_item_factors,
        "rank_user_factors": model.rank_user_factors,
        "item_popularity": model.item_popularity,
    }
    if model.neighbours is not None:
        tensors["neighbour_item_bias"] = torch.from_numpy(model.neighbours.item_bias)
        tensors["neighbour_rows"] = torch.from_numpy(model.neighbours.neighbour_rows)
        tensors["neighbour_weights"] = torch.from_numpy(model.neighbours.neighbour_weights)
    if model.rated is not None:
        tensors["rated_indptr"] = torch.from_numpy(model.rated.indptr)
        tensors["rated_items"] = torch.from_numpy(model.rated.indices.astype(np.int32))
        tensors["rated_stars"] = torch.from_numpy(model.rated.values)
    if model.similar is not None:
        tensors["similar_rows"] = torch.from_numpy(model.similar.rows)
        tensors["similar_scores"] = torch.from_numpy(model.similar.scores)
    if model.bayes is not None:
        tensors["bayes_item_factors"] = torch.from_numpy(model.bayes.item_factors)
        tensors["bayes_item_bias"] = torch.from_numpy(model.bayes.item_bias)
        tensors["bayes_user_samples"] = torch.from_numpy(model.bayes.user_samples)
        tensors["bayes_user_prior"] = torch.from_numpy(model.bayes.user_prior)
    if model.genre_prior is not None:
        tensors["genre_factors"] = torch.from_numpy(model.genre_prior.factors)
    header = {
        "format_version": FORMAT_VERSION,
        "global_mean": model.global_mean,
        "rating_scale": list(model.rating_scale),
        "unseen_item_stars": model.unseen_item_stars,
        "fold_in": model.fold_in_settings.__dict__,
        "blend": model.blend.to_list(),
        "neighbours": None
        if model.neighbours is None
        else {"global_mean": model.neighbours.global_mean, "reg_user": model.neighbours.reg_user},
        "bayes": None if model.bayes is None else {"global_mean": model.bayes.global_mean},
        "genre_prior": None
        if model.genre_prior is None
        else {"names": list(model.genre_prior.names), "strength": model.genre_prior.strength},
        "metadata": dict(model.metadata),
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_file(
            {k: v.contiguous() for k, v in tensors.items()},
            tmp,
            metadata={_METADATA_KEY: json.dumps(header)},
        )
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model is not a secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model_fields(path: str | Path) -> dict[str, Any]:
    """The keyword arguments of :class:`recsys.model.FactorModel` stored in ``path``, with
    the fold-in settings as the plain dict they were saved as (``"fold_in"``)."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as fh:
            raw = (fh.metadata() or {}).get(_METADATA_KEY)
            tensors = {name: fh.get_tensor(name) for name in fh.keys()}  # noqa: SIM118
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise ValueError(f"{path}: not a moviebot model file ({exc})") from exc
    if raw is None:
        raise ValueError(f"{path}: not a moviebot model file (no metadata)")
    header = json.loads(raw)
    if header.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path}: model format {header.get('format_version')} is not supported "
            f"(this version reads format {FORMAT_VERSION}); retrain the model"
        )
    neighbours = None
    if header.get("neighbours") is not None:
        neighbours = NeighbourHead(
            item_bias=tensors.pop("neighbour_item_bias").numpy(),
            neighbour_rows=tensors.pop("neighbour_rows").numpy(),
            neighbour_weights=tensors.pop("neighbour_weights").numpy(),
            **header["neighbours"],
        )
    rated = None
    if "rated_indptr" in tensors:  # absent from files written before it
        rated = RowMatrix(
            tensors.pop("rated_indptr").numpy(),
            tensors.pop("rated_items").numpy().astype(np.int64),
            tensors.pop("rated_stars").numpy(),
        )
    bayes = None
    if header.get("bayes") is not None:  # absent from files written before it
        bayes = BayesHead(
            global_mean=float(header["bayes"]["global_mean"]),
            item_factors=tensors.pop("bayes_item_factors").numpy(),
            item_bias=tensors.pop("bayes_item_bias").numpy(),
            user_samples=tensors.pop("bayes_user_samples").numpy(),
            user_prior=tensors.pop("bayes_user_prior").numpy(),
        )
    genre_prior = None
    if header.get("genre_prior") is not None:  # absent from files written before it
        genre_prior = GenrePrior(
            names=tuple(header["genre_prior"]["names"]),
            factors=tensors.pop("genre_factors").numpy(),
            strength=float(header["genre_prior"]["strength"]),
        )
    similar = None
    if "similar_rows" in tensors:  # absent from files written before it
        similar = SimilarFilms(
            tensors.pop("similar_rows").numpy(), tensors.pop("similar_scores").numpy()
        )
    return {
        "neighbours": neighbours,
        "similar": similar,
        "rated": rated,
        "bayes": bayes,
        "genre_prior": genre_prior,
        "blend": Blend.from_list(header["blend"]),
        "items": Vocabulary(tensors.pop("item_ids").numpy()),
        "users": Vocabulary(tensors.pop("user_ids").numpy()),
        "global_mean": float(header["global_mean"]),
        "fold_in": header["fold_in"],
        "rating_scale": (float(header["rating_scale"][0]), float(header["rating_scale"][1])),
        "unseen_item_stars": header.get("unseen_item_stars"),  # absent from older files
        "metadata": header["metadata"],
        **tensors,
    }
