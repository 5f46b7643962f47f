"""Building the Application: settings, storage, catalogues and handlers wired together."""

from __future__ import annotations

import logging

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder, ContextTypes

import handlers
from bot.config import Settings
from bot.context import SERVICES_KEY, BotContext, Services
from bot.i18n import SOURCE_LANGUAGE, Translations
from bot.pseudonym import Pseudonymizer, load_or_create_key
from bot.scrub import scrub
from bot.service import SurveyService
from bot.survey import Survey, load_survey
from bot.updates import PerResidentUpdateProcessor
from storage import Database, Repository

logger = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; the message says why in one line."""


def load_translations(settings: Settings, survey: Survey) -> Translations:
    translations = Translations.load(settings.locales_dir, order=(SOURCE_LANGUAGE, "en"))
    missing = translations.missing_keys(survey.catalogue_keys())
    if missing:
        raise StartupError(f"the source catalogue lacks survey texts: {', '.join(missing)}")
    return translations


async def open_services(settings: Settings) -> Services:
    """Connect and migrate the database and load survey, catalogues and the pseudonym key."""
    survey = load_survey(settings.survey_file)
    translations = load_translations(settings, survey)
    database = Database(settings.database_path)
    await database.connect()
    await database.migrate()
    key = load_or_create_key(
        settings.data_dir,
        settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None,
    )
    return Services(
        settings=settings,
        database=database,
        survey=survey,
        translations=translations,
        surveys=SurveyService(Repository(database), survey, scrub=scrub),
        pseudonymize=Pseudonymizer(key),
    )


def build_application(
    settings: Settings, services: Services, *, builder: ApplicationBuilder | None = None
) -> Application:
    """The Application with our context type, per-resident ordering and every handler."""
    builder = builder or ApplicationBuilder().token(settings.require_token())
    if settings.bot_api_base_url:
        builder = builder.base_url(settings.bot_api_base_url)
    if settings.bot_api_base_file_url:
        builder = builder.base_file_url(settings.bot_api_base_file_url)
    application = (
        builder.context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerResidentUpdateProcessor(settings.concurrent_updates))
        .post_init(_announce_commands)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services
    handlers.register(application)
    return application


async def _announce_commands(application: Application) -> None:
    """Fill Telegram's command menu in every language we have."""
    services: Services = application.bot_data[SERVICES_KEY]
    names = handlers.RESIDENT_COMMANDS
    for code in services.translations.languages:
        t = services.translations.translator(code)
        commands = [BotCommand(name, t(f"command.{name}")) for name in names]
        language = None if code == SOURCE_LANGUAGE else code
        await application.bot.set_my_commands(commands, language_code=language)
