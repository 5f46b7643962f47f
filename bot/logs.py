"""Logging set-up: one line per event, and secrets masked even if a library logs them."""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime

from telegram.error import TelegramError

# Bot API URLs carry the token ("/bot123456:ABC.../sendMessage"): mask it wherever it appears.
_TOKEN_PATTERN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[secret]")
        return _TOKEN_PATTERN.sub("[token]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are formatted later; clean the exception text now.
            formatted = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = self._clean(formatted)
        return True


# Libraries that log whole payloads at DEBUG: python-telegram-bot every update it receives and
# every request with its parameters (residents' words and Telegram ids), aiosqlite every statement
# with its parameters (stories, pseudonyms). LOG_LEVEL=DEBUG is for the bot's own modules; these
# never log below INFO, so that debugging does not write residents' data to the log.
PAYLOAD_LOGGERS = ("telegram", "aiosqlite")


# Loggers of this project; every other logger belongs to a library.
OWN_LOGGERS = ("bot", "handlers", "storage", "__main__")
# Values a library may put in a log line as they are: none of them can hold a resident's words.
_PLAIN_ARGUMENTS = (int, float, bool, type(None), BaseException)
# Errors whose message describes a connection or Telegram's answer, never an update's content.
_DESCRIBED_ERRORS = (TelegramError, OSError, TimeoutError)


def _is_own(name: str) -> bool:
    return any(name == own or name.startswith(own + ".") for own in OWN_LOGGERS)


class NoLibraryPayloads(logging.Filter):
    """A library's log line keeps its text, but any argument that could carry an update, a
    request's parameters or a resident's words is replaced by its type. python-telegram-bot,
    for one, logs a whole batch of raw updates (names and stories included) at CRITICAL when it
    cannot parse one of them, whatever the log level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _is_own(record.name):
            return True
        if isinstance(record.args, Mapping):
            record.args = {key: _plain(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_plain(argument) for argument in record.args)
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and not isinstance(error, _DESCRIBED_ERRORS):
            # A parsing error's message can quote the value it choked on: keep where it
            # happened and what kind of error it was, not the message.
            frames = "".join(traceback.format_tb(error.__traceback__))
            kind = f"{type(error).__module__}.{type(error).__qualname__}"
            record.exc_text = f"Traceback (most recent call last):\n{frames}{kind}: (message withheld)"
        return True


class _Withheld:
    """Stands in for a withheld argument, the same under %s and %r."""

    def __init__(self, kind: type) -> None:
        self._text = f"<{kind.__name__} withheld>"

    def __repr__(self) -> str:
        return self._text

    __str__ = __repr__


def _plain(argument: object) -> object:
    return argument if isinstance(argument, _PLAIN_ARGUMENTS) else _Withheld(type(argument))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and, if any, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, secrets: list[str] | None = None, *, fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(NoLibraryPayloads())
    handler.addFilter(RedactSecrets(secrets or []))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # Libraries' warnings become log lines too: in the chosen format, through the same filters.
    logging.captureWarnings(True)
