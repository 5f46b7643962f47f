"""What the fake Bot API remembers: chats, messages, files, pending updates and the bot's activity.

`BotApiState` holds it all and the helpers every part of the server shares; the Bot API
methods, the simulated users, the HTTP server and the inspection helpers build on it.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.preview.botapi.errors import ApiError, bad_request
from bot.preview.botapi.loopback import is_loopback
from bot.preview.botapi.params import Params, Upload, as_int

Event = dict[str, Any]
MethodHandler = Callable[[Params, dict[str, Upload]], Awaitable[Any]]

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


@dataclass(slots=True)
class StoredFile:
    """A file the bot uploaded or a simulated user sent, downloadable by its file_path."""

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
class StoredMessage:
    """One message in a chat, from the bot or a simulated user, in its current state."""

    message: dict[str, Any]  # Telegram-shaped Message, current state
    outgoing: bool  # sent by the bot
    raw_text: str | None = None  # text exactly as the bot sent it (markup included)
    parse_mode: str | None = None
    markup: dict[str, Any] | None = None  # any reply_markup the bot sent (not only inline)
    file: StoredFile | None = None
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
class Chat:
    """A chat with its messages; message ids count up per chat, shared by bot and users."""

    chat: dict[str, Any]
    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(slots=True)
class CallbackQuery:
    """A button press by a simulated user and, once the bot answers it, the answer."""

    chat_id: int
    message_id: int
    answer: Params | None = None


def now() -> int:
    """Telegram's timestamps: whole seconds since the epoch."""
    return int(time.time())


class BotApiState:
    """The server's memory and the helpers shared by the Bot API methods and simulated users.

    Not thread-safe: use it from the event loop it was started on.
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
        # Set while stopping: long polls return at once and webhook delivery ends.
        self._closing = False

        self._chats: dict[int, Chat] = {}
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

        self._callback_queries: dict[str, CallbackQuery] = {}
        self._callback_ids = itertools.count(1)
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_ids = itertools.count(1)

        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._descriptions: dict[tuple[str, str], str] = {}

        self._in_flight = 0
        self._last_activity = 0.0

        # Every Bot API method is an ``_api_<name>`` coroutine; they are looked up
        # case-insensitively, as Telegram does.
        self._methods: dict[str, tuple[str, MethodHandler]] = {}
        for attribute in dir(type(self)):
            if attribute.startswith("_api_"):
                name = attribute.removeprefix("_api_")
                self._methods[name.lower()] = (name, getattr(self, attribute))

    def _note_activity(self) -> None:
        """Mark now as the last time the bot did something (see wait_until_idle)."""
        self._last_activity = asyncio.get_running_loop().time()

    def _canonical(self, method: str) -> str:
        entry = self._methods.get(method.lower())
        return entry[0] if entry else method

    def _record_event(
        self,
        method: str,
        chat_id: int,
        message_id: int | None,
        params: Params,
        message: StoredMessage | None,
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

    def _chat_for_user(self, chat_id: int, chat_type: str) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type == "private":
                obj: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": "Test"}
            else:
                obj = {"id": chat_id, "type": chat_type, "title": f"Test {chat_type}"}
            chat = self._chats[chat_id] = Chat(obj)
        return chat

    def _chat_for_bot(self, params: Params) -> tuple[int, Chat]:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            raise bad_request("chat not found")
        chat_id = as_int(raw, "chat_id")
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise bad_request("chat not found")
            chat = self._chat_for_user(chat_id, "private" if chat_id > 0 else "supergroup")
        if chat_id in self._blocked:
            raise ApiError("Forbidden: bot was blocked by the user", 403)
        return chat_id, chat

    def _new_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None,
        mime_type: str | None,
        file_id: str | None = None,
    ) -> StoredFile:
        number = next(self._file_ids)
        file_id = file_id or f"LOCAL-{kind}-{number:06d}"
        extension = file_name.rpartition(".")[2] if file_name and "." in file_name else "bin"
        stored = StoredFile(
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

    def _confirm(self, offset: int) -> None:
        """Forget the updates the bot confirmed with getUpdates' ``offset``."""
        if offset > 0:
            while self._updates and self._updates[0][0] < offset:
                self._updates.popleft()
        elif offset < 0:
            # Negative offset: keep only the last -offset updates.
            while len(self._updates) > -offset:
                self._updates.popleft()
        if not self._updates and not self._closing:
            self._updates_available.clear()

    def _stop_webhook(self) -> None:
        self.webhook = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
