"""Themes in residents' stories, found with keyword lists kept per language in ``locales/themes``.

A story is tagged with every theme whose list for the story's language (or for Swedish, which
residents often mix in) has a match. Keyword lists are plain data so that a reviewer who reads
the language can correct them without touching code; ``bench/themes.py`` measures precision and
recall on a labelled set.

List syntax, one TOML file per language, one array per theme:
- a keyword matches whole words only, ignoring case;
- ``*`` at the end or start lets the word continue on that side: ``tolk*`` finds "tolken";
- a keyword of several words matches them with any spacing between, and each of its words may
  carry ``*``: ``godzin* otwarcia`` finds "godziny otwarcia".
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bot.i18n.catalogue import ALIASES

# The order here is the order of the report's sections.
THEMES = (
    "language_barrier",
    "digital_exclusion",
    "travel",
    "waiting_hours",
    "crowding_premises",
    "personal_help",
    "safety",
    "trust_left_behind",
    "move_acceptable",
)

# Written by ``python -m bench.themes --write``: the lists' measured precision and recall,
# which the report quotes.
TAGGING_QUALITY_FILE = "measured.json"

# Languages whose keywords are tried on every story besides the story's own: residents write
# Swedish agency and service names whatever their language.
ALWAYS_TRIED = ("sv",)

_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
_LETTER_VARIANTS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ک": "ك",
        "ı": "i",
        "\u200c": "",  # zero-width non-joiner inside Persian words
        "\u0307": "",  # the dot casefold leaves on a Turkish capital İ
    }
)


class ThemeListError(ValueError):
    """A keyword file that cannot be used; the message names the file and the problem."""


def normalize(text: str) -> str:
    """The form both keywords and stories are compared in."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _ARABIC_MARKS.sub("", folded).translate(_LETTER_VARIANTS)


_WORD = re.compile(r"\w+")


def _open_word(word: str) -> str:
    """One word of a phrase as a pattern: "*" at either end lets it continue on that side."""
    core = re.escape(word.strip("*"))
    return (r"\w*" if word.startswith("*") else "") + core + (r"\w*" if word.endswith("*") else "")


@dataclass(frozen=True, slots=True)
class _Keywords:
    """One theme's keywords in one language, sorted by how they are cheapest to test."""

    words: frozenset[str]  # whole words
    prefixes: tuple[str, ...]  # "tolk*"
    suffixes: tuple[str, ...]  # "*tolk"
    infixes: tuple[str, ...]  # "*tolk*"
    # Several words, or words with a hyphen or apostrophe: each with its longest word, which
    # must occur in the text before the (much slower) pattern is tried.
    phrases: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def build(cls, keywords: list[str]) -> _Keywords:
        words, prefixes, suffixes, infixes, phrases = set(), [], [], [], []
        for keyword in keywords:
            keyword = normalize(keyword.strip())
            open_start, open_end = keyword.startswith("*"), keyword.endswith("*")
            core = keyword.strip("*")
            if _WORD.fullmatch(core) is None:
                # Each word of a phrase may continue on a side marked with "*".
                words_of = keyword.split()
                body = r"\s+".join(_open_word(word) for word in words_of)
                pattern = r"(?<!\w)" + body + r"(?!\w)"
                longest = max((word.strip("*") for word in words_of), key=len)
                phrases.append((longest, re.compile(pattern)))
            elif open_start and open_end:
                infixes.append(core)
            elif open_end:
                prefixes.append(core)
            elif open_start:
                suffixes.append(core)
            else:
                words.add(core)
        return cls(
            frozenset(words),
            tuple(prefixes),
            tuple(suffixes),
            tuple(infixes),
            tuple(phrases),
        )

    def found_in(self, folded: str, tokens: list[str], token_set: set[str]) -> bool:
        if not self.words.isdisjoint(token_set):
            return True
        if self.prefixes and any(token.startswith(self.prefixes) for token in tokens):
            return True
        if self.suffixes and any(token.endswith(self.suffixes) for token in tokens):
            return True
        if any(infix in folded for infix in self.infixes):
            return True
        return any(word in folded and pattern.search(folded) for word, pattern in self.phrases)


@dataclass(frozen=True)
class ThemeTagger:
    """Keyword lists ready to use: ``lists[language][theme]``."""

    lists: dict[str, dict[str, _Keywords]]
    version: str

    @classmethod
    def load(cls, directory: Path) -> ThemeTagger:
        lists: dict[str, dict[str, _Keywords]] = {}
        digest = hashlib.sha256()
        for path in sorted(directory.glob("*.toml")):
            raw = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + raw)
            try:
                themes = tomllib.loads(raw.decode("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                raise ThemeListError(f"{path.name}: {error}") from error
            unknown = set(themes) - set(THEMES)
            if unknown:
                raise ThemeListError(f"{path.name}: unknown themes {', '.join(sorted(unknown))}")
            compiled: dict[str, _Keywords] = {}
            for theme, keywords in themes.items():
                if not isinstance(keywords, list) or not all(
                    isinstance(k, str) and k.strip("* ") for k in keywords
                ):
                    raise ThemeListError(f"{path.name}: {theme} must be a list of non-empty words")
                if keywords:
                    compiled[theme] = _Keywords.build(keywords)
            lists[path.stem] = compiled
        if not lists:
            raise ThemeListError(f"no keyword lists in {directory}")
        return cls(lists, digest.hexdigest()[:16])

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.lists))

    def _lists_for(self, language: str | None) -> list[dict[str, _Keywords]]:
        own = ALIASES.get(language, language) if language else None
        if own not in self.lists:
            # A language without its own list (or none detected): every list is tried.
            return list(self.lists.values())
        names = dict.fromkeys((own, *ALWAYS_TRIED))
        return [self.lists[name] for name in names if name in self.lists]

    def tag(self, text: str, language: str | None) -> tuple[str, ...]:
        """The themes of one story, in report order."""
        folded = normalize(text)
        tokens = _WORD.findall(folded)
        token_set = set(tokens)
        lists = self._lists_for(language)
        return tuple(
            theme
            for theme in THEMES
            if any(
                theme in keywords and keywords[theme].found_in(folded, tokens, token_set)
                for keywords in lists
            )
        )
