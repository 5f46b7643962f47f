"""Operations: the container health check and JSON logs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import TOKEN
from tests.support import run_bot_command as run_bot


def test_healthcheck_reports_each_problem_and_passes_when_ready(tmp_path: Path) -> None:
    database = str(tmp_path / "feedback.sqlite3")
    missing_database = run_bot(tmp_path, "healthcheck", BOT_TOKEN=TOKEN, DATABASE_PATH=database)
    assert missing_database.returncode == 1 and "no database" in missing_database.stderr
    assert not Path(database).exists(), "the health check never creates a database"

    assert run_bot(tmp_path, "migrate", DATABASE_PATH=database).returncode == 0
    healthy = run_bot(tmp_path, "healthcheck", BOT_TOKEN=TOKEN, DATABASE_PATH=database)
    assert healthy.returncode == 0 and "healthy" in healthy.stderr

    no_token = run_bot(tmp_path, "healthcheck", DATABASE_PATH=database)
    assert no_token.returncode == 1 and "BOT_TOKEN" in no_token.stderr
    no_catalogues = run_bot(
        tmp_path, "healthcheck", BOT_TOKEN=TOKEN, DATABASE_PATH=database, LOCALES_DIR=str(tmp_path)
    )
    assert no_catalogues.returncode == 1 and "catalogues" in no_catalogues.stderr
    assert TOKEN.split(":")[1] not in no_token.stderr + healthy.stderr


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path, "migrate", DATABASE_PATH=str(tmp_path / "f.sqlite3"), LOG_FORMAT="json", LOG_LEVEL="INFO"
    )
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(entry["message"].startswith("applied migration") for entry in entries)
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)


def test_unknown_log_format_is_named(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "migrate", LOG_FORMAT="xml")
    assert result.returncode == 2 and "LOG_FORMAT" in result.stderr
