"""The typed context handlers receive: ``context.services``, ``context.t`` and friends."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import Application, CallbackContext, ExtBot

from bot.admin.service import AdminService
from bot.config import Settings
from bot.i18n.catalogue import Translations, Translator
from bot.metrics import Metrics
from bot.privacy.pseudonym import Pseudonymizer
from bot.survey.definition import Survey
from bot.survey.service import SurveyService
from storage import Database

SERVICES_KEY = "services"


@dataclass(frozen=True)
class Services:
    """Everything built once at start-up and shared by all handlers."""

    settings: Settings
    database: Database
    survey: Survey
    translations: Translations
    surveys: SurveyService
    pseudonymize: Pseudonymizer
    admin: AdminService
    # Swedish texts for the municipality's staff (locales/admin).
    admin_strings: Translator
    metrics: Metrics = field(default_factory=Metrics)


class BotContext(CallbackContext[ExtBot[None], dict, dict, dict]):
    """CallbackContext with typed access to the shared services."""

    def __init__(
        self, application: Application, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> Services:
        return self.bot_data[SERVICES_KEY]

    @property
    def surveys(self) -> SurveyService:
        return self.services.surveys

    @property
    def translations(self) -> Translations:
        return self.services.translations

    def respondent(self, telegram_user_id: int) -> str:
        return self.services.pseudonymize(telegram_user_id)

    def translator(self, language: str | None) -> Translator:
        return self.services.translations.translator(language)
