"""Figures, themes and quotes for admins, built from SQL aggregates and protected before use.

``EvidenceService`` is what admin handlers and the report command call. It asks storage for
counts (never rows), applies small-count protection (``bot.privacy.disclosure``) and returns the
immutable structures of ``bot.report.figures`` with Swedish labels.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale

from bot.i18n.catalogue import LANGUAGE_ORDER, Translator
from bot.privacy.disclosure import protect_partition, protect_split, protect_table, too_small
from bot.report.figures import Cell, CrossTable, Distribution, Evidence, Headline, Quote, Theme
from bot.report.quote_translation import QuoteTranslator
from bot.report.themes import THEMES, ThemeTagger
from bot.survey.definition import Question, QuestionKind, Survey
from storage.interface import EvidenceSource
from storage.models import AnswerCount

MUNICIPALITY_TIME = ZoneInfo("Europe/Stockholm")
SYNTHETIC_KEY = "synthetic"
LANGUAGE = "language"
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
    # Unknown ("") last, the rest in the order residents see them.
    return sorted(codes, key=lambda code: (code == "", position.get(code, len(position)), code))


def _cells(
    protected: Mapping[str, int | None], base: int | None, label: Callable[[str], str]
) -> tuple[Cell, ...]:
    return tuple(
        Cell(code, label(code), count, count / base if count is not None and base else None)
        for code, count in protected.items()
    )


def _option_counts(question: Question, counts: Iterable[AnswerCount]) -> tuple[dict[str, int], int, int]:
    """Per option: respondents who chose it; then skipped and reached."""
    chosen = dict.fromkeys(question.option_codes, 0)
    skipped = reached = 0
    for count in counts:
        reached += count.respondents
        if count.skipped:
            skipped += count.respondents
            continue
        for code in count.option_codes:
            # Codes of an older survey version that no longer exist are not counted here;
            # the method section lists the versions the answers span.
            if code in chosen:
                chosen[code] += count.respondents
    return chosen, skipped, reached


class EvidenceService:
    def __init__(
        self,
        queries: EvidenceSource,
        survey: Survey,
        labels: Labels,
        tagger: ThemeTagger,
        *,
        # What a story goes through to be shown as a quote: ``scrub_quote`` in the bot.
        scrub: Callable[[str], str] = lambda text: text,
        quote_translator: QuoteTranslator | None = None,
        tagging_quality: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.queries = queries
        self.survey = survey
        self.labels = labels
        self.tagger = tagger
        self._scrub = scrub
        self._quote_translator = quote_translator
        self._tagging_quality = tagging_quality
        self._clock = clock

    # -- single figures ------------------------------------------------------------------

    def _question(self, question_id: str) -> Question:
        question = self.survey.question(question_id)
        if question is None or question.kind is QuestionKind.FREE_TEXT:
            raise UnknownQuestion(question_id)
        return question

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(question.id for question in self.survey.choice_questions())

    @property
    def groupings(self) -> tuple[str, ...]:
        return (LANGUAGE, *self.survey.groupings)

    def _distribution(self, question: Question, counts: Iterable[AnswerCount]) -> Distribution:
        """Shares are of those who answered; those who skipped are counted beside them."""
        chosen, skipped, reached = _option_counts(question, counts)
        answered = reached - skipped
        multiple = question.kind is QuestionKind.MULTI
        if too_small(answered):
            protected: dict[str, int | None] = dict.fromkeys(chosen)
            base = None
        elif multiple:
            protected = {code: protect_split(count, answered) for code, count in chosen.items()}
            base = answered
        else:
            protected = protect_partition(chosen)
            base = answered
        return Distribution(
            key=question.id,
            title=self.labels.question(question.id),
            multiple=multiple,
            base=base,
            skipped=None if too_small(skipped) else skipped,
            cells=_cells(protected, base, lambda code: self.labels.option(question.id, code)),
        )

    async def distribution(self, question_id: str) -> Distribution:
        question = self._question(question_id)
        return self._distribution(question, await self.queries.answer_counts(self.survey.id, question_id))

    async def cross_table(self, question_id: str, grouping: str) -> CrossTable:
        question = self._question(question_id)
        if grouping not in self.groupings:
            raise UnknownGrouping(grouping)
        counts = await self.queries.answer_counts_by(self.survey.id, question_id, grouping)
        by_group: dict[str, list[AnswerCount]] = {}
        for count in counts:
            by_group.setdefault(count.group or "", []).append(count)
        if grouping == LANGUAGE:
            groups = _ordered_languages(by_group)
        else:
            order = [*self._question(grouping).option_codes, ""]
            groups = [code for code in order if code in by_group]
        columns = list(question.option_codes)
        matrix, bases = [], []
        for group in groups:
            chosen, skipped, reached = _option_counts(question, by_group[group])
            matrix.append(list(chosen.values()))
            bases.append(reached - skipped)
        multiple = question.kind is QuestionKind.MULTI
        protected, protected_bases = (
            protect_table(matrix, bases, rows_partition=not multiple) if matrix else ([], [])
        )
        rows = []
        for group, values, base in zip(groups, protected, protected_bases, strict=True):
            cells = _cells(
                dict(zip(columns, values, strict=True)),
                base,
                lambda code: self.labels.option(question.id, code),
            )
            rows.append((self.labels.group(grouping, group), base, cells))
        return CrossTable(
            question=question.id,
            title=self.labels.question(question.id),
            grouping=grouping,
            grouping_title=self.labels.admin(f"admin.grouping.{grouping}"),
            multiple=multiple,
            columns=tuple(self.labels.option(question.id, code) for code in columns),
            rows=tuple(rows),
        )

    # -- the whole picture ---------------------------------------------------------------

    async def _headlines(
        self, distributions: Mapping[str, Distribution], counts: list[AnswerCount]
    ) -> tuple[Headline, ...]:
        headlines = []
        for headline in self.survey.headlines:
            question = self._question(headline.question)
            wanted = set(headline.options)
            mine = [c for c in counts if c.question_id == question.id and not c.skipped]
            answered = sum(c.respondents for c in mine)
            count = sum(c.respondents for c in mine if wanted & set(c.option_codes))
            shown = protect_split(count, answered)
            # A sum of options must not give back one of them that the question's own figures hide.
            if any(cell.hidden for cell in distributions[question.id].cells if cell.code in wanted):
                shown = None
            headlines.append(
                Headline(
                    key=headline.id,
                    label=self.labels.admin(f"admin.headline.{headline.id}"),
                    question=question.id,
                    count=shown,
                    base=None if too_small(answered) else answered,
                )
            )
        return tuple(headlines)

    def _groups(
        self,
        key: str,
        title: str,
        sizes: Mapping[str, int],
        order: Sequence[str],
        label: Callable[[str], str],
    ) -> Distribution:
        present = [code for code in order if code in sizes]
        protected = protect_partition({code: sizes[code] for code in present})
        total = sum(sizes.values())
        base = None if too_small(total) else total
        return Distribution(key, title, False, base, None, _cells(protected, base, label))

    async def _grouping(self, grouping: str) -> Distribution:
        sizes = await self.queries.group_sizes(self.survey.id, grouping)
        order = [*self._question(grouping).option_codes, ""]
        return self._groups(
            grouping,
            self.labels.short(grouping),
            sizes,
            order,
            lambda code: self.labels.group(grouping, code),
        )

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
        survey_id = self.survey.id
        totals = await self.queries.totals(survey_id)
        counts = await self.queries.answer_counts(survey_id)
        by_question: dict[str, list[AnswerCount]] = {}
        for count in counts:
            by_question.setdefault(count.question_id, []).append(count)
        distributions = {
            question.id: self._distribution(question, by_question.get(question.id, []))
            for question in self.survey.choice_questions()
        }
        languages = await self.queries.by_language(survey_id)
        language_distribution = self._groups(
            LANGUAGE,
            self.labels.admin("admin.grouping.language"),
            languages,
            _ordered_languages(languages),
            self.labels.language,
        )
        groupings = [await self._grouping(grouping) for grouping in self.survey.groupings]
        empty = Distribution("", "", False, None, None, ())
        written = voice = 0
        story_languages = empty
        themes: tuple[Theme, ...] = ()
        if with_stories:
            written, voice = await self.queries.story_counts(survey_id)
            story_languages_raw = await self.queries.story_languages(survey_id)
            story_languages = self._groups(
                "story_language",
                self.labels.admin("admin.grouping.language"),
                story_languages_raw,
                _ordered_languages(story_languages_raw),
                self.labels.language,
            )
            themes = await self._themes(written, story_languages)
        versions = await self.queries.survey_versions(survey_id)
        return Evidence(
            survey_id=survey_id,
            survey_version=self.survey.version,
            synthetic=await self.synthetic(),
            generated_at=self._clock().astimezone(MUNICIPALITY_TIME).strftime("%Y-%m-%d %H:%M"),
            period_start=local_time(totals.first_consent),
            period_end=local_time(totals.last_consent),
            started=totals.started,
            completed=totals.completed,
            languages=language_distribution,
            areas=groupings[0] if groupings else empty,
            ages=groupings[1] if len(groupings) > 1 else empty,
            headlines=await self._headlines(distributions, counts),
            questions=tuple(distributions.values()),
            stories_written=None if too_small(written) else written,
            voice_notes=None if too_small(voice) else voice,
            story_languages=story_languages,
            themes=themes,
            translation_provider=self._quote_translator.name if self._quote_translator else None,
            notes=self._notes(versions),
        )

    def _notes(self, versions: Sequence[tuple[str, int]]) -> tuple[str, ...]:
        notes = []
        if len(versions) > 1:
            notes.append(
                self.labels.admin(
                    "admin.note.versions", versions=", ".join(version for version, _ in versions)
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

    async def _themes(self, written: int, story_languages: Distribution) -> tuple[Theme, ...]:
        counts = await self.queries.theme_counts(self.survey.id)
        # A quote's language is named next to it: only languages whose count is shown qualify.
        nameable = {cell.code for cell in story_languages.cells if cell.count is not None and cell.code}
        used: set[str] = set()
        chosen: dict[str, tuple[Quote, ...]] = {}
        for theme in THEMES:
            count = protect_split(counts.get(theme, 0), written)
            quotes: tuple[Quote, ...] = ()
            if count:
                # Only what a person approved for quoting, in the words they approved.
                approved = await self.queries.approved_quotes(self.survey.id, theme, limit=40)
                quotes = tuple(self._pick_quotes(approved, nameable, used))
            chosen[theme] = quotes
        translations = await self._translate([quote for quotes in chosen.values() for quote in quotes])
        themes = []
        for theme in THEMES:
            count = protect_split(counts.get(theme, 0), written)
            quotes = tuple(
                Quote(q.text, q.language, q.language_name, translations.get(q.text)) for q in chosen[theme]
            )
            themes.append(
                Theme(
                    code=theme,
                    title=self.labels.admin(f"admin.theme.{theme}"),
                    description=self.labels.admin(f"admin.theme.{theme}.about"),
                    count=count,
                    share=count / written if count is not None and written else None,
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
