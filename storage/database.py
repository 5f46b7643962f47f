"""One aiosqlite connection, WAL, recorded migrations, and serialised transactions."""

from __future__ import annotations

import asyncio
import logging
import os
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

# The files hold residents' answers and pseudonyms: readable by the bot's user alone, whatever
# the umask. SQLite gives the -wal and -shm files the database file's mode.
PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SIDE_FILE_SUFFIXES = ("-wal", "-shm", "-journal")

# After a checkpoint SQLite cuts the log back to this size, so older frames do not linger in
# its tail. Erasures empty it entirely (see ``erase``).
JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024

# An erasure's checkpoint waits this long for another process's reader, a few times, between
# which other residents' statements may run; after that it is retried in the background.
ERASURE_CHECKPOINT_WAIT_MS = 200
ERASURE_CHECKPOINT_TRIES = 4
LATER_CHECKPOINT_MAX_DELAY_SECONDS = 60.0


class DatabaseUnavailable(Exception):
    """The database cannot be written right now (disk full, read-only, locked too long)."""


def _is_unavailable(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return any(
        marker in text
        for marker in ("disk is full", "readonly", "read-only", "locked", "disk i/o", "unable to open")
    )


def make_private_directory(directory: Path) -> None:
    """Create ``directory`` (and any missing parents) for the owner alone. An existing folder
    is left as it is: it may be the working directory or a volume set up by the operator."""
    if directory.is_dir():
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    try:
        directory.mkdir(mode=PRIVATE_DIRECTORY_MODE)
    except FileExistsError:
        return
    # mkdir's mode passes through the umask; chmod does not.
    directory.chmod(PRIVATE_DIRECTORY_MODE)


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty and owner-only unless it exists; True if it was created."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
    finally:
        os.close(descriptor)
    return True


def make_files_private(database: Path) -> None:
    """Tighten a database and its side files left readable by others (made by an older version
    or another tool). One we cannot change is reported, not fatal."""
    for path in (database, *(database.with_name(database.name + suffix) for suffix in SIDE_FILE_SUFFIXES)):
        try:
            if path.stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
                path.chmod(PRIVATE_FILE_MODE)
        except FileNotFoundError:
            continue
        except PermissionError:
            logger.warning("cannot make %s readable by its owner only", path.name)


class Database:
    """Owns the connection. Every statement runs under one lock, so a transaction is never
    interleaved with another coroutine's statements on the shared connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._later_checkpoint: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        make_private_directory(self.path.parent)
        if not create_private_file(self.path):
            make_files_private(self.path)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self._connection = await aiosqlite.connect(self.path, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            # FULL: a committed answer survives power loss too, not only a killed process.
            "PRAGMA synchronous=FULL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            # Deleted rows are overwritten with zeros rather than left in free space. Some
            # builds (Debian's) default to this, SQLite itself does not.
            "PRAGMA secure_delete=ON",
            f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT_BYTES}",
        ):
            await self._connection.execute(pragma)
        rows = list(await self._connection.execute_fetchall("PRAGMA secure_delete"))
        if not rows or rows[0][0] != 1:
            await self.close()
            raise RuntimeError("SQLite did not turn on secure_delete: erased answers would stay on disk")
        # A process killed after an erasure whose checkpoint had to wait left the erased rows in
        # the log: empty it now. A reader elsewhere may delay that; then it is retried later.
        if not await self._empty_log():
            self._later_checkpoint = asyncio.create_task(self._checkpoint_until_done(), name="checkpoint")

    async def close(self) -> None:
        if self._later_checkpoint is not None:
            self._later_checkpoint.cancel()
            self._later_checkpoint = None
            if self._connection is not None and not await self._empty_log():
                logger.warning("erased data may stay in the database's log until its next checkpoint")
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

    async def erase(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """A DELETE of residents' data, then the log emptied, so that the erased rows are gone
        from every file when this returns: secure_delete zeroes them in the database file, but
        the log still holds the pages as they were until a checkpoint truncates it. A reader in
        another process can hold the checkpoint up; the erasure itself then still succeeds, and
        the checkpoint is retried in the background. Returns the number of rows deleted."""
        erased = await self.execute(sql, parameters)
        if erased:
            await self._checkpoint_after_erasure()
        return erased

    async def _checkpoint_after_erasure(self) -> None:
        for attempt in range(ERASURE_CHECKPOINT_TRIES):
            if await self._empty_log():
                return
            await asyncio.sleep(0.05 * (attempt + 1))
        logger.warning(
            "another reader holds the database's log: the checkpoint after an erasure is retried later"
        )
        if self._later_checkpoint is None or self._later_checkpoint.done():
            self._later_checkpoint = asyncio.create_task(self._checkpoint_until_done(), name="checkpoint")

    async def _checkpoint_until_done(self) -> None:
        delay = 0.5
        while True:
            await asyncio.sleep(delay)
            if await self._empty_log():
                logger.info("the delayed checkpoint after an erasure is done")
                return
            delay = min(delay * 2, LATER_CHECKPOINT_MAX_DELAY_SECONDS)

    async def _empty_log(self) -> bool:
        """Copy the log into the database file and truncate it to nothing; False if a reader or
        writer elsewhere stopped that within a short wait."""
        async with self._lock:
            connection = self.connection
            await connection.execute(f"PRAGMA busy_timeout={ERASURE_CHECKPOINT_WAIT_MS}")
            try:
                rows = list(await connection.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)"))
            except sqlite3.Error as error:
                # Busy or locked, as a rule: the same as a checkpoint that could not finish. The
                # erasure itself is committed; only its clean-up waits.
                logger.warning("checkpoint failed: %s", error)
                return False
            finally:
                await connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return bool(rows) and rows[0][0] == 0

    async def fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            return list(await self.connection.execute_fetchall(sql, parameters))

    async def fetchone(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, parameters)
        return rows[0] if rows else None

    async def backup(self, target: Path) -> None:
        """A consistent copy through SQLite's online backup, even while the bot writes.
        Written beside the target and renamed into place, so a half copy never exists; both
        are readable by the owner alone, as the database is."""
        make_private_directory(target.parent)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        create_private_file(partial)
        try:
            async with aiosqlite.connect(partial) as copy:
                async with self._lock:
                    await self.connection.backup(copy)
                async with copy.execute("PRAGMA integrity_check") as cursor:
                    row = await cursor.fetchone()
                if row is None or row[0] != "ok":
                    raise RuntimeError("the backup copy failed its integrity check")
        except BaseException:
            # A failed copy holds residents' data as much as a finished one does.
            partial.unlink(missing_ok=True)
            partial.with_name(partial.name + "-journal").unlink(missing_ok=True)
            raise
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
