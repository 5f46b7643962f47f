"""Every kind of unexpected input gets a polite answer in the resident's language; nothing is lost."""

from __future__ import annotations

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
    await resident.press("s:frequency")
    for send in (harness.api.send_sticker, harness.api.send_photo, harness.api.send_document):
        await send(2003)
        await harness.deliver()
        text = resident.last_text()
        assert "kan jag inte ta emot" in text and asked(harness, "on_behalf") in text
    assert stored_answers(harness) == {"frequency": ("", 1)}


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
    assert resident.buttons() == ["consent:yes", "consent:no"]
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


async def test_group_and_channel_messages_point_to_a_private_chat(harness: Harness) -> None:
    await harness.api.send_message(
        3001,
        "/start",
        chat_id=-100123,
        chat_type="group",
        entities=[{"type": "bot_command", "offset": 0, "length": 6}],
    )
    await harness.api.send_message(3001, "hej", chat_id=-100123, chat_type="group")
    await harness.deliver()
    replies = harness.api.chat_messages(-100123)
    bot_replies = [m for m in replies if "privat chatt" in (m.get("text") or "")]
    assert len(bot_replies) == 2
    assert db_rows(harness, "SELECT * FROM responses") == []


async def test_old_button_after_the_question_was_answered(harness: Harness) -> None:
    resident = harness.resident(2009)
    await begin(resident)
    first_question = resident.last()["message_id"]
    await resident.press("a:frequency:weekly")
    await resident.command("start")  # a second copy of question 2
    query_id = await resident.press_in(first_question, "a:frequency:monthly")
    assert harness.api.callback_answers()[query_id].get("text", "").startswith("Den knappen")
    assert asked(harness, "on_behalf") in resident.last_text()
    assert stored_answers(harness) == {"frequency": ("weekly", 0)}


async def test_unknown_and_forged_callback_data(harness: Harness) -> None:
    resident = harness.resident(2010)
    await begin(resident)
    message_id = resident.last()["message_id"]
    for data in (
        "nonsense",
        "a:agencies:fk",
        "a:frequency:hourly",
        "t:frequency:weekly",
        "t:agencies:fk",
        "lang:xx",
        "consent:yes",
        "a:a:b:c",
        "s:",
        "d:frequency",
    ):
        await resident.press_in(message_id, data)
    assert db_rows(harness, "SELECT * FROM answers") == []
    assert asked(harness, "frequency") in resident.last_text()


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


async def test_channel_post_is_answered_without_storing_anything(harness: Harness) -> None:
    await harness.api.send_message(3002, "hej", chat_id=-100777, chat_type="channel")
    await harness.deliver()
    assert any("privat chatt" in (m.get("text") or "") for m in harness.api.chat_messages(-100777))
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
