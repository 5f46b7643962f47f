"""A survey's period: nothing is asked before it opens or after it closes, what was given is
kept, and the final release is made at closing."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.preview.botapi import LocalBotApi
from bot.release.service import release_at_closing
from bot.survey.callbacks import AGREE_PREFIX
from bot.survey.definition import DEFAULT_SURVEY_FILE, Period, SurveyError, load_survey
from tests.support import Resident, buttons_of, close_harness, make_settings, open_harness

DEFINITIONS = DEFAULT_SURVEY_FILE.parent
CONSENT_LINE = 'consent_version = "2026.3"\n'
LINK = "https://www.botkyrka.se/servicekontoret"


def survey_with(tmp_path: Path, period: str) -> Path:
    """The shipped survey (and the earlier version it names) with ``period`` lines added."""
    folder = tmp_path / "definitions"
    folder.mkdir(exist_ok=True)
    shutil.copy(DEFINITIONS / "service-office-2026.1.toml", folder)
    text = DEFAULT_SURVEY_FILE.read_text(encoding="utf-8")
    assert CONSENT_LINE in text
    path = folder / "survey.toml"
    path.write_text(text.replace(CONSENT_LINE, CONSENT_LINE + period), encoding="utf-8")
    return path


def closed(tmp_path: Path) -> Path:
    return survey_with(
        tmp_path,
        "opens_at = 2026-01-05T08:00:00+01:00\ncloses_at = 2026-02-28T00:30:00+01:00\n"
        f'answer_due = 2026-03-15\nresults_link = "{LINK}"\n',
    )


def closed_settings(tmp_path: Path) -> Settings:
    """The same database, served by the survey after it closed."""
    return make_settings(tmp_path, survey_file=closed(tmp_path))


async def consented(resident: Resident) -> None:
    await resident.command("start")
    await resident.press("lang:sv")
    await resident.agree()


def responses(settings: Settings) -> list[tuple[str, str | None]]:
    with sqlite3.connect(settings.database_path) as connection:
        return connection.execute("SELECT stage, completed_at FROM responses").fetchall()


def answers(settings: Settings) -> list[str]:
    with sqlite3.connect(settings.database_path) as connection:
        return [row[0] for row in connection.execute("SELECT question_id FROM answers ORDER BY question_id")]


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("closes_at = 2027-02-28T00:00:00\n", "closes_at needs a UTC offset"),
        (
            "opens_at = 2027-03-01T00:00:00+01:00\ncloses_at = 2027-02-28T00:00:00+01:00\n"
            f'answer_due = 2027-03-15\nresults_link = "{LINK}"\n',
            "opens_at must come before closes_at",
        ),
        ("closes_at = 2027-02-28T00:00:00+01:00\n", "closes_at needs answer_due and results_link"),
        # Written with the winter offset in summer: an hour off, and another day for residents.
        (
            f'closes_at = 2027-06-30T23:59:00+01:00\nanswer_due = 2027-08-01\nresults_link = "{LINK}"\n',
            r"closes_at: Swedish time on that day is 2027-07-01T00:59:00\+02:00",
        ),
        (
            f'closes_at = 2027-03-01T00:00:00+01:00\nanswer_due = 2027-02-27\nresults_link = "{LINK}"\n',
            "answer_due must not come before the survey closes",
        ),
        (
            'closes_at = 2027-03-01T00:00:00+01:00\nanswer_due = 2027-03-15\nresults_link = "javascript:x"\n',
            "results_link must be an https:// address",
        ),
    ],
)
def test_period_mistakes_are_refused_at_start_up(tmp_path: Path, period: str, message: str) -> None:
    with pytest.raises(SurveyError, match=message):
        load_survey(survey_with(tmp_path, period))


def test_the_period_decides_by_the_moment_with_its_offset(tmp_path: Path) -> None:
    survey = load_survey(closed(tmp_path))
    # Opens 07:00 UTC on 5 January; closes 23:30 UTC on 27 February (00:30 on the 28th in Sweden).
    assert survey.period(datetime(2026, 1, 5, 6, 59, tzinfo=UTC)) is Period.NOT_OPEN
    assert survey.period(datetime(2026, 1, 5, 7, 0, tzinfo=UTC)) is Period.OPEN
    assert survey.period(datetime(2026, 2, 27, 23, 29, 59, tzinfo=UTC)) is Period.OPEN
    assert survey.period(datetime(2026, 2, 27, 23, 30, tzinfo=UTC)) is Period.CLOSED
    assert load_survey().period(datetime(2030, 1, 1, tzinfo=UTC)) is Period.OPEN
    # A closing at midnight ends the day before: that is the day residents are told.
    midnight = survey_with(
        tmp_path, f'closes_at = 2027-03-01T00:00:00+01:00\nanswer_due = 2027-03-15\nresults_link = "{LINK}"\n'
    )
    assert load_survey(midnight).last_day().isoformat() == "2027-02-28"


async def test_before_opening_nothing_is_asked_or_stored(tmp_path: Path, api: LocalBotApi) -> None:
    future = survey_with(tmp_path, "opens_at = 2099-01-10T08:00:00+01:00\n")
    settings = make_settings(tmp_path, survey_file=future)
    harness = await open_harness(settings, api)
    try:
        resident = harness.resident(3001, "ar")
        await resident.command("start")
        notice = resident.last_text()
        # In the resident's own language, with the day as every language writes it.
        assert "2099-01-10" in notice and "Enkäten" not in notice
        assert buttons_of(resident.last()) == []
        await resident.say("مرحبا، أريد أن أشارك في الاستطلاع")
        assert "2099-01-10" in resident.last_text()
        assert responses(settings) == []
    finally:
        await close_harness(harness)


async def test_after_closing_a_new_resident_is_told_when_and_where_results_come(
    tmp_path: Path, api: LocalBotApi
) -> None:
    settings = closed_settings(tmp_path)
    harness = await open_harness(settings, api)
    try:
        resident = harness.resident(3002, "sv")
        await resident.command("start")
        notice = resident.last_text()
        # The closing day in the municipality's time: 00:30 on 28 February.
        assert "Enkäten stängde 2026-02-28." in notice
        assert "senast 2026-03-15" in notice and LINK in notice
        assert "sparat" not in notice
        assert responses(settings) == []
    finally:
        await close_harness(harness)


async def test_a_resident_in_the_middle_at_closing_keeps_what_they_gave(
    tmp_path: Path, settings: Settings, api: LocalBotApi
) -> None:
    harness = await open_harness(settings, api)
    try:
        resident = harness.resident(3003, "sv")
        await consented(resident)
        await resident.press("a:visits:2_5")
        waiting = resident.last()["message_id"]
    finally:
        await close_harness(harness)
    after = closed_settings(tmp_path)
    harness = await open_harness(after, api)
    try:
        resident = harness.resident(3003, "sv")
        # The question left on screen can no longer be answered.
        await resident.press_in(waiting, "a:on_behalf:myself")
        notice = resident.last_text()
        assert "Det du redan har svarat är sparat." in notice and LINK in notice
        assert "räknas med" not in notice
        assert answers(after) == ["visits"]
        await resident.command("start")
        assert "Det du redan har svarat är sparat." in resident.last_text()
        # Their rights outlast the survey: they can still see and delete what they gave.
        await resident.command("mydata")
        assert "2–5 gånger" in resident.last_text()
        await resident.command("delete")
        await resident.press("del:yes")
        assert responses(after) == []
    finally:
        await close_harness(harness)


async def test_a_language_menu_left_from_before_closing_starts_nothing(
    tmp_path: Path, settings: Settings, api: LocalBotApi
) -> None:
    harness = await open_harness(settings, api)
    try:
        resident = harness.resident(3004, "sv")
        await resident.command("start")
        menu = resident.last()["message_id"]
    finally:
        await close_harness(harness)
    after = closed_settings(tmp_path)
    harness = await open_harness(after, api)
    try:
        resident = harness.resident(3004, "sv")
        await resident.press_in(menu, "lang:ar")
        notice = resident.last_text()
        # Told in the language just chosen, and no consent is offered.
        assert "2026-02-28" in notice and "Enkäten" not in notice
        assert not any(data.startswith(AGREE_PREFIX) for data in resident.buttons())
        assert responses(after) == [("language", None)]
    finally:
        await close_harness(harness)


async def test_after_closing_nothing_of_a_resident_changes_but_they_may_leave(
    tmp_path: Path, settings: Settings, api: LocalBotApi
) -> None:
    harness = await open_harness(settings, api)
    try:
        answering = harness.resident(3005, "sv")
        await consented(answering)
        await answering.press("a:visits:2_5")
        deciding = harness.resident(3006, "sv")
        await deciding.command("start")
        await deciding.press("lang:sv")
        consent_text = deciding.last()["message_id"]
    finally:
        await close_harness(harness)
    after = closed_settings(tmp_path)
    harness = await open_harness(after, api)
    try:
        before = responses(after)
        answering = harness.resident(3005, "sv")
        await answering.command("language")
        await answering.press("lang:ar")
        assert "2026-02-28" in answering.last_text() and "Enkäten" not in answering.last_text()
        with sqlite3.connect(after.database_path) as connection:
            languages = connection.execute("SELECT language FROM responses ORDER BY id").fetchall()
        assert languages == [("sv",), ("sv",)] and responses(after) == before
        # A sticker at the consent step offers no consent.
        deciding = harness.resident(3006, "sv")
        await harness.api.send_sticker(3006, language_code="sv")
        await harness.deliver()
        assert "sparat" not in deciding.last_text() and "Enkäten stängde 2026-02-28." in deciding.last_text()
        assert buttons_of(deciding.last()) == []
        # Declining is still possible, and keeps nothing.
        await deciding.press_in(consent_text, "consent:no")
        (answered,) = [m for m in deciding.messages() if m["message_id"] == consent_text]
        assert "Inget har sparats" in answered["text"]
        assert len(responses(after)) == 1
    finally:
        await close_harness(harness)


async def test_the_final_release_is_made_at_closing() -> None:
    made: list[datetime] = []

    async def make() -> None:
        made.append(datetime.now(UTC))

    closes_at = datetime.now(UTC) + timedelta(seconds=0.2)
    await asyncio.wait_for(release_at_closing(make, closes_at), timeout=10)
    assert len(made) == 1 and made[0] >= closes_at + timedelta(seconds=1)
    # A bot started after closing leaves the release to the regular schedule.
    await asyncio.wait_for(release_at_closing(make, datetime.now(UTC) - timedelta(hours=1)), timeout=1)
    assert len(made) == 1
