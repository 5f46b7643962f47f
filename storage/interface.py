"""What the rest of the bot needs from storage, written out as one interface.

``Repository`` and ``EvidenceQueries`` (SQLite through aiosqlite) implement it today. A second
backend, for example PostgreSQL for several processes behind a load balancer, implements the same methods;
README's "Beyond one machine" says what else that takes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from storage.models import (
    Answer,
    AnswerCount,
    ExportRow,
    QuoteCandidate,
    ReleaseRow,
    Response,
    ResultNotice,
    Stage,
    StoredRelease,
    Story,
    Totals,
)


@runtime_checkable
class ResponseStore(Protocol):
    """Every write commits before it returns: the caller may acknowledge it to the resident."""

    async def find_response(self, respondent: str, survey_id: str) -> Response | None: ...

    async def create_response(
        self, respondent: str, survey_id: str, survey_version: str, now: str
    ) -> Response: ...

    async def set_language(self, response_id: int, language: str, stage: Stage, now: str) -> None: ...

    async def record_consent(
        self,
        response_id: int,
        consent_version: str,
        first_question: str,
        now: str,
        *,
        survey_version: str | None = None,
    ) -> None: ...

    async def delete_response(self, response_id: int) -> None: ...

    async def delete_respondent(self, respondent: str) -> int: ...

    async def set_pending(self, response_id: int, codes: Sequence[str], now: str) -> None: ...

    async def save_answer(
        self,
        response_id: int,
        question_id: str,
        codes: Sequence[str],
        *,
        skipped: bool,
        survey_version: str,
        next_question: str | None,
        now: str,
    ) -> None:
        """The answer and the resident's next place, in one transaction."""

    async def save_story(
        self,
        response_id: int,
        *,
        text: str | None,
        voice_file_id: str | None,
        voice_duration: int | None,
        language: str | None,
        next_question: str | None,
        now: str,
        themes: Sequence[str] = (),
        themes_version: str | None = None,
    ) -> None:
        """The story, its themes and the resident's next place, in one transaction."""

    async def advance(self, response_id: int, next_question: str | None, now: str) -> None: ...

    async def answers(self, response_id: int) -> dict[str, Answer]: ...

    async def story(self, response_id: int) -> Story | None: ...

    def export_rows(self, survey_id: str, batch_size: int = 500) -> AsyncIterator[ExportRow]: ...

    async def erase_started_before(self, cutoff: str) -> int: ...

    async def erase_abandoned(self, cutoff: str, *, with_answers: bool) -> int: ...

    async def request_result_notice(
        self, chat_id: int, survey_id: str, language: str, consent_version: str, today: str
    ) -> None: ...

    async def result_notice(self, chat_id: int, survey_id: str) -> ResultNotice | None: ...

    async def result_notices(self, survey_id: str) -> list[ResultNotice]: ...

    async def erase_result_notice(self, chat_id: int, survey_id: str | None = None) -> int: ...

    async def erase_result_notices_before(self, cutoff_day: str) -> int: ...

    async def count_by_state(self, survey_id: str) -> tuple[int, int]: ...


@runtime_checkable
class EvidenceSource(Protocol):
    """The admins' figures: aggregates only, computed by the database, never every row."""

    async def totals(self, survey_id: str) -> Totals: ...

    async def stored_versions(self, survey_id: str) -> list[str]: ...

    async def survey_versions(self, survey_id: str) -> list[tuple[str, int]]: ...

    async def by_language(self, survey_id: str) -> dict[str, int]: ...

    async def answer_counts(self, survey_id: str, question_id: str | None = None) -> list[AnswerCount]: ...

    async def answer_counts_by(
        self, survey_id: str, question_id: str, grouping: str
    ) -> list[AnswerCount]: ...

    async def group_sizes(self, survey_id: str, grouping: str) -> dict[str, int]: ...

    async def story_counts(self, survey_id: str) -> tuple[int, int]: ...

    async def story_languages(self, survey_id: str) -> dict[str, int]: ...

    async def theme_counts(self, survey_id: str) -> dict[str, int]: ...

    async def approved_quotes(
        self, survey_id: str, theme: str, *, limit: int, until: str | None = None
    ) -> list[tuple[str, str]]:
        """(approved text, language) of a theme's stories that a person approved for quoting."""

    async def quotes_to_review(
        self,
        survey_id: str,
        *,
        limit: int,
        skip: Sequence[int] = (),
        min_length: int = 40,
        max_length: int = 400,
    ) -> list[QuoteCandidate]: ...

    async def quote_candidate(
        self, survey_id: str, response_id: int, *, min_length: int = 40, max_length: int = 400
    ) -> QuoteCandidate | None: ...

    async def review_quote(
        self, response_id: int, *, text: str | None, actor: str, now: str, action: str, detail: str
    ) -> None:
        """Approve (``text`` given) or reject a quote, with its audit record, in one transaction."""

    async def quote_review_counts(
        self, survey_id: str, *, min_length: int = 40, max_length: int = 400
    ) -> tuple[int, int, int]:
        """Quotable stories approved, rejected and not yet reviewed."""

    async def stories_to_tag(self, version: str, *, limit: int) -> list[tuple[int, str, str | None]]: ...

    async def set_story_themes(self, tagged: Sequence[tuple[int, Sequence[str]]], version: str) -> None: ...

    async def record_admin_action(self, actor: str, action: str, detail: str, now: str) -> None: ...

    async def release_rows(
        self, survey_id: str, *, until: str | None = None, version: str | None = None
    ) -> list[ReleaseRow]: ...

    async def completed_count(self, survey_id: str, version: str | None = None) -> int: ...

    async def save_release(self, survey_id: str, release: StoredRelease, version: str) -> None: ...

    async def latest_release(self, survey_id: str, version: str) -> StoredRelease | None: ...

    async def get_meta(self, key: str) -> str | None: ...

    async def set_meta(self, key: str, value: str) -> None: ...

    async def meta_or_set(self, key: str, value: str) -> str:
        """The stored value of ``key``; ``value`` is stored first if there is none."""
