"""Storage: the only place that knows SQL."""

from storage.database import Database, DatabaseUnavailable
from storage.interface import EvidenceSource, ResponseStore
from storage.models import Answer, AnswerCount, Response, Stage, Story, Totals
from storage.repository import EvidenceQueries, Repository

__all__ = [
    "Answer",
    "AnswerCount",
    "Database",
    "DatabaseUnavailable",
    "EvidenceQueries",
    "EvidenceSource",
    "Repository",
    "Response",
    "ResponseStore",
    "Stage",
    "Story",
    "Totals",
]
