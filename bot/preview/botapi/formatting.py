"""Telegram's text and markup rules: parse modes, length limits and reply markup checks.

Telegram validates HTML and MarkdownV2 and stores the plain text; doing the same here makes
tests fail on templates that real Telegram would reject.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.preview.botapi.errors import ApiError, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
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
    return bad_request(f"can't parse entities: {message}")


def html_to_plain(text: str) -> str:
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


def markdown_v2_to_plain(text: str) -> str:
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


def to_plain(text: str, parse_mode: str | None) -> str:
    mode = (parse_mode or "").lower()
    if mode == "html":
        return html_to_plain(text)
    if mode == "markdownv2":
        return markdown_v2_to_plain(text)
    if mode in ("", "markdown"):
        return text  # legacy Markdown is lenient; not worth emulating
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


def utf16_len(text: str) -> int:
    # Telegram's length limits count UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def checked_text(text: Any, parse_mode: str | None, *, caption: bool = False) -> str:
    """The visible text of a message text or caption, checked as Telegram checks it."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        text = str(text)
    plain = to_plain(text, parse_mode).strip()
    if caption:
        if utf16_len(plain) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        return plain
    if not plain:
        raise bad_request("message text is empty")
    if utf16_len(plain) > MAX_TEXT:
        raise bad_request("message is too long")
    return plain


def validate_reply_markup(markup: Any) -> dict[str, Any]:
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad_request(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                if not _INLINE_BUTTON_ACTIONS.intersection(button):
                    raise bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the "
                        "inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                    if not 1 <= size <= MAX_CALLBACK_DATA:
                        raise bad_request("BUTTON_DATA_INVALID")
                if "url" in button and not button["url"]:
                    raise bad_request("BUTTON_URL_INVALID")
    elif "keyboard" in markup:
        if not isinstance(markup["keyboard"], list):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    elif not ("remove_keyboard" in markup or "force_reply" in markup):
        raise bad_request('can\'t find field "inline_keyboard"')
    return markup
