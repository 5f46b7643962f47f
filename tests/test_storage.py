"""The database layer on its own: migrations run by two processes at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from storage import Database
from storage.migrations import MIGRATIONS


class _OvertakenDatabase(Database):
    """Lets another connection run its whole migration just before this one's first step."""

    def __init__(self, path: Path, rival: Database) -> None:
        super().__init__(path)
        self._rival = rival
        self._transactions = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        self._transactions += 1
        if self._transactions == 2:  # the first is creating the bookkeeping table
            await self._rival.migrate()
        async with super().transaction() as connection:
            yield connection


async def test_a_migration_overtaken_by_another_process_skips_what_it_applied(tmp_path: Path) -> None:
    # The bot starting while an operator runs `purge` on the same file: both find an empty
    # database, the other one finishes first, and the slower one must neither fail nor repeat.
    path = tmp_path / "race.sqlite3"
    rival = Database(path)
    await rival.connect()
    slower = _OvertakenDatabase(path, rival)
    await slower.connect()
    try:
        assert await slower.migrate() == []
        assert await slower.applied_migrations() == sorted(name for name, _ in MIGRATIONS)
    finally:
        await slower.close()
        await rival.close()
