"""Catalogues: complete, consistent placeholders, Telegram-sized buttons, Swedish fallback."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.config import PROJECT_ROOT
from bot.i18n.catalogue import CatalogueError, Translations, isolate, read_catalogue
from bot.i18n.review import BUTTON_KEYS, MAX_BUTTON_CHARS
from bot.survey.callbacks import MAX_CALLBACK_BYTES, Action, Callback
from bot.survey.definition import load_survey

LOCALES = PROJECT_ROOT / "locales"
ALL = sorted(path.stem for path in LOCALES.glob("*.po"))
# Catalogue codes that CLDR (through Babel) knows under another name.
CLDR_LOCALE = {"hbs": "hr", "kmr": "ku", "sv-easy": "sv"}
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@pytest.fixture(scope="module")
def translations() -> Translations:
    return Translations.load(LOCALES)


def test_every_catalogue_parses(translations: Translations) -> None:
    for path in LOCALES.glob("*.po"):
        catalogue = read_catalogue(path)
        assert catalogue.code == path.stem and catalogue.messages


@pytest.mark.parametrize("language", ALL)
def test_every_catalogue_has_every_source_message(translations: Translations, language: str) -> None:
    missing = set(translations.source.messages) - set(translations.catalogues[language].messages)
    assert not missing


def test_the_source_has_every_survey_text(translations: Translations) -> None:
    assert translations.missing_keys(load_survey().catalogue_keys()) == []


@pytest.mark.parametrize("language", ALL)
def test_placeholders_match_the_source(translations: Translations, language: str) -> None:
    for key, source_forms in translations.source.messages.items():
        forms = translations.catalogues[language].messages.get(key, ())
        expected = set(PLACEHOLDER.findall(source_forms[-1]))
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) == expected, (language, key, form)


@pytest.mark.parametrize("language", ALL)
def test_button_labels_fit(translations: Translations, language: str) -> None:
    for key, forms in translations.catalogues[language].messages.items():
        if BUTTON_KEYS.match(key):
            assert len(forms[0]) <= MAX_BUTTON_CHARS, (language, key)


def test_all_callback_data_fits_telegram(translations: Translations) -> None:
    survey = load_survey()
    for question in survey.questions:
        Callback(Action.SKIP, question.id).encode()
        Callback(Action.DONE, question.id).encode()
        for option in question.options:
            assert (
                len(Callback(Action.TOGGLE, question.id, option.code).encode().encode()) <= MAX_CALLBACK_BYTES
            )
    for code in translations.languages:
        Callback(Action.LANGUAGE, value=code).encode()


@pytest.mark.parametrize("language", ALL)
def test_plural_forms_follow_cldr(language: str) -> None:
    """The header's Plural-Forms is CLDR's rule for the language, and every plural message
    gives exactly that many forms, each with its {count}."""
    with (LOCALES / f"{language}.po").open("rb") as handle:
        catalog = read_po(handle)
    expected = get_plural(CLDR_LOCALE.get(language, language))
    assert catalog.num_plurals == expected.num_plurals, language
    assert catalog.plural_expr.replace(" ", "") == expected.plural_expr.replace(" ", ""), language
    for message in catalog:
        if message.context and message.pluralizable:
            forms = message.string
            assert len(forms) == expected.num_plurals, (language, message.context)
            assert all("{count}" in form for form in forms), (language, message.context)


@pytest.mark.parametrize("language", [code for code in ALL if code != "sv"])
def test_unreviewed_translations_are_marked_in_header_and_entries(language: str) -> None:
    catalogue = read_catalogue(LOCALES / f"{language}.po")
    header = (LOCALES / f"{language}.po").read_text(encoding="utf-8").split('msgid ""')[0]
    if catalogue.unreviewed:
        assert "UNREVIEWED" in header, language
    else:
        assert "UNREVIEWED" not in header, language


def test_language_names_are_unique_and_in_their_own_script(translations: Translations) -> None:
    names = [translations.catalogues[code].name for code in translations.languages]
    assert len(set(names)) == len(names)
    assert translations.catalogues["sv"].name == "Svenska"


def test_plural_forms(translations: Translations) -> None:
    assert translations.ngettext("en", "recap.story_voice", 1) == "voice message (1 second)"
    assert translations.ngettext("en", "recap.story_voice", 2) == "voice message (2 seconds)"
    assert translations.ngettext("sv", "consent.retention", 1).startswith("📅 Svaren sparas i högst 1 dag.")
    assert "365 dagar" in translations.ngettext("sv", "consent.retention", 365)


def test_missing_message_falls_back_to_swedish_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copy(LOCALES / "sv.po", tmp_path / "sv.po")
    partial = (LOCALES / "en.po").read_text(encoding="utf-8")
    start = partial.index('msgctxt "button.skip"')
    end = partial.index("\n\n", start)
    (tmp_path / "en.po").write_text(partial[:start] + partial[end + 2 :], encoding="utf-8")
    translations = Translations.load(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert translations.gettext("en", "button.skip") == "⏭️ Hoppa över"
    assert "button.skip missing in en" in caplog.text
    assert translations.gettext("en", "button.done") == "✔️ Done"


def test_unknown_key_is_an_error_not_a_key_shown_to_residents(translations: Translations) -> None:
    with pytest.raises(CatalogueError):
        translations.gettext("sv", "no.such.key")


def test_a_new_language_is_one_file(tmp_path: Path) -> None:
    shutil.copy(LOCALES / "sv.po", tmp_path / "sv.po")
    text = (LOCALES / "en.po").read_text(encoding="utf-8").replace('msgstr "English"', 'msgstr "Suomi"', 1)
    (tmp_path / "fi.po").write_text(text.replace("Language: en", "Language: fi"), encoding="utf-8")
    translations = Translations.load(tmp_path)
    assert "fi" in translations.languages and translations.catalogues["fi"].name == "Suomi"


def test_unknown_language_codes_resolve_to_something_sensible(translations: Translations) -> None:
    assert translations.resolve("en-GB") == "en"
    assert translations.resolve("xx") == "sv"
    assert translations.resolve(None) == "sv"
    assert translations.serving("xx") is None and translations.serving("sv-SE") == "sv"


def test_aliases_reach_the_shared_catalogues(tmp_path: Path) -> None:
    shutil.copy(LOCALES / "sv.po", tmp_path / "sv.po")
    for code in ("hbs", "kmr", "fa"):
        (tmp_path / f"{code}.po").write_text(
            (LOCALES / "en.po")
            .read_text(encoding="utf-8")
            .replace('msgstr "English"', f'msgstr "{code}"', 1),
            encoding="utf-8",
        )
    translations = Translations.load(tmp_path)
    assert [translations.resolve(code) for code in ("bs", "hr", "sr-Latn", "ku", "prs")] == [
        "hbs", "hbs", "hbs", "kmr", "fa"
    ]  # fmt: skip


def test_isolates_wrap_own_words() -> None:
    assert isolate("مرحبا") == "\u2068مرحبا\u2069"


def test_default_language_serves_unknown_languages() -> None:
    translations = Translations.load(LOCALES, default="en")
    assert translations.resolve("xx") == "en" and translations.resolve(None) == "en"
    assert translations.resolve("sv-FI") == "sv"
    with pytest.raises(CatalogueError, match="DEFAULT_LANGUAGE"):
        Translations.load(LOCALES, default="xx")
