"""The tables of a release: which cells exist, what each counts, and which cells add up.

A respondent is a ``Record``: for each dimension (the survey language, each choice question,
whether the response was completed) the codes they gave, or ``None`` when they gave none
(skipped, not reached). A cell is a ``Where``: a tuple of (dimension, selector) pairs, sorted
by dimension, whose count is the number of respondents matching every pair.

Selectors:
- a code: the respondent chose it (ticked it, for a multiple-choice question);
- ``None``: no answer;
- a tuple of codes: any of them (a headline such as "yes or sometimes");
- ``"!" + code``: answered a multiple-choice question without ticking that code. These cells
  are never published, but anyone can work them out (the group minus those who ticked minus
  those who did not answer), so they are protected like the published ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

from bot.i18n.catalogue import LANGUAGE_ORDER
from bot.survey.definition import QuestionKind, Survey

LANGUAGE = "language"
COMPLETED = "completed"
OTHER_LANGUAGES = "other"
HEADLINES = "headlines"
NOT = "!"
# The category of respondents a question was not asked of (their answers routed them past it):
# a code like any option, so that the question's base can leave them out.
NOT_ASKED = "not_asked"
# A survey language with fewer respondents than this is counted with the other small ones,
# so that breakdowns by language do not consist mostly of hidden cells.
LANGUAGE_MERGE_BELOW = 20
# Every table but the one of completion counts completed responses only: their cells carry
# this pair, so that the completed total is one cell shared by all of them.
COMPLETED_ONLY: tuple[tuple[str, str], ...] = ((COMPLETED, "yes"),)

Selector = str | None | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Route:
    """A question asked only of those whose answer to ``source`` is one of ``any_of`` (or who
    skipped it); the others are its "not asked"."""

    source: str
    any_of: frozenset[str]


Where = tuple[tuple[str, Selector], ...]


def where(**pairs: Selector) -> Where:
    return tuple(sorted(pairs.items()))


def virtual(selector: Selector) -> bool:
    return isinstance(selector, str) and selector.startswith(NOT)


def unpublished(key: Where) -> bool:
    return any(virtual(selector) for _, selector in key)


@dataclass(frozen=True, slots=True)
class Record:
    """One consented respondent: per dimension the codes given, ``None`` for no answer."""

    values: Mapping[str, frozenset[str] | None]


def completed(record: Record) -> bool:
    return record.values.get(COMPLETED) == frozenset(("yes",))


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    multiple: bool
    codes: tuple[str, ...]
    # For a released code that stands for several raw codes (the small languages merged into
    # "other"): which ones. Every other code stands for itself.
    merged: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Multiple choice: whether an answer ticks at least one code (a question's answer does;
    # the themes found in a story need not), and which codes exclude all others.
    at_least_one: bool = True
    exclusive: frozenset[str] = frozenset()
    # Given by every respondent (the language is chosen before consent; a response is completed
    # or not): its "no answer" is zero by design, which anyone can know, so hiding it would
    # protect nothing.
    always_given: bool = False

    def members(self, code: str) -> frozenset[str]:
        return self.merged.get(code, frozenset((code,)))

    def released(self, raw: str) -> str | None:
        for code, members in self.merged.items():
            if raw in members:
                return code
        return raw if raw in self.codes else None


@dataclass(frozen=True, slots=True)
class Table:
    id: str
    universe: str
    dimensions: tuple[str, ...]
    cells: tuple[Where, ...]  # published cells, margins first


@dataclass(frozen=True, slots=True)
class Line:
    """Cells tied by one published sum: ``total`` equals the sum of ``parts``. Any one of them
    follows from the others, so a hidden cell needs company."""

    total: Where
    parts: tuple[Where, ...]

    @property
    def members(self) -> tuple[Where, ...]:
        return (self.total, *self.parts)


@dataclass(frozen=True, slots=True)
class Layout:
    """Everything about a release's tables that does not depend on the counts."""

    dimensions: Mapping[str, Dimension]
    tables: tuple[Table, ...]
    lines: tuple[Line, ...]
    # The question-by-grouping blocks the attacker works on, as dimension tuples.
    groupings: tuple[str, ...]
    questions: tuple[str, ...]
    # Cells always hidden, whatever their count: "no answer" of a dimension that may be given
    # empty (themes) follows from another table (no written story), which would give away
    # those who answered with nothing ticked (a voice note only).
    withheld: tuple[Where, ...] = ()
    # The questions asked only of some, and on what.
    routes: Mapping[str, Route] = field(default_factory=dict)

    def cells(self) -> list[Where]:
        seen: dict[Where, None] = {}
        for table in self.tables:
            seen.update(dict.fromkeys(table.cells))
        for line in self.lines:
            seen.update(dict.fromkeys(line.members))
        return list(seen)


def _language_dimension(records: Sequence[Record]) -> Dimension:
    sizes = Counter(
        next(iter(value))
        for record in records
        if (value := record.values.get(LANGUAGE)) is not None and completed(record)
    )
    order = {code: index for index, code in enumerate(LANGUAGE_ORDER)}
    ranked = sorted(sizes, key=lambda code: (order.get(code, len(order)), code))
    kept = [code for code in ranked if sizes[code] >= LANGUAGE_MERGE_BELOW]
    small = frozenset(code for code in ranked if sizes[code] < LANGUAGE_MERGE_BELOW)
    if len(small) == 1 and not kept:
        kept, small = list(small), frozenset()
    if small:
        return Dimension(
            LANGUAGE, False, (*kept, OTHER_LANGUAGES), {OTHER_LANGUAGES: small}, always_given=True
        )
    return Dimension(LANGUAGE, False, tuple(kept), always_given=True)


def _values(dimension: Dimension) -> list[Selector]:
    """The categories that partition a single-choice dimension, "no answer" included."""
    return [*dimension.codes, None]


def _lines_over(dimension: Dimension, fixed: Where) -> list[Line]:
    """The sums over one dimension, the other dimensions held at ``fixed``."""

    def key(selector: Selector) -> Where:
        return tuple(sorted((*fixed, (dimension.name, selector))))

    if dimension.multiple:
        return [Line(fixed, (key(code), key(NOT + code), key(None))) for code in dimension.codes]
    return [Line(fixed, tuple(key(value) for value in _values(dimension)))]


def _margins(dimension: Dimension) -> list[Selector]:
    """The cells of one dimension in a table: every code, "no answer", and for a multiple
    choice question the unpublished "answered but did not tick" ones."""
    if dimension.multiple:
        return [*dimension.codes, *(NOT + code for code in dimension.codes), None]
    return _values(dimension)


def _table(
    table_id: str, universe: str, dims: Sequence[Dimension], within: Where = ()
) -> tuple[Table, list[Line]]:
    """A table over ``dims``; every cell also carries the pairs of ``within`` (the universe)."""
    cells: dict[Where, None] = {}
    lines: list[Line] = []
    # Every combination of "all" and a category for each dimension: the grand total, the
    # margins, the interior.
    options = [[("*", None), *((d.name, s) for s in _margins(d))] for d in dims]
    for combination in product(*options):
        key: Where = tuple(sorted((*within, *((name, s) for name, s in combination if name != "*"))))
        if not unpublished(key):
            cells[key] = None
    for index, dimension in enumerate(dims):
        others = [options[i] for i in range(len(dims)) if i != index]
        for combination in product(*others):
            fixed: Where = tuple(sorted((*within, *((name, s) for name, s in combination if name != "*"))))
            lines.extend(_lines_over(dimension, fixed))
    return Table(table_id, universe, tuple(d.name for d in dims), tuple(cells)), lines


def layout(
    survey: Survey,
    records: Sequence[Record],
    extra: Sequence[Dimension] = (),
) -> Layout:
    """The tables a release of ``survey`` holds: one-way tables of every question and of the
    language, each question by each grouping (one orientation only), and the groupings by
    each other; ``extra`` dimensions (about the stories) get one-way tables only."""
    not_asked = {
        name
        for record in records
        if completed(record)
        for name, value in record.values.items()
        if value is not None and NOT_ASKED in value
    }
    dimensions: dict[str, Dimension] = {
        COMPLETED: Dimension(COMPLETED, False, ("yes", "no"), always_given=True),
        LANGUAGE: _language_dimension(records),
    }
    questions = survey.choice_questions()
    for question in questions:
        multiple = question.kind is QuestionKind.MULTI
        exclusive = frozenset(o.code for o in question.options if o.exclusive) if multiple else frozenset()
        codes = question.option_codes
        if question.id in not_asked:
            codes, exclusive = (*codes, NOT_ASKED), exclusive | {NOT_ASKED} if multiple else exclusive
        dimensions[question.id] = Dimension(question.id, multiple, codes, exclusive=exclusive)
    for dimension in extra:
        dimensions[dimension.name] = dimension
    groupings = (*survey.groupings, LANGUAGE)
    tables: list[Table] = []
    lines: list[Line] = []

    def add(table_id: str, universe: str, names: Sequence[str]) -> None:
        within = COMPLETED_ONLY if universe == "completed" else ()
        table, table_lines = _table(table_id, universe, [dimensions[name] for name in names], within)
        tables.append(table)
        lines.extend(table_lines)

    add(COMPLETED, "consented", [COMPLETED])
    add(LANGUAGE, "completed", [LANGUAGE])
    for question in questions:
        add(question.id, "completed", [question.id])
    # The survey's own groupings by each other (area by age), one orientation each; the
    # language only on its own.
    for index, left in enumerate(survey.groupings):
        for right in survey.groupings[index + 1 :]:
            add(f"{right}_by_{left}", "completed", [left, right])
    for question in questions:
        for grouping in groupings:
            if question.id != grouping and question.id not in survey.groupings:
                add(f"{question.id}_by_{grouping}", "completed", [grouping, question.id])
    for dimension in extra:
        add(dimension.name, "completed", [dimension.name])
    headline_cells: list[Where] = []
    for headline in survey.headlines:
        dimension = dimensions[headline.question]
        options: tuple[str, ...] = tuple(code for code in dimension.codes if code in headline.options)
        if len(options) == 1:
            continue  # the option's own cell
        if dimension.multiple:
            raise ValueError(f"headline {headline.id!r}: only single-choice questions can be merged")
        merged = where(**dict(COMPLETED_ONLY), **{headline.question: options})
        headline_cells.append(merged)
        parts = tuple(where(**dict(COMPLETED_ONLY), **{headline.question: code}) for code in options)
        lines.append(Line(merged, parts))
    if headline_cells:
        names = tuple(dict.fromkeys(name for cell in headline_cells for name, _ in cell if name != COMPLETED))
        tables.append(Table(HEADLINES, "completed", names, tuple(headline_cells)))
    return Layout(
        dimensions=dimensions,
        tables=tuple(tables),
        lines=tuple(lines),
        groupings=tuple(groupings),
        questions=(
            *(q.id for q in questions if q.id not in survey.groupings),
            *(dimension.name for dimension in extra),
        ),
        withheld=tuple(
            where(**dict(COMPLETED_ONLY), **{dimension.name: None})
            for dimension in extra
            if dimension.multiple and not dimension.at_least_one
        ),
        routes={
            q.id: Route(q.show_if.question, frozenset(q.show_if.any_of))
            for q in questions
            if q.show_if is not None
        },
    )


def _selectors(dimension: Dimension, value: frozenset[str] | None) -> list[Selector]:
    """The selectors of ``dimension`` a respondent with ``value`` matches (not "all")."""
    if value is None:
        return [None]
    if dimension.multiple:
        return [code if code in value else NOT + code for code in dimension.codes]
    released = dimension.released(next(iter(value)))
    # A code the release does not know (an option of another survey version) counts as no answer.
    return [released]


def count(layout: Layout, records: Iterable[Record]) -> dict[Where, int]:
    """The true count of every cell of ``layout`` (published and unpublished)."""
    counts: Counter[Where] = Counter()
    by_dimensions: dict[tuple[str, ...], None] = {}
    for table in layout.tables:
        if table.dimensions and table.id != HEADLINES:
            by_dimensions[table.dimensions] = None
    by_dimensions.pop((COMPLETED,), None)
    headline_cells = [line.total for line in layout.lines if any(isinstance(s, tuple) for _, s in line.total)]
    total = 0
    for record in records:
        total += 1
        if not completed(record):
            counts[((COMPLETED, "no"),)] += 1
            continue
        # The completed total, (completed, yes), is every table's grand total: matched below.
        matched: set[Where] = set()
        for names in by_dimensions:
            options = [
                [
                    ("*", None),
                    *((name, s) for s in _selectors(layout.dimensions[name], record.values.get(name))),
                ]
                for name in names
            ]
            for combination in product(*options):
                key: Where = tuple(sorted((*COMPLETED_ONLY, *((n, s) for n, s in combination if n != "*"))))
                matched.add(key)
        for cell in headline_cells:
            ((name, options_),) = [pair for pair in cell if pair[0] != COMPLETED]
            value = record.values.get(name)
            if value is not None and value & set(options_):  # type: ignore[arg-type]
                matched.add(cell)
        counts.update(matched)
    counts[()] = total
    return {cell: counts.get(cell, 0) for cell in layout.cells()}
