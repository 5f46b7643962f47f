"""The smallest group any output may show: a count of 1 to MINIMUM - 1 respondents is hidden.

How counts are hidden, and checked that no hidden small count can be worked out from the rest,
is ``bot.release``; the consent text promises residents this threshold.
"""

from __future__ import annotations

MINIMUM = 5
