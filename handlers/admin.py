"""Admin commands. To anyone not listed in ADMIN_IDS they do not exist: the answer is the
one any unknown command gets."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from telegram import InputFile, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.admin import views as admin_views
from bot.admin.quotes import (
    MAX_QUOTE_CHARS,
    QuoteReview,
    UnknownQuote,
    UnusableText,
    done_view,
    edit_view,
    parse_callback,
    review_view,
)
from bot.context import BotContext
from bot.report.evidence import NoRelease, UnknownGrouping, UnknownQuestion
from bot.report.figures import CrossTable
from bot.survey.views import Reply
from handlers import resident
from handlers.common import answer_query, edit_or_send, send

logger = logging.getLogger(__name__)

# The commands in the admins' menu. /export still answers, but only to say the export is made on
# the server, so it is not offered.
ADMIN_COMMANDS = ("summary", "stats", "report", "quotes")

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def admins_only(command: str, otherwise: Handler | None = None) -> Callable[[Handler], Handler]:
    """Run the handler for an admin in their own private chat; anyone else gets ``otherwise``
    (by default what an unknown command gets)."""

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
                await (otherwise or resident.on_unknown_command)(update, context)
                return
            try:
                await handler(update, context)
            except NoRelease as waiting:
                # Figures exist only as a protected release: until the first, only rounded progress.
                reply = admin_views.no_release(context.services.admin_strings, waiting)
                if update.callback_query is not None:
                    await answer_query(update)
                    await edit_or_send(update, context, reply)
                else:
                    await send(update, context, reply)

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
    if not words and not context.args:
        # No figures are read for the list, so there is nothing to audit until a question is chosen.
        await send(update, context, _stats_menu(context))
        return
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
        possible = ", ".join(service.evidence.breakdowns(question))
        text = t("admin.stats.unknown_grouping", grouping=grouping, groupings=possible)
        await send(update, context, Reply(text))
        return
    if isinstance(result, CrossTable):
        await send(update, context, admin_views.cross_table(t, result))
    else:
        await send(update, context, admin_views.distribution(t, result))


def _stats_menu(context: BotContext) -> Reply:
    evidence = context.services.admin.evidence
    titles = [evidence.labels.question(question) for question in evidence.question_ids]
    return admin_views.stats_menu(context.services.admin_strings, titles)


@admins_only("stats", otherwise=resident.on_button)
async def on_stats_button(update: Update, context: BotContext) -> None:
    """A button under /stats: the message turns into the list of questions, one question's figures
    or its breakdown. Figures are read, and audited, exactly as for the typed command."""
    t = context.services.admin_strings
    service = context.services.admin
    assert update.callback_query is not None
    press = admin_views.parse_stats_data(update.callback_query.data)
    questions = service.evidence.question_ids
    if press is not None and press.question_index is None:
        await answer_query(update)
        await edit_or_send(update, context, _stats_menu(context))
        return
    if press is None or press.question_index is None or press.question_index >= len(questions):
        # A malformed press, or one from before the survey changed, opens the list afresh.
        await answer_query(update, t("admin.stats.old_button"))
        await edit_or_send(update, context, _stats_menu(context))
        return
    index = press.question_index
    question = questions[index]
    try:
        result = await service.stats(_actor(update, context), question, press.grouping)
    except (UnknownQuestion, UnknownGrouping):
        await answer_query(update, t("admin.stats.old_button"))
        await edit_or_send(update, context, _stats_menu(context))
        return
    await answer_query(update)
    if isinstance(result, CrossTable):
        await edit_or_send(update, context, admin_views.stats_breakdown(t, index, result))
    else:
        # Only the breakdowns the release holds (the area question by age, not by area).
        groupings = list(service.evidence.breakdowns(question))
        await edit_or_send(update, context, admin_views.stats_question(t, index, result, groupings))


@admins_only("export")
async def export(update: Update, context: BotContext) -> None:
    """/export: the row-level file is personal data, so it is made on the server and never sent
    through a chat service; this only says how. No data is read, so nothing goes in the audit."""
    await send(update, context, Reply(context.services.admin_strings("admin.export.on_server")))


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


# -- quotes for the report ---------------------------------------------------------------------

# In the admin's chat_data: the quote whose new words their next message is, and the quotes passed
# over since /quotes. Only in memory: after a restart /quotes starts afresh, and nothing is lost.
EDITING_KEY = "quote_editing"
SKIPPED_KEY = "quotes_skipped"
# In bot_data: one QuoteReview, so that the key behind quote ids is read once.
REVIEW_KEY = "quote_review"


def _quote_review(context: BotContext) -> QuoteReview:
    review = context.bot_data.get(REVIEW_KEY)
    if not isinstance(review, QuoteReview):
        review = context.bot_data[REVIEW_KEY] = QuoteReview(context.services.admin.evidence)
    return review


def _chat_state(context: BotContext) -> dict[str, Any]:
    assert context.chat_data is not None
    return context.chat_data


def _skipped(context: BotContext) -> list[str]:
    skipped: list[str] = _chat_state(context).setdefault(SKIPPED_KEY, [])
    return skipped


async def _next_quote(context: BotContext, note: str | None = None) -> Reply:
    t = context.services.admin_strings
    review = _quote_review(context)
    skipped = _skipped(context)
    quote = await review.next(skipped)
    counts = await review.counts()
    if quote is None:
        return done_view(t, counts, len(skipped), note)
    return review_view(t, quote, counts, note)


@admins_only("quotes")
async def quotes(update: Update, context: BotContext) -> None:
    """/quotes: the stories waiting to be approved for quoting in the report, one at a time."""
    state = _chat_state(context)
    state.pop(EDITING_KEY, None)
    state[SKIPPED_KEY] = []
    await _quote_review(context).open(_actor(update, context))
    await send(update, context, await _next_quote(context))


@admins_only("quotes", otherwise=resident.on_button)
async def on_quote_button(update: Update, context: BotContext) -> None:
    """Godkänn, Avvisa, Redigera, Hoppa över (and Avbryt while editing) under a quote. The message
    turns into the next quote."""
    t = context.services.admin_strings
    assert update.callback_query is not None
    parsed = parse_callback(update.callback_query.data)
    state = _chat_state(context)
    state.pop(EDITING_KEY, None)
    if parsed is None:
        await answer_query(update, t("admin.quotes.gone"))
        return
    action, quote_id = parsed
    review = _quote_review(context)
    note = None
    try:
        if action == "approve":
            await review.approve(_actor(update, context), quote_id)
            note = t("admin.quotes.approved")
        elif action == "reject":
            await review.reject(_actor(update, context), quote_id)
            note = t("admin.quotes.rejected")
        elif action == "skip" and quote_id not in _skipped(context):
            _skipped(context).append(quote_id)
        elif action == "edit":
            quote = await review.show(quote_id)
            state[EDITING_KEY] = quote_id
            await answer_query(update)
            await edit_or_send(update, context, edit_view(t, quote))
            return
    except UnknownQuote:
        note = t("admin.quotes.gone")
    await answer_query(update)
    await edit_or_send(update, context, await _next_quote(context, note))


async def on_quote_text(update: Update, context: BotContext) -> None:
    """An admin's message after Redigera: the quote's new words, approved. Any other message,
    and everyone else's, goes on to the resident handlers untouched."""
    if not _own_private_chat(update) or not context.chat_data or EDITING_KEY not in context.chat_data:
        return
    assert update.effective_user is not None and update.effective_message is not None
    if not context.services.admin.is_admin(update.effective_user.id):
        return
    t = context.services.admin_strings
    state = _chat_state(context)
    quote_id = state[EDITING_KEY]
    try:
        await _quote_review(context).approve(
            _actor(update, context), quote_id, update.effective_message.text or ""
        )
        note = t("admin.quotes.edited")
    except UnusableText:
        # Still editing: the next message is another try.
        await send(update, context, Reply(t("admin.quotes.unusable", limit=MAX_QUOTE_CHARS)))
        raise ApplicationHandlerStop from None
    except UnknownQuote:
        note = t("admin.quotes.gone")
    del state[EDITING_KEY]
    await send(update, context, await _next_quote(context, note))
    raise ApplicationHandlerStop
