"""Group-chat handlers: movie-night commands, button presses and poll updates.

They work with the bot's privacy mode on: only commands, buttons and the bot's own polls
reach them; plain group text is never read.
"""

from __future__ import annotations

import logging

from telegram import Bot, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import telegram_io
from bot.edits import EDITS_KEY, Edits
from bot.movienight.flow import Group, GroupChat, GroupOutcome
from bot.replies import EXPIRED, Person, Reply
from bot.runtime import RESOURCES_KEY

log = logging.getLogger(__name__)


def _group(context: ContextTypes.DEFAULT_TYPE) -> Group:
    group: Group = context.bot_data[RESOURCES_KEY].group
    return group


def _person(update: Update) -> Person:
    user = update.effective_user
    assert user is not None
    return Person(user.id, user.first_name or "", user.language_code)


def _where(update: Update, context: ContextTypes.DEFAULT_TYPE) -> GroupChat:
    chat = update.effective_chat
    assert chat is not None
    return GroupChat(chat.id, chat.title or "", context.bot.username)


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A /command in a group: /movienight, /help; unknown ones addressed to me get a hint."""
    message = update.effective_message
    if message is None or message.text is None or update.effective_user is None:
        return
    word, _, args = message.text.partition(" ")
    name, _, target = word[1:].partition("@")
    if target and target.lower() != context.bot.username.lower():
        return  # another bot's command
    outcome = await _group(context).command(
        _person(update), _where(update, context), name, args, addressed=bool(target)
    )
    await _carry_out(context, outcome)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a movie-night button: answered always, even when stale or forged."""
    query = update.callback_query
    assert query is not None
    if query.message is None or update.effective_chat is None:
        await query.answer(EXPIRED)
        return
    outcome = await _group(context).button(
        _person(update), _where(update, context), query.message.message_id, query.data or ""
    )
    await query.answer(outcome.notice, show_alert=outcome.alert)
    await _carry_out(context, outcome)


async def poll(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A poll's new state: it may have been closed."""
    state = update.poll
    assert state is not None
    outcome = await _group(context).poll_changed(state.id, state.is_closed)
    if outcome is not None:
        await _carry_out(context, outcome)


async def poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A vote in a night's poll: counted when the voter is in the night."""
    answer = update.poll_answer
    if answer is None or answer.user is None:
        return  # voted as a channel: nobody who can be in a night
    outcome = await _group(context).poll_answer(
        answer.poll_id, answer.user.id, list(answer.option_ids)
    )
    if outcome is not None:
        await _carry_out(context, outcome)


async def _carry_out(context: ContextTypes.DEFAULT_TYPE, outcome: GroupOutcome) -> None:
    bot, group, chat_id = context.bot, _group(context), outcome.chat_id
    edits: Edits = context.bot_data[EDITS_KEY]
    for message_id, reply in outcome.edits:  # not awaited: see bot/edits.py
        edits.submit(bot, chat_id, message_id, reply)
    for reply in outcome.send:
        await telegram_io.send(bot, chat_id, reply)
    if outcome.hint_post is not None:
        night_id, reply = outcome.hint_post
        group.hint_posted(night_id, await telegram_io.send(bot, chat_id, reply))
    if outcome.night_post is not None:
        night_id, reply = outcome.night_post
        message_id = await telegram_io.send(bot, chat_id, reply)
        await group.night_posted(night_id, message_id)
    if outcome.vote is not None:
        vote = outcome.vote
        sent = await bot.send_poll(
            chat_id,
            vote.question,
            vote.options,
            # Not anonymous: the bot must know who voted, to count only people who are in.
            is_anonymous=False,
            reply_markup=telegram_io.markup(Reply(vote.question, vote.buttons)),
        )
        assert sent.poll is not None
        await group.vote_posted(vote.night_id, sent.poll.id, sent.message_id)
    if outcome.stop is not None:
        stop = outcome.stop
        try:
            await bot.stop_poll(chat_id, stop.message_id)
        except BadRequest as exc:
            if "already" in exc.message.lower():
                return  # closed by another press or update, which announces the pick
            if "not found" not in exc.message.lower():
                raise
            log.info("the poll of night %s is gone; counting the votes it had", stop.night_id)
        else:
            await _drop_keyboard(bot, chat_id, stop.message_id)
        follow = await group.vote_closed(stop.night_id)
        if follow is not None:
            await _carry_out(context, follow)


async def _drop_keyboard(bot: Bot, chat_id: int, message_id: int) -> None:
    """Take the "Close vote" button off a stopped poll (an edit without a keyboard removes it;
    PTB would send an empty one as ``{}``, which is no keyboard at all)."""
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
