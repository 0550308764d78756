"""Hostile and odd input through the real handlers: forged buttons, odd text, film titles full
of markup, buttons pressed in the wrong chat.

Every Bot API call the bot makes is checked the way Telegram checks it (the fake Bot API's
rules in tests/fakebotapi): HTML that parses, texts and answers within their limits, keyboards
that Telegram accepts. A film title or a query shows up in the rendered text literally.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from offline import OfflineRequest
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot import callbacks as cb
from bot.app import build_application
from bot.config import load_settings
from bot.private.chat import EXPIRED, Chat
from bot.replies import MAX_NOTICE, film_label
from bot.retrain import Retrainer
from bot.runtime import RESOURCES_KEY, Resources
from bot.service import MovieService
from bot.storage import DismissKind, Storage
from recsys import FactorModel
from recsys.data import Catalog, Dataset
from tests.fakebotapi.formatting import MAX_CAPTION, render
from tests.fakebotapi.markup import check_reply_markup

TOKEN = "123456:" + "B" * 35
ADMIN = 7
ADA = 4242  # presses the buttons
TYPIST = 5555  # types odd text; has nothing to undo
OTHERS = (1001, 1002)  # their rows must never change
CLUB, OTHER_CLUB = -100, -200
BOT_USERNAME = "movie_test_bot"  # OfflineRequest's getMe

STAR_WARS, EMPIRE, JEDI, TOY_STORY = 50, 172, 181, 1
HOSTILE_TITLES = {
    STAR_WARS: "Star <Wars> & *Friends*",
    EMPIRE: "The _Empire_ [Strikes](back) </b>",
    JEDI: "Return &amp; of the <i>Jedi",
    TOY_STORY: "Toy Story " + "<&*_[`" * 32,  # 202 characters: longer than a notice may be
}
KNOWN_ITEMS = [STAR_WARS, EMPIRE, JEDI, TOY_STORY, 100, 127, 0, 1682, 1683, 99_999, cb.MAX_ID]
SQL = [
    "'; DROP TABLE ratings; --",
    '" OR 1=1 --',
    "1; DELETE FROM ratings",
    "%' OR user_id LIKE '%",
    "50) OR (1=1",
    "\x00",
]
MARKUP = "<>&*_[]()~`#+-=|{}.!\"';\\/"
# (user, ratings, dismissals, watchlist): everyone has rows a forged press could reach.
SEEDS: list[tuple[int, dict[int, float], dict[int, DismissKind], list[int]]] = [
    (OTHERS[0], {STAR_WARS: 5.0, EMPIRE: 4.0, TOY_STORY: 3.0}, {JEDI: "unseen"}, [100]),
    (OTHERS[1], {STAR_WARS: 1.0, JEDI: 2.5}, {EMPIRE: "not_interested"}, [STAR_WARS]),
    (ADA, {STAR_WARS: 4.0, 100: 3.5}, {127: "skipped"}, [STAR_WARS]),
]


# -- the bot, wired as in production, over a catalogue with hostile titles ---------------------


@dataclass
class Bot:
    application: Application
    request: OfflineRequest
    database: Path
    errors: list[BaseException] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def resources(self) -> Resources:
        return self.application.bot_data[RESOURCES_KEY]

    async def send(self, payload: dict[str, Any]) -> None:
        self.request.calls.clear()
        self.errors.clear()
        await self.application.process_update(Update.de_json(payload, self.application.bot))

    def calls(self, method: str) -> list[dict[str, Any]]:
        return self.request.sent(method)

    def texts(self) -> list[str]:
        """What the user sees in every message sent or edited: the rendered plain text."""
        return [
            render(params["text"], params.get("parse_mode"))[0]
            for method, params in self.request.calls
            if method in ("sendMessage", "editMessageText")
        ]


@pytest.fixture
def hostile_catalog(movielens: Dataset) -> Catalog:
    frame = movielens.catalog.frame.copy()
    for item, title in HOSTILE_TITLES.items():
        frame.loc[item, "title"] = title
    return Catalog(frame)


@pytest.fixture
async def bot(model: FactorModel, hostile_catalog: Catalog, tmp_path: Path) -> AsyncIterator[Bot]:
    database = tmp_path / "hostile.sqlite3"
    storage = await Storage.open(database)
    service = MovieService(storage, model, hostile_catalog)
    options = load_settings(
        env_file=None,
        telegram_bot_token=TOKEN,
        database_path=database,
        admin_user_ids=str(ADMIN),
    )
    request = OfflineRequest()
    application = build_application(options, request=request)
    await application.initialize()
    retrainer = Retrainer(options, storage, service)
    application.bot_data[RESOURCES_KEY] = Resources(
        options, storage, service, Chat(service), retrainer
    )
    wired = Bot(application, request, database)

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        wired.errors.append(context.error)

    application.add_error_handler(record)
    for user, ratings, dismissed, saved in SEEDS:
        await service.register(user, f"user{user}", "en")
        for item, stars in ratings.items():
            await service.rate(user, item, stars)
        for item, kind in dismissed.items():
            await service.dismiss(user, item, kind)
        for item in saved:
            await service.watch_later(user, item)
    yield wired
    await application.shutdown()
    await storage.close()


# -- updates ---------------------------------------------------------------------------------


def person(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}", "language_code": "en"}


def chat_of(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": f"club {chat_id}"}
    return {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"}


def message(
    text: str, user_id: int = ADA, chat_id: int | None = None, *, edited: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": 1,
        "date": 0,
        "chat": chat_of(user_id if chat_id is None else chat_id),
        "from": person(user_id),
        "text": text,
    }
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if edited:
        body["edit_date"] = 1
    return {"update_id": 1, "edited_message" if edited else "message": body}


def press(
    bot: Bot, data: str, user_id: int = ADA, chat_id: int | None = None, message_id: int = 77
) -> dict[str, Any]:
    query_id = str(next(bot.ids))
    carrier = {
        "message_id": message_id,
        "date": 0,
        "chat": chat_of(user_id if chat_id is None else chat_id),
        "text": "a card",
    }
    return {
        "update_id": 2,
        "callback_query": {
            "id": query_id,
            "from": person(user_id),
            "chat_instance": "c",
            "data": data,
            "message": carrier,
        },
    }


# -- what must hold after every update ------------------------------------------------------------


def snapshot(database: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in a stable order."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        rows = {}
        for table in tables:
            width = len(conn.execute(f"PRAGMA table_info({table})").fetchall())
            order = ", ".join(str(column) for column in range(1, width + 1))
            query = f"SELECT * FROM {table} ORDER BY {order}"
            rows[table] = [dict(row) for row in conn.execute(query)]
    return rows


def without(rows: dict[str, list[dict[str, Any]]], user_id: int) -> dict[str, list[dict]]:
    """The snapshot less the rows that belong to ``user_id``."""
    return {
        table: [row for row in table_rows if row.get("user_id") != user_id]
        for table, table_rows in rows.items()
    }


def assert_telegram_accepts(bot: Bot) -> None:
    """No handler failed, and Telegram would take every call the bot made."""
    assert bot.errors == []
    for method, params in bot.request.calls:
        if method in ("sendMessage", "editMessageText"):
            render(params["text"], params.get("parse_mode"))
        if method in ("sendPhoto", "sendDocument") and params.get("caption"):
            render(params["caption"], params.get("parse_mode"), limit=MAX_CAPTION, what="caption")
        if "reply_markup" in params:
            markup = params["reply_markup"]
            check_reply_markup(
                json.loads(markup) if isinstance(markup, str) else markup, inline_only=True
            )
        if method == "answerCallbackQuery":
            assert len(params.get("text") or "") <= 200


def answers(bot: Bot, payload: dict[str, Any]) -> list[str | None]:
    """The answers given to this update's callback query."""
    query_id = payload["callback_query"]["id"]
    return [
        params.get("text")
        for params in bot.calls("answerCallbackQuery")
        if params["callback_query_id"] == query_id
    ]


# -- forged and odd callback data -------------------------------------------------------------

numbers = st.one_of(
    st.sampled_from(KNOWN_ITEMS),
    st.integers(-(2**63), 2**63),
).map(str) | st.sampled_from(["", "-0", "007", "+50", " 50", "1e3", "NaN", "inf", "0x32", "٥٠"])
fields_ = numbers | st.sampled_from(["u", "n", "s", "x", "g5", "gy1990-1999", *SQL])
tags = st.sampled_from([action.TAG for action in cb.ACTIONS] + ["r0", "r2", "R1", "zz9"])
genuine = st.one_of(
    st.builds(cb.Rate, st.sampled_from(KNOWN_ITEMS), st.integers(1, 10).map(lambda h: h / 2)),
    st.builds(cb.Dismiss, st.sampled_from(KNOWN_ITEMS), st.sampled_from(["unseen", "skipped"])),
    st.sampled_from([cb.Undo(), cb.Done(), cb.ForgetConfirm(), cb.ForgetCancel()]),
    st.builds(cb.RecMore, st.integers(0, cb.MAX_PAGE), st.none() | st.sampled_from(["g5", "g99"])),
    *(
        st.builds(action, st.sampled_from(KNOWN_ITEMS))
        for action in (cb.OpenFilm, cb.WatchLater, cb.WatchRemove, cb.NotInterested)
    ),
    st.builds(cb.DeleteRating, st.sampled_from(KNOWN_ITEMS)),
    st.builds(cb.MyRatings, st.integers(0, cb.MAX_PAGE)),
    st.builds(cb.NightJoin, st.integers(0, 5)),
).map(cb.build)
callback_data = st.one_of(
    genuine,  # well-formed, about films other users rated: still only the presser's rows
    st.builds(lambda tag, parts: ":".join([tag, *parts]), tags, st.lists(fields_, max_size=3)),
    st.text(max_size=80),
    st.binary(max_size=80).map(lambda raw: raw.decode("latin-1")),
    st.sampled_from(SQL),
)

HYPOTHESIS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@HYPOTHESIS
@given(data=callback_data)
@example(data="r1:50:11")  # 5.5 stars
@example(data="r1:50:0")
@example(data="r1:99999:8")  # not in the catalogue
@example(data="dr1:50")  # a film other users rated too
@example(data="fy1")
async def test_a_press_changes_only_the_pressers_rows(bot: Bot, data: str) -> None:
    before = snapshot(bot.database)
    payload = press(bot, data)
    await bot.send(payload)

    assert len(answers(bot, payload)) == 1
    assert_telegram_accepts(bot)
    assert without(snapshot(bot.database), ADA) == without(before, ADA)
    if cb.parse(data) is None:  # junk: nothing at all happens
        assert answers(bot, payload) == [EXPIRED]
        assert bot.request.methods() == ["answerCallbackQuery"]
        assert snapshot(bot.database) == before


# -- odd message text -------------------------------------------------------------------------

odd_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=MARKUP + "ab ", max_size=80),
    st.sampled_from(SQL),
    st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
    st.integers(2_000, 2_100).map(lambda n: "<&" * n),  # oversize
)
forms = st.sampled_from(
    ["{}", "/search {}", "/similar {}", "/recommend {}", "/movienight {}", "/rate {}", "/{}"]
)


@HYPOTHESIS
@given(form=forms, text=odd_text)
@example(form="/search {}", text="<b>&amp;</i>")
@example(form="{}", text="*bold* _it_ [link](http://x) `code`")
@example(form="/recommend {}", text="<script>&amp;")
async def test_odd_text_gets_replies_telegram_accepts_and_writes_no_answer(
    bot: Bot, form: str, text: str
) -> None:
    before = snapshot(bot.database)
    await bot.send(message(form.format(text), TYPIST))

    assert_telegram_accepts(bot)
    after = snapshot(bot.database)
    # Text can register the sender (the users table); it never rates, dismisses or saves.
    assert {t: rows for t, rows in after.items() if t != "users"} == {
        t: rows for t, rows in before.items() if t != "users"
    }


@settings(HYPOTHESIS, max_examples=40)  # three replies each, and 30 replies a second at most
@given(text=st.text(alphabet=MARKUP.replace("_", "").replace("/", "") + " @\n", max_size=90))
@example(text="</>&<>")
@example(text="&&&&")
@example(text="<&*[`> ;")
async def test_a_query_that_finds_nothing_is_echoed_literally(bot: Bot, text: str) -> None:
    words = text.split()
    if not words:  # nothing to echo
        return
    shown = " ".join(words)[:60]
    for sent in (text, f"/similar {text}"):
        await bot.send(message(sent, TYPIST))
        [reply] = bot.texts()
        assert reply.startswith(f"I don't know “{shown}”. My films come from ")
        assert "which stops in 1998" in reply
    await bot.send(message(f"/{words[0]}", TYPIST))
    name = _short(words[0].partition("@")[0], 32)
    assert bot.texts() == [f"I don't know /{name}. /help lists what I can do."]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def test_odd_group_commands_get_replies_telegram_accepts(bot: Bot) -> None:
    # A handful: Telegram lets a bot send 20 messages a minute into one group.
    for text in (
        "/movienight <b>&amp;</i>",
        "/movienight '; DROP TABLE movie_nights; --",
        f"/movienight@{BOT_USERNAME} *_[`" + "<&" * 2000,
        f"/{'<&' * 40}@{BOT_USERNAME}",
        f"/help@{BOT_USERNAME} </b>",
    ):
        await bot.send(message(text, ADA, CLUB))
        assert_telegram_accepts(bot)
    assert await bot.resources.storage.current_night(CLUB) is None  # no filter made sense


# -- titles with markup in them ---------------------------------------------------------------


async def test_titles_render_literally_everywhere(bot: Bot) -> None:
    star_wars = f"{HOSTILE_TITLES[STAR_WARS]} (1977)"
    long_one = f"{HOSTILE_TITLES[TOY_STORY]} (1995)"

    await bot.send(press(bot, cb.build(cb.OpenFilm(STAR_WARS))))
    assert bot.texts()[0].startswith(star_wars + "\n")

    for item in (127, 96, 82, STAR_WARS, EMPIRE, TOY_STORY):
        await bot.send(press(bot, cb.build(cb.Rate(item, 5.0))))
        assert_telegram_accepts(bot)
    await bot.send(message("/myratings"))
    [mine] = bot.texts()
    for title in (star_wars, f"{HOSTILE_TITLES[EMPIRE]} (1980)", long_one):
        assert title in mine

    await bot.send(message("/recommend"))
    [recommended] = bot.texts()
    assert f"{HOSTILE_TITLES[JEDI]} (1983)" in recommended
    assert "because you liked " + HOSTILE_TITLES[STAR_WARS] in recommended

    await bot.send(message("/search star wars 1977"))
    labels = [b["text"] for b in _buttons(bot.calls("sendMessage")[0])]
    assert labels[0] == star_wars

    await bot.send(message(f"/similar {HOSTILE_TITLES[STAR_WARS]}"))
    assert bot.texts() == [f"Films like {star_wars}"]

    await bot.send(message("/watchlist"))
    assert star_wars not in bot.texts()[0]  # listed by the fixture, rated above: watched

    payload = press(bot, cb.build(cb.WatchLater(TOY_STORY)))
    await bot.send(payload)
    [notice] = answers(bot, payload)
    assert notice is not None and notice.startswith(f"Saved {HOSTILE_TITLES[TOY_STORY][:50]}")
    assert len(notice) <= MAX_NOTICE
    await bot.send(message("/watchlist"))
    assert long_one in bot.texts()[0]

    await bot.send(press(bot, cb.build(cb.Rate(JEDI, 4.5))))
    payload = press(bot, cb.build(cb.Undo()))
    await bot.send(payload)
    assert answers(bot, payload) == [
        f"Took back your rating of {HOSTILE_TITLES[JEDI]} (1983): it is unrated again."
    ]
    await bot.send(message("/undo"))  # the change before: Toy Story on the watchlist
    assert bot.texts() == [f"Took back “watch later”: {long_one} is off your watchlist again."]
    assert_telegram_accepts(bot)


def _buttons(params: dict[str, Any]) -> list[dict[str, Any]]:
    markup = params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return [button for row in markup["inline_keyboard"] for button in row]


async def test_a_long_watchlist_pages_within_telegrams_limits(bot: Bot) -> None:
    service = bot.resources.service
    for item in range(1, 161):
        await service.watch_later(ADA, item)

    async def shown(payload: dict[str, Any]) -> tuple[str, list[str]]:
        """Send, check Telegram would take it, and return the text and button labels shown."""
        await bot.send(payload)
        assert_telegram_accepts(bot)
        [params] = bot.calls("sendMessage") + bot.calls("editMessageText")
        [text] = bot.texts()
        return text, [b["text"] for b in _buttons(params)]

    text, labels = await shown(message("/watchlist"))
    assert "(160, page 1 of 16)" in text and "10. " in text and "11. " not in text
    assert labels[-1] == "Next ›" and "‹ Previous" not in labels

    text, labels = await shown(press(bot, cb.build(cb.MyWatchlist(15))))
    assert "page 16 of 16" in text and "160. " in text
    assert labels[-1] == "‹ Previous" and "Next ›" not in labels

    # Removing the only film on the last page shows what is now the last page.
    [oldest] = (await service.watchlist(ADA))[-1:]
    removal = press(bot, cb.build(cb.WatchRemove(oldest.item_id, 15)))
    text, _ = await shown(removal)
    assert answers(bot, removal) == [f"Removed {film_label(oldest)} — /undo puts it back"]
    assert "(159, page 16 of 16)" in text and "159. " in text

    text, _ = await shown(press(bot, cb.build(cb.MyWatchlist(9999))))  # forged: clamped
    assert "page 16 of 16" in text

    old_button = press(bot, "wr1:" + str((await service.watchlist(ADA))[0].item_id))
    text, _ = await shown(old_button)  # a Remove button from before pages: page 1
    assert "(158, page 1 of 16)" in text


# -- buttons pressed where they do not belong -------------------------------------------------

NIGHT_BUTTONS = (cb.NightJoin, cb.NightLeave, cb.NightSuggest)


async def night_in_club(bot: Bot) -> tuple[int, int]:
    """The club's open movie night and its message, started by Ada the first time."""
    storage = bot.resources.storage
    if await storage.current_night(CLUB) is None:
        await bot.send(message("/movienight", ADA, CLUB))
    night = await storage.current_night(CLUB)
    assert night is not None and night.message_id is not None
    return night.night_id, night.message_id


@HYPOTHESIS
@given(
    data=callback_data,
    for_the_night=st.sampled_from(
        [None, *NIGHT_BUTTONS, lambda night: cb.NightVote(night, STAR_WARS)]
    ),
    chat_id=st.sampled_from([CLUB, OTHER_CLUB, ADA]),
    on_night_message=st.booleans(),
)
async def test_a_button_in_the_wrong_chat_or_on_the_wrong_message_changes_nothing(
    bot: Bot,
    data: str,
    for_the_night: Callable[[int], cb.Action] | None,
    chat_id: int,
    on_night_message: bool,
) -> None:
    night_id, night_message = await night_in_club(bot)
    if for_the_night is not None:
        data = cb.build(for_the_night(night_id))
    action = cb.parse(data)
    assume(chat_id != ADA or isinstance(action, NIGHT_BUTTONS))  # the rest: tests above
    genuine = isinstance(action, NIGHT_BUTTONS) and action.night_id == night_id
    assume(not (genuine and chat_id == CLUB and on_night_message))
    before = snapshot(bot.database)
    message_id = night_message if on_night_message else night_message + 1
    payload = press(bot, data, OTHERS[0], chat_id, message_id)
    await bot.send(payload)

    assert answers(bot, payload) == [EXPIRED]
    assert bot.request.methods() == ["answerCallbackQuery"]  # no edit, no message
    assert snapshot(bot.database) == before


# -- admin commands and edited messages ------------------------------------------------------


async def test_an_edited_message_does_nothing_not_even_an_admins_retrain(bot: Bot) -> None:
    before = snapshot(bot.database)
    for user_id, chat_id, text in (
        (ADMIN, None, "/stats"),
        (ADA, None, "/rate"),
        (ADA, None, "/forget"),
        (ADA, None, "star wars"),
        (ADA, CLUB, "/movienight"),
        (ADA, CLUB, f"/help@{BOT_USERNAME}"),
        (ADMIN, CLUB, f"/retrain@{BOT_USERNAME}"),
        (ADMIN, None, "/rollback"),
        (ADMIN, None, "/retrain"),
    ):
        await bot.send(message(text, user_id, chat_id, edited=True))
        assert bot.request.calls == [], text
        assert bot.errors == []
    assert not bot.resources.retrainer.running
    assert snapshot(bot.database) == before  # no run, no user, no group, no night


async def test_admin_commands_do_not_run_in_a_group_even_for_an_admin(bot: Bot) -> None:
    before = snapshot(bot.database)
    for text in (
        "/stats",
        "/rollback",
        "/retrain",
        f"/stats@{BOT_USERNAME}",
        f"/retrain@{BOT_USERNAME}",
    ):
        await bot.send(message(text, ADMIN, CLUB))
        assert_telegram_accepts(bot)
        # As for any command groups do not know: a bare one may be another bot's.
        name, _, addressed = text[1:].partition("@")
        unknown = f"I don't know /{name}. In groups I know /movienight and /help."
        assert bot.texts() == ([unknown] if addressed else []), text
    assert not bot.resources.retrainer.running
    assert snapshot(bot.database) == before


async def test_admin_commands_in_any_spelling_refuse_everyone_else(bot: Bot) -> None:
    for text in (f"/retrain@{BOT_USERNAME}", "/RETRAIN", "/retrain now", "/Stats", "/rollback x"):
        await bot.send(message(text, ADA))
        assert bot.texts() == ["This command is for admins."], text
    await bot.send(message("/retrain@some_other_bot", ADA))  # not for me: an unknown command
    assert bot.texts() == ["I don't know /retrain. /help lists what I can do."]
    assert not bot.resources.retrainer.running
    assert await bot.resources.storage.runs() == []
