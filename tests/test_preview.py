"""`python -m bot preview`: the real bot behind a local chat page, with its own database."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from pydantic import SecretStr

from bot.admin.demo import fill
from bot.config import Settings
from bot.context import Services
from bot.preview.botapi import LocalBotApi
from bot.preview.server import (
    PREVIEW_ADMIN_ID,
    Preview,
    exposure_warning,
    host_is_ours,
    is_loopback,
    preview_settings,
)
from bot.release.model import Release
from bot.release.service import NotEnoughNew
from bot.report.evidence import NoRelease
from storage.models import NewResponse
from storage.repository import import_responses
from tests.support import make_settings

TOKEN_HEADER = "X-Preview-Token"
# Few enough synthetic responses that a release of them takes a moment.
DEMO_RESPONSES = 40


async def demo_release(services: Services) -> Release:
    """Synthetic responses in the preview's database, and the protected release of them that
    admin figures are read from."""
    evidence = services.admin.evidence
    assert await fill(services.database, services.survey, DEMO_RESPONSES, evidence.tagger) == DEMO_RESPONSES
    return await evidence.releases.make()


async def quick_release(services: Services) -> Release:
    """As many identical completed responses as a release needs, and their release: figures to
    read, made in a moment (a release of varied answers takes many seconds)."""
    survey = services.survey
    now = datetime.now(UTC).isoformat(timespec="seconds")
    answers = tuple((question.id, question.option_codes[:1], False) for question in survey.choice_questions())
    responses = [
        NewResponse(f"test-{n}", survey.id, survey.version, survey.consent_version, "sv", now, now, answers)
        for n in range(services.settings.release_min_new)
    ]
    await import_responses(services.database, responses, services.admin.evidence.tagger.version)
    releases = services.admin.evidence.releases
    try:
        return await releases.make()
    except NotEnoughNew:
        # The preview's own schedule made it first.
        release = await releases.latest()
        assert release is not None and release.completed == services.settings.release_min_new
        return release


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def raw_request(
    url: str, *, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """One request with exactly the given headers; an HTTP error is an answer, not an exception."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, dict(error.headers), error.read())


def page_token(page: bytes) -> str:
    """The session token, read from the served page as its script reads it."""
    match = re.search(rb'<meta name="preview-token" content="([^"]+)">', page)
    assert match, "the page carries its token"
    return match.group(1).decode()


class PageClient:
    """Talks to the preview's API as page.html does: JSON bodies and the page's token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    @classmethod
    async def open(cls, url: str) -> PageClient:
        page = await asyncio.to_thread(raw_request, url)
        assert page.status == 200
        return cls(url, page_token(page.body))

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {TOKEN_HEADER: self.token, **(extra or {})}

    async def call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = self._headers({"Content-Type": "application/json"} if data is not None else None)
        answer = await asyncio.to_thread(
            raw_request,
            self.url + path,
            method="POST" if data is not None else "GET",
            body=data,
            headers=headers,
        )
        if answer.status != 200:
            raise AssertionError(f"{path}: {answer.status} {answer.body!r}")
        result: dict[str, Any] = answer.json()
        return result

    async def download(self, file_id: str) -> bytes:
        answer = await asyncio.to_thread(
            raw_request, self.url + f"api/file/{file_id}", headers=self._headers()
        )
        assert answer.status == 200, answer.body
        return answer.body

    async def conversation_until(self, user: int, text: str, since: int) -> dict[str, Any]:
        """Long-poll until the bot's newest message contains ``text``."""
        for _ in range(20):
            state = await self.call(f"api/conversation?user={user}&since={since}")
            if state["messages"] and text in (state["messages"][-1]["text"] or ""):
                return state
            since = state["seq"]
        raise AssertionError(f"{text!r} never arrived")


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[Preview, PageClient]]:
    preview = Preview(make_settings(tmp_path), host="127.0.0.1", port=0, directory=tmp_path / "p")
    await preview.start()
    try:
        yield preview, await PageClient.open(preview.url)
    finally:
        await preview.stop()


async def test_preview_serves_the_real_bot_with_its_own_database(tmp_path: Path) -> None:
    production = make_settings(tmp_path / "production")
    preview = Preview(production, host="127.0.0.1", port=0, directory=tmp_path / "preview")
    await preview.start()
    try:
        page = await asyncio.to_thread(raw_request, preview.url)
        assert b'dir="auto"' in page.body and b"Ethiopic" in page.body
        # A token of its own for each run; the page is never cached with an old one.
        assert "no-store" in page.headers["Cache-Control"]
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        client = PageClient(preview.url, page_token(page.body))
        assert (await client.call("api/config"))["admin_id"] == PREVIEW_ADMIN_ID
        before = (await client.call("api/conversation?user=4242&since=0"))["seq"]
        await client.call("api/message", {"user": 4242, "text": "/start", "language_code": "sv"})
        state = await client.conversation_until(4242, "Välj språk", since=before)
        assert state["messages"][0]["text"] == "/start" and not state["messages"][0]["outgoing"]
        menu = state["messages"][-1]
        await client.call("api/press", {"user": 4242, "message_id": menu["message_id"], "data": "lang:sv"})
        await client.conversation_until(4242, "Om undersökningen", since=state["seq"])
    finally:
        await preview.stop()
    assert (tmp_path / "preview" / "preview.sqlite3").exists()
    assert (tmp_path / "preview" / "pseudonym.key").exists()
    assert not (tmp_path / "production").exists(), "the production database is never touched"


async def test_each_run_has_its_own_token(tmp_path: Path) -> None:
    tokens = []
    for _ in range(2):
        preview = Preview(make_settings(tmp_path), host="127.0.0.1", port=0, directory=tmp_path / "p")
        await preview.start()
        try:
            tokens.append((await PageClient.open(preview.url)).token)
        finally:
            await preview.stop()
    assert tokens[0] != tokens[1] and all(len(token) >= 32 for token in tokens)


async def test_pressing_an_unknown_message_is_a_clear_error(running: tuple[Preview, PageClient]) -> None:
    _, client = running
    answer = await client_post(client, "api/press", {"user": 1, "message_id": 99, "data": "x"})
    assert answer.status == 404 and answer.json() == {"error": "no such message"}
    answer = await client_post(client, "api/message", {"user": "me", "text": "hej"})
    assert answer.status == 400 and "user" in answer.json()["error"]


async def client_post(
    client: PageClient,
    path: str,
    body: Any,
    headers: dict[str, str | None] | None = None,
    *,
    raw: bytes | None = None,
) -> Answer:
    """A POST as the page makes it, with ``headers`` replacing, adding to or (None) removing the
    page's own."""
    wanted = {TOKEN_HEADER: client.token, "Content-Type": "application/json", **(headers or {})}
    sent = {name: value for name, value in wanted.items() if value is not None}
    data = raw if raw is not None else json.dumps(body).encode()
    return await asyncio.to_thread(raw_request, client.url + path, method="POST", body=data, headers=sent)


async def client_get(client: PageClient, path: str, headers: dict[str, str | None] | None = None) -> Answer:
    wanted = {TOKEN_HEADER: client.token, **(headers or {})}
    sent = {name: value for name, value in wanted.items() if value is not None}
    return await asyncio.to_thread(raw_request, client.url + path, headers=sent)


async def nothing_reached_the_bot(preview: Preview, user: int) -> bool:
    await asyncio.sleep(0.2)
    return preview.api.conversation(user) == []


async def test_a_cross_origin_post_is_refused(running: tuple[Preview, PageClient]) -> None:
    preview, client = running
    message = {"user": PREVIEW_ADMIN_ID, "text": "/export", "language_code": "sv"}
    for origin in ("http://evil.example", "null", f"http://localhost:{preview.port + 1}"):
        answer = await client_post(client, "api/message", message, {"Origin": origin})
        assert answer.status == 403, origin
        assert "error" in answer.json()
    # What the browser says of a request another site's page made, even without an Origin.
    answer = await client_post(client, "api/message", message, {"Sec-Fetch-Site": "cross-site"})
    assert answer.status == 403
    assert await nothing_reached_the_bot(preview, PREVIEW_ADMIN_ID)
    # The page's own origin, under any of the names it answers to, is fine.
    for name in ("127.0.0.1", "localhost"):
        own = f"{name}:{preview.port}"
        answer = await client_post(
            client, "api/message", {"user": 77, "text": "hej"}, {"Origin": f"http://{own}", "Host": own}
        )
        assert answer.status == 200, answer.body


async def test_a_text_plain_post_is_refused(running: tuple[Preview, PageClient]) -> None:
    preview, client = running
    body = json.dumps({"user": PREVIEW_ADMIN_ID, "text": "/export"}).encode()
    # The form another site can send without asking: text/plain, no token.
    answer = await client_post(
        client, "api/message", None, {TOKEN_HEADER: None, "Content-Type": "text/plain"}, raw=body
    )
    assert answer.status == 403
    # Even with the token, a body that does not say it is JSON is refused.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "", None):
        answer = await client_post(client, "api/message", None, {"Content-Type": content_type}, raw=body)
        assert answer.status == 415, content_type
        assert "application/json" in answer.json()["error"]
    assert await nothing_reached_the_bot(preview, PREVIEW_ADMIN_ID)


async def test_a_foreign_host_is_refused(running: tuple[Preview, PageClient]) -> None:
    """DNS rebinding: another site's name pointed at 127.0.0.1 reaches the port, with its own Host."""
    preview, client = running
    for host in (
        f"evil.example:{preview.port}",
        "evil.example",
        f"127.0.0.1:{preview.port + 1}",
        f"localhost.evil.example:{preview.port}",
        f"127.0.0.1:{preview.port}@evil.example",
        "",
    ):
        page = await asyncio.to_thread(raw_request, preview.url, headers={"Host": host})
        assert page.status == 421, host
        assert b"preview-token" not in page.body
        answer = await client_get(client, f"api/conversation?user={PREVIEW_ADMIN_ID}&since=0", {"Host": host})
        assert answer.status == 421, host
        answer = await client_post(client, "api/message", {"user": 5, "text": "hej"}, {"Host": host})
        assert answer.status == 421, host
    assert await nothing_reached_the_bot(preview, 5)
    for host in (f"127.0.0.1:{preview.port}", f"LOCALHOST:{preview.port}", f"[::1]:{preview.port}"):
        page = await asyncio.to_thread(raw_request, preview.url, headers={"Host": host})
        assert page.status == 200, host


@pytest.mark.parametrize(
    ("listen", "header", "expected"),
    [
        ("127.0.0.1", "127.0.0.1:8080", True),
        ("127.0.0.1", "localhost:8080", True),
        ("127.0.0.1", "[::1]:8080", True),
        ("127.0.0.1", "127.0.0.1:8081", False),
        ("127.0.0.1", "127.0.0.1", False),
        ("127.0.0.1", "rebound.example:8080", False),
        ("127.0.0.1", "192.0.2.7:8080", False),
        ("127.0.0.1", "::1:8080", False),
        ("127.0.0.1", "[::1]8080", False),
        ("127.0.0.1", "127.0.0.1:+8080", False),
        ("127.0.0.1", None, False),
        ("::1", "[::1]:8080", True),
        ("192.0.2.7", "192.0.2.7:8080", True),
        ("192.0.2.7", "192.0.2.8:8080", False),
        ("preview.lan", "Preview.LAN:8080", True),
        ("preview.lan", "other.lan:8080", False),
        # Listening everywhere: reached by an address, never by a name that could be rebound.
        ("0.0.0.0", "192.0.2.7:8080", True),
        ("0.0.0.0", "[2001:db8::1]:8080", True),
        ("0.0.0.0", "rebound.example:8080", False),
    ],
)
def test_host_header_rule(listen: str, header: str | None, expected: bool) -> None:
    assert host_is_ours(header, listen, 8080) is expected


def test_host_header_without_a_port_on_port_80() -> None:
    assert host_is_ours("127.0.0.1", "127.0.0.1", 80)
    assert not host_is_ours("127.0.0.1:8080", "127.0.0.1", 80)


async def test_every_api_request_needs_the_token(running: tuple[Preview, PageClient]) -> None:
    preview, client = running
    for token in (None, "", "wrong", client.token[:-1], client.token + "x", "ä" + client.token[1:]):
        for path in ("api/config", f"api/conversation?user={PREVIEW_ADMIN_ID}&since=0"):
            answer = await client_get(client, path, {TOKEN_HEADER: token})
            assert answer.status == 403, (token, path)
            assert answer.json()["error"]
        answer = await client_post(client, "api/message", {"user": 9, "text": "hej"}, {TOKEN_HEADER: token})
        assert answer.status == 403, token
    # A token somewhere other than the header does not count.
    answer = await client_get(client, f"api/config?token={client.token}", {TOKEN_HEADER: None})
    assert answer.status == 403
    assert await nothing_reached_the_bot(preview, 9)


async def test_documents_the_bot_sends_can_be_downloaded_with_the_token_only(
    running: tuple[Preview, PageClient],
) -> None:
    from telegram import Bot

    preview, client = running
    await client.call("api/message", {"user": 31, "text": "hej"})
    async with Bot(preview.api.token, base_url=preview.api.base_url) as bot:
        await bot.send_document(31, b"response,language\r\n1,sv\r\n", filename="export.csv")
    state = await client.conversation_until(31, "", since=0)
    document = next(m["document"] for m in state["messages"] if m["document"])
    assert document["file_name"] == "export.csv" and "data" not in document
    path = f"api/file/{document['file_id']}"
    # A plain link, from this page or another site's, carries no token.
    without: list[dict[str, str | None]] = [{TOKEN_HEADER: None}, {TOKEN_HEADER: ""}, {TOKEN_HEADER: "wrong"}]
    for headers in without:
        answer = await client_get(client, path, headers)
        assert answer.status == 403 and b"response" not in answer.body
    answer = await client_get(client, path + f"?token={client.token}", {TOKEN_HEADER: None})
    assert answer.status == 403
    answer = await client_get(client, path, {"Origin": "http://evil.example"})
    assert answer.status == 403
    answer = await client_get(client, path)
    assert answer.status == 200 and answer.body == b"response,language\r\n1,sv\r\n"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    for file_id, status in (("LOCAL-document-999999", 404), ("..%2F..%2Fetc", 400), ("a%20b", 400)):
        answer = await client_get(client, f"api/file/{file_id}")
        assert answer.status == status, file_id
        assert answer.json()["error"]


@pytest.mark.parametrize("since", ["abc", "-1", "1e3", "1.5", "", "%201", "0x10", "%E0%A5%A7", "9" * 40])
async def test_junk_since_is_a_clear_400(running: tuple[Preview, PageClient], since: str) -> None:
    _, client = running
    answer = await client_get(client, f"api/conversation?user=5&since={since}")
    assert answer.status == 400
    assert "since" in answer.json()["error"]


@pytest.mark.parametrize("user", ["abc", "-5", "0", "1.5", "", "9" * 40])
async def test_junk_user_in_the_query_is_a_clear_400(running: tuple[Preview, PageClient], user: str) -> None:
    _, client = running
    answer = await client_get(client, f"api/conversation?user={user}&since=0")
    assert answer.status == 400
    assert "user" in answer.json()["error"]


@pytest.mark.parametrize("message_id", ["abc", "12", 1.5, True, -1, 0, None, [1], {"a": 1}, 2**70])
async def test_junk_message_id_is_a_clear_400(running: tuple[Preview, PageClient], message_id: Any) -> None:
    _, client = running
    answer = await client_post(client, "api/press", {"user": 5, "message_id": message_id, "data": "x"})
    assert answer.status == 400, answer.body
    assert "message_id" in answer.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"user": 5, "text": ["hej"]},
        {"user": 5, "text": "x" * 4097},
        {"user": 5, "text": "   "},
        {"user": 5, "text": "hej", "language_code": {"a": 1}},
        {"user": 5, "text": "hej", "language_code": "sv\r\nX: y"},
        {"user": True, "text": "hej"},
        {"user": 2**60, "text": "hej"},
    ],
)
async def test_junk_message_fields_are_a_clear_400(running: tuple[Preview, PageClient], body: Any) -> None:
    preview, client = running
    answer = await client_post(client, "api/message", body)
    assert answer.status == 400, answer.body
    assert answer.json()["error"]
    assert await nothing_reached_the_bot(preview, 5)


async def test_junk_callback_data_is_a_clear_400(running: tuple[Preview, PageClient]) -> None:
    _, client = running
    for data in (5, ["x"], "é" * 40):
        answer = await client_post(client, "api/press", {"user": 5, "message_id": 1, "data": data})
        assert answer.status == 400, data
        assert "data" in answer.json()["error"]


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"user": 5, "text": "hej", "x": [[[[[[1]]]]]]}',
        b"not json",
        b'{"user": 5, "text": "\xff"}',
        b'"a string"',
        b'{"user": 1' + b"0" * 5000 + b', "text": "hej"}',
    ],
)
async def test_malformed_json_is_a_clear_400(running: tuple[Preview, PageClient], raw: bytes) -> None:
    _, client = running
    answer = await client_post(client, "api/message", None, raw=raw)
    assert answer.status == 400, answer.body
    assert answer.json()["error"]


async def test_brackets_inside_strings_do_not_count_as_nesting(running: tuple[Preview, PageClient]) -> None:
    _, client = running
    answer = await client_post(client, "api/message", {"user": 6, "text": '[[[[[{{{{{ \\" [[[[[['})
    assert answer.status == 200, answer.body


async def test_an_oversized_body_is_refused(running: tuple[Preview, PageClient]) -> None:
    preview, client = running
    body = {"user": 5, "text": "hej", "padding": "x" * 200_000}
    answer = await client_post(client, "api/message", body)
    assert answer.status == 413
    assert answer.json()["error"]
    assert await nothing_reached_the_bot(preview, 5)


async def test_unknown_api_paths_answer_in_json(running: tuple[Preview, PageClient]) -> None:
    _, client = running
    answer = await client_get(client, "api/nothing-here")
    assert answer.status == 404 and answer.json()["error"]
    answer = await client_get(client, "api/message")
    assert answer.status == 405 and answer.json()["error"]


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("192.0.2.1", False)],
)
def test_loopback_detection(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
    warning = exposure_warning(host)
    assert (warning is None) is expected
    if warning:
        assert host in warning and "anyone who can reach it" in warning


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def production_environment(tmp_path: Path, metrics_port: int) -> dict[str, str]:
    return {
        "BOT_TOKEN": "123456:PRODUCTION-SECRET",
        "BOT_API_BASE_URL": "https://bot-api.production.example/bot",
        "DATABASE_PATH": str(tmp_path / "production" / "feedback.sqlite3"),
        "PSEUDONYM_KEY": "production-pseudonym-key",
        "ADMIN_IDS": "555,666",
        "TRANSLATION_URL": "https://translate.production.example",
        "TRANSLATION_API_KEY": "production-translation-key",
        "WEBHOOK_URL": "https://bot.production.example/telegram",
        "WEBHOOK_SECRET": "production-webhook-secret-" + "x" * 32,
        "METRICS_PORT": str(metrics_port),
    }


async def test_the_preview_takes_no_production_secrets_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics_port = free_port()
    for name, value in production_environment(tmp_path, metrics_port).items():
        monkeypatch.setenv(name, value)
    production = Settings(_env_file=None)  # type: ignore[call-arg]
    assert production.translation_url and production.metrics_port == metrics_port
    preview = Preview(production, host="127.0.0.1", port=0, directory=tmp_path / "preview")
    await preview.start()
    try:
        services = preview.services
        settings = services.settings
        # Its own, empty database: nothing to show until a release of its own responses.
        with pytest.raises(NoRelease) as waiting:
            await services.admin.evidence.summary()
        assert (waiting.value.started, waiting.value.completed) == (0, 0)
        release = await quick_release(services)
        summary = await services.admin.evidence.summary()
        assert summary.completed == release.completed == settings.release_min_new
        assert summary.translation_provider is None
        assert settings.translation_url is None and settings.translation_api_key is None
        assert settings.webhook_url is None and settings.webhook_secret is None
        assert settings.metrics_port is None
        assert settings.admin_ids == frozenset({PREVIEW_ADMIN_ID})
        assert settings.database_path == tmp_path / "preview" / "preview.sqlite3"
        assert settings.pseudonym_key is None
        assert settings.bot_api_base_url == preview.api.base_url
        assert settings.bot_token is not None and settings.bot_token.get_secret_value() == preview.api.token
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", metrics_port)) != 0, "no metrics endpoint of the preview"
    finally:
        await preview.stop()
    key = (tmp_path / "preview" / "pseudonym.key").read_bytes()
    assert b"production" not in key
    assert not (tmp_path / "production").exists()


def test_preview_settings_keep_only_what_cannot_reach_production(tmp_path: Path) -> None:
    """A setting added later is reset unless it is named as safe to keep: fail closed."""
    production = make_settings(
        tmp_path / "production",
        translation_url="https://translate.production.example",
        translation_api_key="k",
        webhook_url="https://bot.production.example/telegram",
        webhook_secret="s" * 32,
        webhook_listen="0.0.0.0",
        metrics_port=9100,
        metrics_listen="0.0.0.0",
        admin_ids="555",
        bot_api_base_url="https://bot-api.production.example/bot",
        retention_days=30,
        default_language="en",
    )
    api = LocalBotApi()
    settings = preview_settings(production, api, tmp_path / "preview")
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.retention_days == 30 and settings.default_language == "en"
    assert settings.webhook_listen == defaults.webhook_listen == "127.0.0.1"
    assert settings.metrics_listen == defaults.metrics_listen
    for name in ("translation_url", "translation_api_key", "webhook_url", "webhook_secret", "metrics_port"):
        assert getattr(settings, name) is None, name
    assert isinstance(settings.bot_token, SecretStr)


async def test_preview_command_prints_its_address_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_PATH")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "preview", "--port", "0", "--data", str(tmp_path / "p"),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
    assert line.startswith("Preview running at http://127.0.0.1:")
    process.send_signal(signal.SIGINT)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert "Preview stopped." in stdout.decode()
    assert "WARNING" not in stderr.decode()


NO_RELEASE_YET = (
    "Det finns ingen sammanställning av svaren ännu. Hittills har ungefär 0 personer påbörjat och "
    "ungefär 0 fullföljt enkäten (avrundat till tiotal)."
)


async def test_acting_as_admin_gives_the_summary_and_a_downloadable_report(
    running: tuple[Preview, PageClient],
) -> None:
    preview, client = running
    # An empty database: no release, so the admin commands say so, with no figures.
    await client.call("api/message", {"user": PREVIEW_ADMIN_ID, "text": "/summary", "language_code": "sv"})
    state = await client.conversation_until(PREVIEW_ADMIN_ID, NO_RELEASE_YET, since=0)
    await client.call("api/message", {"user": PREVIEW_ADMIN_ID, "text": "/report", "language_code": "sv"})
    state = await client.conversation_until(PREVIEW_ADMIN_ID, NO_RELEASE_YET, since=state["seq"])
    everything = (await client.call(f"api/conversation?user={PREVIEW_ADMIN_ID}&since=0"))["messages"]
    assert not any(m["document"] for m in everything)
    assert not any("Påbörjade svar:" in (m["text"] or "") for m in everything)

    # With synthetic responses and a release of them, the same commands give figures.
    release = await demo_release(preview.services)
    await client.call("api/message", {"user": PREVIEW_ADMIN_ID, "text": "/summary", "language_code": "sv"})
    state = await client.conversation_until(PREVIEW_ADMIN_ID, "Fullständiga svar:", since=state["seq"])
    summary = state["messages"][-1]["text"]
    assert "SYNTETISKA TESTDATA" in summary
    assert "Siffrorna är från sammanställningen" in summary
    assert f"Fullständiga svar: {release.completed}" in summary
    await client.call("api/message", {"user": PREVIEW_ADMIN_ID, "text": "/report", "language_code": "sv"})
    for _ in range(40):
        state = await client.call(f"api/conversation?user={PREVIEW_ADMIN_ID}&since={state['seq']}")
        documents = [m["document"] for m in state["messages"] if m["document"]]
        if documents:
            break
    else:
        raise AssertionError("no report arrived")
    assert documents[0]["file_name"].endswith(".docx")
    content = await client.download(documents[0]["file_id"])
    assert content[:2] == b"PK"
    text = "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(content)).paragraphs)
    assert "SYNTETISKA" in text and "Alla siffror kommer från en och samma sammanställning" in text
    # A resident who types the same command gets the unknown-command answer.
    await client.call("api/message", {"user": 4343, "text": "/summary", "language_code": "sv"})
    await client.conversation_until(4343, "Det kommandot känner jag inte", since=0)


OLD_FIXED_TOKEN = "100000:PREVIEW-LOCAL-ONLY"


def test_the_bot_api_token_is_new_each_run(tmp_path: Path) -> None:
    """Another web page could use a token everyone knows; each run makes one of its own."""
    previews = [
        Preview(make_settings(tmp_path), host="127.0.0.1", port=0, directory=tmp_path / "p") for _ in "ab"
    ]
    tokens = [preview.api.token for preview in previews]
    assert tokens[0] != tokens[1] and OLD_FIXED_TOKEN not in tokens
    for preview, token in zip(previews, tokens, strict=True):
        assert re.fullmatch(r"[1-9][0-9]{9}:[A-Za-z0-9_-]{43}", token), token
        settings = preview_settings(preview.base_settings, preview.api, tmp_path / "p")
        assert settings.bot_token is not None and settings.bot_token.get_secret_value() == token


async def test_another_page_cannot_put_a_message_in_the_chat(running: tuple[Preview, PageClient]) -> None:
    """A page on another site POSTs a "simple" text/plain request straight to the built-in Bot API."""
    preview, client = running
    await client.call("api/message", {"user": 41, "text": "hej"})
    markup = {"inline_keyboard": [[{"text": "Log in", "url": "https://evil.example/login"}]]}
    phishing = json.dumps({"chat_id": 41, "text": "Your session expired", "reply_markup": markup}).encode()
    for token in (preview.api.token, OLD_FIXED_TOKEN):
        answer = await asyncio.to_thread(
            raw_request,
            f"{preview.api.base_url}{token}/sendMessage",
            method="POST",
            body=phishing,
            headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://evil.example"},
        )
        assert answer.status in (401, 403), answer.body
        assert answer.json()["ok"] is False
    await asyncio.sleep(0.2)
    texts = [
        message["text"] for message in (await client.call("api/conversation?user=41&since=0"))["messages"]
    ]
    assert "Your session expired" not in texts


async def test_a_lone_surrogate_is_refused_and_the_bot_keeps_answering(
    running: tuple[Preview, PageClient],
) -> None:
    """Text that cannot be written as UTF-8 once wedged the bot's polling for everyone."""
    preview, client = running
    answer = await client_post(client, "api/message", {"user": 5, "text": "hej \ud800 x"})
    assert answer.status == 400 and answer.json()["error"]
    answer = await client_post(client, "api/press", {"user": 5, "message_id": 1, "data": "lang:\udfff"})
    assert answer.status == 400 and "data" in answer.json()["error"]
    assert await nothing_reached_the_bot(preview, 5)
    await client.call("api/message", {"user": 5, "text": "/start", "language_code": "sv"})
    await asyncio.wait_for(client.conversation_until(5, "Välj språk", since=0), timeout=30)
