"""Load: the real bot process (``python -m bot``) under N simulated users, through the fake Bot
API on 127.0.0.1, with a real SQLite file and the real ML-100k model.

Every user starts with /start, then, at a steady total rate, simulated users tap a star on
their rating card (70%), /undo (10%), search a title (10%) or ask for /recommend (10%). Each
user waits for the bot's whole answer before acting again. Afterwards the database is checked
against every acknowledged answer: each acknowledged rating is there once with its stars, each
acknowledged undo took its rating back, and no update was applied twice.

    python bench/load.py [--users 100 1000 5000] [--rate 300] [--seconds 30] [--repeat 1]
                         [--group N] [--catalogue PATH --model FILE]

``--group N``: as the measurement starts, N members of one group tap "I'm in" on a movie night
at once, under the real per-group rate limit (20 messages a minute); the private users'
latency is then what one busy group costs everyone else.

Telegram's ~30 messages/s broadcast cap is lifted (MAX_MESSAGES_PER_SECOND=0) so that the bot
itself is measured. One more person sends /start as the bot is launched: the table says when
they had their answer. Writes bench/results/load.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakebotapi
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import latency_ms, markdown_table, movielens_100k, write

from bot import callbacks as cb
from recsys import Trainer
from recsys.data import default_data_dir, load_catalog
from tests.e2e.botprocess import BotProcess
from tests.fakebotapi import FakeBotApi
from tests.fakebotapi.records import ApiRequest, FakeMessage

STAR_LABELS = [f"★{s}" for s in range(1, 6)] + [f"{s}½" for s in range(1, 5)]
SEARCHES = [
    "star wars",
    "toy story 1995",
    "godfather",
    "casablanca",
    "alien",
    "fargo",
    "the matrix",
    "pulp fiction",
    "amelie",
    "titanic",
    "twelve monkeys",
    "heat",
]
MIX = [("rate", 0.7), ("undo", 0.1), ("search", 0.1), ("recommend", 0.1)]
DRAIN_S = 60.0
PROBE_USER = 10**9  # not one of the simulated users
SORRY = "Sorry — something went wrong"


@dataclass
class Pending:
    kind: str
    sent_at: float
    item: int = 0
    stars: float = 0.0
    acknowledged: bool = False


@dataclass
class SimUser:
    """One simulated person and what the database must say about them."""

    user_id: int
    card: FakeMessage | None = None
    pending: Pending | None = None
    expected: dict[int, float] = field(default_factory=dict)
    undo_log: list[tuple[int, float | None]] = field(default_factory=list)
    """(film, stars before) of each acknowledged rating not yet undone, oldest first."""


@dataclass
class Tally:
    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    deferred: int = 0


class Load:
    """Drives users through the fake and follows the bot's answers with one observer."""

    def __init__(
        self, server: FakeBotApi, users: int, seed: int = 0, searches: list[str] = SEARCHES
    ) -> None:
        self.server = server
        self.searches = searches
        self.users = {uid: SimUser(uid) for uid in range(1, users + 1)}
        self.idle: list[int] = []
        self.queries: dict[str, int] = {}
        self.tally = Tally()
        self.rng = random.Random(seed)
        self.measuring = False
        server.observers.append(self.observe)

    # -- acting -----------------------------------------------------------------------------

    def act(self, user: SimUser, kind: str) -> None:
        fake = self.server.user(user.user_id, f"user{user.user_id}")
        now = time.perf_counter()
        if kind == "rate" and user.card is not None:
            label = self.rng.choice(STAR_LABELS)
            data = user.card.button(label)["callback_data"]
            action = cb.parse(data)
            assert isinstance(action, cb.Rate), data
            user.pending = Pending("rate", now, action.item_id, action.stars)
            self.queries[fake.tap(user.card, data).id] = user.user_id
            return
        if kind == "rate":  # no card yet: ask for one
            kind = "start"
        text = {
            "start": "/start",
            "undo": "/undo",
            "recommend": "/recommend",
            "search": self.rng.choice(self.searches),
        }[kind]
        user.pending = Pending(kind, now)
        asyncio.get_running_loop().create_task(fake.send(text))

    def next_kind(self) -> str:
        roll, total = self.rng.random(), 0.0
        for kind, share in MIX:
            total += share
            if roll < total:
                return kind
        return MIX[-1][0]

    def take_idle(self) -> SimUser | None:
        if not self.idle:
            return None
        index = self.rng.randrange(len(self.idle))
        self.idle[index], self.idle[-1] = self.idle[-1], self.idle[index]
        return self.users[self.idle.pop()]

    async def warm_up(self, rate: float) -> None:
        """Every user sends /start and gets a card."""
        for n, user in enumerate(self.users.values()):
            self.act(user, "start")
            if n % 50 == 49:
                await asyncio.sleep(50 / rate)
        await self.drain()

    async def steady(self, rate: float, seconds: float) -> tuple[int, float]:
        """Offer ``rate`` actions per second for ``seconds``; returns (completed, elapsed)."""
        self.measuring = True
        done_before = sum(len(v) for v in self.tally.latencies.values())
        start = time.perf_counter()
        issued = 0
        while (elapsed := time.perf_counter() - start) < seconds:
            for _ in range(int(elapsed * rate) - issued):
                user = self.take_idle()
                if user is None:
                    self.tally.deferred += 1
                else:
                    self.act(user, self.next_kind())
                issued += 1
            await asyncio.sleep(0.002)
        completed = sum(len(v) for v in self.tally.latencies.values()) - done_before
        elapsed = time.perf_counter() - start
        self.measuring = False
        await self.drain()
        return completed, elapsed

    async def drain(self) -> None:
        busy = lambda: sum(u.pending is not None for u in self.users.values())  # noqa: E731
        try:
            await self.server.wait_until(lambda: busy() == 0, DRAIN_S, "every answer")
        except TimeoutError:
            self.tally.errors["unanswered"] += busy()
            for user in self.users.values():
                user.pending = None

    # -- following the bot --------------------------------------------------------------------

    def observe(self, request: ApiRequest, ok: bool) -> None:
        params = request.params
        if request.method == "answerCallbackQuery":
            user = self.users.get(self.queries.pop(str(params.get("callback_query_id")), -1))
            if user is None or user.pending is None:
                return
            if not ok:
                self.tally.errors["answer refused"] += 1
            elif str(params.get("text", "")).startswith("Saved"):
                self.acknowledge_rating(user, user.pending)
            else:
                self.tally.errors[f"tap answered {params.get('text')!r}"] += 1
                self.finish(user)
            return
        if request.method not in ("sendMessage", "editMessageText"):
            return
        user = self.users.get(int(params.get("chat_id", 0)))
        if user is None or user.pending is None:
            return
        text = str(params.get("text", ""))
        if not ok or text.startswith(SORRY):
            self.tally.errors[f"{request.method} failed" if not ok else "error reply"] += 1
            self.finish(user)
            return
        pending = user.pending
        if request.method == "editMessageText":
            if pending.kind == "rate" and pending.acknowledged:
                self.finish(user)  # the card now shows the next film
            return
        if pending.kind == "start":
            if "reply_markup" in params:  # the card comes after the welcome
                user.card = self.server.chat(user.user_id).bot_messages[-1]
                self.finish(user)
        elif pending.kind == "undo":
            self.acknowledge_undo(user, text)
            self.finish(user)
        elif pending.kind in ("search", "recommend"):
            self.finish(user)

    def acknowledge_rating(self, user: SimUser, pending: Pending) -> None:
        pending.acknowledged = True
        user.undo_log.append((pending.item, user.expected.get(pending.item)))
        user.expected[pending.item] = pending.stars

    def acknowledge_undo(self, user: SimUser, text: str) -> None:
        if text.startswith("Nothing to undo"):
            if user.undo_log:
                self.tally.errors["undo found nothing to undo"] += 1
            return
        if not user.undo_log:
            self.tally.errors["undo took back an unknown answer"] += 1
            return
        item, before = user.undo_log.pop()
        if before is None:
            user.expected.pop(item, None)
        else:
            user.expected[item] = before

    def finish(self, user: SimUser) -> None:
        pending = user.pending
        assert pending is not None
        user.pending = None
        if self.measuring:
            self.tally.latencies[pending.kind].append(time.perf_counter() - pending.sent_at)
        self.idle.append(user.user_id)


def check_database(path: Path, users: dict[int, SimUser]) -> dict[str, int]:
    """Compare the database with what the bot acknowledged: lost, wrong and extra ratings, and
    undo-log rows beyond the acknowledged answers (an update applied twice)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        stored: defaultdict[int, dict[int, float]] = defaultdict(dict)
        for user_id, item_id, stars in conn.execute("SELECT user_id, item_id, stars FROM ratings"):
            stored[user_id][item_id] = stars
        logged = dict(conn.execute("SELECT user_id, count(*) FROM journal GROUP BY user_id"))
    found = Counter[str]()
    for user in users.values():
        mine = stored.get(user.user_id, {})
        for item, stars in user.expected.items():
            if item not in mine:
                found["lost"] += 1
            elif mine[item] != stars:
                found["wrong stars"] += 1
        found["extra"] += len(mine.keys() - user.expected.keys())
        # The undo log keeps about the last 100 answers; below that it must match exactly.
        if len(user.undo_log) < 90:
            found["duplicated"] += abs(logged.get(user.user_id, 0) - len(user.undo_log))
        found["acknowledged ratings"] += len(user.expected)
    return {key: found[key] for key in ("acknowledged ratings", "lost", "wrong stars", "extra",
                                        "duplicated")}  # fmt: skip


def process_stats(pid: int) -> tuple[float, float]:
    """(peak RSS in MB, CPU seconds so far) of a live process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return peak_kb / 1024, ticks / os.sysconf("SC_CLK_TCK")


async def busy_group(server: FakeBotApi, members: int) -> dict[str, float]:
    """A movie night that ``members`` people join at once; how long until every join was
    answered and the night listed everyone, and how many edits that took."""
    people = [server.user(10_000_000 + n, f"Member {n}") for n in range(members)]
    club = server.group(-1_000_001, "Crowd", supergroup=True)
    await people[0].send("/movienight@moviebot_test_bot", chat=club)
    night = await people[0].wait_for_message(lambda m: "Who's in?" in (m.text or ""), chat=club)
    join = night.button("I'm in")["callback_data"]
    started = time.monotonic()
    taps = [person.tap(night, join) for person in people]
    await server.wait_until(lambda: all(t.answer for t in taps), 600, "every join answered")
    answered = time.monotonic() - started
    await server.wait_until(lambda: f"({members})" in (night.text or ""), 600, "all listed")
    listed = time.monotonic() - started
    edits = [c for c in server.calls("editMessageText") if c.params.get("chat_id") == club.id]
    return {"members": members, "answered_s": answered, "listed_s": listed, "edits": len(edits)}


async def run_one(
    users: int,
    rate: float,
    seconds: float,
    model: Path,
    workdir: Path,
    concurrency: int,
    group: int = 0,
    catalogue: str | None = None,
) -> dict[str, Any]:
    database = Path(tempfile.mkstemp(".sqlite3", f"load-{users}-", dir=workdir)[1])
    async with FakeBotApi() as server:
        env = {
            "TELEGRAM_BOT_TOKEN": server.token,
            "TELEGRAM_API_BASE_URL": server.base_url,
            "DATABASE_PATH": str(database),
            "MODEL_PATH": str(model),
            "DATA_DIR": str(default_data_dir().resolve()),
            "LOG_LEVEL": "WARNING",
            "MAX_MESSAGES_PER_SECOND": "0",
            "CONCURRENT_UPDATES": str(concurrency),
            **({"CATALOGUE": catalogue} if catalogue else {}),
        }
        bot = BotProcess(workdir, env)
        launched = time.monotonic()
        await bot.start()
        try:
            # Someone sends /start as the bot is launched: how long until they have an answer.
            probe = server.user(PROBE_USER, "early")
            await probe.send("/start")
            await server.wait_until(lambda: len(probe.transcript) >= 3, 120, "the first answer")
            first_answer_s = time.monotonic() - launched
            load = Load(server, users, searches=searches(catalogue))
            await load.warm_up(rate)
            # This process is Telegram here, and its collections over the fake's growing records
            # of every chat stalled it (and every bot call waiting on it) for up to 220 ms, a
            # stall the bot would never see from Telegram. No collection while measuring.
            gc.freeze()
            gc.disable()
            assert bot.process is not None
            _, cpu_before = process_stats(bot.process.pid)
            crowd = asyncio.create_task(busy_group(server, group)) if group else None
            try:
                completed, elapsed = await load.steady(rate, seconds)
                crowded = await crowd if crowd is not None else None
            finally:
                gc.enable()
            peak_mb, cpu_after = process_stats(bot.process.pid)
        finally:
            code = await bot.stop()
        if code != 0:
            raise RuntimeError(f"the bot exited with {code}:\n{bot.log()[-3000:]}")
    if server.token in bot.log():
        raise RuntimeError("the token leaked into the bot's log")
    every = [t for samples in load.tally.latencies.values() for t in samples]
    return {
        "users": users,
        "offered_per_s": rate,
        "updates_per_s": completed / elapsed,
        "latency": latency_ms(every),
        "latency_by_kind": {k: latency_ms(v) for k, v in sorted(load.tally.latencies.items())},
        "bot_cpu_ms_per_update": 1e3 * (cpu_after - cpu_before) / max(completed, 1),
        "peak_rss_mb": peak_mb,
        "first_answer_s": first_answer_s,
        "deferred": load.tally.deferred,
        "errors": dict(load.tally.errors),
        "database": check_database(database, load.users),
        "group": crowded,
    }


def searches(catalogue: str | None, n: int = 200) -> list[str]:
    """What people search for: famous titles in ML-100k, a sample of the titles (lower case)
    of another catalogue."""
    if catalogue is None:
        return SEARCHES
    titles = load_catalog(catalogue).frame["title"]
    return [str(t).lower() for t in titles.sample(n, random_state=0, replace=len(titles) < n)]


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        model = args.model
        if model is None:
            model = workdir / "model.safetensors"
            Trainer().fit(movielens_100k().ratings).save(model)
        results = []
        for users in args.users:
            for _ in range(args.repeat):
                result = await run_one(
                    users,
                    args.rate,
                    args.seconds,
                    model,
                    workdir,
                    args.concurrent_updates,
                    args.group,
                    args.catalogue,
                )
                print(_row(result), flush=True)
                results.append(result)
        return results


def _row(r: dict[str, Any]) -> list[str]:
    db = r["database"]
    return [
        f"{r['users']:,}",
        f"{r['offered_per_s']:.0f}",
        f"{r['updates_per_s']:.0f}",
        f"{r['latency']['median_ms']:.1f}",
        f"{r['latency']['p99_ms']:.1f}",
        f"{r['bot_cpu_ms_per_update']:.2f}",
        f"{r['peak_rss_mb']:.0f}",
        f"{r['first_answer_s']:.1f}",
        f"{db['acknowledged ratings']:,}",
        str(db["lost"] + db["wrong stars"]),
        str(db["duplicated"] + db["extra"]),
        str(sum(r["errors"].values())),
        _group_cell(r.get("group")),
    ]


def _group_cell(group: dict[str, float] | None) -> str:
    if not group:
        return "–"
    return (
        f"{group['members']:.0f} joined: answered in {group['answered_s']:.1f} s, "
        f"listed in {group['listed_s']:.1f} s, {group['edits']:.0f} edits"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--rate", type=float, default=300, help="updates offered per second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--concurrent-updates", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1, help="runs for each N (a row each)")
    parser.add_argument("--model", type=Path, help="model file (default: train one on ML-100k)")
    parser.add_argument(
        "--catalogue", help="CATALOGUE for the bot (a release or a folder); give its --model"
    )
    parser.add_argument("--name", default="load", help="results file name in bench/results")
    parser.add_argument(
        "--group", type=int, default=0, help="members of one group joining a night at once"
    )
    args = parser.parse_args()
    results = asyncio.run(run(args))
    header = ["users", "offered/s", "updates/s", "median ms", "p99 ms", "bot CPU ms/update",
              "peak RSS MB", "first /start answered after s", "ratings checked", "lost",
              "duplicated", "errors", "busy group"]  # fmt: skip
    table = markdown_table(header, [_row(r) for r in results])
    write(args.name, {"seconds": args.seconds, "results": results}, table)


if __name__ == "__main__":
    main()
