"""Bot API parameters as they arrive over HTTP, and their coercion to the types a method needs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.preview.botapi.errors import bad_request

Params = dict[str, Any]

# Form/query values arrive as strings; PTB JSON-encodes everything that is not already a
# string, so everything else is json-decoded. These parameters are strings by definition and
# must not be decoded (a text of "123" must stay "123").
STRING_PARAMS = frozenset(
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
JSON_PARAMS = frozenset(
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


@dataclass(slots=True)
class Upload:
    """A file sent with a call as multipart form data."""

    filename: str
    content_type: str
    data: bytes


def decode_value(name: str, value: str) -> Any:
    """A form or query value as the method sees it (see STRING_PARAMS)."""
    if name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise bad_request(f"invalid {name} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise bad_request(f"invalid {name} specified")


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def as_json_object(value: Any, name: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object") from None
            raise bad_request(f"can't parse {name} JSON object") from None
    return value
