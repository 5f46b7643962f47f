"""`python -m bot preview`: the real bot in a local browser chat, without Telegram or a token.

Three things run in one process, all on 127.0.0.1 unless told otherwise: the built-in Bot API
endpoint (bot.preview.botapi), the unchanged bot Application pointed at it, and a chat page. The
preview keeps its own database and pseudonym key (default ./data/preview/), never the
production ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from aiohttp import web
from pydantic import SecretStr
from telegram.ext import Application

from bot.app import build_application, open_services
from bot.config import Settings
from bot.context import Services
from bot.preview.botapi import LocalBotApi, is_loopback

logger = logging.getLogger(__name__)

# The Telegram user id the page uses when "act as admin" is chosen.
PREVIEW_ADMIN_ID = 1000
DEFAULT_DIRECTORY = Path("data") / "preview"
# How long the page's long poll waits for the bot before answering with no news.
POLL_SECONDS = 20.0

# The page proves it was served by this run with this header; other sites cannot read the page.
TOKEN_HEADER = "X-Preview-Token"
TOKEN_PLACEHOLDER = "{{PREVIEW_TOKEN}}"
# The page sends small flat JSON objects; anything bigger or deeper is not from it.
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 4
# Telegram's own limits: one message, one button's callback data, user and message ids.
MAX_TEXT_CHARS = 4096
MAX_CALLBACK_BYTES = 64
MAX_USER_ID = 2**52 - 1
MAX_MESSAGE_ID = 2**31 - 1
MAX_SEQ = 2**63 - 1
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
_DIGITS = re.compile(r"[0-9]{1,19}")
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,4}")
_FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_PORT = re.compile(r"[0-9]{1,5}")

# Settings that shape what the bot says and keeps, never where it connects or whose data it sees:
# the preview takes these from the deployment. Every other setting is reset to its default (or
# the preview's own value), so a setting added later cannot leak production into the preview.
INHERITED_SETTINGS = frozenset(
    {
        "default_language",
        "log_level",
        "log_format",
        "retention_days",
        "abandon_days",
        "abandoned_responses",
        "privacy_contact",
        "translation_timeout_seconds",
        "locales_dir",
        "survey_file",
        "concurrent_updates",
    }
)


def exposure_warning(host: str) -> str | None:
    """The warning printed when the preview listens beyond this computer."""
    if is_loopback(host):
        return None
    return (
        f"WARNING: the preview listens on {host}, beyond this computer, and has no "
        "authentication: anyone who can reach it can open the page and read and write its chats."
    )


def new_bot_token() -> str:
    """A Bot API token of Telegram's shape (bot id, colon, secret), new for each run: with a
    token everyone knows, any web page could call the built-in Bot API."""
    return f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(32)}"


def preview_settings(base: Settings, api: LocalBotApi, directory: Path) -> Settings:
    """The deployment's survey, catalogues and rules with the preview's own token, Bot API,
    database, key and admin, and nothing that reaches production data or services (translation
    service, webhook, metrics endpoint)."""
    own: dict[str, Any] = {
        "bot_token": SecretStr(api.token),
        "bot_api_base_url": api.base_url,
        "bot_api_base_file_url": api.base_file_url,
        "database_path": directory / "preview.sqlite3",
        "pseudonym_key": None,
        "admin_ids": frozenset({PREVIEW_ADMIN_ID}),
        # Someone trying the admin side answers a few times themselves: a release after five
        # completed responses, checked every minute, lets them see figures soon.
        "release_min_new": 5,
        "release_check_hours": 1 / 60,
    }
    update = {
        name: own[name] if name in own else field.get_default(call_default_factory=True)
        for name, field in Settings.model_fields.items()
        if name not in INHERITED_SETTINGS
    }
    return base.model_copy(update=update)


def _split_host_header(value: str) -> tuple[str, int | None] | None:
    """``name[:port]`` or ``[v6]:port`` as (lower-case name, port), None if malformed."""
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket:
            return None
    elif value.count(":") > 1:
        return None
    else:
        name, _, port_part = value.partition(":")
        rest = f":{port_part}" if ":" in value else ""
    if not rest:
        return name.lower(), None
    if not rest.startswith(":") or not _PORT.fullmatch(rest[1:]):
        return None
    return name.lower(), int(rest[1:])


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_is_ours(header: str | None, listen_host: str, port: int) -> bool:
    """Whether a request's Host header names this preview.

    A page on another site can point its own name at 127.0.0.1 (DNS rebinding) and so reach the
    port; its requests then carry that name. Only names no other site controls are accepted: the
    loopback names, the address given with --host, and, when listening on every interface, an
    address literal.
    """
    parsed = _split_host_header(header) if header else None
    if parsed is None:
        return False
    name, header_port = parsed
    if (header_port if header_port is not None else 80) != port:
        return False
    listen = listen_host.strip("[]").lower()
    if name in LOOPBACK_NAMES or (name == listen and listen not in WILDCARD_HOSTS):
        return True
    return listen in WILDCARD_HOSTS and _is_address(name)


def _refuse(kind: type[web.HTTPException], message: str) -> NoReturn:
    raise kind(text=message)


def _whole_number(value: object, name: str, *, low: int, high: int) -> int:
    # bool is an int in Python, and 1.0 or "1" are not what the page sends.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _refuse(web.HTTPBadRequest, f"{name} must be a whole number from {low} to {high}")
    return value


def _query_number(query: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw):
        _refuse(web.HTTPBadRequest, f"{name} must be a whole number from {low} to {high}")
    return _whole_number(int(raw), name, low=low, high=high)


def _utf8(text: str, name: str) -> bytes:
    # A lone surrogate survives JSON but has no UTF-8 form: no update could carry it to the bot.
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        _refuse(web.HTTPBadRequest, f"{name} must be text that can be written as UTF-8")


def _language_code(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _LANGUAGE_CODE.fullmatch(value) or len(value) > 35:
        _refuse(web.HTTPBadRequest, "language_code must be a language tag such as sv or pt-BR")
    return value


def _json_too_deep(text: str, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit``, counted without parsing (the
    parser itself recurses, and a deep enough document exhausts Python's stack)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


@web.middleware
async def errors_as_json(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every refusal answers ``{"error": ...}``, which the page shows as it is."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        message = error.text or error.reason
        return web.json_response(
            {"error": message}, status=error.status, headers={"Cache-Control": "no-store"}
        )


class ChatPage:
    """The web page and the small JSON API it talks to, on top of LocalBotApi.

    Guarded against other web pages the same browser has open: requests must name this preview
    in their Host header (no DNS rebinding), API requests must come from the page's own origin and
    carry the token embedded in the page (which other sites cannot read), and POSTs must be JSON
    (which other sites cannot send without the browser asking first).
    """

    def __init__(self, api: LocalBotApi, *, host: str = "127.0.0.1") -> None:
        self.api = api
        self.host = host
        # Known once the site listens; until then no request is taken.
        self.port: int | None = None
        self.token = secrets.token_urlsafe(32)
        self.app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[errors_as_json, self._guard])
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
        page = resources.files("bot.preview").joinpath("page.html").read_text(encoding="utf-8")
        self._page = page.replace(TOKEN_PLACEHOLDER, self.token)

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        host = request.headers.get("Host")
        if self.port is None or not host_is_ours(host, self.host, self.port):
            _refuse(web.HTTPMisdirectedRequest, "this preview answers only at the address it printed")
        assert host is not None
        if request.path == "/api" or request.path.startswith("/api/"):
            origin = request.headers.get("Origin")
            if origin is not None and origin.lower() != f"http://{host}".lower():
                _refuse(web.HTTPForbidden, "requests from other web pages are refused")
            if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
                _refuse(web.HTTPForbidden, "requests from other web pages are refused")
            given = request.headers.get(TOKEN_HEADER, "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, self.token.encode("ascii")):
                _refuse(web.HTTPForbidden, f"missing or wrong {TOKEN_HEADER}: reload the page")
            if request.method == "POST" and request.content_type != "application/json":
                _refuse(web.HTTPUnsupportedMediaType, "the body must be sent as application/json")
        response = await handler(request)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    async def index(self, request: web.Request) -> web.Response:
        return web.Response(
            text=self._page,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Content-Security-Policy": "frame-ancestors 'none'",
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "no-referrer",
            },
        )

    async def config(self, request: web.Request) -> web.Response:
        return web.json_response({"admin_id": PREVIEW_ADMIN_ID})

    @staticmethod
    def _user(value: object) -> int:
        return _whole_number(value, "user", low=1, high=MAX_USER_ID)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()  # over client_max_size: 413
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            _refuse(web.HTTPBadRequest, "the body must be UTF-8")
        if _json_too_deep(text, MAX_JSON_DEPTH):
            _refuse(web.HTTPBadRequest, "the JSON body is nested too deeply")
        try:
            body = json.loads(text)
        except ValueError:
            _refuse(web.HTTPBadRequest, "expected a JSON body")
        if not isinstance(body, dict):
            _refuse(web.HTTPBadRequest, "expected a JSON object")
        return body

    async def conversation(self, request: web.Request) -> web.Response:
        """Long poll: answers at once when asked from the start, else when the bot does something."""
        user = _query_number(request.query, "user", default=0, low=1, high=MAX_USER_ID)
        since = _query_number(request.query, "since", default=0, low=0, high=MAX_SEQ)
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
        text = body.get("text")
        if not isinstance(text, str):
            _refuse(web.HTTPBadRequest, "text must be a string")
        _utf8(text, "text")
        text = text.strip()
        if not text:
            _refuse(web.HTTPBadRequest, "empty message")
        if len(text) > MAX_TEXT_CHARS:
            _refuse(web.HTTPBadRequest, f"text is longer than {MAX_TEXT_CHARS} characters")
        user = self._user(body.get("user"))
        language = _language_code(body.get("language_code"))
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            await self.api.send_command(user, command, args, language_code=language)
        else:
            await self.api.send_message(user, text, language_code=language)
        return web.json_response({"ok": True})

    async def press(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self._user(body.get("user"))
        message_id = _whole_number(body.get("message_id"), "message_id", low=1, high=MAX_MESSAGE_ID)
        data = body.get("data", "")
        if not isinstance(data, str) or len(_utf8(data, "data")) > MAX_CALLBACK_BYTES:
            _refuse(web.HTTPBadRequest, f"data must be a string of at most {MAX_CALLBACK_BYTES} bytes")
        language = _language_code(body.get("language_code"))
        try:
            query_id = await self.api.press(user, message_id, data, language_code=language)
        except LookupError:
            _refuse(web.HTTPNotFound, "no such message")
        return web.json_response({"ok": True, "callback_query_id": query_id})

    async def voice(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self._user(body.get("user"))
        await self.api.send_voice(user, duration=7, language_code=_language_code(body.get("language_code")))
        return web.json_response({"ok": True})

    async def sticker(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self._user(body.get("user"))
        await self.api.send_sticker(user, language_code=_language_code(body.get("language_code")))
        return web.json_response({"ok": True})

    async def file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if not _FILE_ID.fullmatch(file_id):
            _refuse(web.HTTPBadRequest, "malformed file id")
        data = self.api.file_bytes(file_id)
        if data is None:
            _refuse(web.HTTPNotFound, "no such file")
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
        self.api = LocalBotApi(token=new_bot_token())
        self.page = ChatPage(self.api, host=host)
        self._runner: web.AppRunner | None = None
        self._application: Application | None = None
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        """The bot's services, once started."""
        if self._services is None:
            raise RuntimeError("the preview has not started")
        return self._services

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
        self.page.port = self.port

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
