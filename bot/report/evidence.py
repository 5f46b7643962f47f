"""Figures, themes and quotes for admins, read from the latest protected release.

``EvidenceService`` is what admin handlers and the report command call. It reads the release
(``bot.release``), never counts the database itself, and returns the immutable structures of
``bot.report.figures`` with Swedish labels; a cell the release hides stays hidden."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale

from bot.config import MUNICIPALITY_TIME
from bot.i18n.catalogue import LANGUAGE_ORDER, Translator
from bot.release.model import Release
from bot.release.service import STORY as STORY_DIMENSION
from bot.release.service import THEMES, ReleaseService, counted_until
from bot.release.tables import (
    COMPLETED_ONLY,
    LANGUAGE,
    NOT_ASKED,
    OTHER_LANGUAGES,
    Dimension,
    Selector,
    Where,
)
from bot.report.figures import (
    AskedQuestion,
    Breakdown,
    Cell,
    CrossTable,
    Distribution,
    EarlierVersion,
    Evidence,
    GroupFigure,
    Headline,
    HeadlinePart,
    Quote,
    Theme,
)
from bot.report.quote_translation import QuoteTranslator
from bot.report.themes import THEMES as THEMES_ORDER
from bot.report.themes import ThemeTagger
from bot.survey.definition import Question, QuestionKind, Survey, SurveyVersions
from storage.interface import EvidenceSource

SYNTHETIC_KEY = "synthetic"
QUOTES_PER_THEME = 3
RETAG_BATCH = 2000


class UnknownQuestion(ValueError):
    pass


class UnknownGrouping(ValueError):
    pass


def local_time(iso: str | None, fmt: str = "%Y-%m-%d") -> str | None:
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(MUNICIPALITY_TIME).strftime(fmt)


@dataclass(frozen=True)
class Labels:
    """Swedish wording for admins: survey texts from the Swedish catalogue, the rest from the
    admin catalogue."""

    survey: Translator
    admin: Translator

    def question(self, question_id: str) -> str:
        return self.survey(f"q.{question_id}")

    def short(self, question_id: str) -> str:
        return self.survey(f"recap.{question_id}")

    def option(self, question_id: str, code: str) -> str:
        return self.survey(f"q.{question_id}.{code}")

    def language(self, code: str) -> str:
        if self.admin.has(f"language.{code}"):
            return self.admin(f"language.{code}")
        return Locale("sv").languages.get(code, code)

    def group(self, grouping: str, code: str) -> str:
        if not code:
            return self.admin("admin.group.missing")
        return self.language(code) if grouping == LANGUAGE else self.option(grouping, code)


def _ordered_languages(codes: Iterable[str]) -> list[str]:
    position = {code: index for index, code in enumerate(LANGUAGE_ORDER)}
    # The small languages counted together last, the rest in the order residents see them.
    return sorted(codes, key=lambda code: (code == OTHER_LANGUAGES, position.get(code, len(position)), code))


Row = tuple[str, int | None, tuple[Cell, ...]]


class NoRelease(Exception):
    """No release has been made yet: only the rounded progress can be shown."""

    def __init__(self, started: int, completed: int, needed: int) -> None:
        super().__init__("no release yet")
        self.started = started
        self.completed = completed
        self.needed = needed


def _key(*pairs: tuple[str, Selector]) -> Where:
    return tuple(sorted((*COMPLETED_ONLY, *pairs)))


class _Reader:
    """Figures out of one release, with Swedish labels; a hidden cell stays hidden."""

    def __init__(self, release: Release, labels: Labels) -> None:
        self.release = release
        self.labels = labels
        self.total = release.n(COMPLETED_ONLY)

    def share(self, count: int | None, base: int | None) -> float | None:
        return count / base if count is not None and base else None

    def label(self, dimension: str, code: str | None) -> str:
        if code is None:
            return self.labels.admin("admin.group.missing")
        if dimension == LANGUAGE:
            return self.labels.language(code)
        if dimension == THEMES:
            return self.labels.admin(f"admin.theme.{code}")
        return self.labels.option(dimension, code)

    def dimension(self, name: str) -> Dimension:
        return self.release.dimensions[name]

    def codes(self, name: str) -> list[str]:
        """The codes of a dimension, without "not asked" (which is never an answer)."""
        codes = [code for code in self.dimension(name).codes if code != NOT_ASKED]
        return _ordered_languages(codes) if name == LANGUAGE else codes

    def not_asked(self, name: str, *within: tuple[str, Selector]) -> int | None:
        """How many of the group ``within`` were not asked question ``name`` (None if hidden)."""
        if NOT_ASKED not in self.dimension(name).codes:
            return 0
        return self.release.n(_key(*within, (name, NOT_ASKED)))

    def asked(self, name: str, *within: tuple[str, Selector]) -> int | None:
        """The base of question ``name`` in the group ``within``: those who were asked it.
        Unknown (None) when the group or those not asked in it are hidden."""
        group = self.release.n(_key(*within))
        left_out = self.not_asked(name, *within)
        return None if group is None or left_out is None else group - left_out

    def one_way(self, name: str, key: str, title: str) -> Distribution:
        """Every code of ``name``, shares of those asked it; "no answer" and "not asked" apart."""
        dimension = self.dimension(name)
        base = self.asked(name)
        cells = tuple(
            Cell(code, self.label(name, code), n, self.share(n, base))
            for code in self.codes(name)
            for n in [self.release.n(_key((name, code)))]
        )
        return Distribution(
            key=key,
            title=title,
            multiple=dimension.multiple,
            base=base,
            skipped=self.release.n(_key((name, None))),
            cells=cells,
            not_asked=self.not_asked(name),
        )

    def groups(self, name: str, title: str) -> Distribution:
        """A grouping as a list of groups, "no answer" among them when anyone is in it."""
        distribution = self.one_way(name, name, title)
        missing = distribution.skipped
        cells = distribution.cells
        if missing != 0:
            cells = (*cells, Cell("", self.label(name, None), missing, self.share(missing, self.total)))
        return Distribution(name, title, False, self.total, None, cells)

    def cross(self, question: str, grouping: str) -> tuple[Row, ...] | None:
        if _key((question, self.codes(question)[0]), (grouping, None)) not in self.release.status:
            return None
        rows = []
        for group in [*self.codes(grouping), None]:
            if self.release.n(_key((grouping, group))) == 0:
                continue
            base = self.asked(question, (grouping, group))
            if base == 0:
                continue
            cells = tuple(
                Cell(code or "", self.label(question, code), n, self.share(n, base))
                for code in [*self.codes(question), None]
                for n in [self.release.n(_key((grouping, group), (question, code)))]
            )
            rows.append((self.label(grouping, group), base, cells))
        return tuple(rows)


class EvidenceService:
    """What admins see, read from the latest protected release (``bot.release``): every
    figure of every output is a cell of it, hidden or shown as the release decided."""

    def __init__(
        self,
        queries: EvidenceSource,
        survey: Survey | SurveyVersions,
        labels: Labels,
        tagger: ThemeTagger,
        releases: ReleaseService,
        *,
        # What a story goes through to be shown as a quote: ``scrub_quote`` in the bot.
        scrub: Callable[[str], str] = lambda text: text,
        quote_translator: QuoteTranslator | None = None,
        tagging_quality: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.queries = queries
        # Figures are of the current version; the export also holds earlier versions' answers.
        self.versions = survey if isinstance(survey, SurveyVersions) else SurveyVersions(survey)
        self.survey = self.versions.current
        self.labels = labels
        self.tagger = tagger
        self.releases = releases
        self._scrub = scrub
        self._quote_translator = quote_translator
        self._tagging_quality = tagging_quality
        self._clock = clock

    def _known(self, question_id: str) -> None:
        """A mistyped question is answered as such, whether or not a release exists yet."""
        for survey in self.versions.all:
            question = survey.question(question_id)
            if question is not None and question.kind is not QuestionKind.FREE_TEXT:
                return
        raise UnknownQuestion(question_id)

    def _question(self, question_id: str, survey: Survey | None = None) -> Question:
        question = (survey or self.survey).question(question_id)
        if question is None or question.kind is QuestionKind.FREE_TEXT:
            raise UnknownQuestion(question_id)
        return question

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(question.id for question in self.survey.choice_questions())

    @property
    def groupings(self) -> tuple[str, ...]:
        return (LANGUAGE, *self.survey.groupings)

    def breakdowns(self, question_id: str) -> tuple[str, ...]:
        """The groupings the release breaks ``question_id`` down by: a grouping question (area)
        only by the other groupings (age), not by itself or the language."""
        if question_id in self.survey.groupings:
            return tuple(g for g in self.survey.groupings if g != question_id)
        return self.groupings

    async def _reader(self) -> tuple[_Reader, Survey]:
        """The latest release and the version it counts: the current version's, or right after
        a new version is deployed and before it has one, the latest earlier version's."""
        for survey in (self.survey, *reversed(self.versions.earlier)):
            release = await self.releases.latest(survey.version)
            if release is not None:
                return _Reader(release, self.labels), survey
        started, completed = await self.releases.progress()
        raise NoRelease(started, completed, self.releases.min_new)

    async def distribution(self, question_id: str) -> Distribution:
        self._known(question_id)
        reader, survey = await self._reader()
        question = self._question(question_id, survey)
        return reader.one_way(question.id, question.id, self.labels.question(question.id))

    async def cross_table(self, question_id: str, grouping: str) -> CrossTable:
        self._known(question_id)
        if grouping not in self.breakdowns(question_id):
            raise UnknownGrouping(grouping)
        reader, survey = await self._reader()
        question = self._question(question_id, survey)
        rows = reader.cross(question.id, grouping)
        if rows is None:
            raise UnknownGrouping(grouping)
        return CrossTable(
            question=question.id,
            title=self.labels.question(question.id),
            grouping=grouping,
            grouping_title=self.labels.admin(f"admin.grouping.{grouping}"),
            multiple=question.kind is QuestionKind.MULTI,
            columns=(
                *(self.labels.option(question.id, code) for code in question.option_codes),
                self.labels.admin("admin.group.missing"),
            ),
            rows=rows,
        )

    def _headlines(self, reader: _Reader, survey: Survey) -> tuple[Headline, ...]:
        headlines = []
        for headline in survey.headlines:
            codes = tuple(c for c in reader.codes(headline.question) if c in headline.options)
            selector: Selector = codes[0] if len(codes) == 1 else codes
            parts = (
                tuple(
                    HeadlinePart(
                        self.labels.option(headline.question, code),
                        reader.release.n(_key((headline.question, code))),
                    )
                    for code in codes
                )
                if len(codes) > 1
                else ()
            )
            headlines.append(
                Headline(
                    key=headline.id,
                    label=self.labels.admin(f"admin.headline.{headline.id}"),
                    question=headline.question,
                    count=reader.release.n(_key((headline.question, selector))),
                    base=reader.asked(headline.question),
                    parts=parts,
                    side=headline.side,
                )
            )
        return tuple(headlines)

    async def make_release(self) -> Release | None:
        """A new release if one is due, with every story's themes found by the current lists
        first, so the release counts what the report will quote."""
        await self.retag()
        return await self.releases.make_if_due()

    async def synthetic(self) -> bool:
        return await self.queries.get_meta(SYNTHETIC_KEY) == "1"

    async def summary(self) -> Evidence:
        """Counts, groups and headlines: what /summary shows (no stories, no quotes)."""
        return await self._evidence(with_stories=False)

    async def evidence(self) -> Evidence:
        """Everything the report needs, with themes brought up to date first."""
        await self.retag()
        return await self._evidence(with_stories=True)

    async def retag(self) -> int:
        """Find themes again in stories tagged by other keyword lists than the current ones."""
        done = 0
        while True:
            batch = await self.queries.stories_to_tag(self.tagger.version, limit=RETAG_BATCH)
            if not batch:
                return done
            # Off the event loop: thousands of stories take long enough to delay residents.
            tagged = await asyncio.to_thread(self._tag_all, batch)
            await self.queries.set_story_themes(tagged, self.tagger.version)
            done += len(batch)

    def _tag_all(self, rows: Sequence[tuple[int, str, str | None]]) -> list[tuple[int, tuple[str, ...]]]:
        return [(response_id, self.tagger.tag(text, language)) for response_id, text, language in rows]

    async def _evidence(self, *, with_stories: bool) -> Evidence:
        reader, survey = await self._reader()
        release = reader.release
        empty = Distribution("", "", False, None, None, ())
        languages = reader.groups(LANGUAGE, self.labels.admin("admin.grouping.language"))
        groupings = [reader.groups(g, self.labels.short(g)) for g in survey.groupings]
        themes: tuple[Theme, ...] = ()
        written = release.n(_key((STORY_DIMENSION, "written")))
        if with_stories:
            themes = await self._themes(reader, written)
        versions = await self.queries.survey_versions(self.survey.id)
        made_at = datetime.fromisoformat(release.made_at).astimezone(MUNICIPALITY_TIME)
        return Evidence(
            survey_id=self.survey.id,
            survey_version=survey.version,
            synthetic=release.synthetic,
            generated_at=made_at.strftime("%Y-%m-%d %H:%M"),
            period_start=release.period[0],
            period_end=release.period[1],
            started=release.n(()),
            completed=reader.total,
            languages=languages,
            areas=groupings[0] if groupings else empty,
            ages=groupings[1] if len(groupings) > 1 else empty,
            headlines=self._headlines(reader, survey),
            questions=self._questions(reader, survey),
            stories_written=written,
            voice_notes=release.n(_key((STORY_DIMENSION, "voice"))),
            # A quote's language is named only where the release names that language.
            story_languages=languages,
            themes=themes,
            translation_provider=self._quote_translator.name if self._quote_translator else None,
            notes=self._notes(versions, survey),
            earlier=await self._earlier(survey) if with_stories else (),
            questionnaire=self._questionnaire(survey),
            languages_offered=tuple(self.labels.language(code) for code in LANGUAGE_ORDER),
            grouping_keys=tuple(survey.groupings),
            breakdowns=self._breakdowns(reader, survey),
        )

    def _breakdowns(self, reader: _Reader, survey: Survey) -> tuple[Breakdown, ...]:
        """Each claim in each group of each grouping. A joined headline's count in a group is
        the sum of its options' shown cells, and hidden when any of them is."""
        titles = {g: self.labels.short(g) for g in survey.groupings}
        language = self.labels.admin("admin.grouping.language")
        titles[LANGUAGE] = language[:1].upper() + language[1:]
        breakdowns = []
        for headline in survey.headlines:
            if headline.side is None or headline.question in survey.groupings:
                continue
            groups = []
            for grouping, title in titles.items():
                for group, base, cells in reader.cross(headline.question, grouping) or ():
                    counts = [cell.count for cell in cells if cell.code in headline.options]
                    count = None if None in counts else sum(n for n in counts if n is not None)
                    groups.append(GroupFigure(title, group, base, count))
            label = self.labels.admin(f"admin.headline.{headline.id}")
            breakdowns.append(Breakdown(headline.id, label, tuple(groups)))
        return tuple(breakdowns)

    def _questionnaire(self, survey: Survey) -> tuple[AskedQuestion, ...]:
        numbers = {question.id: number for number, question in enumerate(survey.questions, start=1)}
        asked = []
        for question in survey.questions:
            condition = question.show_if
            asked.append(
                AskedQuestion(
                    key=question.id,
                    number=numbers[question.id],
                    text=self.labels.question(question.id),
                    kind=question.kind.value,
                    options=tuple(self.labels.option(question.id, code) for code in question.option_codes),
                    asked_if=None
                    if condition is None
                    else (
                        numbers[condition.question],
                        tuple(self.labels.option(condition.question, code) for code in condition.any_of),
                    ),
                )
            )
        return tuple(asked)

    def _questions(self, reader: _Reader, survey: Survey) -> tuple[Distribution, ...]:
        return tuple(
            reader.one_way(q.id, q.id, self.labels.question(q.id)) for q in survey.choice_questions()
        )

    async def _earlier(self, shown: Survey) -> tuple[EarlierVersion, ...]:
        """The questions of each earlier version that has a release of its own, reported apart:
        their questions differ, so their answers are not added to the current version's."""
        earlier = []
        for survey in self.versions.earlier:
            if survey.version == shown.version:
                continue
            release = await self.releases.latest(survey.version)
            if release is None:
                continue
            reader = _Reader(release, self.labels)
            earlier.append(EarlierVersion(survey.version, reader.total, self._questions(reader, survey)))
        return tuple(earlier)

    def _notes(self, versions: Sequence[tuple[str, int]], shown: Survey) -> tuple[str, ...]:
        notes = []
        if shown.version != self.survey.version:
            notes.append(
                self.labels.admin(
                    "admin.note.earlier_release", current=self.survey.version, shown=shown.version
                )
            )
        if len(versions) > 1:
            notes.append(
                self.labels.admin(
                    "admin.note.versions",
                    versions=", ".join(version for version, _ in versions),
                    shown=shown.version,
                )
            )
        if self._tagging_quality and self._tagging_quality.exists():
            quality = json.loads(self._tagging_quality.read_text(encoding="utf-8"))
            notes.append(
                self.labels.admin(
                    "admin.note.tagging",
                    stories=quality["stories"],
                    languages=quality["languages"],
                    precision=f"{quality['precision']:.2f}".replace(".", ","),
                    recall=f"{quality['recall']:.2f}".replace(".", ","),
                )
            )
        return tuple(notes)

    async def _themes(self, reader: _Reader, written: int | None) -> tuple[Theme, ...]:
        release = reader.release
        nameable = {code for code in release.dimensions[LANGUAGE].codes if code != OTHER_LANGUAGES}
        until = counted_until(release.made_at)
        used: set[str] = set()
        chosen: dict[str, tuple[Quote, ...]] = {}
        # A release made before a theme was added does not count it: that theme is left out
        # rather than shown as a hidden count.
        counted = [theme for theme in THEMES_ORDER if theme in release.dimensions[THEMES].codes]
        counts = {theme: release.n(_key((THEMES, theme))) for theme in counted}
        for theme in counted:
            quotes: tuple[Quote, ...] = ()
            if counts[theme]:
                # Only what a person approved for quoting, in the words they approved, from a
                # response this release counts.
                approved = await self.queries.approved_quotes(self.survey.id, theme, limit=40, until=until)
                quotes = tuple(self._pick_quotes(approved, nameable, used))
            chosen[theme] = quotes
        translations = await self._translate([quote for quotes in chosen.values() for quote in quotes])
        themes = []
        for theme in counted:
            count = counts[theme]
            quotes = tuple(
                Quote(q.text, q.language, q.language_name, translations.get(q.text)) for q in chosen[theme]
            )
            themes.append(
                Theme(
                    code=theme,
                    title=self.labels.admin(f"admin.theme.{theme}"),
                    description=self.labels.admin(f"admin.theme.{theme}.about"),
                    count=count,
                    share=reader.share(count, written),
                    quotes=quotes,
                )
            )
        return tuple(themes)

    def _pick_quotes(
        self, candidates: Sequence[tuple[str, str]], nameable: set[str], used: set[str]
    ) -> list[Quote]:
        """A few quotes, from as many languages as possible, none used for another theme."""
        picked: list[Quote] = []
        languages: set[str] = set()
        for prefer_new_language in (True, False):
            for text, language in candidates:
                if len(picked) == QUOTES_PER_THEME:
                    return picked
                # Approved quotes were scrubbed when reviewed; scrubbing again applies any rule
                # added since, and catches what an edit may have brought back.
                clean = self.clean_quote(text)
                if clean in used or language not in nameable:
                    continue
                if prefer_new_language and language in languages:
                    continue
                used.add(clean)
                languages.add(language)
                picked.append(Quote(clean, language, self.labels.language(language)))
        return picked

    def clean_quote(self, text: str) -> str:
        """A story's text as a quote may show it (``scrub`` given at construction)."""
        return self._scrub(text)

    async def _translate(self, quotes: Sequence[Quote]) -> dict[str, str]:
        if self._quote_translator is None:
            return {}
        wanted = [(quote.text, quote.language) for quote in quotes if quote.language not in ("sv", "")]
        if not wanted:
            return {}
        results = await self._quote_translator.translate(wanted, "sv")
        return {text: result for (text, _), result in zip(wanted, results, strict=True) if result}

    async def record(self, actor: str, action: str, detail: str = "") -> None:
        await self.queries.record_admin_action(
            actor, action, detail, self._clock().isoformat(timespec="seconds")
        )
