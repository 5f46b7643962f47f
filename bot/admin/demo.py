"""Synthetic responses, so that staff can try the summaries and the report before real
answers exist. The database is marked synthetic and every report from it says so."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.report.evidence import SYNTHETIC_KEY
from bot.report.themes import ThemeTagger
from bot.survey.definition import Question, QuestionKind, Survey
from storage import Database, EvidenceQueries
from storage.models import NewResponse
from storage.repository import import_responses

STORIES_DIR = Path(__file__).with_name("demo_stories")
BATCH = 5000

# Rough shares of survey languages, for a plausible mix; not a claim about Botkyrka.
LANGUAGE_WEIGHTS = {
    "sv": 30, "sv-easy": 4, "ar": 14, "so": 8, "tr": 7, "fa": 5, "ti": 5, "en": 5, "fi": 4,
    "kmr": 3, "ckb": 2, "pl": 3, "es": 2, "hbs": 3, "ru": 2, "uk": 2, "am": 1,
}  # fmt: skip

# Weights per option where an even spread would look odd; other questions are spread evenly.
OPTION_WEIGHTS = {
    "frequency": [15, 30, 35, 12, 8],
    "on_behalf": [60, 15, 25],
    "waiting": [30, 35, 20, 8, 7],
    "online": [35, 35, 30],
    "transport": [20, 5, 55, 10, 5, 3, 2],
    "travel_time": [45, 35, 15, 5],
    "safety": [25, 40, 18, 7, 10],
    "if_moved": [20, 35, 15, 15, 10, 5],
    "area": [30, 18, 15, 5, 10, 5, 5, 7, 5],
    "age": [15, 40, 30, 15],
    "visits": [15, 20, 30, 15, 12, 8],
    "move_ease": [8, 10, 22, 25, 25, 10],
    "wait_time": [30, 30, 20, 10, 10],
    "crowding": [30, 40, 20, 10],
    "trade_off": [35, 40, 20, 5],
    "digital": [25, 30, 20, 20, 5],
    "trip_time": [45, 35, 12, 3, 5],
    "safety_day": [30, 40, 15, 5, 10],
    "safety_evening": [15, 30, 25, 15, 15],
    "district": [18, 10, 30, 12, 20, 4, 4, 2],
    "age_group": [12, 40, 30, 14, 4],
}
SKIP_RATE = 0.04
UNFINISHED_RATE = 0.1
STORY_RATE = 0.35


class NotSyntheticError(Exception):
    """The target database holds real responses: demo data must never be mixed in."""


def load_stories(directory: Path = STORIES_DIR) -> dict[str, list[str]]:
    stories = {}
    for path in sorted(directory.glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if lines:
            stories[path.stem] = lines
    return stories


def _answer(question: Question, rng: random.Random, language: str) -> tuple[tuple[str, ...], bool]:
    if rng.random() < SKIP_RATE:
        return (), True
    codes = question.option_codes
    if question.kind is QuestionKind.MULTI:
        plain = [option.code for option in question.options if not option.exclusive]
        if rng.random() < 0.05 and len(plain) < len(codes):
            return (next(o.code for o in question.options if o.exclusive),), False
        chosen = [code for code in plain if rng.random() < 0.3] or [rng.choice(plain)]
        return tuple(chosen), False
    weights = list(OPTION_WEIGHTS.get(question.id, [1] * len(codes)))
    if question.id == "language_help":
        # Residents answering in another language than Swedish more often need help.
        weights = [15, 20, 65] if language in ("sv", "en") else [55, 25, 20]
    if question.id == "language_need":
        weights = [5, 15, 75, 5] if language in ("sv", "en") else [35, 35, 25, 5]
    return (rng.choices(codes, weights=weights[: len(codes)])[0],), False


def generate(
    survey: Survey, count: int, tagger: ThemeTagger, *, seed: int = 2026, now: datetime | None = None
) -> list[NewResponse]:
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    stories = load_stories()
    tags: dict[tuple[str, str], tuple[str, ...]] = {}
    languages = [code for code, weight in LANGUAGE_WEIGHTS.items() if weight]
    weights = [LANGUAGE_WEIGHTS[code] for code in languages]
    questions = survey.choice_questions()
    responses = []
    for number in range(count):
        language = rng.choices(languages, weights=weights)[0]
        started = now - timedelta(days=rng.uniform(0, 30))
        finished = rng.random() >= UNFINISHED_RATE
        reached = len(questions) if finished else rng.randint(1, len(questions) - 1)
        given: dict[str, tuple[str, ...]] = {}
        answers = []
        # Questions the answers route past are not asked, and not answered.
        for question in questions[:reached]:
            if survey.shown(question, given):
                codes, skipped = _answer(question, rng, language)
                given[question.id] = codes
                answers.append((question.id, codes, skipped))
        story = None
        story_themes: tuple[str, ...] = ()
        story_language = "sv" if language == "sv-easy" else language
        if finished and story_language in stories and rng.random() < STORY_RATE:
            text = rng.choice(stories[story_language])
            key = (text, story_language)
            if key not in tags:
                tags[key] = tagger.tag(text, story_language)
            story, story_themes = key, tags[key]
        stamp = started.isoformat(timespec="seconds")
        responses.append(
            NewResponse(
                respondent=f"synthetic-{seed}-{number}",
                survey_id=survey.id,
                survey_version=survey.version,
                consent_version=survey.consent_version,
                language=language,
                started_at=stamp,
                completed_at=(started + timedelta(minutes=4)).isoformat(timespec="seconds")
                if finished
                else None,
                answers=tuple(answers),
                story=story,
                story_themes=story_themes,
            )
        )
    return responses


async def fill(
    database: Database, survey: Survey, count: int, tagger: ThemeTagger, *, seed: int = 2026
) -> int:
    """Add ``count`` synthetic responses; refuses a database that holds real ones."""
    await database.migrate()
    queries = EvidenceQueries(database)
    totals = await queries.totals(survey.id)
    if totals.started and await queries.get_meta(SYNTHETIC_KEY) != "1":
        raise NotSyntheticError(
            f"the database already holds {totals.started} real responses; use a separate --database file"
        )
    await queries.set_meta(SYNTHETIC_KEY, "1")
    responses: Sequence[NewResponse] = generate(survey, count, tagger, seed=seed + totals.started)
    for start in range(0, len(responses), BATCH):
        await import_responses(database, responses[start : start + BATCH], tagger.version)
    return len(responses)
