"""Simulated Telegram users: what they send becomes updates for the bot to fetch."""

from __future__ import annotations

import copy
from typing import Any

from bot.preview.botapi.state import BotApiState, CallbackQuery, StoredMessage, now


class SimulatedResidents(BotApiState):
    """The users' side of each chat: messages, button presses, media, edits, blocking the bot.

    Each method enqueues one update and returns its update_id (`press` returns the query id).
    """

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
            "date": now(),
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
                "date": now() - 60,
            }
        message.update(content)
        chat.messages[message["message_id"]] = StoredMessage(message=message, outgoing=False)
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
        self._callback_queries[query_id] = CallbackQuery(chat_id=chat_id, message_id=message_id)
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
        stored.message["edit_date"] = now()
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
                "date": now(),
                "old_chat_member": {"user": self.bot_user, "status": old},
                "new_chat_member": new_member,
            }
        }
        return await self._enqueue(copy.deepcopy(update))
