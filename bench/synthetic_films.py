"""Films for the synthetic releases: varied, realistic titles in MovieLens' own spelling (the
article moved behind a comma, foreign titles with an English one in parentheses, sequels),
years up to 2023 with more films in recent years, one to three genres, and IMDb/TMDB links.

Search, elicitation and the catalogue code then meet what a real catalogue gives them, not
"Synthetic Film 123".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GENRES = (
    *("Drama", "Comedy", "Thriller", "Romance", "Action", "Crime", "Horror", "Documentary"),
    *("Adventure", "Sci-Fi", "Mystery", "Fantasy", "Children", "Animation", "War"),
    *("Musical", "Western", "Film-Noir", "IMAX"),
)
# Roughly ML-25M's genre shares, most common first.
_GENRE_WEIGHTS = np.array([25, 16, 8, 7, 7, 5, 5, 5, 4, 4, 3, 3, 3, 3, 2, 1, 1, 0.3, 0.2])
_ADJECTIVES = (
    *("Silent", "Broken", "Golden", "Last", "Hidden", "Dark", "Wild", "Lost", "Burning", "Cold"),
    *("Secret", "Little", "Crimson", "Endless", "Forgotten", "Quiet", "Savage", "Bright"),
    *("Sweet", "Strange", "Falling", "Distant", "Hollow", "Electric", "Midnight", "Iron"),
    *("Blue", "Sleeping", "Invisible", "Perfect", "Restless", "Bitter", "Northern", "Pale"),
)
_NOUNS = (
    *("River", "Summer", "Kingdom", "Shadow", "Garden", "Stranger", "Promise", "Horizon"),
    *("Island", "Heart", "Winter", "Road", "Storm", "Mirror", "Station", "Empire", "Witness"),
    *("Harbor", "Dream", "Game", "Letter", "Hunter", "Orchard", "Machine", "Frontier", "Sky"),
    *("Voyage", "Circus", "Ghost", "Bridge", "Fire", "Lake", "Tide", "Crown", "Signal"),
    *("Affair", "Alibi", "Exile", "Echo", "Secret", "Journey", "Silence", "Wolf", "City"),
)
_NAMES = (
    *("Clara", "Jonah", "Marlowe", "Eliza", "Max", "Rosa", "Vincent", "Nora", "Tom", "Ada"),
    *("Hugo", "Lena", "Oscar", "Mabel", "Felix", "Iris", "Walter", "June", "Sam", "Greta"),
)
_PLACES = (
    *("Paris", "Tokyo", "Berlin", "Havana", "Cairo", "Brooklyn", "Texas", "Alaska", "Rome"),
    *("Marseille", "Oslo", "Mumbai", "Vegas", "Dublin", "Seoul", "Lisbon", "Montana", "Kyoto"),
)
_VERBS = ("Finding", "Chasing", "Saving", "Loving", "Leaving", "Waiting for", "Becoming")
_SUBTITLES = ("The Return", "Revenge", "Origins", "The Reckoning", "Resurrection", "Legacy")
# (MovieLens title with the article moved, English title) pairs to vary foreign films from.
_FOREIGN = (
    ("Nuit {n}, La", "The {e} Night"),
    ("Jardin {n}, Le", "The {e} Garden"),
    ("Ciudad {n}, La", "The {e} City"),
    ("Stadt ohne {n}, Die", "City Without {e}"),
    ("Estate {n}, L'", "{e} Summer"),
    ("Fiume {n}, Il", "The {e} River"),
)
_FOREIGN_WORDS = (
    ("blanche", "White"), ("perdue", "Lost"), ("rouge", "Red"), ("dorada", "Golden"),
    ("Namen", "Names"), ("eterna", "Eternal"), ("lontano", "Distant"), ("nera", "Black"),
)  # fmt: skip
_SEQUEL_SHARE = 0.07


def films(items: int, seed: int = 0) -> pd.DataFrame:
    """``movieId, title, genres`` rows for ids 1..items, as ``movies.csv`` has them."""
    rng = np.random.default_rng(seed + 1)
    years = np.clip(2023 - np.floor(rng.exponential(16.0, items)), 1902, 2023).astype(int)
    titles: list[str] = []
    for year in years:
        base = _strip_year(titles[rng.integers(len(titles))]) if titles else ","
        if rng.random() < _SEQUEL_SHARE and "," not in base and "(" not in base:
            titles.append(f"{_sequel(rng, base)} ({year})")
        else:
            titles.append(f"{_title(rng)} ({year})")
    weights = _GENRE_WEIGHTS / _GENRE_WEIGHTS.sum()
    genres = []
    for count in rng.choice([1, 2, 3], size=items, p=[0.4, 0.35, 0.25]):
        if rng.random() < 0.01:
            genres.append("(no genres listed)")
        else:
            genres.append("|".join(rng.choice(GENRES, size=count, replace=False, p=weights)))
    return pd.DataFrame({"movieId": np.arange(1, items + 1), "title": titles, "genres": genres})


def links(items: int, seed: int = 0) -> pd.DataFrame:
    """``movieId, imdbId, tmdbId``; about 2% of films have no TMDB id, as in ML-25M."""
    rng = np.random.default_rng(seed + 2)
    imdb = rng.choice(9_000_000, size=items, replace=False) + 10_000
    tmdb = pd.array(rng.choice(1_000_000, size=items, replace=False) + 2, dtype="Int64")
    tmdb[rng.random(items) < 0.02] = pd.NA
    return pd.DataFrame({"movieId": np.arange(1, items + 1), "imdbId": imdb, "tmdbId": tmdb})


def _title(rng: np.random.Generator) -> str:
    pick = rng.integers
    adjective, noun = _ADJECTIVES[pick(len(_ADJECTIVES))], _NOUNS[pick(len(_NOUNS))]
    other, name = _NOUNS[pick(len(_NOUNS))], _NAMES[pick(len(_NAMES))]
    place = _PLACES[pick(len(_PLACES))]
    pattern = pick(10)
    if pattern == 0:
        return f"{noun} of {place}, The"
    if pattern == 1:
        return f"{name}'s {noun}"
    if pattern == 2:
        return f"{noun} and the {other}, The"
    if pattern == 3:
        return f"{_VERBS[pick(len(_VERBS))]} {name}"
    if pattern == 4:
        return f"{adjective} {noun} in {place}"
    if pattern == 5:
        foreign, english = _FOREIGN[pick(len(_FOREIGN))]
        word, translation = _FOREIGN_WORDS[pick(len(_FOREIGN_WORDS))]
        return f"{foreign.format(n=word)} ({english.format(e=translation)})"
    if pattern == 6:
        return f"{adjective} {noun}, A"
    if pattern == 7:
        return f"{place} {noun}"
    return f"{adjective} {noun}"


def _sequel(rng: np.random.Generator, base: str) -> str:
    kind = rng.integers(3)
    if kind == 0:
        return f"{base} {rng.integers(2, 5)}"
    if kind == 1:
        return f"{base} II"
    return f"{base}: {_SUBTITLES[rng.integers(len(_SUBTITLES))]}"


def _strip_year(title: str) -> str:
    return title[: title.rfind(" (")]
