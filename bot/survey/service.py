"""What happens when a resident answers: the rules of the survey, apart from Telegram and SQL.

Every method takes the resident's response as the handler already read it, and returns the
state after the action without reading it back: one read and one write per update.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from bot.i18n.catalogue import SOURCE_LANGUAGE
from bot.language.detection import detect
from bot.privacy.text import clean_text
from bot.report.themes import ThemeTagger
from bot.survey.definition import Period, Question, QuestionKind, Survey, SurveyVersions
from storage import Answer, Response, Stage, Story
from storage.interface import ResponseStore
from storage.models import notice_day

# Telegram allows 4096 characters in a message; a story is kept well inside that.
# The version of the offer text (``notice.offer``) a resident agrees to when asking for the
# municipality's answer: stored with the request, raised whenever that text changes.
NOTICE_CONSENT_VERSION = "2026.1"

MAX_STORY_CHARS = 4000

# Voice notes can be long, but one of no length or over two hours is a broken or forged update
# rather than a spoken story, and is not stored.
MAX_VOICE_SECONDS = 2 * 60 * 60


class SurveyFlowError(Exception):
    """A resident's action does not fit where they are; answered politely, never a crash."""


class NotStarted(SurveyFlowError):
    """The resident has no survey under way."""


class WrongStage(SurveyFlowError):
    """The action belongs to another step (an old language or consent button, say)."""


class StaleQuestion(SurveyFlowError):
    """A button of a question other than the current one was pressed."""


class UnknownOption(SurveyFlowError):
    """An option code the question does not have (a forged or outdated button)."""


class EmptyStory(SurveyFlowError):
    """A story with no visible text (only spaces or invisible characters)."""


class InvalidVoice(SurveyFlowError):
    """A voice note whose length cannot be real (not positive, or over MAX_VOICE_SECONDS)."""


class StoryTooLong(SurveyFlowError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"story longer than {limit} characters")
        self.limit = limit


def _visible(char: str) -> bool:
    """Not a space, control, format (zero-width, direction marks) or lone combining mark."""
    return unicodedata.category(char) not in ("Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Progress:
    """A resident's state after an action, with what the reply needs."""

    response: Response
    question: Question | None
    # The version of the survey this resident is answering.
    survey: Survey
    # The option codes just stored for the previous question (empty when it was skipped).
    saved_codes: tuple[str, ...] = ()
    # The answers so far, where the survey routes by them (empty otherwise).
    given: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.response.stage is Stage.DONE


@dataclass(frozen=True, slots=True)
class ResidentData:
    response: Response
    answers: dict[str, Answer]
    story: Story | None
    survey: Survey
    # Whether this chat asked for a message when the municipality has answered.
    notice_requested: bool = False

    @property
    def given(self) -> dict[str, tuple[str, ...]]:
        return given_by(self.answers)


def given_by(answers: Mapping[str, Answer]) -> dict[str, tuple[str, ...]]:
    return {question: answer.option_codes for question, answer in answers.items()}


class SurveyService:
    def __init__(
        self,
        repository: ResponseStore,
        survey: Survey | SurveyVersions,
        *,
        clock: Callable[[], str] = utc_now,
        scrub: Callable[[str], str] = lambda text: text,
        tagger: ThemeTagger | None = None,
    ) -> None:
        self.repository = repository
        self.versions = survey if isinstance(survey, SurveyVersions) else SurveyVersions(survey)
        # New residents get the current version.
        self.survey = self.versions.current
        self._clock = clock
        self._scrub = scrub
        self._tagger = tagger

    def period(self) -> Period:
        """Whether residents may answer now: the current version's period decides."""
        now = datetime.fromisoformat(self._clock())
        return self.survey.period(now if now.tzinfo else now.replace(tzinfo=UTC))

    async def find(self, respondent: str) -> Response | None:
        return await self.repository.find_response(respondent, self.survey.id)

    async def begin(self, respondent: str) -> Response:
        """The resident's response, created (waiting for a language) if there is none."""
        response = await self.find(respondent)
        if response is not None:
            return response
        return await self.repository.create_response(
            respondent, self.survey.id, self.survey.version, self._clock()
        )

    async def choose_language(self, respondent: str, response: Response | None, language: str) -> Response:
        if response is None:
            response = await self.begin(respondent)
        stage = Stage.CONSENT if response.stage is Stage.LANGUAGE else response.stage
        now = self._clock()
        await self.repository.set_language(response.id, language, stage, now)
        return replace(response, language=language, stage=stage, updated_at=now)

    async def consent(self, response: Response | None, agree: bool) -> Progress | None:
        """Record the agreement and go to the first question; on "no thanks" keep nothing."""
        if response is None:
            raise NotStarted()
        if response.stage is not Stage.CONSENT:
            raise WrongStage()
        if not agree:
            await self.repository.delete_response(response.id)
            return None
        # Nothing has been answered yet: a resident who chose their language before a new
        # version was deployed is asked the new one.
        survey = self.survey
        first = survey.first_question()
        now = self._clock()
        await self.repository.record_consent(
            response.id, survey.consent_version, first.id, now, survey_version=survey.version
        )
        response = replace(
            response,
            survey_version=survey.version,
            stage=Stage.QUESTIONS,
            consent_version=survey.consent_version,
            consented_at=now,
            current_question=first.id,
            pending_codes=(),
            updated_at=now,
        )
        return Progress(response, first, survey)

    def survey_for(self, response: Response) -> Survey:
        """The version the resident started; one this bot no longer knows is replaced by the
        current one (``progress`` then finds them a place in it)."""
        return self.versions.get(response.survey_version) or self.survey

    async def progress(self, response: Response) -> Progress:
        """Where the resident is, repairing a place that the survey version no longer has or
        that their answers no longer lead to."""
        survey = self.survey_for(response)
        if response.stage is not Stage.QUESTIONS:
            return Progress(response, None, survey)
        given: dict[str, tuple[str, ...]] = {}
        answered: Mapping[str, Answer] | None = None
        if survey.routed:
            answered = await self.repository.answers(response.id)
            given = given_by(answered)
        question = survey.question(response.current_question or "")
        if question is not None and survey.shown(question, given):
            return Progress(response, question, survey, given=given)
        if answered is None:
            answered = await self.repository.answers(response.id)
        question = next((q for q in survey.asked(given) if q.id not in answered), None)
        now = self._clock()
        if question is None:
            await self.repository.advance(response.id, None, now)
            return Progress(self._advanced(response, None, now), None, survey, given=given)
        await self.repository.advance(response.id, question.id, now)
        return Progress(self._advanced(response, question, now), question, survey, given=given)

    @staticmethod
    def _advanced(response: Response, following: Question | None, now: str) -> Response:
        """The response as the repository's ``advance`` leaves it."""
        if following is None:
            return replace(
                response,
                stage=Stage.DONE,
                current_question=None,
                pending_codes=(),
                updated_at=now,
                completed_at=response.completed_at or now,
            )
        return replace(response, current_question=following.id, pending_codes=(), updated_at=now)

    async def _current(self, response: Response | None, question_id: str) -> Progress:
        if response is None:
            raise NotStarted()
        if response.stage is not Stage.QUESTIONS:
            raise WrongStage()
        progress = await self.progress(response)
        if progress.question is None or progress.question.id != question_id:
            raise StaleQuestion()
        return progress

    async def _store(self, at: Progress, codes: tuple[str, ...], *, skipped: bool) -> Progress:
        response, question, survey = at.response, at.question, at.survey
        assert question is not None
        given = {**at.given, question.id: codes}
        following = survey.next_question(question.id, given)
        now = self._clock()
        await self.repository.save_answer(
            response.id,
            question.id,
            codes,
            skipped=skipped,
            survey_version=survey.version,
            next_question=following.id if following else None,
            now=now,
        )
        return Progress(self._advanced(response, following, now), following, survey, codes, given)

    async def answer(self, response: Response | None, question_id: str, code: str) -> Progress:
        at = await self._current(response, question_id)
        question = at.question
        assert question is not None
        if question.kind is not QuestionKind.SINGLE or question.option(code) is None:
            raise UnknownOption()
        return await self._store(at, (code,), skipped=False)

    async def toggle(self, response: Response | None, question_id: str, code: str) -> Progress:
        at = await self._current(response, question_id)
        response, question = at.response, at.question
        assert question is not None
        option = question.option(code)
        if question.kind is not QuestionKind.MULTI or option is None:
            raise UnknownOption()
        selected = list(response.pending_codes)
        if code in selected:
            selected.remove(code)
        elif option.exclusive:
            selected = [code]
        else:
            exclusive = {o.code for o in question.options if o.exclusive}
            selected = [c for c in selected if c not in exclusive] + [code]
        # Kept in the survey's option order, whatever order they were ticked in.
        ordered = tuple(c for c in question.option_codes if c in selected)
        now = self._clock()
        await self.repository.set_pending(response.id, ordered, now)
        return replace(at, response=replace(response, pending_codes=ordered, updated_at=now))

    async def confirm(self, response: Response | None, question_id: str) -> Progress:
        at = await self._current(response, question_id)
        if at.question is None or at.question.kind is not QuestionKind.MULTI:
            raise UnknownOption()
        codes = at.response.pending_codes
        # "Done" with nothing ticked is the same as skipping.
        return await self._store(at, codes, skipped=not codes)

    async def skip(self, response: Response | None, question_id: str) -> Progress:
        at = await self._current(response, question_id)
        response, question, survey = at.response, at.question, at.survey
        assert question is not None
        if question.kind is QuestionKind.FREE_TEXT:
            following = survey.next_question(question.id, at.given)
            now = self._clock()
            await self.repository.advance(response.id, following.id if following else None, now)
            return Progress(self._advanced(response, following, now), following, survey, given=at.given)
        return await self._store(at, (), skipped=True)

    async def story_question(self, response: Response | None) -> Question | None:
        """The free-text question the resident is on, if they are on one."""
        at = await self._at_story(response)
        return at.question if at is not None else None

    async def _at_story(self, response: Response | None) -> Progress | None:
        if response is None or response.stage is not Stage.QUESTIONS:
            return None
        at = await self.progress(response)
        question = at.question
        return at if question is not None and question.kind is QuestionKind.FREE_TEXT else None

    async def tell_story(self, response: Response | None, text: str) -> Progress:
        at = await self._at_story(response)
        if response is None or at is None:
            raise WrongStage()
        text = clean_text(text).strip()  # junk characters never reach the store
        if not any(_visible(char) for char in text):
            raise EmptyStory()
        if len(text) > MAX_STORY_CHARS:
            raise StoryTooLong(MAX_STORY_CHARS)
        clean = self._scrub(text)
        language = detect(clean, hint=response.language)
        return await self._save_story(at, text=clean, voice=None, language=language)

    async def send_voice(self, response: Response | None, file_id: str, duration: int) -> Progress:
        at = await self._at_story(response)
        if response is None or at is None:
            raise WrongStage()
        if not 0 < duration <= MAX_VOICE_SECONDS:
            raise InvalidVoice()
        return await self._save_story(at, text=None, voice=(file_id, duration), language=None)

    async def _save_story(
        self,
        at: Progress,
        *,
        text: str | None,
        voice: tuple[str, int] | None,
        language: str | None,
    ) -> Progress:
        response, question, survey = at.response, at.question, at.survey
        assert question is not None
        following = survey.next_question(question.id, at.given)
        now = self._clock()
        themes: tuple[str, ...] = ()
        themes_version = None
        if text is not None and self._tagger is not None:
            themes, themes_version = self._tagger.tag(text, language), self._tagger.version
        await self.repository.save_story(
            response.id,
            text=text,
            voice_file_id=voice[0] if voice else None,
            voice_duration=voice[1] if voice else None,
            language=language,
            next_question=following.id if following else None,
            now=now,
            themes=themes,
            themes_version=themes_version,
        )
        return Progress(self._advanced(response, following, now), following, survey, given=at.given)

    async def resident_data(self, respondent: str, chat_id: int | None = None) -> ResidentData | None:
        response = await self.find(respondent)
        if response is None:
            return None
        return ResidentData(
            response,
            await self.repository.answers(response.id),
            await self.repository.story(response.id),
            self.survey_for(response),
            notice_requested=chat_id is not None and await self.notice_requested(chat_id),
        )

    async def forget(self, respondent: str, chat_id: int | None = None) -> bool:
        """Erase everything stored about a resident, and the chat's request for the
        municipality's answer; True if there was anything."""
        erased = await self.repository.delete_respondent(respondent)
        if chat_id is not None:
            erased += await self.repository.erase_result_notice(chat_id)
        return erased > 0

    async def request_notice(self, response: Response | None, chat_id: int) -> None:
        """Keep this chat's id to send one message when the municipality has sent its answer.
        Only a resident who has finished is offered it."""
        if response is None:
            raise NotStarted()
        if response.stage is not Stage.DONE:
            raise WrongStage()
        await self.repository.request_result_notice(
            chat_id,
            self.survey.id,
            response.language or SOURCE_LANGUAGE,
            NOTICE_CONSENT_VERSION,
            notice_day(self._clock()),
        )

    async def notice_requested(self, chat_id: int) -> bool:
        return await self.repository.result_notice(chat_id, self.survey.id) is not None

    async def cancel_notice(self, chat_id: int) -> bool:
        return await self.repository.erase_result_notice(chat_id, self.survey.id) > 0
