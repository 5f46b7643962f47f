"""Plain records read from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Stage(StrEnum):
    """Where a resident is in the conversation; stored as text, so never renumbered."""

    LANGUAGE = "language"
    CONSENT = "consent"
    QUESTIONS = "questions"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Response:
    id: int
    survey_id: str
    survey_version: str
    language: str | None
    stage: Stage
    current_question: str | None
    # Choices ticked so far in a multiple-choice question that is not yet confirmed.
    pending_codes: tuple[str, ...]
    consent_version: str | None
    consented_at: str | None
    started_at: str
    updated_at: str
    completed_at: str | None


@dataclass(frozen=True, slots=True)
class Answer:
    question_id: str
    option_codes: tuple[str, ...]
    skipped: bool
    survey_version: str
    answered_at: str


@dataclass(frozen=True, slots=True)
class Story:
    text: str | None
    voice_file_id: str | None
    voice_duration: int | None
    language: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One response with everything but the respondent's pseudonym."""

    response: Response
    answers: dict[str, Answer]
    story: Story | None


@dataclass(frozen=True, slots=True)
class ResultNotice:
    """A resident's request for one message when the municipality has sent its answer."""

    chat_id: int
    language: str
    consent_version: str
    requested_on: str  # the day only (see ``notice_day``): no time that could match a log


def notice_day(timestamp: str) -> str:
    """The day of an ISO timestamp, as a result notice keeps its request date."""
    return datetime.fromisoformat(timestamp).date().isoformat()


@dataclass(frozen=True, slots=True)
class Totals:
    started: int
    completed: int
    first_consent: str | None
    last_consent: str | None


@dataclass(frozen=True, slots=True)
class AnswerCount:
    """How many respondents gave one combination of options (or skipped) to one question."""

    question_id: str
    option_codes: tuple[str, ...]
    skipped: bool
    respondents: int
    # The group the count belongs to when counts are broken down; None when they are not.
    group: str | None = None


@dataclass(frozen=True, slots=True)
class NewResponse:
    """A complete response written in one go (synthetic demo data)."""

    respondent: str
    survey_id: str
    survey_version: str
    consent_version: str
    language: str
    started_at: str
    completed_at: str | None
    # (question id, option codes, skipped)
    answers: tuple[tuple[str, tuple[str, ...], bool], ...]
    story: tuple[str, str] | None = None  # (text, language)
    story_themes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuoteCandidate:
    """A written story that may be quoted: its text as stored, language and themes."""

    response_id: int
    text: str
    language: str  # "" when not known
    themes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReleaseRow:
    """One consented response as a release counts it: no pseudonym, no text, no times."""

    language: str | None
    completed: bool
    # question id -> option codes chosen, or None for skipped
    answers: dict[str, tuple[str, ...] | None]
    written_story: bool
    voice_story: bool
    themes: tuple[str, ...]
    # The version answered ("" when unknown: counted as the current one).
    survey_version: str = ""


@dataclass(frozen=True, slots=True)
class StoredRelease:
    made_at: str
    completed: int
    public: str  # JSON
    small: str  # JSON
