"""/forget leaves nothing of the person in the database's files: not in the main file's free
pages, not in the write-ahead log."""

from __future__ import annotations

from pathlib import Path

from bot.storage import Storage

NAME = "Zebediah-Quillfeather"


def on_disk(database: Path) -> bytes:
    return b"".join(
        path.read_bytes() for path in database.parent.iterdir() if path.name.startswith("db")
    )


async def test_a_forgotten_user_leaves_no_bytes_behind(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    storage = await Storage.open(database)
    try:
        await storage.ensure_user(42, NAME, "en")
        await storage.rate(42, 50, 5.0)
        await storage.ensure_user(43, "Someone Else", "en")
        assert NAME.encode() in on_disk(database)
        assert await storage.forget_user(42)
        assert NAME.encode() not in on_disk(database)
        assert await storage.user(43) is not None
    finally:
        await storage.close()
