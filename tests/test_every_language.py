"""Every catalogue: the whole survey runs to the end, stores the same codes, and reads right."""

from __future__ import annotations

import unicodedata

import pytest

from bot.config import PROJECT_ROOT
from bot.survey.views import RLM
from tests.support import Harness
from tests.test_survey_flow import ANSWERS, answer_all, db_rows, stored_answers

LANGUAGES = sorted(path.stem for path in (PROJECT_ROOT / "locales").glob("*.po"))


def first_strong_direction(line: str) -> str | None:
    for char in line:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            return "rtl" if kind in ("R", "AL") else "ltr"
    return None


@pytest.mark.parametrize("language", LANGUAGES)
async def test_whole_survey_in_every_language(harness: Harness, language: str) -> None:
    t = harness.services.translations.translator(language)
    resident = harness.resident(6000 + LANGUAGES.index(language), None)
    await resident.command("start")
    assert f"lang:{language}" in resident.buttons()
    await resident.press(f"lang:{language}")
    assert t("consent.title") in resident.last_text()
    await resident.agree()
    await answer_all(resident)
    assert t("q.story").split("\n")[0][:20] in resident.last_text()
    await resident.say("Servicekontoret hjälper mig med breven.")
    thanks = resident.last_text()
    assert t("thanks.title") in thanks
    codes = stored_answers(harness)
    survey = harness.services.survey
    for question in survey.choice_questions():
        expected_codes = ANSWERS[question.id]
        if isinstance(expected_codes, list):
            expected_codes = ";".join(c for c in question.option_codes if c in expected_codes)
        assert codes[question.id] == (expected_codes, 0), (language, question.id)
    (row,) = db_rows(harness, "SELECT language, stage FROM responses")
    assert row["language"] == language and row["stage"] == "done"
    if t.direction == "rtl":
        for line in thanks.split("\n"):
            if line:
                assert line.startswith(RLM) and first_strong_direction(line) == "rtl", line


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code in ("ar", "fa", "ckb")])
async def test_right_to_left_layout_with_the_residents_own_words(harness: Harness, language: str) -> None:
    t = harness.services.translations.translator(language)
    assert t.direction == "rtl"
    resident = harness.resident(6100, None)
    await resident.command("start")
    await resident.press(f"lang:{language}")
    await resident.agree()
    await answer_all(resident)
    own_words = "Jag behöver tolk, 2 gånger i månaden"
    await resident.say(own_words)
    await resident.command("mydata")
    text = resident.last_text()
    # The resident's Swedish words sit inside isolates, so the Arabic-script sentence around
    # them keeps its order; every line starts right to left.
    assert f"\u2068{own_words}\u2069" in text
    for line in text.split("\n"):
        if line:
            assert first_strong_direction(line) == "rtl", line
    # Times are isolated too, so "2026-11-27 10:00:00 UTC" is not reordered.
    time_lines = [line for line in text.split("\n") if "UTC" in line]
    assert len(time_lines) == 3  # started, consented, finished
    assert all("\u2068" in line and line.index("\u2068") < line.index("UTC") for line in time_lines)
