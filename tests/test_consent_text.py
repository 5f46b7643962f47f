"""The consent text: what it promises is what the bot does, in every language, and a changed
text comes with a new consent version."""

from __future__ import annotations

import hashlib

import pytest

from bot.config import PROJECT_ROOT
from bot.i18n.catalogue import Translations, read_catalogue
from bot.privacy.disclosure import MINIMUM
from bot.survey.definition import load_survey
from bot.survey.views import consent

LOCALES = PROJECT_ROOT / "locales"
LANGUAGES = sorted(path.stem for path in LOCALES.glob("*.po"))
# The entries that make up the consent message, in the order it shows them.
CONSENT_KEYS = (
    "consent.title",
    "consent.who",
    "consent.stored",
    "consent.retention",
    "consent.access",
    "consent.rights",
    "consent.contact",
    "consent.age",
    "consent.question",
    "consent.under_age",
)
# The Swedish consent text each consent version stands for. A change to the text fails here until
# the survey's consent_version is raised and its fingerprint written below, so a resident's stored
# agreement always names the text they saw.
CONSENT_FINGERPRINTS = {
    "2026.2": "ce038283d0f886167fe09f311a53171b8d8b18c0be85304fe40f993589e29249",
    "2026.3": "cee0839c4f0b2fa61e1e42c97d40a2ea5b713767339ec1a530ec49ade7252a3c",
}
CONTACT = "dataskyddsombud@botkyrka.se"


@pytest.fixture(scope="module")
def translations() -> Translations:
    return Translations.load(LOCALES)


def _fingerprint(translations: Translations) -> str:
    source = translations.source.messages
    text = "\n".join(f"{key}\n" + "\n".join(source[key]) for key in CONSENT_KEYS)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_changed_consent_text_has_a_new_consent_version(translations: Translations) -> None:
    version = load_survey().consent_version
    assert CONSENT_FINGERPRINTS.get(version) == _fingerprint(translations), (
        f"the consent text changed: raise consent_version (now {version}) in the survey file and pin "
        f"{_fingerprint(translations)} for it"
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("days", [1, 2, 5, 30, 365])
def test_every_language_states_retention_groups_and_contact(
    translations: Translations, language: str, days: int
) -> None:
    t = translations.translator(language)
    text = consent(t, days, CONTACT, 16).text
    assert t.plural("consent.retention", days) in text and str(days) in text
    assert t("consent.access", min_group=MINIMUM) in text and str(MINIMUM) in text
    assert CONTACT in text
    assert "{" not in text and "}" not in text, "a placeholder was left unfilled"
    for key in CONSENT_KEYS:
        assert key in translations.catalogues[language].messages, (language, key)


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "sv"])
def test_consent_translations_await_review(language: str) -> None:
    catalogue = read_catalogue(LOCALES / f"{language}.po")
    for key in ("consent.stored", "consent.retention", "consent.access"):
        assert key in catalogue.unreviewed, (language, key)


@pytest.mark.parametrize(
    ("language", "pseudonym", "account", "personal_data", "quoted", "reviewed"),
    [
        ("sv", "pseudonym", "Telegram-konto", "personuppgifter", "citeras i kommunens rapport", "en person"),
        ("sv-easy", "pseudonym", "Telegram-konto", "personuppgifter", "i sin rapport", "en person"),
        (
            "en",
            "pseudonym",
            "Telegram account",
            "personal data",
            "quoted in the municipality's report",
            "a person",
        ),
    ],
)
def test_the_consent_text_says_what_staff_see(
    translations: Translations,
    language: str,
    pseudonym: str,
    account: str,
    personal_data: str,
    quoted: str,
    reviewed: str,
) -> None:
    text = consent(translations.translator(language), 365, CONTACT, 16).text
    for phrase in (pseudonym, account, personal_data, quoted, reviewed, str(MINIMUM)):
        assert phrase in text, (language, phrase)
    # A code made from the Telegram account can be traced back with the key: not anonymous.
    for claim in (
        "Vi vet inte vem du är",
        "We do not know who you are",
        "Ingen kan se vem",
        "No one can see",
    ):
        assert claim not in text, (language, claim)
