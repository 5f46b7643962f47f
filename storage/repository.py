"""All reads and writes of survey responses."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Sequence

from storage.database import Database
from storage.models import (
    Answer,
    AnswerCount,
    ExportRow,
    NewResponse,
    QuoteCandidate,
    ReleaseRow,
    Response,
    ResultNotice,
    Stage,
    StoredRelease,
    Story,
    Totals,
)

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


def _result_notice(row: sqlite3.Row) -> ResultNotice:
    return ResultNotice(row["chat_id"], row["language"], row["consent_version"], row["requested_on"])


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
        self,
        response_id: int,
        consent_version: str,
        first_question: str,
        now: str,
        *,
        survey_version: str | None = None,
    ) -> None:
        """Questions start; ``survey_version``, if given, is the version they are asked from."""
        await self.database.execute(
            "UPDATE responses SET stage = ?, consent_version = ?, consented_at = ?, "
            "current_question = ?, pending_codes = '', updated_at = ?, "
            "survey_version = COALESCE(?, survey_version) WHERE id = ?",
            (Stage.QUESTIONS, consent_version, now, first_question, now, survey_version, response_id),
        )

    async def delete_response(self, response_id: int) -> None:
        """Erase one response, from every file (see ``Database.erase``)."""
        await self.database.erase("DELETE FROM responses WHERE id = ?", (response_id,))

    async def delete_respondent(self, respondent: str) -> int:
        """Erase every response of one resident (answers and stories cascade), from every file."""
        return await self.database.erase("DELETE FROM responses WHERE respondent = ?", (respondent,))

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
        themes: Sequence[str] = (),
        themes_version: str | None = None,
    ) -> None:
        async with self.database.transaction() as connection:
            await connection.execute(
                "INSERT INTO stories (response_id, text, voice_file_id, voice_duration, language, "
                "created_at, themes_version) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (response_id) DO UPDATE SET "
                "text = excluded.text, voice_file_id = excluded.voice_file_id, "
                "voice_duration = excluded.voice_duration, language = excluded.language, "
                "created_at = excluded.created_at, themes_version = excluded.themes_version",
                (response_id, text, voice_file_id, voice_duration, language, now, themes_version),
            )
            await connection.execute("DELETE FROM story_themes WHERE response_id = ?", (response_id,))
            if themes:
                await connection.executemany(
                    "INSERT INTO story_themes (response_id, theme) VALUES (?, ?)",
                    [(response_id, theme) for theme in themes],
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
        return await self.database.erase("DELETE FROM responses WHERE started_at < ?", (cutoff,))

    async def request_result_notice(
        self, chat_id: int, survey_id: str, language: str, consent_version: str, today: str
    ) -> None:
        await self.database.execute(
            """
            INSERT INTO result_notices (chat_id, survey_id, language, consent_version, requested_on)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (chat_id, survey_id) DO UPDATE SET
                language = excluded.language,
                consent_version = excluded.consent_version,
                requested_on = excluded.requested_on
            """,
            (chat_id, survey_id, language, consent_version, today),
        )

    async def result_notice(self, chat_id: int, survey_id: str) -> ResultNotice | None:
        row = await self.database.fetchone(
            "SELECT * FROM result_notices WHERE chat_id = ? AND survey_id = ?", (chat_id, survey_id)
        )
        return _result_notice(row) if row else None

    async def result_notices(self, survey_id: str) -> list[ResultNotice]:
        rows = await self.database.fetchall(
            "SELECT * FROM result_notices WHERE survey_id = ? ORDER BY requested_on, chat_id", (survey_id,)
        )
        return [_result_notice(row) for row in rows]

    async def erase_result_notice(self, chat_id: int, survey_id: str | None = None) -> int:
        """Erase one chat's request (for one survey, or for all when ``survey_id`` is None)."""
        if survey_id is None:
            return await self.database.erase("DELETE FROM result_notices WHERE chat_id = ?", (chat_id,))
        return await self.database.erase(
            "DELETE FROM result_notices WHERE chat_id = ? AND survey_id = ?", (chat_id, survey_id)
        )

    async def erase_result_notices_before(self, cutoff_day: str) -> int:
        return await self.database.erase("DELETE FROM result_notices WHERE requested_on < ?", (cutoff_day,))

    async def erase_abandoned(self, cutoff: str, *, with_answers: bool) -> int:
        """Erase unfinished responses untouched since ``cutoff``. Those that never reached
        consent hold nothing but a pseudonym and always go; consented ones only when
        ``with_answers``."""
        stages = [Stage.LANGUAGE, Stage.CONSENT]
        if with_answers:
            stages.append(Stage.QUESTIONS)
        placeholders = ",".join("?" * len(stages))
        return await self.database.erase(
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


# Consented responses of one survey: the population every figure for admins is drawn from.
_COUNTED = "r.survey_id = ? AND r.consented_at IS NOT NULL"
# A respondent's group by their answer ``g`` to a single-choice question; "" when skipped.
_GROUP_OF = "CASE WHEN g.skipped = 0 THEN g.option_codes ELSE '' END"


# A story that may be quoted: written, of a quotable length, with a theme, from a consented
# response; parameters survey id, shortest and longest length.
_QUOTABLE = (
    f"{_COUNTED} AND s.text IS NOT NULL AND length(s.text) BETWEEN ? AND ? "
    "AND EXISTS (SELECT 1 FROM story_themes t WHERE t.response_id = s.response_id)"
)
_QUOTABLE_SELECT = (
    "SELECT s.response_id, s.text, COALESCE(s.language, '') AS language, "
    "(SELECT group_concat(t.theme, ';') FROM story_themes t WHERE t.response_id = s.response_id) AS themes "
    f"FROM stories s JOIN responses r ON r.id = s.response_id WHERE {_QUOTABLE}"
)


def _quote_candidate(row: sqlite3.Row) -> QuoteCandidate:
    return QuoteCandidate(row["response_id"], row["text"], row["language"], _split(row["themes"] or ""))


class EvidenceQueries:
    """Aggregates for admins, computed by SQLite: only counts and a few quotes leave the
    database, never every row."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def totals(self, survey_id: str) -> Totals:
        row = await self.database.fetchone(
            "SELECT COUNT(*) AS started, COUNT(r.completed_at) AS completed, "
            f"MIN(r.consented_at) AS first, MAX(r.consented_at) AS last FROM responses r WHERE {_COUNTED}",
            (survey_id,),
        )
        assert row is not None
        return Totals(int(row["started"]), int(row["completed"]), row["first"], row["last"])

    async def stored_versions(self, survey_id: str) -> list[str]:
        """Every survey version a consented response of ``survey_id`` is on, finished or not
        (one not yet consented takes the current version at consent)."""
        rows = await self.database.fetchall(
            "SELECT DISTINCT survey_version FROM responses WHERE survey_id = ? "
            "AND consented_at IS NOT NULL ORDER BY survey_version",
            (survey_id,),
        )
        return [row["survey_version"] for row in rows]

    async def survey_versions(self, survey_id: str) -> list[tuple[str, int]]:
        rows = await self.database.fetchall(
            f"SELECT r.survey_version AS version, COUNT(*) AS n FROM responses r WHERE {_COUNTED} "
            "GROUP BY r.survey_version ORDER BY r.survey_version",
            (survey_id,),
        )
        return [(row["version"], int(row["n"])) for row in rows]

    async def by_language(self, survey_id: str) -> dict[str, int]:
        """Respondents by the language they used the survey in."""
        rows = await self.database.fetchall(
            f"SELECT COALESCE(r.language, '') AS language, COUNT(*) AS n FROM responses r "
            f"WHERE {_COUNTED} GROUP BY 1",
            (survey_id,),
        )
        return {row["language"]: int(row["n"]) for row in rows}

    async def _holds_only(self, survey_id: str) -> bool:
        row = await self.database.fetchone(
            "SELECT NOT EXISTS (SELECT 1 FROM responses WHERE survey_id != ?) AS only", (survey_id,)
        )
        return bool(row and row["only"])

    async def answer_counts(self, survey_id: str, question_id: str | None = None) -> list[AnswerCount]:
        """Respondents per question and combination of options chosen."""
        only = " AND a.question_id = ?" if question_id else ""
        if await self._holds_only(survey_id):
            # Answers are stored only after consent, so when the database holds this survey
            # alone every answer counts, and the covering index answers without a join
            # (about ten times faster on 100,000 responses).
            sql = f"SELECT a.question_id, a.option_codes, a.skipped, COUNT(*) AS n FROM answers a WHERE 1{only} "  # noqa: E501
            parameters: tuple[str, ...] = (question_id,) if question_id else ()
        else:
            sql = (
                "SELECT a.question_id, a.option_codes, a.skipped, COUNT(*) AS n FROM answers a "
                f"JOIN responses r ON r.id = a.response_id WHERE {_COUNTED}{only} "
            )
            parameters = (survey_id, question_id) if question_id else (survey_id,)
        rows = await self.database.fetchall(
            sql + "GROUP BY a.question_id, a.option_codes, a.skipped", parameters
        )
        return [
            AnswerCount(row["question_id"], _split(row["option_codes"]), bool(row["skipped"]), int(row["n"]))
            for row in rows
        ]

    async def answer_counts_by(self, survey_id: str, question_id: str, grouping: str) -> list[AnswerCount]:
        """One question's counts per group: ``grouping`` is "language" or the id of a
        single-choice question (area, age). A respondent who skipped or did not reach the
        grouping question is in group ""."""
        parameters: tuple[str, ...]
        if grouping == "language":
            group_sql, join, parameters = "COALESCE(r.language, '')", "", (survey_id, question_id)
        else:
            group_sql = _GROUP_OF
            join = "LEFT JOIN answers g ON g.response_id = a.response_id AND g.question_id = ? "
            parameters = (grouping, survey_id, question_id)
        rows = await self.database.fetchall(
            f"SELECT {group_sql} AS grp, a.option_codes, a.skipped, COUNT(*) AS n FROM answers a "
            f"JOIN responses r ON r.id = a.response_id {join}WHERE {_COUNTED} AND a.question_id = ? "
            "GROUP BY 1, 2, 3",
            parameters,
        )
        return [
            AnswerCount(
                question_id,
                _split(row["option_codes"]),
                bool(row["skipped"]),
                int(row["n"]),
                row["grp"] or "",
            )
            for row in rows
        ]

    async def group_sizes(self, survey_id: str, grouping: str) -> dict[str, int]:
        """Respondents per group of a single-choice question; "" for skipped or not reached."""
        if await self._holds_only(survey_id):
            # As in answer_counts: the index alone, then those without an answer are the rest.
            rows = await self.database.fetchall(
                f"SELECT {_GROUP_OF} AS grp, COUNT(*) AS n FROM answers g WHERE g.question_id = ? GROUP BY 1",
                (grouping,),
            )
            sizes = {row["grp"]: int(row["n"]) for row in rows}
            missing = (await self.totals(survey_id)).started - sum(sizes.values())
            if missing:
                sizes[""] = sizes.get("", 0) + missing
            return sizes
        rows = await self.database.fetchall(
            f"SELECT {_GROUP_OF} AS grp, COUNT(*) AS n "
            "FROM responses r LEFT JOIN answers g ON g.response_id = r.id AND g.question_id = ? "
            f"WHERE {_COUNTED} GROUP BY 1",
            (grouping, survey_id),
        )
        return {(row["grp"] or ""): int(row["n"]) for row in rows}

    async def story_counts(self, survey_id: str) -> tuple[int, int]:
        """Written stories and voice notes."""
        row = await self.database.fetchone(
            "SELECT COUNT(s.text) AS written, COUNT(s.voice_file_id) AS voice FROM stories s "
            f"JOIN responses r ON r.id = s.response_id WHERE {_COUNTED}",
            (survey_id,),
        )
        assert row is not None
        return int(row["written"]), int(row["voice"])

    async def story_languages(self, survey_id: str) -> dict[str, int]:
        rows = await self.database.fetchall(
            "SELECT COALESCE(s.language, '') AS language, COUNT(*) AS n FROM stories s "
            f"JOIN responses r ON r.id = s.response_id WHERE {_COUNTED} AND s.text IS NOT NULL GROUP BY 1",
            (survey_id,),
        )
        return {row["language"]: int(row["n"]) for row in rows}

    async def theme_counts(self, survey_id: str) -> dict[str, int]:
        rows = await self.database.fetchall(
            "SELECT t.theme, COUNT(*) AS n FROM story_themes t JOIN responses r ON r.id = t.response_id "
            f"WHERE {_COUNTED} GROUP BY t.theme",
            (survey_id,),
        )
        return {row["theme"]: int(row["n"]) for row in rows}

    async def approved_quotes(
        self, survey_id: str, theme: str, *, limit: int, until: str | None = None
    ) -> list[tuple[str, str]]:
        """A theme's quotes that a person approved, as (approved text, language), in an order that
        is fixed but unrelated to when the stories were given. With ``until`` (ISO 8601, UTC),
        only from responses completed by then: those a release made then counts."""
        bound = " AND r.completed_at <= ?" if until else ""
        rows = await self.database.fetchall(
            "SELECT q.text, COALESCE(s.language, '') AS language FROM story_themes t "
            "JOIN stories s ON s.response_id = t.response_id JOIN responses r ON r.id = t.response_id "
            "JOIN quote_reviews q ON q.response_id = t.response_id "
            f"WHERE {_COUNTED} AND t.theme = ? AND q.status = 'approved'{bound} "
            "ORDER BY (t.response_id * 2654435761) % 4294967291 LIMIT ?",
            (survey_id, theme, until, limit) if until else (survey_id, theme, limit),
        )
        return [(row["text"], row["language"]) for row in rows]

    async def quotes_to_review(
        self,
        survey_id: str,
        *,
        limit: int,
        skip: Sequence[int] = (),
        min_length: int = 40,
        max_length: int = 400,
    ) -> list[QuoteCandidate]:
        """Stories that could be quoted and have no review yet, in the quotes' fixed order;
        ``skip`` leaves out stories the admin passed over for now."""
        rows = await self.database.fetchall(
            f"{_QUOTABLE_SELECT} AND NOT EXISTS (SELECT 1 FROM quote_reviews q "
            "WHERE q.response_id = s.response_id) "
            "AND s.response_id NOT IN (SELECT value FROM json_each(?)) "
            "ORDER BY (s.response_id * 2654435761) % 4294967291 LIMIT ?",
            (survey_id, min_length, max_length, json.dumps(list(skip)), limit),
        )
        return [_quote_candidate(row) for row in rows]

    async def quote_candidate(
        self, survey_id: str, response_id: int, *, min_length: int = 40, max_length: int = 400
    ) -> QuoteCandidate | None:
        """One story that could be quoted, reviewed or not; None if it cannot be quoted."""
        row = await self.database.fetchone(
            f"{_QUOTABLE_SELECT} AND s.response_id = ?", (survey_id, min_length, max_length, response_id)
        )
        return _quote_candidate(row) if row else None

    async def review_quote(
        self, response_id: int, *, text: str | None, actor: str, now: str, action: str, detail: str
    ) -> None:
        async with self.database.transaction() as connection:
            await connection.execute(
                "INSERT INTO quote_reviews (response_id, status, text, reviewed_at, actor) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (response_id) DO UPDATE SET "
                "status = excluded.status, text = excluded.text, reviewed_at = excluded.reviewed_at, "
                "actor = excluded.actor",
                (response_id, "rejected" if text is None else "approved", text, now, actor),
            )
            await connection.execute(
                "INSERT INTO admin_audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
                (now, actor, action, detail),
            )

    async def quote_review_counts(
        self, survey_id: str, *, min_length: int = 40, max_length: int = 400
    ) -> tuple[int, int, int]:
        row = await self.database.fetchone(
            "SELECT COUNT(CASE WHEN q.status = 'approved' THEN 1 END) AS approved, "
            "COUNT(CASE WHEN q.status = 'rejected' THEN 1 END) AS rejected, "
            "COUNT(CASE WHEN q.status IS NULL THEN 1 END) AS waiting "
            "FROM stories s JOIN responses r ON r.id = s.response_id "
            "LEFT JOIN quote_reviews q ON q.response_id = s.response_id "
            f"WHERE {_QUOTABLE}",
            (survey_id, min_length, max_length),
        )
        assert row is not None
        return int(row["approved"]), int(row["rejected"]), int(row["waiting"])

    async def stories_to_tag(self, version: str, *, limit: int) -> list[tuple[int, str, str | None]]:
        """Written stories whose themes were found by other keyword lists than ``version``."""
        rows = await self.database.fetchall(
            "SELECT response_id, text, language FROM stories WHERE text IS NOT NULL "
            "AND (themes_version IS NULL OR themes_version != ?) LIMIT ?",
            (version, limit),
        )
        return [(row["response_id"], row["text"], row["language"]) for row in rows]

    async def set_story_themes(self, tagged: Sequence[tuple[int, Sequence[str]]], version: str) -> None:
        async with self.database.transaction() as connection:
            ids = [(response_id,) for response_id, _ in tagged]
            await connection.executemany("DELETE FROM story_themes WHERE response_id = ?", ids)
            await connection.executemany(
                "INSERT INTO story_themes (response_id, theme) VALUES (?, ?)",
                [(response_id, theme) for response_id, themes in tagged for theme in themes],
            )
            await connection.executemany(
                "UPDATE stories SET themes_version = ? WHERE response_id = ?",
                [(version, response_id) for response_id, _ in tagged],
            )

    async def record_admin_action(self, actor: str, action: str, detail: str, now: str) -> None:
        await self.database.execute(
            "INSERT INTO admin_audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            (now, actor, action, detail),
        )

    async def release_rows(
        self, survey_id: str, *, until: str | None = None, version: str | None = None
    ) -> list[ReleaseRow]:
        """Every consented response of the survey (of one ``version``, if given), for counting a
        release; with ``until``, only those consented at or before that moment (ISO 8601, UTC)."""
        bound = (" AND r.consented_at <= ?" if until else "") + (
            " AND r.survey_version = ?" if version else ""
        )
        parameters: tuple[str, ...] = (
            survey_id,
            *((until,) if until else ()),
            *((version,) if version else ()),
        )
        # Completed by then: a response finished a moment later waits for the next release.
        completed = "COALESCE(r.completed_at <= ?, 0)" if until else "r.completed_at IS NOT NULL"
        responses = await self.database.fetchall(
            f"SELECT r.id, r.language, r.survey_version, {completed} AS completed, "
            "s.text IS NOT NULL AS written, s.voice_file_id IS NOT NULL AS voice, "
            "(SELECT group_concat(t.theme, ';') FROM story_themes t WHERE t.response_id = r.id) AS themes "
            "FROM responses r LEFT JOIN stories s ON s.response_id = r.id "
            f"WHERE {_COUNTED}{bound} ORDER BY r.id",
            (until, *parameters) if until else parameters,
        )
        answers: dict[int, dict[str, tuple[str, ...] | None]] = {}
        for row in await self.database.fetchall(
            "SELECT a.response_id, a.question_id, a.option_codes, a.skipped FROM answers a "
            f"JOIN responses r ON r.id = a.response_id WHERE {_COUNTED}{bound}",
            parameters,
        ):
            answers.setdefault(row["response_id"], {})[row["question_id"]] = (
                None if row["skipped"] else _split(row["option_codes"])
            )
        return [
            ReleaseRow(
                language=row["language"],
                completed=bool(row["completed"]),
                survey_version=row["survey_version"],
                answers=answers.get(row["id"], {}),
                written_story=bool(row["written"]),
                voice_story=bool(row["voice"]),
                themes=tuple(sorted(_split(row["themes"] or ""))) if row["written"] else (),
            )
            for row in responses
        ]

    async def completed_count(self, survey_id: str, version: str | None = None) -> int:
        only = " AND r.survey_version = ?" if version else ""
        row = await self.database.fetchone(
            f"SELECT COUNT(r.completed_at) AS n FROM responses r WHERE {_COUNTED}{only}",
            (survey_id, version) if version else (survey_id,),
        )
        return int(row["n"]) if row else 0

    async def save_release(self, survey_id: str, release: StoredRelease, version: str) -> None:
        await self.database.execute(
            "INSERT INTO releases (survey_id, survey_version, made_at, completed, public, small) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (survey_id, version, release.made_at, release.completed, release.public, release.small),
        )

    async def latest_release(self, survey_id: str, version: str) -> StoredRelease | None:
        row = await self.database.fetchone(
            "SELECT made_at, completed, public, small FROM releases "
            "WHERE survey_id = ? AND survey_version = ? ORDER BY id DESC LIMIT 1",
            (survey_id, version),
        )
        if row is None:
            return None
        return StoredRelease(row["made_at"], int(row["completed"]), row["public"], row["small"])

    async def get_meta(self, key: str) -> str | None:
        row = await self.database.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.database.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def meta_or_set(self, key: str, value: str) -> str:
        async with self.database.transaction() as connection:
            await connection.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value)
            )
            cursor = await connection.execute("SELECT value FROM meta WHERE key = ?", (key,))
            row = await cursor.fetchone()
        assert row is not None
        return str(row[0])


async def import_responses(
    database: Database, responses: Sequence[NewResponse], themes_version: str | None
) -> None:
    """Write many responses in one transaction: all of them or, after a failure, none.
    Ids are given here so that each table takes one statement for the whole batch."""
    async with database.transaction() as connection:
        cursor = await connection.execute("SELECT COALESCE(MAX(id), 0) FROM responses")
        row = await cursor.fetchone()
        first_id = int(row[0]) + 1 if row else 1
        ids = range(first_id, first_id + len(responses))
        await connection.executemany(
            "INSERT INTO responses (id, respondent, survey_id, survey_version, language, stage, "
            "consent_version, consented_at, started_at, updated_at, completed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    response_id,
                    r.respondent,
                    r.survey_id,
                    r.survey_version,
                    r.language,
                    Stage.DONE if r.completed_at else Stage.QUESTIONS,
                    r.consent_version,
                    r.started_at,
                    r.started_at,
                    r.completed_at or r.started_at,
                    r.completed_at,
                )
                for response_id, r in zip(ids, responses, strict=True)
            ],
        )
        await connection.executemany(
            "INSERT INTO answers (response_id, question_id, option_codes, skipped, survey_version, "
            "answered_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (response_id, question, _join(codes), int(skipped), r.survey_version, r.started_at)
                for response_id, r in zip(ids, responses, strict=True)
                for question, codes, skipped in r.answers
            ],
        )
        told = [(response_id, r) for response_id, r in zip(ids, responses, strict=True) if r.story]
        await connection.executemany(
            "INSERT INTO stories (response_id, text, language, created_at, themes_version) "
            "VALUES (?, ?, ?, ?, ?)",
            [(response_id, *r.story, r.started_at, themes_version) for response_id, r in told if r.story],
        )
        await connection.executemany(
            "INSERT INTO story_themes (response_id, theme) VALUES (?, ?)",
            [(response_id, theme) for response_id, r in told for theme in r.story_themes],
        )
