"""How many films of a real Letterboxd export does import find in the catalogue, and are
they the right ones?

The export: bench/fixtures/letterboxd_ratings.csv, 300 well-known films (1920-2023) in
Letterboxd's own spelling ("The Empire Strikes Back", "Se7en", "Amélie", "WALL·E"), read by
the bot's import reader. Two catalogues:

- an ml-latest-small-format release written here: movies.csv and links.csv with the
  export's films up to 2018 (where ml-latest-small stops) in MovieLens' spelling (the article
  moved behind a comma, original titles in parentheses, "Star Wars: Episode V - ...", from
  bench/fixtures/movielens_spellings.csv), hidden among synthetic films
  (bench/synthetic_films.py) up to ml-latest-small's 9,742. The right answer of every film is
  known, so the table counts right and wrong matches;
- the real MovieLens 100k (films up to April 1998). Which of its 1,682 films each export film
  is was not labelled: the table counts matches, and the JSON lists every match not found by
  exact title, to check by eye.

    python bench/import_match.py

Writes bench/results/import_match.json and import_match.md.
"""

from __future__ import annotations

import csv
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_films
from common import markdown_table, write

from bot.imports.files import read_table
from bot.imports.formats import Row, parse
from recsys.data import Catalog, load_catalog
from recsys.data.matching import Entry, Matcher
from recsys.data.readers import csv as csv_release

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL_FILMS = 9_742  # films in ml-latest-small
SMALL_LAST_YEAR = 2018
_ARTICLE = re.compile(r"^(The|A|An) (.+)$")


def export_rows() -> list[Row]:
    path = FIXTURES / "letterboxd_ratings.csv"
    parsed = parse(read_table(path.name, path.read_bytes()))
    assert parsed.source == "Letterboxd" and not parsed.unreadable
    return parsed.rows


def movielens_spelling(name: str) -> str:
    """MovieLens moves a leading article behind a comma: "Godfather, The"."""
    match = _ARTICLE.match(name)
    return f"{match.group(2)}, {match.group(1)}" if match else name


def small_release(rows: list[Row], folder: Path) -> dict[tuple[str, int | None], int]:
    """Write the ml-latest-small-format release; the right item id of each export film in it."""
    spelled: dict[tuple[str, int], tuple[str, int]] = {}
    with (FIXTURES / "movielens_spellings.csv").open(newline="", encoding="utf-8") as file:
        for line in csv.DictReader(file):
            year = int(line["Year"])
            title = line["movielens_title"] or movielens_spelling(line["Name"])
            spelled[(line["Name"], year)] = (title, int(line["movielens_year"] or year))
    real = [r for r in rows if r.year is not None and r.year <= SMALL_LAST_YEAR]
    films = synthetic_films.films(SMALL_FILMS - len(real))
    links = synthetic_films.links(SMALL_FILMS - len(real))
    truth = {}
    movies = [(int(i), str(t), str(g)) for i, t, g in films.itertuples(index=False)]
    for n, row in enumerate(real, start=len(films) + 1):
        assert row.year is not None
        title, year = spelled.get((row.title, row.year), (movielens_spelling(row.title), row.year))
        movies.append((n, f"{title} ({year})", "Drama"))
        truth[(row.title, row.year)] = n
    with (folder / "movies.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["movieId", "title", "genres"])
        writer.writerows(movies)
    # Links of the synthetic films only: a Letterboxd export carries no IMDb ids anyway.
    links.to_csv(folder / "links.csv", index=False)
    return truth


def measure(
    name: str, catalog: Catalog, rows: list[Row], truth: dict[tuple[str, int | None], int] | None
) -> dict[str, Any]:
    started = time.perf_counter()
    matcher = Matcher.from_catalog(catalog)
    built = time.perf_counter() - started
    started = time.perf_counter()
    found = [matcher.match_how(Entry(r.title, r.year)) for r in rows]
    matched_s = time.perf_counter() - started
    steps = Counter(how for _, how in found)
    result: dict[str, Any] = {
        "catalogue": name,
        "films_in_catalogue": len(catalog),
        "export_films": len(rows),
        "matched": sum(item is not None for item, _ in found),
        "by_step": dict(steps),
        "index_ms": round(built * 1e3, 1),
        "match_ms_per_film": round(matched_s * 1e3 / len(rows), 3),
        "not_exact": [
            {"export": f"{r.title} ({r.year})", "catalogue": catalog.label(item), "step": how}
            for r, (item, how) in zip(rows, found, strict=True)
            if item is not None and how != "title"
        ],
    }
    if truth is not None:
        present = [(r, f) for r, f in zip(rows, found, strict=True) if (r.title, r.year) in truth]
        right = sum(item == truth[(r.title, r.year)] for r, (item, _) in present)
        wrong = sum(
            item is not None and item != truth.get((r.title, r.year))
            for r, (item, _) in zip(rows, found, strict=True)
        )
        result |= {
            "in_catalogue": len(present),
            "right": right,
            "wrong": wrong,
            "missed": [f"{r.title} ({r.year})" for r, (item, _) in present if item is None],
        }
    else:
        released = [r for r in rows if r.year is not None and r.year <= 1998]
        result["released_by_1998"] = len(released)
        result["missed_by_1998"] = [
            f"{r.title} ({r.year})"
            for r, (item, _) in zip(rows, found, strict=True)
            if item is None and r in released
        ]
    return result


def main() -> None:
    rows = export_rows()
    with tempfile.TemporaryDirectory() as tmp:
        truth = small_release(rows, Path(tmp))
        small = csv_release.catalog(Path(tmp))
        results = [
            measure("ml-latest-small format (fixture)", small, rows, truth),
            measure("ml-100k (real)", load_catalog("ml-100k"), rows, None),
        ]
    table_rows = []
    for r in results:
        known = r.get("in_catalogue")
        table_rows.append(
            [
                r["catalogue"],
                f"{r['films_in_catalogue']:,}",
                str(r["export_films"]),
                str(known) if known is not None else f"≤ {r['released_by_1998']} (by 1998)",
                str(r["matched"]),
                f"{r['right']} / {r['wrong']}" if known is not None else "not labelled",
                f"{100 * r['right'] / known:.1f}%" if known else "n/a",
                ", ".join(f"{k} {v}" for k, v in sorted(r["by_step"].items())),
                f"{r['index_ms']:.0f} / {r['match_ms_per_film']:.2f}",
            ]
        )
    table = markdown_table(
        [
            "catalogue",
            "films",
            "export films",
            "of them in catalogue",
            "matched",
            "right / wrong",
            "recall",
            "found by",
            "index ms / ms a film",
        ],
        table_rows,
    )
    write("import_match", {"results": results}, table)


if __name__ == "__main__":
    main()
