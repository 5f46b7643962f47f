"""The minimal bot the survey bot is measured against.

It echoes every message, and answers each button press (as any bot with buttons must) before
echoing its data. Same PTB set-up and concurrency as the survey bot, no database.

With ECHO_KEYBOARD=1 every echo carries a ten-button inline keyboard, the size of a survey
question's, so both bots send and receive payloads of about the same size and the comparison
isolates the survey bot's own work (rules, rendering, database). Without it the echo is plain
text: the stricter baseline."""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton(f"Option {n}", callback_data=f"echo:{n}")] for n in range(10)]
)


def _keyboard() -> InlineKeyboardMarkup | None:
    return KEYBOARD if os.environ.get("ECHO_KEYBOARD") == "1" else None


async def echo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await context.bot.send_message(message.chat_id, message.text or "…", reply_markup=_keyboard())


async def echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    await context.bot.send_message(query.message.chat.id, query.data or "…", reply_markup=_keyboard())


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
