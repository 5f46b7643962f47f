"""Settings, read once from the environment (and an optional ``.env``) and passed in."""

from __future__ import annotations

import logging
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The source checkout, for tests and tools; an installed bot never looks here (it may be
# site-packages).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Days and times that staff and residents read are the municipality's.
MUNICIPALITY_TIME = ZoneInfo("Europe/Stockholm")


def default_database_path() -> Path:
    """``data/feedback.sqlite3`` under the working directory, where the bot is started."""
    return Path.cwd() / "data" / "feedback.sqlite3"


def shipped_locales() -> Path:
    """The catalogues installed with the bot: the repository's ``locales/`` folder, which the
    wheel (and an editable install) presents as the package ``bot.locales``."""
    return Path(str(resources.files("bot.locales")))


MIN_WEBHOOK_SECRET = 32


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and never shows secret values."""


class Settings(BaseSettings):
    """Everything the bot needs to know about where it runs."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    bot_api_base_url: str | None = None
    bot_api_base_file_url: str | None = None
    database_path: Path = Field(default_factory=default_database_path)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    pseudonym_key: SecretStr | None = None
    default_language: str = "sv"
    log_level: str = "INFO"
    # "json": one JSON object per line, for log collectors; "text": one readable line per event.
    log_format: Literal["text", "json"] = "text"
    # Responses are erased this many days after they were started.
    retention_days: int = Field(default=365, ge=1, le=3650)
    # An unfinished response untouched this long counts as abandoned ...
    abandon_days: int = Field(default=30, ge=1, le=3650)
    # ... and is then kept (its answers still count, until retention_days) or dropped.
    abandoned_responses: Literal["keep", "drop"] = "keep"
    # Webhook mode (instead of long polling) when WEBHOOK_URL is set: the public HTTPS address
    # Telegram posts updates to; the bot listens on WEBHOOK_LISTEN:WEBHOOK_PORT behind a proxy.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    # The liveness and Prometheus endpoint (/healthz, /metrics): off unless a port is given.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_listen: str = "127.0.0.1"
    # The youngest age that may take part, as the data protection officer decides: a younger
    # resident is thanked and asked nothing, and nothing of theirs is kept.
    minimum_age: int = Field(default=16, ge=13, le=18)
    # Where residents can ask about their data: set it to the data protection officer's contact.
    privacy_contact: str = "botkyrka.se"
    # Machine translation of quotes in the report: a LibreTranslate-compatible service the
    # municipality runs (POST {url}/translate). Without it, quotes stay in their own language.
    translation_url: str | None = None
    translation_api_key: SecretStr | None = None
    translation_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # A new protected release of the figures is made only when at least this many responses
    # were completed since the last one, so that no one resident's answers can be told apart
    # by comparing two releases; the running bot checks every RELEASE_CHECK_HOURS.
    release_min_new: int = Field(default=10, ge=5, le=100_000)
    release_check_hours: float = Field(default=6.0, gt=0, le=24 * 7)
    locales_dir: Path = Field(default_factory=shipped_locales)
    survey_file: Path | None = None
    # How many residents' updates are processed at the same time (each resident's own
    # updates are always handled in order).
    concurrent_updates: int = Field(default=64, ge=1, le=1024)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            try:
                return frozenset(int(part) for part in parts)
            except ValueError:
                raise ValueError("must be comma-separated numeric Telegram user ids") from None
        return value

    @field_validator("bot_token", mode="before")
    @classmethod
    def _check_token(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            head, sep, tail = value.partition(":")
            if not (sep and head.isdigit() and tail):
                # The value itself is never echoed: it may be a real token pasted wrongly.
                raise ValueError("does not look like a Telegram bot token (digits:secret)")
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        code = value.strip().lower()
        if not code.replace("-", "").isalpha():
            raise ValueError("must be a language code such as sv or en")
        return code

    @field_validator("translation_url")
    @classmethod
    def _check_translation_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError("must be an http:// or https:// address")
        return value

    @field_validator("privacy_contact")
    @classmethod
    def _check_contact(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must say where residents can ask about their data")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram allows 1-256 of A-Z, a-z, 0-9, _ and -; anything this endpoint accepts must also
        # be too long to guess, so at least 32 (secrets.token_urlsafe(32) gives 43).
        if value is not None and not re.fullmatch(
            rf"[A-Za-z0-9_-]{{{MIN_WEBHOOK_SECRET},256}}", value.get_secret_value()
        ):
            raise ValueError(f"must be {MIN_WEBHOOK_SECRET}-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET must be set with WEBHOOK_URL")
        return self

    @property
    def data_dir(self) -> Path:
        return self.database_path.parent

    def require_token(self) -> str:
        if self.bot_token is None:
            raise ConfigError("BOT_TOKEN is not set: create a bot with @BotFather and set BOT_TOKEN")
        return self.bot_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into one clear line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise ConfigError("invalid setting " + "; ".join(problems)) from None
