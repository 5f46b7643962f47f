"""Storage: the only place that knows SQL."""

from storage.database import Database, DatabaseUnavailable
from storage.models import Answer, Response, Stage, Story
from storage.repository import Repository

__all__ = ["Answer", "Database", "DatabaseUnavailable", "Repository", "Response", "Stage", "Story"]
