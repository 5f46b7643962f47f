"""Fill a database with synthetic completed responses, for measuring the bot with stored data."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from bot.survey.definition import QuestionKind, load_survey
from storage import Database


async def migrate(path: Path) -> None:
    async with Database(path) as database:
        await database.migrate()


async def fill(path: Path, count: int, *, seed: int = 7) -> None:
    """Insert ``count`` finished responses with answers and a short story each."""
    await migrate(path)
    survey = load_survey()
    rng = random.Random(seed)
    now = "2026-11-01T12:00:00+00:00"
    connection = sqlite3.connect(path)
    try:
        with connection:
            for number in range(count):
                cursor = connection.execute(
                    "INSERT INTO responses (respondent, survey_id, survey_version, language, stage, "
                    "consent_version, consented_at, started_at, updated_at, completed_at) "
                    "VALUES (?, ?, ?, ?, 'done', ?, ?, ?, ?, ?)",
                    (
                        f"synthetic-{number:08d}",
                        survey.id,
                        survey.version,
                        rng.choice(["sv", "en"]),
                        survey.consent_version,
                        now,
                        now,
                        now,
                        now,
                    ),
                )
                response_id = cursor.lastrowid
                rows = []
                for question in survey.questions:
                    if question.kind is QuestionKind.FREE_TEXT:
                        continue
                    k = rng.randint(1, 2) if question.kind is QuestionKind.MULTI else 1
                    codes = rng.sample(question.option_codes, k)
                    rows.append((response_id, question.id, ";".join(codes), 0, survey.version, now))
                connection.executemany(
                    "INSERT INTO answers (response_id, question_id, option_codes, skipped, "
                    "survey_version, answered_at) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                connection.execute(
                    "INSERT INTO stories (response_id, text, language, created_at) VALUES (?, ?, 'sv', ?)",
                    (response_id, "Jag behöver hjälp på mitt eget språk när jag får brev.", now),
                )
    finally:
        connection.close()
