"""The protected release: its cells, the rules every cell's status follows, the auditor's file,
and when a new release may be made."""

from __future__ import annotations

import csv
import io
import json
import logging
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.release.model import Release
from bot.release.protection import MINIMUM, Status, protect
from bot.release.service import NotEnoughNew, ReleaseService, compute, rounded, story_dimensions, to_record
from bot.release.tables import COMPLETED_ONLY, LANGUAGE, count, layout, unpublished
from bot.survey.definition import Survey
from storage import Database, EvidenceQueries
from storage.models import NewResponse, ReleaseRow
from storage.repository import import_responses

SURVEY = Survey.model_validate(
    {
        "id": "unit",
        "version": "1",
        "consent_version": "1",
        "groupings": ["area", "age"],
        "headlines": [{"id": "often", "question": "visits", "options": ["weekly", "monthly"]}],
        "questions": [
            {
                "id": "visits",
                "kind": "single",
                "options": [{"code": c} for c in ("weekly", "monthly", "rarely")],
            },
            {
                "id": "agencies",
                "kind": "multi",
                "options": [{"code": "fk"}, {"code": "skv"}, {"code": "dont_know", "exclusive": True}],
            },
            {"id": "area", "kind": "single", "options": [{"code": c} for c in ("north", "middle", "south")]},
            {"id": "age", "kind": "single", "options": [{"code": c} for c in ("young", "old")]},
        ],
    }
)
THEMES = ("waiting", "language")
MADE = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def rows(size: int, seed: int) -> list[ReleaseRow]:
    """Generated respondents: skewed areas, a few skips, a few who stopped part-way."""
    rng = random.Random(seed)
    out = []
    for _ in range(size):
        answers: dict[str, tuple[str, ...] | None] = {}
        answers["visits"] = None if rng.random() < 0.05 else (rng.choice(["weekly", "monthly", "rarely"]),)
        if rng.random() < 0.1:
            answers["agencies"] = ("dont_know",)
        else:
            answers["agencies"] = tuple(c for c in ("fk", "skv") if rng.random() < 0.5) or ("fk",)
        answers["area"] = (rng.choices(["north", "middle", "south"], weights=[6, 3, 1])[0],)
        answers["age"] = None if rng.random() < 0.04 else (rng.choice(["young", "old"]),)
        written = rng.random() < 0.3
        out.append(
            ReleaseRow(
                language=rng.choices(["sv", "ar", "so", "fi"], weights=[10, 5, 2, 1])[0],
                completed=rng.random() > 0.08,
                answers=answers,
                written_story=written,
                voice_story=rng.random() < 0.05,
                themes=tuple(t for t in THEMES if written and rng.random() < 0.4),
            )
        )
    return out


def release_of(data: list[ReleaseRow], previous: Release | None = None) -> Release:
    return compute(SURVEY, data, THEMES, made_at=MADE, synthetic=True, period=(None, None), previous=previous)


@pytest.mark.parametrize(("size", "seed"), [(25, 1), (60, 2), (140, 3)])
def test_every_cell_follows_the_rules(size: int, seed: int) -> None:
    data = rows(size, seed)
    records = [to_record(row) for row in data]
    tables = layout(SURVEY, records, story_dimensions(THEMES))
    true = count(tables, records)
    decision = protect(tables, true)
    hidden = {cell for cell, status in decision.status.items() if status is not Status.SHOWN}
    for cell, status in decision.status.items():
        if status is Status.SMALL:
            assert 0 < true[cell] < MINIMUM, cell
        elif status is Status.SECONDARY:
            assert not 0 < true[cell] < MINIMUM, cell  # never called small when it is not
        else:
            assert not 0 < true[cell] < MINIMUM, cell
    # Every published sum that holds a small hidden cell hides at least two cells worth at least
    # five together, so no single subtraction gives the small one back (or it is hidden whole).
    # A "no answer" of the language is zero by design and tells nothing either way.
    for line in tables.lines:
        known = [cell for cell in line.members if (LANGUAGE, None) not in cell]
        members = [cell for cell in known if cell in hidden or unpublished(cell)]
        if any(0 < true[cell] < MINIMUM for cell in members) and len(members) < len(known):
            assert len(members) >= 2 and sum(true[cell] for cell in members) >= MINIMUM, line
    # The completed total is the base of every share: it stays shown.
    assert decision.status[COMPLETED_ONLY] is Status.SHOWN
    assert true[COMPLETED_ONLY] == sum(row.completed for row in data)
    # Everyone has a language, so its "no answer" is known to be zero: hiding it would protect
    # nothing, and it is never chosen to hide.
    no_language = [cell for cell in decision.status if (LANGUAGE, None) in cell]
    assert no_language and all(true[cell] == 0 for cell in no_language)
    assert all(decision.status[cell] is Status.SHOWN for cell in no_language)


def test_one_cell_has_one_decision_in_every_table() -> None:
    """The cross-table that /stats shows both ways round is one set of cells, released once."""
    release = release_of(rows(80, 4))
    ids = [table.id for table in release.tables]
    assert "age_by_area" in ids and "area_by_age" not in ids
    assert len(ids) == len(set(ids))
    cells = [cell for table in release.tables for cell in table.cells]
    for cell in cells:
        assert cell in release.status
    # The same cell in two tables (a margin of age_by_area is a cell of the one-way age table).
    margin = tuple(sorted((*COMPLETED_ONLY, ("age", "young"))))
    holders = [table.id for table in release.tables if margin in table.cells]
    assert {"age", "age_by_area"} <= set(holders)


def test_the_file_describes_every_number_and_reads_back() -> None:
    data = rows(70, 5)
    release = release_of(data)
    document = release.to_json()
    assert document["survey"] == "unit" and document["made_at"] == "2026-12-01T07:00:00+01:00"
    assert document["dimensions"]["agencies"] == {
        "multiple": True,
        "codes": ["fk", "skv", "dont_know"],
        "at_least_one": True,
        "exclusive": ["dont_know"],
    }
    table = next(t for t in document["tables"] if t["id"] == "age_by_area")
    assert table["universe"] == "completed"
    wheres = [cell["where"] for cell in table["cells"]]
    assert {} in wheres and {"area": "north", "age": None} in wheres
    for cell in table["cells"]:
        assert ("n" in cell) != ("suppressed" in cell)
        assert cell.get("suppressed") in (None, "small", "secondary")
    completed = next(t for t in document["tables"] if t["id"] == "completed")
    assert completed["universe"] == "consented"
    shown = {json.dumps(c["where"]): c.get("n") for c in completed["cells"]}
    assert shown['{"completed": "yes"}'] == sum(row.completed for row in data)
    # Nothing private in the public file: the true counts of small cells stay out of it.
    assert 'small": [' not in json.dumps(document)
    assert "completed" not in document  # only where its cell is shown
    again = Release.from_json(json.loads(json.dumps(document)), release.small_json(), release.completed)
    assert again == release and again.small == release.small


def test_the_csv_files_are_fit_for_open_data(tmp_path: Path) -> None:
    release = release_of(rows(50, 6))
    written = release.write(tmp_path)
    assert tmp_path / "release.json" in written
    table = release.table("visits_by_area")
    assert table is not None
    reader = list(csv.DictReader(io.StringIO((tmp_path / "visits_by_area.csv").read_text(encoding="utf-8"))))
    assert reader[0].keys() == {"area", "visits", "n", "suppressed"}
    assert len(reader) == len(table.cells)
    for row in reader:
        if row["n"] == "..":
            assert row["suppressed"] in ("small", "secondary")
        else:
            assert row["suppressed"] == "" and (int(row["n"]) == 0 or int(row["n"]) >= MINIMUM)
    assert any(row["visits"] == "(inget svar)" for row in reader)


def test_a_headline_is_a_merged_cell_and_never_hidden_for_another() -> None:
    release = release_of(rows(120, 7))
    merged = tuple(sorted((*COMPLETED_ONLY, ("visits", ("weekly", "monthly")))))
    assert release.status[merged] is Status.SHOWN
    parts = [release.n(tuple(sorted((*COMPLETED_ONLY, ("visits", code))))) for code in ("weekly", "monthly")]
    if None not in parts:
        assert release.n(merged) == sum(p for p in parts if p is not None)


def test_a_deletion_between_releases_is_survived(caplog: pytest.LogCaptureFixture) -> None:
    """A resident erased their answers after the first release: the two no longer describe one
    growing population, so the second is audited on its own, with a warning."""
    data = rows(60, 8)
    first = release_of(data[:40])
    later = data[1:]  # the first respondent is gone; 20 came
    with caplog.at_level(logging.WARNING):
        second = release_of(later, previous=first)
    assert second.completed == sum(row.completed for row in later)
    statuses = Counter(second.status.values())
    assert statuses[Status.SHOWN] > 0


def test_progress_between_releases_is_rounded_to_tens() -> None:
    assert [rounded(n) for n in (0, 4, 5, 14, 15, 25, 96, 104)] == [0, 0, 10, 10, 20, 30, 100, 100]


def _responses(count: int, start: int, completed: bool = True) -> list[NewResponse]:
    rng = random.Random(start)
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    out = []
    for number in range(start, start + count):
        stamp = (moment + timedelta(minutes=number)).isoformat(timespec="seconds")
        out.append(
            NewResponse(
                respondent=f"r{number}",
                survey_id=SURVEY.id,
                survey_version="1",
                consent_version="1",
                language="sv",
                started_at=stamp,
                completed_at=stamp if completed else None,
                answers=(
                    ("visits", (rng.choice(["weekly", "monthly"]),), False),
                    ("agencies", ("fk",), False),
                    ("area", ("north",), False),
                    ("age", ("old",), False),
                ),
            )
        )
    return out


async def test_a_release_needs_enough_new_completed_responses(tmp_path: Path) -> None:
    async with Database(tmp_path / "db.sqlite") as database:
        await database.migrate()
        queries = EvidenceQueries(database)
        releases = ReleaseService(queries, SURVEY, THEMES, min_new=10)
        await import_responses(database, _responses(9, 0), "v")
        await import_responses(database, _responses(4, 100, completed=False), "v")
        with pytest.raises(NotEnoughNew) as waiting:
            await releases.make()
        assert (waiting.value.new, waiting.value.needed) == (9, 10)
        assert await releases.latest() is None
        assert await releases.progress() == (10, 10)  # 13 and 9, rounded
        await import_responses(database, _responses(1, 9), "v")
        first = await releases.make()
        assert first.completed == 10
        # One more resident: nothing anyone sees changes until nine more complete.
        await import_responses(database, _responses(1, 10), "v")
        assert await releases.make_if_due() is None
        assert (await releases.latest()) == first
        await import_responses(database, _responses(9, 11), "v")
        second = await releases.make()
        assert second.completed == 20
        assert (await releases.latest()) == second
