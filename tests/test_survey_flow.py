"""A resident's whole conversation, through the real Application and a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest

from bot.config import Settings
from bot.preview.botapi import LocalBotApi
from bot.survey.callbacks import AGREE_PREFIX, fingerprint
from bot.survey.definition import QuestionKind
from tests.support import Harness, Resident, buttons_of, close_harness, make_settings, open_harness

# One scripted set of answers: single choice -> code, multiple choice -> codes in tick order.
# These answers lead through every question (a visitor who needs help with Swedish).
ANSWERS: dict[str, str | list[str]] = {
    "visits": "6_11",
    "on_behalf": "both",
    "move_ease": "much_harder",
    "move_handle": ["travel", "someone_helps"],
    "agencies": ["skv", "fk"],
    "errands": ["letter", "eservices"],
    "wait_time": "30_59",
    "crowding": "somewhat",
    "trade_off": "short_trip",
    "language_need": "always",
    "language_support": ["interpreter", "written"],
    "digital": "with_help",
    "transport": "public",
    "trip_time": "15_29",
    "safety_day": "fairly_safe",
    "safety_evening": "fairly_unsafe",
    "district": "fittja",
    "age_group": "45_64",
}


def db_rows(harness: Harness, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    """Read the database file through a separate connection, as another process would."""
    connection = sqlite3.connect(harness.services.settings.database_path)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


async def begin(resident: Resident, language: str = "sv") -> None:
    await resident.command("start")
    await resident.press(f"lang:{language}")
    await resident.agree()


async def reach(resident: Resident, question_id: str) -> None:
    """Skip every question before ``question_id``."""
    for question in resident.harness.services.survey.questions:
        if question.id == question_id:
            return
        await resident.press(f"s:{question.id}")


def asked(harness: Harness, question_id: str, language: str = "sv") -> str:
    """The progress line shown above a question, e.g. "Fråga 3 av 14"."""
    survey = harness.services.survey
    t = harness.services.translations.translator(language)
    number, total = survey.position(question_id)
    return t("question.progress", number=number, total=total)


async def answer_all(resident: Resident, answers: dict[str, str | list[str]] = ANSWERS) -> None:
    """Answer every question the answers lead to, in order (those routed past are not shown)."""
    survey = resident.harness.services.survey
    given: dict[str, tuple[str, ...]] = {}
    for question in survey.questions:
        if question.kind is QuestionKind.FREE_TEXT or not survey.shown(question, given):
            continue
        choice = answers[question.id]
        given[question.id] = tuple(choice) if isinstance(choice, list) else (choice,)
        if question.kind is QuestionKind.MULTI:
            for code in choice:
                await resident.press(f"t:{question.id}:{code}")
            await resident.press(f"d:{question.id}")
        else:
            await resident.press(f"a:{question.id}:{choice}")


def stored_answers(harness: Harness) -> dict[str, tuple[str, int]]:
    rows = db_rows(harness, "SELECT question_id, option_codes, skipped FROM answers")
    return {row["question_id"]: (row["option_codes"], row["skipped"]) for row in rows}


async def test_full_survey_in_swedish(harness: Harness) -> None:
    resident = harness.resident(1001, "sv")
    await resident.command("start")
    assert "Välj språk" in resident.last_text()
    assert resident.buttons()[0] == "lang:sv"
    await resident.press("lang:sv")
    consent = resident.last_text()
    for fragment in (
        "Botkyrka kommun",
        "en pseudonym",
        "365 dagar",
        "minst 5 personer",
        "/delete",
        "IMY",
        "16 år eller äldre",
    ):
        assert fragment in consent
    agree, *others = resident.buttons()
    assert agree.startswith(AGREE_PREFIX) and others == ["consent:no", "consent:young"]
    await resident.agree()
    assert asked(harness, "visits") in resident.last_text()
    await answer_all(resident)
    assert "Vill du berätta mer?" in resident.last_text()
    await resident.say("Jag behöver hjälp med breven från Försäkringskassan, på arabiska.")
    thanks = resident.last_text()
    assert "Tack för att du svarade" in thanks
    assert "Myndigheter: Försäkringskassan, Skatteverket" in thanks
    assert "Kommundel: Fittja" in thanks
    assert "/mydata" in thanks and "/delete" in thanks

    assert stored_answers(harness) == {
        "visits": ("6_11", 0),
        "on_behalf": ("both", 0),
        "move_ease": ("much_harder", 0),
        "move_handle": ("travel;someone_helps", 0),
        "agencies": ("fk;skv", 0),
        "errands": ("letter;eservices", 0),
        "wait_time": ("30_59", 0),
        "crowding": ("somewhat", 0),
        "trade_off": ("short_trip", 0),
        "language_need": ("always", 0),
        "language_support": ("interpreter;written", 0),
        "digital": ("with_help", 0),
        "transport": ("public", 0),
        "trip_time": ("15_29", 0),
        "safety_day": ("fairly_safe", 0),
        "safety_evening": ("fairly_unsafe", 0),
        "district": ("fittja", 0),
        "age_group": ("45_64", 0),
    }
    (response,) = db_rows(harness, "SELECT * FROM responses")
    assert response["stage"] == "done" and response["language"] == "sv"
    assert response["consent_version"] == harness.services.survey.consent_version
    assert response["consented_at"] and response["completed_at"]
    (story,) = db_rows(harness, "SELECT text, language FROM stories")
    assert story["text"].startswith("Jag behöver hjälp") and story["language"] == "sv"


async def test_full_survey_in_english_stores_the_same_codes(harness: Harness) -> None:
    resident = harness.resident(1002, "en")
    await resident.command("start")
    assert resident.buttons()[0] == "lang:en", "Telegram's language is offered first"
    await resident.press("lang:en")
    assert "Botkyrka Municipality is asking" in resident.last_text()
    await resident.agree()
    assert asked(harness, "visits", "en") in resident.last_text()
    await answer_all(resident)
    await resident.say("The office helps me with letters I cannot read.")
    thanks = resident.last_text()
    assert "Thank you for answering" in thanks
    assert "Travel time: 15–29 minutes" in thanks
    assert stored_answers(harness)["move_ease"] == ("much_harder", 0)
    assert stored_answers(harness)["agencies"] == ("fk;skv", 0)
    (story,) = db_rows(harness, "SELECT language FROM stories")
    assert story["language"] == "en"


async def test_every_question_can_be_skipped(harness: Harness) -> None:
    resident = harness.resident(1003)
    await begin(resident)
    for question in harness.services.survey.questions:
        await resident.press(f"s:{question.id}")
    assert "Tack för att du svarade" in resident.last_text()
    answers = stored_answers(harness)
    choice_ids = {q.id for q in harness.services.survey.choice_questions()}
    assert set(answers) == choice_ids
    assert all(value == ("", 1) for value in answers.values())
    assert db_rows(harness, "SELECT * FROM stories") == []
    (response,) = db_rows(harness, "SELECT stage, completed_at FROM responses")
    assert response["stage"] == "done" and response["completed_at"]


async def test_multiple_choice_ticks_unticks_and_exclusive_option(harness: Harness) -> None:
    resident = harness.resident(1004)
    await begin(resident)
    await reach(resident, "agencies")
    await resident.press("t:agencies:fk")
    await resident.press("t:agencies:pm")
    keyboard = resident.last()["reply_markup"]["inline_keyboard"]
    labels = [row[0]["text"] for row in keyboard[:4]]
    assert labels[0].startswith("☑️") and labels[2].startswith("☑️") and labels[1].startswith("⬜")
    await resident.press("t:agencies:fk")  # untick
    (row,) = db_rows(harness, "SELECT pending_codes FROM responses")
    assert row["pending_codes"] == "pm"
    await resident.press("t:agencies:dont_know")  # exclusive: clears the others
    (row,) = db_rows(harness, "SELECT pending_codes FROM responses")
    assert row["pending_codes"] == "dont_know"
    await resident.press("t:agencies:skv")  # a real choice clears "don't know"
    await resident.press("d:agencies")
    assert stored_answers(harness)["agencies"] == ("skv", 0)
    assert "Sparat: Skatteverket" in resident.last_text()
    assert asked(harness, "errands") in resident.last_text()


async def test_done_with_nothing_ticked_counts_as_skipped(harness: Harness) -> None:
    resident = harness.resident(1005)
    await begin(resident)
    await reach(resident, "agencies")
    await resident.press("d:agencies")
    assert stored_answers(harness)["agencies"] == ("", 1)


async def test_nothing_is_stored_before_consent_and_declining_keeps_nothing(harness: Harness) -> None:
    resident = harness.resident(1006)
    await resident.command("start")
    await resident.press("lang:sv")
    (row,) = db_rows(harness, "SELECT stage, consented_at FROM responses")
    assert row["stage"] == "consent" and row["consented_at"] is None
    # An answer button forged before consent is refused and stores nothing.
    message_id = resident.last()["message_id"]
    await resident.press_in(message_id, "a:visits:12_plus")
    assert db_rows(harness, "SELECT * FROM answers") == []
    await resident.press("consent:no")
    assert "Inget har sparats" in resident.last_text()
    assert db_rows(harness, "SELECT * FROM responses") == []


async def test_a_resident_under_the_minimum_age_is_thanked_and_nothing_is_kept(
    harness: Harness, settings: Settings, api: LocalBotApi
) -> None:
    resident = harness.resident(1007)
    await resident.command("start")
    await resident.press("lang:sv")
    keyboard = resident.last()["reply_markup"]["inline_keyboard"]
    assert ["Jag är under 16 år"] in [[button["text"] for button in row] for row in keyboard]
    await resident.press("consent:young")
    thanks = resident.last_text()
    assert "Enkäten är för dig som är 16 år eller äldre, så vi ställer inga frågor" in thanks
    assert "Inget har sparats" in thanks and buttons_of(resident.last()) == []
    assert db_rows(harness, "SELECT * FROM responses") == []
    # The age is the data protection officer's setting, in the resident's language too.
    older = make_settings(settings.database_path.parent / "older", minimum_age=18)
    other = await open_harness(older, api)
    try:
        resident = other.resident(1008, "en")
        await resident.command("start")
        await resident.press("lang:en")
        assert "18" in resident.last_text() and "16" not in resident.last_text()
        await resident.press("consent:young")
        assert "18" in resident.last_text()
        assert db_rows(other, "SELECT * FROM responses") == []
    finally:
        await close_harness(other)


async def test_under_age_pressed_after_consenting_erases_what_was_given(harness: Harness) -> None:
    resident = harness.resident(1009)
    await resident.command("start")
    await resident.press("lang:sv")
    first = resident.last()["message_id"]
    # The consent text again (/start at the consent step), and consent given on that copy.
    await resident.command("start")
    await resident.agree()
    await resident.press("a:visits:2_5")
    await resident.press_in(first, "consent:young")
    assert "16 år eller äldre, så vi ställer inga frågor" in resident.last_text()
    assert db_rows(harness, "SELECT * FROM responses") == []
    assert db_rows(harness, "SELECT * FROM answers") == []


async def test_no_telegram_identity_is_stored(harness: Harness) -> None:
    resident = harness.resident(987654321)
    await begin(resident)
    await answer_all(resident)
    await resident.say("Hej")
    connection = sqlite3.connect(harness.services.settings.database_path)
    try:
        dump = "\n".join(connection.iterdump())
    finally:
        connection.close()
    assert "987654321" not in dump
    assert "Test" not in dump  # the simulated user's first name
    (row,) = db_rows(harness, "SELECT respondent FROM responses")
    assert len(row["respondent"]) == 64 and row["respondent"] == harness.services.pseudonymize(987654321)


async def test_start_again_resumes_where_the_resident_was(harness: Harness) -> None:
    resident = harness.resident(1007)
    await begin(resident)
    await reach(resident, "agencies")
    await resident.press("t:agencies:fk")
    await resident.press("d:agencies")
    await resident.press("t:errands:tax")
    await resident.command("start")
    text = resident.last_text()
    assert "Välkommen tillbaka" in text and asked(harness, "errands") in text
    # The tick given before /start is still there.
    assert any(label.startswith("☑️ 🧾") for label in _labels(resident))
    await resident.press("d:errands")
    assert stored_answers(harness)["errands"] == ("tax", 0)


def _labels(resident: Resident) -> list[str]:
    markup = resident.last()["reply_markup"] or {}
    return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]


async def test_restart_mid_survey_continues_on_the_same_database(harness: Harness) -> None:
    resident = harness.resident(1008)
    await begin(resident)
    consent_message = resident.messages()[-2]["message_id"]
    await reach(resident, "agencies")
    await resident.press("t:agencies:pm")
    await resident.press("d:agencies")
    question_message = resident.last()["message_id"]
    await close_harness(harness)

    restarted = await open_harness(harness.services.settings, harness.api)
    try:
        again = restarted.resident(1008)
        # The button on the message sent before the restart still answers the current question.
        await again.press_in(question_message, "t:errands:pension")
        await again.press_in(question_message, "d:errands")
        assert asked(restarted, "wait_time") in again.last_text()
        # An old consent button pressed after the restart changes nothing and shows the question.
        (consent_text,) = [m["text"] for m in again.messages() if m["message_id"] == consent_message]
        await again.press_in(consent_message, AGREE_PREFIX + fingerprint(consent_text))
        assert asked(restarted, "wait_time") in again.last_text()
        answers = stored_answers(restarted)
        assert answers["agencies"] == ("pm", 0) and answers["errands"] == ("pension", 0)
    finally:
        await close_harness(restarted)
    # The fixture closes the first harness again; closing twice must be harmless.
    harness.services = restarted.services


async def test_each_answer_is_committed_before_the_next_question_is_sent(harness: Harness) -> None:
    resident = harness.resident(1009)
    await begin(resident)
    seen: list[tuple[str, dict[str, tuple[str, int]]]] = []

    def observe(method: str, params: dict) -> None:
        if method in ("editMessageText", "sendMessage") and "Fråga" in str(params.get("text", "")):
            seen.append((str(params["text"]), stored_answers(harness)))

    harness.api.observers.append(observe)
    await resident.press("a:visits:12_plus")
    await resident.press("s:on_behalf")
    await resident.press("a:move_ease:no_difference")
    await resident.press("t:move_handle:phone")
    await resident.press("d:move_handle")
    assert len(seen) == 5
    # When each question was sent, the answers before it were already in the file.
    second = next(answers for text, answers in seen if asked(harness, "on_behalf") in text)
    assert second == {"visits": ("12_plus", 0)}
    third = next(answers for text, answers in seen if asked(harness, "move_ease") in text)
    assert third == {"visits": ("12_plus", 0), "on_behalf": ("", 1)}
    fifth = next(answers for text, answers in seen if asked(harness, "agencies") in text)
    assert fifth["move_handle"] == ("phone", 0)


async def test_language_can_be_changed_in_the_middle(harness: Harness) -> None:
    resident = harness.resident(1010)
    await begin(resident)
    await reach(resident, "errands")
    await resident.command("language")
    assert "lang:en" in resident.buttons()
    await resident.press("lang:en")
    texts = [m["text"] for m in resident.messages()[-2:]]
    assert any("continue in English" in text for text in texts)
    assert asked(harness, "errands", "en") in resident.last_text()
    (row,) = db_rows(harness, "SELECT language, current_question FROM responses")
    assert row["language"] == "en" and row["current_question"] == "errands"


async def test_cancel_pauses_politely_and_keeps_answers(harness: Harness) -> None:
    resident = harness.resident(1011)
    await begin(resident)
    await resident.press("a:visits:once")
    await resident.command("cancel")
    assert "pausar" in resident.last_text()
    assert stored_answers(harness) == {"visits": ("once", 0)}
    await resident.command("start")
    assert asked(harness, "on_behalf") in resident.last_text()


async def test_start_after_finishing_shows_the_recap(harness: Harness) -> None:
    resident = harness.resident(1012)
    await begin(resident)
    await answer_all(resident)
    await resident.press("s:story")
    await resident.command("start")
    text = resident.last_text()
    assert "redan svarat" in text and "Kommundel: Fittja" in text


async def test_voice_note_is_kept_by_reference(harness: Harness) -> None:
    resident = harness.resident(1013)
    await begin(resident)
    await answer_all(resident)
    await harness.api.send_voice(1013, duration=42, file_id="VOICE-FILE-1")
    await harness.deliver()
    assert "röstmeddelande (42 sekunder)" in resident.last_text()
    (story,) = db_rows(harness, "SELECT text, voice_file_id, voice_duration FROM stories")
    assert story["text"] is None and story["voice_file_id"] == "VOICE-FILE-1"
    assert story["voice_duration"] == 42


async def test_personal_data_is_scrubbed_from_the_story(harness: Harness) -> None:
    resident = harness.resident(1014)
    await begin(resident)
    await answer_all(resident)
    await resident.say("Ring mig på 070-123 45 67 eller skriv till anna.svensson@example.se")
    (story,) = db_rows(harness, "SELECT text FROM stories")
    assert "070" not in story["text"] and "example.se" not in story["text"]
    assert "[telefon]" in story["text"] and "[e-post]" in story["text"]


async def test_mydata_shows_own_answers_only_and_delete_erases_them(harness: Harness) -> None:
    first = harness.resident(1015)
    other = harness.resident(1016)
    await begin(first)
    await answer_all(first)
    await first.say("Min egen berättelse")
    await begin(other)
    await other.press("s:visits")
    await first.command("mydata")
    text = first.last_text()
    assert "Kommundel: Fittja" in text and "Min egen berättelse" in text
    assert "Samtycke" in text
    await other.command("mydata")
    assert "Fittja" not in other.last_text() and "Min egen berättelse" not in other.last_text()

    await first.command("delete")
    assert first.buttons() == ["del:yes", "del:no"]
    await first.press("del:no")
    assert "inget har raderats" in first.last_text()
    assert len(db_rows(harness, "SELECT * FROM responses")) == 2
    await first.command("delete")
    await first.press("del:yes")
    assert "Allt är raderat" in first.last_text()
    assert len(db_rows(harness, "SELECT * FROM responses")) == 1
    assert db_rows(harness, "SELECT * FROM stories") == []
    await first.command("start")
    assert "Välj språk" in first.last_text(), "a later /start begins afresh"


# Telegram voice notes can be long, but not longer than two hours or shorter than a second.
TWO_HOURS = 7200


@pytest.mark.parametrize("duration", [-5, 0, TWO_HOURS + 1, 10**9])
async def test_voice_note_with_an_impossible_length_is_refused(harness: Harness, duration: int) -> None:
    resident = harness.resident(1030)
    await begin(resident)
    await answer_all(resident)
    await harness.api.send_voice(1030, duration=duration, file_id="VOICE-ODD")
    await harness.deliver()
    text = resident.last_text()
    assert "kunde inte ta emot röstmeddelandet" in text and "Vill du berätta mer?" in text
    assert db_rows(harness, "SELECT * FROM stories") == []
    await harness.api.send_voice(1030, duration=TWO_HOURS, file_id="VOICE-LONG")
    await harness.deliver()
    (story,) = db_rows(harness, "SELECT voice_file_id, voice_duration FROM stories")
    assert story["voice_file_id"] == "VOICE-LONG" and story["voice_duration"] == TWO_HOURS


async def test_junk_characters_are_removed_before_the_story_is_stored(harness: Harness) -> None:
    resident = harness.resident(1031)
    await begin(resident)
    await answer_all(resident)
    await resident.say("\x1b[31m\x1b[0m")  # a terminal escape and nothing else: no story
    assert "Jag hittade ingen text" in resident.last_text()
    assert db_rows(harness, "SELECT * FROM stories") == []
    await resident.say("Kön\x00 var \u202elång\u202c, ring \x1b[1m070\u200b-123 45 67")
    (story,) = db_rows(harness, "SELECT text FROM stories")
    assert story["text"] == "Kön var lång, ring [telefon]"
