"""The database schema as an ordered list of migrations, and the code that applies them.

``PRAGMA user_version`` holds how many migrations a database file has had. Migrations are only
ever appended: a released one is never edited, because files in the wild already ran it.
"""

from __future__ import annotations

import sqlite3

# Each migration is a tuple of single statements (not a script): the sqlite3 module's
# executescript() commits on its own, and a migration must commit together with its version.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: people and their answers.
    (
        """
        CREATE TABLE users (
            user_id      INTEGER PRIMARY KEY,
            first_name   TEXT    NOT NULL DEFAULT '',
            language     TEXT,
            created_at   INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL,
            blocked      INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1))
        )
        """,
        """
        CREATE TABLE ratings (
            user_id    INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            item_id    INTEGER NOT NULL,
            stars      REAL    NOT NULL
                       CHECK (stars BETWEEN 0.5 AND 5.0 AND stars * 2 = CAST(stars * 2 AS INTEGER)),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, item_id)
        ) WITHOUT ROWID
        """,
        # No index on updated_at: one user's ratings are few enough to sort, counting by time
        # is an admin query, and each index slowed every rate() down.
        """
        CREATE TABLE dismissals (
            user_id    INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            item_id    INTEGER NOT NULL,
            kind       TEXT    NOT NULL CHECK (kind IN ('unseen', 'not_interested', 'skipped')),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, item_id)
        ) WITHOUT ROWID
        """,
        # What each answer replaced, so /undo can put back exactly the row that was there
        # (a rating with its timestamps, a dismissal, or nothing). seq counts per user.
        """
        CREATE TABLE answers (
            user_id         INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            seq             INTEGER NOT NULL,
            item_id         INTEGER NOT NULL,
            kind            TEXT    NOT NULL
                            CHECK (kind IN ('rated', 'unseen', 'not_interested', 'skipped')),
            prev_stars      REAL,
            prev_dismissal  TEXT CHECK (prev_dismissal IN ('unseen', 'not_interested', 'skipped')),
            prev_created_at INTEGER,
            prev_updated_at INTEGER,
            answered_at     INTEGER NOT NULL,
            CHECK (prev_stars IS NULL OR prev_dismissal IS NULL),
            PRIMARY KEY (user_id, seq)
        ) WITHOUT ROWID
        """,
        # /undo only ever goes back a few steps: keep about the last 100 answers per user.
        # Pruning on every insert halved rate() throughput; every 32nd answer is enough.
        """
        CREATE TRIGGER answers_keep_recent AFTER INSERT ON answers WHEN NEW.seq % 32 = 0
        BEGIN
            DELETE FROM answers
            WHERE user_id = NEW.user_id
              AND seq < (SELECT seq FROM answers WHERE user_id = NEW.user_id
                         ORDER BY seq DESC LIMIT 1 OFFSET 99);
        END
        """,
        """
        CREATE TABLE watchlist (
            user_id  INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            item_id  INTEGER NOT NULL,
            added_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, item_id)
        ) WITHOUT ROWID
        """,
    ),
    # 2: group chats and their movie nights.
    (
        """
        CREATE TABLE groups (
            chat_id    INTEGER PRIMARY KEY,
            title      TEXT    NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL
        )
        """,
        """
        CREATE TABLE group_members (
            chat_id   INTEGER NOT NULL REFERENCES groups (chat_id) ON DELETE CASCADE,
            user_id   INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            joined_at INTEGER NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        ) WITHOUT ROWID
        """,
        # Foreign keys are checked from the child side: without these indexes every deleted
        # user would scan the whole table.
        "CREATE INDEX group_members_by_user ON group_members (user_id)",
        """
        CREATE TABLE movie_nights (
            night_id   INTEGER PRIMARY KEY,
            chat_id    INTEGER NOT NULL REFERENCES groups (chat_id) ON DELETE CASCADE,
            message_id INTEGER,
            filter     TEXT    NOT NULL DEFAULT '',
            status     TEXT    NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'voting', 'closed', 'cancelled')),
            created_by INTEGER REFERENCES users (user_id) ON DELETE SET NULL,
            created_at INTEGER NOT NULL
        )
        """,
        "CREATE INDEX movie_nights_by_chat ON movie_nights (chat_id, night_id)",
        "CREATE INDEX movie_nights_by_creator ON movie_nights (created_by)",
        """
        CREATE TABLE night_participants (
            night_id  INTEGER NOT NULL REFERENCES movie_nights (night_id) ON DELETE CASCADE,
            user_id   INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            joined_at INTEGER NOT NULL,
            PRIMARY KEY (night_id, user_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX night_participants_by_user ON night_participants (user_id)",
    ),
    # 3: the history of model retraining.
    (
        """
        CREATE TABLE training_runs (
            run_id        INTEGER PRIMARY KEY,
            started_at    INTEGER NOT NULL,
            finished_at   INTEGER,
            trigger       TEXT    NOT NULL CHECK (
                              trigger = 'nightly'
                              OR (trigger GLOB 'admin:[0-9]*'
                                  AND substr(trigger, 7) NOT GLOB '*[^0-9]*')),
            status        TEXT    NOT NULL DEFAULT 'running'
                          CHECK (status IN ('running', 'swapped', 'kept', 'failed')),
            metrics       TEXT CHECK (metrics IS NULL OR json_valid(metrics)),
            error         TEXT,
            model_version TEXT
        )
        """,
    ),
    # 4: a movie night's vote: the films put to it, the native poll that carries it, the pick.
    (
        "ALTER TABLE movie_nights ADD COLUMN poll_id TEXT",
        "ALTER TABLE movie_nights ADD COLUMN poll_message_id INTEGER",
        "ALTER TABLE movie_nights ADD COLUMN picked_item INTEGER",
        # Poll updates carry only the poll id: this finds their night.
        "CREATE UNIQUE INDEX movie_nights_by_poll ON movie_nights (poll_id) "
        "WHERE poll_id IS NOT NULL",
        """
        CREATE TABLE night_films (
            night_id INTEGER NOT NULL REFERENCES movie_nights (night_id) ON DELETE CASCADE,
            position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 11),
            item_id  INTEGER NOT NULL,
            score    REAL    NOT NULL,
            PRIMARY KEY (night_id, position)
        ) WITHOUT ROWID
        """,
    ),
    # 5: updates taken from Telegram, kept until handled, so a crash neither drops the ones
    # fetched but not yet handled nor handles one twice (bot/inbox.py).
    (
        """
        CREATE TABLE inbox (
            update_id   INTEGER PRIMARY KEY,
            payload     TEXT,
            received_at INTEGER NOT NULL,
            done_at     INTEGER
        )
        """,
        "CREATE INDEX inbox_pending ON inbox (update_id) WHERE done_at IS NULL",
    ),
    # 6: pruning the inbox scanned the whole table (a day of updates: millions of rows on a
    # busy bot) every thousand updates; by receipt time it is a range of this index.
    ("CREATE INDEX inbox_by_age ON inbox (received_at)",),
    # 7: a movie night's votes, by voter: only the night's participants count, and the poll
    # (no longer anonymous) says who voted. A forgotten user's vote goes with them.
    (
        """
        CREATE TABLE night_votes (
            night_id INTEGER NOT NULL REFERENCES movie_nights (night_id) ON DELETE CASCADE,
            user_id  INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 11),
            PRIMARY KEY (night_id, user_id, position)
        ) WITHOUT ROWID
        """,
    ),
    # 8: the change journal (bot/storage/journal.py) replaces the answer log, so that /undo
    # takes back any change (a deleted rating, a watchlist edit, a whole import of many films)
    # and not only the last rating or dismissal. The answers logged so far carry over.
    (
        """
        CREATE TABLE journal (
            user_id         INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            seq             INTEGER NOT NULL,
            change_id       INTEGER NOT NULL,
            kind            TEXT    NOT NULL CHECK (kind IN ('rated', 'unseen',
                                'not_interested', 'skipped', 'deleted', 'listed', 'unlisted',
                                'imported')),
            item_id         INTEGER NOT NULL,
            prev_stars      REAL,
            prev_dismissal  TEXT CHECK (prev_dismissal IN ('unseen', 'not_interested', 'skipped')),
            prev_created_at INTEGER,
            prev_updated_at INTEGER,
            answer          INTEGER NOT NULL CHECK (answer IN (0, 1)),
            listing         INTEGER NOT NULL CHECK (listing IN (0, 1)),
            prev_listed_at  INTEGER,
            made_at         INTEGER NOT NULL,
            CHECK (prev_stars IS NULL OR prev_dismissal IS NULL),
            CHECK (change_id <= seq),
            PRIMARY KEY (user_id, seq)
        ) WITHOUT ROWID
        """,
        # The answer log never touched the watchlist: its rows leave the watchlist alone.
        """
        INSERT INTO journal (user_id, seq, change_id, kind, item_id, prev_stars, prev_dismissal,
                             prev_created_at, prev_updated_at, answer, listing, made_at)
        SELECT user_id, seq, seq, kind, item_id, prev_stars, prev_dismissal, prev_created_at,
               prev_updated_at, 1, 0, answered_at
        FROM answers
        """,
        "DROP TRIGGER answers_keep_recent",
        "DROP TABLE answers",
        # Keep about the last 100 changes per user, checked when every 32nd change begins (an
        # import is one change of many rows: it is pruned whole, never in part).
        """
        CREATE TRIGGER journal_keep_recent AFTER INSERT ON journal
        WHEN NEW.seq = NEW.change_id AND NEW.seq % 32 = 0
        BEGIN
            DELETE FROM journal
            WHERE user_id = NEW.user_id
              AND change_id < (SELECT change_id FROM journal WHERE user_id = NEW.user_id
                               GROUP BY change_id ORDER BY change_id DESC LIMIT 1 OFFSET 99);
        END
        """,
    ),
    # posters: TMDB poster paths by tmdbId (bot/posters/), kept six months at most; a NULL
    # path means TMDB has no poster for the film.
    (
        """
        CREATE TABLE posters (
            tmdb_id    INTEGER PRIMARY KEY,
            path       TEXT,
            fetched_at INTEGER NOT NULL
        ) WITHOUT ROWID
        """,
    ),
    # 10: a training run may be the full model trained after a quick first one ('first'), not
    # only a nightly or an admin's. SQLite cannot change a CHECK: the table is rebuilt.
    (
        """
        CREATE TABLE training_runs_new (
            run_id        INTEGER PRIMARY KEY,
            started_at    INTEGER NOT NULL,
            finished_at   INTEGER,
            trigger       TEXT    NOT NULL CHECK (
                              trigger IN ('nightly', 'first')
                              OR (trigger GLOB 'admin:[0-9]*'
                                  AND substr(trigger, 7) NOT GLOB '*[^0-9]*')),
            status        TEXT    NOT NULL DEFAULT 'running'
                          CHECK (status IN ('running', 'swapped', 'kept', 'failed')),
            metrics       TEXT CHECK (metrics IS NULL OR json_valid(metrics)),
            error         TEXT,
            model_version TEXT
        )
        """,
        "INSERT INTO training_runs_new SELECT * FROM training_runs",
        "DROP TABLE training_runs",
        "ALTER TABLE training_runs_new RENAME TO training_runs",
    ),
    # 11: which catalogue the stored item ids belong to, and what a change of CATALOGUE could
    # not match in the new one (bot/storage/rekey.py): kept, never deleted.
    (
        """
        CREATE TABLE catalogue (
            id     INTEGER PRIMARY KEY CHECK (id = 1),
            name   TEXT NOT NULL,
            source TEXT NOT NULL
        )
        """,
        # Databases written before CATALOGUE existed hold ml-100k's ids.
        """
        INSERT INTO catalogue (id, name, source)
        SELECT 1, 'ml-100k', 'ml-100k'
        WHERE EXISTS (SELECT 1 FROM ratings) OR EXISTS (SELECT 1 FROM watchlist)
           OR EXISTS (SELECT 1 FROM dismissals)
        """,
        """
        CREATE TABLE unmatched (
            user_id   INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
            kind      TEXT    NOT NULL CHECK (kind IN ('rating', 'watchlist', 'dismissal')),
            catalogue TEXT    NOT NULL,
            item_id   INTEGER NOT NULL,
            title     TEXT,
            year      INTEGER,
            imdb_id   INTEGER,
            row       TEXT    NOT NULL CHECK (json_valid(row)),
            PRIMARY KEY (user_id, kind, catalogue, item_id)
        ) WITHOUT ROWID
        """,
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(RuntimeError):
    """The database file's schema version does not fit this moviebot."""


class SchemaTooNewError(SchemaError):
    """The database was written by a newer moviebot than this one."""


def migrate(conn: sqlite3.Connection, *, path: str = "database") -> int:
    """Bring ``conn`` (in autocommit mode) up to ``SCHEMA_VERSION``, one transaction per
    migration, and return the version found before. Refuses a database from the future."""
    found = user_version(conn)
    if found > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{path} has schema version {found}, but this moviebot only knows versions up to "
            f"{SCHEMA_VERSION}; run a newer moviebot or restore a backup"
        )
    for version in range(found, SCHEMA_VERSION):
        # IMMEDIATE takes the write lock first, so two processes starting together cannot both
        # apply the same migration; re-read the version once we hold it.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if user_version(conn) == version:
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                # PRAGMA does not take parameters; the value is our own integer.
                conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    return found


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version stored in the database file (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
