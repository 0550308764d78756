"""Telegram unreachable at start-up (a closed port on 127.0.0.1): the real bot process logs one
warning line per try, backs off, serves once the Bot API comes up, and stops at once on a
stop signal while it waits."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from pathlib import Path

import pytest
from botprocess import BotProcess
from conftest import STARTUP_S

from tests.fakebotapi import FakeBotApi

pytestmark = pytest.mark.e2e


def closed_port() -> int:
    with socket.socket() as probe:  # nothing listens here once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def unreachable_env(bot_env: dict[str, str], port: int) -> dict[str, str]:
    return {**bot_env, "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot"}


async def wait_for_lines(process: BotProcess, text: str, count: int, within: float) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        log = process.log()
        if log.count(text) >= count:
            return log
        assert process.process is not None and process.process.returncode is None, log[-3000:]
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} lines with {text!r}:\n{process.log()[-3000:]}")


async def test_the_bot_waits_for_telegram_then_serves(
    server: FakeBotApi, bot_env: dict[str, str], tmp_path: Path
) -> None:
    port = closed_port()
    process = BotProcess(tmp_path, unreachable_env(bot_env, port))
    await process.start()
    try:
        log = await wait_for_lines(process, "Telegram is unreachable", 2, STARTUP_S)
        first, second = [line for line in log.splitlines() if "unreachable" in line][:2]
        assert "trying again in 1 s (try 1)" in first, first
        assert "trying again in 2 s (try 2)" in second, second
        assert "Traceback" not in log and "Unclosed" not in log, log[-3000:]
        assert bot_env["TELEGRAM_BOT_TOKEN"].split(":")[1] not in log

        # The Bot API comes up on that port: the next try reaches it and the bot serves.
        late = FakeBotApi(bot_env["TELEGRAM_BOT_TOKEN"])
        await late.start(port)
        try:
            alice = late.user(1, "Alice")
            await alice.send("/help")
            answer = await alice.wait_for_message(timeout=STARTUP_S)
            assert "/recommend" in answer.text
            assert await process.stop() == 0
        finally:
            await late.stop()
    finally:
        await process.stop()
    log = process.log()
    assert "Traceback" not in log and "Unclosed" not in log, log[-3000:]


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
async def test_a_stop_signal_ends_the_wait_at_once(
    bot_env: dict[str, str], tmp_path: Path, sent: signal.Signals
) -> None:
    process = BotProcess(tmp_path, unreachable_env(bot_env, closed_port()))
    await process.start()
    await wait_for_lines(process, "Telegram is unreachable", 1, STARTUP_S)
    assert process.process is not None
    stopped_at = time.monotonic()
    process.process.send_signal(sent)
    code = await asyncio.wait_for(process.process.wait(), 10)
    took = time.monotonic() - stopped_at
    log = process.log()
    assert code == 0, log[-3000:]
    assert took < 3, f"took {took:.1f} s to stop"
    assert "Traceback" not in log and "Unclosed" not in log, log[-3000:]
    assert "stopped while waiting for Telegram" in log
