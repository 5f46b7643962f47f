"""`python -m bot preview`: the real bot in a local browser chat, without Telegram or a token.

Three things run in one process, all on 127.0.0.1 unless told otherwise: the built-in Bot API
endpoint (bot.preview.botapi), the unchanged bot Application pointed at it, and a chat page. The
preview keeps its own database and pseudonym key (default ./data/preview/), never the
production ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from telegram.ext import Application

from bot.app import build_application, open_services
from bot.config import Settings
from bot.context import Services
from bot.preview.botapi import LocalBotApi, is_loopback

logger = logging.getLogger(__name__)

PREVIEW_TOKEN = "100000:PREVIEW-LOCAL-ONLY"
# The Telegram user id the page uses when "act as admin" is chosen.
PREVIEW_ADMIN_ID = 1000
DEFAULT_DIRECTORY = Path("data") / "preview"
# How long the page's long poll waits for the bot before answering with no news.
POLL_SECONDS = 20.0


def exposure_warning(host: str) -> str | None:
    """The warning printed when the preview listens beyond this computer."""
    if is_loopback(host):
        return None
    return (
        f"WARNING: the preview listens on {host}, beyond this computer, and has no "
        "authentication: anyone who can reach it can read and write its chats."
    )


def preview_settings(base: Settings, api: LocalBotApi, directory: Path) -> Settings:
    """The deployment's settings with token, Bot API, database and admins of the preview."""
    return base.model_copy(
        update={
            "bot_token": SecretStr(PREVIEW_TOKEN),
            "bot_api_base_url": api.base_url,
            "bot_api_base_file_url": api.base_file_url,
            "database_path": directory / "preview.sqlite3",
            "pseudonym_key": None,
            "admin_ids": frozenset({PREVIEW_ADMIN_ID}),
        }
    )


class ChatPage:
    """The web page and the small JSON API it talks to, on top of LocalBotApi."""

    def __init__(self, api: LocalBotApi) -> None:
        self.api = api
        self.app = web.Application()
        self.app.add_routes(
            [
                web.get("/", self.index),
                web.get("/api/config", self.config),
                web.get("/api/conversation", self.conversation),
                web.post("/api/message", self.message),
                web.post("/api/press", self.press),
                web.post("/api/voice", self.voice),
                web.post("/api/sticker", self.sticker),
                web.get("/api/file/{file_id}", self.file),
            ]
        )
        self._page = resources.files("bot.preview").joinpath("page.html").read_text(encoding="utf-8")

    async def index(self, request: web.Request) -> web.Response:
        return web.Response(text=self._page, content_type="text/html", charset="utf-8")

    async def config(self, request: web.Request) -> web.Response:
        return web.json_response({"admin_id": PREVIEW_ADMIN_ID})

    @staticmethod
    def _user(value: Any) -> int:
        try:
            user = int(value)
        except (TypeError, ValueError):
            raise web.HTTPBadRequest(text="user must be a number") from None
        if user <= 0:
            raise web.HTTPBadRequest(text="user must be positive")
        return user

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="expected a JSON body") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        return body

    async def conversation(self, request: web.Request) -> web.Response:
        """Long poll: answers at once when asked from the start, else when the bot does something."""
        user = self._user(request.query.get("user"))
        since = int(request.query.get("since", "0") or 0)
        if since:
            with contextlib.suppress(TimeoutError):
                await self.api.wait_for_bot_activity(user, since=since, timeout=POLL_SECONDS)
        events = self.api.events(user, since=since) if since else []
        toasts = [
            str(event["params"]["text"])
            for event in events
            if event["method"] == "answerCallbackQuery" and event["params"].get("text")
        ]
        messages = []
        for message in self.api.conversation(user):
            document = message.get("document")
            if document:
                document = {key: value for key, value in document.items() if key != "data"}
            messages.append({**message, "document": document})
        return web.json_response({"seq": self.api.event_seq(), "messages": messages, "toasts": toasts})

    async def message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        text = str(body.get("text") or "").strip()
        if not text:
            raise web.HTTPBadRequest(text="empty message")
        user = self._user(body.get("user"))
        language = body.get("language_code") or None
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            await self.api.send_command(user, command, args, language_code=language)
        else:
            await self.api.send_message(user, text, language_code=language)
        return web.json_response({"ok": True})

    async def press(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        try:
            query_id = await self.api.press(
                self._user(body.get("user")),
                int(body.get("message_id") or 0),
                str(body.get("data") or ""),
                language_code=body.get("language_code") or None,
            )
        except LookupError:
            raise web.HTTPNotFound(text="no such message") from None
        return web.json_response({"ok": True, "callback_query_id": query_id})

    async def voice(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        await self.api.send_voice(
            self._user(body.get("user")), duration=7, language_code=body.get("language_code") or None
        )
        return web.json_response({"ok": True})

    async def sticker(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        await self.api.send_sticker(
            self._user(body.get("user")), language_code=body.get("language_code") or None
        )
        return web.json_response({"ok": True})

    async def file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = self.api.file_bytes(file_id)
        if data is None:
            raise web.HTTPNotFound(text="no such file")
        return web.Response(
            body=data,
            content_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{file_id}"'},
        )


class Preview:
    """Starts and stops the three parts together."""

    def __init__(self, settings: Settings, *, host: str, port: int, directory: Path) -> None:
        self.base_settings = settings
        self.host = host
        self.port = port
        self.directory = directory
        self.api = LocalBotApi(token=PREVIEW_TOKEN)
        self.page = ChatPage(self.api)
        self._runner: web.AppRunner | None = None
        self._application: Application | None = None
        self._services: Services | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def start(self) -> None:
        await self.api.start()
        settings = preview_settings(self.base_settings, self.api, self.directory)
        self._services = await open_services(settings)
        application = build_application(settings, self._services)
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=10)
        self._application = application
        self._runner = web.AppRunner(self.page.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            # The port the system chose is only known once the site listens.
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        application = self._application
        if application is not None:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            if application.post_stop:
                await application.post_stop(application)
            await application.shutdown()
        if self._services is not None:
            await self._services.database.close()
        await self.api.stop()


async def run_preview(settings: Settings, *, host: str, port: int, directory: Path) -> None:
    preview = Preview(settings, host=host, port=port, directory=directory)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await preview.start()
        print(f"Preview running at {preview.url} (Ctrl-C stops it)", flush=True)
        warning = exposure_warning(host)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        await stopping.wait()
    finally:
        await preview.stop()
        print("Preview stopped.", flush=True)
