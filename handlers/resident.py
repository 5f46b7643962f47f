"""The resident's conversation: language, consent, questions, story, thanks."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Chat, Message, Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.i18n.catalogue import Translator
from bot.language.detection import detect
from bot.survey import views
from bot.survey.callbacks import CONSENT_NO, CONSENT_YES, UNDER_AGE, Action, Callback, fingerprint, parse
from bot.survey.definition import Period
from bot.survey.service import EmptyStory, InvalidVoice, Progress, StoryTooLong, SurveyFlowError
from handlers.common import answer_query, edit_or_send, resident, send, telegram_language
from storage import Response, Stage


async def show_current_step(
    update: Update,
    context: BotContext,
    response: Response | None,
    t: Translator,
    *,
    note: str | None = None,
    suggestions: Sequence[str | None] = (),
) -> None:
    """Send whatever the resident should see now: languages, consent, a question or thanks."""
    if await _outside_period(update, context, response, t):
        return
    if response is None or response.stage is Stage.LANGUAGE:
        menu = views.language_menu(
            context.translations,
            t,
            "start.choose_language",
            suggestions or [telegram_language(update)],
        )
        text = f"{note}\n\n{menu.text}" if note else menu.text
        await send(update, context, views.say(t, text, menu.keyboard))
        return
    if response.stage is Stage.CONSENT:
        if note:
            await send(update, context, views.say(t, note))
        await send(update, context, consent_view(context, t))
        return
    progress = await context.surveys.progress(response)
    if progress.question is None:
        await send_thanks(update, context, t, title_key="done.already")
        return
    await send(update, context, views.at_question(t, progress, note=note))


async def send_thanks(update: Update, context: BotContext, t: Translator, *, title_key: str) -> None:
    """Thanks with the recap of everything the resident answered."""
    data = await context.surveys.resident_data(_respondent(update, context), _chat_id(update))
    if data is not None:
        await send(update, context, views.thanks(t, data, title_key=title_key))


async def _outside_period(
    update: Update, context: BotContext, response: Response | None, t: Translator
) -> bool:
    """Before the survey opens or after it closes, say so (and that what was given is kept)
    instead of asking anything; True when that was the answer."""
    period = context.surveys.period()
    if period is Period.OPEN:
        return False
    answered = response is not None and response.stage in (Stage.QUESTIONS, Stage.DONE)
    await send(update, context, views.period_notice(t, context.surveys.survey, period, has_answered=answered))
    return True


def consent_view(context: BotContext, t: Translator) -> views.Reply:
    """The consent text with this deployment's retention period and privacy contact."""
    services = context.services
    settings = services.settings
    return views.consent(t, settings.retention_days, settings.privacy_contact, settings.minimum_age)


def _respondent(update: Update, context: BotContext) -> str:
    assert update.effective_user is not None
    return context.respondent(update.effective_user.id)


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


async def start(update: Update, context: BotContext) -> None:
    """/start: begin, or resume exactly where the resident was."""
    respondent, response, t = await resident(update, context)
    if await _outside_period(update, context, response, t):
        return
    if response is None:
        response = await context.surveys.begin(respondent)
    note = t("resume.welcome_back") if response.stage is Stage.QUESTIONS else None
    await show_current_step(update, context, response, t, note=note)


async def change_language(update: Update, context: BotContext) -> None:
    """/language: offer the languages again, at any point."""
    _, _, t = await resident(update, context)
    menu = views.language_menu(context.translations, t, "language.choose", [telegram_language(update)])
    await send(update, context, menu)


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel: pause politely; everything answered so far stays."""
    _, response, t = await resident(update, context)
    key = "cancel.done" if response is not None and response.stage is not Stage.DONE else "cancel.nothing"
    await send(update, context, views.say(t, t(key)))


async def show_help(update: Update, context: BotContext) -> None:
    """/help: the commands a resident can use."""
    _, _, t = await resident(update, context)
    await send(update, context, views.say(t, t("help.text")))
    user = update.effective_user
    if context.services.admin.is_admin(user.id if user else None):
        await send(update, context, views.Reply(context.services.admin_strings("admin.help")))


async def my_data(update: Update, context: BotContext) -> None:
    """/mydata: everything stored about this resident, and nothing about anyone else."""
    respondent, _, t = await resident(update, context)
    data = await context.surveys.resident_data(respondent, _chat_id(update))
    await send(update, context, views.my_data(t, data))


async def delete_data(update: Update, context: BotContext) -> None:
    """/delete: ask once before erasing."""
    _, response, t = await resident(update, context)
    if response is None:
        await send(update, context, views.say(t, t("delete.nothing")))
        return
    await send(update, context, views.delete_confirmation(t))


async def on_button(update: Update, context: BotContext) -> None:
    """Every inline button press, routed by its language-neutral callback data."""
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    if chat is None or chat.type != Chat.PRIVATE:
        # A button in a group, a channel or an inline message: nobody's answers are collected
        # there, so only the spinner is stopped.
        await answer_query(update)
        return
    callback = parse(query.data)
    respondent, response, t = await resident(update, context)
    if callback is None:
        await answer_query(update, t("unexpected.old_button"))
        await show_current_step(update, context, response, t)
        return
    if callback.action is Action.LANGUAGE:
        await _choose_language(update, context, respondent, response, t, callback.value)
        return
    if callback.action is Action.DELETE:
        await _confirm_delete(update, context, respondent, t, callback.value == "yes")
        return
    if callback.action is Action.NOTICE:
        # Also after closing: that is when the municipality's answer comes.
        await _notice(update, context, response, t, callback.value == "yes")
        return
    if callback.action is Action.CONSENT and callback.value == UNDER_AGE:
        # Too young to take part, pressed on any consent text still on screen, at any time:
        # whatever was given is erased.
        await context.surveys.forget(respondent, _chat_id(update))
        await answer_query(update)
        thanks = views.say(t, t("consent.under_age_thanks", age=context.services.settings.minimum_age))
        if response is None or response.stage in (Stage.LANGUAGE, Stage.CONSENT):
            await edit_or_send(update, context, thanks)
        else:
            # Pressed on an older copy of the consent text: the answer goes below, where they read.
            await send(update, context, thanks)
        return
    declining = callback.action is Action.CONSENT and callback.value == CONSENT_NO
    if declining and response is not None and response.stage is Stage.CONSENT:
        # Declining keeps nothing, also after closing.
        await _consent(update, context, response, t, callback.value)
        return
    # Deleting stays possible after closing; answering does not.
    if context.surveys.period() is not Period.OPEN:
        await answer_query(update)
        await _outside_period(update, context, response, t)
        return
    agreeing = callback.action is Action.CONSENT and callback.value == CONSENT_YES
    if agreeing and callback.shown != fingerprint(consent_view(context, t).text):
        # Agreed to a consent text that has changed since (or in another language): nothing is
        # recorded, and the text as it is now is shown to agree to.
        if response is not None and response.stage is Stage.CONSENT:
            await answer_query(update)
            await send(update, context, views.say(t, t("consent.changed")))
            await send(update, context, consent_view(context, t))
            return
    try:
        if callback.action is Action.CONSENT:
            await _consent(update, context, response, t, callback.value)
        else:
            await _answer(update, context, response, t, callback)
    except SurveyFlowError:
        # An old, repeated or forged button: nothing is stored; show where the resident is.
        await answer_query(update, t("unexpected.old_button"))
        await show_current_step(update, context, response, t)


async def _choose_language(
    update: Update,
    context: BotContext,
    respondent: str,
    before: Response | None,
    t: Translator,
    code: str,
) -> None:
    if not context.translations.supports(code):
        await answer_query(update, t("unexpected.old_button"))
        await show_current_step(update, context, before, t)
        return
    await answer_query(update)
    starting = before is None or before.stage is Stage.LANGUAGE
    # Outside the period a language button starts and changes nothing: the notice comes in the
    # language chosen.
    if await _outside_period(update, context, before, context.translator(code)):
        return
    response = await context.surveys.choose_language(respondent, before, code)
    t = context.translator(code)
    if starting:
        # The language menu becomes the consent text.
        await edit_or_send(update, context, consent_view(context, t))
        return
    await edit_or_send(update, context, views.say(t, t("language.changed")))
    await show_current_step(update, context, response, t)


async def _consent(
    update: Update, context: BotContext, response: Response | None, t: Translator, choice: str
) -> None:
    progress = await context.surveys.consent(response, agree=choice == CONSENT_YES)
    await answer_query(update)
    query = update.callback_query
    if progress is None:
        await edit_or_send(update, context, views.say(t, t("consent.declined")))
        return
    # Keep the consent text readable in the chat; only its buttons go.
    if query is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=None)
        except BadRequest:
            # No buttons to remove, or the message can no longer be edited: the consent is
            # stored either way, and the first question must still follow.
            pass
    await _show_progress(update, context, progress, t, note=None, edit=False)


async def _answer(
    update: Update, context: BotContext, response: Response | None, t: Translator, callback: Callback
) -> None:
    surveys = context.surveys
    if callback.action is Action.TOGGLE:
        progress = await surveys.toggle(response, callback.question, callback.value)
        await answer_query(update)
        await edit_or_send(update, context, views.at_question(t, progress))
        return
    if callback.action is Action.ANSWER:
        progress = await surveys.answer(response, callback.question, callback.value)
    elif callback.action is Action.DONE:
        progress = await surveys.confirm(response, callback.question)
    else:
        progress = await surveys.skip(response, callback.question)
    # Looked up only now: the service accepts nothing but the resident's current question, so a
    # button of a question the survey does not have (forged, or from an older version) has
    # already been turned away as a SurveyFlowError instead of failing here.
    answered = progress.survey.question(callback.question)
    assert answered is not None
    await answer_query(update, t("callback.saved"))
    note = views.saved_note(t, answered, progress.saved_codes)
    await _show_progress(update, context, progress, t, note=note, edit=True)


async def _show_progress(
    update: Update, context: BotContext, progress: Progress, t: Translator, *, note: str | None, edit: bool
) -> None:
    if progress.finished:
        data = await context.surveys.resident_data(_respondent(update, context), _chat_id(update))
        assert data is not None
        reply = views.thanks(t, data)
    else:
        reply = views.at_question(t, progress, note=note)
    if edit:
        await edit_or_send(update, context, reply)
    else:
        await send(update, context, reply)


async def _notice(
    update: Update, context: BotContext, response: Response | None, t: Translator, wanted: bool
) -> None:
    chat_id = _chat_id(update)
    if not wanted:
        await context.surveys.cancel_notice(chat_id)
        await answer_query(update)
        await edit_or_send(update, context, views.say(t, t("notice.cancelled")))
        return
    try:
        await context.surveys.request_notice(response, chat_id)
    except SurveyFlowError:
        # Pressed on a thanks message whose answers have since been deleted.
        await answer_query(update, t("unexpected.old_button"))
        await show_current_step(update, context, response, t)
        return
    await answer_query(update)
    query = update.callback_query
    # The thanks and recap stay readable; only the offer's button goes.
    if query is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=None)
        except BadRequest:
            pass  # already without buttons: the request is stored either way
    await send(update, context, views.notice_requested(t))


async def _confirm_delete(
    update: Update, context: BotContext, respondent: str, t: Translator, confirmed: bool
) -> None:
    await answer_query(update)
    if not confirmed:
        await edit_or_send(update, context, views.say(t, t("delete.kept")))
        return
    erased = await context.surveys.forget(respondent, _chat_id(update))
    await edit_or_send(update, context, views.say(t, t("delete.done" if erased else "delete.nothing")))


async def on_text(update: Update, context: BotContext) -> None:
    """Typed text: a story when one is asked for, otherwise a gentle pointer to the buttons."""
    message = update.effective_message
    assert message is not None and message.text is not None
    respondent, response, t = await resident(update, context)
    if await _outside_period(update, context, response, t):
        return
    if response is None or response.stage is Stage.LANGUAGE:
        if response is None:
            response = await context.surveys.begin(respondent)
        suggestions = suggest_languages(message.text, telegram_language(update))
        language = next((s for s in suggestions if context.translations.serving(s)), None)
        await show_current_step(
            update, context, response, context.translator(language), suggestions=suggestions
        )
        return
    if response.stage is Stage.CONSENT:
        await send(update, context, consent_view(context, t))
        return
    if await context.surveys.story_question(response) is not None:
        try:
            progress = await context.surveys.tell_story(response, message.text)
        except EmptyStory:
            await send(update, context, views.say(t, t("story.empty")))
            return
        except StoryTooLong as error:
            await send(update, context, views.say(t, t.plural("story.too_long", error.limit)))
            return
        await _show_progress(update, context, progress, t, note=None, edit=False)
        return
    await show_current_step(update, context, response, t, note=t("unexpected.use_buttons"))


# Fewer words than this are not enough to put a detected language before the resident's own
# Telegram language: "ok", "hej", "salam" are shared across languages.
MIN_WORDS_TO_LEAD = 4


def suggest_languages(text: str, telegram: str | None) -> list[str | None]:
    """Languages to offer first to someone who wrote before choosing one."""
    detected = detect(text, hint=telegram)
    if len(text.split()) >= MIN_WORDS_TO_LEAD:
        return [detected, telegram]
    return [telegram, detected]


async def on_voice(update: Update, context: BotContext) -> None:
    """A voice note: kept by reference (file id and length) when a story is asked for."""
    message = update.effective_message
    assert message is not None and message.voice is not None
    _, response, t = await resident(update, context)
    if await _outside_period(update, context, response, t):
        return
    if await context.surveys.story_question(response) is None:
        await on_other_message(update, context)
        return
    # The wire form gives whole seconds whichever duration type PTB is set to expose.
    seconds = int(message.voice.to_dict().get("duration") or 0)
    try:
        progress = await context.surveys.send_voice(response, message.voice.file_id, seconds)
    except InvalidVoice:
        await show_current_step(update, context, response, t, note=t("story.voice_invalid"))
        return
    await _show_progress(update, context, progress, t, note=None, edit=False)


async def on_forwarded(update: Update, context: BotContext) -> None:
    """Anything forwarded: someone else's words, so never the resident's story or command."""
    _, response, t = await resident(update, context)
    if await _outside_period(update, context, response, t):
        return
    if await context.surveys.story_question(response) is not None:
        await show_current_step(update, context, response, t, note=t("story.forwarded"))
        return
    await on_other_message(update, context)


async def on_other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, documents and the like: say so kindly and show the current step."""
    _, response, t = await resident(update, context)
    if await _outside_period(update, context, response, t):
        return
    if response is None or response.stage is Stage.LANGUAGE:
        await show_current_step(update, context, response, t, note=t("unexpected.choose_language_first"))
        return
    if response.stage is Stage.CONSENT:
        await send(update, context, views.say(t, t("unexpected.consent_first")))
        await send(update, context, consent_view(context, t))
        return
    asks_story = await context.surveys.story_question(response) is not None
    key = "unexpected.story_media" if asks_story else "unexpected.media"
    await show_current_step(update, context, response, t, note=t(key))


async def on_edited(update: Update, context: BotContext) -> None:
    """An edited message: the edit is never read. Whether the first version was kept is not known
    here (a refused story, or text typed at a button question, was not), so the reply does not say."""
    _, response, t = await resident(update, context)
    if await _outside_period(update, context, response, t):
        return
    note = t("unexpected.edited_not_saved")
    if await context.surveys.story_question(response) is not None:
        # The story is still open: ask for it again, to be sent as a new message.
        await show_current_step(update, context, response, t, note=note)
        return
    await send(update, context, views.say(t, note))


async def on_unknown_command(update: Update, context: BotContext) -> None:
    _, _, t = await resident(update, context)
    await send(update, context, views.say(t, t("unexpected.unknown_command")))
