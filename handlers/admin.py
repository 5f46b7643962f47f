"""Admin commands. To anyone not listed in ADMIN_IDS they do not exist: the answer is the
one any unknown command gets."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from telegram import InputFile, Update
from telegram.constants import ChatType

from bot.admin import views as admin_views
from bot.context import BotContext
from bot.report.evidence import UnknownGrouping, UnknownQuestion
from bot.report.figures import CrossTable
from bot.survey.views import Reply
from handlers import resident
from handlers.common import send

logger = logging.getLogger(__name__)

ADMIN_COMMANDS = ("summary", "stats", "export", "report")

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def admins_only(command: str) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(update: Update, context: BotContext) -> None:
            user, chat = update.effective_user, update.effective_chat
            if not _own_private_chat(update):
                # Whatever the sender, figures go only to an admin's own private chat with the
                # bot, never to a chat a business connection or a forged update names.
                logger.warning("admin command /%s ignored: not the sender's own private chat", command)
                return
            assert user is not None and chat is not None
            if not context.services.admin.is_admin(user.id):
                # Neither the id nor the message: only that someone tried.
                logger.warning("admin command /%s refused: sender is not an admin", command)
                await resident.on_unknown_command(update, context)
                return
            await handler(update, context)

        return guarded

    return decorate


def _own_private_chat(update: Update) -> bool:
    user, chat = update.effective_user, update.effective_chat
    return (
        update.business_message is None
        and update.edited_business_message is None
        and user is not None
        and chat is not None
        and chat.type == ChatType.PRIVATE
        and chat.id == user.id
    )


def _actor(update: Update, context: BotContext) -> str:
    assert update.effective_user is not None
    return context.respondent(update.effective_user.id)


@admins_only("summary")
async def summary(update: Update, context: BotContext) -> None:
    evidence = await context.services.admin.summary(_actor(update, context))
    await send(update, context, admin_views.summary(context.services.admin_strings, evidence))


@admins_only("stats")
async def stats(update: Update, context: BotContext) -> None:
    t = context.services.admin_strings
    service = context.services.admin
    questions = ", ".join(service.evidence.question_ids)
    groupings = ", ".join(service.evidence.groupings)
    words = [word.lower() for word in (context.args or []) if word.lower() not in ("by", "efter")]
    if not words or len(words) > 2:
        await send(update, context, Reply(t("admin.stats.usage", questions=questions, groupings=groupings)))
        return
    # A grouping may be typed as its id or its Swedish name ("/stats online efter område").
    swedish = {t(f"admin.grouping.{name}").lower(): name for name in service.evidence.groupings}
    question = words[0]
    grouping = swedish.get(words[1], words[1]) if len(words) == 2 else None
    try:
        result = await service.stats(_actor(update, context), question, grouping)
    except UnknownQuestion:
        text = t("admin.stats.unknown_question", question=question, questions=questions)
        await send(update, context, Reply(text))
        return
    except UnknownGrouping:
        text = t("admin.stats.unknown_grouping", grouping=grouping, groupings=groupings)
        await send(update, context, Reply(text))
        return
    if isinstance(result, CrossTable):
        await send(update, context, admin_views.cross_table(t, result))
    else:
        await send(update, context, admin_views.distribution(t, result))


@admins_only("export")
async def export(update: Update, context: BotContext) -> None:
    t = context.services.admin_strings
    document = await context.services.admin.export_csv(_actor(update, context))
    assert update.effective_chat is not None
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(document.content, filename=document.filename),
        caption=t("admin.export.caption", count=admin_views.number(document.count)),
    )


@admins_only("report")
async def report(update: Update, context: BotContext) -> None:
    t = context.services.admin_strings
    await send(update, context, Reply(t("admin.report.working")))
    document = await context.services.admin.report(_actor(update, context))
    assert update.effective_chat is not None
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(document.content, filename=document.filename),
        caption=t("admin.report.caption", date=document.made),
    )
