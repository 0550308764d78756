"""What the training worker trains with: the job's settings on a small catalogue, the scale
preset on a big one, and a few sweeps of it for the quick first model."""

from __future__ import annotations

from pathlib import Path

from bot.config import load_settings
from bot.retrain import training_job
from bot.training_worker import SCALE_ABOVE, TrainJob, config_for
from recsys import TrainConfig


def job(tmp_path: Path) -> TrainJob:
    settings = load_settings(None, train_factors=8, train_seed=7, data_dir=tmp_path)
    return training_job(settings, tmp_path)


def test_a_small_catalogue_trains_with_the_settings(tmp_path: Path) -> None:
    config = config_for(job(tmp_path), SCALE_ABOVE)
    assert (config.factors, config.seed) == (8, 7)
    assert config.star_solver == TrainConfig().star_solver


def test_a_big_catalogue_trains_with_the_scale_preset_and_a_quick_first_model(
    tmp_path: Path,
) -> None:
    full = config_for(job(tmp_path), SCALE_ABOVE + 1)
    assert full == TrainConfig(**{**TrainConfig.for_scale().to_dict(), "seed": 7})
    quick = config_for(job(tmp_path), SCALE_ABOVE + 1, quick=True)
    assert quick.star_solver == "als" and quick.seed == 7
    assert quick.epochs < full.epochs and quick.rank_sweeps < full.rank_sweeps
    assert quick.neighbour_max_items < full.neighbour_max_items
    assert config_for(job(tmp_path), 600_000, quick=True) == quick  # quick whatever the size


def test_the_job_names_the_catalogue_for_the_model(tmp_path: Path) -> None:
    folder = tmp_path / "films"
    folder.mkdir()
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,1\n")
    (folder / "movies.csv").write_text("movieId,title,genres\n1,Heat (1995),Crime\n")
    settings = load_settings(None, catalogue=str(folder) + "/", data_dir=tmp_path / "data")
    made = training_job(settings, tmp_path)
    assert (made.dataset, made.catalogue) == (str(folder), "films")
