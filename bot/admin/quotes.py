"""Quotes wait for a person. A story is quoted in the report only after an admin approved it,
as it stands or with words taken out (a name the scrubber missed, say); a rejected one never is.
The chat (/quotes) and the command line (``python -m bot quotes``) both go through
``QuoteReview``, and every decision goes into the admin audit with the same transaction.

A quote is named by a short id that does not give away when the story was told: the story's
database id put through a keyed permutation (a small Feistel network whose key is kept in the
database's ``meta`` table), written in base 32. Only the id, never the text, goes into the audit,
so erasing a resident leaves nothing of their words behind.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n.catalogue import Translator
from bot.privacy.text import clean_text
from bot.report.evidence import EvidenceService
from bot.report.themes import THEMES
from bot.survey.views import Reply
from storage.models import QuoteCandidate

TOKEN_KEY = "quote_token_key"
# Story ids below 2**40 (a trillion) get an id of 8 base-32 characters.
_HALF_BITS = 20
_HALF_MASK = (1 << _HALF_BITS) - 1
_ROUNDS = 4
_ID = re.compile(r"[a-z2-7]{8}")
# An approved text may be no longer than the longest story that can be quoted.
MAX_QUOTE_CHARS = 400
CALLBACK_PREFIX = "qr"
# Isolates: a right-to-left quote keeps its own direction inside the Swedish message.
FSI, PDI = "\u2068", "\u2069"


class UnknownQuote(LookupError):
    """The id names no story that can be quoted (never existed, erased, or no longer quotable)."""


class UnusableText(ValueError):
    """An edited text that is empty, or longer than ``MAX_QUOTE_CHARS``."""


@dataclass(frozen=True, slots=True)
class QuoteForReview:
    id: str
    text: str  # as the report would show it
    themes: tuple[str, ...]  # Swedish titles
    language: str  # Swedish name; "" when not known


@dataclass(frozen=True, slots=True)
class ReviewCounts:
    approved: int
    rejected: int
    waiting: int


class QuoteReview:
    """The review queue over the evidence store. Shows a story as a quote would show it, with
    its themes and language, and nothing else about the resident."""

    def __init__(
        self, evidence: EvidenceService, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._evidence = evidence
        self._clock = clock
        self._queries = evidence.queries
        self._key: bytes | None = None

    # -- ids --------------------------------------------------------------------------------

    async def _secret(self) -> bytes:
        if self._key is None:
            stored = await self._queries.meta_or_set(TOKEN_KEY, secrets.token_hex(32))
            self._key = bytes.fromhex(stored)
        return self._key

    @staticmethod
    def _round(key: bytes, number: int, half: int) -> int:
        digest = hmac.new(key, bytes([number]) + half.to_bytes(3, "big"), hashlib.sha256).digest()
        return int.from_bytes(digest[:3], "big") & _HALF_MASK

    async def quote_id(self, response_id: int) -> str:
        if not 0 <= response_id < 1 << (2 * _HALF_BITS):
            raise ValueError("story id out of range")
        key = await self._secret()
        left, right = response_id >> _HALF_BITS, response_id & _HALF_MASK
        for number in range(_ROUNDS):
            left, right = right, left ^ self._round(key, number, right)
        value = (left << _HALF_BITS) | right
        return base64.b32encode(value.to_bytes(5, "big")).decode("ascii").lower()

    async def _response_id(self, quote_id: str) -> int:
        if not _ID.fullmatch(quote_id):
            raise UnknownQuote(quote_id)
        try:
            value = int.from_bytes(base64.b32decode(quote_id.upper()), "big")
        except binascii.Error:
            raise UnknownQuote(quote_id) from None
        key = await self._secret()
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for number in reversed(range(_ROUNDS)):
            left, right = right ^ self._round(key, number, left), left
        return (left << _HALF_BITS) | right

    # -- the queue --------------------------------------------------------------------------

    async def _shown(self, candidate: QuoteCandidate) -> QuoteForReview:
        labels = self._evidence.labels
        order = {theme: index for index, theme in enumerate(THEMES)}
        themes = sorted(candidate.themes, key=lambda theme: (order.get(theme, len(order)), theme))
        return QuoteForReview(
            id=await self.quote_id(candidate.response_id),
            text=self._evidence.clean_quote(candidate.text),
            themes=tuple(labels.admin(f"admin.theme.{theme}") for theme in themes),
            language=labels.language(candidate.language) if candidate.language else "",
        )

    async def open(self, actor: str) -> None:
        """Someone is about to read stories: on the record, and themes brought up to date."""
        await self._evidence.retag()
        await self._evidence.record(actor, "quotes")

    async def waiting(self, *, limit: int, skip: Collection[str] = ()) -> list[QuoteForReview]:
        """Stories waiting for a decision, in a fixed order unrelated to when they were told;
        ``skip`` names quotes passed over for now."""
        skipped = [await self._response_id(quote_id) for quote_id in skip if _ID.fullmatch(quote_id)]
        candidates = await self._queries.quotes_to_review(self._evidence.survey.id, limit=limit, skip=skipped)
        return [await self._shown(candidate) for candidate in candidates]

    async def next(self, skip: Collection[str] = ()) -> QuoteForReview | None:
        waiting = await self.waiting(limit=1, skip=skip)
        return waiting[0] if waiting else None

    async def show(self, quote_id: str) -> QuoteForReview:
        return await self._shown(await self._candidate(quote_id))

    async def counts(self) -> ReviewCounts:
        approved, rejected, waiting = await self._queries.quote_review_counts(self._evidence.survey.id)
        return ReviewCounts(approved, rejected, waiting)

    async def _candidate(self, quote_id: str) -> QuoteCandidate:
        candidate = await self._queries.quote_candidate(
            self._evidence.survey.id, await self._response_id(quote_id)
        )
        if candidate is None:
            raise UnknownQuote(quote_id)
        return candidate

    # -- decisions --------------------------------------------------------------------------

    async def approve(self, actor: str, quote_id: str, text: str | None = None) -> str:
        """Approve a quote, in the words shown or in ``text``; returns the words approved. An
        edited text goes through the same scrubbing as any quote."""
        candidate = await self._candidate(quote_id)
        if text is None:
            approved = self._evidence.clean_quote(candidate.text)
        else:
            edited = clean_text(text).strip()
            if not edited or len(edited) > MAX_QUOTE_CHARS:
                raise UnusableText(quote_id)
            approved = self._evidence.clean_quote(edited)
        detail = quote_id if text is None else f"{quote_id} edited"
        await self._decide(candidate, actor, approved, "quote_approve", detail)
        return approved

    async def reject(self, actor: str, quote_id: str) -> None:
        candidate = await self._candidate(quote_id)
        await self._decide(candidate, actor, None, "quote_reject", quote_id)

    async def _decide(
        self, candidate: QuoteCandidate, actor: str, text: str | None, action: str, detail: str
    ) -> None:
        now = self._clock().isoformat(timespec="seconds")
        await self._queries.review_quote(
            candidate.response_id, text=text, actor=actor, now=now, action=action, detail=detail
        )


# -- what the admin sees in the chat -----------------------------------------------------------


def callback(action: str, quote_id: str) -> str:
    """Button data: ``qr:<approve|reject|edit|skip|cancel>:<quote id>``, 64 bytes at most."""
    return f"{CALLBACK_PREFIX}:{action}:{quote_id}"


def parse_callback(data: str | None) -> tuple[str, str] | None:
    """(action, quote id) from button data, or None if it is not a well-formed quote button."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != CALLBACK_PREFIX or not _ID.fullmatch(parts[2]):
        return None
    if parts[1] not in ("approve", "reject", "edit", "skip", "cancel"):
        return None
    return parts[1], parts[2]


def _quote_lines(t: Translator, quote: QuoteForReview) -> list[str]:
    language = quote.language or t("admin.quotes.language_unknown")
    return [
        t("admin.quotes.themes", themes=", ".join(quote.themes)),
        t("admin.quotes.language", language=language),
        "",
        f"{FSI}{quote.text}{PDI}",
    ]


def review_view(t: Translator, quote: QuoteForReview, counts: ReviewCounts, note: str | None = None) -> Reply:
    lines = [note, ""] if note else []
    lines += [t("admin.quotes.title", waiting=counts.waiting), *_quote_lines(t, quote)]
    lines += ["", t("admin.quotes.about")]
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("admin.quotes.approve"), callback_data=callback("approve", quote.id)),
                InlineKeyboardButton(t("admin.quotes.reject"), callback_data=callback("reject", quote.id)),
            ],
            [
                InlineKeyboardButton(t("admin.quotes.edit"), callback_data=callback("edit", quote.id)),
                InlineKeyboardButton(t("admin.quotes.skip"), callback_data=callback("skip", quote.id)),
            ],
        ]
    )
    return Reply("\n".join(lines), keyboard)


def edit_view(t: Translator, quote: QuoteForReview) -> Reply:
    lines = [*_quote_lines(t, quote), "", t("admin.quotes.edit_prompt", limit=MAX_QUOTE_CHARS)]
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t("admin.quotes.cancel"), callback_data=callback("cancel", quote.id))]]
    )
    return Reply("\n".join(lines), keyboard)


def done_view(t: Translator, counts: ReviewCounts, skipped: int, note: str | None = None) -> Reply:
    lines = [note, ""] if note else []
    if skipped:
        lines.append(t("admin.quotes.done_skipped", skipped=skipped, approved=counts.approved))
    else:
        lines.append(t("admin.quotes.done", approved=counts.approved))
    return Reply("\n".join(lines))
