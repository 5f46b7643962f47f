"""An in-process fake of the Telegram Bot API HTTP server, for tests, benchmarks and previews.

`LocalBotApi` serves the subset of the Bot API this bot uses on 127.0.0.1 (aiohttp.web) and
plays the part of Telegram's users: tests enqueue updates with `send_message`, `press`, ...,
the bot under test fetches them with getUpdates like it would from Telegram, and everything
the bot sends back is recorded (`calls`, `chat_messages`, `wait_for_bot_activity`).

Tests can also make it misbehave like Telegram or the network on a bad day: `inject_fault`
answers the next calls with 429 or 5xx, answers too late, or drops the connection.

Point python-telegram-bot at it with ``base_url=api.base_url`` and
``base_file_url=api.base_file_url``. Run it standalone with ``python -m bot.preview.botapi``.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import copy
import html
import ipaddress
import itertools
import json
import logging
import re
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal, get_args

from aiohttp import web

__all__ = ["ApiError", "FaultKind", "LocalBotApi"]

_LOGGER = logging.getLogger(__name__)

Params = dict[str, Any]
Event = dict[str, Any]

# Methods whose calls count as "bot activity" in a chat (see wait_for_bot_activity).
OUTGOING_METHODS = frozenset(
    [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "sendDocument",
        "deleteMessage",
        "answerCallbackQuery",
    ]
)

# Form/query values arrive as strings; PTB JSON-encodes everything that is not already a
# string, so everything else is json-decoded. These parameters are strings by definition and
# must not be decoded (a text of "123" must stay "123").
_STRING_PARAMS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "description",
        "short_description",
        "language_code",
        "action",
        "url",
        "file_id",
        "document",
        "photo",
        "voice",
        "audio",
        "video",
        "animation",
        "sticker",
        "thumbnail",
        "business_connection_id",
        "message_effect_id",
        "inline_message_id",
        "emoji",
        "title",
        "name",
        "query",
        "secret_token",
        "ip_address",
    ]
)
# Parameters that are JSON-serialized objects even inside a JSON body (Telegram accepts both).
_JSON_PARAMS = frozenset(
    [
        "reply_markup",
        "link_preview_options",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "reply_parameters",
        "allowed_updates",
        "menu_button",
    ]
)

_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_MAX_CALLBACK_DATA = 64
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
_INLINE_BUTTON_ACTIONS = frozenset(
    [
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    ]
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class ApiError(Exception):
    """A Bot API error response: HTTP status plus Telegram's ``description`` text."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


def _bad(message: str) -> ApiError:
    return ApiError(f"Bad Request: {message}", 400)


# --------------------------------------------------------------------------------------------
# Formatting: Telegram validates markup and returns plain text. Doing the same here makes
# tests fail on templates that real Telegram would reject.
# --------------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
        "tg-time",
    ]
)
_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_ENTITY_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _entities_error(message: str) -> ApiError:
    return _bad(f"can't parse entities: {message}")


def _html_to_plain(text: str) -> str:
    """Validate Telegram-HTML and return the visible text."""
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "<":
            match = _HTML_TAG_RE.match(text, i)
            offset = _byte_offset(text, i)
            if match is None:
                raise _entities_error(f'Unsupported start tag "" at byte offset {offset}')
            closing, name = match.group(1) == "/", match.group(2).lower()
            if name not in _HTML_TAGS:
                kind = "end" if closing else "start"
                raise _entities_error(f'Unsupported {kind} tag "{name}" at byte offset {offset}')
            if closing:
                if not stack:
                    raise _entities_error(f"Unexpected end tag at byte offset {offset}")
                if stack[-1] != name:
                    raise _entities_error(
                        f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                        f'found "</{name}>"'
                    )
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
            continue
        if char == "&":
            match = _HTML_ENTITY_RE.match(text, i)
            if match is not None:
                out.append(html.unescape(match.group(0)))
                i = match.end()
                continue
        out.append(char)
        i += 1
    if stack:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _find_unescaped(text: str, needle: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(needle, i):
            return i
        i += 1
    return -1


def _unescape_mdv2(text: str) -> str:
    return re.sub(r"\\([\x01-\x7e])", r"\1", text)


def _markdown_v2_to_plain(text: str) -> str:
    """Validate MarkdownV2 (reserved characters, balanced entities) and return visible text."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\":
            if i + 1 < n and 0 < ord(text[i + 1]) < 127:
                out.append(text[i + 1])
                i += 2
            else:
                out.append(char)
                i += 1
            continue
        if char == "`":
            if text.startswith("```", i):
                end = _find_unescaped(text, "```", i + 3)
                if end < 0:
                    raise _entities_error(
                        f"Can't find end of Pre entity at byte offset {_byte_offset(text, i)}"
                    )
                body = text[i + 3 : end]
                first, newline, rest = body.partition("\n")
                # A first line without spaces is the language name, not content.
                if newline and first and " " not in first:
                    body = rest
                out.append(_unescape_mdv2(body))
                i = end + 3
            else:
                end = _find_unescaped(text, "`", i + 1)
                if end < 0:
                    raise _entities_error(
                        f"Can't find end of Code entity at byte offset {_byte_offset(text, i)}"
                    )
                out.append(_unescape_mdv2(text[i + 1 : end]))
                i = end + 1
            continue
        if char in "*_~|":
            if char == "|" and not text.startswith("||", i):
                raise _entities_error("Character '|' is reserved and must be escaped with the preceding '\\'")
            marker = text[i : i + 2] if char in "_|" and text.startswith(char * 2, i) else char
            open_markers = [m for m, _ in stack]
            if open_markers and open_markers[-1] == marker:
                stack.pop()
            elif marker in open_markers:
                _, start = stack[open_markers.index(marker)]
                raise _entities_error(
                    f"Can't find end of {_MDV2_ENTITY_NAMES[marker]} entity at byte offset "
                    f"{_byte_offset(text, start)}"
                )
            else:
                stack.append((marker, i))
            i += len(marker)
            continue
        if char == "!" and text.startswith("![", i):
            stack.append(("[", i))
            i += 2
            continue
        if char == "[":
            stack.append(("[", i))
            i += 1
            continue
        if char == "]" and stack and stack[-1][0] == "[":
            stack.pop()
            if not text.startswith("(", i + 1):
                raise _entities_error("Character ']' is reserved and must be escaped with the preceding '\\'")
            end = _find_unescaped(text, ")", i + 2)
            if end < 0:
                raise _entities_error(f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}")
            i = end + 1
            continue
        if char == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # blockquote marker at the start of a line
            continue
        if char in _MDV2_RESERVED:
            raise _entities_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(char)
        i += 1
    if stack:
        marker, start = stack[-1]
        raise _entities_error(
            f"Can't find end of {_MDV2_ENTITY_NAMES[marker]} entity at byte offset "
            f"{_byte_offset(text, start)}"
        )
    return "".join(out)


def _to_plain(text: str, parse_mode: str | None) -> str:
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _html_to_plain(text)
    if mode == "markdownv2":
        return _markdown_v2_to_plain(text)
    if mode in ("", "markdown"):
        return text  # legacy Markdown is lenient; not worth emulating
    raise _bad(f"unsupported parse_mode {parse_mode!r}")


def _utf16_len(text: str) -> int:
    # Telegram's length limits count UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------------
# Stored state
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Upload:
    filename: str
    content_type: str
    data: bytes


_Handler = Callable[[Params, dict[str, _Upload]], Awaitable[Any]]


@dataclass(slots=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name is not None:
            doc["file_name"] = self.file_name
        if self.mime_type is not None:
            doc["mime_type"] = self.mime_type
        return doc


@dataclass(slots=True)
class _StoredMessage:
    message: dict[str, Any]  # Telegram-shaped Message, current state
    outgoing: bool  # sent by the bot
    raw_text: str | None = None  # text exactly as the bot sent it (markup included)
    parse_mode: str | None = None
    markup: dict[str, Any] | None = None  # any reply_markup the bot sent (not only inline)
    file: _StoredFile | None = None
    edited: bool = False
    deleted: bool = False

    def view(self) -> dict[str, Any]:
        document: dict[str, Any] | None = None
        if self.file is not None:
            document = {**self.file.document(), "data": self.file.data}
        return {
            "message_id": self.message["message_id"],
            "date": self.message["date"],
            "outgoing": self.outgoing,
            "kind": next(
                (kind for kind in ("text", "voice", "sticker", "photo", "document") if kind in self.message),
                "other",
            ),
            "text": self.raw_text if self.outgoing else self.message.get("text"),
            "caption": self.message.get("caption"),
            "parse_mode": self.parse_mode,
            "reply_markup": copy.deepcopy(self.markup),
            "edited": self.edited,
            "deleted": self.deleted,
            "document": document,
        }


@dataclass(slots=True)
class _Chat:
    chat: dict[str, Any]
    next_message_id: int = 1
    messages: dict[int, _StoredMessage] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(slots=True)
class _CallbackQuery:
    chat_id: int
    message_id: int
    answer: Params | None = None


# Faults a test can make the HTTP endpoint show (see LocalBotApi.inject_fault).
FaultKind = Literal["429", "5xx", "timeout", "drop"]


@dataclass(slots=True)
class _Fault:
    method: str | None  # lower-case method name; None for any method
    kind: FaultKind
    remaining: int
    retry_after: int
    status: int
    delay: float


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this computer only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _now() -> int:
    return int(time.time())


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _bad(f"invalid {name} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _bad(f"invalid {name} specified")


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _as_json_object(value: Any, name: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise _bad("can't parse reply keyboard markup JSON object") from None
            raise _bad(f"can't parse {name} JSON object") from None
    return value


def _validate_reply_markup(markup: Any) -> dict[str, Any]:
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
                if not _INLINE_BUTTON_ACTIONS.intersection(button):
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the "
                        "inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                    if not 1 <= size <= _MAX_CALLBACK_DATA:
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in button and not button["url"]:
                    raise _bad("BUTTON_URL_INVALID")
    elif "keyboard" in markup:
        if not isinstance(markup["keyboard"], list):
            raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    elif not ("remove_keyboard" in markup or "force_reply" in markup):
        raise _bad('can\'t find field "inline_keyboard"')
    return markup


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class LocalBotApi:
    """Fake Telegram Bot API server plus simulated users, all on one asyncio event loop.

    Not thread-safe: use it from the loop it was started on.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = "123456:LOCAL-TEST-TOKEN",
        bot_username: str = "citizen_feedback_bot",
        strict_chats: bool = False,
    ) -> None:
        """Configure the server; nothing is bound until `start`.

        With ``strict_chats`` the bot can only write to chats a simulated user has written
        from ("Bad Request: chat not found" otherwise), as on real Telegram; by default such
        chats are created on the fly.
        """
        if not is_loopback(host):
            # A fake API accepts anything from anyone: never expose it beyond this machine.
            raise ValueError(f"LocalBotApi only binds loopback addresses, not {host!r}")
        self.host = host
        self.port = port
        self.token = token
        self.strict_chats = strict_chats
        head = token.partition(":")[0]
        bot_id = int(head) if head.isdigit() else 123456
        first_name = bot_username.removesuffix("_bot").replace("_", " ").title() or "Bot"
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": bot_username,
        }

        self.calls: list[tuple[str, Params]] = []
        # Set by setWebhook: updates are then POSTed to the bot instead of fetched by it.
        self.webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        # HTTP status of every webhook delivery attempt, for tests.
        self.webhook_statuses: list[int] = []
        # Called with (method, params) before each call is answered; tests use it to look at
        # the database at the exact moment the bot sends something.
        self.observers: list[Callable[[str, Params], None]] = []
        self._runner: web.AppRunner | None = None
        self._closing = False

        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()

        # Pending updates, ascending update_id; confirmed ones are popped from the left.
        self._updates: deque[tuple[int, dict[str, Any]]] = deque()
        self._update_ids = itertools.count(1)
        self._last_update_id = 0
        self._max_delivered_update_id = 0
        self._updates_available = asyncio.Event()

        self._events: list[Event] = []
        self._chat_events: dict[int, list[Event]] = {}
        self._chat_waiters: dict[int, list[asyncio.Future[None]]] = {}
        self._seq = 0

        self._callback_queries: dict[str, _CallbackQuery] = {}
        self._callback_ids = itertools.count(1)
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_ids = itertools.count(1)

        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._descriptions: dict[tuple[str, str], str] = {}

        self._in_flight = 0
        self._last_activity = 0.0

        # Injected faults, oldest first; see inject_fault.
        self._faults: list[_Fault] = []
        self.faults_injected = 0
        # (method, kind) of every fault shown, in order.
        self.fault_log: list[tuple[str, FaultKind]] = []

        self._methods: dict[str, tuple[str, _Handler]] = {}
        api_methods = [
            "getMe",
            "getUpdates",
            "deleteWebhook",
            "setWebhook",
            "getWebhookInfo",
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "setMyDescription",
            "getMyDescription",
            "setMyShortDescription",
            "getMyShortDescription",
            "setMyName",
            "setChatMenuButton",
            "sendMessage",
            "editMessageText",
            "editMessageReplyMarkup",
            "deleteMessage",
            "answerCallbackQuery",
            "sendChatAction",
            "sendDocument",
            "getFile",
            "close",
            "logOut",
        ]
        for name in api_methods:
            self._methods[name.lower()] = (name, getattr(self, f"_api_{name}"))

    # ---------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """PTB ``base_url``: PTB appends ``{token}/{method}``."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB ``base_file_url``: PTB appends ``{token}/{file_path}``."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self) -> None:
        """Bind and serve; with ``port=0`` a free port is picked and stored in `port`."""
        if self._runner is not None:
            raise RuntimeError("LocalBotApi already started")
        self._closing = False
        # A fresh Event so one instance can be started again on a different event loop.
        self._updates_available = asyncio.Event()
        if self._updates:
            self._updates_available.set()
        # Uploads up to Telegram's 50 MB bot limit.
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # access_log=None: no per-request logging; short shutdown so stop() never hangs.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        _LOGGER.debug("LocalBotApi listening on %s", self.base_url)

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing = True
        self._updates_available.set()
        self._stop_webhook()
        await runner.cleanup()

    async def __aenter__(self) -> LocalBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- HTTP plumbing

    @staticmethod
    def _json_response(payload: dict[str, Any], status: int = 200) -> web.Response:
        return web.Response(
            body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            status=status,
            content_type="application/json",
        )

    @classmethod
    def _error_response(cls, error: ApiError) -> web.Response:
        status, payload = cls._error_payload(error)
        return cls._json_response(payload, status=status)

    @staticmethod
    def _decode_value(name: str, value: str) -> Any:
        if name in _STRING_PARAMS:
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    async def _read_params(self, request: web.Request) -> tuple[Params, dict[str, _Upload]]:
        params: Params = {k: self._decode_value(k, v) for k, v in request.query.items()}
        uploads: dict[str, _Upload] = {}
        if not request.body_exists:
            return params, uploads
        ctype = request.content_type
        if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = _Upload(value.filename, value.content_type, value.file.read())
                else:
                    params[key] = self._decode_value(key, str(value))
        else:
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise _bad("can't parse JSON body") from None
                if not isinstance(body, dict):
                    raise _bad("JSON body must be an object")
                for key, value in body.items():
                    params[key] = _as_json_object(value, key) if key in _JSON_PARAMS else value
        return params, uploads

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError("Unauthorized", 401))
        method = request.match_info["method"]
        fault = self._take_fault(method)
        if fault is not None and fault.kind != "timeout":
            return await self._show_fault(fault, request)
        try:
            params, uploads = await self._read_params(request)
        except ApiError as error:
            self.calls.append((self._canonical(method), {}))
            return self._error_response(error)
        status, payload = await self._call(method, params, uploads)
        if fault is not None:
            # The call took effect; only its answer is late, later than the client waits.
            await asyncio.sleep(fault.delay)
        return self._json_response(payload, status=status)

    # ---------------------------------------------------------------- fault injection

    def inject_fault(
        self,
        method: str | None,
        kind: FaultKind,
        count: int = 1,
        *,
        retry_after: int = 1,
        status: int = 502,
        delay: float = 5.0,
    ) -> None:
        """Make the next ``count`` HTTP calls of ``method`` (of any method if None) fail.

        Kinds, as Telegram or the network show them:

        - ``"429"``: Too Many Requests with ``parameters.retry_after`` = ``retry_after``;
        - ``"5xx"``: HTTP ``status`` (500-599) with a Bot API error body;
        - ``"timeout"``: the call is carried out, but its answer comes only after ``delay``
          seconds (make that longer than the client's read timeout): the client cannot tell
          whether it happened;
        - ``"drop"``: the connection is closed without an answer, before the call is carried out.

        Only calls over HTTP see faults, not `dispatch`. Faults queue in the order injected;
        each call takes at most one. `faults_injected` counts the faults shown so far.
        """
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if not 500 <= status <= 599:
            raise ValueError("status must be a 5xx code")
        if retry_after < 0 or delay < 0:
            raise ValueError("retry_after and delay cannot be negative")
        name = self._canonical(method).lower() if method is not None else None
        self._faults.append(_Fault(name, kind, count, retry_after, status, delay))

    def pending_faults(self) -> int:
        """How many injected faults no call has taken yet."""
        return sum(fault.remaining for fault in self._faults)

    def clear_faults(self) -> None:
        """Forget the faults no call has taken yet."""
        self._faults.clear()

    def _take_fault(self, method: str) -> _Fault | None:
        name = method.lower()
        for fault in self._faults:
            if fault.method is None or fault.method == name:
                fault.remaining -= 1
                if not fault.remaining:
                    self._faults.remove(fault)
                self.faults_injected += 1
                self.fault_log.append((self._canonical(method), fault.kind))
                self._last_activity = asyncio.get_running_loop().time()
                return fault
        return None

    async def _show_fault(self, fault: _Fault, request: web.Request) -> web.Response:
        """The answer (or lack of one) for a 429, 5xx or dropped call; the call is not made."""
        if fault.kind == "drop":
            if request.transport is not None:
                request.transport.close()
            # Nothing reaches the client: aiohttp ignores writes to a closed connection.
            return web.Response(status=499)
        await request.read()  # consume the body so the connection stays usable
        if fault.kind == "429":
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {fault.retry_after}",
                "parameters": {"retry_after": fault.retry_after},
            }
            return self._json_response(payload, status=429)
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Server Error"
        payload = {"ok": False, "error_code": fault.status, "description": phrase}
        return self._json_response(payload, status=fault.status)

    def _canonical(self, method: str) -> str:
        entry = self._methods.get(method.lower())
        return entry[0] if entry else method

    async def dispatch(
        self,
        method: str,
        form: dict[str, str],
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call without HTTP: ``form`` holds the values as they would be
        sent on the wire (JSON-encoded except for plain text fields), ``files`` any uploads as
        (file name, bytes, MIME type). Returns the HTTP status and the JSON payload. Lets
        tests run the real bot with no socket at all."""
        params: Params = {key: self._decode_value(key, value) for key, value in form.items()}
        uploads = {
            name: _Upload(filename=filename, content_type=mime_type, data=data)
            for name, (filename, data, mime_type) in (files or {}).items()
        }
        return await self._call(method, params, uploads)

    async def _call(
        self, method: str, params: Params, uploads: dict[str, _Upload]
    ) -> tuple[int, dict[str, Any]]:
        entry = self._methods.get(method.lower())
        canonical = entry[0] if entry else method
        polling = canonical == "getUpdates"
        if not polling:
            self._in_flight += 1
        try:
            recorded = dict(params)
            for key, upload in uploads.items():
                # Record uploads compactly; the bytes live in the file store.
                recorded[key] = {
                    "upload": True,
                    "filename": upload.filename,
                    "mime_type": upload.content_type,
                    "size": len(upload.data),
                }
            self.calls.append((canonical, recorded))
            for observer in self.observers:
                observer(canonical, recorded)
            if entry is None:
                return self._error_payload(ApiError("Not Found", 404))
            try:
                result = await entry[1](params, uploads)
            except ApiError as error:
                return self._error_payload(error)
            return 200, {"ok": True, "result": result}
        finally:
            if not polling:
                self._in_flight -= 1
                self._last_activity = asyncio.get_running_loop().time()

    @staticmethod
    def _error_payload(error: ApiError) -> tuple[int, dict[str, Any]]:
        return error.status, {"ok": False, "error_code": error.status, "description": error.description}

    def take_updates(self) -> list[dict[str, Any]]:
        """Remove and return every pending update, for tests that feed the Application
        directly instead of letting it poll."""
        taken = [copy.deepcopy(update) for _, update in self._updates]
        self._updates.clear()
        self._updates_available.clear()
        return taken

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # ---------------------------------------------------------------- state helpers

    def _record_event(
        self,
        method: str,
        chat_id: int,
        message_id: int | None,
        params: Params,
        message: _StoredMessage | None,
    ) -> None:
        assert method in OUTGOING_METHODS, method
        self._seq += 1
        event: Event = {
            "seq": self._seq,
            "method": method,
            "chat_id": chat_id,
            "message_id": message_id,
            "params": params,
            "message": message.view() if message is not None else None,
        }
        self._events.append(event)
        self._chat_events.setdefault(chat_id, []).append(event)
        for waiter in self._chat_waiters.pop(chat_id, ()):
            if not waiter.done():
                waiter.set_result(None)

    def _user(self, user_id: int, language_code: str | None, is_bot: bool = False) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": "Test"}
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def _chat_for_user(self, chat_id: int, chat_type: str) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type == "private":
                obj: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": "Test"}
            else:
                obj = {"id": chat_id, "type": chat_type, "title": f"Test {chat_type}"}
            chat = self._chats[chat_id] = _Chat(obj)
        return chat

    def _chat_for_bot(self, params: Params) -> tuple[int, _Chat]:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            raise _bad("chat not found")
        chat_id = _as_int(raw, "chat_id")
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise _bad("chat not found")
            chat = self._chat_for_user(chat_id, "private" if chat_id > 0 else "supergroup")
        if chat_id in self._blocked:
            raise ApiError("Forbidden: bot was blocked by the user", 403)
        return chat_id, chat

    def _bot_message(self, chat: _Chat, params: Params, *, for_edit: bool) -> _StoredMessage:
        if params.get("inline_message_id"):
            raise _bad("inline messages are not supported by the local Bot API")
        if params.get("message_id") in (None, ""):
            raise _bad("message identifier is not specified")
        message_id = _as_int(params["message_id"], "message_id")
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted:
            raise _bad("message to edit not found" if for_edit else "message to delete not found")
        if for_edit and not stored.outgoing:
            raise _bad("message can't be edited")
        return stored

    def _markup_param(self, params: Params) -> dict[str, Any] | None:
        if params.get("reply_markup") in (None, ""):
            return None
        return _validate_reply_markup(_as_json_object(params["reply_markup"], "reply_markup"))

    def _checked_text(self, text: Any, parse_mode: str | None, *, caption: bool = False) -> str:
        if text is None:
            text = ""
        if not isinstance(text, str):
            text = str(text)
        plain = _to_plain(text, parse_mode).strip()
        if caption:
            if _utf16_len(plain) > _MAX_CAPTION:
                raise _bad("message caption is too long")
            return plain
        if not plain:
            raise _bad("message text is empty")
        if _utf16_len(plain) > _MAX_TEXT:
            raise _bad("message is too long")
        return plain

    def _reply_to(self, chat: _Chat, params: Params) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if reply not in (None, ""):
            reply = _as_json_object(reply, "reply_parameters")
            if not isinstance(reply, dict) or "message_id" not in reply:
                raise _bad("can't parse reply parameters JSON object")
            target_id = _as_int(reply["message_id"], "message_id")
            allow_missing = _as_bool(reply.get("allow_sending_without_reply", False))
        elif params.get("reply_to_message_id") not in (None, ""):
            target_id = _as_int(params["reply_to_message_id"], "reply_to_message_id")
            allow_missing = _as_bool(params.get("allow_sending_without_reply", False))
        else:
            return None
        target = chat.messages.get(target_id)
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise _bad("message to be replied not found")
        replied = dict(target.message)
        replied.pop("reply_to_message", None)
        return copy.deepcopy(replied)

    @staticmethod
    def _store_bot_message(chat: _Chat, stored: _StoredMessage) -> None:
        message_id = stored.message["message_id"]
        chat.messages[message_id] = stored
        chat.bot_message_ids.append(message_id)

    def _new_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None,
        mime_type: str | None,
        file_id: str | None = None,
    ) -> _StoredFile:
        number = next(self._file_ids)
        file_id = file_id or f"LOCAL-{kind}-{number:06d}"
        extension = file_name.rpartition(".")[2] if file_name and "." in file_name else "bin"
        stored = _StoredFile(
            file_id=file_id,
            file_unique_id=f"U{kind[:3]}{number:06d}",
            file_path=f"{kind}s/file_{number}.{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    # ---------------------------------------------------------------- Bot API methods

    async def _api_getMe(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            while self._updates and self._updates[0][0] < offset:
                self._updates.popleft()
        elif offset < 0:
            # Negative offset: keep only the last -offset updates.
            while len(self._updates) > -offset:
                self._updates.popleft()
        if not self._updates and not self._closing:
            self._updates_available.clear()

    async def _api_getUpdates(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        offset = _as_int(params.get("offset", 0) or 0, "offset")
        limit = min(max(_as_int(params.get("limit", 100) or 100, "limit"), 1), 100)
        try:
            timeout = max(float(params.get("timeout", 0) or 0), 0.0)
        except (TypeError, ValueError):
            raise _bad("invalid timeout specified") from None
        self._confirm(offset)
        if not self._updates and timeout > 0 and not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_available.wait(), timeout)
        batch = [update for _, update in itertools.islice(self._updates, limit)]
        if batch:
            last_id = batch[-1]["update_id"]
            self._max_delivered_update_id = max(self._max_delivered_update_id, last_id)
            self._last_activity = asyncio.get_running_loop().time()
        return batch

    async def _api_deleteWebhook(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        self._stop_webhook()
        if _as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
            self._confirm(0)
        return True

    async def _api_setWebhook(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        """Deliver updates by POSTing them to the bot, as Telegram does, with the secret in the
        X-Telegram-Bot-Api-Secret-Token header. Only loopback URLs: this server never calls out."""
        url = str(params.get("url") or "")
        if not url:
            self._stop_webhook()
            return True
        host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
        if not url.startswith("http://") or not is_loopback(host):
            raise _bad("bad webhook: this local server only delivers to http:// loopback URLs")
        if _as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
            self._confirm(0)
        self._stop_webhook()
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_to_webhook(url))
        return True

    def _stop_webhook(self) -> None:
        self.webhook = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()

    async def _deliver_to_webhook(self, url: str) -> None:
        """POST each pending update in order; a refused or failed delivery is retried."""
        import aiohttp

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
                    async with session.post(url, data=json.dumps(update), headers=headers) as response:
                        self.webhook_statuses.append(response.status)
                        delivered = response.status == 200
                except (aiohttp.ClientError, OSError):
                    delivered = False
                if delivered:
                    self._confirm(update_id + 1)
                    self._max_delivered_update_id = max(self._max_delivered_update_id, update_id)
                else:
                    await asyncio.sleep(0.1)

    async def _api_getWebhookInfo(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        pending = len(self._updates)
        url = self.webhook["url"] if self.webhook else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": pending}

    @staticmethod
    def _scope_key(params: Params) -> tuple[str, str]:
        scope = _as_json_object(params.get("scope") or {"type": "default"}, "scope")
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _api_setMyCommands(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        commands = _as_json_object(params.get("commands"), "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        cleaned: list[dict[str, Any]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.match(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad("command description is invalid")
            cleaned.append({"command": name, "description": description})
        self._commands[self._scope_key(params)] = cleaned
        return True

    async def _api_getMyCommands(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        return copy.deepcopy(self._commands.get(self._scope_key(params), []))

    async def _api_deleteMyCommands(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        self._commands.pop(self._scope_key(params), None)
        return True

    def _set_description(self, params: Params, key: str, limit: int) -> bool:
        value = params.get(key) or ""
        if not isinstance(value, str) or len(value) > limit:
            raise _bad(f"{key.replace('_', ' ')} is too long")
        self._descriptions[(key, str(params.get("language_code") or ""))] = value
        return True

    async def _api_setMyDescription(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        return self._set_description(params, "description", 512)

    async def _api_setMyShortDescription(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        return self._set_description(params, "short_description", 120)

    async def _api_getMyDescription(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        lang = str(params.get("language_code") or "")
        return {"description": self._descriptions.get(("description", lang), "")}

    async def _api_getMyShortDescription(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        lang = str(params.get("language_code") or "")
        return {"short_description": self._descriptions.get(("short_description", lang), "")}

    async def _api_setMyName(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        return True

    async def _api_setChatMenuButton(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        return True

    async def _api_sendMessage(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        chat_id, chat = self._chat_for_bot(params)
        parse_mode = params.get("parse_mode") or None
        raw_text = params.get("text")
        plain = self._checked_text(raw_text, parse_mode)
        markup = self._markup_param(params)
        reply_to = self._reply_to(chat, params)
        message: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": self.bot_user,
            "chat": chat.chat,
            "date": _now(),
            "text": plain,
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if params.get("link_preview_options") not in (None, ""):
            options = _as_json_object(params["link_preview_options"], "link_preview_options")
            message["link_preview_options"] = options
        if markup is not None and "inline_keyboard" in markup:
            # Telegram only echoes inline keyboards back on the Message.
            message["reply_markup"] = markup
        stored = _StoredMessage(
            message=message,
            outgoing=True,
            raw_text=str(raw_text),
            parse_mode=parse_mode,
            markup=markup,
        )
        self._store_bot_message(chat, stored)
        self._record_event("sendMessage", chat_id, message["message_id"], params, stored)
        return message

    async def _api_editMessageText(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        chat_id, chat = self._chat_for_bot(params)
        stored = self._bot_message(chat, params, for_edit=True)
        if stored.raw_text is None:
            raise _bad("there is no text in the message to edit")
        parse_mode = params.get("parse_mode") or None
        raw_text = params.get("text")
        plain = self._checked_text(raw_text, parse_mode)
        markup = self._markup_param(params)
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        # Omitting reply_markup removes the inline keyboard, as on Telegram.
        current = (stored.raw_text, stored.parse_mode, stored.markup)
        if (str(raw_text), parse_mode, markup) == current:
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        stored.raw_text, stored.parse_mode, stored.markup = str(raw_text), parse_mode, markup
        stored.edited = True
        stored.message["text"] = plain
        stored.message["edit_date"] = _now()
        if markup is None:
            stored.message.pop("reply_markup", None)
        else:
            stored.message["reply_markup"] = markup
        self._record_event("editMessageText", chat_id, stored.message["message_id"], params, stored)
        return stored.message

    async def _api_editMessageReplyMarkup(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        chat_id, chat = self._chat_for_bot(params)
        stored = self._bot_message(chat, params, for_edit=True)
        markup = self._markup_param(params)
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        current = stored.message.get("reply_markup")
        if markup == current or (markup is None and current is None):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        stored.markup = markup
        stored.edited = True
        stored.message["edit_date"] = _now()
        if markup is None:
            stored.message.pop("reply_markup", None)
        else:
            stored.message["reply_markup"] = markup
        message_id = stored.message["message_id"]
        self._record_event("editMessageReplyMarkup", chat_id, message_id, params, stored)
        return stored.message

    async def _api_deleteMessage(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        chat_id, chat = self._chat_for_bot(params)
        stored = self._bot_message(chat, params, for_edit=False)
        stored.deleted = True
        self._record_event("deleteMessage", chat_id, stored.message["message_id"], params, stored)
        return True

    async def _api_answerCallbackQuery(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        query = self._callback_queries.get(query_id)
        if query is None or query.answer is not None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and _utf16_len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        query.answer = dict(params)
        self._record_event("answerCallbackQuery", query.chat_id, query.message_id, params, None)
        return True

    async def _api_sendChatAction(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        self._chat_for_bot(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    async def _api_sendDocument(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        chat_id, chat = self._chat_for_bot(params)
        source = params.get("document")
        upload = uploads.get("document")
        if isinstance(source, str) and source.startswith("attach://"):
            upload = uploads.get(source.removeprefix("attach://"))
            if upload is None:
                raise _bad("wrong file identifier/HTTP URL specified")
        if upload is not None:
            if not upload.data:
                raise _bad("file must be non-empty")
            stored_file = self._new_file(
                "document", upload.data, file_name=upload.filename, mime_type=upload.content_type
            )
        elif isinstance(source, str) and source in self._files:
            stored_file = self._files[source]
        elif isinstance(source, str) and source.startswith(("http://", "https://")):
            raise _bad("failed to get HTTP URL content")  # no network here
        elif not source:
            raise _bad("there is no document in the request")
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        parse_mode = params.get("parse_mode") or None
        caption = params.get("caption")
        plain_caption = self._checked_text(caption, parse_mode, caption=True) if caption else None
        markup = self._markup_param(params)
        reply_to = self._reply_to(chat, params)
        message: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": self.bot_user,
            "chat": chat.chat,
            "date": _now(),
            "document": stored_file.document(),
        }
        if plain_caption:
            message["caption"] = plain_caption
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        stored = _StoredMessage(
            message=message, outgoing=True, parse_mode=parse_mode, markup=markup, file=stored_file
        )
        self._store_bot_message(chat, stored)
        self._record_event("sendDocument", chat_id, message["message_id"], params, stored)
        return message

    async def _api_getFile(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _api_close(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        return True

    async def _api_logOut(self, params: Params, uploads: dict[str, _Upload]) -> Any:
        return True

    # ---------------------------------------------------------------- simulated users

    async def _enqueue(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update["update_id"] = update_id
        self._last_update_id = update_id
        self._updates.append((update_id, update))
        self._updates_available.set()
        return update_id

    async def _user_message(
        self,
        user_id: int,
        content: dict[str, Any],
        *,
        language_code: str | None = "sv",
        chat_id: int | None = None,
        chat_type: str = "private",
        is_bot: bool = False,
        forward: bool = False,
    ) -> int:
        chat_id = user_id if chat_id is None else chat_id
        chat = self._chat_for_user(chat_id, chat_type)
        user = self._user(user_id, language_code, is_bot)
        message: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "date": _now(),
            "chat": chat.chat,
        }
        if chat_type == "channel":
            message["sender_chat"] = chat.chat
        else:
            message["from"] = user
        if forward:
            message["forward_origin"] = {
                "type": "hidden_user",
                "sender_user_name": "Someone Else",
                "date": _now() - 60,
            }
        message.update(content)
        chat.messages[message["message_id"]] = _StoredMessage(message=message, outgoing=False)
        key = "channel_post" if chat_type == "channel" else "message"
        return await self._enqueue({key: copy.deepcopy(message)})

    async def send_message(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str | None = "sv",
        chat_id: int | None = None,
        chat_type: str = "private",
        entities: list[dict[str, Any]] | None = None,
        is_bot: bool = False,
        forward: bool = False,
    ) -> int:
        """Enqueue an Update with a text Message from `user_id`; returns the update_id."""
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = [dict(entity) for entity in entities]
        return await self._user_message(
            user_id,
            content,
            language_code=language_code,
            chat_id=chat_id,
            chat_type=chat_type,
            is_bot=is_bot,
            forward=forward,
        )

    async def send_command(self, user_id: int, command: str, args: str = "", **kw: Any) -> int:
        """Enqueue ``/command [args]`` with a bot_command entity; ``command`` may omit the slash."""
        name = command.removeprefix("/")
        text = f"/{name} {args}" if args else f"/{name}"
        entity = {"type": "bot_command", "offset": 0, "length": len(name) + 1}
        return await self.send_message(user_id, text, entities=[entity], **kw)

    async def press(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        language_code: str | None = "sv",
    ) -> str:
        """Enqueue a callback_query for the bot's message `message_id`; returns the query id.

        Raises LookupError if the bot has no such (undeleted) message in the chat.
        """
        chat_id = user_id if chat_id is None else chat_id
        chat = self._chats.get(chat_id)
        stored = chat.messages.get(message_id) if chat is not None else None
        if stored is None or stored.deleted or not stored.outgoing:
            raise LookupError(f"no bot message {message_id} in chat {chat_id}")
        query_id = str(4_000_000_000_000_000 + next(self._callback_ids))
        self._callback_queries[query_id] = _CallbackQuery(chat_id=chat_id, message_id=message_id)
        query = {
            "id": query_id,
            "from": self._user(user_id, language_code),
            "chat_instance": str(7_000_000_000_000 + abs(chat_id)),
            "data": data,
            "message": copy.deepcopy(stored.message),
        }
        await self._enqueue({"callback_query": query})
        return query_id

    async def send_voice(
        self, user_id: int, *, duration: int = 5, file_id: str | None = None, **kw: Any
    ) -> int:
        """Enqueue a voice message (OGG/Opus placeholder bytes, downloadable via getFile)."""
        stored = self._files.get(file_id) if file_id else None
        if stored is None:
            stored = self._new_file(
                "voice", b"OggS" + bytes(60), file_name=None, mime_type="audio/ogg", file_id=file_id
            )
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(stored.data),
        }
        return await self._user_message(user_id, {"voice": voice}, **kw)

    async def send_sticker(self, user_id: int, *, emoji: str = "👍", **kw: Any) -> int:
        """Enqueue a regular static sticker."""
        data = b"RIFF" + bytes(60)
        stored = self._new_file("sticker", data, file_name=None, mime_type="image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.data),
        }
        return await self._user_message(user_id, {"sticker": sticker}, **kw)

    async def send_photo(self, user_id: int, *, caption: str | None = None, **kw: Any) -> int:
        """Enqueue a photo (two sizes), optionally captioned."""
        sizes = []
        for width, height in ((90, 67), (800, 600)):
            data = b"\xff\xd8\xff" + bytes(width)
            stored = self._new_file("photo", data, file_name=None, mime_type="image/jpeg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(stored.data),
                }
            )
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return await self._user_message(user_id, content, **kw)

    async def send_document(
        self,
        user_id: int,
        *,
        file_name: str = "document.pdf",
        data: bytes = b"%PDF-1.4\n% local test document\n",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        **kw: Any,
    ) -> int:
        """Enqueue a document upload from the user (bytes downloadable via getFile)."""
        stored = self._new_file("document", data, file_name=file_name, mime_type=mime_type)
        content: dict[str, Any] = {"document": stored.document()}
        if caption:
            content["caption"] = caption
        return await self._user_message(user_id, content, **kw)

    async def edit_user_message(
        self,
        user_id: int,
        message_id: int,
        new_text: str,
        *,
        chat_id: int | None = None,
        language_code: str | None = "sv",
    ) -> int:
        """Enqueue an edited_message for a text message the user sent earlier.

        Raises LookupError if the user sent no such message.
        """
        chat_id = user_id if chat_id is None else chat_id
        chat = self._chats.get(chat_id)
        stored = chat.messages.get(message_id) if chat is not None else None
        if stored is None or stored.outgoing or stored.message.get("from", {}).get("id") != user_id:
            raise LookupError(f"user {user_id} sent no message {message_id} in chat {chat_id}")
        is_bot = bool(stored.message["from"]["is_bot"])
        stored.message["from"] = self._user(user_id, language_code, is_bot)
        stored.message["text"] = new_text
        stored.message.pop("entities", None)
        stored.message["edit_date"] = _now()
        stored.edited = True
        return await self._enqueue({"edited_message": copy.deepcopy(stored.message)})

    async def send_raw_update(self, update: dict[str, Any]) -> int:
        """Enqueue an arbitrary update dict (copied; its update_id is assigned here)."""
        return await self._enqueue(copy.deepcopy(update))

    async def block_bot(self, user_id: int) -> int:
        """The user blocks the bot: a my_chat_member update, then sends to them fail with 403."""
        self._blocked.add(user_id)
        return await self._member_update(user_id, "member", "kicked")

    async def unblock_bot(self, user_id: int) -> int:
        """The user unblocks the bot again (my_chat_member update)."""
        self._blocked.discard(user_id)
        return await self._member_update(user_id, "kicked", "member")

    async def _member_update(self, user_id: int, old: str, new: str) -> int:
        chat = self._chat_for_user(user_id, "private")
        user = self._users.get(user_id) or self._user(user_id, None)
        new_member: dict[str, Any] = {"user": self.bot_user, "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        update = {
            "my_chat_member": {
                "chat": chat.chat,
                "from": user,
                "date": _now(),
                "old_chat_member": {"user": self.bot_user, "status": old},
                "new_chat_member": new_member,
            }
        }
        return await self._enqueue(copy.deepcopy(update))

    # ---------------------------------------------------------------- observing the bot

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


async def _serve(port: int, token: str, bot_username: str) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            # Graceful stop on Ctrl-C and on SIGTERM from a process manager.
            loop.add_signal_handler(signum, stopping.set)
        except (NotImplementedError, RuntimeError):  # e.g. Windows: KeyboardInterrupt instead
            pass
    async with LocalBotApi(port=port, token=token, bot_username=bot_username) as api:
        print(f"Local Bot API running. base_url={api.base_url} base_file_url={api.base_file_url}")
        print(f"Token: {api.token}   (Ctrl-C to stop)", flush=True)
        await stopping.wait()
    print("Local Bot API stopped.", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point: serve on 127.0.0.1 until interrupted."""
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:LOCAL-TEST-TOKEN")
    parser.add_argument("--bot-username", default="citizen_feedback_bot")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.token, args.bot_username))


if __name__ == "__main__":
    main()
