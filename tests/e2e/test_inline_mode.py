"""Inline mode end to end: ``@bot heat`` typed in any chat, answered by the real bot through
the fake Bot API, and the posted card's link back into the bot (/start film_<id>)."""

from __future__ import annotations

import re

from botprocess import BotProcess
from conftest import STARTUP_S

from bot.private.commands import BROKEN_FILM_LINK
from tests.fakebotapi import FakeBotApi, InlineAnswer

CAROL = 301
HEAT = 273  # Heat (1995) in ML-100k


def film_links(answer: InlineAnswer) -> dict[str, str]:
    """Result title -> the URL of its "Rate it" button."""
    return {
        result["title"]: button["url"]
        for result in answer.results
        for row in result["reply_markup"]["inline_keyboard"]
        for button in row
        if button["text"] == "Rate it"
    }


async def test_inline_queries_empty_title_and_unknown_then_the_link_back(
    server: FakeBotApi, bot: BotProcess
) -> None:
    carol = server.user(CAROL, "Carol")
    # Carol never wrote to the bot: the empty query gets the popular list, not for her alone
    # in content, yet cached for her alone (it leaves out what she rated).
    popular = await carol.ask_inline("", timeout=STARTUP_S)
    assert len(popular.results) == 10
    assert popular.is_personal and popular.cache_time == 10
    assert popular.button == {"text": "Rate a few films to see your own stars",
                              "start_parameter": "rate"}  # fmt: skip
    assert not any("for you" in r["description"] for r in popular.results)

    heat = await carol.ask_inline("heat")
    assert heat.titles[0] == "Heat (1995)"
    assert not heat.is_personal and heat.cache_time == 300
    first = heat.results[0]
    assert first["description"] == "Action · Crime · Thriller"
    message = first["input_message_content"]["message_text"]
    assert message.startswith("<b>Heat</b> (1995)\nAction · Crime · Thriller")
    link = film_links(heat)["Heat (1995)"]
    assert link == f"https://t.me/moviebot_test_bot?start=film_{HEAT}"

    unknown = await carol.ask_inline("qzxvw jjjkq")
    assert unknown.results == [] and not unknown.is_personal
    assert unknown.button is not None and unknown.button["start_parameter"] == "rate"

    # The posted card's button: Telegram opens the private chat with /start film_<id>.
    await carol.send("/start " + link.rsplit("=", 1)[1])
    card = await carol.wait_for_message(lambda m: "★1" in m.button_texts)
    assert (card.text or "").startswith("Heat (1995)")
    for forged in ("film_99999999", "film_06", "film_x", "film_"):
        await carol.send(f"/start {forged}")
        answer = await carol.wait_for_message()
        assert answer.text == BROKEN_FILM_LINK, forged

    # Five ratings later the bot knows her taste: her stars, for her alone.
    for rated in range(1, 6):
        await carol.press(card, "★4")
        await carol.wait_for_edit(card, lambda m, n=rated: f"{n} rated" in (m.text or ""))
    mine = await carol.ask_inline("")
    assert mine.is_personal and mine.button is None
    assert all(re.search(r" — [0-9.]+★ for you$", r["description"]) for r in mine.results)
    assert "Heat (1995)" not in mine.titles  # she rated it
    again = await carol.ask_inline("heat")
    assert again.is_personal and again.cache_time == 10
    assert "thinks I'd give it" in again.results[0]["input_message_content"]["message_text"]
