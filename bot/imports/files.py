"""An uploaded file's bytes to CSV rows, refusing what is too big, hostile or unreadable.

A zip (Letterboxd's export) gives up its ``ratings.csv``; a zip bomb is refused by counting
members and reading at most ``MAX_CSV_BYTES`` of the member, whatever its header claims.
Text must be UTF-8 (a BOM is fine) or UTF-16 with a BOM: guessing a legacy code page would
match films under garbled titles without a word.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

MAX_FILE_BYTES = 5 * 1024 * 1024  # what a user may send; checked before downloading
MAX_CSV_BYTES = 20 * 1024 * 1024  # a CSV inside a zip, once uncompressed
MAX_MEMBERS = 1000  # files in a zip (Letterboxd's has a dozen, plus one per list)
MAX_ROWS = 20_000  # ratings in one import
RATINGS_MEMBER = "ratings.csv"


class BadImport(ValueError):
    """A file that cannot be imported; its message is the one line the user sees."""


@dataclass(frozen=True)
class Table:
    """A CSV's header (lower-cased, trimmed) and its non-empty rows by column name."""

    columns: frozenset[str]
    rows: list[dict[str, str]]


def read_table(name: str, data: bytes) -> Table:
    """The CSV of an upload (a CSV, or a zip holding ``ratings.csv``). Raises
    :class:`BadImport`."""
    if len(data) > MAX_FILE_BYTES:
        raise BadImport(too_big())
    if data.startswith(b"PK\x03\x04") or name.lower().endswith(".zip"):
        data = _ratings_in_zip(data)
    return _csv_rows(_decode(data))


def too_big() -> str:
    return f"That file is over {MAX_FILE_BYTES // (1024 * 1024)} MB: send only the ratings CSV."


def _ratings_in_zip(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise BadImport(f"That zip holds over {MAX_MEMBERS} files: it is not an export.")
            found = [m for m in members if PurePosixPath(m.filename).name.lower() == RATINGS_MEMBER]
            if not found:
                raise BadImport(
                    "That zip has no ratings.csv in it: send Letterboxd's export zip, or a CSV."
                )
            # The shortest path: Letterboxd's own ratings.csv, not one inside a folder of lists.
            member = min(found, key=lambda m: len(m.filename))
            if member.file_size > MAX_CSV_BYTES:
                raise BadImport(_bomb())
            with archive.open(member) as stream:
                content = stream.read(MAX_CSV_BYTES + 1)  # never trust the header's size
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        raise BadImport("That zip is damaged or encrypted: I could not open it.") from None
    if len(content) > MAX_CSV_BYTES:
        raise BadImport(_bomb())
    return content


def _bomb() -> str:
    return (
        f"The CSV in that zip unpacks to over {MAX_CSV_BYTES // (1024 * 1024)} MB: not an export."
    )


def _decode(data: bytes) -> str:
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise BadImport(
            "I could not read that file's text: save it as a UTF-8 CSV and send it again."
        ) from None
    if "\x00" in text:
        raise BadImport(unknown_format())
    return text


def unknown_format() -> str:
    return (
        "I don't know that file: send Letterboxd's export (the zip or its ratings.csv), "
        "IMDb's ratings CSV, or a CSV with movieId and rating. /import says how."
    )


def _csv_rows(text: str) -> Table:
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if not header:
            raise BadImport(unknown_format())
        names = [column.strip().lower() for column in header]
        rows: list[dict[str, str]] = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise BadImport(f"That file has over {MAX_ROWS:,} ratings: send fewer at a time.")
            rows.append(dict(zip(names, values, strict=False)))
    except csv.Error:
        raise BadImport("That file is not a well-formed CSV: I could not read its rows.") from None
    return Table(frozenset(names), rows)
