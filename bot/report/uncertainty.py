"""How uncertain a share is: the 95 % Wilson score interval, and whether two shares differ.

Wilson rather than the textbook "share ± 1.96 standard errors": that one runs below 0 % or above
100 % for small and extreme shares and covers less often than it claims; Wilson keeps to 0..1
and covers close to 95 % even for a base of a few dozen. The interval treats those who answered
as if they were a random sample: it is the least uncertainty a figure has. Who chose to answer
(self-selection) and who a Telegram survey cannot reach (mode) are not in it, and the report
says so. Whether two options differ is tested on their difference, not on whether their
intervals overlap (two overlapping intervals can still differ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.report.numbers import NBSP

Z_95 = 1.959963984540054  # the normal quantile for a two-sided 95 % interval


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


def wilson(count: int, base: int, z: float = Z_95) -> Interval:
    """The Wilson score interval of ``count`` out of ``base``."""
    if base <= 0 or not 0 <= count <= base:
        raise ValueError(f"no interval for {count} of {base}")
    share = count / base
    spread = z * z / base
    centre = (share + spread / 2) / (1 + spread)
    half = z * math.sqrt(share * (1 - share) / base + spread / (4 * base)) / (1 + spread)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def differ(first: int, second: int, base: int, *, exclusive: bool, z: float = Z_95) -> bool:
    """Whether two options' counts out of one base differ beyond sampling error, tested on the
    difference itself. For options that exclude each other (a single-choice question) the two
    shares are negatively correlated, which the variance of the difference takes into account.
    Where one person may choose both, their overlap is not known, so the worst case is assumed;
    that is the same as asking that the two normal intervals do not overlap."""
    if base <= 0:
        raise ValueError("no test on an empty base")
    a, b = first / base, second / base
    if exclusive:
        variance = (a + b - (a - b) ** 2) / base
    else:
        variance = (math.sqrt(a * (1 - a)) + math.sqrt(b * (1 - b))) ** 2 / base
    return abs(a - b) > z * math.sqrt(variance)


def format_interval(interval: Interval) -> str:
    """``"23–27 %"``: whole per cents, each end rounded to the nearest as shares are."""
    low = math.floor(round(interval.low * 100, 9) + 0.5)
    high = math.floor(round(interval.high * 100, 9) + 0.5)
    return f"{low}\u2013{high}{NBSP}%"
