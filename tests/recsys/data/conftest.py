"""Fixtures for the data layer: tiny MovieLens files written from string literals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

Write = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """``write("ml/u.data", "1\\t2\\t3\\t4\\n")``: the file, under tmp_path, parents created.

    ``encoding`` defaults to utf-8; bytes are written as they are.
    """

    def _write(relative: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path

    return _write
