"""The report for the municipality's consultation response (remissvar), in Word and Markdown.

Both formats are laid out from one list of blocks (``_blocks``), so they say the same thing; Word
adds a chart after each table, Markdown has the tables only. The figures come from ``Evidence``,
already protected against small counts, and every word from the report catalogue
(``locales/report/``). A hidden count reads ".." and has no share, no interval, no bar and no
sum or difference that would give it away. What is computed here comes from shown figures
only: the 95 % interval of a shown count out of a shown base, and which option a question's
sentence names (the largest, and only when it differs from the next one beyond sampling error).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from bot.i18n.catalogue import PDI, Translator
from bot.privacy.disclosure import MINIMUM as MIN_GROUP_SIZE
from bot.report.charts import bar_chart, count_text, hidden_text, theme_chart
from bot.report.figures import AskedQuestion, Cell, Distribution, Evidence, Headline, Quote, Theme
from bot.report.numbers import format_count, format_share
from bot.report.uncertainty import Interval, differ, format_interval, wilson

# Right-to-left isolate: a right-to-left quote keeps its own direction inside a left-to-right
# Markdown document (ended by the pop directional isolate, PDI). Used instead of the first-strong
# isolate because the direction is known, even for a quote that starts with a Latin word.
RLI = "\u2067"

# Amharic and Tigrinya: Word's default fonts have no Ethiopic letters. Ebrima has them and comes
# with Windows; where it is missing (LibreOffice on Linux) fontconfig picks a font that has them,
# such as Noto Sans Ethiopic.
ETHIOPIC_FONT = "Ebrima"
TEXT_WIDTH = Cm(16)  # A4 (21 cm) less two margins of 2.5 cm; the charts are made this wide
KEPT_WHOLE_ROWS = 15  # tables up to this many rows stay on one page
NEAR_BLACK = RGBColor(0x1A, 0x1A, 0x1A)
BANNER_FILL = "D9D9D9"  # light grey: the banner reads the same printed in black and white
# Order of the children of <w:pPr>, as the Office Open XML schema requires (the part of it used
# here): a property must be inserted before those that follow it.
PARAGRAPH_PROPERTIES = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
    "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
    "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
    "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


class _Count(int):
    """A count that formats itself the Swedish way ("1 234") as ``{count}`` in a plural message."""

    def __format__(self, spec: str) -> str:
        return format_count(int(self)) if not spec else super().__format__(spec)


# The blocks a report is made of.


@dataclass(frozen=True, slots=True)
class _Heading:
    text: str
    level: int  # 0 is the title
    new_page: bool = False


@dataclass(frozen=True, slots=True)
class _Text:
    text: str
    kind: str = "body"  # "body", "subtitle", "banner", "banner_detail" or "small"
    keep_with_next: bool = False  # e.g. a table's note, kept on the page of the chart after it


@dataclass(frozen=True, slots=True)
class _Bullets:
    items: tuple[str, ...]
    keep_together: bool = False  # on one page (a question's options in the annex)


@dataclass(frozen=True, slots=True)
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # the first column is text, the others figures
    # A small line under the first cell of each row (the claims table's reading), or none.
    notes: tuple[str, ...] = ()
    # The width of each column after the first, in cm; the first takes the rest.
    figure_widths: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class _Chart:
    # Drawn only when the Word document is written: Markdown has no charts.
    draw: Callable[[], bytes]
    description: str
    keep_with_next: bool = False


@dataclass(frozen=True, slots=True)
class _Quote:
    text: str
    right_to_left: bool
    source: str  # "(språk: somaliska)"
    translation: str | None  # the labelled Swedish machine translation


_Block = _Heading | _Text | _Bullets | _Table | _Chart | _Quote


# Public surface.


def render_docx(evidence: Evidence, strings: Translator) -> bytes:
    """The report as a Word document (A4), with a chart for each question and for the themes."""
    return _write_docx(_blocks(evidence, strings), evidence, strings)


def render_markdown(evidence: Evidence, strings: Translator) -> str:
    """The same report as Markdown: the same text and tables, without the charts."""
    return _write_markdown(_blocks(evidence, strings))


# Content.


def _blocks(evidence: Evidence, strings: Translator) -> list[_Block]:
    return [
        *_front_page(evidence, strings),
        *_background(evidence, strings),
        *_claims(evidence, strings),
        *_breakdowns(evidence, strings),
        *_method(evidence, strings),
        *_questions(evidence, strings),
        *_earlier_versions(evidence, strings),
        *_stories(evidence, strings),
        *_annex(evidence, strings),
        _Text(strings("report.colophon", date=_date(evidence.generated_at)), "small"),
    ]


def _front_page(evidence: Evidence, strings: Translator) -> list[_Block]:
    title_key = "report.title_synthetic" if evidence.synthetic else "report.title"
    blocks: list[_Block] = [_Heading(strings(title_key), 0)]
    if evidence.synthetic:
        blocks += [
            _Text(strings("report.synthetic.banner"), "banner"),
            _Text(strings("report.synthetic.detail"), "banner_detail"),
        ]
    blocks += [
        _Text(strings("report.subtitle"), "subtitle"),
        _Text(strings("report.date", date=_date(evidence.generated_at))),
        _Heading(strings("report.summary.heading"), 1),
        _Text(strings("report.summary.intro")),
        _Text(_responses(evidence, strings)),
    ]
    if evidence.headlines:
        blocks += [
            _Text(strings("report.summary.headlines")),
            _Bullets(tuple(_headline(headline, strings) for headline in evidence.headlines)),
        ]
    blocks += [
        _Text(_story_counts(evidence, strings)),
        _Text(strings("report.summary.caveat")),
    ]
    return blocks


def _responses(evidence: Evidence, strings: Translator) -> str:
    if evidence.started is None or evidence.completed is None:
        # Hidden so that those who stopped part-way, a small number, cannot be worked out.
        text = strings.plural("report.summary.completed_only", _Count(evidence.completed or 0))
    else:
        text = strings.plural(
            "report.summary.responses", _Count(evidence.started), completed=format_count(evidence.completed)
        )
    if evidence.period_start and evidence.period_end:
        period = strings("report.period", start=_date(evidence.period_start), end=_date(evidence.period_end))
        text = f"{text} {period}"
    return text


def _headline(headline: Headline, strings: Translator) -> str:
    if headline.base is None:
        return strings("report.headline.few", label=headline.label, threshold=MIN_GROUP_SIZE)
    if headline.base == 0:
        return strings("report.headline.none", label=headline.label)
    base = format_count(headline.base)
    share = headline.share
    if headline.count is None or share is None:
        count = count_text(strings, headline.count, None)
        return strings("report.headline.no_share", label=headline.label, count=count, base=base)
    text = strings(
        "report.headline",
        label=headline.label,
        count=format_count(headline.count),
        base=base,
        share=format_share(share),
    )
    if not headline.parts or headline.count == 0:
        return text
    parts = ", ".join(
        strings("report.headline.part", label=part.label, count=count_text(strings, part.count, None))
        for part in headline.parts
    )
    return strings("report.headline.parts", headline=text, parts=parts)


def _story_counts(evidence: Evidence, strings: Translator) -> str:
    if evidence.stories_written is None:
        written = strings("report.stories.few_written", threshold=MIN_GROUP_SIZE)
    elif evidence.stories_written:
        written = strings.plural("report.stories.written", _Count(evidence.stories_written))
    else:
        written = strings("report.stories.none_written")
    if evidence.voice_notes is None:
        voice = strings("report.stories.few_voice", threshold=MIN_GROUP_SIZE)
    elif evidence.voice_notes == 0:
        voice = strings("report.stories.no_voice")
    else:
        voice = strings.plural("report.stories.voice", _Count(evidence.voice_notes))
    return f"{written} {voice}"


def _background(evidence: Evidence, strings: Translator) -> list[_Block]:
    return [
        _Heading(strings("report.background.heading"), 1, new_page=True),
        _Text(strings("report.background.plan")),
        _Text(strings("report.background.municipality")),
        _Text(strings("report.background.survey")),
    ]


def _interval(count: int | None, base: int | None) -> Interval | None:
    """The 95 % interval of a shown count out of a shown base; none where either is hidden."""
    if count is None or not base:
        return None
    return wilson(count, base)


def _interval_text(count: int | None, base: int | None) -> str:
    interval = _interval(count, base)
    return "" if interval is None else format_interval(interval)


def _claims(evidence: Evidence, strings: Translator) -> list[_Block]:
    """Each side's arguments, one row each, with the figure that answers it and its margin."""
    claims = [headline for headline in evidence.headlines if headline.side]
    if not claims:
        return []
    rows = []
    notes = []
    for headline in claims:
        if headline.base is None:
            figure = strings("report.claims.few", threshold=MIN_GROUP_SIZE)
        elif headline.base == 0:
            figure = strings("report.claims.none")
        elif headline.count is None or headline.share is None:
            figure = strings(
                "report.claims.figure_hidden", count=hidden_text(strings), base=format_count(headline.base)
            )
        else:
            figure = strings(
                "report.claims.figure",
                count=format_count(headline.count),
                base=format_count(headline.base),
                share=format_share(headline.share),
            )
        rows.append(
            (
                headline.label,
                strings(f"report.claims.side.{headline.side}"),
                figure,
                _interval_text(headline.count, headline.base),
            )
        )
        reading = f"report.claim.{headline.key}"
        notes.append(strings(reading) if strings.has(reading) else "")
    header = (
        strings("report.table.claim"),
        strings("report.table.side"),
        strings("report.table.answered"),
        strings("report.table.interval"),
    )
    return [
        _Heading(strings("report.claims.heading"), 1, new_page=True),
        _Text(strings("report.claims.intro")),
        _Table(header, tuple(rows), tuple(notes), figure_widths=(3.3, 2.7, 3.9)),
        _Text(strings("report.claims.intervals"), "small"),
    ]


def _breakdowns(evidence: Evidence, strings: Translator) -> list[_Block]:
    """Each claim by area, age band and language: who answers what, with each group's margin."""
    shown = [breakdown for breakdown in evidence.breakdowns if breakdown.groups]
    if not shown:
        return []
    blocks: list[_Block] = [
        _Heading(strings("report.breakdowns.heading"), 1, new_page=True),
        _Text(strings("report.breakdowns.intro")),
    ]
    header = (
        strings("report.table.group"),
        strings("report.table.base"),
        strings("report.table.share"),
        strings("report.table.interval"),
    )
    for breakdown in shown:
        rows = []
        for figure in breakdown.groups:
            share = figure.count / figure.base if figure.count is not None and figure.base else None
            count = count_text(strings, figure.count, share)
            rows.append(
                (
                    strings("report.breakdowns.group", grouping=figure.grouping, group=figure.group),
                    _figure(figure.base, strings),
                    count if figure.base else "",
                    _interval_text(figure.count, figure.base),
                )
            )
        blocks += [_Heading(breakdown.label, 3), _Table(header, tuple(rows), figure_widths=(2.2, 2.5, 3.9))]
    return blocks


def _method(evidence: Evidence, strings: Translator) -> list[_Block]:
    started = (
        strings("report.method.started_hidden")
        if evidence.started is None
        else strings.plural("report.method.started", _Count(evidence.started))
    )
    completed = strings.plural("report.method.completed", _Count(evidence.completed or 0))
    if evidence.period_start and evidence.period_end:
        period = strings("report.period", start=_date(evidence.period_start), end=_date(evidence.period_end))
    else:
        period = strings("report.method.no_period")
    blocks: list[_Block] = [
        _Heading(strings("report.method.heading"), 1, new_page=True),
        _Text(strings("report.method.how")),
        _Text(strings("report.method.survey", version=evidence.survey_version)),
        _Text(strings("report.method.recruitment")),
        _Heading(strings("report.method.respondents"), 2),
        _Text(f"{started} {completed} {period}"),
        _Heading(strings("report.method.languages"), 3),
        _distribution_table(_by_size(evidence.languages), strings, strings("report.table.language")),
        _Text(_base_note(evidence.languages, strings, skipped=False), "small"),
        _Heading(strings("report.method.areas"), 3),
        _distribution_table(evidence.areas, strings, strings("report.table.area")),
        _Text(_base_note(evidence.areas, strings, skipped=False), "small"),
        _Heading(strings("report.method.ages"), 3),
        _distribution_table(evidence.ages, strings, strings("report.table.age")),
        _Text(_base_note(evidence.ages, strings, skipped=False), "small"),
        _Heading(strings("report.method.selection.heading"), 2),
        _Text(strings("report.method.selection")),
        _Text(strings("report.method.mode")),
        _Text(strings("report.method.population")),
        _Text(strings("report.method.partial")),
        _Text(strings("report.method.shares")),
        _Heading(strings("report.method.intervals.heading"), 2),
        _Text(strings("report.method.intervals")),
        _Heading(strings("report.method.protection.heading"), 2),
        _Text(strings("report.method.protection", threshold=MIN_GROUP_SIZE, made=evidence.generated_at)),
    ]
    if evidence.notes:
        blocks += [_Heading(strings("report.method.notes"), 2), _Bullets(evidence.notes)]
    return blocks


def _distribution_table(
    distribution: Distribution, strings: Translator, first: str, *, intervals: bool = False
) -> _Table:
    header = (first, strings("report.table.count"), strings("report.table.share"))
    rows = tuple(_row(cell.label, cell.count, cell.share, strings) for cell in distribution.cells)
    if not intervals:
        return _Table(header, rows, figure_widths=(2.4, 2.4))
    return _Table(
        (*header, strings("report.table.interval")),
        tuple(
            (*row, _interval_text(cell.count, distribution.base))
            for row, cell in zip(rows, distribution.cells, strict=True)
        ),
        figure_widths=(2.0, 1.9, 3.9),
    )


def _by_size(distribution: Distribution) -> Distribution:
    """Largest group first; hidden counts, the merged small languages and "no answer" last."""
    last = {"other", ""}
    ordered = sorted(
        distribution.cells,
        key=lambda cell: (cell.code in last or cell.count is None, -(cell.count or 0)),
    )
    return replace(distribution, cells=tuple(ordered))


def _row(label: str, count: int | None, share: float | None, strings: Translator) -> tuple[str, str, str]:
    if count is None:
        return (label, hidden_text(strings), "")  # no share for a hidden count
    return (label, format_count(count), format_share(share) if share is not None else "")


def _figure(value: int | None, strings: Translator) -> str:
    return count_text(strings, value, None)


def _base_note(distribution: Distribution, strings: Translator, *, skipped: bool = True) -> str:
    base = _figure(distribution.base, strings)
    if not skipped:
        return strings("report.respondents_note", base=base)
    if distribution.not_asked != 0:
        return strings(
            "report.base_note_asked",
            base=base,
            skipped=_figure(distribution.skipped, strings),
            not_asked=_figure(distribution.not_asked, strings),
        )
    return strings("report.base_note", base=base, skipped=_figure(distribution.skipped, strings))


def _questions(evidence: Evidence, strings: Translator) -> list[_Block]:
    # Area and age are shown once, with the respondents in the method section.
    questions = tuple(q for q in evidence.questions if q.key not in evidence.grouping_keys)
    return [
        _Heading(strings("report.questions.heading"), 1, new_page=True),
        _Text(strings("report.questions.intro")),
        *_question_blocks(
            questions, strings, evidence.synthetic, {q.key: q.number for q in evidence.questionnaire}
        ),
    ]


def _earlier_versions(evidence: Evidence, strings: Translator) -> list[_Block]:
    """Each earlier version's answers apart, under its own heading: its questions differ."""
    blocks: list[_Block] = []
    for earlier in evidence.earlier:
        completed = (
            strings("report.earlier.completed_hidden")
            if earlier.completed is None
            else strings.plural("report.earlier.completed", _Count(earlier.completed))
        )
        blocks += [
            _Heading(strings("report.earlier.heading", version=earlier.version), 1, new_page=True),
            _Text(strings("report.earlier.intro", version=earlier.version, current=evidence.survey_version)),
            _Text(completed),
            *_question_blocks(earlier.questions, strings, evidence.synthetic),
        ]
    return blocks


def _question_blocks(
    questions: Sequence[Distribution],
    strings: Translator,
    synthetic: bool,
    numbers: Mapping[str, int] | None = None,
) -> list[_Block]:
    """Each question kept together on one page; numbered as in the annex where it is known."""
    blocks: list[_Block] = []
    for index, question in enumerate(questions, start=1):
        number = (numbers or {}).get(question.key, index)
        # A chart only where a bar has length: hidden and empty options draw nothing.
        charted = any(cell.count for cell in question.cells)
        blocks += [
            _Heading(strings("report.question.heading", number=number, title=question.title), 2),
            _distribution_table(question, strings, strings("report.table.option"), intervals=True),
            _Text(_base_note(question, strings), "small", keep_with_next=charted),
        ]
        if charted:
            blocks.append(
                _Chart(
                    partial(bar_chart, question, strings, synthetic=synthetic),
                    strings("report.chart.description", title=question.title),
                    keep_with_next=True,  # with the sentence that reads it
                )
            )
        blocks.append(_Text(_question_sentence(question, strings)))
    return blocks


def _ranked(cells: Sequence[Cell]) -> list[Cell]:
    """The shown options, largest count first; on a tie, the first in the survey's order."""
    return sorted((cell for cell in cells if cell.count is not None), key=lambda cell: -(cell.count or 0))


def _question_sentence(question: Distribution, strings: Translator) -> str:
    """One neutral sentence: how many of those who answered chose the largest shown option, or,
    where its lead over the next one is within sampling error, that the difference is not
    established."""
    if question.base is None:
        return strings("report.question.few", threshold=MIN_GROUP_SIZE)
    if question.base == 0:
        return strings("report.question.none")
    ranked = _ranked(question.cells)
    if not ranked:
        return strings("report.question.all_hidden")
    largest = ranked[0]
    if largest.count == 0:
        # Every shown option is empty: the answers are all in hidden cells.
        return strings("report.question.only_hidden")
    runner_up = ranked[1] if len(ranked) > 1 else None
    if runner_up is not None and largest.count is not None and runner_up.count is not None:
        if not differ(largest.count, runner_up.count, question.base, exclusive=not question.multiple):
            return strings("report.question.close", first=largest.label, second=runner_up.label)
    key = "report.question.largest_multiple" if question.multiple else "report.question.largest"
    if question.not_asked != 0:
        # Some were routed past it: the base is those asked, and the sentence says so.
        key += "_asked"
    return strings(
        key,
        base=format_count(question.base),
        figure=count_text(strings, largest.count, largest.share),
        option=largest.label,
    )


def _stories(evidence: Evidence, strings: Translator) -> list[_Block]:
    blocks: list[_Block] = [
        _Heading(strings("report.stories.heading"), 1, new_page=True),
        _Text(strings("report.stories.intro")),
        _Text(_story_counts(evidence, strings)),
    ]
    if not evidence.stories_written:
        return blocks
    blocks += [
        _Heading(strings("report.stories.languages"), 2),
        _distribution_table(evidence.story_languages, strings, strings("report.table.language")),
        _Heading(strings("report.themes.method.heading"), 2),
        _Text(strings("report.themes.method")),
        _Text(strings("report.themes.limits")),
    ]
    if evidence.notes:
        blocks.append(_Text(strings("report.themes.accuracy")))
    if any(quote.translation for theme in evidence.themes for quote in theme.quotes):
        if evidence.translation_provider:
            note = strings("report.translation.provider", provider=evidence.translation_provider)
        else:
            note = strings("report.translation.note")
        blocks.append(_Text(note))
    blocks.append(_Heading(strings("report.themes.heading"), 2))
    if not evidence.themes:
        blocks.append(_Text(strings("report.themes.none")))
        return blocks
    blocks.append(
        _Table(
            (
                strings("report.table.theme"),
                strings("report.table.stories"),
                strings("report.table.stories_share"),
            ),
            tuple(_row(theme.title, theme.count, theme.share, strings) for theme in evidence.themes),
        )
    )
    if any(theme.count is not None for theme in evidence.themes):
        blocks.append(
            _Chart(
                partial(
                    theme_chart,
                    evidence.themes,
                    strings,
                    written=evidence.stories_written,
                    synthetic=evidence.synthetic,
                ),
                strings("report.chart.themes_description"),
            )
        )
    for theme in evidence.themes:
        blocks += _theme(theme, strings)
    return blocks


def _theme(theme: Theme, strings: Translator) -> list[_Block]:
    blocks: list[_Block] = [_Heading(theme.title, 3)]
    if theme.description:
        blocks.append(_Text(theme.description))
    if theme.count is None:
        # Quotes would show that the hidden count is at least their number: leave them out.
        blocks.append(_Text(strings("report.theme.hidden", threshold=MIN_GROUP_SIZE)))
        return blocks
    blocks.append(_Text(strings("report.theme.count", figure=count_text(strings, theme.count, theme.share))))
    if theme.quotes:
        blocks.append(_Text(strings("report.theme.quotes")))
        blocks += [_quote(quote, strings) for quote in theme.quotes]
    else:
        # Quotes appear only once a person has approved them (``bot.admin.quotes``).
        blocks.append(_Text(strings("report.theme.awaiting_review")))
    return blocks


def _annex(evidence: Evidence, strings: Translator) -> list[_Block]:
    """The questionnaire word for word in Swedish, with who was asked what, and the languages."""
    if not evidence.questionnaire:
        return []
    blocks: list[_Block] = [
        _Heading(strings("report.annex.heading"), 1, new_page=True),
        _Text(strings("report.annex.intro", version=evidence.survey_version)),
    ]
    for question in evidence.questionnaire:
        blocks += _asked_question(question, strings)
    if evidence.languages_offered:
        blocks += [
            _Heading(strings("report.annex.languages.heading"), 2),
            _Text(
                strings(
                    "report.annex.languages",
                    count=len(evidence.languages_offered),
                    languages=", ".join(evidence.languages_offered),
                )
            ),
        ]
    return blocks


def _asked_question(question: AskedQuestion, strings: Translator) -> list[_Block]:
    blocks: list[_Block] = [
        _Heading(strings("report.annex.question", number=question.number, text=question.text), 3)
    ]
    if question.asked_if is not None:
        number, options = question.asked_if
        blocks.append(
            _Text(
                strings("report.annex.asked_if", number=number, options=_either(options, strings)),
                "small",
                keep_with_next=True,
            )
        )
    if question.kind == "free_text":
        blocks.append(_Text(strings("report.annex.free_text"), "small"))
        return blocks
    if question.kind == "multi":
        blocks.append(_Text(strings("report.annex.multiple"), "small", keep_with_next=True))
    blocks.append(_Bullets(question.options, keep_together=True))
    return blocks


def _either(options: Sequence[str], strings: Translator) -> str:
    """``”A”, ”B” eller ”C”``."""
    quoted = [strings("report.annex.option", option=option) for option in options]
    if len(quoted) == 1:
        return quoted[0]
    return strings("report.annex.either", first=", ".join(quoted[:-1]), last=quoted[-1])


def _quote(quote: Quote, strings: Translator) -> _Quote:
    translation = None
    if quote.translation:
        translation = strings("report.quote.translation", text=quote.translation)
    return _Quote(
        text=quote.text,
        right_to_left=_right_to_left(quote.text),
        source=strings("report.quote.language", language=quote.language_name),
        translation=translation,
    )


def _ethiopic(text: str) -> bool:
    return any("\u1200" <= char <= "\u139f" or "\u2d80" <= char <= "\u2ddf" for char in text)


def _font(run: Run, name: str) -> None:
    """Set the font for every kind of text in the run (Latin, complex script, East Asian)."""
    fonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    for kind in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(kind), name)


def _right_to_left(text: str) -> bool:
    """Whether most of the text's letters are written right to left (Arabic, Persian, Sorani)."""
    right = left = 0
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            right += 1
        elif kind == "L":
            left += 1
    return right > left


def _date(iso: str) -> str:
    """The date part of an ISO date or date and time: ``2026-11-27``."""
    try:
        return datetime.fromisoformat(iso).date().isoformat()
    except ValueError:
        return iso.split("T")[0]


def _clean(text: str) -> str:
    """The text without characters XML cannot hold (control characters, lone surrogates)."""
    return "".join(
        char
        for char in text
        if char in "\t\n"
        or (ord(char) >= 0x20 and not 0xD800 <= ord(char) <= 0xDFFF and char not in "\ufffe\uffff")
    )


# Markdown.

# Characters that would start Markdown formatting (or raw HTML) inside a text.
_MARKDOWN_SPECIAL = str.maketrans({char: f"\\{char}" for char in "\\`*_[]<>#|~"})


def _md(text: str) -> str:
    """One line of text, Markdown's special characters escaped (no-break spaces kept)."""
    return re.sub(r"[ \t\r\n]+", " ", _clean(text)).strip().translate(_MARKDOWN_SPECIAL)


def _write_markdown(blocks: Sequence[_Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, _Heading):
            parts.append(f"{'#' * (block.level + 1)} {_md(block.text)}")
        elif isinstance(block, _Text):
            if block.kind == "banner":
                parts.append(f"> **{_md(block.text)}**")
            elif block.kind == "banner_detail":
                parts[-1] += f"\n>\n> {_md(block.text)}"  # in the banner's box
            elif block.kind == "small":
                parts.append(f"*{_md(block.text)}*")
            else:
                parts.append(_md(block.text))
        elif isinstance(block, _Bullets):
            parts.append("\n".join(f"- {_md(item)}" for item in block.items))
        elif isinstance(block, _Table):
            lines = [
                "| " + " | ".join(_md(cell) for cell in block.header) + " |",
                "| :-- | " + " | ".join("--:" for _ in block.header[1:]) + " |",
            ]
            notes = block.notes or ("",) * len(block.rows)
            for row, note in zip(block.rows, notes, strict=True):
                first = _md(row[0]) + (f"<br>*{_md(note)}*" if note else "")
                lines.append("| " + " | ".join((first, *(_md(cell) for cell in row[1:]))) + " |")
            parts.append("\n".join(lines))
        elif isinstance(block, _Quote):
            parts.append(_markdown_quote(block))
        # Charts: Markdown has the table instead.
    return "\n\n".join(parts) + "\n"


def _markdown_quote(quote: _Quote) -> str:
    lines = []
    for line in _clean(quote.text).splitlines():
        if line.strip():
            text = _md(line)
            lines.append(f"> *{RLI}{text}{PDI}*" if quote.right_to_left else f"> *{text}*")
    lines.append(f"> {_md(quote.source)}")
    if quote.translation:
        lines.append(f"> {_md(quote.translation)}")
    return "\n>\n".join(lines)


# Word.


def _write_docx(blocks: Sequence[_Block], evidence: Evidence, strings: Translator) -> bytes:
    document = Document()
    _set_up(document, evidence, strings)
    for block in blocks:
        if isinstance(block, _Heading):
            paragraph = document.add_heading(_clean(block.text), block.level)
            if block.new_page:
                paragraph.paragraph_format.page_break_before = True
        elif isinstance(block, _Text):
            _docx_text(document, block)
        elif isinstance(block, _Bullets):
            for index, item in enumerate(block.items, start=1):
                paragraph = document.add_paragraph(_clean(item), style="List Bullet")
                if block.keep_together and index < len(block.items):
                    paragraph.paragraph_format.keep_with_next = True
        elif isinstance(block, _Table):
            _docx_table(document, block)
        elif isinstance(block, _Chart):
            _docx_chart(document, block)
        else:
            _docx_quote(document, block)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _set_up(document: DocxDocument, evidence: Evidence, strings: Translator) -> None:
    """A4 with 2.5 cm margins, Swedish as the language, near-black headings, the footer."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)

    # Spelling and hyphenation in Swedish (the template's default is American English).
    for lang in document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang"):
        lang.set(qn("w:val"), "sv-SE")
    document.styles["Normal"].font.size = Pt(11)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4"):
        document.styles[name].font.color.rgb = NEAR_BLACK

    title_key = "report.title_synthetic" if evidence.synthetic else "report.title"
    properties = document.core_properties
    properties.title = strings(title_key)
    properties.author = properties.last_modified_by = strings("report.author")
    properties.language = "sv-SE"
    properties.revision = 1
    try:
        created = datetime.fromisoformat(evidence.generated_at)
    except ValueError:
        created = None
    if created is not None:
        # The document's properties are in UTC; a time without a zone is taken as it stands.
        if created.tzinfo is not None:
            created = created.astimezone(UTC).replace(tzinfo=None)
        properties.created = properties.modified = created

    if evidence.synthetic:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        header.add_run(strings("report.synthetic.banner")).bold = True

    # "… Sida {page}": the page number is a field that Word fills in on each page.
    marker = "\x00"
    footer_text = strings("report.footer", date=_date(evidence.generated_at), page=marker)
    before, _, after = footer_text.partition(marker)
    document.styles["Footer"].font.size = Pt(9)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(before)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    number = OxmlElement("w:t")
    number.text = "1"
    run.append(number)
    field.append(run)
    footer._p.append(field)
    if after:
        footer.add_run(after)


def _paragraph_property(paragraph: Paragraph, element: BaseOxmlElement) -> None:
    """Add a property to a paragraph, in the place the schema requires."""
    name = "w:" + element.tag.rsplit("}", 1)[-1]
    successors = PARAGRAPH_PROPERTIES[PARAGRAPH_PROPERTIES.index(name) + 1 :]
    paragraph._p.get_or_add_pPr().insert_element_before(element, *successors)


def _docx_text(document: DocxDocument, block: _Text) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.keep_with_next = block.keep_with_next or None
    run = paragraph.add_run(_clean(block.text))
    if block.kind == "subtitle":
        run.font.size = Pt(13)
    elif block.kind == "small":
        run.font.size = Pt(9.5)
    elif block.kind in ("banner", "banner_detail"):
        if block.kind == "banner":
            run.bold = True
            run.font.size = Pt(16)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        # The same border on the banner and its detail: Word draws one box around both.
        borders = OxmlElement("w:pBdr")
        for side in ("top", "left", "bottom", "right"):
            border = OxmlElement(f"w:{side}")
            border.set(qn("w:val"), "single")
            border.set(qn("w:sz"), "12")
            border.set(qn("w:space"), "4")
            border.set(qn("w:color"), "000000")
            borders.append(border)
        _paragraph_property(paragraph, borders)
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), BANNER_FILL)
        _paragraph_property(paragraph, shading)
        if block.kind == "banner":
            paragraph.paragraph_format.space_after = Pt(0)


def _docx_table(document: DocxDocument, block: _Table) -> None:
    table = document.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    # Fixed widths, written both on the grid and on each cell: Word reads the cells,
    # LibreOffice the grid, and neither then shrinks the label column to fit the figures.
    table.autofit = False
    figure_widths = [Cm(width) for width in block.figure_widths] or [Cm(3.5)] * (len(block.header) - 1)
    widths = [TEXT_WIDTH - sum(figure_widths, Cm(0)), *figure_widths]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    # The header row repeats on each page the table runs over.
    header_row = table.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_row._tr.get_or_add_trPr().append(repeat)
    notes = block.notes or ("",) * len(block.rows)
    # A short table is kept whole and with what follows it; a long one (the claims with their
    # readings, a breakdown) would only leave a page empty, so it runs on, repeating its header.
    whole = not block.notes and len(block.rows) <= KEPT_WHOLE_ROWS
    for number, (row, values, note) in enumerate(
        zip(table.rows, (block.header, *block.rows), ("", *notes), strict=True)
    ):
        # A row is never split across pages, and each row keeps to the next, so that a table
        # of a page or less stays whole and on the page of what follows it.
        row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))  # first, as the schema orders
        for index, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = widths[index]
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            paragraph.paragraph_format.keep_with_next = whole or number == 0
            run = paragraph.add_run(_clean(value))
            if number == 0:  # the header
                run.bold = True
                run.font.size = Pt(9.5)  # a long column name fits its figure column unbroken
            if index:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif note:
                reading = cell.add_paragraph()
                reading.paragraph_format.space_after = Pt(0)
                reading.paragraph_format.keep_with_next = whole
                small = reading.add_run(_clean(note))
                small.font.size = Pt(9)
                small.italic = True
    spacer = document.add_paragraph()  # space after the table, kept with what follows
    spacer.paragraph_format.keep_with_next = whole
    spacer.paragraph_format.space_after = Pt(0)


def _docx_chart(document: DocxDocument, block: _Chart) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.keep_with_next = block.keep_with_next or None
    shape = paragraph.add_run().add_picture(io.BytesIO(block.draw()), width=TEXT_WIDTH)
    # Alternative text for screen readers.
    for properties in shape._inline.xpath("wp:docPr"):
        properties.set("descr", _clean(block.description))


def _docx_quote(document: DocxDocument, block: _Quote) -> None:
    paragraph = document.add_paragraph(style="Quote")
    layout = paragraph.paragraph_format
    layout.left_indent = layout.right_indent = Cm(1)
    layout.space_after = Pt(2)
    layout.keep_with_next = True  # the quote stays with its language and translation
    run = paragraph.add_run(_clean(block.text))
    run.italic = True
    if _ethiopic(block.text):
        _font(run, ETHIOPIC_FONT)
    if block.right_to_left:
        # The paragraph runs right to left in Word; its runs are right-to-left (complex script)
        # text, which takes its italics from the complex-script setting.
        _paragraph_property(paragraph, OxmlElement("w:bidi"))
        run.font.rtl = True
        run.font.cs_italic = True
    source = document.add_paragraph()
    source.paragraph_format.left_indent = Cm(1)
    source.paragraph_format.keep_with_next = bool(block.translation)
    source.add_run(_clean(block.source)).font.size = Pt(9.5)
    if block.translation:
        translation = document.add_paragraph()
        translation.paragraph_format.left_indent = Cm(1)
        translation.add_run(_clean(block.translation))
