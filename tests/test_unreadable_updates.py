"""An update python-telegram-bot cannot parse is skipped: everyone else is still answered, and
nothing of it reaches the log.

The bot runs as `python -m bot` (polling, logging as in production) against the built-in Bot API
on 127.0.0.1; one resident's voice note claims a duration no timedelta can hold, so the library
fails on the whole batch that carries it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from aiohttp import web
from telegram.ext import ApplicationBuilder

from bot.logs import NoLibraryPayloads
from bot.metrics import Metrics
from bot.preview.botapi import LocalBotApi
from bot.telegram.reading import read_update
from bot.telegram.webhook import SECRET_HEADER, webhook_app
from tests.support import TOKEN, bot_environment
from tests.test_webhook import free_port

BROKEN_SENDER = 733100200301
NEIGHBOUR = 733100200302
MARKER = "Hemlighet Vbnmqwerty"


def unreadable_voice(user_id: int) -> dict[str, object]:
    """A voice note whose duration overflows: Telegram never sends it, the library cannot read it."""
    return {
        "message": {
            "message_id": 7,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": MARKER},
            "from": {"id": user_id, "is_bot": False, "first_name": MARKER, "language_code": "sv"},
            "caption": MARKER,
            "voice": {"file_id": "v1", "file_unique_id": "u1", "duration": 2**63},
        }
    }


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_polling_skips_an_unreadable_update_and_answers_the_next_resident(
    tmp_path: Path, log_format: str
) -> None:
    log_path = tmp_path / "bot.log"
    async with LocalBotApi(token=TOKEN) as api:
        env = bot_environment(api, tmp_path / "u.sqlite3", LOG_FORMAT=log_format)
        with log_path.open("w") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=tmp_path, env=env, stdout=log, stderr=log
            )
            try:
                await api.send_raw_update(unreadable_voice(BROKEN_SENDER))
                since = api.event_seq()
                await api.send_command(NEIGHBOUR, "start")
                events = await api.wait_for_bot_activity(NEIGHBOUR, since=since, timeout=20)
                assert any(event["method"] == "sendMessage" for event in events)
                await api.wait_until_idle(timeout=10, quiet=0.3)
                # Polling has moved on: nothing is left waiting for the bot.
                assert api.pending_updates() == 0
                assert not any(message["outgoing"] for message in api.conversation(BROKEN_SENDER))
            finally:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), timeout=30)
    text = log_path.read_text(encoding="utf-8")
    assert process.returncode == 0, text[-3000:]
    assert "could not be read (OverflowError)" in text, text[-3000:]
    assert MARKER not in text and str(BROKEN_SENDER) not in text and str(NEIGHBOUR) not in text
    # One line per skipped update, not a line per retry of the same batch.
    assert len(text) < 20_000, f"{len(text)} characters of log"
    if log_format == "json":
        # Every line, library warnings included, is one JSON object.
        for line in text.splitlines():
            assert isinstance(json.loads(line), dict), line


async def test_webhook_answers_an_unreadable_update_with_200_and_goes_on(tmp_path: Path) -> None:
    application = ApplicationBuilder().token(TOKEN).updater(None).build()
    metrics = Metrics()
    app = webhook_app(application, "s" * 32, "/hook", metrics.count_unreadable)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()

    def post(update: dict[str, object]) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/hook",
            data=json.dumps({"update_id": 41, **update}).encode(),
            headers={SECRET_HEADER: "s" * 32, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    try:
        assert await asyncio.to_thread(post, unreadable_voice(BROKEN_SENDER)) == 200
        assert metrics.updates_unreadable == 1
        skipped = application.update_queue.get_nowait()
        assert skipped.update_id == 41 and skipped.effective_message is None
    finally:
        await runner.cleanup()


def test_an_update_without_a_usable_id_is_dropped_and_counted() -> None:
    metrics = Metrics()
    bot = ApplicationBuilder().token(TOKEN).build().bot
    assert read_update({"update_id": "x", **unreadable_voice(1)}, bot, metrics.count_unreadable) is None
    assert metrics.updates_unreadable == 1


def test_library_log_lines_lose_their_payload_but_keep_their_text() -> None:
    update = unreadable_voice(BROKEN_SENDER)
    record = logging.LogRecord(
        "telegram.ext.ExtBot", logging.CRITICAL, __file__, 1, "Received data was %r", ([update],), None
    )
    try:
        raise ValueError(f"invalid value {MARKER}")
    except ValueError as error:
        record.exc_info = (type(error), error, error.__traceback__)
    assert NoLibraryPayloads().filter(record)
    assert record.getMessage() == "Received data was <list withheld>"
    assert record.exc_text is not None and MARKER not in record.exc_text
    assert "ValueError: (message withheld)" in record.exc_text
    # The bot's own lines are left alone: they never carry payloads.
    own = logging.LogRecord("bot.app", logging.INFO, __file__, 1, "started %s", ("survey",), None)
    assert NoLibraryPayloads().filter(own) and own.getMessage() == "started survey"
