"""Numbers as Swedish readers expect them: "1 234", "46 %"."""

from __future__ import annotations

import math

NBSP = "\u00a0"


def format_count(count: int) -> str:
    """``1234`` -> ``"1 234"`` (with a no-break space)."""
    return f"{count:,}".replace(",", NBSP)


def format_share(share: float) -> str:
    """``0.456`` -> ``"46 %"``; below one per cent one decimal: ``"0,4 %"``."""
    percent = round(share * 100, 9)  # so that 0.285 is 28.5, not 28.499999999999996
    if 0 < percent < 1:
        text = f"{math.floor(percent * 10 + 0.5) / 10:.1f}".replace(".", ",")
    else:
        text = str(math.floor(percent + 0.5))
    return f"{text}{NBSP}%"
