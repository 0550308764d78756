"""`recsys train` on broken ratings files: one line naming the file and the line, or the
documented rule (a repeated (user, film) pair: the last rating wins)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from recsys.data import load_dataset
from recsys.data.errors import DataFormatError
from recsys.data.readers import numeric

MOVIES = "movieId,title,genres\n1,Heat (1995),Action\n2,Fargo (1996),Crime\n"
ROOT = Path(__file__).resolve().parents[3]


def release(tmp_path: Path, ratings: str) -> Path:
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    (folder / "movies.csv").write_text(MOVIES)
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" + ratings)
    return folder


@pytest.mark.parametrize(
    ("value", "line"),
    [("1e30", 3), ("0", 3), ("-2", 3), ("0.0", 3)],
)
def test_a_rating_off_the_scale_names_its_line(tmp_path: Path, value: str, line: int) -> None:
    folder = release(tmp_path, f"1,1,4.0,0\n1,2,{value},0\n2,1,3.5,0\n")
    with pytest.raises(DataFormatError, match=rf"ratings.csv: line {line}: rating .*out of range"):
        load_dataset(str(folder))


def test_a_repeated_pair_keeps_the_last_rating(tmp_path: Path) -> None:
    folder = release(tmp_path, "1,1,4.0,0\n1,2,2.0,0\n1,1,1.5,9\n2,1,3.0,0\n")
    ratings = load_dataset(str(folder)).ratings
    assert len(ratings) == 3
    assert ratings.set_index(["user_id", "item_id"]).loc[(1, 1), "rating"] == 1.5


def test_a_line_without_breaks_is_refused_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(numeric, "MAX_LINE_BYTES", 1000)
    folder = release(tmp_path, "1,1,4.0,0\n" + "9" * 5000)
    with pytest.raises(DataFormatError, match=r"ratings.csv: line 3: a line longer than"):
        numeric.read_numeric_table(
            folder / "ratings.csv", numeric.RATING_FIELDS, sep=",", skip_lines=1, block_bytes=100
        )


def test_train_on_a_bad_file_says_one_line(tmp_path: Path) -> None:
    folder = release(tmp_path, "1,1,4.0,0\n1,2,1e30,0\n")
    done = subprocess.run(
        [sys.executable, "-m", "recsys", "train", "--data", str(folder), "--out",
         str(tmp_path / "m.safetensors")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "ratings.csv: line 3: rating 1e30 is out of range" in done.stderr
