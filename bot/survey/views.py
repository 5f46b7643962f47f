"""What the resident sees: texts and inline keyboards built from the survey and catalogues."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n.catalogue import Translations, Translator, isolate
from bot.privacy import disclosure
from bot.survey.callbacks import CONSENT_NO, CONSENT_YES, UNDER_AGE, Action, Callback, fingerprint
from bot.survey.definition import Given, Period, Question, QuestionKind, Survey
from bot.survey.service import Progress, ResidentData
from storage import Answer, Response, Stage, Story

# Telegram's limit for one message, counted as Telegram counts: in UTF-16 code units, so an emoji
# outside the Basic Multilingual Plane takes two (see telegram_length).
MAX_MESSAGE_CHARS = 4096
TICK = "☑️"
UNTICKED = "⬜"


# Right-to-left mark: starts each line of a right-to-left message so that every Telegram client
# lays it out right to left, even a line that begins with a place name or a number.
RLM = "\u200f"


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    keyboard: InlineKeyboardMarkup | None = None
    direction: str = "ltr"

    def laid_out(self) -> str:
        """The text as sent: right-to-left lines start with a right-to-left mark."""
        if self.direction != "rtl":
            return self.text
        return "\n".join(
            f"{RLM}{line}" if line and not line.startswith(RLM) else line for line in self.text.split("\n")
        )


def say(t: Translator, text: str, keyboard: InlineKeyboardMarkup | None = None) -> Reply:
    """A reply in the resident's language, laid out in that language's direction."""
    return Reply(text, keyboard, t.direction)


def telegram_length(text: str) -> int:
    """The length Telegram checks against its limits: UTF-16 code units, not code points."""
    return len(text.encode("utf-16-le")) // 2


def _fitting(line: str, limit: int) -> int:
    """How many characters from the start of ``line`` fit in ``limit`` UTF-16 code units."""
    units = 0
    for index, char in enumerate(line):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(line)


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Split at line breaks (or hard, for one huge line) so every part fits Telegram's limit,
    measured as Telegram measures it (a resident's story of emoji counts double)."""
    parts: list[str] = []
    current = ""
    current_length = 0
    for line in text.split("\n"):
        length = telegram_length(line)
        while length > limit:
            if current:
                parts.append(current)
                current, current_length = "", 0
            cut = _fitting(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
            length = telegram_length(line)
        candidate_length = current_length + 1 + length if current else length
        if candidate_length > limit:
            parts.append(current)
            current, current_length = line, length
        else:
            current = f"{current}\n{line}" if current else line
            current_length = candidate_length
    if current or not parts:
        parts.append(current)
    return parts


def _button(label: str, callback: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callback.encode())


def _rows(buttons: Sequence[InlineKeyboardButton], columns: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + columns]) for i in range(0, len(buttons), columns)]


def ordered_languages(translations: Translations, suggestions: Iterable[str | None]) -> list[str]:
    """Suggested languages first (Telegram's, then what the resident wrote in), then the rest."""
    first: list[str] = []
    for suggestion in suggestions:
        code = translations.serving(suggestion)
        if code and code not in first:
            first.append(code)
    return first + [code for code in translations.languages if code not in first]


def language_menu(
    translations: Translations, t: Translator, key: str, suggestions: Iterable[str | None]
) -> Reply:
    buttons = [
        _button(translations.catalogues[code].name, Callback(Action.LANGUAGE, value=code))
        for code in ordered_languages(translations, suggestions)
    ]
    return say(t, t(key), InlineKeyboardMarkup(_rows(buttons, 2)))


def period_notice(t: Translator, survey: Survey, period: Period, *, has_answered: bool) -> Reply:
    """Why nothing is asked now: not open yet, or closed (keeping what was given)."""
    # Days are written 2027-02-28, the same in every language.
    if period is Period.NOT_OPEN:
        return say(t, t("period.not_open", date=survey.first_day().isoformat()))
    assert survey.answer_due is not None and survey.results_link is not None
    return say(
        t,
        t(
            "period.closed_kept" if has_answered else "period.closed",
            date=survey.last_day().isoformat(),
            due=survey.answer_due.isoformat(),
            link=isolate(survey.results_link),
        ),
    )


def consent(t: Translator, retention_days: int, contact: str, minimum_age: int) -> Reply:
    text = "\n\n".join(
        [
            t("consent.title"),
            t("consent.who"),
            t("consent.stored"),
            t.plural("consent.retention", retention_days),
            t("consent.access", min_group=disclosure.MINIMUM),
            t("consent.rights"),
            t("consent.contact", contact=isolate(contact)),
            t("consent.age", age=minimum_age),
            t("consent.question"),
        ]
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                _button(
                    t("consent.agree"), Callback(Action.CONSENT, value=CONSENT_YES, shown=fingerprint(text))
                )
            ],
            [_button(t("consent.decline"), Callback(Action.CONSENT, value=CONSENT_NO))],
            [_button(t("consent.under_age", age=minimum_age), Callback(Action.CONSENT, value=UNDER_AGE))],
        ]
    )
    return say(t, text, keyboard)


def option_label(t: Translator, question: Question, code: str) -> str:
    option = question.option(code)
    label = t(f"q.{question.id}.{code}")
    return f"{option.symbol} {label}" if option and option.symbol else label


def question(
    t: Translator,
    survey: Survey,
    current: Question,
    pending: Sequence[str] = (),
    *,
    note: str | None = None,
    given: Given | None = None,
) -> Reply:
    lines = []
    if note:
        lines += [note, ""]
    number, total = survey.position(current.id, given)
    lines.append(t("question.progress", number=number, total=total))
    lines.append(t(f"q.{current.id}"))
    if current.kind is QuestionKind.MULTI:
        lines.append(t("question.multi_hint"))
    return say(t, "\n".join(lines), question_keyboard(t, survey, current, tuple(pending)))


def at_question(t: Translator, progress: Progress, *, note: str | None = None) -> Reply:
    """The question a resident is on, with their ticks so far and its place in their survey."""
    if progress.question is None:
        raise ValueError("the resident is not on a question")
    return question(
        t,
        progress.survey,
        progress.question,
        progress.response.pending_codes,
        note=note,
        given=progress.given,
    )


def question_keyboard(
    t: Translator, survey: Survey, current: Question, pending: tuple[str, ...]
) -> InlineKeyboardMarkup:
    """The question's buttons. Built once per language, question and ticked set and then reused:
    keyboards are immutable, and building them is a noticeable share of each update's work."""
    key = ("question", t.language, survey.id, survey.version, current.id, pending)
    keyboard = t.translations.rendered.get(key)
    if not isinstance(keyboard, InlineKeyboardMarkup):
        keyboard = _build_question_keyboard(t, current, pending)
        t.translations.rendered[key] = keyboard
    return keyboard


def _build_question_keyboard(
    t: Translator, current: Question, pending: tuple[str, ...]
) -> InlineKeyboardMarkup:
    buttons: list[InlineKeyboardButton] = []
    if current.kind is QuestionKind.SINGLE:
        buttons = [
            _button(option_label(t, current, o.code), Callback(Action.ANSWER, current.id, o.code))
            for o in current.options
        ]
    elif current.kind is QuestionKind.MULTI:
        buttons = [
            _button(
                f"{TICK if o.code in pending else UNTICKED} {option_label(t, current, o.code)}",
                Callback(Action.TOGGLE, current.id, o.code),
            )
            for o in current.options
        ]
    rows = _rows(buttons, current.columns)
    last_row = [_button(t("button.skip"), Callback(Action.SKIP, current.id))]
    if current.kind is QuestionKind.MULTI:
        last_row.append(_button(t("button.done"), Callback(Action.DONE, current.id)))
    rows.append(last_row)
    return InlineKeyboardMarkup(rows)


def saved_note(t: Translator, answered: Question, codes: Sequence[str]) -> str:
    """The line that confirms the previous answer, above the next question."""
    if not codes:
        return t("question.saved_skip")
    answer = t("recap.separator").join(option_label(t, answered, code) for code in codes)
    return t("question.saved", answer=answer)


def _answer_text(t: Translator, survey_question: Question, answer: Answer | None) -> str:
    if answer is None:
        return t("recap.not_answered")
    if answer.skipped or not answer.option_codes:
        return t("recap.skipped")
    known = [c for c in answer.option_codes if survey_question.option(c) is not None]
    return t("recap.separator").join(option_label(t, survey_question, c) for c in known)


def _story_text(t: Translator, story: Story | None, response: Response) -> str:
    if story is None:
        return t("recap.skipped") if response.stage is Stage.DONE else t("recap.not_answered")
    if story.voice_file_id:
        return t.plural("recap.story_voice", story.voice_duration or 0)
    return t.plural("recap.story_text", len(story.text or ""))


def recap_lines(t: Translator, data: ResidentData) -> list[str]:
    """One line per question the resident was (or will be) asked; routed-past ones are left out."""
    lines = []
    for q in data.survey.asked(data.given):
        if q.kind is QuestionKind.FREE_TEXT:
            answer = _story_text(t, data.story, data.response)
        else:
            answer = _answer_text(t, q, data.answers.get(q.id))
        lines.append(t("recap.line", question=t(f"recap.{q.id}"), answer=answer))
    return lines


def thanks(t: Translator, data: ResidentData, *, title_key: str = "thanks.title") -> Reply:
    """Thanks and the recap; a resident who has not yet asked for a message when the
    municipality has answered is offered one, with a button."""
    lines = [t(title_key), "", t("thanks.recap_header"), *recap_lines(t, data), "", t("thanks.rights")]
    if data.notice_requested:
        return say(t, "\n".join(lines))
    lines += ["", t("notice.offer")]
    keyboard = InlineKeyboardMarkup([[_button(t("notice.yes"), Callback(Action.NOTICE, value="yes"))]])
    return say(t, "\n".join(lines), keyboard)


def notice_requested(t: Translator) -> Reply:
    """The request is kept; one button takes it back."""
    keyboard = InlineKeyboardMarkup([[_button(t("notice.no"), Callback(Action.NOTICE, value="no"))]])
    return say(t, t("notice.saved"), keyboard)


def my_data(t: Translator, data: ResidentData | None) -> Reply:
    if data is None:
        return say(t, t("mydata.nothing"))
    response = data.response
    lines = [t("mydata.header"), ""]
    lines.append(t("mydata.language", language=t.language_name))
    lines.append(t("mydata.started", time=isolate(_readable_time(response.started_at))))
    if response.consented_at:
        lines.append(
            t(
                "mydata.consent",
                time=isolate(_readable_time(response.consented_at)),
                version=isolate(response.consent_version or ""),
            )
        )
    if response.completed_at:
        lines.append(t("mydata.completed", time=isolate(_readable_time(response.completed_at))))
    if response.consented_at:
        lines += ["", *recap_lines(t, data)]
    if data.story and data.story.text:
        # The resident's own words may be in another script than the catalogue: isolate them.
        lines += ["", t("mydata.story_text", text=isolate(data.story.text))]
    if data.notice_requested:
        lines += ["", t("mydata.notice")]
    lines += ["", t("mydata.footer")]
    return say(t, "\n".join(lines))


def _readable_time(iso: str) -> str:
    return iso.replace("T", " ").removesuffix("+00:00") + " UTC"


def delete_confirmation(t: Translator) -> Reply:
    return say(
        t,
        t("delete.confirm"),
        InlineKeyboardMarkup(
            [
                [_button(t("delete.yes"), Callback(Action.DELETE, value="yes"))],
                [_button(t("delete.no"), Callback(Action.DELETE, value="no"))],
            ]
        ),
    )
