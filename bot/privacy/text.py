"""Removing junk characters from residents' text before it is scanned and stored.

A story may carry characters nobody sees: NUL and other control characters, terminal escape
sequences, bidi overrides that reverse what staff read in a report, zero-width characters and
soft hyphens that split a phone number or an e-mail address so the scrubber misses it. None of
them carries meaning a reader could see, so they are removed.

What is kept: newline and tab; a carriage return becomes a newline (it separates lines, so
dropping it would glue two lines together). Two joiners stay where they do work: the zero-width
non-joiner (U+200C) between letters of a script written from U+0590 onwards (Persian "می‌خواهم",
Sorani, Indic scripts), and the zero-width joiner (U+200D) there too and between the emoji of a
sequence ("👩‍👩‍👧", "🏳️‍🌈"); a run of them counts as one. Elsewhere they are removed like the
other invisible characters. The left-to-right, right-to-left and Arabic letter marks are kept:
unlike overrides they cannot reorder letters, and in right-to-left text they place a minus sign
or a bracket where the writer meant it (scanning for personal data looks through them anyway).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["INVISIBLE", "clean_text"]

# Terminal escape sequences, whole: CSI (ESC [ or the C1 byte 0x9B, parameters, final byte),
# OSC and the other string commands when terminated (BEL or ESC \; an unterminated one loses
# only its introducer, not the rest of the story), and two-character escapes.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]{0,512}(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]?"
)

# Format characters that only hide or reorder text: soft hyphen, Mongolian vowel separator,
# zero-width space, embeddings, overrides and isolates, word joiner and invisible operators,
# deprecated format controls, byte order mark, interlinear annotation.
_FORMAT = "\u00ad\u180e\u200b\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
_MARKS = "\u061c\u200e\u200f"
_JOINERS = "\u200c\u200d"
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"

# Everything scanning for personal data must look through (marks and joiners included).
INVISIBLE = re.compile(f"[{_CONTROLS}{_FORMAT}{_MARKS}{_JOINERS}]")

_JUNK = re.compile(f"[{_CONTROLS}{_FORMAT}]")
_SUSPECT = re.compile(f"[{_CONTROLS}\r{_FORMAT}{_JOINERS}]")
_ESCAPE_START = re.compile("[\x1b\x90\x98\x9b\x9d\x9e\x9f]")
_JOINER_RUN = re.compile(f"[{_JOINERS}]+")

# Scripts from Hebrew onwards use joiners between letters; Latin, Greek and Cyrillic do not.
_FIRST_JOINING_SCRIPT = 0x0590
_EMOJI_PART = frozenset(["So", "Sk"])
_EMOJI_PRESENTATION = "\ufe0f\u20e3"


def _is_joining_letter(char: str) -> bool:
    return ord(char) >= _FIRST_JOINING_SCRIPT and unicodedata.category(char)[0] in "LM"


def _joiner_kept(text: str, run: re.Match[str]) -> str:
    """The run of joiners at ``run`` if it sits where it changes how the text looks, else ""."""
    start, end = run.span()
    if start == 0 or end == len(text):
        return ""
    before, after = text[start - 1], text[end]
    joiner = run.group()[0]
    if _is_joining_letter(before) and _is_joining_letter(after):
        return joiner
    if joiner == "\u200d":
        emoji_before = before in _EMOJI_PRESENTATION or unicodedata.category(before) in _EMOJI_PART
        if emoji_before and unicodedata.category(after) == "So":
            return joiner
    return ""


def clean_text(text: str) -> str:
    """``text`` without control characters, escape sequences, bidi controls or stray invisibles."""
    if not _SUSPECT.search(text):
        return text  # nearly every story: nothing to do
    if _ESCAPE_START.search(text):
        text = _ESCAPE_SEQUENCE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _JUNK.sub("", text)
    return _JOINER_RUN.sub(lambda run: _joiner_kept(run.string, run), text)
