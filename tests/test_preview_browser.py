"""The preview page in real headless Chromium: a whole survey in Swedish and in Arabic."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.preview.server import PREVIEW_ADMIN_ID, Preview
from bot.survey.callbacks import AGREE_PREFIX
from bot.survey.definition import QuestionKind, load_survey
from tests.support import make_settings
from tests.test_preview import quick_release

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
    # The "yes" button's data ends with the consent text's fingerprint.
    agree = page.locator(f"button[data-callback^='{AGREE_PREFIX}']").last
    await agree.wait_for(state="visible", timeout=15_000)
    await agree.click()
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


async def test_the_admin_downloads_the_report_through_the_page(tmp_path: Path) -> None:
    """The download carries the page's token: the page fetches it and hands it over as a file."""
    preview = Preview(make_settings(tmp_path), host="127.0.0.1", port=0, directory=tmp_path / "preview")
    await preview.start()
    try:
        # The report is of the latest release: one is made before the admin asks.
        await quick_release(preview.services)
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                context = await browser.new_context(accept_downloads=True)
                page = await context.new_page()
                await page.goto(preview.url)
                await page.select_option("#role", "admin")
                await page.locator("#who", has_text=str(PREVIEW_ADMIN_ID)).wait_for()
                await page.fill("#text", "/report")
                await page.click("#composer button")
                button = page.locator(".bubble button.download").last
                await button.wait_for(timeout=15_000)
                async with page.expect_download() as download_info:
                    await button.click()
                download = await download_info.value
                assert download.suggested_filename.endswith(".docx")
                saved = tmp_path / "saved.docx"
                await download.save_as(saved)
                assert saved.read_bytes().startswith(b"PK")  # a Word document is a zip file
            finally:
                await browser.close()
    finally:
        await preview.stop()


ATTACKER_PAGE = """<!doctype html><html><body><script>
const target = %s;
window.attempts = (async () => {
  const outcome = {};
  // The simple request any page may send without asking: text/plain, no custom header.
  try {
    await fetch(target + "api/message", {
      method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ user: %d, text: "/export", language_code: "sv" }),
    });
    outcome.post = "sent";
  } catch (error) { outcome.post = "blocked"; }
  try {
    const response = await fetch(target + "api/conversation?user=%d&since=0");
    outcome.read = await response.text();
  } catch (error) { outcome.read = "blocked"; }
  return outcome;
})();
</script></body></html>"""


@pytest.fixture
async def attacker_site() -> AsyncIterator[tuple[web.AppRunner, list[str]]]:
    """Another web page the same browser has open, on another origin of this computer."""
    pages: list[str] = []

    async def serve(request: web.Request) -> web.Response:
        return web.Response(text=pages[0], content_type="text/html")

    app = web.Application()
    app.add_routes([web.get("/", serve)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield runner, pages
    finally:
        await runner.cleanup()


async def test_another_page_in_the_browser_cannot_act_as_the_admin(
    tmp_path: Path, attacker_site: tuple[web.AppRunner, list[str]]
) -> None:
    runner, pages = attacker_site
    preview = Preview(make_settings(tmp_path), host="127.0.0.1", port=0, directory=tmp_path / "preview")
    await preview.start()
    try:
        pages.append(ATTACKER_PAGE % (json.dumps(preview.url), PREVIEW_ADMIN_ID, PREVIEW_ADMIN_ID))
        attacker_url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                page = await browser.new_page()
                await page.goto(attacker_url)
                outcome = await page.evaluate("window.attempts")
            finally:
                await browser.close()
        assert outcome["read"] == "blocked"
        await asyncio.sleep(0.5)
        assert preview.api.conversation(PREVIEW_ADMIN_ID) == [], "the request reached the bot"
    finally:
        await preview.stop()
