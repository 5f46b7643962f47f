"""A LocalBotApi that misbehaves on request, like Telegram or the network on a bad day.

`FaultyBotApi.inject_fault` makes the next HTTP calls answer with 429 or 5xx, answer too late,
or lose their connection. Kept out of bot.preview.botapi: only tests need it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal, get_args

from aiohttp import web

from bot.preview.botapi import LocalBotApi
from bot.preview.botapi.server import HttpAnswer, json_response

FaultKind = Literal["429", "5xx", "timeout", "drop"]


@dataclass(slots=True)
class Fault:
    method: str | None  # lower-case method name; None for any method
    kind: FaultKind
    remaining: int
    retry_after: int
    status: int
    delay: float


class FaultyBotApi(LocalBotApi):
    """LocalBotApi whose HTTP calls fail as injected (see `inject_fault`)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Injected faults, oldest first.
        self._faults: list[Fault] = []
        self.faults_injected = 0
        # (method, kind) of every fault shown, in order.
        self.fault_log: list[tuple[str, FaultKind]] = []

    def inject_fault(
        self,
        method: str | None,
        kind: FaultKind,
        count: int = 1,
        *,
        retry_after: int = 1,
        status: int = 502,
        delay: float = 5.0,
    ) -> None:
        """Make the next ``count`` HTTP calls of ``method`` (of any method if None) fail.

        Kinds, as Telegram or the network show them:

        - ``"429"``: Too Many Requests with ``parameters.retry_after`` = ``retry_after``;
        - ``"5xx"``: HTTP ``status`` (500-599) with a Bot API error body;
        - ``"timeout"``: the call is carried out, but its answer comes only after ``delay``
          seconds (make that longer than the client's read timeout): the client cannot tell
          whether it happened;
        - ``"drop"``: the connection is closed without an answer, before the call is carried out.

        Only calls over HTTP see faults, not `dispatch`. Faults queue in the order injected;
        each call takes at most one. `faults_injected` counts the faults shown so far.
        """
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if not 500 <= status <= 599:
            raise ValueError("status must be a 5xx code")
        if retry_after < 0 or delay < 0:
            raise ValueError("retry_after and delay cannot be negative")
        name = self._canonical(method).lower() if method is not None else None
        self._faults.append(Fault(name, kind, count, retry_after, status, delay))

    def pending_faults(self) -> int:
        """How many injected faults no call has taken yet."""
        return sum(fault.remaining for fault in self._faults)

    def clear_faults(self) -> None:
        """Forget the faults no call has taken yet."""
        self._faults.clear()

    async def _answer_http(self, method: str, request: web.Request, answer: HttpAnswer) -> web.Response:
        fault = self._take_fault(method)
        if fault is None:
            return await answer()
        if fault.kind == "timeout":
            response = await answer()
            # The call took effect; only its answer is late, later than the client waits.
            await asyncio.sleep(fault.delay)
            return response
        return await self._show_fault(fault, request)

    def _take_fault(self, method: str) -> Fault | None:
        name = method.lower()
        for fault in self._faults:
            if fault.method is None or fault.method == name:
                fault.remaining -= 1
                if not fault.remaining:
                    self._faults.remove(fault)
                self.faults_injected += 1
                self.fault_log.append((self._canonical(method), fault.kind))
                self._note_activity()
                return fault
        return None

    @staticmethod
    async def _show_fault(fault: Fault, request: web.Request) -> web.Response:
        """The answer (or lack of one) for a 429, 5xx or dropped call; the call is not made."""
        if fault.kind == "drop":
            if request.transport is not None:
                request.transport.close()
            # Nothing reaches the client: aiohttp ignores writes to a closed connection.
            return web.Response(status=499)
        await request.read()  # consume the body so the connection stays usable
        if fault.kind == "429":
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {fault.retry_after}",
                "parameters": {"retry_after": fault.retry_after},
            }
            return json_response(payload, status=429)
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Server Error"
        payload = {"ok": False, "error_code": fault.status, "description": phrase}
        return json_response(payload, status=fault.status)
