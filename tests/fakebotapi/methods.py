"""The Bot API methods the fake answers, each a function of (state, params) returning the
``result`` object, or raising ApiError with Telegram's status and description."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from .formatting import MAX_CAPTION, render
from .inline import answer_inline_query
from .markup import check_reply_markup
from .params import ApiError, Params, bad_request
from .records import CallbackAnswer, FakeMessage, StoredFile
from .state import TelegramState

Method = Callable[[TelegramState, Params], Awaitable[Any]]

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


# -- the bot itself ---------------------------------------------------------------------------


async def get_me(state: TelegramState, p: Params) -> Any:
    return {
        **state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def close(state: TelegramState, p: Params) -> Any:
    return True


async def log_out(state: TelegramState, p: Params) -> Any:
    return True


# -- getting updates --------------------------------------------------------------------------


async def get_updates(state: TelegramState, p: Params) -> Any:
    if state.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
            "to delete the webhook first",
        )
    limit = min(max(p.integer("limit") or 100, 1), 100)
    timeout = max(p.integer("timeout") or 0, 0)
    allowed = p.json("allowed_updates")
    if allowed is not None:
        if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
            raise bad_request("can't parse allowed_updates JSON array")
        # Telegram remembers the last allowed_updates; [] means "back to the default".
        state.allowed_updates = frozenset(allowed) or None
    state.confirm(p.integer("offset"))

    # A newer getUpdates ends an older one still waiting, as on Telegram (409 to the old one).
    state.poll_generation += 1
    mine = state.poll_generation
    state.signal.notify()

    def ready() -> bool:
        return state.closing or state.poll_generation != mine or bool(state.deliverable())

    if timeout and not ready():
        with contextlib.suppress(TimeoutError):  # an empty result, as Telegram's
            await state.signal.wait_for(ready, timeout, lambda: "long poll timed out")
    if state.poll_generation != mine:
        raise ApiError(
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running",
        )
    batch = state.deliverable()[:limit]
    for update in batch:
        state.deliveries[update["update_id"]] += 1
    state.polls_answered += 1
    state.signal.notify()
    return batch


async def set_webhook(state: TelegramState, p: Params) -> Any:
    url = p.required_string("url")
    if url == "":
        state.webhook = None
        return True
    if not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if p.boolean("drop_pending_updates"):
        state.pending.clear()
    state.webhook = {
        "url": url,
        "secret_token": p.string("secret_token"),
        "max_connections": p.integer("max_connections") or 40,
        "allowed_updates": p.json("allowed_updates"),
    }
    return True


async def delete_webhook(state: TelegramState, p: Params) -> Any:
    state.webhook = None
    if p.boolean("drop_pending_updates"):
        state.pending.clear()
    return True


async def get_webhook_info(state: TelegramState, p: Params) -> Any:
    info: dict[str, Any] = {
        "url": state.webhook["url"] if state.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.pending),
    }
    if state.webhook:
        info["max_connections"] = state.webhook["max_connections"]
        if state.webhook["allowed_updates"] is not None:
            info["allowed_updates"] = state.webhook["allowed_updates"]
    return info


# -- commands ---------------------------------------------------------------------------------


def _commands_key(p: Params) -> tuple[str, str]:
    scope = p.json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True), p.string("language_code") or ""


async def set_my_commands(state: TelegramState, p: Params) -> Any:
    commands = p.json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON array")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
            str(command.get("command", ""))
        ):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = _commands_key(p)
    if commands:
        state.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
    else:
        state.commands.pop(key, None)
    return True


async def get_my_commands(state: TelegramState, p: Params) -> Any:
    return state.commands.get(_commands_key(p), [])


async def delete_my_commands(state: TelegramState, p: Params) -> Any:
    state.commands.pop(_commands_key(p), None)
    return True


# -- messages ---------------------------------------------------------------------------------


def _reply_target(state: TelegramState, chat_id: Any, p: Params) -> FakeMessage | None:
    parameters = p.json("reply_parameters") or {}
    message_id = parameters.get("message_id") or p.integer("reply_to_message_id")
    if not message_id:
        return None
    chat = state.chat(parameters.get("chat_id", chat_id))
    target = chat.message(int(message_id))
    if target is None or target.deleted:
        if parameters.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return target


def _inline_markup(p: Params) -> dict[str, Any] | None:
    markup = check_reply_markup(p.json("reply_markup"), inline_only=True)
    # An empty inline keyboard is how bots remove one.
    return markup if markup and markup["inline_keyboard"] else None


async def send_message(state: TelegramState, p: Params) -> Any:
    chat = state.writable_chat(p.raw("chat_id"))
    source = p.string("text")
    if source is None:
        raise bad_request("message text is empty")
    parse_mode = p.string("parse_mode")
    text, entities = render(source, parse_mode)
    if not parse_mode:
        entities = p.json("entities") or []
    message = state.post(
        chat,
        state.bot_user,
        text=text,
        entities=entities,
        source=source,
        parse_mode=parse_mode,
        reply_markup=check_reply_markup(p.json("reply_markup")),
        reply_to=_reply_target(state, chat.id, p),
    )
    return message.to_api()


_VISIBLE = ("text", "entities", "caption", "caption_entities", "reply_markup")


def _apply_edit(state: TelegramState, message: FakeMessage, **changes: Any) -> Any:
    """Change a message, keeping its old version; 400 if nothing the user sees changes."""
    if all(getattr(message, name) == changes[name] for name in _VISIBLE if name in changes):
        raise bad_request(_NOT_MODIFIED)
    message.edits.append(message.snapshot())
    for name, value in changes.items():
        setattr(message, name, value)
    message.edit_date = state.now()
    state.signal.notify()
    return message.to_api()


def _edited_message(state: TelegramState, p: Params) -> FakeMessage:
    if "inline_message_id" in p:
        raise bad_request("inline messages are not supported by the fake Bot API")
    return state.editable(p.raw("chat_id"), p.integer("message_id"))


async def edit_message_text(state: TelegramState, p: Params) -> Any:
    message = _edited_message(state, p)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    source = p.string("text")
    if source is None:
        raise bad_request("message text is empty")
    parse_mode = p.string("parse_mode")
    text, entities = render(source, parse_mode)
    # Telegram drops the inline keyboard when an edit of the text does not repeat it.
    return _apply_edit(
        state,
        message,
        text=text,
        entities=entities if parse_mode else (p.json("entities") or []),
        source=source,
        parse_mode=parse_mode,
        reply_markup=_inline_markup(p),
    )


async def edit_message_caption(state: TelegramState, p: Params) -> Any:
    message = _edited_message(state, p)
    if message.document is None and message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    source = p.string("caption") or ""
    caption, entities = (
        render(source, p.string("parse_mode"), limit=MAX_CAPTION, what="message caption")
        if source
        else (None, [])
    )
    return _apply_edit(
        state,
        message,
        caption=caption,
        caption_entities=entities,
        reply_markup=_inline_markup(p),
    )


async def edit_message_reply_markup(state: TelegramState, p: Params) -> Any:
    message = _edited_message(state, p)
    return _apply_edit(state, message, reply_markup=_inline_markup(p))


async def delete_message(state: TelegramState, p: Params) -> Any:
    chat = state.writable_chat(p.raw("chat_id"))
    message = chat.message(p.required_integer("message_id"))
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    state.signal.notify()
    return True


async def answer_callback_query(state: TelegramState, p: Params) -> Any:
    query = state.callback_queries.get(p.required_string("callback_query_id"))
    if query is None or query.answer is not None:
        raise bad_request(_QUERY_TOO_OLD)
    text = p.string("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answer = CallbackAnswer(
        text=text or None, show_alert=p.boolean("show_alert"), url=p.string("url")
    )
    state.signal.notify()
    return True


async def send_chat_action(state: TelegramState, p: Params) -> Any:
    chat = state.writable_chat(p.raw("chat_id"))
    action = p.required_string("action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.actions.append(action)
    state.signal.notify()
    return True


# -- files ------------------------------------------------------------------------------------


def _input_file(state: TelegramState, p: Params, name: str) -> StoredFile:
    """The file a send method names: an upload in the multipart body (directly or through
    attach://), an earlier file_id, or a URL."""
    reference = p.string(name)
    upload = p.files.get(name)
    if reference and reference.startswith("attach://"):
        upload = p.files.get(reference.removeprefix("attach://"))
    if upload is not None:
        if not upload.data:
            raise bad_request("file must be non-empty")
        return state.store_file(StoredFile.from_upload(upload, state.serial()))
    if reference in state.files:
        return state.files[reference]
    if reference and reference.startswith(("http://", "https://")):
        serial = state.serial()
        return StoredFile(f"file-{serial}", f"u{serial}", None, None, b"", url=reference)
    if reference:
        raise bad_request("wrong file identifier/HTTP URL specified")
    raise bad_request(f"there is no {name} in the request")


MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files, as Telegram's cloud API does


async def get_file(state: TelegramState, p: Params) -> Any:
    """A file's path for download (``/file/bot<token>/<file_path>``, see server.py)."""
    stored = state.files.get(p.required_string("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": f"documents/{stored.file_id}",
    }


def _caption(p: Params) -> tuple[str | None, list[dict[str, Any]]]:
    source = p.string("caption")
    if not source:
        return None, []
    return render(source, p.string("parse_mode"), limit=MAX_CAPTION, what="message caption")


async def send_document(state: TelegramState, p: Params) -> Any:
    chat = state.writable_chat(p.raw("chat_id"))
    document = _input_file(state, p, "document")
    caption, entities = _caption(p)
    message = state.post(
        chat,
        state.bot_user,
        document=document,
        caption=caption,
        caption_entities=entities,
        reply_markup=check_reply_markup(p.json("reply_markup")),
        reply_to=_reply_target(state, chat.id, p),
    )
    return message.to_api()


async def send_photo(state: TelegramState, p: Params) -> Any:
    chat = state.writable_chat(p.raw("chat_id"))
    photo = _input_file(state, p, "photo")
    caption, entities = _caption(p)
    message = state.post(
        chat,
        state.bot_user,
        photo=photo,
        caption=caption,
        caption_entities=entities,
        reply_markup=check_reply_markup(p.json("reply_markup")),
        reply_to=_reply_target(state, chat.id, p),
    )
    return message.to_api()


# -- polls ------------------------------------------------------------------------------------


async def send_poll(state: TelegramState, p: Params) -> Any:
    chat = state.writable_chat(p.raw("chat_id"))
    question = p.required_string("question")
    if not 1 <= len(question) <= 300:
        raise bad_request("poll question length must not exceed 300")
    options = p.json("options")
    if not isinstance(options, list) or not 2 <= len(options) <= 12:
        raise bad_request("poll must have 2-12 options")
    texts = [option.get("text") if isinstance(option, dict) else option for option in options]
    if not all(isinstance(text, str) and 1 <= len(text) <= 100 for text in texts):
        raise bad_request("poll options length must not exceed 100")
    serial = state.serial()
    poll: dict[str, Any] = {
        "id": str(5_000_000 + serial),
        "question": question,
        "options": [
            {"text": text, "voter_count": 0, "persistent_id": str(index)}
            for index, text in enumerate(texts)
        ],
        "total_voter_count": 0,
        "is_closed": p.boolean("is_closed"),
        "is_anonymous": p.boolean("is_anonymous", default=True),
        "type": p.string("type") or "regular",
        "allows_multiple_answers": p.boolean("allows_multiple_answers"),
        "allows_revoting": True,
        "members_only": False,
    }
    message = state.post(
        chat,
        state.bot_user,
        poll=poll,
        reply_markup=check_reply_markup(p.json("reply_markup")),
    )
    state.polls[poll["id"]] = message
    return message.to_api()


async def stop_poll(state: TelegramState, p: Params) -> Any:
    message = _edited_message(state, p)
    if message.poll is None:
        raise bad_request("message with poll to stop not found")
    if message.poll["is_closed"]:
        raise bad_request("poll has already been closed")
    message.poll = {**message.poll, "is_closed": True}
    if "reply_markup" in p:
        message.reply_markup = _inline_markup(p)
    state.signal.notify()
    return message.poll


# -- chats ------------------------------------------------------------------------------------


async def get_chat(state: TelegramState, p: Params) -> Any:
    chat = state.chat(p.raw("chat_id"))
    return {
        **chat.to_api(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "close": close,
    "logOut": log_out,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "answerInlineQuery": answer_inline_query,
    "sendChatAction": send_chat_action,
    "sendDocument": send_document,
    "getFile": get_file,
    "sendPhoto": send_photo,
    "sendPoll": send_poll,
    "stopPoll": stop_poll,
    "getChat": get_chat,
}
