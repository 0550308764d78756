"""One SQLite connection and the one thread that uses it, awaited from the event loop.

A call hands ``fn(connection, *args)`` to the thread and awaits its result: one trip there
and back, whatever ``fn`` does, so a whole transaction costs one trip. That is what aiosqlite
did for each statement, and what it had no public call for (aiosqlite#19); owning the thread
and a plain ``sqlite3`` connection needs no library at all. Calls run one at a time, in order.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_Job = tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]]


class SqliteThread:
    """Open with ``await SqliteThread.open(connect)``; ``connect`` runs on the new thread."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._closed = False

    @classmethod
    async def open(cls, connect: Callable[[], sqlite3.Connection], name: str) -> SqliteThread:
        """A thread holding the connection ``connect()`` returns (its errors are raised here)."""
        thread = cls(name)
        opened = asyncio.get_running_loop().create_future()
        thread._thread.start()
        thread._jobs.put((_connect, (connect,), opened))
        try:
            await opened
        except BaseException:
            thread._closed = True
            thread._jobs.put(None)
            raise
        return thread

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(connection, *args)`` on the thread. Once queued it runs to its end even if the
        caller is cancelled, and nothing else runs on the connection meanwhile."""
        if self._closed:
            raise sqlite3.ProgrammingError("the database connection is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put((fn, args, future))
        return await future

    async def close(self) -> None:
        """Close the connection once the calls queued before are done; the thread ends."""
        if self._closed:
            return
        try:
            await self.call(_close)
        finally:
            self._closed = True
            self._jobs.put(None)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        while (job := self._jobs.get()) is not None:
            fn, args, future = job
            try:
                if fn is _connect:
                    connection = result = args[0]()
                else:
                    result = fn(connection, *args)
            except BaseException as error:
                future.get_loop().call_soon_threadsafe(_set_exception, future, error)
            else:
                future.get_loop().call_soon_threadsafe(_set_result, future, result)


def _connect(connect: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
    return connect()  # never called: _run recognises it and keeps the connection


def _close(db: sqlite3.Connection) -> None:
    db.close()


def _set_result(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():  # a cancelled caller: the work is done, nobody waits for it
        future.set_result(result)


def _set_exception(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
