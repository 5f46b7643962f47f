"""Concurrent update processing that still handles each resident's updates in order."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from bot.metrics import Metrics
from bot.telegram.flood import FloodGuard

logger = logging.getLogger(__name__)


def _sender_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class PerResidentUpdateProcessor(BaseUpdateProcessor):
    """Residents are served side by side; two quick presses by one resident are not.

    Without the per-resident lock a double tap could read the same question twice and store
    an answer for the wrong step.

    Flood control (``flood``) sits here rather than in a handler: an update is judged when it
    arrives, before it queues behind the resident's earlier ones. Queued, a flood would hold
    one of the ``max_concurrent_updates`` slots per update while waiting for the resident's
    lock, and crowd out everyone else; judged on arrival, an excess update gives its slot back
    at once. It also sees whether the resident still has updates in progress, which the
    flood rules use (see bot/telegram/flood.py).
    """

    def __init__(
        self,
        max_concurrent_updates: int,
        flood: FloodGuard | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.flood = flood
        self.metrics = metrics
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _sender_key(update)
        if key is None:
            await coroutine
            return
        if self.flood is not None and not self.flood.admit(key, update, busy=key in self._waiting):
            if self.metrics is not None:
                self.metrics.updates_dropped += 1
            await _drop(update, coroutine)
            return
        arrived = time.monotonic()
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
            if self.metrics is not None:
                self.metrics.observe_update(time.monotonic() - arrived)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                # Forget idle residents so the table does not grow with every visitor.
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


async def _drop(update: object, coroutine: Awaitable[Any]) -> None:
    """Leave an update unhandled; a button press is still answered so its spinner stops."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()  # never started: closing it keeps Python from warning
    if isinstance(update, Update) and update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError as error:
            logger.warning("could not answer a dropped button press: %s", type(error).__name__)
