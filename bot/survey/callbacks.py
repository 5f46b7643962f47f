"""Language-neutral callback data carried by inline buttons (64 bytes at most).

lang:<code>                 choose a language
consent:yes | consent:no    agree or decline
a:<question>:<option>       answer a single-choice question
t:<question>:<option>       tick or untick an option of a multiple choice
d:<question>                confirm a multiple choice
s:<question>                skip a question
del:yes | del:no            confirm or cancel deleting one's data
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.survey.definition import is_code

MAX_CALLBACK_BYTES = 64


class Action(StrEnum):
    LANGUAGE = "lang"
    CONSENT = "consent"
    ANSWER = "a"
    TOGGLE = "t"
    DONE = "d"
    SKIP = "s"
    DELETE = "del"


# The consent buttons' values: take part, decline, or too young to take part.
CONSENT_YES = "yes"
CONSENT_NO = "no"
UNDER_AGE = "young"


@dataclass(frozen=True, slots=True)
class Callback:
    action: Action
    question: str = ""
    value: str = ""

    def encode(self) -> str:
        parts = [self.action.value]
        if self.question:
            parts.append(self.question)
        if self.value:
            parts.append(self.value)
        data = ":".join(parts)
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data}")
        return data


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
    if action in (Action.LANGUAGE, Action.CONSENT, Action.DELETE):
        if len(parts) != 1 or not parts[0]:
            return None
        value = parts[0]
        if action is Action.LANGUAGE and not value.replace("-", "").isalnum():
            return None
        if action is Action.CONSENT and value not in (CONSENT_YES, CONSENT_NO, UNDER_AGE):
            return None
        if action is Action.DELETE and value not in ("yes", "no"):
            return None
        return Callback(action, value=value)
    if action in (Action.ANSWER, Action.TOGGLE):
        if len(parts) != 2 or not all(map(is_code, parts)):
            return None
        return Callback(action, question=parts[0], value=parts[1])
    if len(parts) != 1 or not is_code(parts[0]):
        return None
    return Callback(action, question=parts[0])
