"""Flood control: a resident who sends far more than a person types gets only a few answers.

Each resident has a token bucket (`FLOOD_BURST` tokens, refilled at `FLOOD_REFILL_PER_SECOND`).
An update that finds no token is dropped before any handler runs: nothing is read or stored and
nothing is sent, except that a dropped button press is still answered (with no text) so the
button's spinner stops.

What costs a token:

- every message, command, edit or other update a resident sends;
- a button press that arrives while the bot is still busy with that resident's earlier updates
  (a double tap, or someone hammering a button).

A button press that arrives when the bot has answered everything the resident sent before costs
nothing: it answers what the bot just showed, so its pace is the bot's own. That is why someone
who answers question after question, however quickly, is never throttled, while thirty presses
in a second pile up behind the first and all but a few are dropped.

Memory stays bounded: a bucket that would have refilled completely is forgotten (it holds
nothing a new bucket would not), and at most `MAX_TRACKED_RESIDENTS` are kept at all.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from telegram import Update

__all__ = ["FLOOD_BURST", "FLOOD_REFILL_PER_SECOND", "FloodGuard", "TokenBuckets"]

logger = logging.getLogger(__name__)

# Five quick messages in a row pass (a story pasted in parts, a photo album); after that one
# update a second, which is faster than anyone types.
FLOOD_BURST = 5
FLOOD_REFILL_PER_SECOND = 1.0
# Far more residents than are ever active within the refill time; the oldest are forgotten first.
MAX_TRACKED_RESIDENTS = 100_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float  # when `tokens` was last brought up to date
    throttled: bool = False  # dropping updates at the moment (logged once per flood)


class TokenBuckets:
    """Per-key token buckets that forget keys whose bucket is full again."""

    def __init__(
        self,
        burst: float = FLOOD_BURST,
        refill_per_second: float = FLOOD_REFILL_PER_SECOND,
        *,
        max_keys: int = MAX_TRACKED_RESIDENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1 or refill_per_second <= 0 or max_keys < 1:
            raise ValueError("burst must be at least 1, the refill rate and max_keys positive")
        self.burst = float(burst)
        self.refill_per_second = float(refill_per_second)
        self.max_keys = max_keys
        self._clock = clock
        # Least recently charged first, so the forgettable buckets are at the front.
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: Hashable) -> tuple[bool, bool]:
        """Take a token for ``key``: (allowed, this is the first refusal of a flood)."""
        now = self._clock()
        self._forget_full(now)
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.refill_per_second)
            bucket.stamp = now
        allowed = bucket.tokens >= 1
        first_refusal = not allowed and not bucket.throttled
        if allowed:
            bucket.tokens -= 1
        bucket.throttled = not allowed
        self._buckets[key] = bucket  # re-inserted at the end: most recently charged
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed, first_refusal

    def _forget_full(self, now: float) -> None:
        # A bucket untouched for this long has refilled completely.
        full_after = self.burst / self.refill_per_second
        while self._buckets:
            bucket = next(iter(self._buckets.values()))
            if now - bucket.stamp < full_after:
                break
            self._buckets.popitem(last=False)


class FloodGuard:
    """Decides, per update, whether a resident's update is handled or dropped (see the module
    text for the rules)."""

    def __init__(self, buckets: TokenBuckets | None = None) -> None:
        self.buckets = buckets if buckets is not None else TokenBuckets()

    def admit(self, key: Hashable, update: object, *, busy: bool) -> bool:
        """Whether to handle ``update`` from resident ``key``; ``busy`` says whether an earlier
        update of theirs is still waiting or being handled."""
        if isinstance(update, Update) and update.callback_query is not None and not busy:
            return True
        allowed, first_refusal = self.buckets.take(key)
        if not allowed and first_refusal:
            # No id: how many residents flood is worth knowing, who is not.
            logger.info("a resident is sending faster than the flood limit; dropping their excess updates")
        return allowed
