"""Every kind of unexpected input gets a polite answer in the resident's language; nothing is lost."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from bot.survey.callbacks import AGREE_PREFIX
from tests.support import Harness
from tests.test_survey_flow import answer_all, asked, begin, db_rows, reach, stored_answers


async def test_typed_text_where_a_button_is_expected(harness: Harness) -> None:
    resident = harness.resident(2001)
    await begin(resident)
    await reach(resident, "agencies")
    await resident.press("t:agencies:fk")
    await resident.say("Försäkringskassan")
    text = resident.last_text()
    assert "Svara gärna med knapparna" in text and asked(harness, "agencies") in text
    assert "t:agencies:fk" in resident.buttons()
    (row,) = db_rows(harness, "SELECT pending_codes, current_question FROM responses")
    assert row["pending_codes"] == "fk" and row["current_question"] == "agencies"


async def test_typed_text_in_english_gets_an_english_answer(harness: Harness) -> None:
    resident = harness.resident(2002, "en")
    await begin(resident, "en")
    await resident.say("what?")
    assert "Please answer with the buttons" in resident.last_text()


async def test_sticker_photo_and_document_during_questions(harness: Harness) -> None:
    resident = harness.resident(2003)
    await begin(resident)
    await resident.press("s:visits")
    for send in (harness.api.send_sticker, harness.api.send_photo, harness.api.send_document):
        await send(2003)
        await harness.deliver()
        text = resident.last_text()
        assert "kan jag inte ta emot" in text and asked(harness, "on_behalf") in text
    assert stored_answers(harness) == {"visits": ("", 1)}


async def test_photo_when_a_story_is_asked_for(harness: Harness) -> None:
    resident = harness.resident(2004)
    await begin(resident)
    await answer_all(resident)
    await harness.api.send_photo(2004)
    await harness.deliver()
    assert "röstmeddelande" in resident.last_text()
    assert db_rows(harness, "SELECT * FROM stories") == []


async def test_sticker_before_a_language_is_chosen(harness: Harness) -> None:
    resident = harness.resident(2005)
    await harness.api.send_sticker(2005, language_code="sv")
    await harness.deliver()
    assert "Välj språk" in resident.last_text()
    assert "lang:sv" in resident.buttons()


async def test_text_before_a_language_is_chosen_suggests_its_language(harness: Harness) -> None:
    resident = harness.resident(2006, None)
    await resident.say("Hello, I would like to tell you about the office in Hallunda")
    assert resident.buttons()[0] == "lang:en"
    assert "Choose your language" in resident.last_text()


async def test_short_text_does_not_outrank_telegrams_language(harness: Harness) -> None:
    resident = harness.resident(2016, "sv")
    await resident.say("Hello there")
    assert resident.buttons()[0] == "lang:sv"
    assert "Välj språk" in resident.last_text()


async def test_longer_text_leads_over_telegrams_language(harness: Harness) -> None:
    resident = harness.resident(2017, "sv")
    await resident.say("Hello, I need help with a letter from the tax office")
    assert resident.buttons()[:2] == ["lang:en", "lang:sv"]
    assert "Choose your language" in resident.last_text()


async def test_text_at_the_consent_step_repeats_the_consent(harness: Harness) -> None:
    resident = harness.resident(2007)
    await resident.command("start")
    await resident.press("lang:sv")
    await resident.say("ja")
    agree, *others = resident.buttons()
    assert agree.startswith(AGREE_PREFIX) and others == ["consent:no", "consent:young"]
    (row,) = db_rows(harness, "SELECT consented_at FROM responses")
    assert row["consented_at"] is None


async def test_edited_message_gets_an_explanation(harness: Harness) -> None:
    resident = harness.resident(2008)
    await begin(resident)
    await answer_all(resident)
    await resident.say("Första versionen")
    story_message_id = harness.delivered[-1]["message"]["message_id"]
    await harness.api.edit_user_message(2008, story_message_id, "Ändrad version")
    await harness.deliver()
    assert "ändrade meddelanden" in resident.last_text()
    (story,) = db_rows(harness, "SELECT text FROM stories")
    assert story["text"] == "Första versionen"


async def test_the_bot_stays_silent_in_groups(harness: Harness) -> None:
    start = [{"type": "bot_command", "offset": 0, "length": 6}]
    for chat_type in ("group", "supergroup"):
        await harness.api.send_message(3001, "/start", chat_id=-100123, chat_type=chat_type, entities=start)
        await harness.api.send_message(
            3001, "/start@citizen_feedback_bot", chat_id=-100124, chat_type=chat_type, entities=start
        )
        await harness.api.send_message(3001, "hej", chat_id=-100123, chat_type=chat_type)
        await harness.api.send_voice(3001, chat_id=-100123, chat_type=chat_type)
    await harness.deliver()
    assert harness.api.events(-100123) == [] and harness.api.events(-100124) == []
    assert harness.api.chat_messages(3001) == []
    assert db_rows(harness, "SELECT * FROM responses") == []


async def test_old_button_after_the_question_was_answered(harness: Harness) -> None:
    resident = harness.resident(2009)
    await begin(resident)
    first_question = resident.last()["message_id"]
    await resident.press("a:visits:12_plus")
    await resident.command("start")  # a second copy of question 2
    query_id = await resident.press_in(first_question, "a:visits:6_11")
    assert harness.api.callback_answers()[query_id].get("text", "").startswith("Den knappen")
    assert asked(harness, "on_behalf") in resident.last_text()
    assert stored_answers(harness) == {"visits": ("12_plus", 0)}


async def test_unknown_and_forged_callback_data(harness: Harness) -> None:
    resident = harness.resident(2010)
    await begin(resident)
    message_id = resident.last()["message_id"]
    for data in (
        "nonsense",
        "a:agencies:fk",
        "a:visits:hourly",
        "t:visits:12_plus",
        "t:agencies:fk",
        "lang:xx",
        "consent:yes",
        "a:a:b:c",
        "s:",
        "d:visits",
    ):
        await resident.press_in(message_id, data)
    assert db_rows(harness, "SELECT * FROM answers") == []
    assert asked(harness, "visits") in resident.last_text()


async def test_overlong_story_is_refused_politely_and_can_be_retried(harness: Harness) -> None:
    resident = harness.resident(2011)
    await begin(resident)
    await answer_all(resident)
    await resident.say("ord " * 1200)
    assert "för lång" in resident.last_text() and "4000" in resident.last_text()
    assert db_rows(harness, "SELECT * FROM stories") == []
    await resident.say("Kortare")
    assert "Tack för att du svarade" in resident.last_text()


async def test_unknown_command(harness: Harness) -> None:
    resident = harness.resident(2012)
    await resident.command("admin")
    assert "känner jag inte" in resident.last_text()


async def test_messages_from_other_bots_are_ignored(harness: Harness) -> None:
    before = len(harness.api.chat_messages(2013))
    await harness.api.send_message(
        2013, "/start", is_bot=True, entities=[{"type": "bot_command", "offset": 0, "length": 6}]
    )
    await harness.deliver()
    assert len(harness.api.chat_messages(2013)) == before


async def test_the_bot_stays_silent_in_channels(harness: Harness) -> None:
    await harness.api.send_message(3002, "hej", chat_id=-100777, chat_type="channel")
    start = [{"type": "bot_command", "offset": 0, "length": 6}]
    await harness.api.send_message(3002, "/start", chat_id=-100777, chat_type="channel", entities=start)
    await harness.deliver()
    assert harness.api.events(-100777) == []
    assert db_rows(harness, "SELECT * FROM responses") == []


async def test_invisible_story_is_not_stored(harness: Harness) -> None:
    resident = harness.resident(2018)
    await begin(resident)
    await answer_all(resident)
    await resident.say("\u200b\u200f \u2068\u2069")
    assert "Jag hittade ingen text" in resident.last_text()
    assert db_rows(harness, "SELECT * FROM stories") == []
    await resident.say("😢")
    assert "Tack för att du svarade" in resident.last_text()


# ------------------------------------------------------------------ updates the bot must not take in


def raw_message(user_id: int | None, content: dict[str, Any], chat_id: int | None = None) -> dict[str, Any]:
    """A message as Telegram sends it; without ``user_id`` it has no ``from`` (sent on behalf of a
    channel or an anonymous admin)."""
    chat_id = chat_id if chat_id is not None else user_id or 4242
    message: dict[str, Any] = {
        "message_id": 900_000 + len(str(content)),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Test"},
        **content,
    }
    if user_id is not None:
        message["from"] = {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "sv"}
    return message


async def test_forwarded_text_is_not_taken_as_the_story(harness: Harness) -> None:
    resident = harness.resident(2019)
    await begin(resident)
    await answer_all(resident)
    await harness.api.send_message(2019, "Någon annans ord om kontoret", forward=True)
    await harness.deliver()
    text = resident.last_text()
    assert "egna ord" in text and "Vill du berätta mer?" in text
    assert "s:story" in resident.buttons()
    assert db_rows(harness, "SELECT * FROM stories") == []
    await resident.say("Mina egna ord")
    (story,) = db_rows(harness, "SELECT text FROM stories")
    assert story["text"] == "Mina egna ord"


async def test_forwarded_voice_note_is_not_taken_as_the_story(harness: Harness) -> None:
    resident = harness.resident(2020, "en")
    await begin(resident, "en")
    await answer_all(resident)
    await harness.api.send_voice(2020, duration=30, forward=True, language_code="en")
    await harness.deliver()
    assert "your own words" in resident.last_text()
    assert db_rows(harness, "SELECT * FROM stories") == []


async def test_forwarded_command_does_not_act_as_a_command(harness: Harness) -> None:
    resident = harness.resident(2021)
    await begin(resident)
    await resident.press("a:visits:12_plus")
    entity = {"type": "bot_command", "offset": 0, "length": 7}
    await harness.api.send_message(2021, "/delete", entities=[entity], forward=True)
    await harness.deliver()
    assert "del:yes" not in resident.buttons()
    assert stored_answers(harness) == {"visits": ("12_plus", 0)}


async def test_audio_file_and_video_note_are_not_voice_notes(harness: Harness) -> None:
    resident = harness.resident(2022)
    await begin(resident)
    await answer_all(resident)
    audio = {"file_id": "AUDIO-1", "file_unique_id": "UA1", "duration": 180, "title": "Låt"}
    video_note = {"file_id": "ROUND-1", "file_unique_id": "UR1", "length": 240, "duration": 20}
    for content in ({"audio": audio}, {"video_note": video_note}):
        await harness.api.send_raw_update({"message": raw_message(2022, content)})
        await harness.deliver()
        text = resident.last_text()
        assert "kan jag inte ta emot" in text and "röstmeddelande" in text
        assert "s:story" in resident.buttons()
    assert db_rows(harness, "SELECT * FROM stories") == []


async def test_message_without_a_sender_is_ignored(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    resident = harness.resident(2023)
    await begin(resident)
    before = len(resident.messages())
    caplog.set_level(logging.WARNING)
    anonymous = raw_message(None, {"text": "hej", "sender_chat": {"id": -100555, "type": "channel"}}, 2023)
    await harness.api.send_raw_update({"message": anonymous})
    await harness.api.send_raw_update(
        {
            "message": raw_message(
                None, {"voice": {"file_id": "V", "file_unique_id": "U", "duration": 3}}, 2023
            )
        }
    )
    await harness.api.send_raw_update({"edited_message": {**anonymous, "edit_date": int(time.time())}})
    await harness.deliver()
    assert len(resident.messages()) == before
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert stored_answers(harness) == {}


async def test_business_messages_never_reach_the_survey(harness: Harness) -> None:
    resident = harness.resident(2024)
    await begin(resident)
    await answer_all(resident)
    asked_before = len(resident.messages())
    command = {"text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}
    connection = {"business_connection_id": "BIZ-1"}
    for update in (
        {"business_message": raw_message(2024, {**command, **connection})},
        {
            "business_message": raw_message(
                2024, {"text": "En berättelse via ett företagskonto", **connection}
            )
        },
        {
            "business_message": raw_message(
                2024, {"voice": {"file_id": "V", "file_unique_id": "U", "duration": 9}, **connection}
            )
        },
        {"edited_business_message": {**raw_message(2024, {"text": "ändrad", **connection}), "edit_date": 1}},
        {"business_message": raw_message(2025, {**command, **connection}, chat_id=2025)},
    ):
        await harness.api.send_raw_update(update)
        await harness.deliver()
    assert len(resident.messages()) == asked_before
    assert harness.api.chat_messages(2025) == []
    assert db_rows(harness, "SELECT * FROM stories") == []
    assert len(db_rows(harness, "SELECT * FROM responses")) == 1


async def test_button_pressed_in_a_group_stores_nothing(harness: Harness) -> None:
    # A bot message in a group (an older version of the bot answered there) with a pressed button.
    await harness.api.send_message(3003, "hej", chat_id=-100321, chat_type="group")
    await harness.deliver()
    posted = await harness.application.bot.send_message(-100321, "Välj språk")
    for data in ("lang:sv", "consent:yes", "a:visits:12_plus"):
        await harness.api.press(3003, posted.message_id, data, chat_id=-100321)
        await harness.deliver()
        assert db_rows(harness, "SELECT * FROM responses") == [], data
    assert [m["text"] for m in harness.api.chat_messages(-100321)] == ["Välj språk"]
    assert harness.api.chat_messages(3003) == []


async def test_error_before_anything_was_answered_does_not_claim_answers_are_saved(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    resident = harness.resident(2026, "en")
    await resident.command("start")
    await resident.press("lang:en")

    async def broken(*args: object) -> None:
        raise RuntimeError("consent could not be recorded")

    monkeypatch.setattr(harness.services.surveys, "consent", broken)
    await resident.agree()
    text = resident.last_text()
    assert "went wrong" in text and "saved" not in text
    assert db_rows(harness, "SELECT consented_at FROM responses")[0]["consented_at"] is None


async def test_error_after_some_answers_says_the_earlier_ones_are_kept(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    resident = harness.resident(2027)
    await begin(resident)
    await resident.press("a:visits:12_plus")

    async def broken(*args: object) -> None:
        raise RuntimeError("the answer could not be stored")

    monkeypatch.setattr(harness.services.surveys, "answer", broken)
    await resident.press("a:on_behalf:self")
    assert "Det du har svarat tidigare är sparat" in resident.last_text()
    assert stored_answers(harness) == {"visits": ("12_plus", 0)}


async def test_edit_of_a_refused_story_does_not_claim_it_was_saved(harness: Harness) -> None:
    resident = harness.resident(2028)
    await begin(resident)
    await answer_all(resident)
    await resident.say("ord " * 1200)
    refused = harness.delivered[-1]["message"]["message_id"]
    await harness.api.edit_user_message(2028, refused, "Kortare version")
    await harness.deliver()
    text = resident.last_text()
    assert "ändrade meddelanden" in text and "sparas inte" in text and "skickade först" not in text
    assert "Vill du berätta mer?" in text and "s:story" in resident.buttons()
    assert db_rows(harness, "SELECT * FROM stories") == []
