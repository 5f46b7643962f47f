"""Admin commands through the real Application: who may use them, what they show, what is
recorded, and that small groups stay hidden."""

from __future__ import annotations

import io
import logging
import sqlite3
from pathlib import Path
from typing import Any
from unittest.mock import patch

import docx
import pytest

from bot.config import Settings
from tests.support import Harness, Resident, buttons_of, make_settings
from tests.test_survey_flow import answer_all, begin

ADMIN = 9000
OUTSIDER = 4242


# Overrides the shared fixture, so the shared ``harness`` runs with an admin configured.
@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, admin_ids=frozenset({ADMIN}))


async def command_with(resident: Resident, name: str, args: str = "") -> None:
    await resident.api.send_command(resident.user_id, name, args, language_code=resident.language_code)
    await resident.harness.deliver()


def audit(harness: Harness) -> list[sqlite3.Row]:
    connection = sqlite3.connect(harness.services.settings.database_path)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute("SELECT at, actor, action, detail FROM admin_audit ORDER BY id").fetchall()
    finally:
        connection.close()


async def residents_answer(harness: Harness, languages: list[str], story: str | None = None) -> None:
    for number, language in enumerate(languages):
        resident = harness.resident(2000 + number, language)
        await begin(resident, language)
        await answer_all(resident)
        await resident.say(story or "Inget mer att tillägga, tack.")


async def test_admin_commands_do_not_exist_for_others(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    outsider = harness.resident(OUTSIDER, "sv")
    await outsider.command("nosuchcommand")
    unknown = outsider.last_text()
    for command in ("summary", "stats", "export", "report"):
        with caplog.at_level(logging.WARNING):
            await command_with(outsider, command, "frequency by area")
        assert outsider.last_text() == unknown
        assert f"admin command /{command} refused" in caplog.text
    assert not any(m["document"] for m in outsider.messages())
    assert str(OUTSIDER) not in caplog.text
    assert "frequency by area" not in caplog.text
    assert audit(harness) == []


async def test_summary_shows_counts_and_hides_small_groups(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 6 + ["ar"])
    admin = harness.resident(ADMIN, "sv")
    await admin.command("summary")
    text = admin.last_text()
    assert "Påbörjade svar: 7" in text
    assert "Fullständiga svar: 7" in text
    # Everyone answered "could not go": 7 of 7 is shown, as the other side is empty.
    assert "Skulle få svårare eller inte kunna ta sig till Liljeholmen: 7 av 7 (100\u00a0%)" in text
    # One Arabic respondent: hidden, and Swedish with it, since 7 - 6 would give the one back.
    assert "• arabiska: .." in text
    assert "• svenska: .." in text
    assert "Fittja: 7" in text
    assert [row["action"] for row in audit(harness)] == ["summary"]


async def test_stats_for_one_question_and_broken_down(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 5 + ["en"] * 5)
    admin = harness.resident(ADMIN, "sv")
    await command_with(admin, "stats", "frequency")
    text = admin.last_text()
    assert "Bas: 10 som besvarade frågan" in text
    assert "• Minst en gång i månaden: 10 (100\u00a0%)" in text
    await command_with(admin, "stats", "frequency by language")
    text = admin.last_text()
    assert "Uppdelat efter språk:" in text
    assert "▸ svenska (5)" in text and "▸ engelska (5)" in text
    await command_with(admin, "stats", "agencies by age")
    assert "Flera svar möjliga" in admin.last_text()
    details = [row["detail"] for row in audit(harness)]
    assert details == ["frequency", "frequency by language", "agencies by age"]


async def test_stats_answers_mistakes_politely(harness: Harness) -> None:
    admin = harness.resident(ADMIN, "sv")
    await command_with(admin, "stats", "online by area extra")
    assert "Skriv /stats och en fråga" in admin.last_text()
    await command_with(admin, "stats", "shoesize")
    assert "Det finns ingen fråga som heter ”shoesize”" in admin.last_text()
    assert "frequency" in admin.last_text()
    await command_with(admin, "stats", "frequency by shoesize")
    assert "Det går inte att dela upp efter ”shoesize”" in admin.last_text()
    assert audit(harness) == []


async def test_export_in_chat_sends_no_data_and_points_to_the_server(harness: Harness) -> None:
    await residents_answer(harness, ["sv", "so"], story="Bussen till Liljeholmen tar en timme.")
    admin = harness.resident(ADMIN, "sv")
    await admin.command("export")
    # Row-level answers and stories are personal data: they never travel through the chat.
    assert not any(m["document"] for m in admin.messages())
    text = admin.last_text()
    assert "python -m bot export" in text and "personuppgifter" in text and "--stories" in text
    assert "Bussen" not in text
    # Nothing left the database, so there is nothing to put on the record.
    assert audit(harness) == []


async def test_report_is_a_word_document_and_audited(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 5, story="Jag behöver tolk för att förstå breven.")
    admin = harness.resident(ADMIN, "sv")
    await admin.command("report")
    message = admin.last()
    assert message["kind"] == "document"
    assert message["document"]["file_name"].endswith(".docx")
    document = docx.Document(io.BytesIO(message["document"]["data"]))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "Hallunda" in text
    assert "SYNTETISKA" not in text
    assert len(document.inline_shapes) >= len(harness.services.survey.choice_questions())
    rows = audit(harness)
    assert [row["action"] for row in rows] == ["report"]
    # The actor is a pseudonym, never the admin's Telegram id.
    assert rows[0]["actor"] == harness.services.pseudonymize(ADMIN)
    assert str(ADMIN) not in rows[0]["actor"]


async def test_admin_help_lists_admin_commands_only_for_admins(harness: Harness) -> None:
    admin = harness.resident(ADMIN, "sv")
    await admin.command("help")
    assert "/summary" in admin.last_text()
    assert "/export" not in admin.last_text()
    outsider = harness.resident(OUTSIDER, "sv")
    await outsider.command("help")
    assert not any("/summary" in (m["text"] or "") for m in outsider.messages())


async def test_stories_are_tagged_with_themes_when_told(harness: Harness) -> None:
    resident: Resident = harness.resident(3001, "sv")
    await begin(resident, "sv")
    await answer_all(resident)
    await resident.say("Jag förstår inte svenska och behöver tolk, och bussen dit tar en timme.")
    connection = sqlite3.connect(harness.services.settings.database_path)
    try:
        themes = {row[0] for row in connection.execute("SELECT theme FROM story_themes")}
        version = connection.execute("SELECT themes_version FROM stories").fetchone()[0]
    finally:
        connection.close()
    assert {"language_barrier", "travel"} <= themes
    assert version == harness.services.admin.evidence.tagger.version


async def test_only_admins_menus_list_admin_commands(harness: Harness) -> None:
    from telegram import BotCommandScopeChat

    from bot.app import _announce_commands

    await _announce_commands(harness.application)
    bot = harness.application.bot
    staff = [command.command for command in await bot.get_my_commands(scope=BotCommandScopeChat(ADMIN))]
    assert {"summary", "stats", "report", "start"} <= set(staff)
    assert "export" not in staff, "the row-level export is made on the server, not offered in chat"
    for language in (None, "en", "ar"):
        everyone = [command.command for command in await bot.get_my_commands(language_code=language)]
        assert everyone and "summary" not in everyone


async def test_stats_accepts_the_swedish_name_of_a_grouping(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 5)
    admin = harness.resident(ADMIN, "sv")
    await command_with(admin, "stats", "online efter område")
    assert "Uppdelat efter område:" in admin.last_text()
    assert "▸ Fittja (5)" in admin.last_text()


def _command_message(chat_id: int, text: str) -> dict[str, object]:
    return {
        "message_id": 77,
        "date": 1_780_000_000,
        "chat": {"id": chat_id, "type": "private", "first_name": "Kund"},
        "from": {"id": ADMIN, "is_bot": False, "first_name": "Admin", "language_code": "sv"},
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
    }


async def test_admin_figures_go_only_to_the_admins_own_private_chat(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await residents_answer(harness, ["sv"] * 6)
    customer = 5555
    api = harness.api
    since = api.event_seq()
    with caplog.at_level(logging.WARNING):
        for command in ("/summary", "/export", "/report", "/stats frequency"):
            # Typed by the admin in a chat their Telegram Business account handles for them.
            business = {**_command_message(customer, command), "business_connection_id": "bc-1"}
            await api.send_raw_update({"business_message": business})
            # An update naming someone else's chat, sent by the admin.
            await api.send_raw_update({"message": _command_message(customer, command)})
        await harness.deliver()
    assert not [event for event in api.events(since=since) if event["method"] not in ("getUpdates",)]
    assert "not the sender's own private chat" in caplog.text
    assert audit(harness) == []
    # In the admin's own chat the same command still works.
    admin = harness.resident(ADMIN, "sv")
    await admin.command("summary")
    assert [row["action"] for row in audit(harness)] == ["summary"]


# -- /stats as buttons ---------------------------------------------------------------------------


def button_labels(message: dict[str, Any]) -> dict[str, str]:
    """Callback data to label, for every button under a message."""
    markup = message.get("reply_markup") or {}
    return {
        button["callback_data"]: button["text"] for row in markup.get("inline_keyboard", []) for button in row
    }


def data_for(message: dict[str, Any], label: str) -> str:
    labels = button_labels(message)
    matches = [data for data, text in labels.items() if text == label]
    assert matches, f"no button {label!r} among {list(labels.values())}"
    return matches[0]


def message(resident: Resident, message_id: int) -> dict[str, Any]:
    """The message as it reads now, after any edits."""
    return next(m for m in resident.messages() if m["message_id"] == message_id)


def swedish_titles(harness: Harness) -> list[str]:
    evidence = harness.services.admin.evidence
    return [evidence.labels.question(question) for question in evidence.question_ids]


async def test_stats_alone_offers_every_question_as_a_button(harness: Harness) -> None:
    admin = harness.resident(ADMIN, "sv")
    await admin.command("stats")
    menu = admin.last()
    assert menu["text"] == "Välj en fråga"
    titles = swedish_titles(harness)
    assert "Hur ofta har du varit på servicekontoret i Hallunda det senaste året?" in titles
    assert list(button_labels(menu).values()) == titles
    assert all(len(data.encode()) <= 64 and data.startswith("st:") for data in buttons_of(menu))
    # Only the list: no figures were read, so nothing is audited yet.
    assert audit(harness) == []


async def test_stats_buttons_turn_the_same_message_into_figures_and_back(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 5 + ["en"] * 5)
    admin = harness.resident(ADMIN, "sv")
    await admin.command("stats")
    menu = admin.last()
    await command_with(admin, "stats", "frequency")
    typed_figures = admin.last_text()

    title = "Hur ofta har du varit på servicekontoret i Hallunda det senaste året?"
    await admin.press_in(menu["message_id"], data_for(menu, title))
    shown = message(admin, menu["message_id"])
    assert shown["text"] == typed_figures, "the same figures as /stats frequency"
    assert "Bas: 10 som besvarade frågan" in shown["text"]
    labels = list(button_labels(shown).values())
    assert labels == ["efter språk", "efter område", "efter åldersgrupp", "« Alla frågor"]

    await admin.press_in(menu["message_id"], data_for(shown, "efter språk"))
    shown = message(admin, menu["message_id"])
    assert "Uppdelat efter språk:" in shown["text"]
    assert "▸ svenska (5)" in shown["text"] and "▸ engelska (5)" in shown["text"]
    assert list(button_labels(shown).values()) == ["« Frågan", "« Alla frågor"]

    await admin.press_in(menu["message_id"], data_for(shown, "« Frågan"))
    shown = message(admin, menu["message_id"])
    assert shown["text"] == typed_figures

    await admin.press_in(menu["message_id"], data_for(shown, "« Alla frågor"))
    shown = message(admin, menu["message_id"])
    assert shown["text"] == "Välj en fråga"
    assert list(button_labels(shown).values()) == swedish_titles(harness)
    # Every press edited the one message: besides it, only the typed command's answer was sent.
    assert len([m for m in admin.messages() if m["message_id"] >= menu["message_id"]]) == 2

    details = [row["detail"] for row in audit(harness)]
    assert details == ["frequency", "frequency", "frequency by language", "frequency"]


async def test_stats_question_is_not_offered_broken_down_by_itself(harness: Harness) -> None:
    admin = harness.resident(ADMIN, "sv")
    await admin.command("stats")
    menu = admin.last()
    index = harness.services.admin.evidence.question_ids.index("area")
    await admin.press_in(menu["message_id"], f"st:q:{index}")
    shown = message(admin, menu["message_id"])
    assert list(button_labels(shown).values()) == ["efter språk", "efter åldersgrupp", "« Alla frågor"]


async def test_stats_button_with_a_long_view_still_answers(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 5)
    admin = harness.resident(ADMIN, "sv")
    await admin.command("stats")
    menu = admin.last()
    # Labels as long as a translator might make them: the breakdown no longer fits one message.
    strings = harness.services.admin_strings
    original = strings.__class__.__call__

    def verbose(self: Any, key: str, **values: Any) -> str:
        text = original(self, key, **values)
        return text * 60 if key == "admin.hidden_note" else text

    with patch.object(strings.__class__, "__call__", verbose):
        await admin.press_in(menu["message_id"], "st:b:0:area")
    sent = [m for m in admin.messages() if m["message_id"] > menu["message_id"]]
    assert sent, "a view too long to edit in is sent as new messages"
    assert "Uppdelat efter område:" in sent[0]["text"]
    assert all(len(m["text"]) <= 4096 for m in sent)
    assert list(button_labels(sent[-1]).values()) == ["« Frågan", "« Alla frågor"]


async def test_forged_stats_button_from_a_non_admin_reveals_nothing(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 6)
    outsider = harness.resident(OUTSIDER, "sv")
    await outsider.command("start")
    start = outsider.last()
    await harness.api.press(OUTSIDER, start["message_id"], "nonsense:1")
    await harness.deliver()
    unknown_button = [m["text"] for m in outsider.messages()]
    for data in ("st:m", "st:q:0", "st:b:0:area", "st:b:0:language"):
        await harness.api.press(OUTSIDER, start["message_id"], data)
        await harness.deliver()
    texts = [m["text"] or "" for m in outsider.messages()]
    # Each forged press is answered as the unknown button was: the resident's current step again.
    assert texts[len(unknown_button) :] == unknown_button[-1:] * 4
    assert not any("Bas:" in text or "Uppdelat" in text or "Välj en fråga" in text for text in texts)
    assert audit(harness) == []


async def test_old_or_malformed_stats_button_shows_the_list_again(harness: Harness) -> None:
    admin = harness.resident(ADMIN, "sv")
    await admin.command("stats")
    menu = admin.last()
    for data in ("st:q:999", "st:b:0:shoesize", "st:q:x", "st:b:0"):
        await admin.press_in(menu["message_id"], data)
        assert message(admin, menu["message_id"])["text"] == "Välj en fråga"
    assert audit(harness) == []
