"""Storage: the only place that knows SQL."""

from storage.database import Database, DatabaseUnavailable
from storage.models import Answer, Response, Stage, Story
from storage.repository import AnswerCount, EvidenceQueries, Repository, Totals

__all__ = [
    "Answer",
    "AnswerCount",
    "Database",
    "DatabaseUnavailable",
    "EvidenceQueries",
    "Repository",
    "Response",
    "Stage",
    "Story",
    "Totals",
]
