"""Bar charts for the report: PNG images that read the same printed in black and white.

Built with matplotlib's object API (a ``Figure`` on its own Agg canvas), never ``pyplot``: the
bot builds reports in a worker thread, and pyplot keeps global state. The charts only lay out
figures already protected in ``bot.report.figures``: a hidden count gets no bar, only the catalogue's
"fewer than 5" text, and nothing is added up.
"""

from __future__ import annotations

import io
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.i18n.catalogue import Translator
from bot.privacy.disclosure import MINIMUM as MIN_GROUP_SIZE
from bot.report.figures import Distribution, Theme
from bot.report.numbers import format_count, format_share

# Swedish number format: a no-break space between thousands ("1 234") and before the per cent
# sign ("45 %"), so that a number never breaks across lines; a decimal comma.

# 16 cm, the text width of an A4 page with 2.5 cm margins, at 150 dpi.
WIDTH_INCHES = 16 / 2.54
DPI = 150
FONT_SIZE = 10  # points; the image is placed at its own size, so this is the printed size
BAR_COLOUR = "#404040"  # dark grey: prints the same on any printer
TEXT_COLOUR = "#000000"
# An estimate of one character's width at FONT_SIZE in DejaVu Sans, matplotlib's default font;
# used to leave room for labels and values without an extra drawing pass to measure them.
CHAR_INCHES = FONT_SIZE * 0.6 / 72
LINE_INCHES = FONT_SIZE * 1.25 / 72
LABEL_CHARS = 32  # labels wrap at about this many characters
TITLE_CHARS = 66  # the title runs the chart's full width; bold text is wider than CHAR_INCHES
MARGIN_INCHES = 0.12


def hidden_text(strings: Translator) -> str:
    """What a count hidden by small-count protection reads: "..", small or hidden to protect one."""
    return strings("report.hidden", threshold=MIN_GROUP_SIZE)


def count_text(strings: Translator, count: int | None, share: float | None) -> str:
    """``"123 (45 %)"``, ``"123"`` without a share, or the hidden text."""
    if count is None:
        return hidden_text(strings)
    if share is None:
        return format_count(count)
    return strings("report.count_share", count=format_count(count), share=format_share(share))


@dataclass(frozen=True, slots=True)
class _Bar:
    label: str
    count: int | None
    share: float | None


def bar_chart(distribution: Distribution, strings: Translator, *, synthetic: bool = False) -> bytes:
    """One horizontal bar per answer option, in the survey's order, as a PNG, titled with the
    question and its base: a chart copied out of the report still says what it shows."""
    return _draw(
        [_Bar(cell.label, cell.count, cell.share) for cell in distribution.cells],
        strings,
        title=distribution.title,
        note=_note(strings, "report.chart.base", distribution.base, synthetic),
    )


def theme_chart(
    themes: Sequence[Theme], strings: Translator, *, written: int | None = None, synthetic: bool = False
) -> bytes:
    """One horizontal bar per theme (stories with that theme), in the given order, as a PNG."""
    return _draw(
        [_Bar(theme.title, theme.count, theme.share) for theme in themes],
        strings,
        title=strings("report.chart.themes_title"),
        note=_note(strings, "report.chart.stories_base", written, synthetic),
    )


def _note(strings: Translator, key: str, base: int | None, synthetic: bool) -> str:
    note = strings(key, base=count_text(strings, base, None))
    if synthetic:
        note = f"{note} · {strings('report.chart.synthetic')}"
    return note


def _printable(label: str) -> str:
    """The label without pictographs (the chart font has none), in composed form."""
    kept = (
        char
        for char in unicodedata.normalize("NFC", label)
        if unicodedata.category(char) != "So" and char not in "\ufe0e\ufe0f\u200d"
    )
    return " ".join("".join(kept).split())


def _draw(bars: list[_Bar], strings: Translator, *, title: str, note: str) -> bytes:
    labels = [textwrap.fill(_printable(bar.label), LABEL_CHARS) or " " for bar in bars]
    values = [count_text(strings, bar.count, bar.share) for bar in bars]
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    row_inches = max(0.34, lines * LINE_INCHES + 0.14)
    heading = textwrap.fill(_printable(title), TITLE_CHARS)
    heading_inches = (heading.count("\n") + 1) * LINE_INCHES * 1.1 + 0.12
    note_inches = LINE_INCHES + 0.1
    bars_inches = max(1, len(bars)) * row_inches
    height = bars_inches + heading_inches + note_inches + 2 * MARGIN_INCHES

    longest_line = max((len(line) for label in labels for line in label.split("\n")), default=1)
    label_inches = longest_line * CHAR_INCHES + 0.15
    left = min(max(label_inches / WIDTH_INCHES, 0.12), 0.45)
    right_margin = MARGIN_INCHES
    axes_inches = WIDTH_INCHES * (1 - left) - right_margin
    # Room after the longest bar for its value, so that the text stays inside the image.
    shown = [bar.count for bar in bars if bar.count is not None]
    longest = max(shown, default=0)
    value_inches = max((len(value) for value in values), default=1) * CHAR_INCHES + 0.15
    bar_room = max(axes_inches - value_inches, axes_inches * 0.3)
    x_max = longest * axes_inches / bar_room if longest else 1.0

    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(
        left=left,
        right=1 - right_margin / WIDTH_INCHES,
        top=1 - (MARGIN_INCHES + heading_inches) / height,
        bottom=(MARGIN_INCHES + note_inches) / height,
    )
    figure.text(
        MARGIN_INCHES / WIDTH_INCHES,
        1 - MARGIN_INCHES / height,
        heading,
        ha="left",
        va="top",
        fontsize=FONT_SIZE,
        fontweight="bold",
        color=TEXT_COLOUR,
    )
    figure.text(
        MARGIN_INCHES / WIDTH_INCHES,
        MARGIN_INCHES / height,
        _printable(note),
        ha="left",
        va="bottom",
        fontsize=FONT_SIZE - 1,
        color=TEXT_COLOUR,
    )
    axes = figure.add_subplot()
    positions = list(range(len(bars)))
    for position, bar, value in zip(positions, bars, values, strict=True):
        if bar.count is not None:
            axes.barh(position, bar.count, height=0.62, color=BAR_COLOUR)
        # A little after the bar's end (or at the axis, for a hidden count or a zero).
        axes.annotate(
            value,
            xy=(bar.count or 0, position),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=FONT_SIZE,
            color=TEXT_COLOUR,
            style="italic" if bar.count is None else "normal",
        )
    axes.set_yticks(positions, labels=labels, fontsize=FONT_SIZE, color=TEXT_COLOUR)
    axes.tick_params(axis="y", length=0, pad=6)
    axes.set_ylim(len(bars) - 0.5, -0.5)  # the first option on top
    axes.set_xlim(0, x_max)
    axes.set_xticks([])
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.spines["left"].set_color(TEXT_COLOUR)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
