"""Things derived from a model once and kept exactly as long as the model lives.

A served model is immutable, so whatever is computed from it alone (an elicitor's statistics,
normalised factors) can be kept beside it; a cache keyed on the model itself must not keep a
replaced model alive, hence weak references.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

from recsys.model import FactorModel

T = TypeVar("T")


def per_model(build: Callable[[FactorModel], T]) -> Callable[[FactorModel], T]:
    """``build(model)``, called once per model and remembered while the model lives."""
    cache: dict[int, tuple[weakref.ref[FactorModel], T]] = {}

    def cached(model: FactorModel) -> T:
        key = id(model)
        entry = cache.get(key)
        if entry is not None and entry[0]() is model:
            return entry[1]
        value = build(model)
        cache[key] = (weakref.ref(model, lambda _: cache.pop(key, None)), value)
        return value

    cached.__doc__ = build.__doc__
    cached.__name__ = getattr(build, "__name__", "cached")
    return cached
