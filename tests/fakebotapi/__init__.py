"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the real bot.

The bot under test runs unchanged with ``ApplicationBuilder().base_url(server.base_url)``;
scripted users (``server.user(1, "Alice")``) send messages, press buttons and wait for what
the bot sends, and every request is logged in ``server.requests``. See ``FakeBotApi``.
"""

from .inline import InlineAnswer
from .params import ApiError, UploadedFile
from .people import FakeGroup, FakeUser
from .records import ApiRequest, CallbackAnswer, FakeChat, FakeMessage, Fault, Revision, StoredFile
from .server import DEFAULT_TOKEN, FakeBotApi

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "ApiRequest",
    "CallbackAnswer",
    "FakeBotApi",
    "FakeChat",
    "FakeGroup",
    "FakeMessage",
    "FakeUser",
    "Fault",
    "InlineAnswer",
    "Revision",
    "StoredFile",
    "UploadedFile",
]
