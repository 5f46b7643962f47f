"""Tests for bot.preview.botapi.LocalBotApi, driven through python-telegram-bot itself."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, MessageEntityType, ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.preview.botapi import LocalBotApi

USER = 1001


@pytest_asyncio.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


@pytest_asyncio.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as tg_bot:
        yield tg_bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.upper(), callback_data=d) for d in data]])


@pytest.mark.asyncio
async def test_get_me(api: LocalBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot is True
    assert me.id == 123456
    assert me.username == "citizen_feedback_bot"
    assert me.can_join_groups is True
    assert api.base_url.startswith("http://127.0.0.1:") and api.port > 0
    with pytest.raises(ValueError):
        LocalBotApi(host="0.0.0.0")


@pytest.mark.asyncio
async def test_send_edit_delete_are_reflected(api: LocalBotApi, bot: Bot) -> None:
    await api.send_command(USER, "start")  # the user's message takes message id 1
    sent = await bot.send_message(
        USER,
        "<b>Hej</b> &amp; välkommen",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard("a", "b"),
    )
    assert sent.message_id == 2
    assert sent.text == "Hej & välkommen"  # Telegram returns the visible text
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.chat.id == USER and sent.chat.type == "private"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "b"

    view = api.last_bot_message(USER)
    assert view is not None
    assert view["text"] == "<b>Hej</b> &amp; välkommen" and view["parse_mode"] == "HTML"
    assert view["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert view["edited"] is False and view["deleted"] is False and view["document"] is None

    edited = await bot.edit_message_text("Fråga 1", chat_id=USER, message_id=2, reply_markup=keyboard("x"))
    assert not isinstance(edited, bool) and edited.text == "Fråga 1"
    assert edited.edit_date is not None
    await bot.edit_message_reply_markup(chat_id=USER, message_id=2, reply_markup=keyboard("y", "z"))
    [message] = api.chat_messages(USER)
    assert message["text"] == "Fråga 1" and message["edited"] is True
    assert [b["callback_data"] for b in message["reply_markup"]["inline_keyboard"][0]] == ["y", "z"]

    second = await bot.send_message(USER, "two")
    assert second.message_id == 3
    assert await bot.delete_message(USER, second.message_id) is True
    assert [m["deleted"] for m in api.chat_messages(USER)] == [False, True]
    assert api.last_bot_message(USER)["message_id"] == 2  # type: ignore[index]

    assert await bot.send_chat_action(USER, ChatAction.TYPING) is True
    methods = [method for method, _ in api.calls]
    assert methods[-1] == "sendChatAction"
    expected = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage"}
    assert expected <= set(methods)
    send_params = next(params for method, params in api.calls if method == "sendMessage")
    assert send_params["chat_id"] == USER and isinstance(send_params["reply_markup"], dict)


@pytest.mark.asyncio
async def test_commands_and_descriptions(bot: Bot) -> None:
    assert await bot.set_my_commands([BotCommand("start", "Starta"), BotCommand("help", "Hjälp")])
    assert await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="en")] == ["Start"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.set_my_description("Beskrivning") is True
    assert await bot.set_my_short_description("Kort") is True
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


@pytest.mark.asyncio
async def test_document_roundtrip(api: LocalBotApi, bot: Bot) -> None:
    payload = b"id;svar\n1;ja\n" + bytes(range(256))
    message = await bot.send_document(USER, document=payload, filename="export.csv", caption="Export")
    assert message.document is not None
    assert message.document.file_name == "export.csv"
    assert message.document.file_size == len(payload)
    assert message.caption == "Export"

    tg_file = await bot.get_file(message.document.file_id)
    assert tg_file.file_path is not None and tg_file.file_path.startswith(api.base_file_url)
    assert bytes(await tg_file.download_as_bytearray()) == payload

    view = api.last_bot_message(USER)
    assert view is not None and view["document"] is not None
    assert view["document"]["file_name"] == "export.csv"
    assert view["document"]["data"] == payload
    upload = next(params for method, params in api.calls if method == "sendDocument")["document"]
    assert upload["upload"] is True and upload["size"] == len(payload)

    # Re-sending by file_id reuses the stored file.
    again = await bot.send_document(USER, document=message.document.file_id)
    assert again.document is not None and again.document.file_id == message.document.file_id


@pytest.mark.asyncio
async def test_get_updates_returns_real_updates(api: LocalBotApi, bot: Bot) -> None:
    await api.send_command(USER, "/start", "campaign42", language_code="en")
    sent = await bot.send_message(USER, "Välj", reply_markup=keyboard("yes", "no"))
    query_id = await api.press(USER, sent.message_id, "yes")
    await api.send_voice(USER, duration=7)
    await api.send_message(USER, "typo")
    await api.edit_user_message(USER, 4, "fixed")
    await api.send_sticker(USER)
    await api.send_photo(USER, caption="bild")
    await api.send_document(USER, file_name="cv.pdf")
    await api.send_message(USER, "in group", chat_id=-100123, chat_type="supergroup")
    poll_answer = {
        "poll_id": "p1",
        "user": {"id": USER, "is_bot": False, "first_name": "T"},
        "option_ids": [0],
        "option_persistent_ids": ["0"],
    }
    await api.send_raw_update({"update_id": 0, "poll_answer": poll_answer})

    updates = await bot.get_updates(timeout=0)
    assert all(isinstance(u, Update) for u in updates)
    assert [u.update_id for u in updates] == list(range(1, 11))
    command, callback, voice, text, edited, sticker, photo, document, group, raw = updates

    assert command.message is not None and command.message.text == "/start campaign42"
    assert command.message.entities[0].type == MessageEntityType.BOT_COMMAND
    assert command.message.entities[0].length == len("/start")
    assert command.message.from_user is not None and command.message.from_user.language_code == "en"
    assert command.message.from_user.first_name == "Test" and not command.message.from_user.is_bot
    assert command.message.chat.id == USER

    cq = callback.callback_query
    assert cq is not None and cq.id == query_id and cq.data == "yes"
    assert cq.message is not None and cq.message.message_id == sent.message_id
    assert cq.message.text == "Välj"  # type: ignore[union-attr]
    markup = cq.message.reply_markup  # type: ignore[union-attr]
    assert markup.inline_keyboard[0][0].callback_data == "yes"

    assert voice.message is not None and voice.message.voice is not None
    assert voice.message.voice.to_dict()["duration"] == 7  # attribute access warns in PTB 22
    assert voice.message.message_id == 3
    assert text.message is not None and text.message.message_id == 4
    assert edited.edited_message is not None and edited.edited_message.text == "fixed"
    assert edited.edited_message.message_id == 4
    assert sticker.message is not None and sticker.message.sticker is not None
    assert photo.message is not None and photo.message.photo and photo.message.caption == "bild"
    assert document.message is not None and document.message.document is not None
    assert group.message is not None and group.message.chat.type == "supergroup"
    assert group.message.message_id == 1  # message ids count per chat
    assert raw.poll_answer is not None and raw.poll_answer.poll_id == "p1"

    # The user's document can be downloaded like a real one.
    assert document.message.document.file_name == "cv.pdf"
    tg_file = await bot.get_file(document.message.document.file_id)
    assert (await tg_file.download_as_bytearray()).startswith(b"%PDF")


@pytest.mark.asyncio
async def test_message_ids_shared_per_chat(api: LocalBotApi, bot: Bot) -> None:
    await api.send_message(USER, "one")  # 1
    sent = await bot.send_message(USER, "bot")  # 2
    await api.send_message(USER, "three")  # 3
    assert sent.message_id == 2
    await api.edit_user_message(USER, 3, "THREE")
    updates = await bot.get_updates()
    assert updates[-1].edited_message is not None
    assert (updates[-1].edited_message.message_id, updates[-1].edited_message.text) == (3, "THREE")
    with pytest.raises(LookupError):
        await api.edit_user_message(USER, 2, "not the user's")
    with pytest.raises(LookupError):
        await api.press(USER, 99, "nope")


@pytest.mark.asyncio
async def test_forwarded_bot_sender_and_channel_post(api: LocalBotApi, bot: Bot) -> None:
    await api.send_message(USER, "fwd", forward=True, language_code=None)
    await api.send_message(USER + 1, "beep", is_bot=True)
    await api.send_message(USER, "news", chat_id=-1009, chat_type="channel")
    forwarded, from_bot, post = await bot.get_updates()
    assert forwarded.message is not None and forwarded.message.forward_origin is not None
    assert forwarded.message.from_user is not None
    assert forwarded.message.from_user.language_code is None
    assert from_bot.message is not None and from_bot.message.from_user is not None
    assert from_bot.message.from_user.is_bot is True
    assert post.channel_post is not None and post.channel_post.chat.type == "channel"


@pytest.mark.asyncio
async def test_offset_confirms_updates(api: LocalBotApi, bot: Bot) -> None:
    for i in range(3):
        await api.send_message(USER, f"m{i}")
    first = await bot.get_updates()
    assert len(first) == 3
    assert len(await bot.get_updates()) == 3  # not confirmed yet
    assert len(await bot.get_updates(limit=2)) == 2
    confirmed = await bot.get_updates(offset=first[1].update_id + 1)
    assert [u.update_id for u in confirmed] == [first[2].update_id]
    assert await bot.get_updates(offset=first[2].update_id + 1) == ()
    assert api.pending_updates() == 0


@pytest.mark.asyncio
async def test_long_polling(api: LocalBotApi, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    await api.send_message(USER, "wake up")
    updates = await asyncio.wait_for(poll, 2)
    assert loop.time() - started < 1.0
    assert len(updates) == 1 and updates[0].message is not None
    assert updates[0].message.text == "wake up"

    started = loop.time()
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=1) == ()
    assert 0.9 <= loop.time() - started < 2.0


@pytest.mark.asyncio
async def test_callback_answers(api: LocalBotApi, bot: Bot) -> None:
    sent = await bot.send_message(USER, "Q", reply_markup=keyboard("ok"))
    query_id = await api.press(USER, sent.message_id, "ok")
    since = api.event_seq()
    assert await bot.answer_callback_query(query_id, text="Tack!", show_alert=True) is True
    events = await api.wait_for_bot_activity(USER, since=since, timeout=1)
    assert [e["method"] for e in events] == ["answerCallbackQuery"]
    assert events[0]["chat_id"] == USER and events[0]["message_id"] == sent.message_id
    answer = api.callback_answers()[query_id]
    assert answer["text"] == "Tack!" and answer["show_alert"] is True
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)


@pytest.mark.asyncio
async def test_errors(api: LocalBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(USER, "x" * 4097)
    await bot.send_message(USER, "x" * 4096)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "q", reply_markup=keyboard("d" * 65))
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "q", reply_markup=keyboard("å" * 33))  # 66 bytes
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(USER, "<b>unclosed", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)can't parse entities: Unsupported start tag"):
        await bot.send_message(USER, "line<br>break", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)reserved"):
        await bot.send_message(USER, "Tack.", parse_mode=ParseMode.MARKDOWN_V2)
    ok = await bot.send_message(USER, "*Tack*\\. `a.b`", parse_mode=ParseMode.MARKDOWN_V2)
    assert ok.text == "Tack. a.b"

    sent = await bot.send_message(USER, "same", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "same", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("a")
        )
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("a")
        )
    # Omitting reply_markup removes the keyboard, which is a modification.
    await bot.edit_message_text("same", chat_id=USER, message_id=sent.message_id)
    assert api.last_bot_message(USER)["reply_markup"] is None  # type: ignore[index]

    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(USER, 999)
    with pytest.raises(BadRequest, match="(?i)wrong file_id"):
        await bot.get_file("nope")
    # Failed calls leave no trace in the chat.
    assert len(api.chat_messages(USER)) == 3


@pytest.mark.asyncio
async def test_wrong_token_and_unknown_method(api: LocalBotApi, bot: Bot) -> None:
    wrong = Bot("999:WRONG-TOKEN", base_url=api.base_url, base_file_url=api.base_file_url)
    try:
        with pytest.raises(InvalidToken, match="(?i)rejected"):
            await wrong.initialize()  # initialize() calls getMe
    finally:
        await wrong.shutdown()
    with pytest.raises(EndPointNotFound):  # PTB's reading of Telegram's 404 "Not Found"
        await bot.do_api_request("noSuchMethod")


@pytest.mark.asyncio
async def test_strict_chats_and_blocked_users() -> None:
    async with LocalBotApi(strict_chats=True) as api, Bot(api.token, base_url=api.base_url) as bot:
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(555, "hello?")
        await api.send_message(555, "hi")
        await bot.send_message(555, "hello!")
        await api.block_bot(555)
        with pytest.raises(Forbidden, match="(?i)blocked"):
            await bot.send_message(555, "still there?")
        updates = await bot.get_updates()
        assert updates[-1].my_chat_member is not None
        assert updates[-1].my_chat_member.new_chat_member.status == "kicked"


@pytest.mark.asyncio
async def test_raw_http_formats(api: LocalBotApi) -> None:
    base = f"{api.base_url}{api.token}"
    async with aiohttp.ClientSession() as session:
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        # JSON body, with reply_markup as a JSON string inside it.
        body = {"chat_id": "7", "text": "json", "reply_markup": json.dumps(markup)}
        async with session.post(f"{base}/sendMessage", json=body) as resp:
            payload = await resp.json()
            assert resp.status == 200 and payload["ok"] is True
            assert isinstance(payload["result"]["date"], int)
        query = {"chat_id": "7", "text": "123"}
        async with session.get(f"{base}/sendMessage", params=query) as resp:
            assert (await resp.json())["result"]["text"] == "123"  # text stays a string
        form = {"chat_id": "7", "text": "x" * 4097}
        async with session.post(f"{base}/sendMessage", data=form) as resp:
            assert resp.status == 400
            assert await resp.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message is too long",
            }
        async with session.get(f"{api.base_url}0:bad/getMe") as resp:
            assert resp.status == 401
            expected = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            assert await resp.json() == expected
        async with session.post(f"{base}/whatever") as resp:
            assert resp.status == 404 and (await resp.json())["ok"] is False
    assert [m["text"] for m in api.chat_messages(7)] == ["json", "123"]
    assert api.chat_messages(7)[0]["reply_markup"] == markup


@pytest.mark.asyncio
async def test_wait_for_bot_activity_times_out(api: LocalBotApi) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await api.wait_for_bot_activity(USER, since=api.event_seq(), timeout=0.1)
    assert time.monotonic() - started < 1


@pytest.mark.asyncio
async def test_application_echo(api: LocalBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    app = (
        ApplicationBuilder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url).build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
        await app.start()
        try:
            users = [2001, 2002, 2003]
            since = api.event_seq()
            for user in users:
                await api.send_message(user, f"hej från {user}")
            for user in users:
                events = await api.wait_for_bot_activity(user, since=since, timeout=5)
                assert events[0]["method"] == "sendMessage"
                assert events[0]["message"]["text"] == f"hej från {user}"
            await api.wait_until_idle(timeout=5)
            assert api.pending_updates() <= len(users)
        finally:
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()
    assert api.pending_updates() == 0  # the final getUpdates confirmed everything


# Another web page the user has open can reach 127.0.0.1 too: it must not drive or read this API.
EVIL_ORIGIN = "http://evil.example"
PHISHING = {"chat_id": "7", "text": "Log in again", "reply_markup": '{"inline_keyboard": []}'}


def assert_bot_api_error(payload: object, status: int) -> None:
    assert isinstance(payload, dict) and payload["ok"] is False and payload["error_code"] == status
    assert isinstance(payload["description"], str) and payload["description"]


@pytest.mark.asyncio
async def test_a_cross_origin_post_cannot_send_messages(api: LocalBotApi) -> None:
    url = f"{api.base_url}{api.token}/sendMessage"
    as_text = json.dumps(PHISHING)
    async with aiohttp.ClientSession() as session:
        # A "simple" request a browser sends without asking first: text/plain, with the page's Origin.
        for headers in (
            {"Content-Type": "text/plain", "Origin": EVIL_ORIGIN},
            {"Content-Type": "text/plain", "Origin": "null"},
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": EVIL_ORIGIN},
            {"Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site"},
            {"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"},
        ):
            async with session.post(url, data=as_text, headers=headers) as resp:
                assert resp.status == 403, headers
                assert_bot_api_error(await resp.json(), 403)
        # Without Origin, a body that is neither form nor JSON is still refused.
        for content_type in ("text/plain", "application/octet-stream", "text/html"):
            async with session.post(url, data=as_text, headers={"Content-Type": content_type}) as resp:
                assert resp.status == 415, content_type
                assert_bot_api_error(await resp.json(), 415)
        async with session.get(f"{api.base_url}{api.token}/getMe", headers={"Origin": EVIL_ORIGIN}) as resp:
            assert resp.status == 403
        # What the bot's own client sends still works: a form, JSON, or no body at all.
        async with session.post(url, data={**PHISHING, "text": "form"}) as resp:
            assert resp.status == 200
        async with session.post(url, json={**PHISHING, "text": "json"}) as resp:
            assert resp.status == 200
        async with session.post(
            f"{api.base_url}{api.token}/getMe", headers={"Sec-Fetch-Site": "none"}
        ) as resp:
            assert resp.status == 200
    assert [message["text"] for message in api.chat_messages(7)] == ["form", "json"]


@pytest.mark.asyncio
async def test_a_foreign_host_cannot_read_updates_or_files(api: LocalBotApi, bot: Bot) -> None:
    """DNS rebinding: another site's name pointed at 127.0.0.1 reaches the port, with its own Host."""
    await api.send_message(USER, "what the resident typed")
    sent = await bot.send_document(USER, document=b"secret;export\n", filename="export.csv")
    assert sent.document is not None
    file_path = (await bot.get_file(sent.document.file_id)).file_path
    assert file_path is not None and file_path.startswith(api.base_file_url)
    urls = [f"{api.base_url}{api.token}/getUpdates?offset=99", file_path]
    async with aiohttp.ClientSession() as session:
        for url in urls:
            for host in (
                f"evil.example:{api.port}",
                "evil.example",
                f"127.0.0.1:{api.port + 1}",
                f"localhost.evil.example:{api.port}",
                f"127.0.0.1.evil.example:{api.port}",
                "",
            ):
                async with session.get(url, headers={"Host": host}) as resp:
                    body = await resp.read()
                    assert resp.status == 421, (url, host)
                    assert_bot_api_error(json.loads(body), 421)
                    assert b"resident" not in body and b"secret" not in body
        assert api.pending_updates() == 1, "a refused getUpdates confirms nothing"
        for host in (f"127.0.0.1:{api.port}", f"LOCALHOST:{api.port}", f"127.0.0.2:{api.port}"):
            async with session.get(file_path, headers={"Host": host}) as resp:
                assert resp.status == 200 and await resp.read() == b"secret;export\n", host


@pytest.mark.asyncio
async def test_text_that_is_not_unicode_is_refused_and_never_wedges_get_updates(
    api: LocalBotApi, bot: Bot
) -> None:
    url = f"{api.base_url}{api.token}/sendMessage"
    async with aiohttp.ClientSession() as session:
        # A lone surrogate can be written in JSON but not in UTF-8.
        async with session.post(url, json={"chat_id": 7, "text": "hej \ud800 x"}) as resp:
            assert resp.status == 400
            assert_bot_api_error(await resp.json(), 400)
        for raw in (b"chat_id=7&text=hej+\xed\xa0\x80", b"chat_id=7&text=\xff"):
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            async with session.post(url, data=raw, headers=headers) as resp:
                assert resp.status == 400, raw
                assert_bot_api_error(await resp.json(), 400)
    assert api.chat_messages(7) == []
    # A simulated user's broken text still reaches the bot as readable text.
    await api.send_message(USER, "hej \ud800 x")
    await api.send_message(USER, "next")
    updates = await bot.get_updates()
    texts = [update.message.text for update in updates if update.message is not None]
    assert texts == ["hej \ufffd x", "next"]
