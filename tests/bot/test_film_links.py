"""Film cards link out: IMDb and TMDB buttons from links.csv, ML-100k's own IMDb address, and
no button (and no error) where the catalogue has no link."""

from __future__ import annotations

from pathlib import Path

from bot.private import views
from bot.private.chat import Chat, Person
from bot.replies import Reply
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel
from recsys.data import load_catalog
from recsys.data.readers import ml100k

ADA = Person(4242, "Ada", "en")


def url_buttons(reply: Reply) -> dict[str, str]:
    return {b.label: b.url for row in reply.buttons for b in row if b.url}


def ml_latest_small(folder: Path) -> Path:
    folder.mkdir()
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,1\n1,2,3,1\n")
    (folder / "movies.csv").write_text(
        'movieId,title,genres\n1,"Matrix, The (1999)",Sci-Fi\n2,Memento (2000),Thriller\n'
        "3,Up (2009),Animation\n"
    )
    # Memento has no tmdbId; Up has no line at all.
    (folder / "links.csv").write_text("movieId,imdbId,tmdbId\n1,0133093,603\n2,0209144,\n")
    return folder


async def card_of(storage: Storage, model: FactorModel, folder: Path, item_id: int) -> Reply:
    service = MovieService(storage, model, load_catalog(folder))
    return views.card(await service.card(ADA.user_id, item_id))


async def test_links_csv_gives_imdb_and_tmdb_buttons(
    storage: Storage, model: FactorModel, tmp_path: Path
) -> None:
    folder = ml_latest_small(tmp_path / "ml-latest-small")
    matrix = await card_of(storage, model, folder, 1)
    assert url_buttons(matrix) == {
        "IMDb": "https://www.imdb.com/title/tt0133093/",
        "TMDB": "https://www.themoviedb.org/movie/603",
    }
    assert url_buttons(await card_of(storage, model, folder, 2)) == {
        "IMDb": "https://www.imdb.com/title/tt0209144/"
    }
    up = await card_of(storage, model, folder, 3)
    assert url_buttons(up) == {} and "★5" in {b.label for row in up.buttons for b in row}


async def test_ml100k_u_item_gives_its_imdb_address(
    storage: Storage, model: FactorModel, tmp_path: Path
) -> None:
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    flags = "|".join("1" if g == "Comedy" else "0" for g in ml100k.STANDARD_GENRES)
    url = "http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)"
    (folder / "u.item").write_text(f"1|Toy Story (1995)|01-Jan-1995||{url}|{flags}\n")
    (folder / "u.data").write_text("1\t1\t4\t1\n")
    assert url_buttons(await card_of(storage, model, folder, 1)) == {"IMDb": url}


async def test_recboles_ml100k_has_no_links_and_no_buttons(chat: Chat) -> None:
    """The atomic files fetched from RecBole's wheel drop u.item's URL column."""
    [card] = await chat.command(ADA, "rate")
    assert url_buttons(card) == {}
    assert "href" not in card.text
