"""How updates reach the bot: it fetches them with getUpdates, or they are POSTed to its webhook."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

import aiohttp

from bot.preview.botapi.errors import bad_request
from bot.preview.botapi.loopback import is_loopback
from bot.preview.botapi.params import Params, Upload, as_bool, as_int
from bot.preview.botapi.state import BotApiState
from bot.preview.botapi.wire import encode_json


class UpdateDelivery(BotApiState):
    """getUpdates long polling and webhook delivery of the pending updates, in order."""

    async def _api_getUpdates(self, params: Params, uploads: dict[str, Upload]) -> Any:
        offset = as_int(params.get("offset", 0) or 0, "offset")
        limit = min(max(as_int(params.get("limit", 100) or 100, "limit"), 1), 100)
        try:
            timeout = max(float(params.get("timeout", 0) or 0), 0.0)
        except (TypeError, ValueError):
            raise bad_request("invalid timeout specified") from None
        self._confirm(offset)
        if not self._updates and timeout > 0 and not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_available.wait(), timeout)
        batch = [update for _, update in itertools.islice(self._updates, limit)]
        if batch:
            last_id = batch[-1]["update_id"]
            self._max_delivered_update_id = max(self._max_delivered_update_id, last_id)
            self._note_activity()
        return batch

    async def _api_deleteWebhook(self, params: Params, uploads: dict[str, Upload]) -> Any:
        self._stop_webhook()
        if as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
            self._confirm(0)
        return True

    async def _api_setWebhook(self, params: Params, uploads: dict[str, Upload]) -> Any:
        """Deliver updates by POSTing them to the bot, as Telegram does, with the secret in the
        X-Telegram-Bot-Api-Secret-Token header. Only loopback URLs: this server never calls out."""
        url = str(params.get("url") or "")
        if not url:
            self._stop_webhook()
            return True
        host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
        if not url.startswith("http://") or not is_loopback(host):
            raise bad_request("bad webhook: this local server only delivers to http:// loopback URLs")
        if as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
            self._confirm(0)
        self._stop_webhook()
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_to_webhook(url))
        return True

    async def _deliver_to_webhook(self, url: str) -> None:
        """POST each pending update in order; a refused or failed delivery is retried."""
        assert self.webhook is not None
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(self.webhook["secret_token"])
        async with aiohttp.ClientSession() as session:
            while True:
                if not self._updates:
                    self._updates_available.clear()
                    await self._updates_available.wait()
                    if self._closing:
                        return
                    continue
                update_id, update = self._updates[0]
                try:
                    async with session.post(url, data=encode_json(update), headers=headers) as response:
                        self.webhook_statuses.append(response.status)
                        delivered = response.status == 200
                except (aiohttp.ClientError, OSError):
                    delivered = False
                if delivered:
                    self._confirm(update_id + 1)
                    self._max_delivered_update_id = max(self._max_delivered_update_id, update_id)
                else:
                    await asyncio.sleep(0.1)

    async def _api_getWebhookInfo(self, params: Params, uploads: dict[str, Upload]) -> Any:
        pending = len(self._updates)
        url = self.webhook["url"] if self.webhook else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": pending}
