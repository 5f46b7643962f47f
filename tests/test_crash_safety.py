"""Kill -9 in the middle of a busy run: no answer the bot acknowledged is ever lost.

`python -m bot` runs as a real process against a LocalBotApi on 127.0.0.1 while many residents
answer at once. Once a seeded share of all answers has been acknowledged, the process gets
SIGKILL. The SQLite file is then read directly (every acknowledged answer must already be there),
the bot is started again on the same file, and every resident finishes: one whose last step was
not acknowledged sends /start and carries on from whatever the bot shows, as a person would.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bench.residents import agree_data, button_data, button_labels
from bot.i18n.catalogue import Translations
from bot.preview.botapi import LocalBotApi
from bot.privacy.pseudonym import Pseudonymizer
from bot.privacy.scrub import scrub
from bot.survey.definition import Question, QuestionKind, Survey, load_survey
from bot.survey.views import TICK
from tests.support import TOKEN, bot_environment

PROJECT = Path(__file__).resolve().parent.parent
SEED = 20260611
RESIDENTS = 40
LANGUAGES = ("sv", "en", "ar", "so", "fa")
PSEUDONYM_KEY = "crash-safety-pseudonym-key-0123456789"
STEP_TIMEOUT = 20.0

Message = dict[str, Any]
# What a resident chose for a question: option codes in survey order, and whether it was skipped.
Choice = tuple[tuple[str, ...], bool]
# Settings the bot reads from the environment: none may leak in from the developer's shell.


def letters(number: int) -> str:
    """A number as letters, so that the story scrubber has no digits to consider."""
    return "".join("abcdefghij"[int(digit)] for digit in str(number))


@dataclass
class Plan:
    """Everything one resident will answer, fixed in advance so that answering a question a
    second time (after the crash) gives the same answer."""

    user_id: int
    language: str
    choices: dict[str, Choice]
    story: str

    @classmethod
    def make(cls, user_id: int, survey: Survey) -> Plan:
        rng = random.Random(SEED * 1000 + user_id)
        choices: dict[str, Choice] = {}
        for question in survey.choice_questions():
            if rng.random() < 0.1:
                choices[question.id] = ((), True)
            elif question.kind is QuestionKind.SINGLE:
                choices[question.id] = ((rng.choice(question.option_codes),), False)
            else:
                choices[question.id] = cls._ticks(rng, question)
        story = f"Invånare {letters(user_id)} berättar: bussen till Hallunda tar lång tid."
        return cls(user_id, rng.choice(LANGUAGES), choices, story)

    def asked(self, survey: Survey) -> int:
        """How many questions (the story included) this plan's answers lead through."""
        given = {question: codes for question, (codes, _) in self.choices.items()}
        return len(survey.asked(given))

    @staticmethod
    def _ticks(rng: random.Random, question: Question) -> Choice:
        exclusive = [o.code for o in question.options if o.exclusive]
        plain = [o.code for o in question.options if not o.exclusive]
        roll = rng.random()
        if roll < 0.1:
            return (), True  # "Done" with nothing ticked counts as skipped
        if roll < 0.25 and exclusive:
            return (rng.choice(exclusive),), False
        picked = set(rng.sample(plain, rng.randint(1, min(3, len(plain)))))
        return tuple(code for code in question.option_codes if code in picked), False


@dataclass
class Ledger:
    """Acknowledged answers, and the SIGKILL once enough of them have come in."""

    threshold: int
    kill: Callable[[], None]
    acknowledged: dict[tuple[int, str], Choice] = field(default_factory=dict)
    before_kill: dict[tuple[int, str], Choice] | None = None

    def acknowledge(self, user_id: int, question_id: str, choice: Choice) -> None:
        if (user_id, question_id) in self.acknowledged:
            return
        self.acknowledged[(user_id, question_id)] = choice
        if self.before_kill is None and len(self.acknowledged) >= self.threshold:
            # Synchronously, in the same loop step that saw the acknowledgement.
            self.before_kill = dict(self.acknowledged)
            self.kill()


class Driver:
    """One resident who looks at the newest bot message and does the next thing, from any
    point in the conversation, until the thanks with the recap arrives."""

    def __init__(self, api: LocalBotApi, plan: Plan, survey: Survey, translations: Translations) -> None:
        self.api = api
        self.plan = plan
        self.survey = survey
        t = translations.translator(plan.language)
        self.saved = t("callback.saved")
        self.recap_header = t("thanks.recap_header")
        self.ledger: Ledger | None = None

    @property
    def user_id(self) -> int:
        return self.plan.user_id

    def last(self) -> Message | None:
        return self.api.last_bot_message(self.user_id)

    def finished(self, message: Message | None) -> bool:
        # The thanks and recap; its only button offers a message when the municipality answers.
        return (
            message is not None
            and set(button_data(message)) <= {"notice:yes"}
            and self.recap_header in message["text"]
        )

    async def wait(
        self,
        since: int,
        done: Callable[[Message | None], bool],
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP_TIMEOUT
        while True:
            for event in self.api.events(self.user_id, since=since):
                since = event["seq"]
                if on_event is not None:
                    on_event(event)
            if done(self.last()):
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"resident {self.user_id}: no expected reply; last {self.last()!r}")
            try:
                await self.api.wait_for_bot_activity(self.user_id, since=since, timeout=remaining)
            except TimeoutError:
                pass

    async def command_start(self) -> None:
        since = self.api.event_seq()
        await self.api.send_command(self.user_id, "start", language_code=self.plan.language)

        def replied(_: Message | None) -> bool:
            return any(e["method"] == "sendMessage" for e in self.api.events(self.user_id, since=since))

        await self.wait(since, replied)

    async def press(
        self,
        message: Message,
        data: str,
        done: Callable[[Message | None], bool],
        acknowledged: Choice | None = None,
        question_id: str = "",
    ) -> None:
        since = self.api.event_seq()
        query_id = await self.api.press(
            self.user_id, message["message_id"], data, language_code=self.plan.language
        )

        def on_event(event: dict[str, Any]) -> None:
            # "Sparat ✓" on the button is sent only after the answer was committed.
            params = event["params"]
            if (
                acknowledged is not None
                and event["method"] == "answerCallbackQuery"
                and str(params.get("callback_query_id")) == query_id
                and params.get("text") == self.saved
            ):
                self.ack(question_id, acknowledged)

        def moved_on(last: Message | None) -> bool:
            if done(last):
                if acknowledged is not None:
                    self.ack(question_id, acknowledged)
                return True
            return False

        await self.wait(since, moved_on, on_event)

    def ack(self, question_id: str, choice: Choice) -> None:
        assert self.ledger is not None
        self.ledger.acknowledge(self.user_id, question_id, choice)

    async def run(self) -> None:
        """Resume from whatever the bot shows after /start, and answer until the end."""
        await self.command_start()
        for _ in range(200):
            message = self.last()
            buttons = button_data(message)
            if message is None or self.finished(message):
                return
            lang = f"lang:{self.plan.language}"
            if lang in buttons:
                await self.press(message, lang, lambda m: agree_data(m) is not None)
                continue
            agree = agree_data(message)
            if agree is not None:
                first = self.survey.first_question().id
                await self.press(message, agree, lambda m, f=first: f"s:{f}" in button_data(m))
                continue
            question = next(
                (q for q in self.survey.questions if f"s:{q.id}" in buttons),
                None,
            )
            if question is None:
                await self.command_start()  # anything else: ask where we are
            elif question.kind is QuestionKind.FREE_TEXT:
                await self.tell_story(question)
            else:
                await self.answer(message, question)
        raise AssertionError(f"resident {self.user_id} never finished")

    async def tell_story(self, question: Question) -> None:
        since = self.api.event_seq()
        await self.api.send_message(self.user_id, self.plan.story, language_code=self.plan.language)

        def thanked(last: Message | None) -> bool:
            if self.finished(last):
                self.ack(question.id, ((self.plan.story,), False))
                return True
            return False

        await self.wait(since, thanked)

    async def answer(self, message: Message, question: Question) -> None:
        codes, skipped = self.plan.choices[question.id]
        # The plan's answers up to this one decide which question comes next.
        given: dict[str, tuple[str, ...]] = {}
        for earlier in self.survey.choice_questions():
            if self.survey.shown(earlier, given):
                given[earlier.id] = self.plan.choices[earlier.id][0]
            if earlier.id == question.id:
                break
        following = self.survey.next_question(question.id, given)
        marker = f"s:{following.id}" if following else None

        def moved_on(last: Message | None) -> bool:
            return marker in button_data(last) if marker else self.finished(last)

        choice = (codes, skipped)
        if question.kind is QuestionKind.SINGLE:
            data = f"s:{question.id}" if skipped else f"a:{question.id}:{codes[0]}"
            await self.press(message, data, moved_on, choice, question.id)
            return
        if skipped and not codes and self.plan.user_id % 2:
            # Half of those who want nothing press "skip", the others "Done" with no ticks.
            await self.press(message, f"s:{question.id}", moved_on, choice, question.id)
            return
        # Multiple choice: tick and untick until the visible ticks are the plan, then "Done".
        for _ in range(3 * len(question.options)):
            labels = button_labels(message)
            wrong = [
                code
                for code in question.option_codes
                if labels.get(f"t:{question.id}:{code}", "").startswith(TICK) != (code in codes)
            ]
            if not wrong:
                break
            toggle = f"t:{question.id}:{wrong[0]}"
            before = labels.get(toggle)
            await self.press(
                message, toggle, lambda m, t=toggle, b=before: button_labels(m).get(t) not in (None, b)
            )
            refreshed = self.last()
            if refreshed is None or f"s:{question.id}" not in button_data(refreshed):
                return  # the bot moved somewhere else; the main loop looks again
            message = refreshed
        await self.press(message, f"d:{question.id}", moved_on, choice, question.id)


def crash_environment(api: LocalBotApi, database: Path) -> dict[str, str]:
    return bot_environment(api, database, PSEUDONYM_KEY=PSEUDONYM_KEY)


async def start_bot(api: LocalBotApi, tmp_path: Path, log: TextIO) -> asyncio.subprocess.Process:
    calls_before = len(api.calls)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=crash_environment(api, tmp_path / "crash.sqlite3"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    # Polling for updates means the bot is ready.
    while not any(method == "getUpdates" for method, _ in api.calls[calls_before:]):
        if process.returncode is not None or loop.time() > deadline:
            raise RuntimeError("the bot did not start")
        await asyncio.sleep(0.05)
    return process


def stored(database: Path, survey: Survey) -> dict[int, dict[str, Any]]:
    """Everything in the database, by response id, read as another process would."""
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        responses = {row["id"]: dict(row) for row in connection.execute("SELECT * FROM responses")}
        for response in responses.values():
            response["answers"] = {}
            response["answer_rows"] = 0
        for row in connection.execute("SELECT * FROM answers"):
            response = responses[row["response_id"]]
            codes = tuple(code for code in row["option_codes"].split(";") if code)
            response["answers"][row["question_id"]] = (codes, bool(row["skipped"]))
            response["answer_rows"] += 1
        for row in connection.execute("SELECT response_id, text FROM stories"):
            story_question = next(q for q in survey.questions if q.kind is QuestionKind.FREE_TEXT)
            responses[row["response_id"]]["answers"][story_question.id] = ((row["text"],), False)
            responses[row["response_id"]]["answer_rows"] += 1
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()
    return responses


def missing(
    acknowledged: dict[tuple[int, str], Choice],
    responses: dict[int, dict[str, Any]],
    pseudonym: Pseudonymizer,
) -> list[tuple[int, str]]:
    """Acknowledged answers that are not in the database with the value the resident chose."""
    by_respondent = {response["respondent"]: response for response in responses.values()}
    lost = []
    for (user_id, question_id), (codes, skipped) in sorted(acknowledged.items()):
        response = by_respondent.get(pseudonym(user_id))
        if question_id in (response or {}).get("answers", {}):
            stored_codes, stored_skipped = response["answers"][question_id]  # type: ignore[index]
            if skipped == stored_skipped and (codes if not skipped else ()) == stored_codes:
                continue
            # A story is stored scrubbed.
            if codes and stored_codes == (scrub(codes[0]),):
                continue
        lost.append((user_id, question_id))
    return lost


async def test_sigkill_mid_run_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    survey = load_survey()
    translations = Translations.load(PROJECT / "locales")
    pseudonym = Pseudonymizer(PSEUDONYM_KEY.encode())
    database = tmp_path / "crash.sqlite3"
    plans = [Plan.make(7_300_000 + n, survey) for n in range(RESIDENTS)]
    answers_in_all = sum(plan.asked(survey) for plan in plans)
    fraction = random.Random(SEED).uniform(0.3, 0.5)

    with (tmp_path / "first.log").open("w") as first_log, (tmp_path / "second.log").open("w") as second_log:
        async with LocalBotApi(token=TOKEN) as api:
            process = await start_bot(api, tmp_path, first_log)
            killed = asyncio.Event()

            def kill() -> None:
                os.kill(process.pid, signal.SIGKILL)
                killed.set()

            ledger = Ledger(threshold=round(fraction * answers_in_all), kill=kill)
            drivers = [Driver(api, plan, survey, translations) for plan in plans]
            for driver in drivers:
                driver.ledger = ledger

            # Phase 1: everybody at once, until the kill.
            tasks = [asyncio.create_task(driver.run()) for driver in drivers]
            waiter = asyncio.create_task(killed.wait())
            everyone = asyncio.gather(*tasks)  # done when all finish or one fails
            await asyncio.wait([waiter, everyone], timeout=60, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
            waiter.cancel()
            await asyncio.gather(everyone, waiter, return_exceptions=True)
            results = await asyncio.gather(*tasks, return_exceptions=True)
            unexpected = [r for r in results if not isinstance(r, asyncio.CancelledError | type(None))]
            assert not unexpected, f"residents failed before the kill: {unexpected}"
            assert killed.is_set(), "the run ended before the kill threshold was reached"
            await process.wait()
            assert process.returncode == -signal.SIGKILL
            before_kill = ledger.before_kill
            assert before_kill is not None

            # Straight after the kill, before anything could repair it: all acknowledged answers.
            lost_at_kill = missing(before_kill, stored(database, survey), pseudonym)

            # Phase 2: the same bot on the same file; everybody finishes from where they are.
            waiting = api.pending_updates()
            unfinished = sum(not driver.finished(driver.last()) for driver in drivers)
            process = await start_bot(api, tmp_path, second_log)
            try:
                await api.wait_until_idle(timeout=20, quiet=0.3)  # updates waiting from before
                await asyncio.wait_for(asyncio.gather(*(driver.run() for driver in drivers)), timeout=60)
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), timeout=30)

    responses = stored(database, survey)
    lost_at_end = missing(before_kill, responses, pseudonym)
    wrong_at_end = missing(ledger.acknowledged, responses, pseudonym)
    logs = (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    errors = [line for line in logs.splitlines() if " ERROR " in line]
    print(
        f"\ncrash safety: {RESIDENTS} residents, {answers_in_all} answers in all, "
        f"{len(before_kill)} acknowledged before SIGKILL ({fraction:.0%} threshold), "
        f"{unfinished} residents unfinished and {waiting} updates waiting at the restart, "
        f"lost right after the kill: {len(lost_at_kill)}, lost at the end: {len(lost_at_end)}, "
        f"ERROR lines in the bot's logs: {len(errors)}"
    )
    assert not lost_at_kill, f"acknowledged but not stored at the kill: {lost_at_kill}"
    assert not lost_at_end, f"acknowledged but missing or changed at the end: {lost_at_end}"
    assert not wrong_at_end, f"acknowledged after the restart but not stored: {wrong_at_end}"

    # One complete response per resident, with exactly the answers the resident chose.
    assert len(responses) == RESIDENTS
    by_respondent = {response["respondent"]: response for response in responses.values()}
    assert len(by_respondent) == RESIDENTS
    for plan in plans:
        response = by_respondent[pseudonym(plan.user_id)]
        assert response["stage"] == "done" and response["completed_at"], plan.user_id
        assert response["consented_at"] and response["language"] == plan.language
        assert response["answer_rows"] == plan.asked(survey)
        given = {question: codes for question, (codes, _) in plan.choices.items()}
        for question_id, (codes, skipped) in plan.choices.items():
            question = survey.question(question_id)
            assert question is not None
            if not survey.shown(question, given):
                assert question_id not in response["answers"], "a question routed past has no answer"
                continue
            assert response["answers"][question_id] == (() if skipped else codes, skipped)
        story_id = next(q.id for q in survey.questions if q.kind is QuestionKind.FREE_TEXT)
        assert response["answers"][story_id] == ((scrub(plan.story),), False)
