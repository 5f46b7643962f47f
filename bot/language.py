"""Guessing the language of a resident's own text.

A first detector: Unicode scripts settle what they can (Ethiopic, Syriac, Cyrillic, ...), and
langdetect, with a fixed seed so results are repeatable, decides among Latin- and Arabic-script
languages. Short texts are where it is weakest.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter

_factory_lock = threading.Lock()
_factory_ready = False

# Scripts that point to one language (or one we label it by) on their own.
_SCRIPT_LANGUAGE = {
    "SYRIAC": "syc",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
    "THAI": "th",
    "HEBREW": "he",
    "GREEK": "el",
}


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else None


def dominant_script(text: str) -> str | None:
    counts = Counter(script for script in map(_script, text) if script)
    return counts.most_common(1)[0][0] if counts else None


def _ensure_factory() -> None:
    global _factory_ready
    if _factory_ready:
        return
    with _factory_lock:
        if not _factory_ready:
            from langdetect import DetectorFactory

            DetectorFactory.seed = 0
            _factory_ready = True


def detect(text: str, *, hint: str | None = None) -> str | None:
    """An ISO 639 code for the language of ``text``, or None when it cannot tell.

    ``hint`` (the resident's chosen language) breaks ties on very short text.
    """
    stripped = text.strip()
    if not any(char.isalpha() for char in stripped):
        return None
    script = dominant_script(stripped)
    if script in _SCRIPT_LANGUAGE:
        return _SCRIPT_LANGUAGE[script]
    if script == "ETHIOPIC":
        # Tigrinya and Amharic share the script; the hint is the best we have here.
        return hint if hint in ("ti", "am") else "ti"
    _ensure_factory()
    from langdetect import LangDetectException, detect_langs

    try:
        candidates = detect_langs(stripped)
    except LangDetectException:
        return hint
    best = candidates[0]
    if hint and len(stripped.split()) <= 3:
        for candidate in candidates:
            if candidate.lang.split("-")[0] == hint and candidate.prob >= 0.2:
                return hint
    return best.lang.split("-")[0]
