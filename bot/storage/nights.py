"""Group chats and their movie nights: who is in, the films put to the vote, the pick."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from bot.storage.database import Database, fetch
from bot.storage.records import Ballot, MovieNight, Rating

_NIGHT_COLUMNS = "night_id, chat_id, message_id, filter, status, created_by, created_at"


class NightStore(Database):
    """Groups, movie nights and their votes."""

    async def upsert_group(self, chat_id: int, title: str) -> None:
        """Remember a group chat, or update its title."""
        await self.write(
            "INSERT INTO groups (chat_id, title, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET title = excluded.title",
            (chat_id, title, self.now()),
        )

    async def create_night(
        self, chat_id: int, created_by: int | None, filter_text: str = ""
    ) -> int:
        """Start a movie night in a group; returns its id."""
        rows = await self.write(
            "INSERT INTO movie_nights (chat_id, filter, created_by, created_at) "
            "VALUES (?, ?, ?, ?) RETURNING night_id",
            (chat_id, filter_text, created_by, self.now()),
            marks_handled=True,
        )
        return int(rows[0][0])

    async def set_night_message(self, night_id: int, message_id: int) -> None:
        """Remember which message shows the night, so later changes can edit it."""
        await self.write(
            "UPDATE movie_nights SET message_id = ? WHERE night_id = ?", (message_id, night_id)
        )

    async def night(self, night_id: int) -> MovieNight | None:
        rows = await self.read(
            f"SELECT {_NIGHT_COLUMNS} FROM movie_nights WHERE night_id = ?", (night_id,)
        )
        return MovieNight(*rows[0]) if rows else None

    async def current_night(self, chat_id: int) -> MovieNight | None:
        """The group's latest night that is still open or voting."""
        rows = await self.read(
            f"SELECT {_NIGHT_COLUMNS} FROM movie_nights "
            "WHERE chat_id = ? AND status IN ('open', 'voting') ORDER BY night_id DESC LIMIT 1",
            (chat_id,),
        )
        return MovieNight(*rows[0]) if rows else None

    async def join_night(self, night_id: int, user_id: int) -> bool:
        """Add a user to a night (and to its group). True when they were not in it yet."""
        now = self.now()

        def write(db: sqlite3.Connection) -> bool:
            joined = fetch(
                db,
                "INSERT OR IGNORE INTO night_participants (night_id, user_id, joined_at) "
                "VALUES (?, ?, ?) RETURNING 1",
                (night_id, user_id, now),
            )
            db.execute(
                "INSERT OR IGNORE INTO group_members (chat_id, user_id, joined_at) "
                "SELECT chat_id, ?, ? FROM movie_nights WHERE night_id = ?",
                (user_id, now, night_id),
            )
            return bool(joined)

        return await self.transaction(write, marks_handled=True)

    async def leave_night(self, night_id: int, user_id: int) -> bool:
        """Take a user out of a night. True when they were in it."""
        left = await self.write(
            "DELETE FROM night_participants WHERE night_id = ? AND user_id = ? RETURNING 1",
            (night_id, user_id),
        )
        return bool(left)

    async def night_participants(self, night_id: int) -> list[int]:
        """User ids in the night, in the order they joined."""
        rows = await self.read(
            "SELECT user_id FROM night_participants WHERE night_id = ? ORDER BY joined_at, user_id",
            (night_id,),
        )
        return [user_id for (user_id,) in rows]

    async def night_people(self, night_id: int) -> list[tuple[int, str]]:
        """(user id, first name) of everyone in the night, in the order they joined."""
        return [
            (user_id, name)
            for user_id, name in await self.read(
                "SELECT p.user_id, u.first_name FROM night_participants p "
                "JOIN users u USING (user_id) WHERE p.night_id = ? "
                "ORDER BY p.joined_at, p.user_id",
                (night_id,),
            )
        ]

    async def ratings_of(self, user_ids: Sequence[int]) -> dict[int, list[Rating]]:
        """Several users' ratings in one query (every id is a key, with [] if none)."""
        rows = await self.read(
            "SELECT user_id, item_id, stars, updated_at FROM ratings "
            "WHERE user_id IN (SELECT value FROM json_each(?)) ORDER BY user_id, item_id",
            (json.dumps([int(u) for u in user_ids]),),
        )
        out: dict[int, list[Rating]] = {int(u): [] for u in user_ids}
        for user_id, item_id, stars, updated_at in rows:
            out[user_id].append(Rating(item_id, float(stars), updated_at))
        return out

    async def dismissed_by_any(self, user_ids: Sequence[int]) -> set[int]:
        """Films that any of these users dismissed, whichever way."""
        rows = await self.read(
            "SELECT DISTINCT item_id FROM dismissals "
            "WHERE user_id IN (SELECT value FROM json_each(?))",
            (json.dumps([int(u) for u in user_ids]),),
        )
        return {item_id for (item_id,) in rows}

    async def open_vote(self, night_id: int, films: Sequence[tuple[int, float]]) -> bool:
        """Move an open night to voting and store the films put to the vote, in poll order.
        False (and nothing stored) when the night is not open: someone else got there first."""
        rows = [
            (night_id, position, int(item), float(score))
            for position, (item, score) in enumerate(films)
        ]

        def write(db: sqlite3.Connection) -> bool:
            moved = fetch(
                db,
                "UPDATE movie_nights SET status = 'voting' "
                "WHERE night_id = ? AND status = 'open' RETURNING 1",
                (night_id,),
            )
            if moved:
                db.executemany(
                    "INSERT INTO night_films (night_id, position, item_id, score) "
                    "VALUES (?, ?, ?, ?)",
                    rows,
                )
            return bool(moved)

        return await self.transaction(write, marks_handled=True)

    async def set_night_poll(self, night_id: int, poll_id: str, message_id: int) -> None:
        """Remember the native poll (and its message) that carries a night's vote."""
        await self.write(
            "UPDATE movie_nights SET poll_id = ?, poll_message_id = ? WHERE night_id = ?",
            (poll_id, message_id, night_id),
        )

    async def record_vote(self, night_id: int, user_id: int, positions: Sequence[int]) -> bool:
        """Replace a participant's vote (no positions: they took it back). False, and nothing
        stored, when the user is not in the night: outsiders do not vote."""

        def write(db: sqlite3.Connection) -> bool:
            member = fetch(
                db,
                "SELECT 1 FROM night_participants WHERE night_id = ? AND user_id = ?",
                (night_id, user_id),
            )
            if not member:
                return False
            db.execute(
                "DELETE FROM night_votes WHERE night_id = ? AND user_id = ?", (night_id, user_id)
            )
            db.executemany(
                "INSERT INTO night_votes (night_id, user_id, position) VALUES (?, ?, ?)",
                [(night_id, user_id, int(p)) for p in set(positions)],
            )
            return True

        return await self.transaction(write, marks_handled=True)

    async def vote_counts(self, night_id: int, options: int) -> tuple[list[int], int]:
        """Votes for each of the night's ``options`` from people still in it, and how many of
        them have voted."""
        rows = await self.read(
            "SELECT v.position, v.user_id FROM night_votes v JOIN night_participants p "
            "USING (night_id, user_id) WHERE v.night_id = ?",
            (night_id,),
        )
        counts = [0] * options
        for position, _ in rows:
            if 0 <= position < options:
                counts[position] += 1
        return counts, len({user for _, user in rows})

    async def ballot(self, night_id: int) -> Ballot | None:
        """The night's vote; None for an unknown night (films are () before the vote)."""
        # One query, so the night and its films come from the same snapshot; on the reading
        # connection, so a write lock held elsewhere does not hold it up.
        rows = await self.read(
            "SELECT m.poll_id, m.poll_message_id, m.picked_item, f.item_id, f.score "
            "FROM movie_nights m LEFT JOIN night_films f USING (night_id) "
            "WHERE m.night_id = ? ORDER BY f.position",
            (night_id,),
        )
        if not rows:
            return None
        poll_id, message_id, picked = rows[0][:3]
        films = tuple((item, float(score)) for *_, item, score in rows if item is not None)
        return Ballot(night_id, films, poll_id, message_id, picked)

    async def night_by_poll(self, poll_id: str) -> MovieNight | None:
        rows = await self.read(
            f"SELECT {_NIGHT_COLUMNS} FROM movie_nights WHERE poll_id = ?", (poll_id,)
        )
        return MovieNight(*rows[0]) if rows else None

    async def close_vote(self, night_id: int, picked_item: int) -> bool:
        """Close a night that is voting, with its pick. False when it was not voting (closed
        already by another path: a button, a poll update)."""
        closed = await self.write(
            "UPDATE movie_nights SET status = 'closed', picked_item = ? "
            "WHERE night_id = ? AND status = 'voting' RETURNING 1",
            (picked_item, night_id),
        )
        return bool(closed)

    async def cancel_night(self, night_id: int) -> bool:
        """Cancel a night that is still open or voting; True when it was."""
        cancelled = await self.write(
            "UPDATE movie_nights SET status = 'cancelled' "
            "WHERE night_id = ? AND status IN ('open', 'voting') RETURNING 1",
            (night_id,),
        )
        return bool(cancelled)
