"""Webhook mode: with WEBHOOK_URL set the bot registers it and serves updates POSTed to it."""

from __future__ import annotations

import asyncio
import socket
import time

import aiohttp
from botprocess import BotProcess
from conftest import STARTUP_S

from bot.__main__ import webhook_secret
from bot.config import load_settings
from tests.fakebotapi import FakeBotApi

EVE = 105


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def listening(http: aiohttp.ClientSession, url: str, within: float = STARTUP_S) -> None:
    """PTB registers the webhook before its HTTP server accepts connections: wait for it."""
    deadline = time.monotonic() + within
    while True:
        try:
            async with http.get(url):
                return
        except aiohttp.ClientConnectorError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


def help_update(update_id: int) -> dict:
    user = {"id": EVE, "is_bot": False, "first_name": "Eve"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": EVE, "type": "private", "first_name": "Eve"},
            "from": user,
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


async def test_webhook_mode_registers_and_serves_only_signed_updates(
    server: FakeBotApi, bot_env: dict[str, str], tmp_path
) -> None:
    port = free_port()
    url = "https://moviebot.example.org/tg-hook"  # the public address, behind a TLS proxy
    local = f"http://127.0.0.1:{port}/tg-hook"  # where the proxy forwards to
    env = {**bot_env, "WEBHOOK_URL": url, "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port)}
    eve = server.user(EVE, "Eve")
    secret = webhook_secret(load_settings(env_file=None, telegram_bot_token=server.token))
    bot = BotProcess(tmp_path, env)
    await bot.start()
    try:
        registered = await server.wait_until(
            lambda: server.webhook, STARTUP_S, "setWebhook from the bot"
        )
        assert registered["url"] == url
        async with aiohttp.ClientSession() as http:
            await listening(http, local)
            forged = await http.post(local, json=help_update(1))
            assert forged.status == 403
            signed = await http.post(
                local, json=help_update(2), headers={"X-Telegram-Bot-Api-Secret-Token": secret}
            )
            assert signed.status == 200
        reply = await eve.wait_for_message(timeout=10)
        assert "What I can do" in (reply.text or "")
        assert len(eve.chat.bot_messages) == 1, "the unsigned update was not served"
    finally:
        assert await bot.stop() == 0
