"""The one error handler: log without personal data, answer the resident politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.survey.definition import Survey
from bot.survey.views import say
from handlers.common import send, telegram_language
from storage import DatabaseUnavailable, Response, Stage

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
    # The step that failed may or may not have stored its answer, so the reply speaks only of
    # answers the database is known to hold, and of none when it cannot be read.
    answers_kept = False
    if update.effective_user is not None and not isinstance(error, DatabaseUnavailable):
        try:
            response = await context.surveys.find(context.respondent(update.effective_user.id))
            if response is not None:
                if response.language:
                    t = context.translator(response.language)
                answers_kept = has_stored_answers(response, context.surveys.survey_for(response))
        except Exception:  # the database itself may be what failed
            logger.warning("could not read the resident's language for the error reply")
    if isinstance(error, DatabaseUnavailable):
        key = "error.unavailable"
    else:
        key = "error.generic_answers_kept" if answers_kept else "error.generic_try_again"
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError:
            pass  # the handler had answered it already; the reply below matters more
    try:
        await send(update, context, say(t, t(key)))
    except TelegramError as reply_error:
        logger.warning("could not send the error reply: %s", type(reply_error).__name__)


def has_stored_answers(response: Response, survey: Survey) -> bool:
    """Whether the resident has answers in the database. A choice question's answer (or skip) is
    stored in the same transaction that moves the resident on, so being past the first choice
    question means at least one is stored, and a finished survey has them all."""
    if response.stage is Stage.DONE:
        return True
    current = survey.question(response.current_question or "")
    if response.stage is not Stage.QUESTIONS or current is None:
        return False
    ids = [q.id for q in survey.questions]
    return ids.index(current.id) > ids.index(survey.choice_questions()[0].id)
