"""Settings of the bot, read from the environment or a ``.env`` file and validated at start-up.

``load_settings()`` is the entry point: it turns every validation problem into one
``ConfigError`` line that names the variable and says how to fix it, and never shows the token.
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from recsys.config import TrainConfig

# Telegram bot tokens are "<bot id>:<secret>", e.g. "123456789:AAH...". Real secrets are 35
# characters; 30 leaves room without accepting obvious junk such as a pasted placeholder.
_TOKEN_RE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,}")
_HH_MM_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
# Spark's own forms: local, local[4], local[*], local[4,2], yarn, or scheme://host.
_SPARK_MASTER_RE = re.compile(r"local(\[(\*|[0-9]+)(,[0-9]+)?\])?|yarn|(spark|k8s|mesos)://\S+")
_TRAINING = TrainConfig()  # the defaults of every TRAIN_* setting

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line meant for the operator."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment. Field names are the variable names in
    lower case (``TELEGRAM_BOT_TOKEN`` → ``telegram_bot_token``)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        # `TELEGRAM_BOT_TOKEN=` copied from .env.example means "not set", not "empty token".
        env_ignore_empty=True,
        # A misspelt key in .env (TELEGRAM_TOKEN=...) should fail loudly, not be ignored.
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        validate_default=True,
    )

    telegram_bot_token: SecretStr | None = None
    """Bot token from @BotFather (``123456:ABC-...``). Unset means no Telegram: the bot offers a
    console mode instead. Kept in a SecretStr so it never shows in repr, logs or errors."""

    telegram_api_base_url: str | None = None
    """Bot API endpoint passed to PTB's ``ApplicationBuilder().base_url()``, e.g.
    ``http://127.0.0.1:8081/bot`` for a local Bot API server or a test fake. PTB appends the
    token to it (unless it contains ``{token}``). Unset means https://api.telegram.org/bot."""

    webhook_url: str | None = None
    """Public HTTPS URL Telegram should POST updates to. Set: webhook mode; unset: long polling."""

    webhook_listen: str = "127.0.0.1"
    """IP address the webhook HTTP server binds to (``0.0.0.0`` to accept outside traffic)."""

    webhook_port: int = Field(default=8443, ge=1, le=65535)
    """TCP port the webhook HTTP server listens on."""

    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    """Telegram user ids allowed to run admin commands, comma-separated (``1, 2``)."""

    database_path: Path = Path("data/moviebot.sqlite3")
    """SQLite database file with users, ratings and groups; its folder is created if missing."""

    model_path: Path = Path("models/model.safetensors")
    """Trained recommender weights the bot serves (one safetensors file, its metadata inside)."""

    data_dir: Path = Path("data")
    """Folder with the MovieLens data the model is trained on."""

    catalogue: str = "ml-100k"
    """The films the bot serves and trains on: a MovieLens release name (``ml-100k``,
    ``ml-1m``, ``ml-10m``, ``ml-20m``, ``ml-25m``, ``ml-32m``, ``ml-latest-small``,
    ``ml-latest``; fetched into DATA_DIR on first start), a folder name in DATA_DIR, or the
    path of a folder or zip in any format ``recsys`` reads."""

    retrain_time: time = time(4, 0)
    """Local time of day (``HH:MM``, in TIMEZONE) of the nightly retraining."""

    timezone: str = "UTC"
    """IANA time zone name (``Europe/Berlin``) for RETRAIN_TIME and dates shown to users."""

    log_level: LogLevel = "INFO"
    """Logging threshold: DEBUG, INFO, WARNING or ERROR."""

    concurrent_updates: int = Field(default=8, ge=1, le=256)
    """How many Telegram updates PTB may process at the same time."""

    max_messages_per_second: float = Field(default=30, ge=0, le=10_000)
    """Cap on messages the bot sends or edits per second, all chats together (Telegram's
    broadcast limit is about 30); 0 lifts the cap and relies on Telegram's 429 answers."""

    # The TRAIN_* defaults are TrainConfig's own: a setting left unset trains with them.
    train_factors: int = Field(default=_TRAINING.factors, ge=1, le=1024)
    """Latent factors of the model trained by retraining runs."""

    train_epochs: int = Field(default=_TRAINING.epochs, ge=1, le=10_000)
    """Upper bound on training epochs of a retraining run."""

    train_seed: int = Field(default=_TRAINING.seed, ge=0, le=2**32 - 1)
    """Random seed of retraining runs, so that a run can be repeated."""

    train_solver: Literal["adam", "als"] = _TRAINING.star_solver
    """Star-head solver of retraining runs: explicit ALS, or Adam with an implicit term."""

    train_reg: float = Field(default=_TRAINING.reg_factors, gt=0, le=100)
    """L2 regularisation of the star head's factors (per rating) in retraining runs."""

    train_timeout_minutes: float = Field(default=120, gt=0, le=7 * 24 * 60)
    """A retraining run still training after this many minutes is stopped and recorded as
    failed (its worker is killed), so a hung worker never blocks the next run."""

    train_engine: Literal["torch", "spark"] = "torch"
    """What retraining runs train with: torch on this machine, or Apache Spark's MLlib ALS
    (``pip install 'moviebot[spark]'`` and Java 17), in local mode or on SPARK_MASTER."""

    spark_master: str = "local[*]"
    """Spark master URL of retraining runs with TRAIN_ENGINE=spark: ``local[*]`` (this
    machine), ``spark://host:7077`` (a standalone cluster), ``yarn`` or ``k8s://...``."""

    train_config: Path | None = None
    """A training config file written by ``python -m recsys tune``: the first model and every
    retraining run train with it. TRAIN_* settings that are set still win over it."""

    @field_validator("database_path", "model_path")
    @classmethod
    def _usable_file(cls, path: Path, info: ValidationInfo) -> Path:
        if path.is_dir():
            raise ValueError("is a folder, not a file")
        # The database is written in place; a model file is replaced by a rename beside it.
        mode = os.R_OK | os.W_OK if info.field_name == "database_path" else os.R_OK
        if path.exists() and not os.access(path, mode):
            raise ValueError("cannot be read and written by this user")
        _writable(path.parent)
        return path

    @field_validator("data_dir")
    @classmethod
    def _usable_folder(cls, path: Path) -> Path:
        if path.exists():
            if not path.is_dir():
                raise ValueError("is not a folder")
            if not os.access(path, os.R_OK | os.X_OK):
                raise ValueError("cannot be read by this user")
            return path
        _writable(path)
        return path

    tmdb_api_key: SecretStr | None = None
    """TMDB API key (v3 key, or v4 read access token) for film posters; unset: no posters.
    Kept in a SecretStr so it never shows in repr, logs or errors."""

    tmdb_url: str = "https://api.themoviedb.org/3"
    """TMDB API base URL (tests point it at a fake TMDB on 127.0.0.1)."""

    @field_validator("train_config")
    @classmethod
    def _readable_train_config(cls, path: Path | None) -> Path | None:
        if path is not None:
            if not path.is_file():
                raise ValueError("is not a file")
            TrainConfig.from_file(path)  # its ValueError names what is wrong in the file
        return path

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and not _TOKEN_RE.fullmatch(token.get_secret_value()):
            raise ValueError("does not look like a bot token")
        return token

    @field_validator("telegram_api_base_url", "webhook_url", "movielens_url", "tmdb_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("is not an http(s) URL")
        return url

    @field_validator("spark_master")
    @classmethod
    def _spark_master(cls, master: str) -> str:
        master = master.strip()
        if not _SPARK_MASTER_RE.fullmatch(master):
            raise ValueError("is not a Spark master URL")
        return master

    @field_validator("webhook_listen")
    @classmethod
    def _ip_address(cls, address: str) -> str:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ValueError("is not an IP address") from None
        return address

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        parts = [part.strip() for part in value.split(",")]
        if parts == [""]:
            return frozenset()
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise ValueError("is not a comma-separated list of numeric user ids")
        return frozenset(int(part) for part in parts)

    @field_validator("retrain_time", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _HH_MM_RE.fullmatch(value.strip())
        if match is None:
            raise ValueError("is not a time of day in HH:MM")
        return time(int(match[1]), int(match[2]))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a known time zone") from None
        return name

    movielens_url: str | None = None
    """Base URL MovieLens releases are fetched from; unset means GroupLens."""

    @field_validator("catalogue")
    @classmethod
    def _known_catalogue(cls, value: str, info: ValidationInfo) -> str:
        from recsys.data import RELEASES, DataFormatError, detect_format

        value = value.strip()
        if value in RELEASES:
            return value
        data_dir = info.data.get("data_dir", Path("data"))
        path = next((p for p in (data_dir / value, Path(value)) if p.exists()), None)
        if path is None:
            raise ValueError("is neither a MovieLens release name nor an existing folder or zip")
        try:
            detect_format(path)
        except DataFormatError as exc:
            raise ValueError(f"is not a MovieLens release ({exc.reason})") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def tz(self) -> ZoneInfo:
        """TIMEZONE as a tzinfo."""
        return ZoneInfo(self.timezone)

    @property
    def retrain_at(self) -> time:
        """RETRAIN_TIME with TIMEZONE attached, ready for ``JobQueue.run_daily``."""
        return self.retrain_time.replace(tzinfo=self.tz)


def _writable(folder: Path) -> None:
    """ValueError unless this user may write in ``folder``, or create it: its nearest existing
    ancestor must be a folder they may write in (``/dev/null/sub`` has none)."""
    ancestor = folder
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"cannot be created: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f"cannot be written: this user may not write in {ancestor}")


# How to fix each variable, appended to the problem pydantic or a validator found.
_FIXES: dict[str, str] = {
    "telegram_bot_token": "copy the token @BotFather gave you (digits, a colon, then 30+ "
    "letters, digits, '_' or '-'), or leave it empty for console mode",
    "telegram_api_base_url": "use a URL such as http://127.0.0.1:8081/bot, or leave it empty",
    "webhook_url": "use the public https:// URL Telegram should call, or leave it empty for "
    "long polling",
    "webhook_listen": "use an IP address such as 127.0.0.1 or 0.0.0.0",
    "webhook_port": "use a port number between 1 and 65535",
    "admin_user_ids": "use numeric Telegram user ids separated by commas, e.g. 12345,67890",
    "database_path": "use a file path in a folder you may write to, such as data/moviebot.sqlite3",
    "model_path": "use a file path in a folder you may write to, such as models/model.safetensors",
    "data_dir": "use a folder you may write to, such as data",
    "catalogue": "use a release name (ml-100k, ml-1m, ml-10m, ml-20m, ml-25m, ml-32m, "
    "ml-latest-small, ml-latest) or the path of a MovieLens folder or .zip",
    "movielens_url": "use a URL such as https://files.grouplens.org/datasets/movielens, or "
    "leave it empty",
    "retrain_time": "use a 24-hour time such as 04:00",
    "timezone": "use an IANA name such as Europe/Berlin",
    "log_level": "use DEBUG, INFO, WARNING or ERROR",
    "concurrent_updates": "use a whole number between 1 and 256",
    "max_messages_per_second": "use a number between 0 (no cap) and 10000",
    "train_factors": "use a whole number between 1 and 1024",
    "train_epochs": "use a whole number between 1 and 10000",
    "train_seed": "use a whole number between 0 and 4294967295",
    "train_timeout_minutes": "use a number of minutes above 0, at most 10080 (a week)",
    "train_engine": "use torch or spark",
    "spark_master": "use local[*], local[4], spark://host:7077, yarn or k8s://https://host:443",
    "train_config": "use the file 'python -m recsys tune' wrote, or leave it empty",
}

_SECRET_FIELDS = frozenset({"telegram_bot_token"})


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read settings from the environment and ``env_file`` (None: no file), with ``overrides``
    (field names in lower case) winning over both.

    Raises ConfigError with a one-line message naming the variable and the fix.
    """
    try:
        # _env_file is BaseSettings' own init argument, which mypy's view of the model lacks.
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as error:
        messages = [_describe(detail) for detail in error.errors(include_url=False)]
        # `from None`: the ValidationError's own text quotes the raw input, token included.
        raise ConfigError("; ".join(messages)) from None


def _describe(detail: Any) -> str:
    """One human sentence for one pydantic error, without ever quoting a secret."""
    field = str(detail["loc"][0]) if detail["loc"] else ""
    name = field.upper()
    if detail["type"] == "extra_forbidden":
        return f"{name} is not a known setting; check its spelling against .env.example"
    if detail["type"] == "value_error":
        problem = str(detail["ctx"]["error"])
    else:
        problem = f"is invalid ({detail['msg'][0].lower()}{detail['msg'][1:]})"
    shown = name if field in _SECRET_FIELDS else f"{name}={_short(detail['input'])}"
    fix = _FIXES.get(field, "see .env.example")
    return f"{shown} {problem}; {fix}"


def _short(value: Any) -> str:
    """The offending value, quoted and cut so one bad line stays one readable line."""
    text = repr(value if isinstance(value, str) else str(value))
    return text if len(text) <= 60 else text[:57] + "...'"
