"""An in-process fake of the Telegram Bot API HTTP server, for tests, benchmarks and previews.

`LocalBotApi` serves the subset of the Bot API this bot uses on 127.0.0.1 (aiohttp.web) and
plays the part of Telegram's users: tests enqueue updates with `send_message`, `press`, ...,
the bot under test fetches them with getUpdates like it would from Telegram, and everything
the bot sends back is recorded (`calls`, `chat_messages`, `wait_for_bot_activity`).

Point python-telegram-bot at it with ``base_url=api.base_url`` and
``base_file_url=api.base_file_url``. Run it standalone with ``python -m bot.preview.botapi``.

The parts, each a module of this package: `formatting` (parse modes, markup and length
checks), `params` (decoding call parameters), `state` (chats, messages, files, updates),
`methods` and `delivery` (the Bot API methods), `residents` (simulated users), `inspection`
(what tests look at), `server` (HTTP), `loopback` (who may call it) and `wire` (UTF-8 JSON).
"""

from __future__ import annotations

from bot.preview.botapi.delivery import UpdateDelivery
from bot.preview.botapi.errors import ApiError
from bot.preview.botapi.inspection import BotInspection
from bot.preview.botapi.loopback import is_loopback
from bot.preview.botapi.methods import BotApiMethods
from bot.preview.botapi.params import Params
from bot.preview.botapi.residents import SimulatedResidents
from bot.preview.botapi.server import HttpServer
from bot.preview.botapi.state import OUTGOING_METHODS, Event

__all__ = ["OUTGOING_METHODS", "ApiError", "Event", "LocalBotApi", "Params", "is_loopback"]


class LocalBotApi(HttpServer, BotApiMethods, UpdateDelivery, SimulatedResidents, BotInspection):
    """Fake Telegram Bot API server plus simulated users, all on one asyncio event loop.

    Not thread-safe: use it from the loop it was started on.
    """
