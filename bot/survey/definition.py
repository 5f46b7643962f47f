"""The survey as data: question ids, kinds, option codes and order, validated at start-up.

Wording is not here: every question and option is looked up in the locale catalogues
under ``q.<question>`` and ``q.<question>.<option>``, so the definition stays
language-neutral and callback data can carry its codes directly.
"""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_SURVEY_FILE = Path(__file__).with_name("definitions") / "service-office-2026.toml"

# Codes travel in callback data (64 bytes at most) and in CSV headers: keep them short and plain.
CODE_PATTERN = r"^[a-z0-9_]{1,24}$"


class SurveyError(Exception):
    """The survey definition file is missing or invalid."""


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTI = "multi"
    FREE_TEXT = "free_text"


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    # A symbol shown before the label, to help residents who read little.
    symbol: str = ""
    # Choosing an exclusive option ("don't know", "none") clears the others in a multiple choice.
    exclusive: bool = False


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=CODE_PATTERN)
    kind: QuestionKind
    options: tuple[Option, ...] = ()
    # Options are laid out this many to a row (long labels read better one per row).
    columns: int = Field(default=1, ge=1, le=3)

    @model_validator(mode="after")
    def _check_options(self) -> Question:
        codes = [option.code for option in self.options]
        if self.kind is QuestionKind.FREE_TEXT:
            if codes:
                raise ValueError(f"question {self.id!r}: a free-text question has no options")
        elif len(codes) < 2:
            raise ValueError(f"question {self.id!r}: needs at least two options")
        if len(set(codes)) != len(codes):
            raise ValueError(f"question {self.id!r}: option codes must be unique")
        return self

    def option(self, code: str) -> Option | None:
        return next((option for option in self.options if option.code == code), None)

    @property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(option.code for option in self.options)


class Headline(BaseModel):
    """A share the needs analysis rests on: respondents who chose any of ``options``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=CODE_PATTERN)
    question: str = Field(pattern=CODE_PATTERN)
    options: tuple[str, ...] = Field(min_length=1)


class Survey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=CODE_PATTERN)
    version: str = Field(pattern=r"^[0-9A-Za-z._-]{1,16}$")
    # Bumped whenever the consent text changes materially; stored with each agreement.
    consent_version: str = Field(pattern=r"^[0-9A-Za-z._-]{1,16}$")
    questions: tuple[Question, ...]
    # Shown first to admins, in this order; their wording is in the admin catalogue.
    headlines: tuple[Headline, ...] = ()
    # Single-choice questions admins may break figures down by, besides the survey language.
    groupings: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check_questions(self) -> Survey:
        ids = [question.id for question in self.questions]
        if not ids:
            raise ValueError("the survey has no questions")
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        for headline in self.headlines:
            question = self.question(headline.question)
            if question is None or question.kind is QuestionKind.FREE_TEXT:
                raise ValueError(f"headline {headline.id!r}: no choice question {headline.question!r}")
            unknown = set(headline.options) - set(question.option_codes)
            if unknown:
                raise ValueError(f"headline {headline.id!r}: unknown options {', '.join(sorted(unknown))}")
        for grouping in self.groupings:
            question = self.question(grouping)
            if question is None or question.kind is not QuestionKind.SINGLE:
                raise ValueError(f"grouping {grouping!r} must be a single-choice question")
        return self

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def first_question(self) -> Question:
        return self.questions[0]

    def next_question(self, question_id: str) -> Question | None:
        ids = [q.id for q in self.questions]
        index = ids.index(question_id)
        return self.questions[index + 1] if index + 1 < len(ids) else None

    def position(self, question_id: str) -> int:
        """1-based position, shown to residents as "question 3 of 12"."""
        return [q.id for q in self.questions].index(question_id) + 1

    def choice_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind is not QuestionKind.FREE_TEXT)

    def catalogue_keys(self) -> list[str]:
        """Every catalogue key the survey needs, for checking catalogues against it."""
        keys = []
        for question in self.questions:
            keys.append(f"q.{question.id}")
            keys.append(f"recap.{question.id}")
            keys.extend(f"q.{question.id}.{option.code}" for option in question.options)
        return keys


def load_survey(path: Path | None = None) -> Survey:
    path = path or DEFAULT_SURVEY_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SurveyError(f"survey file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SurveyError(f"survey file {path} is not valid TOML: {exc}") from None
    try:
        return Survey.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "survey"
            lines.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
        raise SurveyError(f"survey file {path} is invalid: " + "; ".join(lines)) from None


def is_code(value: str) -> bool:
    return re.fullmatch(CODE_PATTERN, value) is not None
