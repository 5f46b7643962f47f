"""The survey as data: question ids, kinds, option codes and order, validated at start-up.

Wording is not here: every question and option is looked up in the locale catalogues
under ``q.<question>`` and ``q.<question>.<option>``, so the definition stays
language-neutral and callback data can carry its codes directly.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.config import MUNICIPALITY_TIME

DEFAULT_SURVEY_FILE = Path(__file__).with_name("definitions") / "service-office-2026.2.toml"

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


class Condition(BaseModel):
    """Show a question only to residents whose answer to an earlier question is one of
    ``any_of``. A resident who skipped that question sees it: not knowing is no reason to
    leave someone out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(pattern=CODE_PATTERN)
    any_of: tuple[str, ...] = Field(min_length=1)


# What a resident has given so far: per question answered, the codes chosen (empty if skipped).
Given = Mapping[str, Sequence[str]]


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=CODE_PATTERN)
    kind: QuestionKind
    options: tuple[Option, ...] = ()
    # Options are laid out this many to a row (long labels read better one per row).
    columns: int = Field(default=1, ge=1, le=3)
    show_if: Condition | None = None

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
    # Whose argument the figure answers, for the report's table of claims: the municipality's
    # case against the move, or the agencies' stated reasons for it. None: background only.
    side: Literal["municipality", "agencies"] | None = None


class Period(StrEnum):
    """Where a moment falls in the survey's period."""

    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"


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
    # Definition files (beside this one) of the versions residents may still be answering and
    # whose answers are still reported.
    earlier_versions: tuple[str, ...] = ()
    # When residents may answer, with a UTC offset (2027-01-10T08:00:00+01:00); unset, the
    # survey is always open. A closing names the day the municipality's answer is due and where
    # results will be published, which residents are told after it.
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    answer_due: date | None = None
    results_link: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _check_period(self) -> Survey:
        for name, moment in (("opens_at", self.opens_at), ("closes_at", self.closes_at)):
            if moment is None:
                continue
            if moment.utcoffset() is None:
                raise ValueError(f"{name} needs a UTC offset, e.g. 2027-01-10T08:00:00+01:00")
            # An offset that is not Swedish time on that day (+01:00 in summer) would open or
            # close an hour from what the owner meant, and show residents another day.
            local = moment.astimezone(MUNICIPALITY_TIME)
            if local.utcoffset() != moment.utcoffset():
                raise ValueError(f"{name}: Swedish time on that day is {local.isoformat()}")
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValueError("opens_at must come before closes_at")
        if self.closes_at:
            if self.answer_due is None or self.results_link is None:
                raise ValueError("closes_at needs answer_due and results_link, which residents are told")
            if self.answer_due < self.last_day():
                raise ValueError("answer_due must not come before the survey closes")
            if not self.results_link.startswith("https://"):
                raise ValueError("results_link must be an https:// address")
        return self

    def first_day(self) -> date:
        """The day residents can start answering, in Swedish time."""
        assert self.opens_at is not None
        return self.opens_at.astimezone(MUNICIPALITY_TIME).date()

    def last_day(self) -> date:
        """The last day residents can answer, in Swedish time (a closing at midnight ends the
        day before)."""
        assert self.closes_at is not None
        return (self.closes_at.astimezone(MUNICIPALITY_TIME) - timedelta(microseconds=1)).date()

    def period(self, now: datetime) -> Period:
        if self.opens_at is not None and now < self.opens_at:
            return Period.NOT_OPEN
        if self.closes_at is not None and now >= self.closes_at:
            return Period.CLOSED
        return Period.OPEN

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
            if question.show_if is not None:
                raise ValueError(f"grouping {grouping!r} must be asked of everyone")
        if self.questions[0].show_if is not None:
            raise ValueError(f"question {ids[0]!r}: the first question is asked of everyone")
        for index, question in enumerate(self.questions):
            condition = question.show_if
            if condition is None:
                continue
            earlier = {q.id: q for q in self.questions[:index]}
            source = earlier.get(condition.question)
            if source is None:
                where = "a later question" if condition.question in ids else "no question"
                raise ValueError(
                    f"question {question.id!r}: show_if refers to {where} {condition.question!r}"
                )
            # The release's protection relies on "not asked" being exactly the respondents whose
            # one answer to an unrouted question is outside ``any_of``.
            if source.kind is not QuestionKind.SINGLE or source.show_if is not None:
                raise ValueError(
                    f"question {question.id!r}: show_if needs a single-choice question asked of everyone"
                )
            unknown = set(condition.any_of) - set(source.option_codes)
            if unknown:
                names = ", ".join(sorted(unknown))
                raise ValueError(f"question {question.id!r}: show_if names unknown options {names}")
        return self

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def first_question(self) -> Question:
        return self.questions[0]

    @property
    def routed(self) -> bool:
        """Whether any question depends on earlier answers."""
        return any(q.show_if is not None for q in self.questions)

    def shown(self, question: Question, given: Given) -> bool:
        """Whether ``question`` is asked, given the answers so far. A question whose condition
        cannot be decided yet (its source not answered, or skipped) is asked."""
        condition = question.show_if
        if condition is None:
            return True
        source = self.question(condition.question)
        if source is None or not self.shown(source, given):
            return False
        codes = given.get(condition.question)
        if not codes:
            return True
        return any(code in condition.any_of for code in codes)

    def next_question(self, question_id: str, given: Given | None = None) -> Question | None:
        """The question after ``question_id`` that these answers lead to, if any."""
        ids = [q.id for q in self.questions]
        for question in self.questions[ids.index(question_id) + 1 :]:
            if given is None or self.shown(question, given):
                return question
        return None

    def asked(self, given: Given) -> tuple[Question, ...]:
        """The questions these answers lead to (those not yet decided included)."""
        return tuple(q for q in self.questions if self.shown(q, given))

    def position(self, question_id: str, given: Given | None = None) -> tuple[int, int]:
        """1-based position and number of questions, shown to residents as "question 3 of 12";
        with routing, both count only the questions these answers lead to."""
        asked = self.questions if given is None else self.asked(given)
        ids = [q.id for q in asked]
        return (ids.index(question_id) + 1 if question_id in ids else len(ids)), len(ids)

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


@dataclass(frozen=True, slots=True)
class SurveyVersions:
    """The current version of a survey, which new residents get, and the earlier ones that
    residents may still be finishing and whose answers are still reported."""

    current: Survey
    earlier: tuple[Survey, ...] = ()

    def get(self, version: str) -> Survey | None:
        return next((survey for survey in self.all if survey.version == version), None)

    @property
    def all(self) -> tuple[Survey, ...]:
        return (self.current, *self.earlier)


def load_surveys(path: Path | None = None) -> SurveyVersions:
    """The survey in ``path`` and the earlier versions it names, checked to be the same survey."""
    path = path or DEFAULT_SURVEY_FILE
    current = load_survey(path)
    earlier: list[Survey] = []
    for name in current.earlier_versions:
        survey = load_survey(path.parent / name)
        if survey.id != current.id:
            raise SurveyError(f"earlier version {name} is of survey {survey.id!r}, not {current.id!r}")
        if survey.version == current.version or any(e.version == survey.version for e in earlier):
            raise SurveyError(f"earlier version {name} repeats version {survey.version}")
        earlier.append(survey)
    return SurveyVersions(current, tuple(earlier))


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
