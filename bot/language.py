"""Guessing the language of a resident's own text.

A first detector: Unicode scripts settle what they can (Ethiopic, Syriac, Cyrillic, ...), and
langdetect, with a fixed seed so results are repeatable, decides among Latin- and Arabic-script
languages. Short texts are where it is weakest.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

# Only the languages residents of Botkyrka are likely to write, and their close neighbours
# (so Norwegian or Danish text is not forced into Swedish). Loading all 55 of langdetect's
# profiles would cost about 60 MB of memory for languages nobody here writes.
CANDIDATE_LANGUAGES = (
    "sv",
    "en",
    "ar",
    "so",
    "tr",
    "fa",
    "fi",
    "pl",
    "es",
    "hr",
    "ru",
    "uk",
    "de",
    "fr",
    "it",
    "pt",
    "nl",
    "no",
    "da",
    "et",
    "el",
    "sq",
    "ur",
)

_factory_lock = threading.Lock()
_factory: DetectorFactory | None = None

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


def _detector_factory() -> DetectorFactory:
    """Loaded on first use, so a bot that never receives a story never pays for it."""
    global _factory
    with _factory_lock:
        if _factory is None:
            factory = DetectorFactory()
            factory.seed = 0  # repeatable results
            profiles = Path(PROFILES_DIRECTORY)
            factory.load_json_profile(
                [(profiles / code).read_text(encoding="utf-8") for code in CANDIDATE_LANGUAGES]
            )
            _factory = factory
        return _factory


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
    detector = _detector_factory().create()
    detector.append(stripped)
    try:
        candidates = detector.get_probabilities()
    except LangDetectException:
        return hint
    if not candidates:
        return hint
    best = candidates[0]
    if hint and len(stripped.split()) <= 3:
        for candidate in candidates:
            if candidate.lang.split("-")[0] == hint and candidate.prob >= 0.2:
                return hint
    return best.lang.split("-")[0]
