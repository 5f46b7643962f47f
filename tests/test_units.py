"""Small pieces: callback data, message splitting, log redaction, pseudonyms, the survey file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.logs import RedactSecrets
from bot.privacy.pseudonym import KEY_FILE_NAME, Pseudonymizer, load_or_create_key
from bot.report.themes import ThemeTagger
from bot.report.uncertainty import differ, format_interval, wilson
from bot.survey.callbacks import Action, Callback, parse
from bot.survey.definition import SurveyError, load_survey
from bot.survey.views import MAX_MESSAGE_CHARS, split_message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("lang:sv", Callback(Action.LANGUAGE, value="sv")),
        ("consent:yes", Callback(Action.CONSENT, value="yes")),
        ("consent:yes:0a1b2c3d", Callback(Action.CONSENT, value="yes", shown="0a1b2c3d")),
        ("a:visits:12_plus", Callback(Action.ANSWER, "visits", "12_plus")),
        ("t:agencies:fk", Callback(Action.TOGGLE, "agencies", "fk")),
        ("d:agencies", Callback(Action.DONE, "agencies")),
        ("s:story", Callback(Action.SKIP, "story")),
        ("del:no", Callback(Action.DELETE, value="no")),
        ("notice:yes", Callback(Action.NOTICE, value="yes")),
    ],
)
def test_callback_round_trip(data: str, expected: Callback) -> None:
    assert parse(data) == expected and expected.encode() == data


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "x",
        "lang:",
        "lang:s v",
        "consent:maybe",
        "a:Q:weekly",
        "a:frequency",
        "t::x",
        "d:a:b",
        "s:",
        "del:yes:1",
        "notice:maybe",
        "consent:yes:0A1B2C3D",
        "consent:no:0a1b2c3d",
        "consent:yes:0a1b2c3d:1",
        "a:" + "x" * 70,
        "a:visits:12_plus;DROP",
    ],
)
def test_malformed_callback_data_is_rejected(data: str | None) -> None:
    assert parse(data) is None


def test_split_message_keeps_every_character_within_limits() -> None:
    text = "\n".join(["kort rad"] * 50 + ["x" * 9000] + ["slut"])
    parts = split_message(text)
    assert all(0 < len(part) <= MAX_MESSAGE_CHARS for part in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_message_short_text_is_one_part() -> None:
    assert split_message("hej") == ["hej"]


def test_log_redaction_masks_tokens_and_secrets() -> None:
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "POST https://api.telegram.org/bot123456789:AAHkljhsdf-kjhsdfKJHSDF_kjhsdf/sendMessage key=%s",
        ("my-pseudonym-key",),
        None,
    )
    RedactSecrets(["my-pseudonym-key"]).filter(record)
    message = record.getMessage()
    assert "AAHkljhsdf" not in message and "my-pseudonym-key" not in message
    assert "[token]" in message and "[secret]" in message


def test_pseudonyms_are_keyed_and_stable() -> None:
    first = Pseudonymizer(b"k" * 32)
    assert first(42) == first(42) != first(43)
    assert Pseudonymizer(b"j" * 32)(42) != first(42)
    assert "k" * 8 not in repr(first)


def test_key_file_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path, None)
    path = tmp_path / KEY_FILE_NAME
    assert (os.stat(path).st_mode & 0o777) == 0o600
    assert load_or_create_key(tmp_path, None) == key and len(key) >= 32
    assert load_or_create_key(tmp_path, "configured-key") == b"configured-key"


def test_survey_definition_is_valid_and_covers_the_needs_analysis() -> None:
    survey = load_survey()
    ids = [q.id for q in survey.questions]
    for needed in (
        "visits",
        "on_behalf",
        "move_ease",
        "move_handle",
        "agencies",
        "errands",
        "wait_time",
        "crowding",
        "trade_off",
        "language_need",
        "language_support",
        "digital",
        "transport",
        "trip_time",
        "safety_day",
        "safety_evening",
        "district",
        "age_group",
        "story",
    ):
        assert needed in ids
    # The move is asked early, before anything that makes travel, language or e-services salient.
    assert ids.index("move_ease") < min(ids.index(q) for q in ("language_need", "digital", "trip_time"))
    move_ease = survey.question("move_ease")
    assert move_ease is not None and move_ease.option_codes == (
        "much_easier",
        "somewhat_easier",
        "no_difference",
        "somewhat_harder",
        "much_harder",
        "dont_know",
    )
    # Both sides of the argument are headlines.
    headlines = {headline.id for headline in survey.headlines}
    assert {"move_harder", "move_easier", "would_travel", "digital_self", "wait_30"} <= headlines


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not toml [", "not valid TOML"),
        ('id = "s"\nversion = "1"\nconsent_version = "1"\nquestions = []', "no questions"),
        (
            'id = "s"\nversion = "1"\nconsent_version = "1"\n'
            '[[questions]]\nid = "Bad Id"\nkind = "free_text"',
            "questions.0.id",
        ),
        (
            'id = "s"\nversion = "1"\nconsent_version = "1"\n[[questions]]\nid = "q"\nkind = "single"\n'
            'options = [{code="a"},{code="a"}]',
            "unique",
        ),
        (
            'id = "s"\nversion = "1"\nconsent_version = "1"\n[[questions]]\nid = "q"\nkind = "essay"',
            "questions.0.kind",
        ),
    ],
)
def test_invalid_survey_definitions_are_explained(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "survey.toml"
    path.write_text(content)
    with pytest.raises(SurveyError) as error:
        load_survey(path)
    assert message in str(error.value)


def test_missing_survey_file(tmp_path: Path) -> None:
    with pytest.raises(SurveyError, match="not found"):
        load_survey(tmp_path / "nope.toml")


def test_the_sqlite_repository_implements_the_storage_interface(tmp_path: Path) -> None:
    from storage import Database, Repository
    from storage.interface import ResponseStore

    assert isinstance(Repository(Database(tmp_path / "x.sqlite3")), ResponseStore)
    declared = {name for name in vars(ResponseStore) if not name.startswith("_")}
    assert declared <= set(dir(Repository))


def test_keyword_syntax_open_ends_on_words_and_on_words_inside_phrases(tmp_path: Path) -> None:
    (tmp_path / "pl.toml").write_text(
        'waiting_hours = ["godzin* otwarcia", "*kolejk*", "czekam*"]\npersonal_help = ["pomoc urzędnika"]\n',
        encoding="utf-8",
    )
    tagger = ThemeTagger.load(tmp_path)
    assert tagger.tag("Godziny   otwarcia są za krótkie", "pl") == ("waiting_hours",)
    assert tagger.tag("Długie kolejki i czekamy", "pl") == ("waiting_hours",)
    # Whole words only where no "*" opens them.
    assert tagger.tag("pomoc urzędnikach", "pl") == ()
    assert tagger.tag("rozgodziny otwarcia", "pl") == ()
    assert tagger.tag("Pomoc urzędnika była dobra", "pl") == ("personal_help",)


# --- uncertainty of a share ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "base", "low", "high"),
    [
        # Reference values of the Wilson score interval (Newcombe 1998, table I, method 3).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_the_wilson_interval_matches_published_values(count: int, base: int, low: float, high: float) -> None:
    interval = wilson(count, base)
    assert interval.low == pytest.approx(low, abs=1e-4)
    assert interval.high == pytest.approx(high, abs=1e-4)


def test_an_interval_is_printed_no_narrower_than_it_is() -> None:
    assert format_interval(wilson(412, 1650)) == "23\u201327\u00a0%"
    assert format_interval(wilson(0, 20)) == "0\u201316\u00a0%"
    with pytest.raises(ValueError):
        wilson(3, 0)


def test_two_options_differ_only_beyond_sampling_error() -> None:
    # 602 against 600 of 2,000: noise. 42 % against 30 % of 1,000: not.
    assert not differ(602, 600, 2000, exclusive=True)
    assert differ(420, 300, 1000, exclusive=True)
    # 42 % against 39 % of 1,000 (the Q3): the difference is inside the margin.
    assert not differ(420, 390, 1000, exclusive=True)
    # Options that exclude each other: 300 against 250 of 1,000 differ (z = 2.14 on the
    # difference), though their Wilson intervals (27-33 % and 22-28 %) overlap.
    assert differ(300, 250, 1000, exclusive=True)
    assert wilson(300, 1000).low < wilson(250, 1000).high
    # Where a person may tick both, the worst case is assumed: the same counts do not differ.
    assert not differ(300, 250, 1000, exclusive=False)
