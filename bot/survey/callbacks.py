"""Language-neutral callback data carried by inline buttons (64 bytes at most).

lang:<code>                 choose a language
consent:yes:<text> | consent:no | consent:young
                            agree to the consent text shown (<text>: its fingerprint), decline,
                            or too young to take part
a:<question>:<option>       answer a single-choice question
t:<question>:<option>       tick or untick an option of a multiple choice
d:<question>                confirm a multiple choice
s:<question>                skip a question
del:yes | del:no            confirm or cancel deleting one's data
notice:yes | notice:no      ask, or stop asking, for a message when the municipality has answered
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from bot.survey.definition import is_code

MAX_CALLBACK_BYTES = 64
_FINGERPRINT = re.compile(r"[0-9a-f]{8}")


class Action(StrEnum):
    LANGUAGE = "lang"
    CONSENT = "consent"
    ANSWER = "a"
    TOGGLE = "t"
    DONE = "d"
    SKIP = "s"
    DELETE = "del"
    NOTICE = "notice"


# The consent buttons' values: take part, decline, or too young to take part.
CONSENT_YES = "yes"
CONSENT_NO = "no"
UNDER_AGE = "young"
# The start of a "yes" button's data; the shown text's fingerprint follows.
AGREE_PREFIX = f"{Action.CONSENT.value}:{CONSENT_YES}:"


@dataclass(frozen=True, slots=True)
class Callback:
    action: Action
    question: str = ""
    value: str = ""
    # On "agree": the fingerprint of the consent text the button was sent with, so that an
    # agreement is recorded only to the text the resident read.
    shown: str = ""

    def encode(self) -> str:
        parts = [self.action.value]
        if self.question:
            parts.append(self.question)
        if self.value:
            parts.append(self.value)
        if self.shown:
            parts.append(self.shown)
        data = ":".join(parts)
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data}")
        return data


def fingerprint(text: str) -> str:
    """A short fingerprint of a text shown to a resident, carried in a button's data."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def parse(data: str | None) -> Callback | None:
    """The callback, or None for anything unknown or malformed (old or forged buttons)."""
    if not data or len(data) > MAX_CALLBACK_BYTES:
        return None
    head, _, rest = data.partition(":")
    try:
        action = Action(head)
    except ValueError:
        return None
    parts = rest.split(":") if rest else []
    if action is Action.CONSENT and len(parts) == 2 and parts[0] == CONSENT_YES:
        if not _FINGERPRINT.fullmatch(parts[1]):
            return None
        return Callback(action, value=CONSENT_YES, shown=parts[1])
    if action in (Action.LANGUAGE, Action.CONSENT, Action.DELETE, Action.NOTICE):
        if len(parts) != 1 or not parts[0]:
            return None
        value = parts[0]
        if action is Action.LANGUAGE and not value.replace("-", "").isalnum():
            return None
        if action is Action.CONSENT and value not in (CONSENT_YES, CONSENT_NO, UNDER_AGE):
            return None
        if action in (Action.DELETE, Action.NOTICE) and value not in ("yes", "no"):
            return None
        return Callback(action, value=value)
    if action in (Action.ANSWER, Action.TOGGLE):
        if len(parts) != 2 or not all(map(is_code, parts)):
            return None
        return Callback(action, question=parts[0], value=parts[1])
    if len(parts) != 1 or not is_code(parts[0]):
        return None
    return Callback(action, question=parts[0])
