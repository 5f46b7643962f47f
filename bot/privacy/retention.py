"""Erasing what the municipality has promised not to keep.

Run once at start and then daily while the bot runs; also available as
``python -m bot purge`` for a scheduler outside the bot.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from storage.interface import ResponseStore
from storage.models import notice_day

logger = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class PurgeResult:
    expired: int
    abandoned: int
    notices: int = 0


def _cutoff(now: datetime, days: int) -> str:
    return (now - timedelta(days=days)).isoformat(timespec="seconds")


async def purge(repository: ResponseStore, settings: Settings, *, now: datetime | None = None) -> PurgeResult:
    """Erase responses past the retention period and abandoned ones as the settings say."""
    now = now or datetime.now(UTC)
    expired = await repository.erase_started_before(_cutoff(now, settings.retention_days))
    abandoned = await repository.erase_abandoned(
        _cutoff(now, settings.abandon_days), with_answers=settings.abandoned_responses == "drop"
    )
    # A request for the municipality's answer is kept no longer than the answers themselves.
    notices = await repository.erase_result_notices_before(notice_day(_cutoff(now, settings.retention_days)))
    if expired or abandoned or notices:
        # Counts only: nothing that could tell who they were.
        logger.info(
            "retention: erased %d expired and %d abandoned responses and %d requests for the answer",
            expired,
            abandoned,
            notices,
        )
    return PurgeResult(expired, abandoned, notices)


async def purge_daily(repository: ResponseStore, settings: Settings) -> None:
    """Purge now and then once a day, for as long as the bot runs. A failed round is logged
    and tried again the next day; it never stops the bot."""
    while True:
        try:
            await purge(repository, settings)
        except Exception:
            logger.exception("retention: the daily purge failed; it will be tried again")
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)
