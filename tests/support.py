"""Test helpers: the real Application, driven offline through the local Bot API's dispatcher."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest, RequestData

from bot.app import build_application, open_services
from bot.config import Settings
from bot.context import Services
from bot.preview.botapi import LocalBotApi
from bot.survey.callbacks import AGREE_PREFIX
from bot.telegram.reading import read_update

TOKEN = "123456:LOCAL-TEST-TOKEN"


class OfflineRequest(BaseRequest):
    """PTB's I/O boundary answered in-process by LocalBotApi: no socket is opened."""

    def __init__(self, api: LocalBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.json_parameters) if request_data else {}
        files = None
        if request_data and request_data.contains_files:
            files = {
                name: (value[0], value[1], value[2])
                for name, value in request_data.multipart_data.items()
                if isinstance(value, tuple)
            }
        status, payload = await self.api.dispatch(api_method, params, files)
        return status, json.dumps(payload).encode()


PROJECT = Path(__file__).resolve().parent.parent


def clean_environment(**values: str) -> dict[str, str]:
    """This process's environment without any of the bot's settings (none may leak in from a
    developer's shell or .env), plus ``values``."""
    names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key not in names}
    env.update(values)
    return env


def run_bot_command(cwd: Path, *arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGUMENTS`` as an operator runs it, with only ``env`` as settings."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        cwd=cwd,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def run_bot_process(env: dict[str, str], cwd: Path, *arguments: str) -> tuple[int, str]:
    """``python -m bot ARGUMENTS`` as a process that may talk to a loopback Bot API in this
    event loop (a blocking run would stall it): its exit code and what it logged."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *arguments,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


def bot_environment(api: LocalBotApi, database: Path, **values: str) -> dict[str, str]:
    """Settings for ``python -m bot`` run as a process against the loopback Bot API; without a
    PSEUDONYM_KEY in ``values`` the bot makes its key file beside the database."""
    settings = {
        "BOT_TOKEN": api.token,
        "BOT_API_BASE_URL": api.base_url,
        "BOT_API_BASE_FILE_URL": api.base_file_url,
        "DATABASE_PATH": str(database),
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(PROJECT),
    }
    settings.update(values)
    return clean_environment(**settings)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "database_path": tmp_path / "feedback.sqlite3",
        "pseudonym_key": "test-pseudonym-key-0123456789abcdef",
        "log_level": "DEBUG",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Resident:
    """One simulated resident talking to the bot."""

    def __init__(self, harness: Harness, user_id: int, language_code: str | None = "sv") -> None:
        self.harness = harness
        self.user_id = user_id
        self.language_code = language_code

    @property
    def api(self) -> LocalBotApi:
        return self.harness.api

    async def command(self, name: str) -> None:
        await self.api.send_command(self.user_id, name, language_code=self.language_code)
        await self.harness.deliver()

    async def say(self, text: str) -> None:
        await self.api.send_message(self.user_id, text, language_code=self.language_code)
        await self.harness.deliver()

    async def press(self, data: str) -> str:
        """Press the newest visible button with this callback data; returns the query id."""
        for message in reversed(self.api.chat_messages(self.user_id)):
            if data in buttons_of(message):
                query_id = await self.api.press(
                    self.user_id, message["message_id"], data, language_code=self.language_code
                )
                await self.harness.deliver()
                return query_id
        raise AssertionError(f"no button {data!r}; last message: {self.last_text()!r}")

    async def agree(self) -> str:
        """Press "yes" on the newest consent text (its button carries that text's fingerprint)."""
        for message in reversed(self.api.chat_messages(self.user_id)):
            for data in buttons_of(message):
                if data.startswith(AGREE_PREFIX):
                    return await self.press_in(message["message_id"], data)
        raise AssertionError(f"no consent button; last message: {self.last_text()!r}")

    async def press_in(self, message_id: int, data: str) -> str:
        query_id = await self.api.press(self.user_id, message_id, data, language_code=self.language_code)
        await self.harness.deliver()
        return query_id

    def messages(self) -> list[dict[str, Any]]:
        return [m for m in self.api.chat_messages(self.user_id) if not m.get("deleted")]

    def last(self) -> dict[str, Any]:
        messages = self.messages()
        assert messages, "the bot has not written to this resident"
        return messages[-1]

    def last_text(self) -> str:
        return self.last()["text"] if self.messages() else ""

    def buttons(self) -> list[str]:
        """Callback data of the newest message that has buttons."""
        for message in reversed(self.messages()):
            data = buttons_of(message)
            if data:
                return data
        return []


def buttons_of(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [
        button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]


class Harness:
    """A real Application on a real SQLite file, fed real Update objects."""

    def __init__(self, application: Application, api: LocalBotApi, services: Services) -> None:
        self.application = application
        self.api = api
        self.services = services
        self.delivered: list[dict[str, Any]] = []

    def resident(self, user_id: int, language_code: str | None = "sv") -> Resident:
        return Resident(self, user_id, language_code)

    async def deliver(self) -> None:
        """Hand every update the simulated users produced to the application, in order."""
        for data in self.api.take_updates():
            self.delivered.append(data)
            # Read as polling and the webhook read it: an unreadable update becomes an empty one.
            update = read_update(data, self.application.bot, self.services.metrics.count_unreadable)
            if update is not None:
                await self.application.process_update(update)


async def open_harness(settings: Settings, api: LocalBotApi) -> Harness:
    services = await open_services(settings)
    builder = (
        ApplicationBuilder()
        .token(settings.require_token())
        .request(OfflineRequest(api))
        .get_updates_request(OfflineRequest(api))
    )
    application = build_application(settings, services, builder=builder)
    await application.initialize()
    return Harness(application, api, services)


async def close_harness(harness: Harness) -> None:
    await harness.application.shutdown()
    await harness.services.database.close()
