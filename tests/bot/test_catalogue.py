"""CATALOGUE drives start-up: the bot opens the configured release's films (never its ratings:
the first model is trained in a worker process) and refuses, in one line, a model trained on
another catalogue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import recsys.data.load
from bot.__main__ import main
from bot.config import Settings, load_settings
from bot.runtime import StartupError, check_model_matches, close_resources, open_resources
from recsys import FactorModel
from recsys.data import load_catalog

TITLES = (
    "Matrix, The (1999)", "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
    "Spirited Away (Sen to Chihiro no kamikakushi) (2001)", "Memento (2000)",
    "Dark Knight, The (2008)", "Inception (2010)", "Up (2009)", "Her (2013)",
    "Parasite (2019)", "Whiplash (2014)", "Gladiator (2000)", "Zodiac (2007)",
)  # fmt: skip


@pytest.fixture
def small_release(tmp_path: Path) -> Path:
    """An ml-latest-small-format folder: 12 films after 1998, 60 users with two tastes."""
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    rng = np.random.default_rng(0)
    lines = ["userId,movieId,rating,timestamp"]
    for user in range(1, 61):
        taste = user % 2
        for item in rng.choice(len(TITLES), size=8, replace=False):
            stars = 4.5 if item % 2 == taste else 1.5
            lines.append(f"{user},{item + 1},{stars},{1_500_000_000 + user}")
    (folder / "ratings.csv").write_text("\n".join(lines) + "\n")
    movies = ["movieId,title,genres"]
    movies += [f'{i + 1},"{title}",Drama' for i, title in enumerate(TITLES)]
    (folder / "movies.csv").write_text("\n".join(movies) + "\n", encoding="utf-8")
    links = ["movieId,imdbId,tmdbId"] + [f"{i + 1},{100 + i},{200 + i}" for i in range(12)]
    (folder / "links.csv").write_text("\n".join(links) + "\n")
    return folder


def settings_for(tmp_path: Path, catalogue: str, model_path: Path | None = None) -> Settings:
    return load_settings(
        None,
        catalogue=catalogue,
        data_dir=tmp_path / "data",
        database_path=tmp_path / "bot.sqlite3",
        model_path=model_path or tmp_path / "models" / "model.safetensors",
        train_factors=4,
        train_epochs=5,
    )


async def test_the_bot_serves_the_configured_catalogue_without_reading_its_ratings(
    small_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_ratings_here(*args: object, **kwargs: object) -> None:
        raise AssertionError("the bot's process read the ratings")

    # Only this process: the worker that trains the first model is a fresh one.
    monkeypatch.setattr(recsys.data.load, "load_dataset", no_ratings_here)
    settings = settings_for(tmp_path, str(small_release))
    resources = await open_resources(settings)
    try:
        service = resources.service
        assert len(service.catalog) == 12 and service.catalog.year(9) == 2019
        assert service.model.metadata["catalogue"] == "ml-latest-small"
        assert set(service.model.item_ids.tolist()) <= set(service.catalog.item_ids.tolist())
        assert service.titles.best("parasite") == 9
        # A handler's small products on one thread: threads woken for them cost more.
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(pool["num_threads"] == 1 for pool in blas)
    finally:
        await close_resources(resources)
    assert FactorModel.load(settings.model_path).metadata["catalogue"] == "ml-latest-small"


def test_a_model_of_another_catalogue_is_refused_in_one_line(
    small_release: Path, tmp_path: Path, trained: Path
) -> None:
    model = FactorModel.load(trained)  # ml-100k's, from before models recorded a catalogue
    settings = settings_for(tmp_path, str(small_release), model_path=trained)
    catalog = load_catalog(small_release)
    with pytest.raises(StartupError) as raised:
        check_model_matches(model, catalog, settings)
    message = str(raised.value)
    assert "\n" not in message
    assert f"MODEL_PATH={trained} knows 1,670 films CATALOGUE={small_release} lacks" in message
    assert "or MODEL_PATH to a new file" in message
    with pytest.raises(StartupError, match=r"was trained on ml-1m, not CATALOGUE="):
        check_model_matches(model.with_metadata(catalogue="ml-1m"), catalog, settings)
    # What the model says wins over id overlap.
    check_model_matches(model.with_metadata(catalogue="ml-latest-small"), catalog, settings)


def test_start_up_says_it_in_one_line_and_exits(
    small_release: Path,
    tmp_path: Path,
    trained: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "CATALOGUE": str(small_release),
        "MODEL_PATH": str(trained),
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["--console"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"moviebot: MODEL_PATH={trained} knows 1,670 films CATALOGUE=")
