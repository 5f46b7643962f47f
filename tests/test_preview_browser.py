"""The preview page in real headless Chromium: a whole survey in Swedish and in Arabic."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.preview.server import Preview
from bot.survey.definition import QuestionKind, load_survey
from tests.support import make_settings

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


playwright_api = pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine (Debian: apt-get install chromium; .ci/run installs it)",
)


async def complete_survey(page, language: str, story: str) -> None:  # type: ignore[no-untyped-def]
    """Answer every question through the page, as a resident would, by clicking buttons."""

    async def click(data: str) -> None:
        button = page.locator(f"button[data-callback='{data}']").last
        await button.wait_for(state="visible", timeout=15_000)
        await button.click()

    await page.fill("#text", "/start")
    await page.click("#composer button")
    await click(f"lang:{language}")
    await click("consent:yes")
    for question in load_survey().questions:
        if question.kind is QuestionKind.FREE_TEXT:
            await page.locator(f"button[data-callback='s:{question.id}']").wait_for(timeout=15_000)
            await page.fill("#text", story)
            await page.click("#composer button")
            continue
        first = question.options[0].code
        if question.kind is QuestionKind.MULTI:
            await click(f"t:{question.id}:{first}")
            await page.locator(f"button[data-callback='t:{question.id}:{first}']", has_text="☑️").wait_for()
            await click(f"d:{question.id}")
        else:
            await click(f"a:{question.id}:{first}")


async def test_survey_in_swedish_and_arabic_through_the_page(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    preview = Preview(make_settings(tmp_path), host="127.0.0.1", port=0, directory=tmp_path / "preview")
    await preview.start()
    try:
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                directions = {}
                for language, telegram_language, story, thanks in (
                    ("sv", "sv", "Jag behöver hjälp med breven.", "Tack för att du svarade"),
                    ("ar", "ar", "أحتاج إلى مساعدة في فهم الرسائل من المكتب", "شكر"),
                ):
                    # A context of its own per resident: its own tab storage, so its own user.
                    context = await browser.new_context(viewport={"width": 820, "height": 1000})
                    page = await context.new_page()
                    await page.goto(preview.url)
                    await page.select_option("#language", telegram_language)
                    await complete_survey(page, language, story)
                    last_bot_text = page.locator(".bubble:not(.mine) .text").last
                    await last_bot_text.filter(has_text=thanks).wait_for(timeout=15_000)
                    directions[language] = await last_bot_text.evaluate(
                        "element => getComputedStyle(element).direction"
                    )
                    own = page.locator(".bubble.mine .text").last
                    assert story in (await own.inner_text())
                    await page.screenshot(path=str(ARTIFACTS / f"preview-{language}.png"), full_page=False)
                    await context.close()
                assert directions == {"sv": "ltr", "ar": "rtl"}
            finally:
                await browser.close()
    finally:
        await preview.stop()
    assert (ARTIFACTS / "preview-ar.png").stat().st_size > 10_000
