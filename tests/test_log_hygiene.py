"""Even at LOG_LEVEL=DEBUG the log holds no secret and nothing a resident wrote or is known by.

`python -m bot` runs as a real process (logging set up exactly as in production, by
bot.logs.configure_logging) against a LocalBotApi on 127.0.0.1; its standard error is the log.
Residents with distinctive Telegram ids answer the whole survey, type where buttons are expected,
write stories (one with a phone number), edit a message, use /mydata and an unknown command, and
a forged button press makes a handler fail so that the error handler logs a traceback.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

from bench.residents import ScriptedResident, agree_data
from bot.preview.botapi import LocalBotApi
from bot.privacy.pseudonym import Pseudonymizer
from tests.support import bot_environment

PROJECT = Path(__file__).resolve().parent.parent
TOKEN = "123456:SUPERSECRETTOKENVALUE_abcdefghij"
PSEUDONYM_KEY = "hygiene-PSEUDONYMKEY-7f3a9c1e5b2d"
RESIDENTS = {
    918273645501: "Berättelse Zyxwvutsrq: bussen från Fittja tar en timme.",
    918273645502: "Berättelse Qponmlkjih: ring mig på 070-987 65 43, jag behöver tolk.",
    918273645503: "Berättelse Gfedcbazyx: jag hjälper min mormor med breven.",
}
FORGER = 918273645509
TYPED = {
    "before_language": "Hallå Plughxyzzyab jag vill svara",
    "at_a_button": "Skrivet svar Wertzuiopq",
    "edited": "Ändrad text Asdfghjklm",
    "unknown_command_args": "Mnbvcxylkj",
    "after_done": "Efteråt Poiuztrewq",
}


async def exchange(api: LocalBotApi, user_id: int, action) -> None:  # type: ignore[no-untyped-def]
    """Do something as the user and wait until the bot has written (or rewritten) a message."""
    since = api.event_seq()
    await action()
    while True:
        events = await api.wait_for_bot_activity(user_id, since=since, timeout=20)
        if any(event["method"] in ("sendMessage", "editMessageText") for event in events):
            return
        since = events[-1]["seq"]


async def resident_session(api: LocalBotApi, user_id: int, story: str) -> None:
    scripted = ScriptedResident(api, user_id, timeout=20)
    await scripted.run(story=story)
    await exchange(api, user_id, lambda: api.send_command(user_id, "mydata"))
    await exchange(api, user_id, lambda: api.send_command(user_id, "hemligt", TYPED["unknown_command_args"]))
    await exchange(api, user_id, lambda: api.send_message(user_id, TYPED["after_done"]))


async def typing_at_a_button(api: LocalBotApi, user_id: int) -> None:
    """Someone who writes before choosing a language, types where a button is expected, then
    edits what they typed."""
    await exchange(api, user_id, lambda: api.send_message(user_id, TYPED["before_language"]))
    language = api.last_bot_message(user_id)
    assert language is not None
    await exchange(api, user_id, lambda: api.press(user_id, language["message_id"], "lang:sv"))
    consent = api.last_bot_message(user_id)
    assert consent is not None
    agree = agree_data(consent)
    assert agree is not None
    await exchange(api, user_id, lambda: api.press(user_id, consent["message_id"], agree))
    await exchange(api, user_id, lambda: api.send_message(user_id, TYPED["at_a_button"]))
    typed = max(m["message_id"] for m in api.conversation(user_id) if not m["outgoing"])
    await exchange(api, user_id, lambda: api.edit_user_message(user_id, typed, TYPED["edited"]))


async def forged_press(api: LocalBotApi) -> None:
    """A button press Telegram never issued: answering it fails inside the handler."""
    chat = {"id": FORGER, "type": "private", "first_name": "Test"}
    update = {
        "callback_query": {
            "id": "555000111222333",
            "from": {"id": FORGER, "is_bot": False, "first_name": "Test", "language_code": "sv"},
            "chat_instance": "42",
            "data": "a:visits:12_plus",
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": chat,
                "from": api.bot_user,
                "text": "Fråga 1 av 14",
            },
        }
    }
    await api.send_raw_update(update)


async def test_debug_log_has_no_secrets_and_no_personal_data(tmp_path: Path) -> None:
    log_path = tmp_path / "bot.log"
    async with LocalBotApi(token=TOKEN) as api:
        env = bot_environment(
            api, tmp_path / "hygiene.sqlite3", PSEUDONYM_KEY=PSEUDONYM_KEY, LOG_LEVEL="DEBUG"
        )
        with log_path.open("w") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=tmp_path,
                env=env,
                stdout=log,
                stderr=log,
            )
            try:
                await asyncio.gather(
                    *(resident_session(api, user_id, story) for user_id, story in RESIDENTS.items()),
                    typing_at_a_button(api, 918273645504),
                )
                await forged_press(api)
                await api.wait_until_idle(timeout=20, quiet=0.5)
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), timeout=30)
    text = log_path.read_text(encoding="utf-8")

    # The log is really there, at DEBUG, with the failure and its traceback.
    assert " DEBUG " in text, text[:2000]
    assert "error while handling an update: BadRequest" in text and "Traceback" in text, text[-4000:]
    assert process.returncode == 0, text[-4000:]

    pseudonym = Pseudonymizer(PSEUDONYM_KEY.encode())
    forbidden = {
        "token": TOKEN,
        "token secret": TOKEN.partition(":")[2],
        "pseudonym key": PSEUDONYM_KEY,
    }
    user_ids = [*RESIDENTS, 918273645504, FORGER]
    for user_id in user_ids:
        forbidden[f"telegram id {user_id}"] = str(user_id)
        forbidden[f"pseudonym of {user_id}"] = pseudonym(user_id)
    for user_id, story in RESIDENTS.items():
        forbidden[f"story of {user_id}"] = story
        forbidden[f"story word of {user_id}"] = story.split()[1].rstrip(":")
    forbidden["phone number in a story"] = "987 65 43"
    for what, typed in TYPED.items():
        forbidden[f"typed text ({what})"] = typed
        forbidden[f"typed word ({what})"] = typed.split()[-1] if what != "at_a_button" else "Wertzuiopq"
    leaks = {what: value for what, value in forbidden.items() if value in text}
    leaking_lines = [line[:300] for line in text.splitlines() if any(v in line for v in leaks.values())]
    assert not leaks, f"{sorted(leaks)}\n" + "\n".join(leaking_lines[:20])
