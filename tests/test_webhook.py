"""Webhook mode end to end: the local Bot API POSTs updates to `python -m bot` on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench.residents import ScriptedResident
from bot.config import ConfigError, load_settings
from bot.preview.botapi import LocalBotApi
from bot.survey.definition import load_survey
from tests.support import TOKEN, bot_environment

SECRET = "webhook-secret_0123456789-abcdefghijklmno"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = json.dumps({"update_id": 99999}).encode()
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


async def test_a_resident_answers_through_the_webhook_and_sigterm_loses_nothing(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/update"
    async with LocalBotApi(token=TOKEN) as api:
        env = bot_environment(
            api,
            tmp_path / "webhook.sqlite3",
            WEBHOOK_URL=url,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=SECRET,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            for _ in range(200):
                if api.webhook is not None:
                    break
                await asyncio.sleep(0.05)
            assert api.webhook == {"url": url, "secret_token": SECRET}
            # Requests without the secret, or with a wrong one, are refused before anything is read.
            assert await asyncio.to_thread(post, url, None) == 403
            assert await asyncio.to_thread(post, url, "wrong") == 403
            polls_before = sum(method == "getUpdates" for method, _ in api.calls)
            resident = ScriptedResident(api, 8101, timeout=20)
            await resident.run(story="Jag tar bussen dit.")
            assert sum(method == "getUpdates" for method, _ in api.calls) == polls_before == 0
            assert set(api.webhook_statuses) == {200}
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert SECRET not in log and TOKEN.split(":")[1] not in log
    connection = sqlite3.connect(tmp_path / "webhook.sqlite3")
    try:
        (stage,) = connection.execute("SELECT stage FROM responses").fetchone()
        answers = connection.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    finally:
        connection.close()
    # Every question: the first options lead through all of them, the story is not an answer row.
    assert stage == "done" and answers == len(load_survey().choice_questions())


def test_webhook_needs_a_valid_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram/update")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET must be set"):
        load_settings(_env_file=None)
    monkeypatch.setenv("WEBHOOK_SECRET", "has spaces!")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET") as error:
        load_settings(_env_file=None)
    assert "has spaces" not in str(error.value)
    # Guessable: one character, or anything short of 32.
    for short in ("a", "x" * 31):
        monkeypatch.setenv("WEBHOOK_SECRET", short)
        with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
            load_settings(_env_file=None)
    monkeypatch.setenv("WEBHOOK_SECRET", "x" * 32)
    assert load_settings(_env_file=None).webhook_secret is not None
