"""Waiting for Telegram at start-up: one warning line per failed try, a capped back-off, and
SIGINT or SIGTERM ending the wait at once.

PTB's own answer (``run_polling(bootstrap_retries=-1)``) retries inside its start-up, where a
stop signal did not end the wait. This runs before PTB starts: ``Bot.initialize()`` (which asks
``getMe``) is tried until it succeeds; PTB's start-up then finds the bot initialised and goes
straight on. A rejected token (InvalidToken) is no network trouble: it propagates at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram import Bot
from telegram.error import NetworkError

log = logging.getLogger(__name__)
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0  # a bot back after an outage answers within a minute of it
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def delays(first: float = FIRST_DELAY_S, cap: float = MAX_DELAY_S) -> list[float]:
    """The waits between tries, doubling up to ``cap`` (the last one repeats for ever)."""
    out = [first]
    while out[-1] < cap:
        out.append(min(out[-1] * 2, cap))
    return out


async def wait_for_telegram(
    bot: Bot, *, first_delay: float = FIRST_DELAY_S, cap: float = MAX_DELAY_S
) -> bool:
    """True once ``bot`` is initialised; False when a stop signal came first.

    Must run in the loop PTB will run in (the bot's HTTP sessions belong to it).
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        return await _try_until_up(bot, stop, delays(first_delay, cap))
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def _try_until_up(bot: Bot, stop: asyncio.Event, waits: list[float]) -> bool:
    stopped = asyncio.ensure_future(stop.wait())
    attempt = 0
    try:
        while True:
            attempt += 1
            trying = asyncio.ensure_future(bot.initialize())
            await asyncio.wait({trying, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not trying.done():  # a stop signal: cut the try short
                trying.cancel()
                with contextlib.suppress(asyncio.CancelledError, NetworkError):
                    await trying
                break
            try:
                trying.result()  # InvalidToken (a TelegramError, no NetworkError) propagates
            except NetworkError as error:  # TimedOut included
                delay = waits[min(attempt, len(waits)) - 1]
                log.warning(
                    "Telegram is unreachable (%s); trying again in %.0f s (try %d)",
                    error.message,
                    delay,
                    attempt,
                )
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await asyncio.shield(stopped)
                if stop.is_set():
                    break
                continue
            if attempt > 1:
                log.info("Telegram answered after %d tries", attempt)
            return True
    finally:
        stopped.cancel()
    log.info("stopped while waiting for Telegram")
    return False
