"""The one message to residents who asked to hear when the municipality has sent its answer.

``python -m bot notify`` sends it. Each request is erased as soon as its message is delivered,
or when Telegram says the chat can no longer be reached; a request whose message failed for a
passing reason (the network, Telegram down) stays, and running the command again sends only
those.
"""

from __future__ import annotations

import asyncio
import logging
import tomllib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.i18n.catalogue import Translations
from bot.survey.views import MAX_MESSAGE_CHARS, Reply, say, telegram_length
from storage.interface import ResponseStore

logger = logging.getLogger(__name__)

# Well under Telegram's 30 messages a second for one bot, so that the running bot still has room
# to answer residents while the notices go out.
NOTICES_PER_SECOND = 20.0


class NoticeTextError(ValueError):
    """The message cannot be written for every resident waiting for it; the text says why."""


@dataclass(frozen=True)
class NoticeTexts:
    """The message in each language: the municipality's own wording where given, otherwise the
    catalogue's ``notice.message`` with the link to the answer and results."""

    translations: Translations
    link: str | None = None
    own: Mapping[str, str] = field(default_factory=dict)

    def reply(self, language: str) -> Reply:
        t = self.translations.translator(language)
        text = self.own.get(language)
        if text is None:
            if self.link is None:
                raise NoticeTextError(
                    f"no text for language {language}: give it in the text file, or a link "
                    "(--link, or results_link in the survey file) for the catalogue's message"
                )
            text = t("notice.message", link=self.link)
        return say(t, text)

    def check(self, languages: set[str]) -> None:
        """Every language someone waits in can be written, and fits in one message."""
        for language in sorted(languages):
            if telegram_length(self.reply(language).laid_out()) > MAX_MESSAGE_CHARS:
                raise NoticeTextError(f"the {language} text is longer than one Telegram message")


def read_own_texts(path: Path, translations: Translations) -> dict[str, str]:
    """The municipality's wording per language from a TOML file: ``sv = "..."``, ``ar = "..."``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise NoticeTextError(f"{path}: {error}") from None
    texts: dict[str, str] = {}
    for language, text in data.items():
        if not translations.supports(language):
            raise NoticeTextError(f"{path}: {language} is not one of the bot's languages")
        if not isinstance(text, str) or not text.strip():
            raise NoticeTextError(f"{path}: the text for {language} must be non-empty text")
        texts[language] = text.strip()
    return texts


@dataclass
class NoticeResult:
    sent: int = 0
    # The chat can no longer be reached (the resident blocked the bot or left Telegram): the
    # request is erased, since trying again would not help.
    unreachable: int = 0
    # Not delivered for a reason that may pass: kept for the next run.
    kept: int = 0

    def summary(self) -> str:
        return (
            f"sent {self.sent}; {self.unreachable} chats could not be reached (erased); "
            f"{self.kept} kept to try again"
        )


async def waiting_languages(repository: ResponseStore, survey_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for notice in await repository.result_notices(survey_id):
        counts[notice.language] = counts.get(notice.language, 0) + 1
    return counts


async def send_notices(
    bot: Bot,
    repository: ResponseStore,
    survey_id: str,
    texts: NoticeTexts,
    *,
    per_second: float = NOTICES_PER_SECOND,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> NoticeResult:
    """Send each waiting resident the message in their language, paced, and erase each
    request once it is done with. Texts are checked for every language before anything is sent."""
    notices = await repository.result_notices(survey_id)
    texts.check({notice.language for notice in notices})
    result = NoticeResult()
    for index, notice in enumerate(notices):
        if index:
            await sleep(1 / per_second)
        reply = texts.reply(notice.language)
        try:
            await bot.send_message(notice.chat_id, reply.laid_out())
        except (Forbidden, BadRequest):
            # Blocked, deleted or never-started chats answer 403 or "chat not found".
            result.unreachable += 1
        except TelegramError as error:
            # The request already retried what can be retried; what is left may pass later.
            logger.warning("notice not delivered (%s); kept for the next run", type(error).__name__)
            result.kept += 1
            continue
        else:
            result.sent += 1
        await repository.erase_result_notice(notice.chat_id, survey_id)
    return result
