"""What admins can do, in one place: who counts as an admin, and each action with its audit
record. Handlers and the command line both go through here."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Literal

from bot.admin.export import Exported, ExportFormat, write_export
from bot.i18n.catalogue import Translator
from bot.report.evidence import MUNICIPALITY_TIME, EvidenceService
from bot.report.figures import CrossTable, Distribution, Evidence
from storage.interface import ResponseStore

ReportFormat = Literal["docx", "md"]


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    made: str  # the date, in the municipality's time
    count: int = 0


class AdminService:
    def __init__(
        self,
        admin_ids: frozenset[int],
        evidence: EvidenceService,
        repository: ResponseStore,
        report_strings: Translator,
    ) -> None:
        self._admin_ids = admin_ids
        self.evidence = evidence
        self._repository = repository
        self._report_strings = report_strings

    def is_admin(self, telegram_user_id: int | None) -> bool:
        return telegram_user_id is not None and telegram_user_id in self._admin_ids

    @staticmethod
    def _stamp() -> str:
        return datetime.now(UTC).astimezone(MUNICIPALITY_TIME).strftime("%Y-%m-%d")

    async def summary(self, actor: str) -> Evidence:
        # Recorded once figures were read: a refusal (no release yet) shows none.
        evidence = await self.evidence.summary()
        await self.evidence.record(actor, "summary")
        return evidence

    async def stats(self, actor: str, question_id: str, grouping: str | None) -> Distribution | CrossTable:
        # Validated before recording, so the audit holds only real questions and groupings.
        result = (
            await self.evidence.cross_table(question_id, grouping)
            if grouping
            else await self.evidence.distribution(question_id)
        )
        await self.evidence.record(
            actor, "stats", f"{question_id} by {grouping}" if grouping else question_id
        )
        return result

    async def export(
        self,
        actor: str,
        answers: IO[str],
        *,
        stories: IO[str] | None = None,
        fmt: ExportFormat = "csv",
        bom: bool = False,
    ) -> Exported:
        """The pseudonymised row-level export, on the record like every other use of the data.
        Only the server's command line calls this: the rows never go through a chat."""
        exported = await write_export(
            self._repository, self.evidence.versions, answers, stories=stories, fmt=fmt, bom=bom
        )
        apart = f"{exported.stories} stories apart" if stories is not None else "no stories"
        await self.evidence.record(actor, "export", f"{exported.responses} responses, {apart}, {fmt}")
        return exported

    async def report(self, actor: str, fmt: ReportFormat = "docx") -> Document:
        from bot.report.document import render_docx, render_markdown

        evidence = await self.evidence.evidence()
        # Charts and the document take a moment of CPU: build them off the event loop so the
        # bot keeps answering residents meanwhile.
        if fmt == "docx":
            content = await asyncio.to_thread(render_docx, evidence, self._report_strings)
        else:
            text = await asyncio.to_thread(render_markdown, evidence, self._report_strings)
            content = text.encode("utf-8")
        await self.evidence.record(actor, "report", fmt)
        prefix = "syntetisk-" if evidence.synthetic else ""
        made = self._stamp()
        return Document(f"{prefix}remissunderlag-{made}.{fmt}", content, made, evidence.completed or 0)
