"""Message catalogues: one gettext ``.po`` file per language in ``locales/``.

Each entry is keyed by its ``msgctxt`` (a stable id such as ``q.frequency``); ``msgid`` holds the
Swedish source text so translators see it in Poedit or Weblate, and ``msgstr`` the translation.
Adding a language means adding ``locales/<code>.po``; its ``language.name`` entry is the name
shown on the language button, in the language's own script.
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "sv"

# The order of the language buttons (after the resident's own suggestions): Swedish and easy
# Swedish, then English, then the languages most spoken among Botkyrka's residents. Only
# languages with a catalogue: Syriac (Assyrian/Suryoyo) is detected in stories, but no survey
# text is offered in it until a translation exists.
LANGUAGE_ORDER = (
    "sv", "sv-easy", "en", "ar", "so", "tr", "fa", "ti", "kmr", "ckb", "fi", "pl", "es",
    "hbs", "ru", "uk", "am",
)  # fmt: skip

# Codes Telegram or the language detector report, mapped to the catalogue that serves them.
ALIASES = {
    "bs": "hbs",
    "hr": "hbs",
    "sr": "hbs",
    "sh": "hbs",
    "prs": "fa",
    "ku": "kmr",
}

# Unicode first-strong isolate and pop directional isolate: a resident's own words inside a
# translated sentence keep their direction without reordering the sentence around them.
FSI = "\u2068"
PDI = "\u2069"


class CatalogueError(Exception):
    """A catalogue cannot be read or lacks what the bot needs."""


def isolate(text: str) -> str:
    return f"{FSI}{text}{PDI}"


@dataclass(frozen=True)
class Catalogue:
    code: str
    messages: Mapping[str, tuple[str, ...]]
    plural: Callable[[int], int]
    direction: str = "ltr"
    # Entries marked "fuzzy": machine or unreviewed translations, used but flagged.
    unreviewed: frozenset[str] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        forms = self.messages.get("language.name")
        return forms[0] if forms else self.code


def _plural_function(expression: str) -> Callable[[int], int]:
    return gettext.c2py(expression)


def read_catalogue(path: Path) -> Catalogue:
    code = path.stem
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=None, abort_invalid=True)
    except Exception as exc:  # babel raises several kinds; all mean the same to us
        raise CatalogueError(f"cannot read {path.name}: {exc}") from None
    messages: dict[str, tuple[str, ...]] = {}
    unreviewed = set()
    for message in catalog:
        if not message.context:
            continue  # the header
        string = message.string
        # A plural message holds one string per form; None or "" means not translated.
        forms = (
            tuple(str(form or "") for form in string)
            if isinstance(string, (tuple, list))
            else (string or "",)
        )
        if not any(forms):
            continue  # untranslated: falls back to the source language
        messages[message.context] = tuple(forms)
        if message.fuzzy:
            unreviewed.add(message.context)
    try:
        direction = Locale.parse(code.replace("-", "_")).text_direction
    except (UnknownLocaleError, ValueError):
        direction = "ltr"
    return Catalogue(
        code=code,
        messages=messages,
        plural=_plural_function(catalog.plural_expr),
        direction=direction,
        unreviewed=frozenset(unreviewed),
    )


class Translations:
    """All catalogues, with fallback to the Swedish source for anything missing."""

    def __init__(
        self,
        catalogues: Mapping[str, Catalogue],
        *,
        order: Iterable[str] = (),
        default: str = SOURCE_LANGUAGE,
    ) -> None:
        if SOURCE_LANGUAGE not in catalogues:
            raise CatalogueError(f"the source catalogue {SOURCE_LANGUAGE}.po is missing")
        if default not in catalogues:
            raise CatalogueError(f"DEFAULT_LANGUAGE {default} has no catalogue ({default}.po)")
        self.catalogues = dict(catalogues)
        # For residents whose language is not known yet, or has no catalogue.
        self.default = default
        preferred = [code for code in order if code in self.catalogues]
        rest = sorted(code for code in self.catalogues if code not in preferred)
        self.languages: tuple[str, ...] = tuple(preferred + rest)
        self._warned: set[tuple[str, str]] = set()
        # Immutable things built from these catalogues (keyboards), reused for as long as the
        # catalogues live. Bounded by languages x questions x ticked sets.
        self.rendered: dict[tuple[object, ...], object] = {}

    @classmethod
    def load(
        cls, directory: Path, *, order: Iterable[str] = LANGUAGE_ORDER, default: str = SOURCE_LANGUAGE
    ) -> Translations:
        paths = sorted(directory.glob("*.po"))
        if not paths:
            raise CatalogueError(f"no catalogues found in {directory}")
        return cls({path.stem: read_catalogue(path) for path in paths}, order=order, default=default)

    @property
    def source(self) -> Catalogue:
        return self.catalogues[SOURCE_LANGUAGE]

    def resolve(self, code: str | None) -> str:
        """The catalogue to use for a language code such as ``en-GB``: its own, or the default."""
        return self.serving(code) or self.default

    def supports(self, code: str | None) -> bool:
        return bool(code) and code in self.catalogues

    def serving(self, code: str | None) -> str | None:
        """The catalogue for a language code (``en-GB``, ``bs``), or None if there is none."""
        if not code:
            return None
        code = code.lower().replace("_", "-")
        primary = code.split("-")[0]
        for candidate in (code, ALIASES.get(code), primary, ALIASES.get(primary)):
            if candidate and candidate in self.catalogues:
                return candidate
        return None

    def missing_keys(self, keys: Iterable[str]) -> list[str]:
        return [key for key in keys if key not in self.source.messages]

    def _forms(self, language: str, key: str) -> tuple[tuple[str, ...], Catalogue]:
        catalogue = self.catalogues.get(language)
        if catalogue is not None and key in catalogue.messages:
            return catalogue.messages[key], catalogue
        if (language, key) not in self._warned and language != SOURCE_LANGUAGE:
            self._warned.add((language, key))
            logger.warning("message %s missing in %s, using %s", key, language, SOURCE_LANGUAGE)
        if key not in self.source.messages:
            raise CatalogueError(f"message {key} is missing from the source catalogue")
        return self.source.messages[key], self.source

    def gettext(self, language: str, key: str, /, **params: object) -> str:
        forms, _ = self._forms(language, key)
        return forms[0].format(**params) if params else forms[0]

    def ngettext(self, language: str, key: str, count: int, /, **params: object) -> str:
        forms, catalogue = self._forms(language, key)
        index = catalogue.plural(count) if len(forms) > 1 else 0
        text = forms[min(index, len(forms) - 1)]
        return text.format(count=count, **params)

    def has(self, language: str, key: str) -> bool:
        catalogue = self.catalogues.get(language)
        return catalogue is not None and key in catalogue.messages

    def direction(self, language: str) -> str:
        return self.catalogues[self.resolve(language)].direction

    def translator(self, language: str | None) -> Translator:
        return Translator(self, self.resolve(language))


class Translator:
    """Translations bound to one resident's language."""

    __slots__ = ("language", "translations")

    def __init__(self, translations: Translations, language: str) -> None:
        self.translations = translations
        self.language = language

    def __call__(self, key: str, /, **params: object) -> str:
        return self.translations.gettext(self.language, key, **params)

    def plural(self, key: str, count: int, /, **params: object) -> str:
        return self.translations.ngettext(self.language, key, count, **params)

    def has(self, key: str) -> bool:
        return self.translations.has(self.language, key) or key in self.translations.source.messages

    @property
    def language_name(self) -> str:
        return self.translations.catalogues[self.language].name

    @property
    def direction(self) -> str:
        return self.translations.catalogues[self.language].direction
