"""Admin commands through the real Application: who may use them, what they show, what is
recorded, and that small groups stay hidden."""

from __future__ import annotations

import io
import logging
import re
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import docx
import pytest

from bot.config import Settings
from bot.release.model import Release
from bot.release.service import NotEnoughNew
from bot.survey.definition import QuestionKind
from tests.support import Harness, Resident, buttons_of, make_settings
from tests.test_survey_flow import ANSWERS, answer_all, begin

ADMIN = 9000
OUTSIDER = 4242
# The fewest completed responses a release may add (the smallest the settings allow), so that a
# handful of residents is enough for one.
MIN_NEW = 5


# Overrides the shared fixture, so the shared ``harness`` runs with an admin configured.
@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, admin_ids=frozenset({ADMIN}), release_min_new=MIN_NEW)


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


Answers = Mapping[str, str | Sequence[str] | None]


async def answer(resident: Resident, answers: Answers, until: str | None = None) -> None:
    """Answer every choice question the answers lead to as ``answers`` says (None: skip it),
    stopping before ``until`` if given; questions routed past are not shown, so not answered."""
    survey = resident.harness.services.survey
    given: dict[str, tuple[str, ...]] = {}
    for question in survey.questions:
        if question.id == until:
            return
        if question.kind is QuestionKind.FREE_TEXT or not survey.shown(question, given):
            continue
        choice = answers[question.id]
        given[question.id] = () if choice is None else (choice,) if isinstance(choice, str) else tuple(choice)
        if choice is None:
            await resident.press(f"s:{question.id}")
        elif question.kind is QuestionKind.MULTI:
            for code in choice:
                await resident.press(f"t:{question.id}:{code}")
            await resident.press(f"d:{question.id}")
        else:
            await resident.press(f"a:{question.id}:{choice}")


async def residents_answer(
    harness: Harness,
    languages: list[str],
    story: str | None = None,
    *,
    answers: Answers = ANSWERS,
    first: int = 2000,
) -> None:
    """Residents ``first``, ``first + 1``, ... complete the survey, one per language given."""
    for number, language in enumerate(languages):
        resident = harness.resident(first + number, language)
        await begin(resident, language)
        await answer(resident, answers)
        await resident.say(story or "Inget mer att tillägga, tack.")


async def residents_stop_early(
    harness: Harness, count: int, *, answers: Answers = ANSWERS, first: int = 2500
) -> None:
    """Residents who consent and answer the first questions, up to the district, but never finish."""
    for number in range(count):
        resident = harness.resident(first + number, "sv")
        await begin(resident, "sv")
        await answer(resident, answers, until="district")


async def make_release(harness: Harness) -> Release:
    """The protected release admins read from, made now (as the running bot does every few hours
    and ``python -m bot release`` does on demand)."""
    return await harness.services.admin.evidence.releases.make()


def release_line(release: Release) -> str:
    made = datetime.fromisoformat(release.made_at).strftime("%Y-%m-%d %H:%M")
    return f"Siffrorna är från sammanställningen {made}."


def shown_counts(text: str) -> list[int]:
    """Every count an admin text shows: "Label: N", "N av M", "N (share)", "▸ group (N)", "Bas: N som"."""
    counts = re.findall(r"(?<![\d\-–.,])(\d+)(?= av | som | \(\d|\)$|$)", text, flags=re.MULTILINE)
    return [int(count) for count in counts]


def no_small_count_shown(text: str) -> bool:
    return not any(1 <= count < MIN_NEW for count in shown_counts(text))


async def test_admin_commands_do_not_exist_for_others(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    outsider = harness.resident(OUTSIDER, "sv")
    await outsider.command("nosuchcommand")
    unknown = outsider.last_text()
    for command in ("summary", "stats", "export", "report"):
        with caplog.at_level(logging.WARNING):
            await command_with(outsider, command, "visits by district")
        assert outsider.last_text() == unknown
        assert f"admin command /{command} refused" in caplog.text
    assert not any(m["document"] for m in outsider.messages())
    assert str(OUTSIDER) not in caplog.text
    assert "visits by district" not in caplog.text
    assert audit(harness) == []


async def test_summary_shows_counts_and_hides_small_groups(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 6)
    # One Arabic-speaking resident, the only one in Alby.
    await residents_answer(harness, ["ar"], answers={**ANSWERS, "district": "alby"}, first=2100)
    release = await make_release(harness)
    assert release.completed == 7
    admin = harness.resident(ADMIN, "sv")
    await admin.command("summary")
    text = admin.last_text()
    lines = text.splitlines()
    assert lines[0].startswith("Sammanställning: service_office")
    assert lines[1] == release_line(release)
    assert "Påbörjade svar: 7" in lines
    assert "Fullständiga svar: 7" in lines
    # Everyone answered "much harder": 7 of 7 is shown, as the other side is empty.
    # A headline that joins options shows each part, so "harder" cannot be read as "much harder".
    assert (
        "• Skulle få lite eller mycket svårare att få hjälp av myndigheterna: 7 av 7 (100\u00a0%), "
        "därav ”Lite svårare” 0, ”Mycket svårare” 7" in lines
    )
    assert "• Skulle få lite eller mycket lättare att få hjälp av myndigheterna: 0 av 7 (0\u00a0%)" in lines
    # Everyone can go online only with help.
    assert "• Kan sköta alla eller några ärenden på internet: 0 av 7 (0\u00a0%)" in lines
    # Fewer than 20 respondents in each language: they are counted together, and none is named.
    assert "• övriga språk: 7 (100\u00a0%)" in lines
    assert "arabiska" not in text and "• svenska" not in text
    # One respondent in Alby: hidden, and Fittja with it, since 7 - 6 would give the one back.
    assert "• Alby: .." in lines
    assert "• Fittja: .." in lines
    assert "• Tumba: 0 (0\u00a0%)" in lines
    assert "• 45–64 år: 7 (100\u00a0%)" in lines
    assert no_small_count_shown(text), text
    assert "”..” är ett dolt antal" in text
    assert [row["action"] for row in audit(harness)] == ["summary"]


def no_release_text(harness: Harness, started: int, completed: int) -> str:
    t = harness.services.admin_strings
    return t("admin.no_release", started=str(started), completed=str(completed), needed=str(MIN_NEW))


async def test_before_any_release_admins_see_only_rounded_progress(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 6)
    await residents_stop_early(harness, 10)
    # 16 started and 6 completed, shown only rounded to tens.
    expected = no_release_text(harness, started=20, completed=10)
    assert expected.startswith(
        "Det finns ingen sammanställning av svaren ännu. Hittills har ungefär 20 personer påbörjat "
        "och ungefär 10 fullföljt enkäten (avrundat till tiotal)."
    )
    assert sorted(set(re.findall(r"\d+", expected))) == ["10", "20", str(MIN_NEW)]
    admin = harness.resident(ADMIN, "sv")
    await admin.command("summary")
    assert admin.last_text() == expected
    for question in ("visits", "visits by district", "agencies efter åldersgrupp"):
        await command_with(admin, "stats", question)
        assert admin.last_text() == expected, question
    # A question chosen from the list: the same message says the same, with no figures.
    await admin.command("stats")
    menu = admin.last()
    await admin.press_in(menu["message_id"], data_for(menu, swedish_titles(harness)[0]))
    assert message(admin, menu["message_id"])["text"] == expected
    # A breakdown button, as under an older message, answers the same.
    await admin.press_in(menu["message_id"], "st:b:0:district")
    assert message(admin, menu["message_id"])["text"] == expected
    await admin.command("report")
    assert admin.last_text() == expected
    assert not any(m["document"] for m in admin.messages())
    # Nothing the admin was sent holds a true count (16 started, 6 completed) or a figure.
    for text in (m["text"] or "" for m in admin.messages()):
        assert set(re.findall(r"\d+", text)) <= {"10", "20", str(MIN_NEW)}, text
        assert "Bas:" not in text and "Påbörjade svar:" not in text and "Uppdelat" not in text, text
    # No figure was read: neither /stats nor /report is on the record.
    assert [row["action"] for row in audit(harness) if row["action"] != "summary"] == []


async def test_figures_change_only_with_a_new_release(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * MIN_NEW)
    first = await make_release(harness)
    assert first.completed == MIN_NEW
    admin = harness.resident(ADMIN, "sv")
    await admin.command("summary")
    before = admin.last_text()
    assert f"Fullständiga svar: {MIN_NEW}" in before.splitlines()
    assert release_line(first) in before.splitlines()
    await command_with(admin, "stats", "visits")
    visits = admin.last_text()

    # One more resident completes (in Alby, answering otherwise), another only starts: the
    # figures stay those of the release, or the difference would single them out.
    alby = {**ANSWERS, "district": "alby", "visits": "12_plus"}
    await residents_answer(harness, ["sv"], answers=alby, first=2100)
    await residents_stop_early(harness, 1)
    await admin.command("summary")
    assert admin.last_text() == before
    await command_with(admin, "stats", "visits")
    assert admin.last_text() == visits
    # A new release must wait for MIN_NEW newly completed responses.
    with pytest.raises(NotEnoughNew) as waiting:
        await make_release(harness)
    assert (waiting.value.new, waiting.value.needed) == (1, MIN_NEW)
    assert (await harness.services.admin.evidence.releases.latest()) == first
    await admin.command("summary")
    assert admin.last_text() == before

    # Enough new ones: still the old figures until the next release is made...
    await residents_answer(harness, ["sv"] * (MIN_NEW - 1), answers=alby, first=2200)
    await admin.command("summary")
    assert admin.last_text() == before
    # ...and then the new ones.
    second = await make_release(harness)
    assert second.completed == 2 * MIN_NEW
    await admin.command("summary")
    after = admin.last_text()
    lines = after.splitlines()
    assert release_line(second) in lines
    assert f"Fullständiga svar: {2 * MIN_NEW}" in lines
    # Started counts the one who stopped part-way: shown, it would give that one away.
    assert "Påbörjade svar: .." in lines
    assert f"• Alby: {MIN_NEW} (50\u00a0%)" in lines
    assert f"• Fittja: {MIN_NEW} (50\u00a0%)" in lines
    assert no_small_count_shown(after), after
    await command_with(admin, "stats", "visits")
    lines = admin.last_text().splitlines()
    assert f"• 12 gånger eller fler: {MIN_NEW} (50\u00a0%)" in lines
    assert f"• 6–11 gånger: {MIN_NEW} (50\u00a0%)" in lines


async def test_stats_for_one_question_and_broken_down(harness: Harness) -> None:
    # Twenty in Swedish, enough to be named; five in English who skip the question, counted with
    # the other small languages; five who stop part-way after answering "12 times or more".
    await residents_answer(harness, ["sv"] * 20)
    await residents_answer(harness, ["en"] * 5, answers={**ANSWERS, "visits": None}, first=2100)
    await residents_stop_early(harness, 5, answers={**ANSWERS, "visits": "12_plus"})
    release = await make_release(harness)
    assert release.completed == 25
    admin = harness.resident(ADMIN, "sv")
    await command_with(admin, "stats", "visits")
    lines = admin.last_text().splitlines()
    # Only completed responses count, and shares are of all of them, those who skipped included.
    assert "Bas: 25 som fullföljde enkäten" in lines[1]
    assert "• 12 gånger eller fler: 0 (0\u00a0%)" in lines
    assert "• 6–11 gånger: 20 (80\u00a0%)" in lines
    assert "Hoppade över frågan: 5" in lines
    await command_with(admin, "stats", "visits by language")
    text = admin.last_text()
    assert "Uppdelat efter språk:" in text
    assert "engelska" not in text
    rows = text.split("▸ ")[1:]
    assert [row.splitlines()[0] for row in rows] == ["svenska (20)", "övriga språk (5)"]
    assert "   • 6–11 gånger: 20 (100\u00a0%)" in rows[0].splitlines()
    assert "   • Uppgift saknas: 0 (0\u00a0%)" in rows[0].splitlines()
    assert "   • 6–11 gånger: 0 (0\u00a0%)" in rows[1].splitlines()
    assert "   • Uppgift saknas: 5 (100\u00a0%)" in rows[1].splitlines()
    assert no_small_count_shown(text), text
    await command_with(admin, "stats", "agencies by age_group")
    text = admin.last_text()
    assert "Flera svar möjliga" in text
    # Groups nobody is in are left out.
    assert [row.splitlines()[0] for row in text.split("▸ ")[1:]] == ["45–64 år (25)"]
    assert "   • Skatteverket: 25 (100\u00a0%)" in text.splitlines()
    assert "   • Pensionsmyndigheten: 0 (0\u00a0%)" in text.splitlines()
    details = [row["detail"] for row in audit(harness)]
    assert details == ["visits", "visits by language", "agencies by age_group"]


async def test_stats_of_a_routed_question_count_only_those_asked(harness: Harness) -> None:
    # Five visitors in Fittja; five in Alby who never visited and so skip the visit questions.
    await residents_answer(harness, ["sv"] * 5)
    never = {**ANSWERS, "visits": "never", "district": "alby"}
    await residents_answer(harness, ["sv"] * 5, answers=never, first=2100)
    release = await make_release(harness)
    assert release.completed == 10
    admin = harness.resident(ADMIN, "sv")
    # The question everyone is asked keeps the base of all who completed.
    await command_with(admin, "stats", "visits")
    lines = admin.last_text().splitlines()
    assert "Bas: 10 som fullföljde enkäten" in lines[1]
    assert "• Aldrig: 5 (50\u00a0%)" in lines
    assert not any(line.startswith("Fick inte frågan") for line in lines)
    # A visit question: shares are of the five asked, and the five routed past are apart.
    await command_with(admin, "stats", "wait_time")
    text = admin.last_text()
    lines = text.splitlines()
    assert "Bas: 5 som fick frågan och fullföljde enkäten" in lines[1]
    assert "• 30–59 minuter: 5 (100\u00a0%)" in lines
    assert "Hoppade över frågan: 0" in lines
    assert "Fick inte frågan (gällde dem inte, eller en tidigare version av enkäten): 5" in lines
    # "Not asked" is never listed among the answers.
    assert "not_asked" not in text and len([line for line in lines if line.startswith("• ")]) == 5
    # Broken down, a group nobody in it was asked is left out.
    await command_with(admin, "stats", "wait_time by district")
    text = admin.last_text()
    assert [row.splitlines()[0] for row in text.split("▸ ")[1:]] == ["Fittja (5)"]
    assert "   • 30–59 minuter: 5 (100\u00a0%)" in text.splitlines()
    # The headline on a routed question has the same base.
    await admin.command("summary")
    lines = admin.last_text().splitlines()
    assert (
        "• Väntade 30 minuter eller mer vid senaste besöket: 5 av 5 (100\u00a0%), "
        "därav ”30–59 minuter” 5, ”1 timme eller mer” 0" in lines
    )
    assert "• Har varit på kontoret 12 gånger eller fler de senaste 12 månaderna: 0 av 10 (0\u00a0%)" in lines
    assert no_small_count_shown(admin.last_text()), admin.last_text()


async def test_stats_answers_mistakes_politely(harness: Harness) -> None:
    admin = harness.resident(ADMIN, "sv")
    await command_with(admin, "stats", "digital by district extra")
    assert "Skriv /stats och en fråga" in admin.last_text()
    await command_with(admin, "stats", "shoesize")
    assert "Det finns ingen fråga som heter ”shoesize”" in admin.last_text()
    assert "visits" in admin.last_text()
    await command_with(admin, "stats", "visits by shoesize")
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
    release = await make_release(harness)
    admin = harness.resident(ADMIN, "sv")
    await admin.command("report")
    message = admin.last()
    assert message["kind"] == "document"
    assert message["document"]["file_name"].endswith(".docx")
    document = docx.Document(io.BytesIO(message["document"]["data"]))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "Hallunda" in text
    assert "SYNTETISKA" not in text
    assert "Enkäten påbörjades av 5 personer, och 5 av dem fullföljde den." in text
    made = datetime.fromisoformat(release.made_at).strftime("%Y-%m-%d %H:%M")
    assert f"Alla siffror kommer från en och samma sammanställning, gjord {made}." in text
    # A chart per question; area and age are shown with the respondents, as tables.
    survey = harness.services.survey
    assert len(document.inline_shapes) >= len(survey.choice_questions()) - len(survey.groupings)
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
    await make_release(harness)
    admin = harness.resident(ADMIN, "sv")
    await command_with(admin, "stats", "digital efter kommundel")
    text = admin.last_text()
    assert "Uppdelat efter kommundel:" in text
    # Only Fittja has respondents; the districts nobody is in are left out.
    assert [row.splitlines()[0] for row in text.split("▸ ")[1:]] == ["Fittja (5)"]
    assert "   • Bara om någon hjälper mig: 5 (100\u00a0%)" in text.splitlines()
    assert "   • Uppgift saknas: 0 (0\u00a0%)" in text.splitlines()
    assert [row["detail"] for row in audit(harness)] == ["digital by district"]


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
    await make_release(harness)
    customer = 5555
    api = harness.api
    since = api.event_seq()
    with caplog.at_level(logging.WARNING):
        for command in ("/summary", "/export", "/report", "/stats visits"):
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
    assert "Hur många gånger har du varit på servicekontoret i Hallunda de senaste 12 månaderna?" in titles
    assert list(button_labels(menu).values()) == titles
    assert all(len(data.encode()) <= 64 and data.startswith("st:") for data in buttons_of(menu))
    # Only the list: no figures were read, so nothing is audited yet.
    assert audit(harness) == []


async def test_stats_buttons_turn_the_same_message_into_figures_and_back(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 5 + ["en"] * 5)
    await make_release(harness)
    admin = harness.resident(ADMIN, "sv")
    await admin.command("stats")
    menu = admin.last()
    await command_with(admin, "stats", "visits")
    typed_figures = admin.last_text()

    title = "Hur många gånger har du varit på servicekontoret i Hallunda de senaste 12 månaderna?"
    await admin.press_in(menu["message_id"], data_for(menu, title))
    shown = message(admin, menu["message_id"])
    assert shown["text"] == typed_figures, "the same figures as /stats visits"
    assert "Bas: 10 som fullföljde enkäten" in shown["text"]
    assert "• 6–11 gånger: 10 (100\u00a0%)" in shown["text"]
    labels = list(button_labels(shown).values())
    assert labels == ["efter språk", "efter kommundel", "efter åldersgrupp", "« Alla frågor"]

    await admin.press_in(menu["message_id"], data_for(shown, "efter språk"))
    shown = message(admin, menu["message_id"])
    assert "Uppdelat efter språk:" in shown["text"]
    # Both languages have fewer than 20 respondents: counted together, neither named.
    assert [row.splitlines()[0] for row in shown["text"].split("▸ ")[1:]] == ["övriga språk (10)"]
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
    assert details == ["visits", "visits", "visits by language", "visits"]


async def test_stats_question_is_not_offered_broken_down_by_itself(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 5)
    await make_release(harness)
    admin = harness.resident(ADMIN, "sv")
    await admin.command("stats")
    menu = admin.last()
    index = harness.services.admin.evidence.question_ids.index("district")
    await admin.press_in(menu["message_id"], f"st:q:{index}")
    shown = message(admin, menu["message_id"])
    assert shown["text"].startswith("Var bor du?")
    # Nor by the language: the release crosses the groupings only with each other.
    assert list(button_labels(shown).values()) == ["efter åldersgrupp", "« Alla frågor"]
    await admin.command("stats district by language")
    assert "language" not in admin.last()["text"].split("Välj bland:")[-1]


async def test_stats_button_with_a_long_view_still_answers(harness: Harness) -> None:
    await residents_answer(harness, ["sv"] * 5)
    await make_release(harness)
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
        await admin.press_in(menu["message_id"], "st:b:0:district")
    sent = [m for m in admin.messages() if m["message_id"] > menu["message_id"]]
    assert sent, "a view too long to edit in is sent as new messages"
    assert "Uppdelat efter kommundel:" in sent[0]["text"]
    assert "▸ Fittja (5)" in sent[0]["text"]
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
    for data in ("st:m", "st:q:0", "st:b:0:district", "st:b:0:language"):
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
