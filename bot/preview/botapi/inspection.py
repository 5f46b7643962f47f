"""What tests and the preview page look at: the bot's messages, its activity and whether it is idle."""

from __future__ import annotations

import asyncio
import bisect
import copy
from typing import Any

from bot.preview.botapi.state import BotApiState, Event


class BotInspection(BotApiState):
    """Views of the chats and the pending updates, and waits for the bot to act or fall idle."""

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in the chat, oldest first, in their current state.

        Each is ``{"message_id", "date", "text" (as sent, markup included), "caption",
        "parse_mode", "reply_markup", "edited", "deleted", "document"}``; ``document`` includes
        the uploaded ``data`` bytes. Deleted messages stay in the list with ``deleted: True``.
        """
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [chat.messages[message_id].view() for message_id in chat.bot_message_ids]

    def conversation(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message in the chat, the user's and the bot's, oldest first, in their current
        state (same shape as chat_messages, with ``outgoing`` telling who wrote it)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [chat.messages[message_id].view() for message_id in sorted(chat.messages)]

    def last_bot_message(self, chat_id: int) -> dict[str, Any] | None:
        """The bot's most recent message in the chat that is not deleted, or None."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return None
        for message_id in reversed(chat.bot_message_ids):
            stored = chat.messages[message_id]
            if not stored.deleted:
                return stored.view()
        return None

    def event_seq(self) -> int:
        """Sequence number of the latest outgoing event; pass it as ``since``."""
        return self._seq

    def events(self, chat_id: int | None = None, *, since: int = 0) -> list[Event]:
        """Outgoing events after ``since`` (all chats, or one chat)."""
        events = self._events if chat_id is None else self._chat_events.get(chat_id, [])
        start = bisect.bisect_right(events, since, key=lambda event: event["seq"])
        return events[start:]

    async def wait_for_bot_activity(self, chat_id: int, *, since: int, timeout: float = 5.0) -> list[Event]:
        """Wait for outgoing events in the chat newer than ``since`` and return them all.

        Events are dicts ``{"seq", "method", "chat_id", "message_id", "params", "message"}``
        where ``message`` is the chat_messages() view right after the call (None for
        answerCallbackQuery). Raises TimeoutError if nothing happens within ``timeout``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            new = self.events(chat_id, since=since)
            if new:
                return new
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [method for method, _ in self.calls[-5:]]
                raise TimeoutError(
                    f"no bot activity in chat {chat_id} after event {since} within {timeout}s "
                    f"(last calls: {recent})"
                )
            waiter: asyncio.Future[None] = loop.create_future()
            waiters = self._chat_waiters.setdefault(chat_id, [])
            waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                if waiter in waiters:
                    waiters.remove(waiter)

    def callback_answers(self) -> dict[str, dict[str, Any]]:
        """Callback query id -> the answerCallbackQuery parameters, for answered queries."""
        return {
            query_id: dict(query.answer)
            for query_id, query in self._callback_queries.items()
            if query.answer is not None
        }

    def file_bytes(self, file_id: str) -> bytes | None:
        """The stored bytes of an uploaded or simulated file, or None."""
        stored = self._files.get(file_id)
        return stored.data if stored is not None else None

    def pending_updates(self) -> int:
        """Number of enqueued updates the bot has not confirmed yet."""
        return len(self._updates)

    async def wait_until_idle(self, timeout: float = 5.0, *, quiet: float = 0.1) -> None:
        """Best effort: wait until every enqueued update was fetched, no request other than
        a long poll is running and none finished for ``quiet`` seconds.

        Raises TimeoutError after ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            now = loop.time()
            if (
                self._max_delivered_update_id >= self._last_update_id
                and self._in_flight == 0
                and now - self._last_activity >= quiet
            ):
                return
            if now >= deadline:
                raise TimeoutError(
                    f"bot not idle after {timeout}s (in flight: {self._in_flight}, "
                    f"undelivered updates: {self._last_update_id - self._max_delivered_update_id})"
                )
            await asyncio.sleep(min(0.02, max(deadline - now, 0.001)))

    def take_updates(self) -> list[dict[str, Any]]:
        """Remove and return every pending update, for tests that feed the Application
        directly instead of letting it poll."""
        taken = [copy.deepcopy(update) for _, update in self._updates]
        self._updates.clear()
        self._updates_available.clear()
        return taken
