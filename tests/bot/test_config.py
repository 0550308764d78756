"""Settings: defaults, .env and environment precedence, validation messages, token secrecy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConfigError, Settings, load_settings
from bot.retrain import training_config

TOKEN = "123456789:AAH4sEcReT-tOkEn_0123456789abcdefghij"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"
# The TRAIN_* settings in .env.example's order, and the TrainConfig field each one sets.
TRAIN_NAMES = ["train_factors", "train_epochs", "train_seed", "train_solver", "train_reg"]
TRAIN_FIELDS = ["factors", "epochs", "seed", "star_solver", "reg_factors"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the developer's shell or ./.env leaks into a test."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "test.env"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(**overrides: object) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, **overrides)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_defaults() -> None:
    settings = load_settings(None)
    assert settings.telegram_bot_token is None
    assert settings.telegram_api_base_url is None
    assert settings.webhook_url is None
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 8443)
    assert settings.admin_user_ids == frozenset()
    assert settings.database_path == Path("data/moviebot.sqlite3")
    assert settings.model_path == Path("models/model.safetensors")
    assert settings.data_dir == Path("data")
    assert settings.retrain_time == time(4, 0)
    assert settings.timezone == "UTC"
    assert settings.log_level == "INFO"
    assert settings.concurrent_updates == 8
    assert (settings.train_factors, settings.train_epochs, settings.train_seed) == (32, 80, 0)


def test_reads_a_dotenv_file(tmp_path: Path) -> None:
    env = write_env(
        tmp_path,
        f"TELEGRAM_BOT_TOKEN={TOKEN}\n"
        "TELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot\n"
        "WEBHOOK_URL=https://bot.example.org/hook\n"
        "WEBHOOK_LISTEN=0.0.0.0\n"
        "WEBHOOK_PORT=9000\n"
        "ADMIN_USER_IDS=1, 2,3\n"
        f"DATABASE_PATH={tmp_path}/lib/moviebot/db.sqlite3\n"
        "RETRAIN_TIME=03:30\n"
        "TIMEZONE=Europe/Berlin\n"
        "LOG_LEVEL=debug\n"
        "CONCURRENT_UPDATES=4\n"
        "TRAIN_FACTORS=32\n"
        "TRAIN_EPOCHS=5\n"
        "TRAIN_SEED=7\n",
    )
    settings = load_settings(env)
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == TOKEN
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.webhook_url == "https://bot.example.org/hook"
    assert (settings.webhook_listen, settings.webhook_port) == ("0.0.0.0", 9000)
    assert settings.admin_user_ids == {1, 2, 3}
    assert settings.database_path == tmp_path / "lib/moviebot/db.sqlite3"
    assert settings.retrain_time == time(3, 30)
    assert settings.retrain_at.tzinfo is not None
    assert str(settings.tz) == "Europe/Berlin"
    assert settings.log_level == "DEBUG"
    assert (settings.concurrent_updates, settings.train_factors) == (4, 32)
    assert (settings.train_epochs, settings.train_seed) == (5, 7)


def test_environment_beats_dotenv_and_overrides_beat_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = write_env(tmp_path, "LOG_LEVEL=ERROR\nTIMEZONE=Asia/Tokyo\nTRAIN_SEED=1\n")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("TRAIN_SEED", "2")
    settings = load_settings(env, train_seed=3)
    assert (settings.log_level, settings.timezone, settings.train_seed) == (
        "WARNING",
        "Asia/Tokyo",
        3,
    )


def test_default_env_file_is_dot_env_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TRAIN_EPOCHS=9\n")
    assert load_settings().train_epochs == 9


def test_a_missing_env_file_is_fine(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope.env").train_epochs == 80


def test_empty_values_mean_unset(tmp_path: Path) -> None:
    env = write_env(tmp_path, "TELEGRAM_BOT_TOKEN=\nADMIN_USER_IDS=\nWEBHOOK_URL=\n")
    settings = load_settings(env)
    assert settings.telegram_bot_token is None
    assert settings.admin_user_ids == frozenset()
    assert settings.webhook_url is None


def test_the_token_never_shows(tmp_path: Path) -> None:
    settings = load_settings(write_env(tmp_path, f"TELEGRAM_BOT_TOKEN={TOKEN}\n"))
    secret = TOKEN.split(":")[1]
    for shown in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        repr(settings.model_dump()),
    ):
        assert secret not in shown


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "123456:tooShort",
        "123456:" + "A" * 29,
        ":" + "A" * 35,
        "12a4:" + "A" * 35,
        "123456:" + "A" * 34 + "!",
        "123456:" + "A" * 20 + " " + "B" * 14,
        " 123456:" + "A" * 35 + "\n",
    ],
)
def test_a_malformed_token_is_refused_without_being_quoted(token: str) -> None:
    message = config_error(telegram_bot_token=token)
    assert message.startswith("TELEGRAM_BOT_TOKEN ")
    assert "@BotFather" in message
    assert token.strip() not in message
    assert "AAAAAAAA" not in message


@given(st.text(), st.sampled_from(["", "987654:", "987654:AAAA"]))
def test_no_rejected_token_appears_in_the_error(text: str, prefix: str) -> None:
    token = f"{prefix}{text}Zq9Xw"  # the marker cannot occur in the fixed wording
    try:
        load_settings(None, telegram_bot_token=token)
    except ConfigError as error:
        assert "Zq9Xw" not in str(error)


def test_the_error_does_not_chain_pydantics_error_which_quotes_inputs() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, telegram_bot_token="123:" + "x" * 10)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"timezone": "Mars/Olympus"},
            "TIMEZONE='Mars/Olympus' is not a known time zone; use an IANA name such as "
            "Europe/Berlin",
        ),
        ({"timezone": "../../etc/passwd"}, "TIMEZONE='../../etc/passwd' is not a known time zone"),
        ({"admin_user_ids": "1, two"}, "ADMIN_USER_IDS='1, two' is not a comma-separated list"),
        ({"admin_user_ids": "1,,2"}, "ADMIN_USER_IDS='1,,2'"),
        ({"admin_user_ids": "-5"}, "ADMIN_USER_IDS='-5'"),
        ({"webhook_port": "70000"}, "WEBHOOK_PORT='70000' is invalid"),
        ({"webhook_port": "https"}, "use a port number between 1 and 65535"),
        ({"webhook_listen": "example.org"}, "WEBHOOK_LISTEN='example.org' is not an IP address"),
        (
            {"webhook_url": "ftp://x.org/hook"},
            "WEBHOOK_URL='ftp://x.org/hook' is not an http(s) URL",
        ),
        ({"telegram_api_base_url": "127.0.0.1:8081/bot"}, "TELEGRAM_API_BASE_URL="),
        ({"retrain_time": "4pm"}, "RETRAIN_TIME='4pm' is not a time of day in HH:MM; use a 24"),
        ({"retrain_time": "24:00"}, "RETRAIN_TIME='24:00'"),
        ({"log_level": "LOUD"}, "LOG_LEVEL='LOUD' is invalid"),
        ({"concurrent_updates": "0"}, "CONCURRENT_UPDATES='0' is invalid"),
        ({"max_messages_per_second": "-1"}, "use a number between 0 (no cap) and 10000"),
        ({"train_factors": "many"}, "TRAIN_FACTORS='many' is invalid"),
        ({"train_seed": "-1"}, "TRAIN_SEED='-1' is invalid"),
    ],
)
def test_errors_name_the_variable_and_the_fix(overrides: dict[str, str], expected: str) -> None:
    message = config_error(**overrides)
    assert expected in message
    assert "; " in message  # problem; fix


def test_several_errors_stay_on_one_line() -> None:
    message = config_error(timezone="Nowhere/Land", webhook_port="0")
    assert "TIMEZONE=" in message
    assert "WEBHOOK_PORT=" in message


def test_a_misspelt_dotenv_key_is_an_error_that_does_not_quote_the_value(tmp_path: Path) -> None:
    env = write_env(tmp_path, f"TELEGRAM_TOKEN={TOKEN}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert message.startswith("TELEGRAM_TOKEN is not a known setting")
    assert TOKEN not in message


def test_every_setting_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no docstring"


def test_env_example_documents_every_setting_with_its_default() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    keys = {
        line.split("=", 1)[0] for line in text.splitlines() if line and not line.startswith("#")
    }
    assert keys == {name.upper() for name in Settings.model_fields}
    assert load_settings(EXAMPLE) == load_settings(None)


def test_train_settings_left_unset_read_as_what_training_uses() -> None:
    # TRAIN_SOLVER read "adam" while a run with it unset trained with ALS.
    settings = load_settings(None)
    used = training_config(settings)
    shown = [getattr(settings, name) for name in TRAIN_NAMES]
    assert shown == [getattr(used, field) for field in TRAIN_FIELDS]
    documented = re.search(r"built-in defaults: ([^)]*)\)", EXAMPLE.read_text(encoding="utf-8"))
    assert documented is not None
    assert documented.group(1).split(", ") == [str(value) for value in shown]


def test_catalogue_defaults_to_ml_100k_and_takes_any_release_name() -> None:
    assert load_settings(None).catalogue == "ml-100k"
    assert load_settings(None, catalogue="ml-32m").catalogue == "ml-32m"  # fetched at start-up


def test_an_unknown_catalogue_is_one_line_naming_the_fix() -> None:
    message = config_error(catalogue="ml-99m")
    assert message.startswith("CATALOGUE='ml-99m' is neither a MovieLens release name")
    assert "use a release name (ml-100k, ml-1m," in message


def test_a_catalogue_path_that_is_not_a_release_is_refused(tmp_path: Path) -> None:
    (tmp_path / "films").mkdir()
    (tmp_path / "films" / "notes.txt").write_text("not a release")
    message = config_error(catalogue=str(tmp_path / "films"))
    assert "is not a MovieLens release (not a MovieLens release: found none of" in message


def test_a_catalogue_folder_in_any_format_is_accepted(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "my-films"
    folder.mkdir(parents=True)
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,1\n")
    (folder / "movies.csv").write_text("movieId,title,genres\n1,Heat (1995),Crime\n")
    by_name = load_settings(None, data_dir=tmp_path / "data", catalogue="my-films")
    assert by_name.catalogue == "my-films"
    assert load_settings(None, catalogue=str(folder)).catalogue == str(folder)


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("database_path", "/dev/null/sub/db.sqlite3", "cannot be created: /dev/null is a file"),
        ("database_path", ".", "is a folder, not a file"),
        ("model_path", "/dev/null/model.safetensors", "cannot be created: /dev/null is a file"),
        ("model_path", ".", "is a folder, not a file"),
        ("data_dir", "/dev/null", "is not a folder"),
        ("data_dir", "/dev/null/data", "cannot be created: /dev/null is a file"),
    ],
)
def test_an_unusable_path_is_one_line_naming_the_setting_and_the_fix(
    name: str, value: str, problem: str
) -> None:
    message = config_error(**{name: Path(value)})
    assert message.startswith(f"{name.upper()}='{value}' {problem}"), message
    assert "you may write to, such as" in message


def test_a_folder_this_user_may_not_write_in_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):
        pytest.skip("this user (root) may write anywhere")
    message = config_error(database_path=locked / "db.sqlite3")
    assert "cannot be written: this user may not write in" in message


def test_python_m_bot_says_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_PATH": "/dev/null/sub/db.sqlite3", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--console"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "DATABASE_PATH='/dev/null/sub/db.sqlite3' cannot be created" in done.stderr
