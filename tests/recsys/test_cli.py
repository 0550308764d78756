"""``python -m recsys`` end to end, in a subprocess, on a small release in MovieLens format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from synthetic import low_rank_ratings

from recsys import FactorModel, TrainConfig, cli
from recsys.data import DataFormatError, read_user_ratings


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny ml-latest-small-style folder: ratings.csv and movies.csv."""
    folder = tmp_path_factory.mktemp("ml-tiny")
    frame, _ = low_rank_ratings(n_users=50, n_items=30)
    frame.assign(rating=(frame["rating"].clip(0.5, 5) * 2).round() / 2).rename(
        columns={"user_id": "userId", "item_id": "movieId"}
    ).to_csv(folder / "ratings.csv", index=False)
    movies = [
        f'{i},"Film {i}, The ({1950 + i % 60})",Drama|Comedy' for i in frame["item_id"].unique()
    ]
    (folder / "movies.csv").write_text("movieId,title,genres\n" + "\n".join(movies) + "\n")
    return folder


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recsys", *args], capture_output=True, text=True, timeout=300
    )


FAST_ARGS = ["--factors", "8", "--rank-factors", "8", "--epochs", "5", "--rank-sweeps", "3"]


def test_train_writes_a_model_that_loads(release: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.safetensors"
    result = run("train", "--data", str(release), "--out", str(out), "--seed", "3", *FAST_ARGS)
    assert result.returncode == 0, result.stderr
    assert "saved" in result.stdout
    model = FactorModel.load(out)
    assert model.n_users == 50 and model.metadata["config"]["seed"] == 3
    assert model.metadata["config"]["factors"] == 8


def test_evaluate_writes_the_documented_json(release: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    result = run(
        "evaluate", "--data", str(release), "--folds", "2", "--seed", "0", "--json", str(out),
        *FAST_ARGS,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert set(report["baselines"]) == {"popularity", "biases", "global_mean"}
    for key in (
        "rmse",
        "mae",
        "precision@10",
        "recall@10",
        "ndcg@10",
        "coverage@10",
        "fit_seconds",
    ):
        assert key in report["model"]
    assert len(report["folds"]) == 2
    assert "| model |" in result.stdout


def test_bad_data_gives_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,2,oops,3\n")
    (tmp_path / "movies.csv").write_text("movieId,title,genres\n2,Film (2000),Drama\n")
    result = run("train", "--data", str(tmp_path), "--out", str(tmp_path / "m"))
    assert result.returncode == 2
    assert "ratings.csv" in result.stderr and "line 2" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("threshold", "flag", "scale", "announced"),
    [
        (100, [], True, True),  # past the threshold: the scale preset, said out loud
        (100, ["--preset", "default"], False, False),  # ... unless asked not to
        (10**9, [], False, False),  # below it: the tuned defaults
        (10**9, ["--preset", "scale"], True, False),  # ... unless asked for the preset
    ],
)
def test_train_picks_the_scale_preset_for_big_data(
    release: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    threshold: int,
    flag: list[str],
    scale: bool,
    announced: bool,
) -> None:
    monkeypatch.setattr(cli, "SCALE_THRESHOLD", threshold)
    out = tmp_path / "model.safetensors"
    args = ["train", "--data", str(release), "--out", str(out), *flag, *FAST_ARGS]
    assert cli.main(args) == 0
    config = FactorModel.load(out).metadata["config"]
    preset = TrainConfig.for_scale() if scale else TrainConfig()
    # The presets differ in more than one setting; these two tell them apart.
    assert (config["neighbour_max_items"], config["bayes_samples"]) == (
        preset.neighbour_max_items,
        preset.bayes_samples,
    )
    assert config["factors"] == 8  # an explicit flag still wins over either preset
    assert ("scale preset" in capsys.readouterr().err) is announced


def test_train_help_describes_every_hyperparameter_with_its_default() -> None:
    done = run("train", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "--factors FACTORS Latent dimensions of the star head. (default: 32)" in text
    assert "(default: 0.2)" in text and "Weight w0 of every unrated cell" in text
    from dataclasses import fields

    from recsys import TrainConfig

    assert text.count("(default: ") >= len(fields(TrainConfig))


def test_too_few_folds_are_refused_before_anything_runs(release: Path) -> None:
    done = run("evaluate", "--data", str(release), "--folds", "1")
    assert done.returncode == 2 and "folds must be at least 2" in done.stderr
    assert "fold/s" not in done.stderr and "ratings" not in done.stderr  # no bar, no reading


@pytest.mark.parametrize(
    ("flags", "refusal"),
    [
        (["--factors", "0"], "argument --factors: factors must be at least 1, not 0"),
        (["--epochs", "-3"], "argument --epochs: epochs must be at least 1, not -3"),
        (["--reg-factors", "nan"], "reg_factors must be 0 or more, not nan"),
        (["--seed", "abc"], "argument --seed: 'abc' is not a whole number"),
        (["--refit", "maybe"], "'maybe' is not one of true, false"),
        (["--star-solver", "sgd"], "invalid choice: 'sgd' (choose from 'adam', 'als')"),
    ],
)
def test_a_setting_out_of_range_is_refused_before_anything_runs(
    release: Path, tmp_path: Path, flags: list[str], refusal: str
) -> None:
    # --factors 0 trained a model; --epochs -3 ended in an AssertionError's traceback.
    done = run("train", "--data", str(release), "--out", str(tmp_path / "m.safetensors"), *flags)
    assert done.returncode == 2 and refusal in done.stderr
    assert "ratings" not in done.stderr and not (tmp_path / "m.safetensors").exists()


def test_an_output_that_cannot_be_written_is_refused_before_training(
    release: Path, tmp_path: Path
) -> None:
    # It trained for the whole run, then failed to save.
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    done = run("train", "--data", str(release), "--out", str(blocked / "model.safetensors"))
    assert done.returncode == 2 and "cannot write" in done.stderr
    assert "ratings" not in done.stderr
    folder = run("train", "--data", str(release), "--out", str(tmp_path))
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    budget = run("tune", "--data", str(release), "--budget-minutes", "0")
    assert budget.returncode == 2 and "the budget must be above 0 minutes" in budget.stderr


EXPORTED = (  # what the bot's /export sends (bot/service/movies.py export_csv)
    "movielens_id,title,year,stars,rated_at_utc\n"
    '3,"Film 3, The",1953,4.5,2026-01-02 10:00:00\n'
    "5,Film 5,1955,2,2026-01-01 09:00:00\n"
)


def test_plot_maps_the_ratings_the_bot_exports(release: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.safetensors"
    assert run("train", "--data", str(release), "--out", str(model), *FAST_ARGS).returncode == 0
    (tmp_path / "mine.csv").write_text(EXPORTED)
    done = run(
        "plot", "--model", str(model), "--data", str(release), "--out", str(tmp_path / "png"),
        "--user-ratings", str(tmp_path / "mine.csv"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "png" / "user_map.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("item_id,rating\n1,4\nx,3\n", "line 3: item_id 'x' is not a whole number"),
        ("item_id,rating\n1,4\n\n2,lots\n", "line 4: rating 'lots' is not a number"),
        ("movielens_id,stars\n1,9\n", "line 2: stars 9 is not between 0.5 and 5"),
        ("item_id,rating\n1\n", "line 2: expected 2 fields, found 1"),
        ("film,score\n1,4\n", "line 1: the header needs an id column"),
    ],
)
def test_a_bad_user_ratings_file_is_named_with_its_line(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(text)
    with pytest.raises(DataFormatError) as caught:
        read_user_ratings(path)
    assert str(caught.value).startswith(f"{path}: {problem}")
