"""Everything the bot remembers, in one SQLite file (bot/storage/database.py says how it is
written): people and their answers, movie nights, training runs, and the inbox of updates."""

from bot.migrations import SchemaError, SchemaTooNewError
from bot.storage.database import Database, UnknownIdError
from bot.storage.nights import NightStore
from bot.storage.people import PeopleStore
from bot.storage.records import (
    AnswerKind,
    Ballot,
    Change,
    ChangeKind,
    DismissKind,
    MovieNight,
    NightStatus,
    Rated,
    Rating,
    RatingEvent,
    Restored,
    RunStatus,
    Stats,
    TrainingRun,
    User,
)
from bot.storage.runs import RunStore


class Storage(PeopleStore, NightStore, RunStore):
    """The typed async repository the bot uses; create with ``await Storage.open(path)``.

    One class per concern over the same :class:`Database`; ``storage.inbox`` holds the
    inbox's own calls (bot/inbox_store.py).
    """


__all__ = [
    "AnswerKind",
    "Ballot",
    "Change",
    "ChangeKind",
    "Database",
    "DismissKind",
    "MovieNight",
    "NightStatus",
    "Rated",
    "Rating",
    "RatingEvent",
    "Restored",
    "RunStatus",
    "SchemaError",
    "SchemaTooNewError",
    "Stats",
    "Storage",
    "TrainingRun",
    "UnknownIdError",
    "User",
]
