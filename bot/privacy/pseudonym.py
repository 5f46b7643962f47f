"""Keyed pseudonyms: residents are known only by HMAC-SHA256(key, Telegram user id).

Without the key nobody can tell which Telegram account gave which answers, not even by trying
every possible id; with the key the bot can find a resident's own answers again (to resume,
show or delete them). Losing the key means residents can no longer reach their earlier answers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from storage.database import make_private_directory

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "pseudonym.key"


class Pseudonymizer:
    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymizer(key=**********)"

    def __call__(self, telegram_user_id: int) -> str:
        return hmac.new(self._key, str(telegram_user_id).encode(), hashlib.sha256).hexdigest()


def load_or_create_key(directory: Path, configured: str | None) -> bytes:
    """The configured key, or the one kept beside the database, created once if missing."""
    if configured:
        return configured.encode("utf-8")
    path = directory / KEY_FILE_NAME
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    make_private_directory(directory)
    key = secrets.token_hex(32).encode("ascii")
    try:
        # O_EXCL: two processes starting at once must not each write their own key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    logger.info("created a new pseudonym key file beside the database")
    return key
