"""All reads and writes of survey responses."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from storage.database import Database
from storage.models import Answer, Response, Stage, Story

CODE_SEPARATOR = ";"


def _join(codes: Sequence[str]) -> str:
    return CODE_SEPARATOR.join(codes)


def _split(value: str) -> tuple[str, ...]:
    return tuple(code for code in value.split(CODE_SEPARATOR) if code)


def _response(row: sqlite3.Row) -> Response:
    return Response(
        id=row["id"],
        survey_id=row["survey_id"],
        survey_version=row["survey_version"],
        language=row["language"],
        stage=Stage(row["stage"]),
        current_question=row["current_question"],
        pending_codes=_split(row["pending_codes"]),
        consent_version=row["consent_version"],
        consented_at=row["consented_at"],
        started_at=row["started_at"],
        updated_at=row["updated_at"],
        completed_at=row["completed_at"],
    )


def _answer(row: sqlite3.Row) -> Answer:
    return Answer(
        question_id=row["question_id"],
        option_codes=_split(row["option_codes"]),
        skipped=bool(row["skipped"]),
        survey_version=row["survey_version"],
        answered_at=row["answered_at"],
    )


def _story(row: sqlite3.Row) -> Story:
    return Story(
        text=row["text"],
        voice_file_id=row["voice_file_id"],
        voice_duration=row["voice_duration"],
        language=row["language"],
        created_at=row["created_at"],
    )


def _advance_statement(
    response_id: int, next_question: str | None, now: str
) -> tuple[str, tuple[object, ...]]:
    if next_question is None:
        return (
            "UPDATE responses SET stage = ?, current_question = NULL, pending_codes = '', "
            "updated_at = ?, completed_at = COALESCE(completed_at, ?) WHERE id = ?",
            (Stage.DONE, now, now, response_id),
        )
    return (
        "UPDATE responses SET current_question = ?, pending_codes = '', updated_at = ? WHERE id = ?",
        (next_question, now, response_id),
    )


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One response with everything but the respondent's pseudonym."""

    response: Response
    answers: dict[str, Answer]
    story: Story | None


_RESPONSE_COLUMNS = (
    "id, survey_id, survey_version, language, stage, current_question, pending_codes, "
    "consent_version, consented_at, started_at, updated_at, completed_at"
)


class Repository:
    """Responses of residents, keyed by their pseudonym and the survey id: the SQLite
    implementation of ``storage.interface.ResponseStore``."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def find_response(self, respondent: str, survey_id: str) -> Response | None:
        row = await self.database.fetchone(
            f"SELECT {_RESPONSE_COLUMNS} FROM responses WHERE respondent = ? AND survey_id = ?",
            (respondent, survey_id),
        )
        return _response(row) if row else None

    async def create_response(
        self, respondent: str, survey_id: str, survey_version: str, now: str
    ) -> Response:
        # A concurrent /start of the same resident must not create a second row.
        await self.database.execute(
            "INSERT INTO responses (respondent, survey_id, survey_version, stage, started_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (respondent, survey_id) DO NOTHING",
            (respondent, survey_id, survey_version, Stage.LANGUAGE, now, now),
        )
        response = await self.find_response(respondent, survey_id)
        assert response is not None
        return response

    async def set_language(self, response_id: int, language: str, stage: Stage, now: str) -> None:
        await self.database.execute(
            "UPDATE responses SET language = ?, stage = ?, updated_at = ? WHERE id = ?",
            (language, stage, now, response_id),
        )

    async def record_consent(
        self, response_id: int, consent_version: str, first_question: str, now: str
    ) -> None:
        await self.database.execute(
            "UPDATE responses SET stage = ?, consent_version = ?, consented_at = ?, "
            "current_question = ?, pending_codes = '', updated_at = ? WHERE id = ?",
            (Stage.QUESTIONS, consent_version, now, first_question, now, response_id),
        )

    async def delete_response(self, response_id: int) -> None:
        await self.database.execute("DELETE FROM responses WHERE id = ?", (response_id,))

    async def delete_respondent(self, respondent: str) -> int:
        """Erase every response of one resident (answers and stories cascade)."""
        return await self.database.execute("DELETE FROM responses WHERE respondent = ?", (respondent,))

    async def set_pending(self, response_id: int, codes: Sequence[str], now: str) -> None:
        await self.database.execute(
            "UPDATE responses SET pending_codes = ?, updated_at = ? WHERE id = ?",
            (_join(codes), now, response_id),
        )

    async def save_answer(
        self,
        response_id: int,
        question_id: str,
        codes: Sequence[str],
        *,
        skipped: bool,
        survey_version: str,
        next_question: str | None,
        now: str,
    ) -> None:
        """Store one answer and move on, in one transaction: the answer and the resident's
        place can never disagree after a crash."""
        async with self.database.transaction() as connection:
            await connection.execute(
                "INSERT INTO answers (response_id, question_id, option_codes, skipped, "
                "survey_version, answered_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (response_id, question_id) DO UPDATE SET "
                "option_codes = excluded.option_codes, skipped = excluded.skipped, "
                "survey_version = excluded.survey_version, answered_at = excluded.answered_at",
                (response_id, question_id, _join(codes), int(skipped), survey_version, now),
            )
            await connection.execute(*_advance_statement(response_id, next_question, now))

    async def save_story(
        self,
        response_id: int,
        *,
        text: str | None,
        voice_file_id: str | None,
        voice_duration: int | None,
        language: str | None,
        next_question: str | None,
        now: str,
    ) -> None:
        async with self.database.transaction() as connection:
            await connection.execute(
                "INSERT INTO stories (response_id, text, voice_file_id, voice_duration, language, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (response_id) DO UPDATE SET "
                "text = excluded.text, voice_file_id = excluded.voice_file_id, "
                "voice_duration = excluded.voice_duration, language = excluded.language, "
                "created_at = excluded.created_at",
                (response_id, text, voice_file_id, voice_duration, language, now),
            )
            await connection.execute(*_advance_statement(response_id, next_question, now))

    async def advance(self, response_id: int, next_question: str | None, now: str) -> None:
        """Move a resident to a question (or to the end) without storing an answer."""
        await self.database.execute(*_advance_statement(response_id, next_question, now))

    async def answers(self, response_id: int) -> dict[str, Answer]:
        rows = await self.database.fetchall(
            "SELECT question_id, option_codes, skipped, survey_version, answered_at "
            "FROM answers WHERE response_id = ?",
            (response_id,),
        )
        return {row["question_id"]: _answer(row) for row in rows}

    async def story(self, response_id: int) -> Story | None:
        row = await self.database.fetchone(
            "SELECT text, voice_file_id, voice_duration, language, created_at "
            "FROM stories WHERE response_id = ?",
            (response_id,),
        )
        return _story(row) if row else None

    async def export_rows(self, survey_id: str, batch_size: int = 500) -> AsyncIterator[ExportRow]:
        """Every response of a survey with its answers and story, in start order, in batches
        so that a large export does not hold everything in memory."""
        last_id = 0
        while True:
            rows = await self.database.fetchall(
                f"SELECT {_RESPONSE_COLUMNS} FROM responses WHERE survey_id = ? AND id > ? "
                "ORDER BY id LIMIT ?",
                (survey_id, last_id, batch_size),
            )
            if not rows:
                return
            responses = [_response(row) for row in rows]
            ids = [response.id for response in responses]
            placeholders = ",".join("?" * len(ids))
            answer_rows = await self.database.fetchall(
                "SELECT response_id, question_id, option_codes, skipped, survey_version, "
                f"answered_at FROM answers WHERE response_id IN ({placeholders})",
                ids,
            )
            story_rows = await self.database.fetchall(
                "SELECT response_id, text, voice_file_id, voice_duration, language, created_at "
                f"FROM stories WHERE response_id IN ({placeholders})",
                ids,
            )
            answers: dict[int, dict[str, Answer]] = {response_id: {} for response_id in ids}
            for row in answer_rows:
                answers[row["response_id"]][row["question_id"]] = _answer(row)
            stories = {row["response_id"]: _story(row) for row in story_rows}
            for response in responses:
                yield ExportRow(response, answers[response.id], stories.get(response.id))
            last_id = ids[-1]

    async def erase_started_before(self, cutoff: str) -> int:
        """Erase every response started before ``cutoff`` (ISO time): the retention limit."""
        return await self.database.execute("DELETE FROM responses WHERE started_at < ?", (cutoff,))

    async def erase_abandoned(self, cutoff: str, *, with_answers: bool) -> int:
        """Erase unfinished responses untouched since ``cutoff``. Those that never reached
        consent hold nothing but a pseudonym and always go; consented ones only when
        ``with_answers``."""
        stages = [Stage.LANGUAGE, Stage.CONSENT]
        if with_answers:
            stages.append(Stage.QUESTIONS)
        placeholders = ",".join("?" * len(stages))
        return await self.database.execute(
            f"DELETE FROM responses WHERE stage IN ({placeholders}) AND updated_at < ?",
            (*stages, cutoff),
        )

    async def count_by_state(self, survey_id: str) -> tuple[int, int]:
        """How many consented responses there are, and how many of them are complete."""
        row = await self.database.fetchone(
            "SELECT COUNT(*) AS started, COUNT(completed_at) AS completed FROM responses "
            "WHERE survey_id = ? AND consented_at IS NOT NULL",
            (survey_id,),
        )
        return (int(row["started"]), int(row["completed"])) if row else (0, 0)
