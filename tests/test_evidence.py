"""The figures admins get are the true counts (where shown), quotes are safe to show, and
the synthetic-data and translation paths work end to end."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from bench.themes import LABELLED, load_labelled, quality
from bot.admin.demo import NotSyntheticError, fill
from bot.admin.export import export_text
from bot.admin.quotes import QuoteReview
from bot.app import open_services
from bot.config import Settings
from bot.report.evidence import EvidenceService
from bot.report.quote_translation import LibreTranslateProvider
from bot.report.themes import TAGGING_QUALITY_FILE, ThemeTagger
from storage import Database
from tests.support import PROJECT, make_settings, run_bot_command
from tests.test_translation import FakeLibreTranslate

RESPONSES = 400


@pytest.fixture
async def filled(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path)
    services = await open_services(settings)
    try:
        tagger = services.admin.evidence.tagger
        await fill(services.database, services.survey, RESPONSES, tagger, seed=7)
    finally:
        await services.database.close()
    return settings


async def test_shown_counts_are_the_true_counts(filled: Settings) -> None:
    services = await open_services(filled)
    try:
        evidence = await services.admin.evidence.evidence()
        rows = list(
            csv.DictReader(
                io.StringIO(await export_text(services.surveys.repository, services.survey, "csv"))
            )
        )
    finally:
        await services.database.close()
    assert evidence.synthetic
    assert evidence.started == len(rows) == RESPONSES
    assert evidence.completed == sum(row["state"] == "completed" for row in rows)
    checked = 0
    for distribution in evidence.questions:
        answers = [row[distribution.key] for row in rows if row[distribution.key] not in ("", "skipped")]
        skipped = sum(row[distribution.key] == "skipped" for row in rows)
        assert distribution.base == len(answers)
        assert distribution.skipped in (skipped, None)
        chosen = Counter(code for answer in answers for code in answer.split(";"))
        for cell in distribution.cells:
            true = chosen[cell.code]
            if cell.count is None:
                continue
            assert cell.count == true, (distribution.key, cell.code)
            assert cell.share == pytest.approx(true / len(answers))
            checked += 1
    assert checked > 50
    languages = Counter(row["language"] for row in rows)
    for cell in evidence.languages.cells:
        assert cell.count in (languages[cell.code], None)
        if 0 < languages[cell.code] < 5:
            assert cell.count is None
    by_code = {h.key: h for h in evidence.headlines}
    online = [row["online"] for row in rows if row["online"] not in ("", "skipped")]
    assert by_code["not_online"].count == online.count("no")
    assert by_code["not_online"].base == len(online)


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
            quote_translator=LibreTranslateProvider(fake.url, None, 5.0),
        )
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
    quotes = [quote for theme in evidence.themes for quote in theme.quotes]
    assert quotes, "synthetic stories should give quotes"
    nameable = {cell.code for cell in evidence.story_languages.cells if cell.count is not None}
    for theme in evidence.themes:
        if theme.count is None:
            assert theme.quotes == ()
        assert len(theme.quotes) <= 3
    for quote in quotes:
        assert quote.language in nameable
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
        stale = EvidenceService(service.queries, service.survey, service.labels, older)
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


def test_demo_data_and_report_from_the_command_line(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    filled = run_bot_command(tmp_path, "demo-data", "--responses", "300", "--database", str(database))
    assert filled.returncode == 0, filled.stderr
    assert "added 300 synthetic responses" in filled.stderr
    out = tmp_path / "rapport.md"
    out.write_text("an earlier copy, readable by others")
    out.chmod(0o644)
    made = run_bot_command(tmp_path, "report", "--database", str(database), "--out", str(out))
    assert made.returncode == 0, made.stderr
    # The report quotes residents: readable by its owner only, until staff publish it.
    assert out.stat().st_mode & 0o777 == 0o600
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# SYNTETISKA TESTDATA")
    assert "Antal svarande: 300." in text
    docx_out = tmp_path / "rapport.docx"
    made = run_bot_command(tmp_path, "report", "--database", str(database), "--out", str(docx_out))
    assert made.returncode == 0, made.stderr
    assert docx_out.read_bytes()[:2] == b"PK" and docx_out.stat().st_mode & 0o777 == 0o600
    missing = run_bot_command(
        tmp_path, "report", "--database", str(tmp_path / "none.sqlite3"), "--out", str(out)
    )
    assert missing.returncode == 2
    assert "no database" in missing.stderr


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
        alone = await services.admin.evidence.summary()
        database = services.database
        # Ten consented answers to another survey, all "online: no", area "alby".
        for number in range(10):
            await database.execute(
                "INSERT INTO responses (respondent, survey_id, survey_version, language, stage, "
                "consented_at, started_at, updated_at) VALUES (?, 'other', '1', 'sv', 'questions', "
                "'2026-11-01T00:00:00', '2026-11-01T00:00:00', '2026-11-01T00:00:00')",
                (f"other-{number}",),
            )
        await database.execute(
            "INSERT INTO answers (response_id, question_id, option_codes, skipped, survey_version, "
            "answered_at) "
            "SELECT id, q, c, 0, '1', '2026-11-01T00:00:00' FROM responses, "
            "(SELECT 'online' AS q, 'no' AS c UNION ALL SELECT 'area', 'alby') WHERE survey_id = 'other'"
        )
        shared = await services.admin.evidence.summary()
    finally:
        await services.database.close()
    assert shared.headlines == alone.headlines
    assert shared.areas == alone.areas
    assert shared.started == alone.started
