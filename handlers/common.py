"""Small helpers shared by the handlers: who is writing, in which language, and replying."""

from __future__ import annotations

from telegram import Message, Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.i18n.catalogue import Translator
from bot.survey.views import MAX_MESSAGE_CHARS, Reply, split_message, telegram_length
from storage import Response


def telegram_language(update: Update) -> str | None:
    user = update.effective_user
    return user.language_code if user else None


async def resident(update: Update, context: BotContext) -> tuple[str, Response | None, Translator]:
    """The resident's pseudonym, their response (if any) and a translator in their language."""
    assert update.effective_user is not None
    respondent = context.respondent(update.effective_user.id)
    response = await context.surveys.find(respondent)
    language = response.language if response and response.language else telegram_language(update)
    return respondent, response, context.translator(language)


async def send(update: Update, context: BotContext, reply: Reply) -> Message | None:
    """Send a reply to the update's chat, split if it is longer than Telegram allows."""
    chat = update.effective_chat
    if chat is None:
        return None
    parts = split_message(reply.laid_out())
    message = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        message = await context.bot.send_message(chat.id, part, reply_markup=reply.keyboard if last else None)
    return message


async def edit_or_send(update: Update, context: BotContext, reply: Reply) -> None:
    """Replace the pressed button's message with the reply; send anew if it cannot be edited."""
    query = update.callback_query
    message = query.message if query else None
    text = reply.laid_out()
    if isinstance(message, Message) and telegram_length(text) <= MAX_MESSAGE_CHARS:
        try:
            await message.edit_text(text, reply_markup=reply.keyboard)
            return
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return
            # Too old to edit, or deleted by the resident: fall through and send a new one.
    await send(update, context, reply)


async def answer_query(update: Update, text: str | None = None) -> None:
    """Stop the button's spinner; a pop-up text is optional."""
    if update.callback_query is not None:
        await update.callback_query.answer(text)
