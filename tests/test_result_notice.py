"""Closing the loop: a resident who finished may ask for one message when the municipality has
sent its answer; the chat id is kept apart from the answers, and erased once used, on /delete,
on "no" and at retention."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.admin.notices import NoticeTextError, NoticeTexts
from bot.config import Settings
from bot.i18n.catalogue import Translations
from bot.preview.botapi import LocalBotApi
from bot.privacy.retention import purge
from bot.survey.service import NOTICE_CONSENT_VERSION
from storage import Database, Repository
from tests.support import (
    TOKEN,
    Harness,
    Resident,
    bot_environment,
    buttons_of,
    close_harness,
    make_settings,
    open_harness,
    run_bot_process,
)
from tests.test_survey_flow import answer_all, begin

LINK = "https://www.botkyrka.se/servicekontoret/svar"


def notices(settings: Settings) -> list[tuple]:
    with sqlite3.connect(settings.database_path) as connection:
        return connection.execute(
            "SELECT chat_id, survey_id, language, consent_version, requested_on FROM result_notices"
        ).fetchall()


async def finished(harness: Harness, user_id: int, language: str = "sv") -> Resident:
    resident = harness.resident(user_id, language)
    await begin(resident, language)
    await answer_all(resident)
    await resident.press("s:story")
    return resident


async def test_a_finished_resident_may_ask_for_the_answer_and_take_it_back(
    harness: Harness, settings: Settings
) -> None:
    resident = await finished(harness, 1201)
    thanks = resident.last()
    assert "Tack för att du svarade" in thanks["text"] and "ett enda meddelande" in thanks["text"]
    assert resident.buttons() == ["notice:yes"]
    await resident.press("notice:yes")
    today = datetime.now(UTC).date().isoformat()
    assert notices(settings) == [(1201, "service_office", "sv", NOTICE_CONSENT_VERSION, today)]
    # The table holds nothing that joins it to the answers.
    with sqlite3.connect(settings.database_path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(result_notices)")]
    assert not {"respondent", "response_id"} & set(columns)
    # The thanks and recap stay, without the offer's button; the confirmation can take it back.
    kept = next(m for m in resident.messages() if m["message_id"] == thanks["message_id"])
    assert kept["text"] == thanks["text"] and not kept.get("reply_markup")
    assert "Du får ett meddelande" in resident.last_text() and resident.buttons() == ["notice:no"]
    confirmation = resident.last()["message_id"]
    await resident.command("mydata")
    assert "Du har bett om ett meddelande" in resident.last_text()
    # Offered once: the recap on /start no longer asks.
    await resident.command("start")
    assert "redan svarat" in resident.last_text() and buttons_of(resident.last()) == []
    await resident.press("notice:no")
    assert notices(settings) == []
    taken_back = next(m for m in resident.messages() if m["message_id"] == confirmation)
    assert "vi skickar inget meddelande" in taken_back["text"] and not taken_back.get("reply_markup")
    await resident.command("mydata")
    assert "Du har bett om" not in resident.last_text()
    # Changed their mind again: the recap offers it anew.
    await resident.command("start")
    assert buttons_of(resident.last()) == ["notice:yes"]


async def test_delete_erases_the_request_with_the_answers(harness: Harness, settings: Settings) -> None:
    resident = await finished(harness, 1202, "ar")
    await resident.press("notice:yes")
    assert [row[2] for row in notices(settings)] == ["ar"]
    await resident.command("delete")
    await resident.press("del:yes")
    assert notices(settings) == []


async def test_only_a_finished_resident_can_ask(harness: Harness, settings: Settings) -> None:
    resident = harness.resident(1203)
    await begin(resident)
    question = resident.last()["message_id"]
    # A forged press halfway through stores nothing and shows the question again.
    await harness.api.press(1203, question, "notice:yes", language_code="sv")
    await harness.deliver()
    assert notices(settings) == []
    assert "Fråga 1" in resident.last_text()


async def test_requests_are_erased_at_retention(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, retention_days=30)
    now = datetime(2027, 3, 1, 12, tzinfo=UTC)
    async with Database(settings.database_path) as database:
        await database.migrate()
        repository = Repository(database)
        for chat_id, day in ((1, "2027-01-29"), (2, "2027-01-30"), (3, "2027-02-28")):
            await repository.request_result_notice(chat_id, "service_office", "sv", "2026.1", day)
        result = await purge(repository, settings, now=now)
        left = [notice.chat_id for notice in await repository.result_notices("service_office")]
    # Thirty days before 1 March is 30 January: a request from that day is kept.
    assert result.notices == 1 and left == [2, 3]


def test_a_message_needs_a_link_or_the_municipality_s_own_words() -> None:
    translations = Translations.load(Path(__file__).resolve().parent.parent / "locales")
    with pytest.raises(NoticeTextError, match="no text for language ar"):
        NoticeTexts(translations, None, {"sv": "Svaret är skickat."}).check({"sv", "ar"})
    arabic = NoticeTexts(translations, LINK).reply("ar")
    assert LINK in arabic.text and arabic.direction == "rtl"
    assert (
        NoticeTexts(translations, None, {"sv": "Svaret är skickat."}).reply("sv").text == "Svaret är skickat."
    )


async def test_notify_sends_each_language_once_and_erases_every_request(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with LocalBotApi(token=TOKEN) as api:
        harness = await open_harness(settings, api)
        try:
            for user_id, language in ((1301, "sv"), (1302, "ar"), (1303, "so"), (1304, "sv")):
                resident = await finished(harness, user_id, language)
                await resident.press("notice:yes")
        finally:
            await close_harness(harness)
        # One resident has blocked the bot since.
        await api.block_bot(1304)
        own = tmp_path / "text.toml"
        own.write_text(
            'sv = "Kommunen har nu skickat sitt svar. Läs det på botkyrka.se."\n', encoding="utf-8"
        )
        env = bot_environment(
            api, settings.database_path, PSEUDONYM_KEY=settings.pseudonym_key.get_secret_value()
        )
        before = {user: len(api.chat_messages(user)) for user in (1301, 1302, 1303, 1304)}

        code, log = await run_bot_process(
            env, tmp_path, "notify", "--text-file", str(own), "--link", LINK, "--dry-run"
        )
        assert code == 0, log
        assert "4 residents wait for the message (ar 1, so 1, sv 2); nothing sent" in log
        assert {user: len(api.chat_messages(user)) for user in before} == before

        code, log = await run_bot_process(env, tmp_path, "notify", "--text-file", str(own), "--link", LINK)
        assert code == 0, log
        assert "sent 3; 1 chats could not be reached (erased); 0 kept to try again" in log
        swedish = api.last_bot_message(1301)
        assert (
            swedish is not None
            and swedish["text"] == "Kommunen har nu skickat sitt svar. Läs det på botkyrka.se."
        )
        for user in (1302, 1303):
            message = api.last_bot_message(user)
            assert message is not None and LINK in message["text"] and "Botkyrka" in message["text"]
            assert "Tack för" not in message["text"]
        assert len(api.chat_messages(1304)) == before[1304]
        assert notices(settings) == []

        # Nobody is left waiting: a second run sends nothing.
        code, log = await run_bot_process(env, tmp_path, "notify", "--link", LINK)
        assert code == 0 and "0 residents wait for the message" in log
        assert {user: len(api.chat_messages(user)) for user in (1301, 1302, 1303)} == {
            user: before[user] + 1 for user in (1301, 1302, 1303)
        }


async def test_notify_refuses_a_language_it_cannot_write(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with Database(settings.database_path) as database:
        await database.migrate()
        await Repository(database).request_result_notice(7, "service_office", "ti", "2026.1", "2027-01-01")
    async with LocalBotApi(token=TOKEN) as api:
        env = bot_environment(
            api, settings.database_path, PSEUDONYM_KEY=settings.pseudonym_key.get_secret_value()
        )
        code, log = await run_bot_process(env, tmp_path, "notify")
        assert code == 2 and "no text for language ti" in log
        assert api.chat_messages(7) == []
    assert len(notices(settings)) == 1


async def test_old_requests_outlive_nothing(tmp_path: Path) -> None:
    # The daily purge runs with the bot: a request older than the retention period goes even
    # when its message was never sent.
    settings = make_settings(tmp_path, retention_days=1)
    async with Database(settings.database_path) as database:
        await database.migrate()
        repository = Repository(database)
        yesterday = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
        await repository.request_result_notice(8, "service_office", "sv", "2026.1", yesterday)
        assert (await purge(repository, settings)).notices == 1
