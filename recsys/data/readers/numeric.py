"""Fast reading of big delimited numeric tables (the ratings files), with exact error lines.

The file is read in blocks that end on a line break, each parsed by pandas' C engine with
explicit dtypes. Counting line breaks per block keeps the 1-based line number of every block's
first line, so when a block fails to parse only that block is rescanned line by line, in
Python, to name the offending line.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data.errors import DataFormatError

BLOCK_BYTES = 64 << 20
MAX_LINE_BYTES = 1 << 20  # a ratings line is a few dozen bytes: past this, no line breaks

# One more column than the file should have: a line with too many fields fills it, even the
# first line (where pandas would otherwise silently turn the surplus into an index).
_SURPLUS = "__surplus__"
_INT_LIMITS = {
    name: (int(np.iinfo(name).min), int(np.iinfo(name).max)) for name in ("int32", "int64")
}
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Field:
    """One column of the file: ``dtype`` is int32, int64, float32 or float64, or None for a
    column that is present but not wanted (read as text, so keep such columns rare).
    ``above``/``at_most``: the open-closed range a number must lie in, when it has one."""

    name: str
    dtype: str | None
    above: float | None = None
    at_most: float | None = None

    def out_of_range(self, values: np.ndarray) -> np.ndarray:
        bad = np.zeros(len(values), bool)
        if self.above is not None:
            bad |= values <= self.above
        if self.at_most is not None:
            bad |= values > self.at_most
        return bad


def read_numeric_table(
    path: Path,
    fields: Sequence[Field],
    *,
    sep: str,
    skip_lines: int = 0,
    transform: Callable[[bytes], bytes] | None = None,
    block_bytes: int = BLOCK_BYTES,
    max_bytes: int | None = None,
) -> dict[str, np.ndarray]:
    """The wanted columns of ``path`` as arrays of their dtypes.

    ``skip_lines`` leading lines (a header the caller has checked) are skipped; ``transform``
    rewrites each raw block before parsing and must not add or remove line breaks (the
    ``.dat`` files use it to turn ``::`` into a one-byte separator). Blank lines are skipped.
    ``max_bytes``: only the whole lines within about that many bytes from the start.
    Raises DataFormatError naming the first bad line, or when there is no data line at all.
    """
    wanted = [f for f in fields if f.dtype is not None]
    parts: dict[str, list[np.ndarray]] = {f.name: [] for f in wanted}
    if max_bytes is not None:
        block_bytes = max(1, min(block_bytes, max_bytes))
    for first_line, block in _blocks(path, skip_lines, block_bytes, max_bytes):
        data = block if transform is None else transform(block)
        frame = _parse_block(path, data, first_line, fields, sep)
        for f in wanted:
            parts[f.name].append(frame[f.name].to_numpy())
        del frame
    columns: dict[str, np.ndarray] = {}
    for f in wanted:
        # One column at a time, freeing its pieces, so the peak stays near the final size.
        pieces = parts.pop(f.name)
        columns[f.name] = np.concatenate(pieces) if pieces else np.empty(0, f.dtype)
    if not len(columns[wanted[0].name]):
        raise DataFormatError(path, "empty file: no data lines")
    return columns


def _blocks(
    path: Path, skip_lines: int, block_bytes: int, max_bytes: int | None = None
) -> Iterator[tuple[int, bytes]]:
    """``(line number of the block's first line, block)``, each block ending on a line break
    except perhaps the last; with ``max_bytes``, whole lines only, stopping past that many."""
    with path.open("rb") as file:
        for _ in range(skip_lines):
            file.readline()
        line = skip_lines + 1
        read = 0
        rest = b""
        while chunk := file.read(block_bytes):
            buffer = rest + chunk
            cut = buffer.rfind(b"\n") + 1
            if cut == 0:  # one line longer than a block: keep reading
                if len(buffer) > MAX_LINE_BYTES:
                    raise DataFormatError(
                        path, f"a line longer than {MAX_LINE_BYTES >> 20} MB: no line breaks?", line
                    )
                rest = buffer
                continue
            block, rest = buffer[:cut], buffer[cut:]
            yield line, block
            line += block.count(b"\n")
            read += len(block)
            if max_bytes is not None and read >= max_bytes:
                return  # the rest of the file, and the cut line in ``rest``, are not wanted
        if rest:
            yield line, rest


def _parse_block(
    path: Path, block: bytes, first_line: int, fields: Sequence[Field], sep: str
) -> pd.DataFrame:
    names = [f.name for f in fields] + [_SURPLUS]
    dtypes = {f.name: f.dtype or "str" for f in fields} | {_SURPLUS: "float64"}
    try:
        frame = pd.read_csv(
            io.BytesIO(block), sep=sep, header=None, names=names, dtype=dtypes, engine="c"
        )
    except (ValueError, OverflowError, pd.errors.ParserError) as exc:
        raise _diagnose(path, block, first_line, fields, sep, cause=str(exc)) from exc
    suspicious = frame[_SURPLUS].notna().any() or any(
        not np.isfinite(frame[f.name].to_numpy()).all()
        or f.out_of_range(frame[f.name].to_numpy()).any()
        for f in fields
        if f.dtype is not None and f.dtype.startswith("float")
    )
    if suspicious:
        raise _diagnose(path, block, first_line, fields, sep, cause="a missing or extra value")
    return frame


def _diagnose(
    path: Path, block: bytes, first_line: int, fields: Sequence[Field], sep: str, cause: str
) -> DataFormatError:
    """The error for the first bad line of a block the fast parser rejected."""
    separator = sep.encode()
    for offset, raw in enumerate(block.split(b"\n")):
        line = raw.rstrip(b"\r")
        if not line:  # pandas skips empty lines, but not ones holding only spaces
            continue
        reason = _check_line(line.split(separator), fields)
        if reason is not None:
            return DataFormatError(path, reason, first_line + offset)
    # The fast parser and this scan disagree; still refuse to load a partial table.
    return DataFormatError(path, f"cannot parse lines {first_line} onwards ({cause})")


def _check_line(values: list[bytes], fields: Sequence[Field]) -> str | None:
    if len(values) != len(fields):
        return f"expected {len(fields)} fields, found {len(values)}"
    for field, raw in zip(fields, values, strict=True):
        if field.dtype is None:
            continue
        text = raw.decode("utf-8", errors="replace").strip()
        if field.dtype.startswith("int"):
            reason = _check_int(text, field)
        else:
            reason = _check_float(text, field) or _check_range(text, field)
        if reason is not None:
            return reason
    return None


def _check_int(text: str, field: Field) -> str | None:
    if _WHOLE_NUMBER.fullmatch(text) is None:
        return f"{field.name} {text!r} is not a whole number"
    low, high = _INT_LIMITS[str(field.dtype)]
    if not low <= int(text) <= high:
        return f"{field.name} {text} is out of range for {field.dtype}"
    return None


def _check_float(text: str, field: Field) -> str | None:
    try:
        value = float(text)
    except ValueError:
        return f"{field.name} {text!r} is not a number"
    if not math.isfinite(value):
        return f"{field.name} {text!r} is not a finite number"
    return None


def _check_range(text: str, field: Field) -> str | None:
    if not field.out_of_range(np.array([float(text)])).any():
        return None
    bounds = [f"above {field.above:g}"] if field.above is not None else []
    bounds += [f"at most {field.at_most:g}"] if field.at_most is not None else []
    return f"{field.name} {text} is out of range (it must be {' and '.join(bounds)})"


# Stars: MovieLens rates 0.5 to 5 (100k: 1 to 5). Zero or less is no rating, and far above
# the scale (1e30) is a broken file, not a taste.
RATING = Field("rating", "float32", above=0.0, at_most=10.0)
RATING_FIELDS = (
    Field("user_id", "int32"),
    Field("item_id", "int32"),
    RATING,
    Field("timestamp", "int64"),
)
