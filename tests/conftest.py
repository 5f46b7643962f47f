from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.preview.botapi import LocalBotApi
from tests.support import TOKEN, Harness, close_harness, make_settings, open_harness


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def api() -> LocalBotApi:
    return LocalBotApi(token=TOKEN)


@pytest.fixture
async def harness(settings: Settings, api: LocalBotApi) -> AsyncIterator[Harness]:
    harness = await open_harness(settings, api)
    try:
        yield harness
    finally:
        await close_harness(harness)
