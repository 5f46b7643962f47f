"""Retention, abandoned responses, online backup, and a database that cannot be written."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.privacy.retention import purge
from tests.support import Harness, make_settings, run_bot_command
from tests.test_survey_flow import answer_all, begin, db_rows


def age_responses(harness: Harness, days: int) -> None:
    """Move every timestamp back, as if the responses were given ``days`` ago."""
    then = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    connection = sqlite3.connect(harness.services.settings.database_path)
    with connection:
        connection.execute("UPDATE responses SET started_at = ?, updated_at = ?", (then, then))
    connection.close()


async def three_residents(harness: Harness) -> None:
    finished = harness.resident(7001)
    await begin(finished)
    await answer_all(finished)
    await finished.say("klart")
    halfway = harness.resident(7002)
    await begin(halfway)
    await halfway.press("a:visits:12_plus")
    never_consented = harness.resident(7003)
    await never_consented.command("start")


async def test_nothing_is_erased_before_its_time(harness: Harness) -> None:
    await three_residents(harness)
    result = await purge(harness.services.surveys.repository, harness.services.settings)
    assert (result.expired, result.abandoned) == (0, 0)
    assert len(db_rows(harness, "SELECT * FROM responses")) == 3


async def test_abandoned_responses_are_kept_by_default_but_unconsented_ones_go(harness: Harness) -> None:
    await three_residents(harness)
    age_responses(harness, 31)
    result = await purge(harness.services.surveys.repository, harness.services.settings)
    assert (result.expired, result.abandoned) == (0, 1)
    stages = sorted(row["stage"] for row in db_rows(harness, "SELECT stage FROM responses"))
    assert stages == ["done", "questions"]


async def test_abandoned_responses_can_be_dropped(harness: Harness) -> None:
    await three_residents(harness)
    age_responses(harness, 31)
    settings = harness.services.settings.model_copy(update={"abandoned_responses": "drop"})
    result = await purge(harness.services.surveys.repository, settings)
    assert result.abandoned == 2
    assert [row["stage"] for row in db_rows(harness, "SELECT stage FROM responses")] == ["done"]
    # Only the finished one's: every choice question of the survey (ANSWERS leads through all).
    assert len(db_rows(harness, "SELECT * FROM answers")) == len(harness.services.survey.choice_questions())


async def test_everything_older_than_the_retention_period_is_erased(harness: Harness) -> None:
    await three_residents(harness)
    age_responses(harness, 366)
    result = await purge(harness.services.surveys.repository, harness.services.settings)
    assert result.expired == 3
    for table in ("responses", "answers", "stories"):
        assert db_rows(harness, f"SELECT * FROM {table}") == []


async def test_consent_text_states_the_configured_retention(tmp_path: Path, api) -> None:  # type: ignore[no-untyped-def]
    from tests.support import close_harness, open_harness

    harness = await open_harness(make_settings(tmp_path, retention_days=90), api)
    try:
        resident = harness.resident(7004)
        await resident.command("start")
        await resident.press("lang:sv")
        assert "högst 90 dagar" in resident.last_text()
    finally:
        await close_harness(harness)


async def test_online_backup_is_a_consistent_copy(harness: Harness, tmp_path: Path) -> None:
    await three_residents(harness)
    target = tmp_path / "backups" / "copy.sqlite3"
    await harness.services.database.backup(target)
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 3
        # The finished resident's answers to every choice question, and the one of the halfway one.
        choices = len(harness.services.survey.choice_questions())
        assert copy.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == choices + 1
    finally:
        copy.close()
    assert not target.with_name("copy.sqlite3.partial").exists()
    # As private as the database: it holds the same answers.
    assert target.stat().st_mode & 0o777 == 0o600


async def test_a_failed_backup_leaves_no_partial_copy(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy that breaks off half-way still holds residents' answers: it is removed."""
    await three_residents(harness)
    connection = harness.services.database.connection
    real_backup = connection.backup

    async def backup_then_fail(target, **kwargs):  # type: ignore[no-untyped-def]
        await real_backup(target, **kwargs)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(connection, "backup", backup_then_fail)
    target = tmp_path / "backups" / "copy.sqlite3"
    with pytest.raises(sqlite3.OperationalError):
        await harness.services.database.backup(target)
    assert sorted(path.name for path in target.parent.iterdir()) == []


def test_backup_command(tmp_path: Path) -> None:
    database = str(tmp_path / "feedback.sqlite3")
    assert run_bot_command(tmp_path, "migrate", DATABASE_PATH=database).returncode == 0
    result = run_bot_command(tmp_path, "backup", "--out", str(tmp_path / "b.sqlite3"), DATABASE_PATH=database)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b.sqlite3").stat().st_mode & 0o777 == 0o600
    assert Path(database).stat().st_mode & 0o777 == 0o600
    copy = sqlite3.connect(tmp_path / "b.sqlite3")
    tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    copy.close()
    assert {"responses", "answers", "stories", "schema_migrations"} <= tables
    missing = run_bot_command(
        tmp_path, "backup", "--out", str(tmp_path / "x.sqlite3"), DATABASE_PATH=str(tmp_path / "none.sqlite3")
    )
    assert missing.returncode == 2 and "no database" in missing.stderr


class FullDisk:
    """Stands in for the connection's execute once the disk is full: SQLite's own error."""

    def __init__(self, execute):  # type: ignore[no-untyped-def]
        self.execute = execute

    def __call__(self, sql, *args, **kwargs):  # type: ignore[no-untyped-def]
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "BEGIN")):
            raise sqlite3.OperationalError("database or disk is full")
        return self.execute(sql, *args, **kwargs)


@pytest.mark.parametrize("fault", ["read-only", "disk full"])
async def test_unwritable_database_gets_a_polite_try_again_later(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    resident = harness.resident(7005)
    await begin(resident)
    await resident.press("a:visits:12_plus")
    before = db_rows(harness, "SELECT question_id, option_codes FROM answers")
    connection = harness.services.database.connection
    if fault == "read-only":
        await connection.execute("PRAGMA query_only = ON")
    else:
        monkeypatch.setattr(connection, "execute", FullDisk(connection.execute))
    await resident.press("a:on_behalf:self")
    assert "Jag kan inte spara just nu" in resident.last_text()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any("database unavailable" in message for message in errors)
    assert db_rows(harness, "SELECT question_id, option_codes FROM answers") == before
    if fault == "read-only":
        await connection.execute("PRAGMA query_only = OFF")
    else:
        monkeypatch.undo()
    # Once the database can be written again, the same button works: nothing was lost.
    await resident.press("a:on_behalf:self")
    assert (
        db_rows(harness, "SELECT option_codes FROM answers WHERE question_id = 'on_behalf'")[0][0] == "self"
    )


async def test_the_running_bot_purges_at_start(tmp_path: Path) -> None:
    import asyncio

    from bench.fill import fill
    from bot.preview.server import Preview

    directory = tmp_path / "preview"
    directory.mkdir()
    await fill(directory / "preview.sqlite3", 12)  # started 2026-11-01
    preview = Preview(
        make_settings(tmp_path, retention_days=1), host="127.0.0.1", port=0, directory=directory
    )
    await preview.start()
    try:
        for _ in range(50):
            connection = sqlite3.connect(directory / "preview.sqlite3")
            remaining = connection.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
            connection.close()
            if remaining == 0:
                break
            await asyncio.sleep(0.1)
        assert remaining == 0
    finally:
        await preview.stop()


async def test_a_locked_database_is_waited_on(harness: Harness) -> None:
    """Another process (a backup, an export) holding the write lock delays an answer; it does
    not fail it."""
    import asyncio

    resident = harness.resident(7006)
    await begin(resident)
    other = sqlite3.connect(harness.services.settings.database_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    release = asyncio.get_running_loop().call_later(1.0, other.execute, "COMMIT")
    try:
        started = asyncio.get_running_loop().time()
        await resident.press("a:visits:12_plus")
        waited = asyncio.get_running_loop().time() - started
    finally:
        release.cancel()
        if other.in_transaction:
            other.execute("COMMIT")
        other.close()
    assert waited >= 0.9
    assert (
        db_rows(harness, "SELECT option_codes FROM answers WHERE question_id = 'visits'")[0][0] == "12_plus"
    )
