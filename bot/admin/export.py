"""Pseudonymised export of the responses, written on the server by ``python -m bot export``.

One row per consented response, one column per question. Rows carry a running number instead of
the resident's pseudonym, but they are still personal data: a rare combination of answers, or a
story, can point to a person. So dates are cut to the day, and the stories go to a file of their
own, joined to the answers by the same running number: the answers can then be shared with more
people than the stories. The file never goes through a chat service.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Literal

from bot.privacy.text import clean_text
from bot.report.evidence import MUNICIPALITY_TIME
from bot.survey.definition import QuestionKind, Survey, SurveyVersions
from storage.interface import ResponseStore
from storage.models import ExportRow, Story

ExportFormat = Literal["csv", "jsonl"]
Record = dict[str, object]

CODE_JOINER = ";"
# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and carriage
# return, may shift it into one): a story such as =HYPERLINK(...) would run in the admin's Excel.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
STORY_COLUMNS = ["response", "story_language", "story_text", "story_voice_seconds"]


def spreadsheet_safe(value: object) -> object:
    """A text cell without control characters (terminal escapes in a story stored before they
    were removed on the way in), and with a leading apostrophe if a spreadsheet would take it as
    a formula, which Excel and LibreOffice show as plain text. Numbers pass unchanged."""
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    return "'" + value if value.lstrip(" ").startswith(FORMULA_STARTS) else value


def municipal_day(stamp: str | None) -> str:
    """The calendar day in Botkyrka of a stored UTC time. A time to the second could be matched
    against who was seen at the office or online when; the day is enough for any analysis."""
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(MUNICIPALITY_TIME).date().isoformat()


# A question the resident was not asked: routed past, or not in the version they answered.
NOT_ASKED = "not_asked"


def _versions(survey: Survey | SurveyVersions) -> SurveyVersions:
    return survey if isinstance(survey, SurveyVersions) else SurveyVersions(survey)


def columns(survey: Survey | SurveyVersions) -> list[str]:
    """The answers file's columns: no story text and no story language, only whether there is
    one. The questions of every version, the current version's first."""
    head = [
        "response",
        "survey_id",
        "survey_version",
        "language",
        "state",
        "consent_version",
        "started_on",
        "consented_on",
        "completed_on",
    ]
    questions = dict.fromkeys(
        q.id
        for version in _versions(survey).all
        for q in version.questions
        if q.kind is not QuestionKind.FREE_TEXT
    )
    return [*head, *questions, "story"]


def _story_kind(story: Story | None) -> str:
    if story is None:
        return ""
    if story.text:
        return "text"
    return "voice" if story.voice_file_id else ""


def _answers_record(versions: SurveyVersions, row: ExportRow, number: int) -> Record:
    response = row.response
    survey = versions.get(response.survey_version) or versions.current
    given = {question: answer.option_codes for question, answer in row.answers.items()}
    record: Record = {
        # A running number, not the database id, so exports reveal nothing about start order
        # across deletions and cannot be joined to other tables.
        "response": number,
        "survey_id": response.survey_id,
        "survey_version": response.survey_version,
        "language": response.language or "",
        "state": "completed" if response.completed_at else "started",
        "consent_version": response.consent_version or "",
        "started_on": municipal_day(response.started_at),
        "consented_on": municipal_day(response.consented_at),
        "completed_on": municipal_day(response.completed_at),
    }
    for name in columns(versions)[len(record) : -1]:
        question = survey.question(name)
        answer = row.answers.get(name)
        if answer is None and (question is None or not survey.shown(question, given)):
            record[name] = NOT_ASKED
        elif answer is None:
            # Not reached yet (the response is not completed).
            record[name] = ""
        elif answer.skipped:
            record[name] = "skipped"
        else:
            record[name] = CODE_JOINER.join(answer.option_codes)
    record["story"] = _story_kind(row.story)
    return record


def _story_record(story: Story, number: int) -> Record:
    return {
        "response": number,
        "story_language": story.language or "",
        "story_text": story.text or "",
        "story_voice_seconds": story.voice_duration if story.voice_file_id else "",
    }


async def _rows(repository: ResponseStore, survey: Survey) -> AsyncIterator[tuple[int, ExportRow]]:
    """Consented responses only, numbered 1, 2, ...: before agreement nothing counts as an answer."""
    number = 0
    async for row in repository.export_rows(survey.id):
        if row.response.consented_at is None:
            continue
        number += 1
        yield number, row


def _writer(out: IO[str], fmt: ExportFormat, fieldnames: list[str], *, bom: bool) -> Callable[[Record], None]:
    if fmt == "jsonl":

        def write_line(record: Record) -> None:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")

        return write_line
    if bom:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=fieldnames, lineterminator="\r\n")
    writer.writeheader()

    def write_row(record: Record) -> None:
        writer.writerow({column: spreadsheet_safe(value) for column, value in record.items()})

    return write_row


@dataclass(frozen=True)
class Exported:
    responses: int
    stories: int  # written to the stories file; 0 without one


async def write_export(
    repository: ResponseStore,
    survey: Survey | SurveyVersions,
    answers: IO[str],
    *,
    stories: IO[str] | None = None,
    fmt: ExportFormat = "csv",
    bom: bool = False,
) -> Exported:
    """The answers to ``answers`` and, only if ``stories`` is given, each text story or voice
    note to it under the same running number. Every CSV cell passes through spreadsheet_safe."""
    versions = _versions(survey)
    write_answers = _writer(answers, fmt, columns(versions), bom=bom)
    write_story = _writer(stories, fmt, STORY_COLUMNS, bom=bom) if stories is not None else None
    responses = told = 0
    async for number, row in _rows(repository, versions.current):
        write_answers(_answers_record(versions, row, number))
        responses += 1
        if write_story is not None and row.story is not None and _story_kind(row.story):
            write_story(_story_record(row.story, number))
            told += 1
    return Exported(responses, told)


async def export_texts(
    repository: ResponseStore, survey: Survey | SurveyVersions, fmt: ExportFormat
) -> tuple[str, str]:
    """The answers file and the stories file, as text."""
    answers, stories = io.StringIO(), io.StringIO()
    await write_export(repository, survey, answers, stories=stories, fmt=fmt)
    return answers.getvalue(), stories.getvalue()


async def export_text(repository: ResponseStore, survey: Survey | SurveyVersions, fmt: ExportFormat) -> str:
    """The answers file alone, as text."""
    answers = io.StringIO()
    await write_export(repository, survey, answers, fmt=fmt)
    return answers.getvalue()
