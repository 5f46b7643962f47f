"""What admins read in the chat: protected figures laid out as short Swedish text."""

from __future__ import annotations

from bot.i18n.catalogue import Translator
from bot.report.figures import Cell, CrossTable, Distribution, Evidence, Headline
from bot.report.numbers import format_count as number
from bot.report.numbers import format_share as percent
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
    return f"• {headline.label}: {value}"


def _groups(t: Translator, heading: str, distribution: Distribution) -> list[str]:
    if not distribution.cells:
        return []
    return ["", heading, *(f"• {cell.label}: {_cell(t, cell)}" for cell in distribution.cells)]


def summary(t: Translator, evidence: Evidence) -> Reply:
    lines = [t("admin.summary.title", survey=evidence.survey_id, version=evidence.survey_version)]
    if evidence.synthetic:
        lines.append(t("admin.synthetic"))
    if evidence.started == 0:
        return Reply("\n".join([*lines, "", t("admin.nothing_yet")]))
    period = t("admin.period", first=evidence.period_start, last=evidence.period_end)
    lines.append(
        t(
            "admin.summary.counts",
            started=number(evidence.started),
            completed=number(evidence.completed),
            period=period,
        )
    )
    lines += ["", t("admin.summary.headlines"), *(_headline(t, h) for h in evidence.headlines)]
    lines += _groups(t, t("admin.summary.by_language"), evidence.languages)
    lines += _groups(t, t("admin.summary.by_area"), evidence.areas)
    lines += _groups(t, t("admin.summary.by_age"), evidence.ages)
    lines += ["", t("admin.hidden_note"), t("admin.summary.more")]
    return Reply("\n".join(lines))


def distribution(t: Translator, distribution: Distribution) -> Reply:
    lines = [distribution.title]
    if distribution.base is None:
        lines.append(t("admin.base", base=t("admin.hidden")))
    else:
        lines.append(t("admin.base", base=number(distribution.base)))
        lines += [f"• {cell.label}: {_cell(t, cell)}" for cell in distribution.cells]
        skipped = t("admin.hidden") if distribution.skipped is None else number(distribution.skipped)
        lines.append(t("admin.skipped", count=skipped))
    if distribution.multiple:
        lines.append(t("admin.multiple"))
    lines.append(t("admin.hidden_note"))
    return Reply("\n".join(lines))


def cross_table(t: Translator, table: CrossTable) -> Reply:
    lines = [table.title, t("admin.stats.by", grouping=table.grouping_title)]
    for label, base, cells in table.rows:
        shown_base = t("admin.hidden") if base is None else number(base)
        lines += ["", f"▸ {label} ({shown_base})"]
        if base is not None:
            lines += [f"   • {cell.label}: {_cell(t, cell)}" for cell in cells]
    if table.multiple:
        lines.append(t("admin.multiple"))
    lines += ["", t("admin.hidden_note")]
    return Reply("\n".join(lines))
