"""Making and reading the protected release that every admin output draws on."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from bot.config import MUNICIPALITY_TIME
from bot.release.model import Release
from bot.release.protection import Status, protect
from bot.release.tables import COMPLETED, LANGUAGE, NOT_ASKED, Dimension, Record, count, layout
from bot.survey.definition import Survey, SurveyVersions
from storage.interface import EvidenceSource
from storage.models import ReleaseRow, StoredRelease

log = logging.getLogger(__name__)

SYNTHETIC_KEY = "synthetic"
STORY = "story"
THEMES = "themes"
# Between releases, the counts of started and completed responses are rounded to this, so
# that their difference is never a small count and the next resident cannot be told apart.
ROUND_TO = 10


def rounded(value: int) -> int:
    """To the nearest ten, halves up (as 25 is read: about 30)."""
    return (value + ROUND_TO // 2) // ROUND_TO * ROUND_TO


class NotEnoughNew(Exception):
    """Too few responses were completed since the last release for another."""

    def __init__(self, new: int, needed: int) -> None:
        super().__init__(f"{new} responses completed since the last release; {needed} needed")
        self.new = new
        self.needed = needed


def story_dimensions(themes: Sequence[str]) -> tuple[Dimension, ...]:
    """How stories enter a release: whether one was written or spoken (no answer: none), and
    the themes found in a written one (no answer: no written story)."""
    return (
        Dimension(STORY, True, ("written", "voice")),
        Dimension(THEMES, True, tuple(themes), at_least_one=False),
    )


def to_record(row: ReleaseRow, survey: Survey | None = None) -> Record:
    values: dict[str, frozenset[str] | None] = {
        COMPLETED: frozenset(("yes" if row.completed else "no",)),
        LANGUAGE: frozenset((row.language,)) if row.language else None,
    }
    for question_id, codes in row.answers.items():
        values[question_id] = frozenset(codes) if codes else None
    if survey is not None and survey.routed:
        # A question the resident's answers routed them past is its own category, so that
        # its base can leave them out. The rule decides, not what is stored: an answer kept
        # from before a changed answer routed past it is not counted (the protection relies
        # on "not asked" being exactly what the rule says).
        given = {question: codes or () for question, codes in row.answers.items()}
        for question in survey.choice_questions():
            if not survey.shown(question, given):
                values[question.id] = frozenset((NOT_ASKED,))
    kinds = {"written"} if row.written_story else set()
    if row.voice_story:
        kinds.add("voice")
    values[STORY] = frozenset(kinds) or None
    values[THEMES] = frozenset(row.themes) if row.written_story else None
    return Record(values)


def compute(
    survey: Survey,
    rows: Sequence[ReleaseRow],
    themes: Sequence[str],
    *,
    made_at: datetime,
    synthetic: bool,
    period: tuple[str | None, str | None],
    previous: Release | None = None,
) -> Release:
    """The protected release of ``rows`` (CPU-bound: call it in a thread)."""
    records = [to_record(row, survey) for row in rows]
    tables = layout(survey, records, story_dimensions(themes))
    counts = count(tables, records)
    decision = protect(tables, counts, previous=previous.previous() if previous else None)
    log.info(
        "release: %d cells, %d audit rounds, %d small cells attacked",
        len(decision.status),
        decision.rounds,
        decision.attacked,
    )
    return Release(
        survey=survey.id,
        survey_version=survey.version,
        made_at=made_at.astimezone(MUNICIPALITY_TIME).isoformat(timespec="seconds"),
        synthetic=synthetic,
        period=period,
        dimensions=tables.dimensions,
        tables=tables.tables,
        status=decision.status,
        shown={cell: counts[cell] for cell, status in decision.status.items() if status is Status.SHOWN},
        completed=sum(1 for row in rows if row.completed),
        small={cell: counts[cell] for cell, status in decision.status.items() if status is Status.SMALL},
    )


def counted_until(made_at: datetime | str) -> str:
    """The last moment (ISO 8601, UTC) a release made at ``made_at`` counts: the second before,
    so that nothing stored while it was being made can carry a time it covers."""
    moment = datetime.fromisoformat(made_at) if isinstance(made_at, str) else made_at
    moment = moment.replace(microsecond=0) - timedelta(seconds=1)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _local_day(iso: str | None) -> str | None:
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(MUNICIPALITY_TIME).strftime("%Y-%m-%d")


class ReleaseService:
    def __init__(
        self,
        queries: EvidenceSource,
        survey: Survey | SurveyVersions,
        themes: Sequence[str],
        *,
        min_new: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.queries = queries
        self.versions = survey if isinstance(survey, SurveyVersions) else SurveyVersions(survey)
        self.survey = self.versions.current
        self.themes = tuple(themes)
        self.min_new = min_new
        self._clock = clock
        self._lock = asyncio.Lock()

    async def latest(self, version: str | None = None) -> Release | None:
        """The latest release of ``version`` (the current one by default)."""
        stored = await self.queries.latest_release(self.survey.id, version or self.survey.version)
        if stored is None:
            return None
        return Release.from_json(json.loads(stored.public), json.loads(stored.small), stored.completed)

    async def progress(self) -> tuple[int, int]:
        """Started and completed responses, rounded (what staff see between releases)."""
        totals = await self.queries.totals(self.survey.id)
        return rounded(totals.started), rounded(totals.completed)

    async def new_since_last(self, version: str | None = None) -> int:
        version = version or self.survey.version
        stored = await self.queries.latest_release(self.survey.id, version)
        completed = await self.queries.completed_count(self.survey.id, version)
        return completed - (stored.completed if stored else 0)

    async def make(self, version: str | None = None) -> Release:
        """A new release of ``version`` (the current one by default), if enough responses to it
        were completed since its last; else ``NotEnoughNew``. One at a time: a second call
        waits for the first. Each version has releases of its own: they ask different
        questions of different residents, and are protected apart."""
        survey = self.versions.get(version) if version else self.survey
        if survey is None:
            raise ValueError(f"unknown survey version {version!r}")
        async with self._lock:
            new = await self.new_since_last(survey.version)
            if new < self.min_new:
                raise NotEnoughNew(new, self.min_new)
            previous = await self.latest(survey.version)
            # Made at the start of the next second, counting everything stored up to then: a
            # response stored while it is being made carries a later time and waits.
            now = self._clock()
            await asyncio.sleep(1 - now.microsecond / 1_000_000)
            made_at = now.replace(microsecond=0) + timedelta(seconds=1)
            until = counted_until(made_at)
            rows = await self.queries.release_rows(self.survey.id, until=until, version=survey.version)
            totals = await self.queries.totals(self.survey.id)
            synthetic = await self.queries.get_meta(SYNTHETIC_KEY) == "1"
            # Minutes of CPU for a large survey: off the event loop, so residents are answered.
            release = await asyncio.to_thread(
                compute,
                survey,
                rows,
                self.themes,
                made_at=made_at,
                synthetic=synthetic,
                period=(_local_day(totals.first_consent), _local_day(totals.last_consent)),
                previous=previous,
            )
            await self.queries.save_release(
                self.survey.id,
                StoredRelease(
                    made_at=release.made_at,
                    completed=release.completed,
                    public=json.dumps(release.to_json(), ensure_ascii=False),
                    small=json.dumps(release.small_json()),
                ),
                survey.version,
            )
            return release

    async def make_if_due(self) -> Release | None:
        """A release of every version that has enough new responses; the current version's
        new release, if one was made."""
        made = None
        for survey in self.versions.all:
            try:
                release = await self.make(survey.version)
            except NotEnoughNew as waiting:
                log.info(
                    "release %s: not yet (%d of %d new completed responses)",
                    survey.version,
                    waiting.new,
                    waiting.needed,
                )
                continue
            if survey is self.survey:
                made = release
        return made


async def release_regularly(make: Callable[[], Awaitable[object]], interval_seconds: float) -> None:
    """Call ``make`` (a release if one is due) every interval, for as long as the bot runs. A
    failed round is logged and tried again; it never stops the bot."""
    while True:
        try:
            await make()
        except Exception:
            log.exception("release: making the release failed; it will be tried again")
        await asyncio.sleep(interval_seconds)


async def release_at_closing(
    make: Callable[[], Awaitable[object]],
    closes_at: datetime,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """The final release, made as the survey closes, so that the last answers are in it when
    they reach the threshold for a new release (below it, the previous release stays the last:
    a handful of answers alone would stand out). A bot started after closing has nothing to do."""
    delay = (closes_at - clock()).total_seconds()
    if delay < 0:
        return
    # A moment past closing, so that an answer stored in the closing second is counted.
    await asyncio.sleep(delay + 1)
    try:
        await make()
    except Exception:
        log.exception("release: the final release at closing failed; the regular schedule will try again")
