"""The only place where inline-button callback data is built and parsed.

Format: ``<tag>[:<field>...]``, ASCII, at most 64 bytes (Telegram's limit), e.g. ``r1:318:9``
(rate film 318 4.5 stars). The tag names the action *and its format version*: the trailing
digit. Changing an action's fields means giving it a new tag (``r1`` → ``r2``); the parser
only knows current tags, so buttons left in old chats parse as None and the handler answers
"this button has expired" instead of misreading them.

Fields are canonical (no signs, spaces or leading zeros), so ``build(parse(s)) == s`` for
every ``s`` that parses. Ids are 0..2**31-1; stars travel as half-stars 1..10.

Routing: ``pattern(Rate, Dismiss)`` gives an anchored regex (the exact grammar of those
actions) for ``CallbackQueryHandler(pattern=...)``. The handler then calls ``parse()`` for the
typed action: the regex cannot check numeric ranges, so a None there is still possible and
means "stale or forged button". Data matching no handler's pattern goes to a last catch-all
handler that answers politely and changes nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import Field, dataclass, fields
from typing import Any, ClassVar, Final, Literal, cast

MAX_BYTES: Final = 64
MAX_ID: Final = 2**31 - 1
MAX_PAGE: Final = 9999
MAX_KEY_LENGTH: Final = 16

_INT_RE = r"0|[1-9][0-9]{0,9}"  # canonical decimal: no sign, no leading zero, ≤ 10 digits
_KEY_RE = rf"[A-Za-z0-9_-]{{1,{MAX_KEY_LENGTH}}}"

# The same values as bot.storage.DismissKind (a test keeps them equal); not imported from
# there so that building a keyboard does not pull in the database layer.
DismissKind = Literal["unseen", "not_interested", "skipped"]


@dataclass(frozen=True, slots=True)
class _Codec:
    """How one field travels: the regex of its text, and the two conversions."""

    regex: str
    encode: Callable[[object], str]
    decode: Callable[[str], object]  # raises ValueError when out of range


def _encode_int(limit: int) -> Callable[[object], str]:
    def encode(value: object) -> str:
        if type(value) is not int or not 0 <= value <= limit:
            raise ValueError(f"expected an int in 0..{limit}, got {value!r}")
        return str(value)

    return encode


def _decode_int(limit: int) -> Callable[[str], object]:
    def decode(text: str) -> object:
        value = int(text)
        if value > limit:
            raise ValueError(f"{value} > {limit}")
        return value

    return decode


def _encode_stars(value: object) -> str:
    if type(value) not in (int, float) or not math.isfinite(cast(float, value)):
        raise ValueError(f"stars must be a finite number, got {value!r}")
    halves = float(cast(float, value)) * 2
    if not 1 <= halves <= 10 or not halves.is_integer():
        raise ValueError(f"stars must be 0.5..5 in steps of 0.5, got {value!r}")
    return str(int(halves))


_KINDS: Final[dict[str, str]] = {"unseen": "u", "not_interested": "n", "skipped": "s"}
_KIND_NAMES: Final[dict[str, str]] = {code: name for name, code in _KINDS.items()}


def _encode_kind(value: object) -> str:
    if not isinstance(value, str) or value not in _KINDS:
        raise ValueError(f"kind must be one of {sorted(_KINDS)}, got {value!r}")
    return _KINDS[value]


def _encode_key(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(_KEY_RE, value):
        raise ValueError(f"key must match {_KEY_RE}, got {value!r}")
    return value


ID = _Codec(_INT_RE, _encode_int(MAX_ID), _decode_int(MAX_ID))
PAGE = _Codec(r"0|[1-9][0-9]{0,3}", _encode_int(MAX_PAGE), _decode_int(MAX_PAGE))
STARS = _Codec(r"10|[1-9]", _encode_stars, lambda text: int(text) / 2)
KIND = _Codec(r"[uns]", _encode_kind, lambda text: _KIND_NAMES[text])
KEY = _Codec(_KEY_RE, _encode_key, str)


class _Action:
    """Base of all actions: validates fields on construction, so an invalid button cannot be
    built. Subclasses set TAG and one codec per dataclass field, in order."""

    __slots__ = ()
    TAG: ClassVar[str]
    CODECS: ClassVar[tuple[_Codec, ...]] = ()

    def __post_init__(self) -> None:
        _encode_fields(self)


def _fields(action: type[_Action]) -> tuple[Field[Any], ...]:
    """The dataclass fields of an action class (every concrete action is a dataclass)."""
    return fields(cast(Any, action))


# -- private chats: rating films ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rate(_Action):
    """Rate a film: ``r1:<item>:<half-stars 1..10>``."""

    TAG: ClassVar[str] = "r1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID, STARS)
    item_id: int
    stars: float


@dataclass(frozen=True, slots=True)
class Dismiss(_Action):
    """Answer a rating card without stars: ``d1:<item>:<u|n|s>`` (unseen, not interested,
    skipped)."""

    TAG: ClassVar[str] = "d1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID, KIND)
    item_id: int
    kind: DismissKind


@dataclass(frozen=True, slots=True)
class Done(_Action):
    """Stop rating for now: ``ok1``."""

    TAG: ClassVar[str] = "ok1"


@dataclass(frozen=True, slots=True)
class Undo(_Action):
    """Take back the last answer: ``un1``."""

    TAG: ClassVar[str] = "un1"


# -- recommendations and films ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecMore(_Action):
    """Next page of recommendations: ``m1:<page>[:<key>]``. A filter ("90s comedies") does not
    fit in 64 bytes, so the button carries a short opaque ``filter_key`` the bot stored."""

    TAG: ClassVar[str] = "m1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (PAGE, KEY)
    page: int
    filter_key: str | None = None


@dataclass(frozen=True, slots=True)
class OpenFilm(_Action):
    """Show a film's card: ``f1:<item>``."""

    TAG: ClassVar[str] = "f1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID,)
    item_id: int


@dataclass(frozen=True, slots=True)
class SimilarTo(_Action):
    """Films like this one (a "Did you mean…?" answer to /similar): ``sm1:<item>``."""

    TAG: ClassVar[str] = "sm1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID,)
    item_id: int


@dataclass(frozen=True, slots=True)
class WatchLater(_Action):
    """Put a film on the watchlist: ``wa1:<item>``."""

    TAG: ClassVar[str] = "wa1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID,)
    item_id: int


@dataclass(frozen=True, slots=True)
class WatchRemove(_Action):
    """Take a film off the watchlist, staying on its page: ``wr1:<item>[:<page>]``."""

    TAG: ClassVar[str] = "wr1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID, PAGE)
    item_id: int
    page: int | None = None


@dataclass(frozen=True, slots=True)
class MyWatchlist(_Action):
    """A page of the user's watchlist: ``wl1:<page>``."""

    TAG: ClassVar[str] = "wl1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (PAGE,)
    page: int


@dataclass(frozen=True, slots=True)
class NotInterested(_Action):
    """Hide a recommended film for good: ``ni1:<item>``."""

    TAG: ClassVar[str] = "ni1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID,)
    item_id: int


# -- the user's own data ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MyRatings(_Action):
    """A page of the user's ratings: ``my1:<page>``."""

    TAG: ClassVar[str] = "my1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (PAGE,)
    page: int


@dataclass(frozen=True, slots=True)
class DeleteRating(_Action):
    """Ask before deleting one rating from the list: ``dr1:<item>``."""

    TAG: ClassVar[str] = "dr1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID,)
    item_id: int


@dataclass(frozen=True, slots=True)
class DeleteRatingConfirm(_Action):
    """Yes, delete that rating (/undo still puts it back): ``dy1:<item>``."""

    TAG: ClassVar[str] = "dy1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID,)
    item_id: int


@dataclass(frozen=True, slots=True)
class ForgetConfirm(_Action):
    """Yes, delete everything about me: ``fy1``."""

    TAG: ClassVar[str] = "fy1"


@dataclass(frozen=True, slots=True)
class ForgetCancel(_Action):
    """No, keep my data: ``fn1``."""

    TAG: ClassVar[str] = "fn1"


# -- group movie nights -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NightJoin(_Action):
    """Join a movie night: ``nj1:<night>``."""

    TAG: ClassVar[str] = "nj1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID,)
    night_id: int


@dataclass(frozen=True, slots=True)
class NightLeave(_Action):
    """Leave a movie night: ``nl1:<night>``."""

    TAG: ClassVar[str] = "nl1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID,)
    night_id: int


@dataclass(frozen=True, slots=True)
class NightSuggest(_Action):
    """Suggest films for everyone who joined: ``ns1:<night>``."""

    TAG: ClassVar[str] = "ns1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID,)
    night_id: int


@dataclass(frozen=True, slots=True)
class NightVote(_Action):
    """Vote for a film of a movie night: ``nv1:<night>:<item>``."""

    TAG: ClassVar[str] = "nv1"
    CODECS: ClassVar[tuple[_Codec, ...]] = (ID, ID)
    night_id: int
    item_id: int


Action = (
    Rate
    | Dismiss
    | Done
    | Undo
    | RecMore
    | OpenFilm
    | SimilarTo
    | WatchLater
    | WatchRemove
    | MyWatchlist
    | NotInterested
    | MyRatings
    | DeleteRating
    | DeleteRatingConfirm
    | ForgetConfirm
    | ForgetCancel
    | NightJoin
    | NightLeave
    | NightSuggest
    | NightVote
)

ACTIONS: Final[tuple[type[_Action], ...]] = (
    Rate,
    Dismiss,
    Done,
    Undo,
    RecMore,
    OpenFilm,
    SimilarTo,
    WatchLater,
    WatchRemove,
    MyWatchlist,
    NotInterested,
    MyRatings,
    DeleteRating,
    DeleteRatingConfirm,
    ForgetConfirm,
    ForgetCancel,
    NightJoin,
    NightLeave,
    NightSuggest,
    NightVote,
)


def _grammar(action: type[_Action]) -> str:
    """The regex of one action's data, one capture group per field. Trailing fields that
    default to None are optional, so they nest from the end: ``:(a)(?::(b))?``."""
    regex = ""
    for field, codec in reversed(list(zip(_fields(action), action.CODECS, strict=True))):
        part = f":({codec.regex})"
        regex = f"(?:{part}{regex})?" if field.default is None else part + regex
    return re.escape(action.TAG) + regex


_TAG_RE = re.compile(r"[a-z]{1,3}[0-9]")
_BY_TAG: Final[dict[str, tuple[type[_Action], re.Pattern[str]]]] = {
    action.TAG: (action, re.compile(_grammar(action))) for action in ACTIONS
}
assert len(_BY_TAG) == len(ACTIONS), "two actions share a tag"
assert all(_TAG_RE.fullmatch(tag) for tag in _BY_TAG), "tags are 1-3 letters and a version"


def build(action: Action) -> str:
    """The callback data for ``action`` (always ≤ 64 bytes)."""
    data = ":".join([action.TAG, *_encode_fields(action)])
    assert len(data.encode()) <= MAX_BYTES, f"callback data too long: {data!r}"
    return data


def parse(data: object) -> Action | None:
    """The action encoded in ``data``; None for anything this version did not build (unknown
    or retired tag, malformed, out of range, too long)."""
    if not isinstance(data, str) or not data.isascii() or len(data) > MAX_BYTES:
        return None
    entry = _BY_TAG.get(data.split(":", 1)[0])
    if entry is None:
        return None
    action, grammar = entry
    match = grammar.fullmatch(data)
    if match is None:
        return None
    try:
        values = [
            codec.decode(text)
            for codec, text in zip(action.CODECS, match.groups(), strict=True)
            if text is not None
        ]
        return cast(Action, action(*values))
    except ValueError:
        return None


def pattern(*actions: type[_Action]) -> re.Pattern[str]:
    """An anchored regex matching the data of exactly these actions, for
    ``CallbackQueryHandler(callback, pattern=pattern(Rate, Dismiss))``."""
    if not actions:
        raise ValueError("name at least one action")
    alternatives = "|".join(_grammar(action) for action in actions)
    return re.compile(rf"^(?:{alternatives})\Z")


def _encode_fields(action: _Action) -> list[str]:
    """Each field's text, leaving out trailing optional fields that are None; raises
    ValueError on an invalid value."""
    spec = list(zip(_fields(type(action)), action.CODECS, strict=True))
    while spec and spec[-1][0].default is None and getattr(action, spec[-1][0].name) is None:
        spec.pop()
    return [codec.encode(getattr(action, field.name)) for field, codec in spec]
