"""Machine translation of quotes, against a fake LibreTranslate on 127.0.0.1 started by each test."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.config import ConfigError, load_settings
from bot.report.quote_translation import (
    LibreTranslateProvider,
    QuoteTranslator,
    provider_from_settings,
    service_code,
)
from tests.support import make_settings

API_KEY = "lt-key-7f3a9c21-do-not-log"

# Residents' words: none of them may reach the log.
QUOTES = [
    ("Jag åker till Hallunda varje månad.", "sv"),
    ("I go to the office because I need help with forms.", "en"),
    ("أحتاج إلى مساعدة في ملء الاستمارات", "ar"),
    ("Waxaan u baahanahay caawimaad luqadda.", "so"),
    ("Trebam pomoć oko papira za penziju.", "hbs"),
    ("Ez diçim ofîsê ji ber ku alîkarî hewce ye.", "kmr"),
    ("Det är lätt att åka dit.", "sv-easy"),
    ("ሓገዝ የድልየኒ እዩ ምስ ወረቓቕቲ።", "ti"),
]


class FakeLibreTranslate:
    """Answers ``POST /translate`` with "[target] " + text, or fails as told."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_status: int | None = None
        self.refused_languages: set[str] = set()
        self.delay = 0.0
        self.body: str | None = None
        self.in_flight = 0
        self._stopping = asyncio.Event()
        self.most_in_flight = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/translate", self._translate)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _translate(self, request: web.Request) -> web.StreamResponse:
        payload = await request.json()
        self.requests.append(payload)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                # Ends early when the test stops the server, so teardown does not wait.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.delay)
            if self.fail_status is not None:
                # LibreTranslate's 500 quotes the failure, which may include the text.
                return web.json_response({"error": f"Cannot translate text: {payload['q']}"}, status=500)
            if payload["source"] in self.refused_languages:
                return web.json_response({"error": f"{payload['source']} is not supported"}, status=400)
            if self.body is not None:
                return web.Response(text=self.body, content_type="text/html")
            await asyncio.sleep(0.01)  # long enough for requests to overlap
            return web.json_response({"translatedText": f"[{payload['target']}] {payload['q']}"})
        finally:
            self.in_flight -= 1


@pytest.fixture
async def service() -> AsyncIterator[FakeLibreTranslate]:
    fake = FakeLibreTranslate()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def texts_of(quotes: list[tuple[str, str]]) -> list[str]:
    return [text for text, _ in quotes]


async def test_translations_come_back_in_order(service: FakeLibreTranslate) -> None:
    provider: QuoteTranslator = LibreTranslateProvider(service.url, None, 5.0)
    results = await provider.translate(QUOTES)
    expected = [None if code in ("sv", "sv-easy") else f"[sv] {text}" for text, code in QUOTES]
    assert results == expected
    # Swedish quotes are not sent; every request asks for plain text in Swedish, without a key.
    assert len(service.requests) == len(QUOTES) - 2
    assert all(r["target"] == "sv" and r["format"] == "text" for r in service.requests)
    assert all("api_key" not in r for r in service.requests)
    assert {r["q"]: r["source"] for r in service.requests}[QUOTES[4][0]] == "sr"
    assert {r["q"]: r["source"] for r in service.requests}[QUOTES[5][0]] == "ku"


async def test_requests_run_concurrently_but_bounded(service: FakeLibreTranslate) -> None:
    quotes = [(f"Berättelse nummer {n} på engelska", "en") for n in range(12)]
    results = await LibreTranslateProvider(service.url, None, 5.0).translate(quotes)
    assert results == [f"[sv] {text}" for text in texts_of(quotes)]
    assert 1 < service.most_in_flight <= 4


async def test_a_repeated_quote_is_requested_once(service: FakeLibreTranslate) -> None:
    quotes = [("Same words", "en"), ("Other words", "en"), ("Same words", "en")]
    results = await LibreTranslateProvider(service.url, None, 5.0).translate(quotes)
    assert results == ["[sv] Same words", "[sv] Other words", "[sv] Same words"]
    assert len(service.requests) == 2


async def test_the_api_key_is_sent(service: FakeLibreTranslate) -> None:
    await LibreTranslateProvider(service.url, API_KEY, 5.0).translate([("Hello", "en")])
    assert service.requests == [
        {"q": "Hello", "source": "en", "target": "sv", "format": "text", "api_key": API_KEY}
    ]


async def test_a_refused_language_gives_none_for_its_texts_only(
    service: FakeLibreTranslate, caplog: pytest.LogCaptureFixture
) -> None:
    service.refused_languages = {"ti"}
    caplog.set_level(logging.WARNING, logger="bot.report.quote_translation")
    results = await LibreTranslateProvider(service.url, None, 5.0).translate(QUOTES)
    for (text, code), result in zip(QUOTES, results, strict=True):
        if code in ("sv", "sv-easy", "ti"):
            assert result is None
        else:
            assert result == f"[sv] {text}"
    warnings = [r for r in caplog.records if r.name == "bot.report.quote_translation"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "1 of 6" in warnings[0].getMessage()
    assert "HTTP 400 (ti: 1)" in warnings[0].getMessage()


async def test_a_failing_service_gives_none_and_one_warning(
    service: FakeLibreTranslate, caplog: pytest.LogCaptureFixture
) -> None:
    service.fail_status = 500
    caplog.set_level(logging.WARNING, logger="bot.report.quote_translation")
    results = await LibreTranslateProvider(service.url, None, 5.0).translate(QUOTES)
    assert results == [None] * len(QUOTES)
    warnings = [r for r in caplog.records if r.name == "bot.report.quote_translation"]
    assert len(warnings) == 1
    assert "6 of 6" in warnings[0].getMessage() and "HTTP 500" in warnings[0].getMessage()


async def test_a_slow_service_gives_none_without_an_exception(service: FakeLibreTranslate) -> None:
    service.delay = 3.0
    quotes = [(f"Slow story {n}", "en") for n in range(10)]
    started = time.monotonic()
    results = await LibreTranslateProvider(service.url, None, 0.3).translate(quotes)
    elapsed = time.monotonic() - started
    assert results == [None] * len(quotes)
    # One timeout marks the service down: the texts not yet sent are not sent at all, so the
    # report waits about one timeout, not one per quote.
    assert elapsed < 2.0
    assert len(service.requests) <= 4


async def test_an_unreachable_service_gives_none() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more: the connection is refused.
    results = await LibreTranslateProvider(f"http://127.0.0.1:{port}", None, 2.0).translate(QUOTES[1:3])
    assert results == [None, None]


async def test_an_unreadable_answer_gives_none(service: FakeLibreTranslate) -> None:
    service.body = "<html>maintenance</html>"
    assert await LibreTranslateProvider(service.url, None, 5.0).translate([("Hello", "en")]) == [None]


async def test_the_log_holds_neither_quotes_nor_key(
    service: FakeLibreTranslate, caplog: pytest.LogCaptureFixture
) -> None:
    # Everything any logger says (httpx, httpcore, aiohttp included), at every level.
    caplog.set_level(logging.DEBUG)
    provider = LibreTranslateProvider(service.url, API_KEY, 0.3)
    await provider.translate(QUOTES)
    service.refused_languages = {"ar", "so"}
    await provider.translate(QUOTES)
    service.refused_languages = set()
    service.fail_status = 500
    await provider.translate(QUOTES)
    service.fail_status = None
    service.delay = 2.0
    await provider.translate(QUOTES)
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert API_KEY not in logged
    for text, _ in QUOTES:
        assert text not in logged
        assert text[:12] not in logged
    assert API_KEY not in repr(provider)


def test_language_codes_are_mapped_to_the_service() -> None:
    assert service_code("hbs") == "sr"
    assert service_code("kmr") == "ku"
    assert service_code("ckb") == "ckb"
    assert service_code("prs") == "fa"
    assert service_code("fa") == "fa"
    assert service_code("no") == "nb"
    assert service_code("sv-easy") == "sv"
    assert service_code("en-GB") == "en"
    assert service_code("") is None


def test_no_provider_without_a_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRANSLATION_URL", raising=False)
    assert provider_from_settings(make_settings(tmp_path)) is None
    assert provider_from_settings(make_settings(tmp_path, translation_url="  ")) is None


async def test_a_provider_from_settings_uses_url_key_and_timeout(
    tmp_path: Path, service: FakeLibreTranslate
) -> None:
    settings = make_settings(
        tmp_path,
        translation_url=service.url + "/",
        translation_api_key=API_KEY,
        translation_timeout_seconds=0.3,
    )
    provider = provider_from_settings(settings)
    assert provider is not None and provider.name == "LibreTranslate"
    assert await provider.translate([("Hello", "en")]) == ["[sv] Hello"]
    assert service.requests[0]["api_key"] == API_KEY
    service.delay = 2.0
    assert await provider.translate([("Hello again", "en")]) == [None]


def test_an_invalid_translation_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="TRANSLATION_URL"):
        load_settings(_env_file=None, translation_url="ftp://x")
