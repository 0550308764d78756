"""Errors the data layer raises: a file that is not what its format promises, or a failed fetch."""

from __future__ import annotations

from pathlib import Path


class DataFormatError(ValueError):
    """A MovieLens file is missing, empty, truncated or malformed.

    The message names the file and, where one is to blame, the 1-based line number, so that
    ``ratings.csv: line 1042: rating 'abc' is not a number`` can be fixed by hand.
    """

    def __init__(self, path: Path | str, reason: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        where = str(self.path) if line is None else f"{self.path}: line {line}"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type[DataFormatError], tuple[Path, str, int | None]]:
        # Keeps the error picklable across process pools (the default would pass only the message).
        return (type(self), (self.path, self.reason, self.line))


class FetchError(RuntimeError):
    """No source could deliver the dataset; the message says what each one answered."""


class ChecksumError(FetchError, ValueError):
    """A download does not match its published checksum; nothing of it was kept."""
