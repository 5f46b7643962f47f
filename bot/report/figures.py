"""What admins are shown: counts already aggregated and already protected.

Everything here comes from a protected release (``bot.release``): a count that must not
be shown is ``None`` and nothing derived from it (a share, a bar) exists. Renderers (chat, the
Word and Markdown report, charts) only lay these values out; they never see a raw count.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Cell:
    """One answer option (or group) with its count and its share of the base."""

    code: str
    label: str
    count: int | None
    # Of the distribution's base, 0..1; None when the count is hidden or the base is.
    share: float | None

    @property
    def hidden(self) -> bool:
        return self.count is None


@dataclass(frozen=True, slots=True)
class Distribution:
    """How the respondents who answered one question (or fall in one grouping) are spread.

    ``base`` counts those who chose an option; for a multiple-choice question the counts add
    up to more than the base, because one respondent may choose several options.
    """

    key: str
    title: str
    multiple: bool
    base: int | None
    skipped: int | None
    cells: tuple[Cell, ...]
    # Respondents who were not asked (routed past the question, or answering a version without
    # it): outside the base. None when hidden.
    not_asked: int | None = 0


@dataclass(frozen=True, slots=True)
class CrossTable:
    """One question broken down by a grouping (language, area or age band)."""

    question: str
    title: str
    grouping: str
    grouping_title: str
    multiple: bool
    columns: tuple[str, ...]  # option labels, in survey order
    # One row per group: its label, its base (None if hidden) and one cell per column.
    rows: tuple[tuple[str, int | None, tuple[Cell, ...]], ...]


@dataclass(frozen=True, slots=True)
class HeadlinePart:
    """One option of a headline that joins several: "Alltid" of "always or sometimes"."""

    label: str
    count: int | None


@dataclass(frozen=True, slots=True)
class Headline:
    """One of the shares the needs analysis rests on, e.g. "needs help in another language"."""

    key: str
    label: str
    question: str
    count: int | None
    base: int | None
    # A headline that joins options shows each with its own count, so "always or sometimes"
    # cannot be read as "always".
    parts: tuple[HeadlinePart, ...] = ()
    # Whose argument it answers ("municipality" or "agencies"); None: not a claim of either.
    side: str | None = None

    @property
    def share(self) -> float | None:
        if self.count is None or not self.base:
            return None
        return self.count / self.base


@dataclass(frozen=True, slots=True)
class Quote:
    text: str
    language: str  # code, e.g. "so"
    language_name: str  # in Swedish, e.g. "somaliska"
    # A machine translation into Swedish, when a translation provider is configured.
    translation: str | None = None


@dataclass(frozen=True, slots=True)
class Theme:
    code: str
    title: str
    description: str
    count: int | None  # stories with this theme; None when hidden
    share: float | None  # of the written stories
    quotes: tuple[Quote, ...] = ()


@dataclass(frozen=True, slots=True)
class EarlierVersion:
    """The answers to an earlier version of the survey, from that version's own release."""

    version: str
    completed: int | None
    questions: tuple[Distribution, ...]


@dataclass(frozen=True, slots=True)
class GroupFigure:
    """A claim's figure in one group: "Alby" of "Bostadsområde", with its own base."""

    grouping: str
    group: str
    base: int | None
    count: int | None  # None when hidden, or when a part of a joined headline is


@dataclass(frozen=True, slots=True)
class Breakdown:
    """One claim (a headline with a side) by area, age band and language."""

    key: str
    label: str
    groups: tuple[GroupFigure, ...]


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    """One question as residents saw it in Swedish, for the questionnaire annex."""

    key: str
    number: int
    text: str
    kind: str  # "single", "multi" or "free_text"
    options: tuple[str, ...]
    # Who was asked: everyone (None), or those who gave one of these options to question number…
    asked_if: tuple[int, tuple[str, ...]] | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything the report and the chat summary draw on."""

    survey_id: str
    survey_version: str
    synthetic: bool
    generated_at: str  # ISO date and time, local to the municipality
    period_start: str | None  # date of the first and last consent
    period_end: str | None
    # Consented and completed responses; None when hidden (the release keeps the number of
    # completed responses shown wherever it can: every share is of it).
    started: int | None
    completed: int | None
    languages: Distribution  # the language each respondent used the survey in
    areas: Distribution
    ages: Distribution
    headlines: tuple[Headline, ...]
    questions: tuple[Distribution, ...]
    # Free stories: how many were written, how many were voice notes (None: fewer than 5),
    # and their themes.
    stories_written: int | None
    voice_notes: int | None
    story_languages: Distribution
    themes: tuple[Theme, ...]
    translation_provider: str | None = None
    # Short notes for the method section, e.g. which survey versions the answers span.
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Earlier versions of the survey with releases of their own, reported apart.
    earlier: tuple[EarlierVersion, ...] = ()
    # The questionnaire of the version shown, and the languages residents could choose.
    questionnaire: tuple[AskedQuestion, ...] = ()
    languages_offered: tuple[str, ...] = ()
    # The survey's groupings (area, age): shown with the respondents, not again as results.
    grouping_keys: tuple[str, ...] = ()
    # Each claim by group, where the release shows the groups.
    breakdowns: tuple[Breakdown, ...] = ()
