"""Importing ratings from a file (issue 18.1): each format, partial and bad files, hostile
ones, and /undo of a whole import; against the real ml-100k catalogue and a real SQLite file."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from bot import callbacks as cb
from bot.imports import Importer
from bot.imports.files import MAX_CSV_BYTES, MAX_FILE_BYTES, MAX_MEMBERS, read_table
from bot.imports.formats import parse
from bot.private.chat import Chat, Person
from bot.storage import Storage
from recsys.data import Catalog

ADA = Person(4343, "Ada", "en")
STAR_WARS, TOY_STORY, FARGO, CONTACT, JURASSIC = 50, 1, 100, 258, 82

# Letterboxd's ratings.csv, as its export writes it (display titles, half stars).
LETTERBOXD = """Date,Name,Year,Letterboxd URI,Rating
2021-03-04,Star Wars,1977,https://boxd.it/2a,5
2021-03-04,Toy Story,1995,https://boxd.it/2b,4.5
2021-03-05,Fargo,1996,https://boxd.it/2c,4
2021-03-05,"The Shawshank Redemption",1994,https://boxd.it/2d,5
2021-03-06,Parasite,2019,https://boxd.it/2e,4.5
2021-03-06,Dune,2021,https://boxd.it/2f,3.5
2021-03-07,Contact,1997,https://boxd.it/2g,3
"""

# IMDb's ratings export, as imdb.com writes it (three films; Inception is not in ml-100k).
IMDB = (Path(__file__).parent / "data" / "imdb_ratings.csv").read_bytes()


async def send(chat: Chat, name: str, data: bytes, size: int | None = None) -> str:
    downloads: list[int] = []

    async def download() -> bytes:
        downloads.append(1)
        return data

    [reply] = await chat.document(ADA, name, len(data) if size is None else size, download)
    return reply.text


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


async def stored(chat: Chat) -> dict[int, float]:
    ratings, _ = await chat.service.storage.rated_and_dismissed(ADA.user_id)
    return ratings


async def test_letterboxd_csv_matched_partial_and_already_rated(chat: Chat) -> None:
    await chat.button(ADA, cb.build(cb.Rate(FARGO, 2.0)))  # rated here before the import
    text = await send(chat, "ratings.csv", LETTERBOXD.encode())
    assert text.startswith("Imported 4 ratings from your Letterboxd file.")
    assert "1 film you had rated here already kept your stars from here" in text
    assert (
        "2 films are not in my catalogue (my films come from ml-100k, which stops in 1998)" in text
    )
    assert "Parasite (2019), Dune (2021)" in text
    assert "/undo takes this whole import back" in text
    ratings = await stored(chat)
    assert ratings[STAR_WARS] == 5.0 and ratings[TOY_STORY] == 4.5 and ratings[CONTACT] == 3.0
    assert ratings[FARGO] == 2.0  # the bot's rating wins
    shawshank = next(f for f in chat.service.search("shawshank redemption"))
    assert ratings[shawshank.item_id] == 5.0
    assert len(ratings) == 5


async def test_an_import_is_one_undo_and_recommend_uses_it_at_once(chat: Chat) -> None:
    await chat.button(ADA, cb.build(cb.Rate(FARGO, 2.0)))
    await chat.button(ADA, cb.build(cb.Dismiss(CONTACT, "unseen")))
    [before] = await chat.command(ADA, "recommend")
    assert "Popular" in before.text
    await send(chat, "ratings.csv", LETTERBOXD.encode())
    [after] = await chat.command(ADA, "recommend")
    assert "Films for you" in after.text  # five ratings now: folded in, no retraining
    assert "<b>Star Wars</b>" not in after.text and "<b>Toy Story</b>" not in after.text
    assert "because you liked Star Wars" in after.text

    [undone] = await chat.command(ADA, "undo")
    assert undone.text.startswith("Took back your import: its 4 ratings are gone; 1 film is")
    assert "<b>Contact</b> (1997)" in undone.text
    assert await stored(chat) == {FARGO: 2.0}
    assert await chat.service.storage.dismissed(ADA.user_id) == {CONTACT: "unseen"}
    [undone] = await chat.command(ADA, "undo")
    assert "haven't seen" in undone.text  # the change before the import, then
    [undone] = await chat.command(ADA, "undo")
    assert "Fargo" in undone.text


async def test_letterboxd_zip_and_imdb_csv(chat: Chat) -> None:
    export = zipped(
        {
            "profile.csv": b"Date Joined,Username\n2020-01-01,ada\n",
            "watched.csv": b"Date,Name,Year,Letterboxd URI\n",
            "lists/favourites.csv": b"Letterboxd list export v7\n",
            "ratings.csv": LETTERBOXD.encode(),
        }
    )
    text = await send(chat, "letterboxd-ada-2024.zip", export)
    assert text.startswith("Imported 5 ratings from your Letterboxd file.")
    text = await send(chat, "ratings.csv", IMDB)
    assert text.startswith("Imported 1 rating from your IMDb file.")  # Jurassic Park
    assert "1 film you had rated here already" in text  # Star Wars, by its full IMDb title
    assert "Inception (2010)" in text
    assert (await stored(chat))[JURASSIC] == 3.5


async def test_imdb_series_and_episodes_are_left_out_as_not_films(chat: Chat) -> None:
    # Breaking Bad and Twin Peaks were listed as films "not in my catalogue".
    header = IMDB.decode().splitlines()[0]
    film = IMDB.decode().splitlines()[2]  # Jurassic Park, a Movie
    series = (
        "tt0903747,10,2023-01-02,Breaking Bad,Breaking Bad,https://www.imdb.com/title/tt0903747/,"
        'TV Series,9.5,49,2008,"Crime, Drama",2000000,2008-01-20,'
    )
    episode = series.replace("tt0903747", "tt0959621").replace("TV Series", "tvEpisode")
    mixed = "\n".join([header, film, series, episode]) + "\n"
    text = await send(chat, "ratings.csv", mixed.encode())
    assert text.startswith("Imported 1 rating from your IMDb file.")
    assert "2 TV series, episodes or games left out: I know films only." in text
    assert "Breaking Bad" not in text
    only = "\n".join([header, series]) + "\n"
    refused = await send(chat, "ratings.csv", only.encode())
    assert refused == "That IMDb file rates only TV series and episodes: I know films."


async def test_the_bots_own_export_comes_back_in(chat: Chat) -> None:
    for item, stars in ((STAR_WARS, 4.5), (TOY_STORY, 3.0), (FARGO, 5.0)):
        await chat.button(ADA, cb.build(cb.Rate(item, stars)))
    [export] = await chat.command(ADA, "export")
    assert export.document is not None
    for item in (STAR_WARS, TOY_STORY, FARGO):
        await chat.button(ADA, cb.build(cb.DeleteRatingConfirm(item)))
    text = await send(chat, export.document[0], export.document[1])
    assert text.startswith("Imported 3 ratings from your MovieLens file.")
    assert await stored(chat) == {STAR_WARS: 4.5, TOY_STORY: 3.0, FARGO: 5.0}
    # A plain MovieLens ratings file of one person, ids only.
    plain = b"userId,movieId,rating,timestamp\n7,82,4.0,964982703\n7,258,2.5,964982703\n"
    text = await send(chat, "ratings.csv", plain)
    assert text.startswith("Imported 2 ratings from your MovieLens file.")


def letterboxd_rows(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Date", "Name", "Year", "Letterboxd URI", "Rating"])
    for n in range(rows):
        writer.writerow(["2020-01-01", f"Not A Film {n}", 2020, "https://boxd.it/x", 3])
    return out.getvalue().encode()


def bomb() -> bytes:
    return zipped({"ratings.csv": b"Date,Name,Year,Letterboxd URI,Rating\n" + b" " * MAX_CSV_BYTES})


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("notes.txt", b"hello, world\nthis is not, an export\n", "I don't know that file"),
        ("ratings.csv", b"", "I don't know that file"),
        ("film.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "could not read that file"),
        (
            "ratings.csv",
            "Date,Name,Year,Letterboxd URI,Rating\n,Amélie,2001,,4\n".encode("cp1252"),
            "could not read that file's text",
        ),
        ("ratings.csv", letterboxd_rows(3), "None of the 3 films in that file is in my catalogue"),
        ("ratings.csv", b"Date,Name,Year,Letterboxd URI,Rating\n", "I found no ratings"),
        ("export.zip", bomb(), "unpacks to over 20 MB"),
        (
            "export.zip",
            zipped({f"lists/{n}.csv": b"" for n in range(MAX_MEMBERS + 1)}),
            "over 1000",
        ),
        ("export.zip", zipped({"watched.csv": b"Date,Name\n"}), "no ratings.csv"),
        ("export.zip", b"PK\x03\x04 this is no zip at all", "damaged"),
        (
            "ratings.csv",
            b'Date,Name,Year,Letterboxd URI,Rating\n"unclosed,' + b"x" * 200_000,
            "not a well-formed CSV",
        ),
        ("ratings.csv", b"userId,movieId,rating\n1,50,4\n2,1,3\n", "several people's ratings"),
    ],
)
async def test_bad_files_get_one_line_and_store_nothing(
    chat: Chat, name: str, data: bytes, said: str
) -> None:
    text = await send(chat, name, data)
    assert said in text and "\n" not in text
    assert await stored(chat) == {}
    assert await chat.service.storage.undo(ADA.user_id) is None  # nothing journalled either


async def test_a_file_over_5_mb_is_not_even_downloaded(chat: Chat) -> None:
    calls: list[int] = []

    async def download() -> bytes:
        calls.append(1)
        return LETTERBOXD.encode()

    [reply] = await chat.document(ADA, "ratings.csv", MAX_FILE_BYTES + 1, download)
    assert reply.text == "That file is over 5 MB: send only the ratings CSV."
    assert calls == []
    # A file whose size Telegram did not say is checked once downloaded.
    text = await send(chat, "ratings.csv", b"x" * (MAX_FILE_BYTES + 1), size=0)
    assert "over 5 MB" in text


async def test_import_command_explains_each_export(chat: Chat) -> None:
    [reply] = await chat.command(ADA, "import")
    for words in ("Letterboxd", "Export your data", "IMDb", "Your ratings", "movieId", "/undo"):
        assert words in reply.text
    [help_text] = await chat.command(ADA, "help")
    assert "/import" in help_text.text


def test_the_benchmark_export_is_a_letterboxd_file_of_300_films() -> None:
    path = Path(__file__).parents[2] / "bench" / "fixtures" / "letterboxd_ratings.csv"
    parsed = parse(read_table(path.name, path.read_bytes()))
    assert (parsed.source, len(parsed.rows), parsed.unreadable) == ("Letterboxd", 300, 0)


async def test_imdb_ids_match_through_the_catalogues_links(storage: Storage) -> None:
    """A catalogue with links.csv (ml-latest and up) finds IMDb rows by id, whatever the
    title says; the bot's rows are then one change."""
    catalog = Catalog.from_columns(
        [1, 2, 3],
        ["Amelie (Fabuleux destin d'Amélie Poulain, Le)", "Heat", "Heat"],
        [2001, 1995, 1986],
        [(), (), ()],
        imdb_ids=[211915, 113277, 91183],
    )
    await storage.ensure_user(ADA.user_id, "Ada", "en")
    imdb = (
        b"Const,Your Rating,Date Rated,Title,Year\n"
        b"tt0211915,9,2020-01-01,Die fabelhafte Welt der Amelie,2001\n"
        b"tt0113277,8,2020-01-01,Heat,1995\n"
        b"tt9999999,8,2020-01-01,Heat,1986\n"  # another film of that name and year
        b"tt0091183,7,2020-01-01,Heat,1986\n"
        b"tt0000001,8,2020-01-01,Carmencita,1894\n"
        b"nonsense,8,2020-01-01,No Id,1990\n"
    )
    done = await Importer(storage, catalog).run(ADA.user_id, "imdb.csv", imdb)
    assert (done.source, done.stored, done.kept, done.unreadable) == ("IMDb", [1, 2, 3], [], 1)
    assert [(row.title, row.imdb_id) for row in done.missing] == [
        ("Heat", 9999999),
        ("Carmencita", 1),
    ]
    assert await storage.rated_and_dismissed(ADA.user_id) == ({1: 4.5, 2: 4.0, 3: 3.5}, set())
    change = await storage.undo(ADA.user_id)
    assert change is not None and change.kind == "imported" and len(change.films) == 3
    assert await storage.rating_count(ADA.user_id) == 0


async def test_titles_from_the_file_are_shown_literally(chat: Chat) -> None:
    hostile = b'Date,Name,Year,Letterboxd URI,Rating\n,Fargo,1996,,4\n,"<b>Evil</b> & Co",1999,,3\n'
    text = await send(chat, "ratings.csv", hostile)
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co (1999)" in text and "<b>Evil" not in text
