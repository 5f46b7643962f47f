"""The Bot API methods the bot calls to talk to users and to set itself up.

How updates reach the bot (getUpdates, webhooks) lives in `delivery`.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from bot.preview.botapi.errors import bad_request
from bot.preview.botapi.formatting import checked_text, utf16_len, validate_reply_markup
from bot.preview.botapi.params import Params, Upload, as_bool, as_int, as_json_object
from bot.preview.botapi.state import BotApiState, Chat, StoredMessage, now

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
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class BotApiMethods(BotApiState):
    """Messages, callback answers, files, commands and descriptions, checked as Telegram checks them."""

    def _bot_message(self, chat: Chat, params: Params, *, for_edit: bool) -> StoredMessage:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the local Bot API")
        if params.get("message_id") in (None, ""):
            raise bad_request("message identifier is not specified")
        message_id = as_int(params["message_id"], "message_id")
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted:
            raise bad_request("message to edit not found" if for_edit else "message to delete not found")
        if for_edit and not stored.outgoing:
            raise bad_request("message can't be edited")
        return stored

    def _markup_param(self, params: Params) -> dict[str, Any] | None:
        if params.get("reply_markup") in (None, ""):
            return None
        return validate_reply_markup(as_json_object(params["reply_markup"], "reply_markup"))

    def _reply_to(self, chat: Chat, params: Params) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if reply not in (None, ""):
            reply = as_json_object(reply, "reply_parameters")
            if not isinstance(reply, dict) or "message_id" not in reply:
                raise bad_request("can't parse reply parameters JSON object")
            target_id = as_int(reply["message_id"], "message_id")
            allow_missing = as_bool(reply.get("allow_sending_without_reply", False))
        elif params.get("reply_to_message_id") not in (None, ""):
            target_id = as_int(params["reply_to_message_id"], "reply_to_message_id")
            allow_missing = as_bool(params.get("allow_sending_without_reply", False))
        else:
            return None
        target = chat.messages.get(target_id)
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        replied = dict(target.message)
        replied.pop("reply_to_message", None)
        return copy.deepcopy(replied)

    @staticmethod
    def _store_bot_message(chat: Chat, stored: StoredMessage) -> None:
        message_id = stored.message["message_id"]
        chat.messages[message_id] = stored
        chat.bot_message_ids.append(message_id)

    async def _api_getMe(self, params: Params, uploads: dict[str, Upload]) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _scope_key(params: Params) -> tuple[str, str]:
        scope = as_json_object(params.get("scope") or {"type": "default"}, "scope")
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _api_setMyCommands(self, params: Params, uploads: dict[str, Upload]) -> Any:
        commands = as_json_object(params.get("commands"), "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        cleaned: list[dict[str, Any]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("command description is invalid")
            cleaned.append({"command": name, "description": description})
        self._commands[self._scope_key(params)] = cleaned
        return True

    async def _api_getMyCommands(self, params: Params, uploads: dict[str, Upload]) -> Any:
        return copy.deepcopy(self._commands.get(self._scope_key(params), []))

    async def _api_deleteMyCommands(self, params: Params, uploads: dict[str, Upload]) -> Any:
        self._commands.pop(self._scope_key(params), None)
        return True

    def _set_description(self, params: Params, key: str, limit: int) -> bool:
        value = params.get(key) or ""
        if not isinstance(value, str) or len(value) > limit:
            raise bad_request(f"{key.replace('_', ' ')} is too long")
        self._descriptions[(key, str(params.get("language_code") or ""))] = value
        return True

    async def _api_setMyDescription(self, params: Params, uploads: dict[str, Upload]) -> Any:
        return self._set_description(params, "description", 512)

    async def _api_setMyShortDescription(self, params: Params, uploads: dict[str, Upload]) -> Any:
        return self._set_description(params, "short_description", 120)

    async def _api_getMyDescription(self, params: Params, uploads: dict[str, Upload]) -> Any:
        lang = str(params.get("language_code") or "")
        return {"description": self._descriptions.get(("description", lang), "")}

    async def _api_getMyShortDescription(self, params: Params, uploads: dict[str, Upload]) -> Any:
        lang = str(params.get("language_code") or "")
        return {"short_description": self._descriptions.get(("short_description", lang), "")}

    async def _api_setMyName(self, params: Params, uploads: dict[str, Upload]) -> Any:
        return True

    async def _api_setChatMenuButton(self, params: Params, uploads: dict[str, Upload]) -> Any:
        return True

    def _outgoing_message(
        self,
        chat: Chat,
        content: dict[str, Any],
        reply_to: dict[str, Any] | None,
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """A new message from the bot in ``chat``, as Telegram returns it."""
        message: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": self.bot_user,
            "chat": chat.chat,
            "date": now(),
            **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if markup is not None and "inline_keyboard" in markup:
            # Telegram only echoes inline keyboards back on the Message.
            message["reply_markup"] = markup
        return message

    async def _api_sendMessage(self, params: Params, uploads: dict[str, Upload]) -> Any:
        chat_id, chat = self._chat_for_bot(params)
        parse_mode = params.get("parse_mode") or None
        raw_text = params.get("text")
        plain = checked_text(raw_text, parse_mode)
        markup = self._markup_param(params)
        reply_to = self._reply_to(chat, params)
        message = self._outgoing_message(chat, {"text": plain}, reply_to, markup)
        if params.get("link_preview_options") not in (None, ""):
            options = as_json_object(params["link_preview_options"], "link_preview_options")
            message["link_preview_options"] = options
        stored = StoredMessage(
            message=message,
            outgoing=True,
            raw_text=str(raw_text),
            parse_mode=parse_mode,
            markup=markup,
        )
        self._store_bot_message(chat, stored)
        self._record_event("sendMessage", chat_id, message["message_id"], params, stored)
        return message

    async def _api_editMessageText(self, params: Params, uploads: dict[str, Upload]) -> Any:
        chat_id, chat = self._chat_for_bot(params)
        stored = self._bot_message(chat, params, for_edit=True)
        if stored.raw_text is None:
            raise bad_request("there is no text in the message to edit")
        parse_mode = params.get("parse_mode") or None
        raw_text = params.get("text")
        plain = checked_text(raw_text, parse_mode)
        markup = self._markup_param(params)
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        # Omitting reply_markup removes the inline keyboard, as on Telegram.
        current = (stored.raw_text, stored.parse_mode, stored.markup)
        if (str(raw_text), parse_mode, markup) == current:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        stored.raw_text, stored.parse_mode, stored.markup = str(raw_text), parse_mode, markup
        stored.edited = True
        stored.message["text"] = plain
        stored.message["edit_date"] = now()
        if markup is None:
            stored.message.pop("reply_markup", None)
        else:
            stored.message["reply_markup"] = markup
        self._record_event("editMessageText", chat_id, stored.message["message_id"], params, stored)
        return stored.message

    async def _api_editMessageReplyMarkup(self, params: Params, uploads: dict[str, Upload]) -> Any:
        chat_id, chat = self._chat_for_bot(params)
        stored = self._bot_message(chat, params, for_edit=True)
        markup = self._markup_param(params)
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        current = stored.message.get("reply_markup")
        if markup == current or (markup is None and current is None):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        stored.markup = markup
        stored.edited = True
        stored.message["edit_date"] = now()
        if markup is None:
            stored.message.pop("reply_markup", None)
        else:
            stored.message["reply_markup"] = markup
        message_id = stored.message["message_id"]
        self._record_event("editMessageReplyMarkup", chat_id, message_id, params, stored)
        return stored.message

    async def _api_deleteMessage(self, params: Params, uploads: dict[str, Upload]) -> Any:
        chat_id, chat = self._chat_for_bot(params)
        stored = self._bot_message(chat, params, for_edit=False)
        stored.deleted = True
        self._record_event("deleteMessage", chat_id, stored.message["message_id"], params, stored)
        return True

    async def _api_answerCallbackQuery(self, params: Params, uploads: dict[str, Upload]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        query = self._callback_queries.get(query_id)
        if query is None or query.answer is not None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = dict(params)
        self._record_event("answerCallbackQuery", query.chat_id, query.message_id, params, None)
        return True

    async def _api_sendChatAction(self, params: Params, uploads: dict[str, Upload]) -> Any:
        self._chat_for_bot(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _api_sendDocument(self, params: Params, uploads: dict[str, Upload]) -> Any:
        chat_id, chat = self._chat_for_bot(params)
        source = params.get("document")
        upload = uploads.get("document")
        if isinstance(source, str) and source.startswith("attach://"):
            upload = uploads.get(source.removeprefix("attach://"))
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            stored_file = self._new_file(
                "document", upload.data, file_name=upload.filename, mime_type=upload.content_type
            )
        elif isinstance(source, str) and source in self._files:
            stored_file = self._files[source]
        elif isinstance(source, str) and source.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")  # no network here
        elif not source:
            raise bad_request("there is no document in the request")
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        parse_mode = params.get("parse_mode") or None
        caption = params.get("caption")
        plain_caption = checked_text(caption, parse_mode, caption=True) if caption else None
        markup = self._markup_param(params)
        reply_to = self._reply_to(chat, params)
        content: dict[str, Any] = {"document": stored_file.document()}
        if plain_caption:
            content["caption"] = plain_caption
        message = self._outgoing_message(chat, content, reply_to, markup)
        stored = StoredMessage(
            message=message, outgoing=True, parse_mode=parse_mode, markup=markup, file=stored_file
        )
        self._store_bot_message(chat, stored)
        self._record_event("sendDocument", chat_id, message["message_id"], params, stored)
        return message

    async def _api_getFile(self, params: Params, uploads: dict[str, Upload]) -> Any:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _api_close(self, params: Params, uploads: dict[str, Upload]) -> Any:
        return True

    async def _api_logOut(self, params: Params, uploads: dict[str, Upload]) -> Any:
        return True
