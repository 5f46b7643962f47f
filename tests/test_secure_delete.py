"""Erased data leaves the disk: after /delete, "no thanks" or a purge, neither the story nor the
resident's pseudonym is left in any file beside the database (the database itself, its -wal and
-shm), not even after the process is killed; and those files are readable by their owner alone."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sqlite3
import string
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.config import Settings
from bot.preview.botapi import LocalBotApi
from bot.privacy.pseudonym import Pseudonymizer
from bot.privacy.retention import purge
from storage.database import Database
from tests.support import PROJECT, Harness, close_harness, make_settings, open_harness
from tests.test_retention_and_backup import age_responses
from tests.test_survey_flow import answer_all, begin

PSEUDONYM_KEY = "test-pseudonym-key-0123456789abcdef"


def unique_marker() -> str:
    """Letters only, so that scrubbing leaves it as it is; random, so no other file holds it."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(24))


def long_story(marker: str) -> str:
    """A story long enough to need overflow pages, with the marker at both ends."""
    filler = "Jag fick vänta länge på servicekontoret och förstod inte brevet. " * 50
    return f"{marker} {filler}{marker}"[:3900]


def stored_forms(pseudonym: str) -> list[bytes]:
    """The pseudonym as SQLite stores it (hex text), and as raw bytes for good measure."""
    return [pseudonym.encode("ascii"), bytes.fromhex(pseudonym)]


def files_beside(database: Path) -> dict[str, bytes]:
    """Every file in the database's folder, as raw bytes."""
    return {path.name: path.read_bytes() for path in sorted(database.parent.iterdir()) if path.is_file()}


def holders(database: Path, needle: bytes) -> list[str]:
    return [name for name, content in files_beside(database).items() if needle in content]


def assert_nowhere(database: Path, *needles: bytes) -> None:
    found = {needle[:8].hex(): holders(database, needle) for needle in needles}
    assert not any(found.values()), (
        f"erased data still on disk: {found} (files: {sorted(files_beside(database))})"
    )


def assert_somewhere(database: Path, needle: bytes) -> None:
    """The check can see what it looks for: before the erase, the data is on disk."""
    assert holders(database, needle), "the written data is not in any file: the test would prove nothing"


@pytest.fixture
def data_settings(tmp_path: Path) -> Settings:
    """The database alone in its own folder, which the bot creates."""
    return make_settings(tmp_path, database_path=tmp_path / "data" / "feedback.sqlite3")


@pytest.fixture
async def harness(data_settings: Settings, api: LocalBotApi) -> AsyncIterator[Harness]:
    opened = await open_harness(data_settings, api)
    try:
        yield opened
    finally:
        await close_harness(opened)


@pytest.fixture
def upstream_sqlite(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Connections start with secure_delete off, as SQLite's own default has it (Debian's build
    turns it on): the bot must not rely on its platform's build."""
    connect = aiosqlite.connect

    async def connect_without_secure_delete(*args: Any, **kwargs: Any) -> aiosqlite.Connection:
        connection = await connect(*args, **kwargs)
        await connection.execute("PRAGMA secure_delete=OFF")
        return connection

    monkeypatch.setattr(aiosqlite, "connect", connect_without_secure_delete)
    yield


async def secure_delete_setting(database: Database) -> int:
    rows = list(await database.connection.execute_fetchall("PRAGMA secure_delete"))
    return int(rows[0][0])


async def tell_and_erase(harness: Harness, marker: str) -> tuple[Path, str]:
    """A resident answers everything, tells a story holding ``marker`` and erases it all with
    /delete; a second resident's answers stay. Returns the database and the pseudonym."""
    database = harness.services.settings.database_path
    staying = harness.resident(8101)
    await begin(staying)
    await answer_all(staying)
    await staying.say("Det gick bra för mig.")
    leaving = harness.resident(8102)
    pseudonym = harness.services.pseudonymize(8102)
    await begin(leaving)
    await answer_all(leaving)
    await leaving.say(long_story(marker))
    assert_somewhere(database, marker.encode())
    assert_somewhere(database, pseudonym.encode())
    await leaving.command("delete")
    await leaving.press("del:yes")
    assert "Allt är raderat" in leaving.last_text()
    return database, pseudonym


async def test_delete_leaves_no_trace_in_any_file(harness: Harness) -> None:
    marker = unique_marker()
    database, pseudonym = await tell_and_erase(harness, marker)
    assert await secure_delete_setting(harness.services.database) == 1
    # Checked while the bot still runs: its WAL is where the story lingered.
    assert_nowhere(database, marker.encode(), *stored_forms(pseudonym))
    wal = database.with_name(database.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


async def test_delete_leaves_no_trace_where_sqlite_keeps_deleted_content(
    upstream_sqlite: None, data_settings: Settings, api: LocalBotApi
) -> None:
    """With SQLite's upstream default, deleted rows stay in the main file's free space unless
    the bot turns secure_delete on itself."""
    harness = await open_harness(data_settings, api)
    try:
        marker = unique_marker()
        database, pseudonym = await tell_and_erase(harness, marker)
        assert await secure_delete_setting(harness.services.database) == 1
        assert_nowhere(database, marker.encode(), *stored_forms(pseudonym))
    finally:
        await close_harness(harness)
    assert_nowhere(database, marker.encode(), *stored_forms(pseudonym))


async def test_no_thanks_leaves_no_pseudonym_on_disk(harness: Harness) -> None:
    database = harness.services.settings.database_path
    resident = harness.resident(8103)
    pseudonym = harness.services.pseudonymize(8103)
    await resident.command("start")
    await resident.press("lang:sv")
    assert_somewhere(database, pseudonym.encode())
    await resident.press("consent:no")
    assert_nowhere(database, *stored_forms(pseudonym))


@pytest.mark.parametrize("reason", ["expired", "abandoned"])
async def test_purge_leaves_no_trace_in_any_file(harness: Harness, reason: str) -> None:
    database = harness.services.settings.database_path
    marker = unique_marker()
    resident = harness.resident(8104)
    pseudonym = harness.services.pseudonymize(8104)
    await begin(resident)
    if reason == "expired":
        await answer_all(resident)
        await resident.say(long_story(marker))
    else:
        await resident.press("a:visits:12_plus")
    age_responses(harness, 366 if reason == "expired" else 31)
    assert_somewhere(database, pseudonym.encode())
    if reason == "expired":
        assert_somewhere(database, marker.encode())
    settings = harness.services.settings.model_copy(update={"abandoned_responses": "drop"})
    result = await purge(harness.services.surveys.repository, settings)
    assert result.expired + result.abandoned == 1
    assert_nowhere(database, marker.encode(), *stored_forms(pseudonym))


async def test_a_reader_holding_the_log_delays_the_clean_up_but_not_the_delete(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process reading an older snapshot (an export, a backup) keeps the log's frames
    alive: the resident's /delete still succeeds at once, a warning is logged, and the log is
    emptied as soon as the reader is done."""
    import asyncio

    caplog.set_level(logging.WARNING)
    database = harness.services.settings.database_path
    marker = unique_marker()
    resident = harness.resident(8105)
    pseudonym = harness.services.pseudonymize(8105)
    await begin(resident)
    await answer_all(resident)
    await resident.say(long_story(marker))
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM stories").fetchone()
    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        await resident.command("delete")
        await resident.press("del:yes")
        assert "Allt är raderat" in resident.last_text()
        assert loop.time() - started < 5
        assert any("checkpoint" in record.getMessage() for record in caplog.records)
    finally:
        reader.execute("COMMIT")
        reader.close()
    deadline = loop.time() + 15
    while holders(database, marker.encode()) and loop.time() < deadline:
        await asyncio.sleep(0.1)
    assert_nowhere(database, marker.encode(), *stored_forms(pseudonym))


async def write_then_die(path: str, respondent: str, marker: str, erase: str) -> None:
    """Run in a child process: store a response with a story, erase it (when ``erase`` is
    "erase"), then be killed before the database is closed."""
    from storage.repository import Repository

    database = Database(Path(path))
    await database.connect()
    await database.migrate()
    repository = Repository(database)
    now = "2026-03-01T10:00:00+00:00"
    for who in ("0" * 64, respondent):
        response = await repository.create_response(who, "service-office", "1", now)
        await repository.record_consent(response.id, "1", "frequency", now)
        await repository.save_answer(
            response.id,
            "frequency",
            ["weekly"],
            skipped=False,
            survey_version="1",
            next_question="story",
            now=now,
        )
        text = long_story(marker) if who == respondent else "Inget att tillägga."
        await repository.save_story(
            response.id,
            text=text,
            voice_file_id=None,
            voice_duration=None,
            language="sv",
            next_question=None,
            now=now,
        )
    if erase == "erase_while_read":
        # Another process reading at that moment: the checkpoint after the erasure has to wait.
        reader = sqlite3.connect(path)
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM responses").fetchone()
    if erase in ("erase", "erase_while_read"):
        assert await repository.delete_respondent(respondent) == 1
    os.kill(os.getpid(), signal.SIGKILL)


def die_after_writing(database: Path, pseudonym: str, marker: str, erase: str) -> None:
    """Run ``write_then_die`` in a child process and check that it was killed, not closed."""
    script = (
        "import asyncio, sys; from tests.test_secure_delete import write_then_die; "
        "asyncio.run(write_then_die(*sys.argv[1:]))"
    )
    child = subprocess.run(
        [sys.executable, "-c", script, str(database), pseudonym, marker, erase],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr


@pytest.mark.parametrize("erase", [True, False], ids=["erased", "kept"])
def test_erased_data_is_gone_even_if_the_process_is_killed_right_after(tmp_path: Path, erase: bool) -> None:
    database = tmp_path / "data" / "feedback.sqlite3"
    marker = unique_marker()
    pseudonym = Pseudonymizer(PSEUDONYM_KEY.encode())(8106)
    die_after_writing(database, pseudonym, marker, "erase" if erase else "keep")
    assert database.with_name(database.name + "-wal").exists(), "killed before close: the log is left"
    if erase:
        assert_nowhere(database, marker.encode(), *stored_forms(pseudonym))
    else:
        assert_somewhere(database, marker.encode())
        assert_somewhere(database, pseudonym.encode())


async def test_erased_data_left_in_the_log_by_a_killed_bot_is_gone_once_it_starts_again(
    tmp_path: Path,
) -> None:
    # Killed (out of memory, a stop that timed out) after an erasure whose clean-up waited for a
    # reader: the erased story is still in the log, until the next start empties it.
    database = tmp_path / "data" / "feedback.sqlite3"
    marker = unique_marker()
    pseudonym = Pseudonymizer(PSEUDONYM_KEY.encode())(8107)
    die_after_writing(database, pseudonym, marker, "erase_while_read")
    assert_somewhere(database, marker.encode())  # the situation this test is about
    restarted = Database(database)
    await restarted.connect()
    try:
        assert_nowhere(database, marker.encode(), *stored_forms(pseudonym))
    finally:
        await restarted.close()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture(params=[0o022, 0o002, 0o000])
def loose_umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """A umask that would leave files readable by others: the bot's modes must not depend on it."""
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


async def test_database_files_are_private_whatever_the_umask(
    loose_umask: int, data_settings: Settings, api: LocalBotApi, tmp_path: Path
) -> None:
    database = data_settings.database_path
    harness = await open_harness(data_settings, api)
    try:
        assert mode(database.parent) == 0o700
        assert mode(database) == 0o600
        resident = harness.resident(8107)
        await begin(resident)
        for suffix in ("-wal", "-shm"):
            assert mode(database.with_name(database.name + suffix)) == 0o600, suffix
        backup = tmp_path / "backups" / "copy.sqlite3"
        await harness.services.database.backup(backup)
        assert mode(backup.parent) == 0o700
        assert mode(backup) == 0o600
    finally:
        await close_harness(harness)
    assert {oct(mode(path)) for path in database.parent.iterdir()} <= {oct(0o600)}


async def test_an_existing_database_readable_by_others_is_made_private(tmp_path: Path) -> None:
    """A database made before files were private (0644, a world-readable log) is tightened
    when the bot next opens it."""
    path = tmp_path / "feedback.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    other = sqlite3.connect(path)  # keeps the log and index files when the first one closes
    other.execute("SELECT * FROM t").fetchall()
    for name in ("feedback.sqlite3", "feedback.sqlite3-wal", "feedback.sqlite3-shm"):
        (tmp_path / name).chmod(0o644)
    async with Database(path):
        for name in ("feedback.sqlite3", "feedback.sqlite3-wal", "feedback.sqlite3-shm"):
            assert mode(tmp_path / name) == 0o600, name
    other.close()
    connection.close()


def test_the_key_folder_is_private_when_the_key_makes_it(loose_umask: int, tmp_path: Path) -> None:
    from bot.privacy.pseudonym import KEY_FILE_NAME, load_or_create_key

    directory = tmp_path / "fresh" / "data"
    load_or_create_key(directory, None)
    assert mode(directory) == 0o700
    assert mode(directory / KEY_FILE_NAME) == 0o600
