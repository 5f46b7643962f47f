"""Error answers of the Bot API: an HTTP status with Telegram's ``description`` text."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error response: HTTP status plus Telegram's ``description`` text."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


def bad_request(message: str) -> ApiError:
    """The 400 Telegram answers for invalid parameters, worded as Telegram words it."""
    return ApiError(f"Bad Request: {message}", 400)


def error_payload(error: ApiError) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body of an error answer."""
    return error.status, {"ok": False, "error_code": error.status, "description": error.description}
