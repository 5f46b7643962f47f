"""Bot API calls that survive Telegram's bad moments: rate limits, 5xx, timeouts, lost connections.

`RetryingRequest` wraps another `BaseRequest` (PTB's `HTTPXRequest` in production) and repeats a
call that failed for a reason that may pass: HTTP 429 (after Telegram's ``retry_after``), 5xx,
timeouts and dropped or refused connections. Every other answer, a 400 "message is not modified"
included, goes straight back to PTB, which turns it into the usual exception. When the retries run
out, the last answer or error goes back the same way, so callers see PTB's own error types.

Repeating a call that changes something (sendMessage, editMessageText, answerCallbackQuery) is a
choice. After a timeout or a lost connection we cannot know whether Telegram carried the call out.
Not repeating it could lose the question the resident is waiting for, and they would be stuck,
while the answer they gave is already committed to SQLite before the bot replies. Repeating it
can at worst show the same question twice, which costs no data: both copies carry the same
buttons, the first press on either answers the question once, and a later press on the other
copy is an old button that leads back to the current question. So every method is retried.
Where a repeat finds the first attempt's work already done ("message is not modified", "query
is too old", "message to delete not found") and an earlier attempt may have reached Telegram,
the call is reported as a success (result True, as Telegram answers for inline messages)
instead of an error. On a first attempt, or after one that never left this machine, those
answers surface unchanged.

Logs name the Bot API method, the kind of fault and the attempt, never the URL (it holds the
token), the parameters or the response.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

__all__ = ["RetryPolicy", "RetryingRequest", "telegram_requests"]

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

# What a repeated call gets from Telegram when an earlier attempt already did the work, per
# method (lower case): the work is done, so the call succeeded.
_ALREADY_DONE = {
    "answercallbackquery": ("query is too old", "query id is invalid"),
    "editmessagetext": ("message is not modified",),
    "editmessagereplymarkup": ("message is not modified",),
    "editmessagecaption": ("message is not modified",),
    "editmessagemedia": ("message is not modified",),
    "deletemessage": ("message to delete not found",),
}
# Telegram's answer to a call without a result (edits of inline messages answer the same way,
# so PTB already accepts True where it would otherwise build a Message).
_DONE_PAYLOAD = b'{"ok":true,"result":true}'
_METHOD_NAME = re.compile(r"^[A-Za-z]{1,64}$")

# Transport failures where the request never left this machine: repeating it is always safe.
_NOT_SENT = (httpx.PoolTimeout, httpx.ConnectTimeout, httpx.ConnectError)
# Transport failures worth repeating. Others (an unsupported protocol, a proxy error) will not
# pass by waiting.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry. The defaults keep a resident's worst wait near a minute.

    The n-th retry after a 5xx or transport fault waits a random time between half and all of
    ``min(max_delay, base_delay * 2 ** (n - 1))`` ("equal jitter": the wait grows, and many
    residents' retries do not arrive together). After a 429 the wait is Telegram's
    ``retry_after`` plus up to ``retry_after_jitter`` of it; a ``retry_after`` above
    ``max_retry_after`` is not waited for: the RetryAfter error goes to the caller.
    No retry starts once ``total_budget`` seconds would be exceeded.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    retry_after_jitter: float = 0.1
    total_budget: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.max_retry_after, self.total_budget) < 0:
            raise ValueError("delays and budgets cannot be negative")

    def backoff(self, retry: int, jitter: float) -> float:
        """The wait before retry number ``retry`` (1 for the first) after a 5xx or transport
        fault; ``jitter`` is a random number in [0, 1]."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return ceiling / 2 + ceiling / 2 * jitter

    def rate_limit_wait(self, retry_after: float, jitter: float) -> float:
        """The wait after a 429 that asked for ``retry_after`` seconds."""
        return retry_after * (1 + self.retry_after_jitter * jitter)


@dataclass(slots=True)
class _Fault:
    """One failed attempt: what went wrong, whether the call may have reached Telegram, and how
    to hand it back to PTB if it is the last one."""

    kind: str
    maybe_done: bool
    response: tuple[int, bytes] | None = None
    error: Exception | None = None
    retry_after: float | None = None

    def give_back(self) -> tuple[int, bytes]:
        """Return the response for PTB to map, or raise the transport error as PTB raised it."""
        if self.error is not None:
            raise self.error
        assert self.response is not None
        return self.response


def _method_name(url: str, http_method: str) -> str:
    """The Bot API method for logs. The URL itself is never logged: it contains the token."""
    if http_method.upper() == "GET":
        return "file download"  # BaseRequest.retrieve: a file URL, no method name
    name = url.rstrip("/").rsplit("/", 1)[-1]
    return name if _METHOD_NAME.match(name) else "request"


def _description(payload: bytes) -> tuple[str, float | None]:
    """Telegram's error description (lower case) and ``retry_after``, if the body has them."""
    try:
        data = json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        return "", None
    if not isinstance(data, dict):
        return "", None
    parameters = data.get("parameters")
    retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(retry_after, bool) or not isinstance(retry_after, int | float):
        retry_after = None
    description = data.get("description")
    return (description.lower() if isinstance(description, str) else ""), retry_after


def _transport_fault(error: NetworkError) -> _Fault | None:
    """Classify a TimedOut/NetworkError from the wrapped request; None if retrying cannot help."""
    cause = error.__cause__
    if isinstance(cause, httpx.PoolTimeout):
        return _Fault("pool timeout", maybe_done=False, error=error)
    if isinstance(cause, _NOT_SENT):
        return _Fault("connection failed", maybe_done=False, error=error)
    if isinstance(error, TimedOut):
        return _Fault("timeout", maybe_done=True, error=error)
    if cause is None or isinstance(cause, _TRANSIENT):
        return _Fault("connection lost", maybe_done=True, error=error)
    return None


def _response_fault(status: int, payload: bytes) -> _Fault | None:
    """Classify an HTTP answer; None if it is to be handed to PTB as it is."""
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        _, retry_after = _description(payload)
        return _Fault("rate limited", maybe_done=False, response=(status, payload), retry_after=retry_after)
    if 500 <= status <= 599:
        # A gateway error can come after Telegram carried the call out.
        return _Fault(f"server error {status}", maybe_done=True, response=(status, payload))
    return None


def _already_done(method: str, status: int, payload: bytes) -> bool:
    if status != HTTPStatus.BAD_REQUEST:
        return False
    description, _ = _description(payload)
    return any(phrase in description for phrase in _ALREADY_DONE.get(method.lower(), ()))


class RetryingRequest(BaseRequest):
    """A `BaseRequest` that retries another one's transient failures (see the module text).

    ``sleep``, ``jitter`` and ``clock`` are there for tests: waits without waiting, a fixed
    jitter, a clock that the fake sleep moves.
    """

    def __init__(
        self,
        inner: BaseRequest,
        policy: RetryPolicy | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.policy = policy if policy is not None else RetryPolicy()
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock

    @property
    def read_timeout(self) -> float | None:
        # PTB adds the long-poll timeout of getUpdates to this.
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One Bot API call, repeated on transient faults (the timeouts are PTB's: a number,
        None or PTB's DEFAULT_NONE marker, passed through unchanged)."""
        policy = self.policy
        api_method = _method_name(url, method)
        started = self._clock()
        maybe_done = False  # an earlier attempt may have been carried out by Telegram
        attempt = 0
        while True:
            attempt += 1
            try:
                status, payload = await self.inner.do_request(
                    url,
                    method,
                    request_data=request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except NetworkError as error:  # TimedOut is a NetworkError too
                fault = _transport_fault(error)
                if fault is None:
                    raise
            else:
                fault = _response_fault(status, payload)
                if fault is None:
                    if maybe_done and _already_done(api_method, status, payload):
                        logger.info("Bot API %s: an earlier attempt already went through", api_method)
                        return HTTPStatus.OK, _DONE_PAYLOAD
                    return status, payload

            maybe_done = maybe_done or fault.maybe_done
            delay = self._delay(fault, attempt)
            if delay is None:
                self._give_up(api_method, fault, attempt, "retry_after above the cap")
                return fault.give_back()
            if attempt >= policy.max_attempts:
                self._give_up(api_method, fault, attempt, "retry limit")
                return fault.give_back()
            if self._clock() - started + delay > policy.total_budget:
                self._give_up(api_method, fault, attempt, "time budget")
                return fault.give_back()
            logger.warning(
                "Bot API %s failed (%s), attempt %d of %d; retrying in %.2f s",
                api_method,
                fault.kind,
                attempt,
                policy.max_attempts,
                delay,
            )
            await self._sleep(delay)

    def _delay(self, fault: _Fault, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None if waiting would not help."""
        if fault.kind == "rate limited" and fault.retry_after is not None:
            if fault.retry_after > self.policy.max_retry_after:
                return None
            return self.policy.rate_limit_wait(fault.retry_after, self._jitter())
        return self.policy.backoff(attempt, self._jitter())

    @staticmethod
    def _give_up(api_method: str, fault: _Fault, attempts: int, reason: str) -> None:
        # WARNING, not ERROR: the caller gets the error and decides how loud to be.
        logger.warning(
            "Bot API %s failed (%s) after %d attempts; giving up (%s)",
            api_method,
            fault.kind,
            attempts,
            reason,
        )


# Timeouts, in seconds. Telegram usually answers in well under a second; ten seconds allows
# a slow moment without keeping a resident waiting long per attempt.
REQUEST_TIMEOUTS = {"connect_timeout": 5.0, "read_timeout": 10.0, "write_timeout": 10.0, "pool_timeout": 3.0}
# getUpdates holds the connection open for the long-poll time; PTB adds that time to the read
# timeout, and these allow a slow network on top of it.
GET_UPDATES_TIMEOUTS = {
    "connect_timeout": 10.0,
    "read_timeout": 15.0,
    "write_timeout": 10.0,
    "pool_timeout": 5.0,
}
# PTB's default pool size; build_application asks for more when more updates run at once.
CONNECTION_POOL_SIZE = 256


def _httpx_request(connections: int, timeouts: dict[str, float]) -> HTTPXRequest:
    return HTTPXRequest(
        connection_pool_size=connections,
        connect_timeout=timeouts["connect_timeout"],
        read_timeout=timeouts["read_timeout"],
        write_timeout=timeouts["write_timeout"],
        pool_timeout=timeouts["pool_timeout"],
    )


def telegram_requests(
    policy: RetryPolicy | None = None,
    *,
    connections: int = CONNECTION_POOL_SIZE,
    sleep: Sleep = asyncio.sleep,
    request_timeouts: dict[str, float] | None = None,
    get_updates_timeouts: dict[str, float] | None = None,
) -> tuple[RetryingRequest, RetryingRequest]:
    """The request for ordinary Bot API calls and the one for getUpdates, both retrying."""
    request = _httpx_request(connections, request_timeouts or REQUEST_TIMEOUTS)
    # One long poll at a time, as PTB does by default.
    updates = _httpx_request(1, get_updates_timeouts or GET_UPDATES_TIMEOUTS)
    return RetryingRequest(request, policy, sleep=sleep), RetryingRequest(updates, policy, sleep=sleep)
