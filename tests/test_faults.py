"""Telegram's bad moments: rate limits, 5xx, timeouts and dropped connections never cost a
resident their place or an answer.

The retry policy is tested on its own with a fake clock; the whole bot is tested over real
sockets against FaultyBotApi (tests/faults.py), in-process (fast) and once as `python -m bot`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest

from bench.residents import ScriptedResident
from bot.app import build_application, open_services
from bot.config import Settings
from bot.preview.botapi import LocalBotApi
from bot.survey.definition import QuestionKind, load_survey
from bot.telegram.request import RetryingRequest, RetryPolicy, telegram_requests
from tests.faults import FaultKind, FaultyBotApi
from tests.support import TOKEN, OfflineRequest, bot_environment, make_settings

SURVEY = load_survey()
KINDS: tuple[FaultKind, ...] = ("429", "5xx", "timeout", "drop")
URL = f"http://127.0.0.1:9/bot{TOKEN}"

# ---------------------------------------------------------------------------------------------
# The retry policy, with a fake clock: no test here waits for real.
# ---------------------------------------------------------------------------------------------

Outcome = tuple[int, dict[str, Any]] | Callable[[], Exception]


def answer(status: int, description: str = "", **parameters: Any) -> tuple[int, dict[str, Any]]:
    if status == 200:
        return status, {"ok": True, "result": {"done": True}}
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body


def transport(cause: type[Exception], *, timed_out: bool = False) -> Callable[[], Exception]:
    """A transport failure as PTB's HTTPXRequest raises it: its error, caused by httpx's."""

    def make() -> Exception:
        error = TimedOut() if timed_out else NetworkError(f"httpx.{cause.__name__}")
        error.__cause__ = cause("simulated")
        return error

    return make


class ScriptedRequest(BaseRequest):
    """Answers each call with the next outcome; the last one repeats."""

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        outcome = self.outcomes[min(self.calls, len(self.outcomes) - 1)]
        self.calls += 1
        if callable(outcome):
            raise outcome()
        status, body = outcome
        return status, json.dumps(body).encode()


class FakeTime:
    """A clock that only the injected sleep moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def retrying(
    *outcomes: Outcome, jitter: float = 0.0, policy: RetryPolicy | None = None
) -> tuple[RetryingRequest, ScriptedRequest, FakeTime]:
    inner, fake = ScriptedRequest(*outcomes), FakeTime()
    request = RetryingRequest(inner, policy, sleep=fake.sleep, jitter=lambda: jitter, clock=fake.clock)
    return request, inner, fake


async def test_429_waits_as_long_as_telegram_asks_then_succeeds() -> None:
    request, inner, fake = retrying(
        answer(429, "Too Many Requests: retry after 3", retry_after=3), answer(200)
    )
    assert await request.post(f"{URL}/sendMessage") == {"done": True}
    assert inner.calls == 2 and fake.sleeps == [3.0]
    # Jitter only ever adds to Telegram's wait, by at most a tenth.
    request, _, fake = retrying(answer(429, "", retry_after=3), answer(200), jitter=1.0)
    await request.post(f"{URL}/sendMessage")
    assert fake.sleeps == [pytest.approx(3.3)]


# PTB warns about its own RetryAfter.retry_after type while building the error.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_longer_than_the_cap_goes_to_the_caller() -> None:
    request, inner, fake = retrying(answer(429, "Too Many Requests: retry after 600", retry_after=600))
    with pytest.raises(RetryAfter):
        await request.post(f"{URL}/sendMessage")
    assert inner.calls == 1 and fake.sleeps == []


async def test_400_surfaces_at_once() -> None:
    request, inner, fake = retrying(answer(400, "Bad Request: message is not modified"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await request.post(f"{URL}/editMessageText")
    assert inner.calls == 1 and fake.sleeps == []


@pytest.mark.parametrize(
    ("status", "error"), [(401, InvalidToken), (403, Forbidden), (404, InvalidToken), (409, Conflict)]
)
async def test_other_4xx_are_not_retried(status: int, error: type[Exception]) -> None:
    request, inner, _ = retrying(answer(status, "nope"))
    with pytest.raises(error):
        await request.post(f"{URL}/sendMessage")
    assert inner.calls == 1


async def test_5xx_is_retried_a_bounded_number_of_times_with_growing_waits() -> None:
    request, inner, fake = retrying(answer(502, "Bad Gateway"), jitter=1.0)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await request.post(f"{URL}/sendMessage")
    assert inner.calls == RetryPolicy().max_attempts == 5
    assert fake.sleeps == [0.5, 1.0, 2.0, 4.0]
    # Jitter at its lowest halves each wait; the waits still grow.
    request, _, fake = retrying(answer(500, ""), jitter=0.0)
    with pytest.raises(NetworkError):
        await request.post(f"{URL}/sendMessage")
    assert fake.sleeps == [0.25, 0.5, 1.0, 2.0]
    # And never beyond max_delay.
    policy = RetryPolicy(max_attempts=8, total_budget=1000)
    request, _, fake = retrying(answer(503, ""), jitter=1.0, policy=policy)
    with pytest.raises(NetworkError):
        await request.post(f"{URL}/sendMessage")
    assert fake.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


async def test_the_time_budget_stops_retries_early() -> None:
    request, inner, fake = retrying(answer(503, ""), jitter=1.0, policy=RetryPolicy(total_budget=3.0))
    with pytest.raises(NetworkError):
        await request.post(f"{URL}/sendMessage")
    assert fake.sleeps == [0.5, 1.0] and inner.calls == 3  # a further 2 s would pass 3 s


@pytest.mark.parametrize(
    "fault",
    [
        transport(httpx.ReadTimeout, timed_out=True),
        transport(httpx.PoolTimeout, timed_out=True),
        transport(httpx.ConnectTimeout, timed_out=True),
        transport(httpx.ConnectError),  # refused
        transport(httpx.ReadError),  # reset
        transport(httpx.RemoteProtocolError),  # closed without an answer
    ],
)
async def test_timeouts_and_lost_connections_are_retried(fault: Callable[[], Exception]) -> None:
    request, inner, fake = retrying(fault, answer(200))
    assert await request.post(f"{URL}/sendMessage") == {"done": True}
    assert inner.calls == 2 and len(fake.sleeps) == 1


async def test_the_last_transport_error_is_ptbs_own() -> None:
    request, inner, _ = retrying(transport(httpx.ReadTimeout, timed_out=True))
    with pytest.raises(TimedOut):
        await request.post(f"{URL}/sendMessage")
    assert inner.calls == 5


async def test_errors_that_waiting_cannot_fix_are_not_retried() -> None:
    request, inner, _ = retrying(transport(httpx.UnsupportedProtocol))
    with pytest.raises(NetworkError):
        await request.post(f"{URL}/sendMessage")
    assert inner.calls == 1


@pytest.mark.parametrize(
    ("method", "description"),
    [
        (
            "answerCallbackQuery",
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
        ),
        ("editMessageText", "Bad Request: message is not modified: specified new message content ..."),
        ("editMessageReplyMarkup", "Bad Request: message is not modified"),
        ("deleteMessage", "Bad Request: message to delete not found"),
    ],
)
async def test_a_repeat_that_finds_its_work_done_succeeded(method: str, description: str) -> None:
    # The first attempt timed out after Telegram carried it out; the repeat says so.
    request, _, _ = retrying(transport(httpx.ReadTimeout, timed_out=True), answer(400, description))
    assert await request.post(f"{URL}/{method}") is True
    # A connection that was never made cannot have done anything: the 400 is real.
    request, _, _ = retrying(transport(httpx.ConnectError), answer(400, description))
    with pytest.raises(BadRequest):
        await request.post(f"{URL}/{method}")
    # And on a first attempt it surfaces as it is.
    request, _, _ = retrying(answer(400, description))
    with pytest.raises(BadRequest):
        await request.post(f"{URL}/{method}")


async def test_retries_are_logged_without_url_or_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.telegram.request")
    request, _, _ = retrying(answer(502, "Bad Gateway"), transport(httpx.ReadError), answer(200))
    await request.post(f"{URL}/sendMessage")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "Bot API sendMessage failed (server error 502), attempt 1 of 5; retrying in 0.25 s",
        "Bot API sendMessage failed (connection lost), attempt 2 of 5; retrying in 0.50 s",
    ]
    assert all(TOKEN not in r.getMessage() and "127.0.0.1" not in r.getMessage() for r in caplog.records)


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


async def test_build_application_retries_only_when_no_requests_are_given(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    services = await open_services(settings)
    try:
        default = build_application(settings, services)
        assert isinstance(default.bot.request, RetryingRequest)
        api = LocalBotApi(token=TOKEN)
        builder = ApplicationBuilder().token(TOKEN).request(OfflineRequest(api))
        given = build_application(settings, services, builder=builder)
        assert isinstance(given.bot.request, OfflineRequest)
    finally:
        await services.database.close()


# ---------------------------------------------------------------------------------------------
# The real bot over loopback sockets, with faults injected by the server.
# ---------------------------------------------------------------------------------------------

# Timeouts short enough that a "timeout" fault costs under a second; the server holds the
# answer for TIMEOUT_FAULT_DELAY, longer than the client waits even for a long poll.
FAST_TIMEOUTS = {"connect_timeout": 1.0, "read_timeout": 0.5, "write_timeout": 1.0, "pool_timeout": 1.0}
POLL_TIMEOUT = 1
TIMEOUT_FAULT_DELAY = 2.0
FAST_POLICY = RetryPolicy(base_delay=0.02, max_delay=0.2)


async def quick_sleep(seconds: float) -> None:
    """The bot's waits pass twenty times faster (Telegram's retry_after of 1 s takes 50 ms)."""
    await asyncio.sleep(seconds / 20)


@asynccontextmanager
async def polling_bot(
    api: LocalBotApi, tmp_path: Path, *, policy: RetryPolicy = FAST_POLICY
) -> AsyncIterator[Settings]:
    """The real Application with the real retrying HTTP requests, long polling ``api``."""
    settings = make_settings(tmp_path, bot_api_base_url=api.base_url, bot_api_base_file_url=api.base_file_url)
    services = await open_services(settings)
    request, updates_request = telegram_requests(
        policy, sleep=quick_sleep, request_timeouts=FAST_TIMEOUTS, get_updates_timeouts=FAST_TIMEOUTS
    )
    builder = ApplicationBuilder().token(TOKEN).request(request).get_updates_request(updates_request)
    application: Application = build_application(settings, services, builder=builder)
    try:
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT)
            try:
                yield settings
            finally:
                if isinstance(api, FaultyBotApi):
                    api.clear_faults()
                await application.updater.stop()
                await application.stop()
    finally:
        await services.database.close()


class AttentiveResident(ScriptedResident):
    """Answers the question the bot showed most recently, sent or edited.

    After a repeated sendMessage the chat can hold the same question twice; a resident who
    pressed the older copy sees the next question appear there, not at the bottom.
    """

    def last(self) -> dict[str, Any] | None:
        messages = {m["message_id"]: m for m in self.api.chat_messages(self.user_id)}
        for event in reversed(self.api.events(self.user_id)):
            if event["method"] in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
                message = messages.get(event["message_id"])
                if message is not None and not message["deleted"]:
                    return message
        return None


def assert_every_answer_stored_once(settings: Settings, residents: int, story: str) -> None:
    """Each resident finished, with one answer per question (the first option) and one story."""
    choice_questions = {
        q.id: q.options[0].code for q in SURVEY.questions if q.kind is not QuestionKind.FREE_TEXT
    }
    connection = sqlite3.connect(settings.database_path)
    try:
        responses = connection.execute("SELECT id, stage FROM responses").fetchall()
        assert len(responses) == residents and all(stage == "done" for _, stage in responses)
        for response_id, _ in responses:
            rows = connection.execute(
                "SELECT question_id, option_codes, skipped FROM answers WHERE response_id = ?", (response_id,)
            ).fetchall()
            assert len(rows) == len(choice_questions), "an answer is missing or stored twice"
            assert {question: (codes, skipped) for question, codes, skipped in rows} == {
                question: (code, 0) for question, code in choice_questions.items()
            }
            stories = connection.execute(
                "SELECT text FROM stories WHERE response_id = ?", (response_id,)
            ).fetchall()
            assert stories == [(story,)]
    finally:
        connection.close()


async def inject_in_turn(
    api: FaultyBotApi, method: str, kinds: Sequence[FaultKind], residents: Sequence[ScriptedResident]
) -> None:
    """Inject one fault at a time, each once the one before was shown and a resident has made
    progress since, so that the faults fall on different calls through the survey."""

    def steps() -> int:
        return sum(len(resident.latencies) for resident in residents)

    progress = steps()
    for index, kind in enumerate(kinds):
        if index:
            while steps() == progress:
                await asyncio.sleep(0.005)
        shown = api.faults_injected
        api.inject_fault(method, kind, retry_after=1, status=503, delay=TIMEOUT_FAULT_DELAY)
        while api.faults_injected == shown:
            await asyncio.sleep(0.005)
        progress = steps()


@pytest.mark.parametrize("method", ["sendMessage", "editMessageText", "answerCallbackQuery", "getUpdates"])
async def test_every_fault_on_a_method_during_the_survey(
    method: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram.request")
    story = "Jag behöver tolk."
    async with FaultyBotApi(token=TOKEN) as api, polling_bot(api, tmp_path) as settings:
        residents = [AttentiveResident(api, 7001 + n, survey=SURVEY, timeout=10) for n in range(3)]
        faults = asyncio.create_task(inject_in_turn(api, method, KINDS, residents))
        await asyncio.gather(*(resident.run(story=story) for resident in residents))
        if not faults.done():
            faults.cancel()
            pytest.fail(f"the survey ended before every fault was shown: {api.fault_log}")
        await faults
    assert api.fault_log == [(method, kind) for kind in KINDS]
    assert api.faults_injected == len(KINDS)
    assert_every_answer_stored_once(settings, len(residents), story)
    retries = [r.getMessage() for r in caplog.records if r.name == "bot.telegram.request"]
    assert any(f"Bot API {method} failed" in line for line in retries)
    if method in ("editMessageText", "answerCallbackQuery"):
        # The "timeout" call was carried out; its repeat found the work done and succeeded.
        assert f"Bot API {method}: an earlier attempt already went through" in retries
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "an error was logged"
    assert not any(TOKEN in r.getMessage() for r in caplog.records)


async def test_polling_outlasting_the_retries_does_not_stop_the_bot(tmp_path: Path) -> None:
    async with FaultyBotApi(token=TOKEN) as api, polling_bot(api, tmp_path) as settings:
        # More failed polls in a row than one call retries: PTB's own loop polls on.
        outage = FAST_POLICY.max_attempts + 2
        api.inject_fault("getUpdates", "5xx", count=outage, status=503)
        resident = AttentiveResident(api, 7101, survey=SURVEY, timeout=10)
        await resident.run(story="Det var bra.")
    assert api.fault_log == [("getUpdates", "5xx")] * outage
    assert_every_answer_stored_once(settings, 1, "Det var bra.")


# ---------------------------------------------------------------------------------------------
# `python -m bot` as it runs in production: default policy and timeouts.
# ---------------------------------------------------------------------------------------------


async def test_the_real_process_rides_out_faults_on_every_method(tmp_path: Path) -> None:
    async with FaultyBotApi(token=TOKEN) as api:
        env = bot_environment(api, tmp_path / "faults.sqlite3")
        # One fault on the first call of each method; Telegram's retry_after is honoured in full.
        api.inject_fault("sendMessage", "429", retry_after=1)
        api.inject_fault("editMessageText", "5xx", status=503)
        api.inject_fault("answerCallbackQuery", "drop")
        api.inject_fault("getUpdates", "5xx", status=502)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
        )
        failure: BaseException | None = None
        resident = ScriptedResident(api, 7201, survey=SURVEY, timeout=20)
        try:
            await resident.run(story="Jag behöver tolk.")
        except (TimeoutError, AssertionError) as error:
            failure = error
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert failure is None, f"{failure}\n--- bot log ---\n{log}"
    assert process.returncode == 0, log
    assert api.pending_faults() == 0 and api.faults_injected == 4
    # /start was answered only after the whole second Telegram asked for.
    assert resident.latencies[0] >= 1.0
    for line in (
        "Bot API sendMessage failed (rate limited), attempt 1 of 5; retrying in 1.",
        "Bot API editMessageText failed (server error 503), attempt 1 of 5",
        "Bot API answerCallbackQuery failed (connection lost), attempt 1 of 5",
        "Bot API getUpdates failed (server error 502), attempt 1 of 5",
    ):
        assert line in log, log
    assert " ERROR " not in log, log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    settings = make_settings(tmp_path, database_path=tmp_path / "faults.sqlite3")
    assert_every_answer_stored_once(settings, 1, "Jag behöver tolk.")
