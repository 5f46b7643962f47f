"""What admins read in the chat: protected figures laid out as short Swedish text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n.catalogue import Translator
from bot.report.evidence import NoRelease
from bot.report.figures import Cell, CrossTable, Distribution, Evidence, Headline
from bot.report.numbers import format_count as number
from bot.report.numbers import format_share as percent
from bot.survey.callbacks import MAX_CALLBACK_BYTES
from bot.survey.definition import is_code
from bot.survey.views import Reply


def _cell(t: Translator, cell: Cell) -> str:
    if cell.count is None:
        return t("admin.hidden")
    if cell.share is None:
        return number(cell.count)
    return t("admin.cell", count=number(cell.count), share=percent(cell.share))


def _headline(t: Translator, headline: Headline) -> str:
    if headline.base is None or headline.count is None or headline.share is None:
        return f"• {headline.label}: {t('admin.hidden')}"
    value = t(
        "admin.value", count=number(headline.count), base=number(headline.base), share=percent(headline.share)
    )
    line = f"• {headline.label}: {value}"
    if not headline.parts or headline.count == 0:
        return line
    parts = ", ".join(
        t(
            "admin.headline.part",
            label=part.label,
            count=t("admin.hidden") if part.count is None else number(part.count),
        )
        for part in headline.parts
    )
    return t("admin.headline.parts", headline=line, parts=parts)


def _groups(t: Translator, heading: str, distribution: Distribution) -> list[str]:
    if not distribution.cells:
        return []
    return ["", heading, *(f"• {cell.label}: {_cell(t, cell)}" for cell in distribution.cells)]


def summary(t: Translator, evidence: Evidence) -> Reply:
    lines = [t("admin.summary.title", survey=evidence.survey_id, version=evidence.survey_version)]
    if evidence.synthetic:
        lines.append(t("admin.synthetic"))
    lines.append(t("admin.release.date", date=evidence.generated_at))
    period = t("admin.period", first=evidence.period_start, last=evidence.period_end)
    lines.append(
        t(
            "admin.summary.counts",
            started=t("admin.hidden") if evidence.started is None else number(evidence.started),
            completed=t("admin.hidden") if evidence.completed is None else number(evidence.completed),
            period=period,
        )
    )
    lines += ["", t("admin.summary.headlines"), *(_headline(t, h) for h in evidence.headlines)]
    lines += _groups(t, t("admin.summary.by_language"), evidence.languages)
    lines += _groups(t, t("admin.summary.by_area"), evidence.areas)
    lines += _groups(t, t("admin.summary.by_age"), evidence.ages)
    lines += ["", t("admin.hidden_note"), t("admin.summary.more")]
    return Reply("\n".join(lines))


def no_release(t: Translator, waiting: NoRelease) -> Reply:
    return Reply(
        t(
            "admin.no_release",
            started=number(waiting.started),
            completed=number(waiting.completed),
            needed=number(waiting.needed),
        )
    )


def distribution(t: Translator, distribution: Distribution) -> Reply:
    lines = [distribution.title]
    # Where some were not asked the question, the base is those who were.
    base_key = "admin.base" if distribution.not_asked == 0 else "admin.base_asked"
    if distribution.base is None:
        lines.append(t(base_key, base=t("admin.hidden")))
    else:
        lines.append(t(base_key, base=number(distribution.base)))
        lines += [f"• {cell.label}: {_cell(t, cell)}" for cell in distribution.cells]
        skipped = t("admin.hidden") if distribution.skipped is None else number(distribution.skipped)
        lines.append(t("admin.skipped", count=skipped))
    if distribution.not_asked != 0:
        not_asked = t("admin.hidden") if distribution.not_asked is None else number(distribution.not_asked)
        lines.append(t("admin.not_asked", count=not_asked))
    if distribution.multiple:
        lines.append(t("admin.multiple"))
    lines.append(t("admin.hidden_note"))
    return Reply("\n".join(lines))


def cross_table(t: Translator, table: CrossTable) -> Reply:
    lines = [table.title, t("admin.stats.by", grouping=table.grouping_title)]
    for label, base, cells in table.rows:
        shown_base = t("admin.hidden") if base is None else number(base)
        lines += ["", f"▸ {label} ({shown_base})"]
        # A group's cells are released on their own: a hidden size does not hide them.
        lines += [f"   • {cell.label}: {_cell(t, cell)}" for cell in cells]
    if table.multiple:
        lines.append(t("admin.multiple"))
    lines += ["", t("admin.hidden_note")]
    return Reply("\n".join(lines))


# -- /stats as buttons -------------------------------------------------------------------------
#
# st:m                      the list of questions
# st:q:<index>              one question's figures (index into the evidence's question ids)
# st:b:<index>:<grouping>   that question broken down by a grouping id
#
# Indices rather than ids keep the data short whatever a question is called; the text of each
# view names its question, so a press after the survey changed cannot mislead.
STATS_PREFIX = "st:"
# Two titles share a row only if both fit beside each other on a phone.
SHORT_TITLE_CHARS = 20


def stats_menu_data() -> str:
    return f"{STATS_PREFIX}m"


def stats_question_data(index: int) -> str:
    return f"{STATS_PREFIX}q:{index}"


def stats_breakdown_data(index: int, grouping: str) -> str:
    return f"{STATS_PREFIX}b:{index}:{grouping}"


def _rows(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        previous = rows[-1] if rows else None
        if (
            previous is not None
            and len(previous) == 1
            and len(previous[0].text) <= SHORT_TITLE_CHARS
            and len(button.text) <= SHORT_TITLE_CHARS
        ):
            previous.append(button)
        else:
            rows.append([button])
    return rows


def stats_menu(t: Translator, titles: Sequence[str]) -> Reply:
    """The question list ("Välj en fråga"): one button per question, in the survey's order."""
    buttons = [
        InlineKeyboardButton(title, callback_data=stats_question_data(index))
        for index, title in enumerate(titles)
    ]
    return Reply(t("admin.stats.choose"), InlineKeyboardMarkup(_rows(buttons)))


def _with_keyboard(reply: Reply, rows: list[list[InlineKeyboardButton]]) -> Reply:
    return Reply(reply.text, InlineKeyboardMarkup(rows), reply.direction)


def stats_question(t: Translator, index: int, figures: Distribution, groupings: Sequence[str]) -> Reply:
    """A question's figures, with a button for each breakdown and one back to the list."""
    breakdowns = [
        InlineKeyboardButton(
            t("admin.stats.by_button", grouping=t(f"admin.grouping.{grouping}")),
            callback_data=stats_breakdown_data(index, grouping),
        )
        for grouping in groupings
    ]
    back = [InlineKeyboardButton(t("admin.stats.all_questions"), callback_data=stats_menu_data())]
    return _with_keyboard(distribution(t, figures), [*_rows(breakdowns), back])


def stats_breakdown(t: Translator, index: int, table: CrossTable) -> Reply:
    """A question broken down, with buttons back to the question and to the list."""
    back = [
        InlineKeyboardButton(t("admin.stats.question"), callback_data=stats_question_data(index)),
        InlineKeyboardButton(t("admin.stats.all_questions"), callback_data=stats_menu_data()),
    ]
    return _with_keyboard(cross_table(t, table), [back])


@dataclass(frozen=True, slots=True)
class StatsPress:
    """What a /stats button asks for: the list (no question), a question, or its breakdown."""

    question_index: int | None = None
    grouping: str | None = None


def parse_stats_data(data: str | None) -> StatsPress | None:
    """The press, or None for anything malformed (an old or forged button)."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES or not data.startswith(STATS_PREFIX):
        return None
    parts = data.removeprefix(STATS_PREFIX).split(":")
    if parts == ["m"]:
        return StatsPress()
    if len(parts) < 2 or not parts[1].isascii() or not parts[1].isdigit() or len(parts[1]) > 3:
        return None
    index = int(parts[1])
    if parts[0] == "q" and len(parts) == 2:
        return StatsPress(index)
    if parts[0] == "b" and len(parts) == 3 and is_code(parts[2]):
        return StatsPress(index, parts[2])
    return None
