"""An import from start to end: read the file, match its films to the catalogue, store the
ratings as one change (/undo takes it back whole), and say what happened."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.imports.files import BadImport, read_table
from bot.imports.formats import Parsed, Row, parse
from bot.storage import Storage
from recsys.data import Catalog
from recsys.data.matching import Entry, Matcher, title_key


@dataclass(frozen=True)
class Imported:
    """What an import did: films stored, films kept as the user had rated them here (the
    bot's rating wins), and the file's films the catalogue does not have."""

    source: str
    stored: list[int]
    kept: list[int]
    missing: list[Row]
    unreadable: int
    not_films: int = 0  # TV series, episodes, games in the file: left out


class Importer:
    """Imports for one storage and catalogue; the catalogue's index is built on first use."""

    def __init__(self, storage: Storage, catalog: Catalog) -> None:
        self.storage = storage
        self.catalog = catalog
        self._matcher: Matcher | None = None
        self._building = asyncio.Lock()

    async def matcher(self) -> Matcher:
        async with self._building:
            if self._matcher is None:  # ~0.1 s for ml-100k, seconds for ml-32m: a thread
                self._matcher = await asyncio.to_thread(Matcher.from_catalog, self.catalog)
            return self._matcher

    async def run(self, user_id: int, name: str, data: bytes) -> Imported:
        """Import an uploaded file for the user; :class:`BadImport` stores nothing."""
        parsed = await asyncio.to_thread(lambda: parse(read_table(name, data)))
        if not parsed.rows and parsed.not_films:
            raise BadImport(
                f"That {parsed.source} file rates only TV series and episodes: I know films."
            )
        if not parsed.rows:
            raise BadImport(f"I found no ratings in that {parsed.source} file.")
        matcher = await self.matcher()
        stars, missing = await asyncio.to_thread(self._match, matcher, parsed)
        if not stars:
            raise BadImport(
                f"None of the {len(parsed.rows)} films in that file is in my catalogue"
                f"{self.limits()}, so nothing was imported."
            )
        stored = await self.storage.import_ratings(user_id, stars)
        kept = [item for item in stars if item not in set(stored)]
        return Imported(parsed.source, stored, kept, missing, parsed.unreadable, parsed.not_films)

    def _match(self, matcher: Matcher, parsed: Parsed) -> tuple[dict[int, float], list[Row]]:
        stars: dict[int, float] = {}
        missing: list[Row] = []
        for row in parsed.rows:
            item = self._find(matcher, row)
            if item is None:
                missing.append(row)
            else:
                stars[item] = row.stars  # two lines for one film: the later wins
        return stars, missing

    def _find(self, matcher: Matcher, row: Row) -> int | None:
        if row.movie_id is None:
            return matcher.match(Entry(row.title, row.year, row.imdb_id))
        if not row.title:  # ids alone: MovieLens ids of this catalogue
            return row.movie_id if row.movie_id in self.catalog else None
        # Ids differ between MovieLens releases (ml-100k's 50 is ml-latest's 260): a title
        # that disagrees with the id wins over it.
        found = matcher.match(Entry(row.title, row.year))
        if found is not None or row.movie_id not in self.catalog:
            return found
        same = title_key(self.catalog.title(row.movie_id)) == title_key(row.title)
        return row.movie_id if same else None

    def limits(self) -> str:
        """Where the catalogue stops, for messages about films it lacks."""
        catalog = self.catalog
        if catalog.name and catalog.last_year:
            return f" (my films come from {catalog.name}, which stops in {catalog.last_year})"
        return ""
