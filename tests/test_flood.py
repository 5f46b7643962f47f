"""Flood control: thirty messages or presses in a burst get a few answers, nobody else notices,
and the flooding resident is served again after a pause."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User

from bench.residents import ScriptedResident, agree_data, button_data
from bot.preview.botapi import LocalBotApi
from bot.survey.definition import QuestionKind, load_survey
from bot.telegram.flood import FloodGuard, TokenBuckets
from tests.support import TOKEN
from tests.test_faults import polling_bot

SURVEY = load_survey()
BURST = 30
# FLOOD_BURST (5) answers, plus the first press when nothing else was pending.
MAX_REPLIES = 6
REPLY_METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup")

# ---------------------------------------------------------------------------------------------
# The buckets, on a fake clock.
# ---------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_then_one_a_second() -> None:
    clock = Clock()
    buckets = TokenBuckets(5, 1.0, clock=clock)
    assert [buckets.take("a")[0] for _ in range(7)] == [True] * 5 + [False] * 2
    clock.now += 0.5
    assert not buckets.take("a")[0]
    clock.now += 0.5
    assert buckets.take("a")[0] and not buckets.take("a")[0]
    assert buckets.take("b")[0], "one resident's flood leaves the others alone"


def test_a_flood_is_reported_once_until_it_ends() -> None:
    clock = Clock()
    buckets = TokenBuckets(1, 1.0, clock=clock)
    assert buckets.take("a") == (True, False)
    assert buckets.take("a") == (False, True)
    assert buckets.take("a") == (False, False)
    clock.now += 1
    assert buckets.take("a") == (True, False)
    assert buckets.take("a") == (False, True)


def test_memory_stays_bounded() -> None:
    clock = Clock()
    buckets = TokenBuckets(5, 1.0, clock=clock, max_keys=1000)
    for key in range(800):
        buckets.take(key)
    assert len(buckets) == 800
    clock.now += 5  # every bucket is full again: nothing left to remember
    buckets.take("late")
    assert len(buckets) == 1
    for key in range(5000):
        buckets.take(key)
    assert len(buckets) == 1000


def test_presses_cost_only_while_the_resident_has_updates_pending() -> None:
    user = User(1, "Test", False)
    message = Message(1, datetime.now(UTC), Chat(1, "private"), from_user=user)
    press = Update(1, callback_query=CallbackQuery("q", user, "c", data="x"))
    text = Update(2, message=message)
    guard = FloodGuard(TokenBuckets(2, 1.0, clock=Clock()))
    assert all(guard.admit(1, press, busy=False) for _ in range(50))
    assert [guard.admit(1, press, busy=True) for _ in range(3)] == [True, True, False]
    assert not guard.admit(1, text, busy=False)


def test_limits_must_make_sense() -> None:
    with pytest.raises(ValueError):
        TokenBuckets(0, 1.0)
    with pytest.raises(ValueError):
        TokenBuckets(5, 0)


# ---------------------------------------------------------------------------------------------
# The real bot, long polling the local Bot API over loopback sockets.
# ---------------------------------------------------------------------------------------------


def replies(api: LocalBotApi, user_id: int, since: int) -> int:
    return sum(1 for event in api.events(user_id, since=since) if event["method"] in REPLY_METHODS)


async def settle(api: LocalBotApi, neighbour: asyncio.Task[None]) -> None:
    """Wait for the neighbour's whole survey and for the bot to go quiet."""
    await asyncio.wait_for(neighbour, timeout=30)
    await api.wait_until_idle(timeout=10, quiet=0.2)


def assert_no_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


async def test_a_burst_of_messages_gets_a_few_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flooder = 8001
    async with LocalBotApi(token=TOKEN) as api, polling_bot(api, tmp_path):
        neighbour = ScriptedResident(api, 8002, survey=SURVEY, timeout=10)
        neighbour_run = asyncio.create_task(neighbour.run())
        since = api.event_seq()
        for n in range(BURST):
            await api.send_message(flooder, f"hej {n}")
        await settle(api, neighbour_run)
        answered = replies(api, flooder, since)
        assert 1 <= answered <= MAX_REPLIES

        # A second later a token is back: the resident is answered again.
        await asyncio.sleep(1.1)
        since = api.event_seq()
        await api.send_message(flooder, "hej igen")
        events = await api.wait_for_bot_activity(flooder, since=since, timeout=5)
        assert events[0]["method"] == "sendMessage"
    assert len(neighbour.latencies) == neighbour.updates_sent, "the neighbour missed a reply"
    assert_no_errors(caplog)


async def test_a_burst_of_presses_gets_a_few_answers_and_every_spinner_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flooder_id = 8101
    first = SURVEY.questions[0]
    assert first.kind is QuestionKind.SINGLE
    async with LocalBotApi(token=TOKEN) as api, polling_bot(api, tmp_path) as settings:
        # The flooding resident reaches the first question at a normal pace.
        flooder = ScriptedResident(api, flooder_id, survey=SURVEY, timeout=10)
        await flooder.step(
            lambda: api.send_command(flooder_id, "start"), lambda m: "lang:sv" in button_data(m)
        )
        await flooder.press("lang:sv", lambda m: agree_data(m) is not None)
        agree = agree_data(flooder.last())
        assert agree is not None
        await flooder.press(agree, lambda m: f"s:{first.id}" in button_data(m))
        question = flooder.last()
        assert question is not None

        neighbour = ScriptedResident(api, 8102, survey=SURVEY, timeout=10)
        neighbour_run = asyncio.create_task(neighbour.run())
        since = api.event_seq()
        answer = f"a:{first.id}:{first.options[0].code}"
        queries = [await api.press(flooder_id, question["message_id"], answer) for _ in range(BURST)]
        await settle(api, neighbour_run)

        assert 1 <= replies(api, flooder_id, since) <= MAX_REPLIES
        answers = api.callback_answers()
        assert set(queries) <= set(answers), "a button kept spinning"
        # Dropped presses are answered with no text at all.
        assert sum(1 for query in queries if not answers[query].get("text")) >= BURST - MAX_REPLIES

        # After a pause, the next question is answered as usual.
        await asyncio.sleep(1.1)
        second, third = SURVEY.questions[1:3]
        assert second.kind is QuestionKind.SINGLE
        await flooder.press(
            f"a:{second.id}:{second.options[0].code}", lambda m: f"s:{third.id}" in button_data(m)
        )
    assert len(neighbour.latencies) == neighbour.updates_sent, "the neighbour missed a reply"
    connection = sqlite3.connect(settings.database_path)
    try:
        stored = connection.execute(
            "SELECT COUNT(*), COUNT(DISTINCT response_id || ' ' || question_id) FROM answers"
        ).fetchone()
    finally:
        connection.close()
    # The neighbour's answers and the flooder's two, each once.
    choice_questions = sum(1 for q in SURVEY.questions if q.kind is not QuestionKind.FREE_TEXT)
    assert stored == (choice_questions + 2, choice_questions + 2)
    assert_no_errors(caplog)
