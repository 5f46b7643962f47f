"""Anonymised export of all responses: one row per response, one column per question."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import IO

from bot.privacy.text import clean_text
from bot.survey.definition import QuestionKind, Survey
from storage.interface import ResponseStore
from storage.models import ExportRow

CODE_JOINER = ";"
# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and carriage
# return, may shift it into one): a story such as =HYPERLINK(...) would run in the admin's Excel.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value: object) -> object:
    """A text cell without control characters (terminal escapes in a story stored before they
    were removed on the way in), and with a leading apostrophe if a spreadsheet would take it as
    a formula, which Excel and LibreOffice show as plain text. Numbers pass unchanged."""
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    return "'" + value if value.lstrip(" ").startswith(FORMULA_STARTS) else value


def columns(survey: Survey) -> list[str]:
    head = [
        "response",
        "survey_id",
        "survey_version",
        "language",
        "state",
        "consent_version",
        "started_at",
        "consented_at",
        "completed_at",
    ]
    questions = [q.id for q in survey.questions if q.kind is not QuestionKind.FREE_TEXT]
    story = ["story_text", "story_language", "story_voice_seconds"]
    return head + questions + story


def _record(survey: Survey, row: ExportRow, number: int) -> dict[str, object]:
    response = row.response
    record: dict[str, object] = {
        # A running number, not the database id, so exports reveal nothing about start order
        # across deletions and cannot be joined to other tables.
        "response": number,
        "survey_id": response.survey_id,
        "survey_version": response.survey_version,
        "language": response.language or "",
        "state": "completed" if response.completed_at else "started",
        "consent_version": response.consent_version or "",
        "started_at": response.started_at,
        "consented_at": response.consented_at or "",
        "completed_at": response.completed_at or "",
    }
    for question in survey.questions:
        if question.kind is QuestionKind.FREE_TEXT:
            continue
        answer = row.answers.get(question.id)
        if answer is None:
            record[question.id] = ""
        elif answer.skipped:
            record[question.id] = "skipped"
        else:
            record[question.id] = CODE_JOINER.join(answer.option_codes)
    story = row.story
    record["story_text"] = (story.text or "") if story else ""
    record["story_language"] = (story.language or "") if story else ""
    record["story_voice_seconds"] = story.voice_duration if story and story.voice_file_id else ""
    return record


async def records(repository: ResponseStore, survey: Survey) -> AsyncIterator[dict[str, object]]:
    """Consented responses only: before agreement nothing counts as an answer."""
    number = 0
    async for row in repository.export_rows(survey.id):
        if row.response.consented_at is None:
            continue
        number += 1
        yield _record(survey, row, number)


async def write_csv(repository: ResponseStore, survey: Survey, out: IO[str], *, bom: bool = False) -> int:
    if bom:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=columns(survey), lineterminator="\r\n")
    writer.writeheader()
    count = 0
    async for record in records(repository, survey):
        writer.writerow({column: spreadsheet_safe(value) for column, value in record.items()})
        count += 1
    return count


async def write_jsonl(repository: ResponseStore, survey: Survey, out: IO[str]) -> int:
    count = 0
    async for record in records(repository, survey):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


async def export_text(repository: ResponseStore, survey: Survey, fmt: str) -> str:
    buffer = io.StringIO()
    if fmt == "csv":
        await write_csv(repository, survey, buffer)
    else:
        await write_jsonl(repository, survey, buffer)
    return buffer.getvalue()
