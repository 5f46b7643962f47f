"""Simulated residents who answer the whole survey through a LocalBotApi, timing each reply."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.preview.botapi import LocalBotApi
from bot.survey.callbacks import AGREE_PREFIX
from bot.survey.definition import QuestionKind, Survey, load_survey

Message = dict[str, Any]


def button_data(message: Message | None) -> list[str]:
    markup = (message or {}).get("reply_markup") or {}
    return [button.get("callback_data", "") for row in markup.get("inline_keyboard", []) for button in row]


def agree_data(message: Message | None) -> str | None:
    """The data of the consent text's "yes" button, which carries the text's fingerprint."""
    return next((data for data in button_data(message) if data.startswith(AGREE_PREFIX)), None)


def button_labels(message: Message | None) -> dict[str, str]:
    markup = (message or {}).get("reply_markup") or {}
    return {
        button.get("callback_data", ""): button.get("text", "")
        for row in markup.get("inline_keyboard", [])
        for button in row
    }


class ScriptedResident:
    """Answers every question with its first option (ticking it, for multiple choice),
    then writes a short story. Each step waits for the bot's visible reply."""

    def __init__(
        self,
        api: LocalBotApi,
        user_id: int,
        *,
        language: str = "sv",
        survey: Survey | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.api = api
        self.user_id = user_id
        self.language = language
        self.survey = survey or load_survey()
        self.timeout = timeout
        self.latencies: list[float] = []
        self.updates_sent = 0

    def last(self) -> Message | None:
        return self.api.last_bot_message(self.user_id)

    async def step(
        self, action: Callable[[], Awaitable[Any]], done: Callable[[Message | None], bool]
    ) -> None:
        since = self.api.event_seq()
        started = time.perf_counter()
        await action()
        self.updates_sent += 1
        while not done(self.last()):
            events = await self.api.wait_for_bot_activity(self.user_id, since=since, timeout=self.timeout)
            since = events[-1]["seq"]
        self.latencies.append(time.perf_counter() - started)

    async def press(self, data: str, done: Callable[[Message | None], bool]) -> None:
        message = self.last()
        assert message is not None and data in button_data(message), f"no button {data}"
        await self.step(
            lambda: self.api.press(self.user_id, message["message_id"], data, language_code=self.language),
            done,
        )

    async def run(self, story: str = "Jag går dit för att få hjälp med breven.") -> None:
        lang = f"lang:{self.language}"
        await self.step(
            lambda: self.api.send_command(self.user_id, "start", language_code=self.language),
            lambda m: lang in button_data(m),
        )
        await self.press(lang, lambda m: agree_data(m) is not None)
        first = self.survey.questions[0].id
        agree = agree_data(self.last())
        assert agree is not None
        await self.press(agree, lambda m: f"s:{first}" in button_data(m))
        # Each question's first option; questions the answers route past are not shown.
        given: dict[str, tuple[str, ...]] = {}
        for question in self.survey.questions:
            if not self.survey.shown(question, given):
                continue
            if question.kind is not QuestionKind.FREE_TEXT:
                given[question.id] = (question.options[0].code,)
            following = self.survey.next_question(question.id, given)
            if question.kind is QuestionKind.FREE_TEXT:
                before = self.last()
                before_id = before["message_id"] if before else 0
                await self.step(
                    lambda: self.api.send_message(self.user_id, story, language_code=self.language),
                    lambda m, after=before_id: m is not None and m["message_id"] > after,
                )
                continue
            code = question.options[0].code
            next_marker = f"s:{following.id}" if following else None

            def moved_on(m: Message | None, marker: str | None = next_marker) -> bool:
                return marker in button_data(m) if marker else not button_data(m)

            if question.kind is QuestionKind.MULTI:
                toggle = f"t:{question.id}:{code}"
                await self.press(toggle, lambda m, t=toggle: button_labels(m).get(t, "").startswith("☑️"))
                await self.press(f"d:{question.id}", moved_on)
            else:
                await self.press(f"a:{question.id}:{code}", moved_on)
