"""Text on the wire: the Bot API speaks UTF-8 JSON, and a Python string may hold what UTF-8 cannot.

A lone surrogate (U+D800 to U+DFFF on its own) is valid in a JSON ``\\uXXXX`` escape and in a
Python ``str`` but has no UTF-8 form, so it is refused where it comes in and, should one reach
an answer anyway, replaced there rather than failing every later answer that carries it.
"""

from __future__ import annotations

import json
import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def has_unencodable_text(value: Any) -> bool:
    """Whether any string in ``value`` (JSON-like: strings, lists, dicts and their keys) has no
    UTF-8 form. Walks without recursion, so any nesting the JSON parser allowed is fine."""
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def encode_json(payload: Any) -> bytes:
    """``payload`` as UTF-8 JSON; non-ASCII text stays readable, as in Telegram's own answers.

    Lone surrogates become U+FFFD, as a decoder does with bytes it cannot read; JSON's own
    syntax is ASCII, so only text inside strings is touched.
    """
    text = json.dumps(payload, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")
