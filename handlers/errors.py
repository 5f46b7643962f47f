"""The one error handler: log without personal data, answer the resident politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.survey.views import say
from handlers.common import send, telegram_language
from storage import DatabaseUnavailable

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    context.services.metrics.errors += 1
    # The exception type and where it happened, never message texts or user ids.
    logger.error(
        "error while handling an update: %s",
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error else None,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    t = context.translator(telegram_language(update))
    if update.effective_user is not None and not isinstance(error, DatabaseUnavailable):
        try:
            response = await context.surveys.find(context.respondent(update.effective_user.id))
            if response is not None and response.language:
                t = context.translator(response.language)
        except Exception:  # the database itself may be what failed
            logger.warning("could not read the resident's language for the error reply")
    key = "error.unavailable" if isinstance(error, DatabaseUnavailable) else "error.generic"
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError:
            pass  # the handler had answered it already; the reply below matters more
    try:
        await send(update, context, say(t, t(key)))
    except TelegramError as reply_error:
        logger.warning("could not send the error reply: %s", type(reply_error).__name__)
