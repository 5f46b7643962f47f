"""The figures admins get are the true counts (where shown), quotes are safe to show, and
the synthetic-data and translation paths work end to end."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.themes import LABELLED, load_labelled, quality
from bot.admin.demo import NotSyntheticError, fill
from bot.admin.export import export_text
from bot.admin.quotes import QuoteReview
from bot.app import open_services
from bot.config import Settings
from bot.context import Services
from bot.privacy.scrub import scrub_quote
from bot.release.service import NotEnoughNew
from bot.release.tables import OTHER_LANGUAGES, Dimension
from bot.report.evidence import (
    MUNICIPALITY_TIME,
    QUOTES_PER_THEME,
    EvidenceService,
    NoRelease,
    UnknownGrouping,
)
from bot.report.quote_translation import LibreTranslateProvider
from bot.report.themes import TAGGING_QUALITY_FILE, ThemeTagger
from storage import Database
from storage.models import NewResponse
from storage.repository import import_responses
from tests.support import PROJECT, clean_environment, make_settings, run_bot_command
from tests.test_translation import FakeLibreTranslate

RESPONSES = 150
MIN_SMALL, MAX_SMALL = 1, 4  # a count the release must never show
MERGE_BELOW = 20  # a language with fewer completed respondents is counted in "other"


def run_slow_bot_command(cwd: Path, *arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``run_bot_command`` with time for a release's audit (tests/support.py allows 60 s; the
    integer-programming audit of even a few dozen responses can take longer on a busy machine)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        cwd=cwd,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=900,
    )


def small(count: int) -> bool:
    return MIN_SMALL <= count <= MAX_SMALL


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a (WAL) SQLite database."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RESPONSES synthetic responses and one release of them. The release's audit takes long,
    so it is made once for the module; every test gets its own copy of the database."""
    settings = make_settings(tmp_path_factory.mktemp("released"))

    async def make() -> None:
        services = await open_services(settings)
        try:
            # Seed 8: its release shows enough for the checks below to bite. At this size some
            # data sets make the audit hide nearly every cell (seed 7: 143 of 2,111 shown),
            # which would leave little to check.
            await fill(services.database, services.survey, RESPONSES, services.admin.evidence.tagger, seed=8)
            await services.admin.evidence.releases.make()
        finally:
            await services.database.close()

    asyncio.run(make())
    return settings.database_path


@pytest.fixture
def filled(tmp_path: Path, released: Path) -> Settings:
    settings = make_settings(tmp_path)
    copy_database(released, settings.database_path)
    return settings


NOT_ASKED = "not_asked"  # in the export: routed past the question


def answer_codes(value: str) -> frozenset[str] | None:
    """An exported answer as the release counts it: the codes, or None for no answer."""
    return None if value in ("", "skipped") else frozenset(value.split(";"))


def in_group(row: dict[str, str], grouping: str, code: str | None, language: Dimension) -> bool:
    """Whether an exported response is in a group of a cross table (``None``: no answer)."""
    if grouping == "language":
        return row["language"] in language.members(code) if code else not row["language"]
    value = answer_codes(row[grouping])
    return value is None if code is None else value == {code}


def true_theme_counts(database: Path, survey_id: str) -> tuple[int, Counter[str]]:
    """Written stories of completed responses, and how many of them carry each theme."""
    with closing(sqlite3.connect(database)) as connection:
        written = connection.execute(
            "SELECT COUNT(*) FROM stories s JOIN responses r ON r.id = s.response_id "
            "WHERE r.survey_id = ? AND r.consented_at IS NOT NULL AND r.completed_at IS NOT NULL "
            "AND s.text IS NOT NULL",
            (survey_id,),
        ).fetchone()[0]
        themes = Counter(
            dict(
                connection.execute(
                    "SELECT t.theme, COUNT(*) FROM story_themes t JOIN stories s ON s.response_id = "
                    "t.response_id JOIN responses r ON r.id = s.response_id WHERE r.survey_id = ? "
                    "AND r.consented_at IS NOT NULL AND r.completed_at IS NOT NULL "
                    "AND s.text IS NOT NULL GROUP BY t.theme",
                    (survey_id,),
                ).fetchall()
            )
        )
    return written, themes


class Shown:
    """Compares a shown figure with the true count: equal when shown, hidden when small."""

    def __init__(self) -> None:
        self.shown = 0
        self.small_hidden = 0
        self.other_hidden = 0

    def check(self, shown: int | None, true: int, where: object) -> None:
        if shown is None:
            if small(true):
                self.small_hidden += 1
            else:
                self.other_hidden += 1
            return
        assert not small(true), ("a small count is shown", where, true)
        assert shown == true, (where, shown, true)
        self.shown += 1


async def test_shown_counts_are_the_true_counts(filled: Settings) -> None:
    services = await open_services(filled)
    try:
        service = services.admin.evidence
        evidence = await service.evidence()
        release = await service.releases.latest()
        crosses = []
        for question in service.question_ids:
            for grouping in service.groupings:
                try:
                    crosses.append(await service.cross_table(question, grouping))
                except UnknownGrouping:
                    continue
        rows = list(
            csv.DictReader(
                io.StringIO(await export_text(services.surveys.repository, services.survey, "csv"))
            )
        )
        survey = services.survey
        labels = service.labels
    finally:
        await services.database.close()
    assert release is not None
    completed = [row for row in rows if row["state"] == "completed"]
    stopped = len(rows) - len(completed)
    assert len(rows) == RESPONSES and 0 < len(completed) < len(rows)
    assert evidence.synthetic
    # Everything counts the completed responses only; the number who started is hidden when
    # those who stopped part-way are 1-4.
    assert evidence.completed == release.completed == len(completed)
    assert evidence.started == (None if small(stopped) else len(rows))
    made = datetime.fromisoformat(release.made_at).astimezone(MUNICIPALITY_TIME)
    assert evidence.generated_at == made.strftime("%Y-%m-%d %H:%M")
    figures = Shown()

    # Every choice question: every option, shares of the completed responses that were asked it
    # (those whose answers routed them past it are counted apart).
    for distribution in evidence.questions:
        question = survey.question(distribution.key)
        assert question is not None
        asked = [row for row in completed if row[distribution.key] != NOT_ASKED]
        answers = [answer_codes(row[distribution.key]) for row in asked]
        no_answer = sum(answer is None for answer in answers)
        if question.show_if is None:
            assert distribution.not_asked == 0 and len(asked) == len(completed)
        else:
            figures.check(
                distribution.not_asked, len(completed) - len(asked), (distribution.key, "not asked")
            )
        base = None if distribution.not_asked is None else len(asked)
        assert distribution.base == base
        figures.check(distribution.skipped, no_answer, (distribution.key, "no answer"))
        assert [cell.code for cell in distribution.cells] == list(question.option_codes)
        for cell in distribution.cells:
            true = sum(cell.code in answer for answer in answers if answer is not None)
            figures.check(cell.count, true, (distribution.key, cell.code))
            hidden = cell.count is None or base is None
            assert cell.share == (None if hidden else pytest.approx(true / len(asked)))

    # Languages: the small ones counted together as "other"; a kept one has at least 20.
    language = release.dimensions["language"]
    languages = Counter(row["language"] for row in completed)
    assert language.merged, "some languages should be too small to show on their own"
    for code, true in languages.items():
        if true < MERGE_BELOW:
            assert code in language.members(OTHER_LANGUAGES), code
        else:
            assert code in language.codes, code
    assert evidence.languages.base == len(completed)
    assert [cell.code for cell in evidence.languages.cells] == list(language.codes)
    for cell in evidence.languages.cells:
        true = sum(languages[member] for member in language.members(cell.code))
        figures.check(cell.count, true, ("language", cell.code))
        assert cell.label == labels.language(cell.code)
    assert labels.language(OTHER_LANGUAGES) == "övriga språk"

    # The groupings (area, age): "Uppgift saknas" is a group when anyone is in it.
    for distribution in (evidence.areas, evidence.ages):
        values = [answer_codes(row[distribution.key]) for row in completed]
        assert distribution.base == len(completed)
        for cell in distribution.cells:
            if cell.code == "":
                true = sum(value is None for value in values)
                assert cell.label == "Uppgift saknas"
            else:
                true = sum(value == {cell.code} for value in values)
            figures.check(cell.count, true, (distribution.key, cell.code))
        if not any(value is None for value in values):
            assert "" not in {cell.code for cell in distribution.cells}

    # Headlines: those who chose any of the headline's options, of all completed.
    headlines = {headline.id: headline for headline in survey.headlines}
    assert {headline.key for headline in evidence.headlines} == set(headlines)
    for headline in evidence.headlines:
        wanted = set(headlines[headline.key].options)
        true = sum(
            bool(answer and answer & wanted)
            for row in completed
            for answer in [answer_codes(row[headline.question])]
        )
        figures.check(headline.count, true, ("headline", headline.key))
        # A headline joining options shows each option's own count beside it.
        if len(wanted) > 1:
            assert len(headline.parts) == len(wanted)
            # In the question's own order of options.
            question = survey.question(headline.question)
            assert question is not None
            in_order = [code for code in question.option_codes if code in wanted]
            for code, part in zip(in_order, headline.parts, strict=True):
                alone = sum(
                    code in answer
                    for row in completed
                    for answer in [answer_codes(row[headline.question]) or set()]
                )
                figures.check(part.count, alone, ("headline part", headline.key, code))
        else:
            assert headline.parts == ()
        # The base is those asked the question: unknown only where its "not asked" is hidden.
        asked = sum(row[headline.question] != NOT_ASKED for row in completed)
        (of_question,) = [d for d in evidence.questions if d.key == headline.question]
        assert headline.base == (None if of_question.not_asked is None else asked)
    assert any(headline.count is not None for headline in evidence.headlines)

    # Stories and themes: of completed responses, as tagged when the release was made.
    written, themes = true_theme_counts(filled.database_path, survey.id)
    figures.check(evidence.stories_written, written, "stories written")
    figures.check(evidence.voice_notes, 0, "voice notes")
    for theme in evidence.themes:
        figures.check(theme.count, themes[theme.code], ("theme", theme.code))
        if theme.count is not None and evidence.stories_written:
            assert theme.share == pytest.approx(theme.count / evidence.stories_written)
        else:
            assert theme.share is None and theme.quotes == ()

    # Cross tables: groups with nobody in them left out, "Uppgift saknas" the last column.
    assert len(crosses) >= len(evidence.questions)
    for table in crosses:
        question = survey.question(table.question)
        assert question is not None
        assert table.columns == (
            *(labels.option(question.id, c) for c in question.option_codes),
            "Uppgift saknas",
        )
        grouping = survey.question(table.grouping)
        codes = language.codes if grouping is None else grouping.option_codes
        groups = {
            (
                labels.language(code) if table.grouping == "language" else labels.option(table.grouping, code)
            ): code
            for code in codes
        }
        groups["Uppgift saknas"] = None
        people = {
            label: [row for row in completed if in_group(row, table.grouping, code, language)]
            for label, code in groups.items()
        }
        for label, base, cells in table.rows:
            members = [row for row in people[label] if row[table.question] != NOT_ASKED]
            figures.check(base, len(members), (table.question, table.grouping, label))
            assert base != 0, "a group with nobody in it is left out"
            assert len(cells) == len(table.columns)
            answers = [answer_codes(row[table.question]) for row in members]
            for cell, code in zip(cells, (*question.option_codes, None), strict=True):
                assert cell.code == (code or "")
                if code is None:
                    true = sum(answer is None for answer in answers)
                else:
                    true = sum(code in answer for answer in answers if answer is not None)
                figures.check(cell.count, true, (table.question, table.grouping, label, code))
                if cell.count is not None and base:
                    assert cell.share == pytest.approx(cell.count / base)
                else:
                    assert cell.share is None
        shown_groups = [label for label, _, _ in table.rows]
        assert shown_groups == [label for label in groups if label in shown_groups], "in the release's order"
        assert {label for label, members in people.items() if members} <= set(shown_groups)

    # The checks above bite: many counts shown, and small ones met and hidden.
    assert figures.shown > 200 and figures.small_hidden > 10, vars(figures)


async def test_quotes_are_scrubbed_nameable_and_translated(filled: Settings) -> None:
    fake = FakeLibreTranslate()
    await fake.start()
    services = await open_services(filled)
    try:
        service: EvidenceService = services.admin.evidence
        # The same service, with a translation provider on this machine.
        translating = EvidenceService(
            service.queries,
            service.survey,
            service.labels,
            service.tagger,
            service.releases,
            quote_translator=LibreTranslateProvider(fake.url, None, 5.0),
        )
        release = await service.releases.latest()
        # Nothing is quoted until a person has approved it; then only what was approved.
        assert not [quote for theme in (await translating.evidence()).themes for quote in theme.quotes]
        review = QuoteReview(service)
        waiting = await review.waiting(limit=10_000)
        for quote in waiting[::2]:
            await review.approve("cli", quote.id)
        approved = {quote.text for quote in waiting[::2]}
        evidence = await translating.evidence()
    finally:
        await services.database.close()
        await fake.stop()
    assert release is not None
    quotes = [quote for theme in evidence.themes for quote in theme.quotes]
    assert quotes, "synthetic stories should give quotes"
    # A quote names its language only if the release shows that language on its own.
    language = release.dimensions["language"]
    nameable = set(language.codes) - {OTHER_LANGUAGES}
    merged = language.members(OTHER_LANGUAGES)
    with closing(sqlite3.connect(filled.database_path)) as connection:
        approved_languages = {
            code
            for (code,) in connection.execute(
                "SELECT s.language FROM quote_reviews q JOIN stories s ON s.response_id = q.response_id "
                "WHERE q.status = 'approved'"
            )
        }
    assert approved_languages & merged, "approved stories in merged languages: the rule is tested"
    for theme in evidence.themes:
        if not theme.count:
            assert theme.quotes == ()
        assert len(theme.quotes) <= 3
    for quote in quotes:
        assert quote.language in nameable and quote.language not in merged
        assert quote.language_name == service.labels.language(quote.language)
        if quote.language == "sv":
            assert quote.translation is None
        else:
            assert quote.translation == f"[sv] {quote.text}"
    assert len({quote.text for quote in quotes}) == len(quotes)
    assert {quote.text for quote in quotes} <= approved
    assert evidence.translation_provider == "LibreTranslate"


async def test_themes_are_found_again_when_the_lists_change(filled: Settings) -> None:
    services = await open_services(filled)
    try:
        service = services.admin.evidence
        assert await service.retag() == 0  # stored with the current lists
        older = ThemeTagger(service.tagger.lists, "older-lists")
        stale = EvidenceService(service.queries, service.survey, service.labels, older, service.releases)
        retagged = await stale.retag()
        written, _ = await service.queries.story_counts(service.survey.id)
        assert retagged == written > 0
        assert await stale.retag() == 0
    finally:
        await services.database.close()


async def test_demo_data_never_goes_into_a_real_database(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    services = await open_services(settings)
    try:
        response = await services.surveys.begin("a-real-resident")
        await services.surveys.repository.record_consent(
            response.id, "2026.1", "frequency", "2026-11-01T10:00:00"
        )
        with pytest.raises(NotSyntheticError):
            await fill(services.database, services.survey, 10, services.admin.evidence.tagger)
        assert (await services.admin.evidence.queries.totals(services.survey.id)).started == 1
    finally:
        await services.database.close()


def response_counts(database: Path) -> tuple[int, int]:
    """Consented and completed responses in a database (one survey)."""
    with closing(sqlite3.connect(database)) as connection:
        started, completed = connection.execute(
            "SELECT COUNT(*), COUNT(completed_at) FROM responses WHERE consented_at IS NOT NULL"
        ).fetchone()
    return int(started), int(completed)


def test_demo_data_and_report_from_the_command_line(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    filled = run_bot_command(tmp_path, "demo-data", "--responses", "40", "--database", str(database))
    assert filled.returncode == 0, filled.stderr
    assert "added 40 synthetic responses" in filled.stderr
    out = tmp_path / "rapport.md"
    out.write_text("an earlier copy, readable by others")
    out.chmod(0o644)
    # Before a release there are no figures to report: the operator is told how to make one.
    waiting = run_bot_command(tmp_path, "report", "--database", str(database), "--out", str(out))
    assert waiting.returncode == 2
    assert "no release yet" in waiting.stderr
    assert "make one with `python -m bot release --out DIR`" in waiting.stderr
    about = re.search(r"about (\d+) responses completed", waiting.stderr)
    assert about and int(about.group(1)) % 10 == 0, waiting.stderr
    assert out.read_text() == "an earlier copy, readable by others"
    released = run_slow_bot_command(
        tmp_path, "release", "--database", str(database), "--out", str(tmp_path / "release")
    )
    assert released.returncode == 0, released.stderr
    made = run_bot_command(tmp_path, "report", "--database", str(database), "--out", str(out))
    assert made.returncode == 0, made.stderr
    # The report quotes residents: readable by its owner only, until staff publish it.
    assert out.stat().st_mode & 0o777 == 0o600
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# SYNTETISKA TESTDATA")
    _, completed = response_counts(database)
    # Every figure is of the completed responses.
    assert f"Antal svarande: {completed}." in text
    assert f"report on {completed} responses written to" in made.stderr
    docx_out = tmp_path / "rapport.docx"
    made = run_bot_command(tmp_path, "report", "--database", str(database), "--out", str(docx_out))
    assert made.returncode == 0, made.stderr
    assert docx_out.read_bytes()[:2] == b"PK" and docx_out.stat().st_mode & 0o777 == 0o600
    missing = run_bot_command(
        tmp_path, "report", "--database", str(tmp_path / "none.sqlite3"), "--out", str(out)
    )
    assert missing.returncode == 2
    assert "no database" in missing.stderr


def test_a_release_from_the_command_line(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    out = tmp_path / "release"
    needed = Settings.model_fields["release_min_new"].default
    assert (
        run_bot_command(tmp_path, "demo-data", "--responses", "6", "--database", str(database)).returncode
        == 0
    )
    _, completed = response_counts(database)
    assert completed < needed
    refused = run_bot_command(tmp_path, "release", "--database", str(database), "--out", str(out))
    assert refused.returncode == 2
    assert f"no release yet: {completed} responses completed, {needed} needed" in refused.stderr
    assert not out.exists()

    # Enough completed responses: a release is made, stored, and written out.
    assert (
        run_bot_command(tmp_path, "demo-data", "--responses", "34", "--database", str(database)).returncode
        == 0
    )
    started, completed = response_counts(database)
    assert completed >= needed
    made = run_slow_bot_command(tmp_path, "release", "--database", str(database), "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert f"made a new release of {completed} completed responses" in made.stderr
    data = json.loads((out / "release.json").read_text(encoding="utf-8"))
    completion = next(table for table in data["tables"] if table["id"] == "completed")
    shown = {json.dumps(cell["where"]): cell.get("n") for cell in completion["cells"]}
    assert shown['{"completed": "yes"}'] == completed and data["synthetic"] is True
    assert "completed" not in data, "the completed count is in the file only as its cell"
    with closing(sqlite3.connect(database)) as connection:
        surveys = connection.execute("SELECT DISTINCT survey_id, survey_version FROM responses").fetchall()
    assert [(data["survey"], data["survey_version"])] == surveys
    assert "small" not in data, "the true small counts stay in the database"
    files = {path.name for path in out.iterdir()}
    assert files == {"release.json", *(f"{table['id']}.csv" for table in data["tables"])}
    # The table of completion holds the true counts: started (the grand total), completed, not.
    completion = next(table for table in data["tables"] if table["id"] == "completed")
    truth = {
        (): started,
        (("completed", "yes"),): completed,
        (("completed", "no"),): started - completed,
        (("completed", None),): 0,  # every response is one or the other
    }
    for cell in completion["cells"]:
        key = tuple(sorted(cell["where"].items()))
        assert cell.get("n") in (truth[key], None), (key, cell)
    # Every CSV: one row per cell, the count or ".." with the reason; never a count of 1 to 4.
    suppressed = Counter()
    for table in data["tables"]:
        with (out / f"{table['id']}.csv").open(encoding="utf-8", newline="") as file:
            lines = list(csv.reader(file))
        assert lines[0] == [*table["dimensions"], "n", "suppressed"], table["id"]
        assert len(lines) == len(table["cells"]) + 1, table["id"]
        for line, cell in zip(lines[1:], table["cells"], strict=True):
            count, why = line[-2:]
            if "n" in cell:
                assert count == str(cell["n"]) and why == "" and not small(cell["n"]), (table["id"], line)
            else:
                assert count == ".." and why == cell["suppressed"] in ("small", "secondary"), (
                    table["id"],
                    line,
                )
                suppressed[why] += 1
    assert suppressed["small"] > 0, "a small database has small counts to hide"

    # Too few new completed responses: the latest release is written again, unchanged.
    assert (
        run_bot_command(tmp_path, "demo-data", "--responses", "3", "--database", str(database)).returncode
        == 0
    )
    _, now_completed = response_counts(database)
    assert 0 < now_completed - completed < needed
    again_out = tmp_path / "again"
    again = run_slow_bot_command(tmp_path, "release", "--database", str(database), "--out", str(again_out))
    assert again.returncode == 0, again.stderr
    assert (
        f"only {now_completed - completed} responses completed since the release of {data['made_at']} "
        f"({needed} needed): wrote that one again" in again.stderr
    )
    assert json.loads((again_out / "release.json").read_text(encoding="utf-8")) == data
    assert {path.name for path in again_out.iterdir()} == files
    for name in files:
        assert (again_out / name).read_bytes() == (out / name).read_bytes(), name
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("SELECT COUNT(*) FROM releases").fetchone()[0] == 1
        audit = connection.execute(
            "SELECT actor, action, detail FROM admin_audit WHERE action = 'release'"
        ).fetchall()
    assert audit == [("cli", "release", data["made_at"])] * 2


async def test_before_any_release_only_rounded_progress_is_told(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    services = await open_services(settings)
    try:
        service = services.admin.evidence
        await fill(services.database, services.survey, 37, service.tagger, seed=11)
        started, completed = response_counts(settings.database_path)
        # Neither is a multiple of 10 nor halfway, so the rounding shows and is unambiguous.
        assert started % 10 not in (0, 5) and completed % 10 not in (0, 5), (started, completed)
        calls = (
            service.summary,
            service.evidence,
            lambda: service.distribution("visits"),
            lambda: service.cross_table("visits", "district"),
        )
        for call in calls:
            with pytest.raises(NoRelease) as raised:
                await call()
            assert raised.value.started == 10 * round(started / 10) != started
            assert raised.value.completed == 10 * round(completed / 10) != completed
            assert raised.value.needed == settings.release_min_new
        assert await service.releases.latest() is None, "asking for figures makes no release"
    finally:
        await services.database.close()


EARLY_STORIES = (
    "Jag förstår inte svenska och behöver tolk när jag går till kontoret i Hallunda.",
    "Jag behöver tolk för att förstå breven, och på kontoret får jag det direkt.",
    "Utan tolk förstår jag inte vad handläggaren säger, så jag går till kontoret.",
    "Min svenska räcker inte för breven, jag behöver någon som talar mitt språk.",
    "Jag behöver tolk, och det är svårt att förstå breven från myndigheterna utan hjälp.",
    "Jag behöver hjälp på mitt eget språk för att förstå vad breven handlar om.",
)
LATE_STORIES = (
    "Utan tolk på kontoret förstår jag inte breven från Försäkringskassan.",
    "Jag behöver tolk när jag ringer, annars förstår jag inte vad de säger.",
    "På kontoret finns det tolk, och då förstår jag äntligen mina brev.",
    "Min svenska är för svag för breven, jag behöver tolk varje gång.",
    "Jag förstår inte breven utan tolk och går därför till kontoret i Hallunda.",
)
THEME = "language_barrier"


def swedish_response(
    services: Services, respondent: str, text: str, at: datetime, *, completed: bool = True
) -> NewResponse:
    stamp = at.isoformat(timespec="seconds")
    tagger = services.admin.evidence.tagger
    assert scrub_quote(text) == text and THEME in tagger.tag(text, "sv"), text
    return NewResponse(
        respondent=respondent,
        survey_id=services.survey.id,
        survey_version=services.survey.version,
        consent_version=services.survey.consent_version,
        language="sv",
        started_at=stamp,
        completed_at=stamp if completed else None,
        answers=(),
        story=(text, "sv") if completed else None,
        story_themes=tagger.tag(text, "sv") if completed else (),
    )


async def approve_only(services: Services, texts: Sequence[str]) -> None:
    review = QuoteReview(services.admin.evidence)
    waiting = {quote.text: quote for quote in await review.waiting(limit=100)}
    for text in texts:
        await review.approve("cli", waiting[text].id)


async def report_text(services: Services) -> str:
    return (await services.admin.report("cli", "md")).content.decode("utf-8").replace("\\", "")


async def test_a_quote_waits_for_the_release_that_counts_its_response(tmp_path: Path) -> None:
    """A story approved for quoting, from a response completed after the latest release, is not
    quoted until a release counts that response: every quote belongs to the figures beside it."""
    services = await open_services(make_settings(tmp_path, release_min_new=5))
    try:
        service = services.admin.evidence
        early = [
            swedish_response(services, f"early-{n}", text, datetime(2026, 11, 1 + n, 10, tzinfo=UTC))
            for n, text in enumerate(EARLY_STORIES)
        ]
        await import_responses(services.database, early, service.tagger.version)
        first = await service.releases.make()
        # Residents who take part after the release (its time is to the second).
        await asyncio.sleep(1.1)
        now = datetime.now(UTC)
        assert (
            now.isoformat(timespec="seconds")
            > datetime.fromisoformat(first.made_at).astimezone(UTC).isoformat()
        )
        late = [swedish_response(services, f"late-{n}", text, now) for n, text in enumerate(LATE_STORIES)]
        await import_responses(services.database, late, service.tagger.version)
        # Only the late stories are approved: any quote in the report is one of them.
        await approve_only(services, LATE_STORIES)

        before = await service.evidence()
        before_report = await report_text(services)
        second = await service.releases.make()
        after = await service.evidence()
        after_report = await report_text(services)
    finally:
        await services.database.close()
    assert first.completed == len(EARLY_STORIES)
    assert second.completed == len(EARLY_STORIES) + len(LATE_STORIES)

    theme = next(theme for theme in before.themes if theme.code == THEME)
    assert before.completed == len(EARLY_STORIES) and theme.count == len(EARLY_STORIES)
    assert theme.quotes == ()
    assert not any(text in before_report for text in LATE_STORIES)
    assert "Inga citat visas för temat ännu." in before_report

    theme = next(theme for theme in after.themes if theme.code == THEME)
    assert after.completed == second.completed and theme.count == second.completed
    quoted = [quote.text for quote in theme.quotes]
    assert len(quoted) == QUOTES_PER_THEME and set(quoted) <= set(LATE_STORIES)
    assert all(quote.language_name == "svenska" for quote in theme.quotes)
    assert all(text in after_report for text in quoted)


async def test_a_quote_from_a_response_finished_after_the_release_waits_too(tmp_path: Path) -> None:
    """As above, for a resident who was half-way through the survey when the release was made."""
    services = await open_services(make_settings(tmp_path, release_min_new=5))
    try:
        service = services.admin.evidence
        early = [
            swedish_response(services, f"early-{n}", text, datetime(2026, 11, 1 + n, 10, tzinfo=UTC))
            for n, text in enumerate(EARLY_STORIES)
        ]
        halfway = swedish_response(
            services, "halfway", LATE_STORIES[0], datetime(2026, 11, 20, 10, tzinfo=UTC), completed=False
        )
        await import_responses(services.database, [*early, halfway], service.tagger.version)
        release = await service.releases.make()
        assert release.completed == len(EARLY_STORIES)
        # They tell their story, which ends the survey, after the release; it is approved.
        response = await services.surveys.repository.find_response("halfway", services.survey.id)
        assert response is not None
        await services.surveys.repository.save_story(
            response.id,
            text=LATE_STORIES[0],
            voice_file_id=None,
            voice_duration=None,
            language="sv",
            next_question=None,
            themes=service.tagger.tag(LATE_STORIES[0], "sv"),
            themes_version=service.tagger.version,
            now=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        assert await service.queries.completed_count(services.survey.id) == len(EARLY_STORIES) + 1
        await approve_only(services, LATE_STORIES[:1])
        evidence = await service.evidence()
    finally:
        await services.database.close()
    theme = next(theme for theme in evidence.themes if theme.code == THEME)
    assert theme.count == len(EARLY_STORIES)
    assert theme.quotes == ()


def test_the_measured_tagging_quality_is_current() -> None:
    """The report quotes locales/themes/measured.json: it must match the lists as they are."""
    assert len(LABELLED) >= 2
    stored = json.loads((PROJECT / "locales" / "themes" / TAGGING_QUALITY_FILE).read_text(encoding="utf-8"))
    fresh = quality(ThemeTagger.load(PROJECT / "locales" / "themes"), load_labelled())
    assert stored == fresh, "run python -m bench.themes --write"


def test_the_labelled_stories_are_well_formed() -> None:
    stories = load_labelled()
    assert len(stories) >= 250
    assert len({story.id for story in stories}) == len(stories)
    assert len({story.language for story in stories}) >= 8
    from bot.report.themes import THEMES

    assert all(story.themes <= set(THEMES) for story in stories)


async def test_database_helper_closes(tmp_path: Path) -> None:
    async with Database(tmp_path / "x.sqlite3") as database:
        await database.migrate()
        assert "0002_themes_audit_meta" in await database.applied_migrations()


async def test_answers_of_another_survey_in_the_same_database_do_not_count(filled: Settings) -> None:
    services = await open_services(filled)
    try:
        service = services.admin.evidence
        queries = service.queries
        survey_id = services.survey.id
        alone = await service.evidence()
        theme = max(alone.themes, key=lambda theme: theme.count or 0)
        assert theme.count and theme.quotes == ()

        async def what_a_release_would_count() -> tuple[object, ...]:
            return (
                await queries.release_rows(survey_id),
                await queries.totals(survey_id),
                await queries.completed_count(survey_id),
                await service.releases.new_since_last(),
                await service.releases.progress(),
            )

        before = await what_a_release_would_count()
        database = services.database
        # Ten completed answers to another survey, all "online: no", area "alby", each with a
        # story approved for quoting under the theme this survey's stories have most of.
        for number in range(10):
            await database.execute(
                "INSERT INTO responses (respondent, survey_id, survey_version, language, stage, "
                "consented_at, started_at, updated_at, completed_at) VALUES (?, 'other', '1', 'sv', "
                "'done', '2026-11-01T00:00:00', '2026-11-01T00:00:00', '2026-11-01T00:00:00', "
                "'2026-11-01T00:05:00')",
                (f"other-{number}",),
            )
        await database.execute(
            "INSERT INTO answers (response_id, question_id, option_codes, skipped, survey_version, "
            "answered_at) "
            "SELECT id, q, c, 0, '1', '2026-11-01T00:00:00' FROM responses, "
            "(SELECT 'online' AS q, 'no' AS c UNION ALL SELECT 'area', 'alby') WHERE survey_id = 'other'"
        )
        await database.execute(
            "INSERT INTO stories (response_id, text, language, created_at, themes_version) "
            "SELECT id, 'Ett svar i en annan enkät som aldrig ska citeras här, nummer ' || id, 'sv', "
            "'2026-11-01T00:05:00', ? FROM responses WHERE survey_id = 'other'",
            (service.tagger.version,),
        )
        await database.execute(
            "INSERT INTO story_themes (response_id, theme) "
            "SELECT id, ? FROM responses WHERE survey_id = 'other'",
            (theme.code,),
        )
        await database.execute(
            "INSERT INTO quote_reviews (response_id, status, text, reviewed_at, actor) "
            "SELECT r.id, 'approved', s.text, '2026-11-02T00:00:00', 'cli' FROM responses r "
            "JOIN stories s ON s.response_id = r.id WHERE r.survey_id = 'other'"
        )
        after = await what_a_release_would_count()
        # Not enough new completed responses of this survey for another release.
        with pytest.raises(NotEnoughNew):
            await service.releases.make()
        shared = await service.evidence()
    finally:
        await services.database.close()
    assert after == before
    assert shared == alone
