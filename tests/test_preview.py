"""`python -m bot preview`: the real bot behind a local chat page, with its own database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.preview.server import PREVIEW_ADMIN_ID, PREVIEW_TOKEN, Preview, exposure_warning, is_loopback
from tests.support import make_settings


def fetch_page(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def fetch(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


async def call(url: str, body: dict | None = None) -> dict:
    return await asyncio.to_thread(fetch, url, body)


async def conversation_until(url: str, user: int, text: str, since: int) -> dict:
    """Long-poll the page's API until the bot's newest message contains ``text``."""
    for _ in range(20):
        state = await call(url + f"api/conversation?user={user}&since={since}")
        if state["messages"] and text in (state["messages"][-1]["text"] or ""):
            return state
        since = state["seq"]
    raise AssertionError(f"{text!r} never arrived")


async def test_preview_serves_the_real_bot_with_its_own_database(tmp_path: Path) -> None:
    production = make_settings(tmp_path / "production")
    preview = Preview(production, host="127.0.0.1", port=0, directory=tmp_path / "preview")
    await preview.start()
    try:
        page = await asyncio.to_thread(fetch_page, preview.url)
        assert b'dir="auto"' in page and b"Ethiopic" in page
        assert (await call(preview.url + "api/config"))["admin_id"] == PREVIEW_ADMIN_ID
        before = (await call(preview.url + "api/conversation?user=4242&since=0"))["seq"]
        await call(preview.url + "api/message", {"user": 4242, "text": "/start", "language_code": "sv"})
        state = await conversation_until(preview.url, 4242, "Välj språk", since=before)
        assert state["messages"][0]["text"] == "/start" and not state["messages"][0]["outgoing"]
        menu = state["messages"][-1]
        await call(
            preview.url + "api/press", {"user": 4242, "message_id": menu["message_id"], "data": "lang:sv"}
        )
        await conversation_until(preview.url, 4242, "Om undersökningen", since=state["seq"])
    finally:
        await preview.stop()
    assert (tmp_path / "preview" / "preview.sqlite3").exists()
    assert (tmp_path / "preview" / "pseudonym.key").exists()
    assert not (tmp_path / "production").exists(), "the production database is never touched"


async def test_pressing_an_unknown_message_is_a_clear_error(tmp_path: Path) -> None:
    preview = Preview(make_settings(tmp_path), host="127.0.0.1", port=0, directory=tmp_path / "p")
    await preview.start()
    try:
        with pytest.raises(urllib.error.HTTPError) as error:
            await call(preview.url + "api/press", {"user": 1, "message_id": 99, "data": "x"})
        assert error.value.code == 404
        error.value.close()
        with pytest.raises(urllib.error.HTTPError) as error:
            await call(preview.url + "api/message", {"user": "me", "text": "hej"})
        assert error.value.code == 400
        error.value.close()
    finally:
        await preview.stop()


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("192.0.2.1", False)],
)
def test_loopback_detection(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
    warning = exposure_warning(host)
    assert (warning is None) is expected
    if warning:
        assert host in warning and "no authentication" in warning


async def test_documents_the_bot_sends_can_be_downloaded(tmp_path: Path) -> None:
    from telegram import Bot

    preview = Preview(make_settings(tmp_path), host="127.0.0.1", port=0, directory=tmp_path / "p")
    await preview.start()
    try:
        await call(preview.url + "api/message", {"user": 31, "text": "hej"})
        async with Bot(PREVIEW_TOKEN, base_url=preview.api.base_url) as bot:
            await bot.send_document(31, b"response,language\r\n1,sv\r\n", filename="export.csv")
        state = await conversation_until(preview.url, 31, "", since=0)
        document = next(m["document"] for m in state["messages"] if m["document"])
        assert document["file_name"] == "export.csv" and "data" not in document
        data = await asyncio.to_thread(fetch_page, preview.url + f"api/file/{document['file_id']}")
        assert data == b"response,language\r\n1,sv\r\n"
    finally:
        await preview.stop()


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


async def test_acting_as_admin_gives_the_summary_and_a_downloadable_report(tmp_path: Path) -> None:
    preview = Preview(make_settings(tmp_path), host="127.0.0.1", port=0, directory=tmp_path / "p")
    await preview.start()
    try:
        await call(
            preview.url + "api/message", {"user": PREVIEW_ADMIN_ID, "text": "/summary", "language_code": "sv"}
        )
        state = await conversation_until(
            preview.url, PREVIEW_ADMIN_ID, "Inga svar har kommit in ännu", since=0
        )
        await call(
            preview.url + "api/message", {"user": PREVIEW_ADMIN_ID, "text": "/report", "language_code": "sv"}
        )
        for _ in range(40):
            state = await call(preview.url + f"api/conversation?user={PREVIEW_ADMIN_ID}&since={state['seq']}")
            documents = [m["document"] for m in state["messages"] if m["document"]]
            if documents:
                break
        else:
            raise AssertionError("no report arrived")
        assert documents[0]["file_name"].endswith(".docx")
        data = await asyncio.to_thread(fetch_page, preview.url + f"api/file/{documents[0]['file_id']}")
        assert data[:2] == b"PK"
        # A resident who types the same command gets the unknown-command answer.
        await call(preview.url + "api/message", {"user": 4343, "text": "/summary", "language_code": "sv"})
        await conversation_until(preview.url, 4343, "Det kommandot känner jag inte", since=0)
    finally:
        await preview.stop()
