"""Updates that python-telegram-bot cannot read are skipped, not retried for ever.

A single update the library fails to parse (a field out of range, a shape it does not know) makes
``Bot.get_updates`` raise for the whole batch. The polling loop then asks for the same batch again
and again, and no resident is answered until a restart. Here the batch is read one update at a
time instead; an unreadable update is replaced by an empty one with the same ``update_id``, so
polling moves past it and no handler sees it. The webhook reads its single update the same way.

Nothing of an unreadable update is logged but its id and the kind of error: it may hold a
resident's words, and it never reached the scrubber.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import ExtBot
from telegram.request import BaseRequest

logger = logging.getLogger(__name__)

OnSkipped = Callable[[], None]


def read_update(data: object, bot: Bot, on_skipped: OnSkipped | None = None) -> Update | None:
    """The update in ``data``; for one the library cannot read, an empty update carrying only
    its id (or None when even the id is unusable)."""
    try:
        return Update.de_json(data, bot)  # type: ignore[arg-type]
    except Exception as error:  # the library raises whatever its parsing meets
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if on_skipped is not None:
            on_skipped()
        if type(update_id) is not int:
            logger.warning("skipped an unreadable update without a usable id (%s)", type(error).__name__)
            return None
        logger.warning("skipped update %d: it could not be read (%s)", update_id, type(error).__name__)
        empty = Update(update_id=update_id)
        empty.set_bot(bot)
        return empty


class SkippingBot(ExtBot[None]):
    """ExtBot whose ``get_updates`` survives updates it cannot parse (see the module text)."""

    def __init__(self, *args: Any, on_skipped: OnSkipped | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_skipped = on_skipped

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: Any = None,
        allowed_updates: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> tuple[Update, ...]:
        try:
            return await super().get_updates(
                offset=offset, limit=limit, timeout=timeout, allowed_updates=allowed_updates, **kwargs
            )
        except TelegramError:
            raise  # network faults and Telegram's refusals: the polling loop retries those
        except Exception:
            # The batch was fetched but could not be read. It is still unconfirmed, so asking
            # again at once (without waiting for new ones) returns it, to be read one by one.
            raw = await self.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": offset,
                    "limit": limit,
                    "timeout": 0,
                    "allowed_updates": allowed_updates,
                },
            )
            updates = []
            for data in raw if isinstance(raw, list) else ():
                update = read_update(data, self, self._on_skipped)
                if update is not None:
                    self.insert_callback_data(update)
                    updates.append(update)
            return tuple(updates)


def skipping_bot(
    token: str,
    *,
    request: BaseRequest,
    get_updates_request: BaseRequest,
    base_url: str | None,
    base_file_url: str | None,
    on_skipped: OnSkipped | None,
) -> SkippingBot:
    urls = {"base_url": base_url, "base_file_url": base_file_url}
    return SkippingBot(
        token,
        request=request,
        get_updates_request=get_updates_request,
        on_skipped=on_skipped,
        **{name: url for name, url in urls.items() if url},
    )
