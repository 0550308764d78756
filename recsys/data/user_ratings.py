"""One person's ratings from a CSV file: what ``plot --user-ratings`` maps.

It takes the file the bot's /export writes (``movielens_id,title,year,stars,rated_at_utc``)
as well as a plain ``item_id,rating`` table; a bad line is named with its number.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from recsys.data.errors import DataFormatError
from recsys.data.readers.catalog import decode, parse_id

ID_COLUMNS = ("item_id", "movielens_id", "movieId")
STAR_COLUMNS = ("rating", "stars")
LOWEST, HIGHEST = 0.5, 5.0


def read_user_ratings(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(item ids, stars)``; DataFormatError naming the file and line of anything wrong."""
    try:
        text = decode(path.read_bytes())
    except OSError as error:
        raise DataFormatError(path, f"cannot be read ({error.strerror})") from None
    rows = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(rows, [])]
    id_column = next((header.index(c) for c in ID_COLUMNS if c in header), None)
    star_column = next((header.index(c) for c in STAR_COLUMNS if c in header), None)
    if id_column is None or star_column is None:
        raise DataFormatError(
            path,
            f"the header needs an id column ({', '.join(ID_COLUMNS)}) and a stars column "
            f"({', '.join(STAR_COLUMNS)}); found {', '.join(header) or 'nothing'}",
            1,
        )
    ids, stars = [], []
    for row in rows:
        line = rows.line_num
        if not any(field.strip() for field in row):
            continue
        if len(row) <= max(id_column, star_column):
            raise DataFormatError(path, f"expected {len(header)} fields, found {len(row)}", line)
        ids.append(parse_id(row[id_column], path, line, header[id_column]))
        stars.append(_stars(row[star_column], path, line, header[star_column]))
    if not ids:
        raise DataFormatError(path, "no ratings after the header")
    return np.array(ids, np.int64), np.array(stars, np.float64)


def _stars(text: str, path: Path, line: int, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataFormatError(path, f"{what} {text.strip()!r} is not a number", line) from None
    if math.isnan(value) or not LOWEST <= value <= HIGHEST:
        raise DataFormatError(path, f"{what} {value:g} is not between 0.5 and 5", line)
    return value
