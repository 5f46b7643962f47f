"""Routing (show_if) and survey versions side by side, through the real bot."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import StartupError, open_services
from bot.config import Settings
from bot.preview.botapi import LocalBotApi
from bot.survey.callbacks import AGREE_PREFIX
from bot.survey.definition import DEFAULT_SURVEY_FILE, SurveyError, load_survey, load_surveys
from tests.support import (
    Harness,
    Resident,
    buttons_of,
    close_harness,
    make_settings,
    open_harness,
    run_bot_command,
)
from tests.test_evidence import run_slow_bot_command

DEFINITIONS = DEFAULT_SURVEY_FILE.parent
VERSION_1 = DEFINITIONS / "service-office-2026.1.toml"
VERSION_2 = DEFINITIONS / "service-office-2026.2.toml"
VISIT_QUESTIONS = ("on_behalf", "agencies", "errands", "wait_time", "crowding", "transport", "trip_time")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, survey_file=VERSION_2)


@pytest.fixture
async def harness(settings: Settings, api: LocalBotApi) -> AsyncIterator[Harness]:
    harness = await open_harness(settings, api)
    try:
        yield harness
    finally:
        await close_harness(harness)


def rows(settings: Settings, sql: str) -> list[sqlite3.Row]:
    with sqlite3.connect(settings.database_path) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute(sql).fetchall()


def current_question(resident: Resident) -> str:
    """The id of the question on screen, read from its skip button."""
    skip = [data for data in resident.buttons() if data.startswith("s:")]
    assert len(skip) == 1, resident.buttons()
    return skip[0].removeprefix("s:")


def earlier_settings(settings: Settings) -> Settings:
    """The same database, served by version 2026.1 as before the upgrade."""
    return make_settings(settings.database_path.parent, survey_file=VERSION_1)


async def consent(resident: Resident) -> None:
    await resident.command("start")
    await resident.press("lang:sv")
    await resident.agree()


# --- the definition -------------------------------------------------------------------------


def definition(tmp_path: Path, questions: str, extra: str = "") -> Path:
    path = tmp_path / "survey.toml"
    path.write_text(f'id = "s"\nversion = "1"\nconsent_version = "1"\n{extra}\n{questions}', encoding="utf-8")
    return path


A = '[[questions]]\nid = "a"\nkind = "single"\noptions = [{ code = "x" }, { code = "y" }]\n'
B_IF_A = (
    '[[questions]]\nid = "b"\nkind = "single"\noptions = [{ code = "x" }, { code = "y" }]\n'
    'show_if = { question = "a", any_of = ["x"] }\n'
)


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        (B_IF_A + A, "the first question is asked of everyone"),
        (A + B_IF_A.replace('question = "a"', 'question = "c"'), "show_if refers to no question 'c'"),
        (A + B_IF_A.replace('any_of = ["x"]', 'any_of = ["z"]'), "show_if names unknown options z"),
        (A + B_IF_A.replace('any_of = ["x"]', "any_of = []"), "any_of"),
        (
            A
            + B_IF_A.replace('question = "a"', 'question = "c"')
            + '[[questions]]\nid = "c"\nkind = "single"\noptions = [{ code = "x" }, { code = "y" }]\n',
            "show_if refers to a later question 'c'",
        ),
    ],
)
def test_routing_mistakes_are_refused_at_start_up(tmp_path: Path, questions: str, message: str) -> None:
    with pytest.raises(SurveyError, match=message):
        load_survey(definition(tmp_path, questions))


@pytest.mark.parametrize(
    "source",
    [
        # Multiple choice: "not asked" would not be one answer's complement.
        '[[questions]]\nid = "m"\nkind = "multi"\noptions = [{ code = "x" }, { code = "y" }]\n',
        # Itself routed: a chain.
        '[[questions]]\nid = "m"\nkind = "single"\noptions = [{ code = "x" }, { code = "y" }]\n'
        'show_if = { question = "a", any_of = ["x"] }\n',
    ],
)
def test_a_route_depends_on_a_single_choice_question_asked_of_everyone(tmp_path: Path, source: str) -> None:
    routed = B_IF_A.replace('question = "a"', 'question = "m"')
    with pytest.raises(SurveyError, match="show_if needs a single-choice question asked of everyone"):
        load_survey(definition(tmp_path, A + source + routed))


def test_a_grouping_must_be_asked_of_everyone(tmp_path: Path) -> None:
    with pytest.raises(SurveyError, match="grouping 'b' must be asked of everyone"):
        load_survey(definition(tmp_path, A + B_IF_A, extra='groupings = ["b"]'))


def test_an_earlier_version_must_be_of_the_same_survey(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(f'id = "t"\nversion = "0"\nconsent_version = "1"\n{A}', encoding="utf-8")
    with pytest.raises(SurveyError, match="is of survey 't'"):
        load_surveys(definition(tmp_path, A, extra='earlier_versions = ["other.toml"]'))


def test_the_shipped_versions_load_together() -> None:
    versions = load_surveys(VERSION_2)
    assert versions.current.version == "2026.2"
    assert [survey.version for survey in versions.earlier] == ["2026.1"]
    # A question id keeps one meaning: where both versions have it, its options are the same.
    earlier = versions.earlier[0]
    for question in versions.current.questions:
        before = earlier.question(question.id)
        if before is not None:
            assert before.options == question.options, question.id


# --- residents -------------------------------------------------------------------------------


async def test_a_resident_who_never_visited_skips_the_visit_questions(harness: Harness) -> None:
    resident = harness.resident(2001, "sv")
    await consent(resident)
    assert current_question(resident) == "visits"
    assert "Fråga 1 av 19" in resident.last_text()
    await resident.press("a:visits:never")
    # The move comes right after the visits: for this resident, question 2 of 12.
    assert current_question(resident) == "move_ease"
    assert "Fråga 2 av 12" in resident.last_text()
    seen = ["visits"]
    while (question := current_question(resident)) != "story":
        seen.append(question)
        await resident.press(f"s:{question}")
    assert not set(VISIT_QUESTIONS) & set(seen)
    # Skipping language_need shows language_support: not knowing is no reason to leave it out.
    assert "language_support" in seen
    await resident.press("s:story")
    recap = resident.last_text()
    assert "Besök senaste 12 månaderna: Aldrig" in recap
    assert "Väntetid" not in recap and "För vem" not in recap
    stored = {
        row["question_id"] for row in rows(harness.services.settings, "SELECT question_id FROM answers")
    }
    assert stored == set(seen)


async def test_an_answer_routes_past_a_follow_up_and_resume_keeps_the_route(
    harness: Harness, settings: Settings, api: LocalBotApi
) -> None:
    resident = harness.resident(2002, "sv")
    await consent(resident)
    await resident.press("a:visits:once")
    for question in ("on_behalf", "move_ease"):
        assert current_question(resident) == question
        await resident.press(f"s:{question}")
    while (question := current_question(resident)) != "language_need":
        await resident.press(f"s:{question}")
    await resident.press("a:language_need:no")
    assert current_question(resident) == "digital"
    await close_harness(harness)
    reopened = await open_harness(settings, api)
    try:
        again = reopened.resident(2002, "sv")
        await again.command("start")
        assert current_question(again) == "digital"
        # A forged button of the question routed past changes nothing.
        await again.press_in(again.last()["message_id"], "t:language_support:interpreter")
        assert current_question(again) == "digital"
        assert not rows(settings, "SELECT 1 FROM answers WHERE question_id = 'language_support'")
        assert not rows(settings, "SELECT 1 FROM responses WHERE pending_codes != ''")
        await again.command("mydata")
        mine = again.last_text()
        assert "Hjälp med svenskan: Nej" in mine and "Vilken språkhjälp" not in mine
    finally:
        await close_harness(reopened)


async def test_a_resident_in_the_middle_of_the_earlier_version_finishes_it(
    settings: Settings, api: LocalBotApi
) -> None:
    earlier = earlier_settings(settings)
    first = await open_harness(earlier, api)
    try:
        old = first.resident(2003, "sv")
        await consent(old)
        await old.press("a:frequency:monthly")
        assert current_question(old) == "on_behalf"
    finally:
        await close_harness(first)
    harness = await open_harness(settings, api)
    try:
        old = harness.resident(2003, "sv")
        await old.command("start")
        assert current_question(old) == "on_behalf"
        assert "Fråga 2 av 14" in old.last_text()
        while (question := current_question(old)) != "story":
            await old.press(f"s:{question}")
        await old.press("s:story")
        new = harness.resident(2004, "sv")
        await consent(new)
        assert current_question(new) == "visits"
        await new.press("a:visits:never")
        answers = rows(
            settings,
            "SELECT r.survey_version AS response, a.survey_version AS answer, a.question_id "
            "FROM answers a JOIN responses r ON r.id = a.response_id",
        )
        assert {row["question_id"] for row in answers} >= {"frequency", "if_moved", "area", "age"}
        assert {(row["response"], row["answer"]) for row in answers} == {
            ("2026.1", "2026.1"),
            ("2026.2", "2026.2"),
        }
        exported = io.StringIO()
        await harness.services.admin.export("test", exported)
        records = {int(row["response"]): row for row in csv.DictReader(io.StringIO(exported.getvalue()))}
        assert list(records[1])[9:12] == ["visits", "on_behalf", "move_ease"]
        assert "frequency" in records[1] and "if_moved" in records[1]
        # The earlier version's resident was not asked the new questions, and the reverse.
        assert records[1]["survey_version"] == "2026.1"
        assert (records[1]["frequency"], records[1]["on_behalf"]) == ("monthly", "skipped")
        assert (records[1]["visits"], records[1]["move_ease"]) == ("not_asked", "not_asked")
        assert records[2]["survey_version"] == "2026.2"
        assert (records[2]["visits"], records[2]["frequency"]) == ("never", "not_asked")
        # Routed past: not asked; still ahead: empty.
        assert (records[2]["on_behalf"], records[2]["wait_time"]) == ("not_asked", "not_asked")
        assert records[2]["move_ease"] == ""
    finally:
        await close_harness(harness)


async def test_a_resident_who_had_not_yet_consented_gets_the_new_version(
    settings: Settings, api: LocalBotApi
) -> None:
    earlier = earlier_settings(settings)
    first = await open_harness(earlier, api)
    try:
        waiting = first.resident(2005, "sv")
        await waiting.command("start")
        await waiting.press("lang:sv")
        assert any(data.startswith(AGREE_PREFIX) for data in waiting.buttons())
    finally:
        await close_harness(first)
    harness = await open_harness(settings, api)
    try:
        waiting = harness.resident(2005, "sv")
        await waiting.agree()
        # Nothing was answered under 2026.1, so nothing holds them to it.
        assert current_question(waiting) == "visits"
        await waiting.press("a:visits:never")
        stored = rows(
            settings,
            "SELECT r.survey_version AS response, a.survey_version AS answer "
            "FROM answers a JOIN responses r ON r.id = a.response_id",
        )
        assert [(row["response"], row["answer"]) for row in stored] == [("2026.2", "2026.2")]
    finally:
        await close_harness(harness)


async def test_a_survey_file_that_drops_a_version_residents_answered_is_refused(
    settings: Settings, api: LocalBotApi, tmp_path: Path
) -> None:
    earlier = earlier_settings(settings)
    first = await open_harness(earlier, api)
    try:
        old = first.resident(2006, "sv")
        await consent(old)
        await old.press("a:frequency:monthly")
    finally:
        await close_harness(first)
    # The new version, deployed without naming the one this resident is in the middle of.
    alone = tmp_path / "alone.toml"
    text = VERSION_2.read_text(encoding="utf-8")
    assert 'earlier_versions = ["service-office-2026.1.toml"]' in text
    alone.write_text(text.replace('earlier_versions = ["service-office-2026.1.toml"]', ""), encoding="utf-8")
    dropped = make_settings(settings.database_path.parent, survey_file=alone)
    with pytest.raises(StartupError, match=r"survey version 2026\.1, which 2026\.2 does not name"):
        await open_services(dropped)
    checked = run_bot_command(
        tmp_path,
        "healthcheck",
        BOT_TOKEN="123:abc",
        DATABASE_PATH=str(settings.database_path),
        SURVEY_FILE=str(alone),
    )
    assert checked.returncode != 0 and "2026.1" in checked.stderr + checked.stdout
    # Nothing was changed: with the earlier version named again, the resident goes on.
    harness = await open_harness(settings, api)
    try:
        old = harness.resident(2006, "sv")
        await old.command("start")
        assert current_question(old) == "on_behalf"
    finally:
        await close_harness(harness)


# --- releases of two versions -----------------------------------------------------------------


def test_each_version_has_its_own_release_and_both_are_written(tmp_path: Path) -> None:
    database, out = tmp_path / "both.sqlite3", tmp_path / "release"
    earlier = str(VERSION_1)
    # Version 2 asks more, and routes: at 14 respondents its protection hides even the total.
    for responses, survey_file in (("14", earlier), ("30", str(VERSION_2))):
        filled = run_bot_command(
            tmp_path,
            "demo-data",
            "--responses",
            responses,
            "--database",
            str(database),
            SURVEY_FILE=survey_file,
        )
        assert filled.returncode == 0, filled.stderr
        if survey_file == earlier:
            # Just after 2026.2 is deployed, only the earlier version has enough answers: its
            # release is written, and the current version's wait is said.
            made = run_slow_bot_command(
                tmp_path, "release", "--database", str(database), "--out", str(tmp_path / "first")
            )
            assert made.returncode == 0, made.stderr
            assert "version 2026.2: no release yet: 0 responses completed, 10 needed" in made.stderr
            assert not (tmp_path / "first" / "release.json").exists()
            alone = json.loads((tmp_path / "first" / "version-2026.1" / "release.json").read_text("utf-8"))
            assert alone["survey_version"] == "2026.1"
            # Until 2026.2 has a release, the report shows 2026.1's and says so.
            reported = run_slow_bot_command(
                tmp_path, "report", "--database", str(database), "--out", str(tmp_path / "first.md")
            )
            assert reported.returncode == 0, reported.stderr
            first = (tmp_path / "first.md").read_text(encoding="utf-8")
            assert "Version 2026.2 av enkäten har ännu ingen sammanställning" in first
            assert "Hallunda de senaste 12 månaderna?" not in first and "Hallunda det senaste året?" in first
    with sqlite3.connect(database) as connection:
        completed = dict(
            connection.execute(
                "SELECT survey_version, COUNT(completed_at) FROM responses GROUP BY survey_version"
            ).fetchall()
        )
    assert set(completed) == {"2026.1", "2026.2"} and min(completed.values()) >= 10
    made = run_slow_bot_command(tmp_path, "release", "--database", str(database), "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert "version 2026.1 in its own folder" in made.stderr
    # The earlier version had no new answers: its release is the one made before, again.
    again = json.loads((out / "version-2026.1" / "release.json").read_text(encoding="utf-8"))
    assert again["made_at"] == alone["made_at"]
    current = json.loads((out / "release.json").read_text(encoding="utf-8"))
    before = json.loads((out / "version-2026.1" / "release.json").read_text(encoding="utf-8"))
    assert (current["survey_version"], before["survey_version"]) == ("2026.2", "2026.1")
    # Each counts its own respondents, with its own questions.
    for data, version in ((current, "2026.2"), (before, "2026.1")):
        table = next(t for t in data["tables"] if t["id"] == "completed")
        shown = {json.dumps(cell["where"]): cell.get("n") for cell in table["cells"]}
        assert shown['{"completed": "yes"}'] == completed[version]
    assert "visits" in current["dimensions"] and "frequency" not in current["dimensions"]
    assert "frequency" in before["dimensions"] and "visits" not in before["dimensions"]
    # The report: 2026.2 in the main part, 2026.1 after it under its own heading, with its own
    # questions, not added together.
    reported = run_slow_bot_command(
        tmp_path, "report", "--database", str(database), "--out", str(tmp_path / "both.md")
    )
    assert reported.returncode == 0, reported.stderr
    both = (tmp_path / "both.md").read_text(encoding="utf-8")
    main, _, apart = both.partition("Svar på den tidigare enkätversionen 2026.1")
    assert apart, "the earlier version has no part of its own"
    # The annex at the end has the current version's questions word for word.
    apart, _, annex = apart.partition("Bilaga: frågorna som invånarna fick")
    assert "Hallunda de senaste 12 månaderna?" in annex and "det senaste året" not in annex
    assert "Hallunda de senaste 12 månaderna?" in main and "det senaste året" not in main
    assert "Hallunda det senaste året?" in apart and "de senaste 12 månaderna?" not in apart
    assert f"{completed['2026.1']} personer fullföljde den versionen." in apart
    assert "Huvuddelen gäller version 2026.2." in both
    # Routing: those who never visited are "not asked" the visit questions, a code of its own.
    assert "not_asked" in current["dimensions"]["wait_time"]["codes"]
    assert "not_asked" not in current["dimensions"]["visits"]["codes"]


# --- consent to the text that was read ------------------------------------------------------


async def test_agreeing_to_a_consent_text_that_has_since_changed_records_nothing(
    settings: Settings, api: LocalBotApi
) -> None:
    before = make_settings(settings.database_path.parent, retention_days=90)
    first = await open_harness(before, api)
    try:
        reader = first.resident(2101, "sv")
        await reader.command("start")
        await reader.press("lang:sv")
        read = reader.last()
        assert "90 dagar" in read["text"]
    finally:
        await close_harness(first)
    # Deployed again with a longer retention: the text the resident read is no longer true.
    after = make_settings(settings.database_path.parent, retention_days=180)
    harness = await open_harness(after, api)
    try:
        reader = harness.resident(2101, "sv")
        (old_yes,) = [data for data in buttons_of(read) if data.startswith(AGREE_PREFIX)]
        await reader.press_in(read["message_id"], old_yes)
        consented = rows(after, "SELECT consented_at FROM responses")
        assert [row["consented_at"] for row in consented] == [None]
        changed, fresh = reader.messages()[-2:]
        assert "har ändrats sedan du läste den" in changed["text"]
        assert "180 dagar" in fresh["text"] and "90 dagar" not in fresh["text"]
        await reader.agree()
        assert current_question(reader) == "visits"
        (row,) = rows(after, "SELECT consent_version FROM responses")
        assert row["consent_version"] == load_survey().consent_version
    finally:
        await close_harness(harness)
