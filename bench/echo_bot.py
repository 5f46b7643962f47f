"""The minimal bot the survey bot is measured against: it echoes every message and, like any
bot with buttons must, answers each button press (then echoes its data). Same PTB set-up,
same concurrency, no database."""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters


async def echo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await context.bot.send_message(message.chat_id, message.text or "…")


async def echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    await context.bot.send_message(query.message.chat.id, query.data or "…")


def main() -> None:
    application = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(os.environ["BOT_API_BASE_URL"])
        .concurrent_updates(int(os.environ.get("CONCURRENT_UPDATES", "64")))
        .build()
    )
    application.add_handler(MessageHandler(filters.ALL, echo_message))
    application.add_handler(CallbackQueryHandler(echo_button))
    application.run_polling()


if __name__ == "__main__":
    main()
