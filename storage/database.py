"""One aiosqlite connection, WAL, recorded migrations, and serialised transactions."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import MIGRATIONS

logger = logging.getLogger(__name__)

# A busy database is waited on (another process, a backup) rather than failed.
BUSY_TIMEOUT_MS = 10_000


class DatabaseUnavailable(Exception):
    """The database cannot be written right now (disk full, read-only, locked too long)."""


def _is_unavailable(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return any(
        marker in text
        for marker in ("disk is full", "readonly", "read-only", "locked", "disk i/o", "unable to open")
    )


class Database:
    """Owns the connection. Every statement runs under one lock, so a transaction is never
    interleaved with another coroutine's statements on the shared connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self._connection = await aiosqlite.connect(self.path, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            # FULL: a committed answer survives power loss too, not only a killed process.
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        ):
            await self._connection.execute(pragma)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def connection(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise RuntimeError("database is not connected")
        return self._connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction, committed (durably) before the block's caller goes on."""
        async with self._lock:
            connection = self.connection
            try:
                await connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise self._unavailable(error) from error
            try:
                yield connection
            except BaseException:
                await self._rollback(connection)
                raise
            try:
                await connection.execute("COMMIT")
            except sqlite3.OperationalError as error:
                await self._rollback(connection)
                raise self._unavailable(error) from error

    @staticmethod
    async def _rollback(connection: aiosqlite.Connection) -> None:
        if connection.in_transaction:
            await connection.execute("ROLLBACK")

    def _unavailable(self, error: sqlite3.OperationalError) -> Exception:
        if _is_unavailable(error):
            logger.error("database unavailable: %s", error)
            return DatabaseUnavailable(str(error))
        return error

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """One write statement, its own transaction (autocommit): durable when this returns.
        Returns the number of rows changed."""
        # Each await below is a round trip to aiosqlite's thread, so the cursor is left to the
        # garbage collector rather than closed with one more.
        async with self._lock:
            try:
                cursor = await self.connection.execute(sql, parameters)
            except sqlite3.OperationalError as error:
                raise self._unavailable(error) from error
            return cursor.rowcount

    async def fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            return list(await self.connection.execute_fetchall(sql, parameters))

    async def fetchone(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, parameters)
        return rows[0] if rows else None

    async def backup(self, target: Path) -> None:
        """A consistent copy through SQLite's online backup, even while the bot writes.
        Written beside the target and renamed into place, so a half copy never exists."""
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        async with aiosqlite.connect(partial) as copy:
            async with self._lock:
                await self.connection.backup(copy)
            async with copy.execute("PRAGMA integrity_check") as cursor:
                row = await cursor.fetchone()
            if row is None or row[0] != "ok":
                raise RuntimeError("the backup copy failed its integrity check")
        partial.replace(target)

    async def applied_migrations(self) -> list[str]:
        await self._ensure_migrations_table()
        rows = await self.fetchall("SELECT name FROM schema_migrations ORDER BY name")
        return [row["name"] for row in rows]

    async def migrate(self, migrations: Iterable[tuple[str, list[str]]] = MIGRATIONS) -> list[str]:
        """Apply the steps not yet recorded; returns the names applied now.

        Whether a step is recorded is read inside the step's own write transaction, so a second
        process migrating the same file at the same moment (a ``purge`` during the bot's
        start-up) waits for the first and then skips what it applied."""
        await self._ensure_migrations_table()
        newly_applied = []
        for name, statements in migrations:
            async with self.transaction() as connection:
                async with connection.execute(
                    "SELECT 1 FROM schema_migrations WHERE name = ?", (name,)
                ) as cursor:
                    if await cursor.fetchone() is not None:
                        continue
                for statement in statements:
                    await connection.execute(statement)
                await connection.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (name, datetime.now(UTC).isoformat(timespec="seconds")),
                )
            logger.info("applied migration %s", name)
            newly_applied.append(name)
        return newly_applied

    async def _ensure_migrations_table(self) -> None:
        async with self.transaction() as connection:
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
