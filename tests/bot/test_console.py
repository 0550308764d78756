"""The console: buttons that keep working, links and files shown, several people in a group
movie night and an admin's /retrain walked end to end; Ctrl-C in a real process."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.console import Screen, Session, files_folder
from bot.replies import Button, Reply
from bot.runtime import close_resources, open_resources
from recsys.data import default_data_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(trained: Path, tmp_path: Path) -> Settings:
    model = tmp_path / "models" / "model.safetensors"
    model.parent.mkdir()
    shutil.copy(trained, model)
    return load_settings(
        env_file=None,
        model_path=model,
        database_path=tmp_path / "bot.sqlite3",
        # The console saves files under DATA_DIR: a folder of the test's own, the films read
        # from the shared copy.
        data_dir=tmp_path / "data",
        catalogue=str(default_data_dir().resolve() / "ml-100k"),
        train_factors=8,
        train_epochs=3,
    )


class Terminal:
    """A console session whose printed text is kept, with helpers to find buttons in it."""

    def __init__(self, session: Session, printed: list[str]) -> None:
        self.session = session
        self.printed = printed

    async def type(self, line: str) -> str:
        start = len(self.printed)
        assert await self.session.line(line)
        return "\n".join(self.printed[start:])

    def button(self, label: str) -> int:
        """The number of the newest button with this label."""
        found = re.findall(rf"\[(\d+)\] {re.escape(label)}(?:\s{{3}}|$)", self.text, re.M)
        assert found, f"no button {label!r} in:\n{self.text[-2000:]}"
        return int(found[-1])

    async def press(self, label: str) -> str:
        return await self.type(str(self.button(label)))

    @property
    def text(self) -> str:
        return "\n".join(self.printed)


@pytest.fixture
async def terminal(settings: Settings) -> AsyncIterator[Terminal]:
    resources = await open_resources(settings)
    printed: list[str] = []
    session = Session(resources, Screen(printed.append, files_folder(settings)))
    yield Terminal(session, printed)
    for run in session.runs:
        run.cancel()
    await close_resources(resources)


def read(path: str) -> bytes:
    return Path(path).read_bytes()


async def rate_ten(terminal: Terminal) -> None:
    await terminal.type("/rate")
    for _ in range(10):
        await terminal.press("★4")


async def test_an_earlier_message_keeps_its_buttons_after_a_typed_command(
    terminal: Terminal,
) -> None:
    await terminal.type("/search heat 1995")
    heat = terminal.button("Heat (1995)")
    await terminal.type("/help")
    card = await terminal.type(str(heat))
    assert "Heat (1995)" in card and "★4" in card


def test_a_link_button_shows_its_address(tmp_path: Path) -> None:
    shown: list[str] = []
    screen = Screen(shown.append, tmp_path)
    imdb = Button("IMDb", url="https://www.imdb.com/title/tt0113277/")
    screen.show(Reply("<b>Heat</b> (1995)", [[Button("★4", data="r"), imdb]]), "you")
    assert "IMDb (https://www.imdb.com/title/tt0113277/)" in shown[-1]


async def test_export_and_map_save_their_files_and_print_the_path(
    terminal: Terminal, settings: Settings
) -> None:
    await rate_ten(terminal)
    exported = await terminal.type("/export")
    [csv] = re.findall(r"file saved to (\S+),", exported)
    assert Path(csv).parent == files_folder(settings).resolve()
    assert read(csv).count(b"\n") == 11  # a header and ten ratings
    drawn = await terminal.type("/map")
    [png] = re.findall(r"picture saved to (\S+)\)", drawn)
    assert read(png).startswith(b"\x89PNG")


async def test_a_file_sent_from_the_console_is_imported_and_undone_whole(
    terminal: Terminal, tmp_path: Path
) -> None:
    # The console had no way to send a file: /import could not be tried there.
    export = tmp_path / "letterboxd.csv"
    export.write_text(
        "Date,Name,Year,Letterboxd URI,Rating\n"
        "2023-01-01,12 Monkeys,1995,https://boxd.it/a,4.5\n"
        "2023-01-02,The Matrix,1999,https://boxd.it/b,5\n"
    )
    assert "/send PATH sends a file" in await terminal.type("/import")
    imported = await terminal.type(f"/send {export}")
    assert "Imported 1 rating from your Letterboxd file." in imported
    assert "The Matrix (1999)" in imported  # not in ml-100k
    assert "4.5★ Twelve Monkeys (1995)" in await terminal.type("/myratings")
    assert "no file at" in await terminal.type(f"/send {tmp_path / 'nothing.csv'}")
    await terminal.type("/undo")
    assert "not rated anything" in await terminal.type("/myratings")
    await terminal.type("/group")
    assert "/private first" in await terminal.type(f"/send {export}")


async def test_a_group_movie_night_walked_by_two_people(terminal: Terminal) -> None:
    await rate_ten(terminal)  # you
    await terminal.type("/as alice")
    await rate_ten(terminal)
    await terminal.type("/group")
    night = await terminal.type("/movienight")
    assert "Movie night!" in night
    joined = await terminal.press("I'm in")
    assert "to alice: You're in!" in joined and "In so far (1): alice" in joined
    await terminal.type("/as you")
    joined = await terminal.press("I'm in")
    assert "In so far (2): you, alice" in joined
    picks = await terminal.press("Suggest")
    assert "/vote N to vote" in picks
    assert "(the poll is closed)" not in await terminal.type("/vote 1")
    await terminal.type("/as alice")
    closed = await terminal.type("/vote 1")
    assert "(the poll is closed)" in closed
    assert "Tonight's film:" in closed and "2 of 2 votes" in closed


async def test_the_admin_retrains_and_others_may_not(terminal: Terminal) -> None:
    await terminal.type("/as alice")
    assert "This command is for admins." in await terminal.type("/retrain")
    await terminal.type("/as you")
    await rate_ten(terminal)
    assert "Retraining: starting…" in await terminal.type("/retrain")
    busy = await terminal.type("/recommend")  # the console answers while it trains
    assert "Retraining finished" not in busy
    await asyncio.wait_for(asyncio.gather(*terminal.session.runs), 300)
    assert "Retraining finished in" in terminal.text
    stats = await terminal.type("/stats")
    assert "Last training run: admin:1" in stats and "picture saved to" in stats
    rolled = await terminal.type("/rollback")
    assert "Rolled back" in rolled or "no previous model" in rolled


async def test_a_button_of_another_persons_chat_is_refused(terminal: Terminal) -> None:
    await terminal.type("/rate")
    star = terminal.button("★4")
    await terminal.type("/as bob")
    assert "that button is in you's chat: /as you first" in await terminal.type(str(star))


def _console(
    settings: Settings, tmp_path: Path, argv: list[str], stdin: int
) -> subprocess.Popen[bytes]:
    """The console as its own process, reading ``stdin``, with Ctrl-C live in it.

    A process inherits an ignored SIGINT, and a shell without job control starts background
    commands (`bash .ci/run &`) with SIGINT ignored: the console would then rightly not hear
    Ctrl-C. A handled signal is reset to the default in the child, as at a terminal."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MODEL_PATH": str(settings.model_path),
        "DATABASE_PATH": str(settings.database_path),
        "DATA_DIR": str(settings.data_dir),
        "CATALOGUE": settings.catalogue,
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(
            [sys.executable, *argv], cwd=tmp_path, env=env, stdin=stdin,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, inherited)


def test_ctrl_c_exits_at_once_and_cleanly(settings: Settings, tmp_path: Path) -> None:
    # stdin held open: the console waits for a line, as at a terminal.
    with _console(settings, tmp_path, ["-m", "bot", "--console"], subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        seen = b""
        deadline = time.monotonic() + 60
        while not seen.endswith(b"> ") and time.monotonic() < deadline:
            seen += process.stdout.read1(4096)
        assert seen.endswith(b"> "), seen[-500:]
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        # wait(), not communicate(): that closes stdin, and an end of input is Ctrl-D, the
        # console's other way out, so an unheard signal passed as a clean exit (status 0).
        try:
            process.wait(timeout=10)
        finally:
            process.kill()
        took = time.monotonic() - sent
        err = process.stderr.read().decode()
    assert process.returncode == 130, err[-2000:]
    assert took < 5, f"{took:.1f} s to stop"
    assert err.strip().splitlines()[-1] == "bye", err
    assert "Traceback" not in err


def test_ctrl_c_just_after_ctrl_d_leaves_without_a_traceback(
    settings: Settings, tmp_path: Path
) -> None:
    """Ctrl-D closes the console; a Ctrl-C a moment later lands in the interpreter's exit
    handlers, which printed "Exception ignored ... KeyboardInterrupt" and exited with 0. Here
    the Ctrl-C is sent from the last exit handler to run, so it lands there every time."""
    script = (
        "import atexit, os, signal, sys\n"
        "from bot.__main__ import main\n"
        "atexit.register(os.kill, os.getpid(), signal.SIGINT)\n"
        "sys.exit(main(['--console']))\n"
    )
    with _console(settings, tmp_path, ["-c", script], subprocess.DEVNULL) as process:
        _, err_bytes = process.communicate(timeout=60)
    err = err_bytes.decode()
    assert "bye" in err.splitlines(), err[-2000:]
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-2000:]
