"""Finding a release by name, folder or zip, and telling its format from its files."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from recsys.data import (
    DataFormatError,
    default_data_dir,
    detect_format,
    load_catalog,
    load_dataset,
)
from recsys.data.load import load_ratings_head

Write = Callable[..., Path]

RELEASES: dict[str, dict[str, str]] = {
    "ml100k": {
        "u.data": "196\t1\t3\t881250949\n",
        "u.item": "1|Toy Story (1995)|01-Jan-1995||url" + "|0" * 19 + "\n",
    },
    "dat": {
        "ratings.dat": "1::1::5::978300760\n",
        "movies.dat": "1::Toy Story (1995)::Animation\n",
    },
    "csv": {
        "ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n",
        "movies.csv": "movieId,title,genres\n1,Toy Story (1995),Animation\n",
    },
    "atomic": {
        "ml-100k.inter": "user_id:token\titem_id:token\trating:float\n1\t1\t4\n",
        "ml-100k.item": "item_id:token\tmovie_title:token_seq\n1\tToy Story (1995)\n",
    },
}


def make_release(write: Write, folder: str, files: dict[str, str]) -> Path:
    for name, content in files.items():
        write(f"{folder}/{name}", content)
    return write(f"{folder}/README.txt", "notes").parent


def make_zip(path: Path, files: dict[str, str], prefix: str = "") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        if prefix:
            archive.writestr(f"{prefix}/", "")
        for name, content in files.items():
            archive.writestr(f"{prefix}{'/' if prefix else ''}{name}", content)
    return path


@pytest.mark.parametrize("format_name", list(RELEASES))
def test_a_folder_of_each_format_is_detected_and_loaded(write: Write, format_name: str) -> None:
    folder = make_release(write, "release", RELEASES[format_name])
    assert detect_format(folder) == format_name
    dataset = load_dataset(folder)
    assert dataset.name == "release"
    assert dataset.catalog.label(1) == "Toy Story (1995)"
    assert len(dataset.ratings) == 1


@pytest.mark.parametrize("prefix", ["", "ml-latest-small"])
@pytest.mark.parametrize("format_name", list(RELEASES))
def test_a_zip_is_detected_and_loaded_with_or_without_a_top_folder(
    tmp_path: Path, format_name: str, prefix: str
) -> None:
    archive = make_zip(tmp_path / "ml-latest-small.zip", RELEASES[format_name], prefix)
    assert detect_format(archive) == format_name
    dataset = load_dataset(archive)
    assert dataset.name == "ml-latest-small"
    assert dataset.catalog.title(1) == "Toy Story"


def test_a_zip_is_unpacked_once_and_again_when_it_changes(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "small.zip", RELEASES["csv"])
    load_dataset(archive)
    unpacked = list((tmp_path / ".cache").iterdir())
    load_dataset(archive)
    assert list((tmp_path / ".cache").iterdir()) == unpacked
    changed = RELEASES["csv"] | {"ratings.csv": RELEASES["csv"]["ratings.csv"] + "2,1,3.0,1\n"}
    make_zip(archive, changed)
    assert len(load_dataset(archive).ratings) == 2
    assert len(list((tmp_path / ".cache").iterdir())) == 1  # the old copy is gone


def test_a_folder_holding_one_release_folder_is_found(write: Write) -> None:
    outer = make_release(write, "download/ml-10M100K", RELEASES["dat"]).parent
    write("download/notes.txt", "unpacked by hand")
    assert detect_format(outer) == "dat"
    assert load_dataset(outer).catalog.label(1) == "Toy Story (1995)"


def test_half_a_release_names_the_missing_file(write: Write) -> None:
    folder = make_release(write, "half", {"ratings.csv": RELEASES["csv"]["ratings.csv"]})
    with pytest.raises(DataFormatError, match=r"half/movies.csv: missing required file"):
        detect_format(folder)


def test_an_unknown_folder_says_what_was_looked_for(write: Write) -> None:
    folder = write("photos/cat.jpg", b"").parent
    with pytest.raises(DataFormatError, match=r"not a MovieLens release: found none of u.data"):
        load_dataset(folder)


def test_a_damaged_zip_is_a_format_error(write: Write) -> None:
    with pytest.raises(DataFormatError, match=r"not a readable zip"):
        load_dataset(write("broken.zip", b"PK\x03\x04 nope"))


def test_names_are_looked_up_in_the_data_dir(write: Write, tmp_path: Path) -> None:
    make_release(write, "data/ml-100k", RELEASES["atomic"])
    dataset = load_dataset("ml-100k", tmp_path / "data")
    assert dataset.name == "ml-100k"


def test_a_missing_ml_100k_says_how_to_fetch_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"python -m recsys fetch ml-100k"):
        load_dataset("ml-100k", tmp_path)


def test_a_missing_path_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "nowhere.zip")
    with pytest.raises(FileNotFoundError):
        detect_format(tmp_path / "nowhere")


def test_the_default_data_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MOVIEBOT_DATA_DIR", raising=False)
    assert default_data_dir() == Path("data")
    monkeypatch.setenv("MOVIEBOT_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path


def test_load_catalog_reads_the_films_and_never_the_ratings(write: Write, tmp_path: Path) -> None:
    write("ml/ratings.csv", "userId,movieId,rating,timestamp\nnot,a,rating,row\n")
    write("ml/movies.csv", 'movieId,title,genres\n7,"Matrix, The (1999)",Action|Sci-Fi\n')
    catalog = load_catalog(tmp_path / "ml")
    assert catalog.label(7) == "The Matrix (1999)" and catalog.genres(7) == ("Action", "Sci-Fi")
    with pytest.raises(DataFormatError, match=r"ratings.csv: line 2"):
        load_dataset(tmp_path / "ml")


def test_a_missing_release_says_how_to_fetch_it_by_name(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"python -m recsys fetch ml-32m"):
        load_catalog("ml-32m", tmp_path)


def test_the_head_of_the_ratings_is_whole_lines_from_the_start(
    write: Write, tmp_path: Path
) -> None:
    lines = "".join(f"{u},{u + 10},4.0,{u}\n" for u in range(1, 1001))
    write("ml/ratings.csv", "userId,movieId,rating,timestamp\n" + lines)
    write("ml/movies.csv", "movieId,title,genres\n11,Heat (1995),Crime\n")
    head = load_ratings_head(tmp_path / "ml", 100)
    assert 0 < len(head) < 1000
    assert head["user_id"].tolist() == list(range(1, len(head) + 1))  # in order, none cut
    assert len(load_ratings_head(tmp_path / "ml", 1 << 20)) == 1000
