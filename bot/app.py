"""Building the Application: settings, storage, catalogues and handlers wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

import handlers
from bot.admin.service import AdminService
from bot.config import Settings
from bot.context import SERVICES_KEY, BotContext, Services
from bot.i18n.catalogue import ALIASES, SOURCE_LANGUAGE, CatalogueError, Translations, Translator
from bot.language.detection import detect
from bot.metrics import metrics_app
from bot.privacy.pseudonym import Pseudonymizer, load_or_create_key
from bot.privacy.retention import purge_daily
from bot.privacy.scrub import scrub, scrub_quote
from bot.release.service import ReleaseService, release_at_closing, release_regularly
from bot.report.evidence import EvidenceService, Labels
from bot.report.quote_translation import provider_from_settings
from bot.report.themes import TAGGING_QUALITY_FILE, THEMES, ThemeListError, ThemeTagger
from bot.survey.definition import SurveyVersions, load_surveys
from bot.survey.service import SurveyService
from bot.telegram.flood import FloodGuard
from bot.telegram.reading import skipping_bot
from bot.telegram.request import CONNECTION_POOL_SIZE, telegram_requests
from bot.telegram.scheduler import PerResidentUpdateProcessor
from handlers.admin import ADMIN_COMMANDS
from storage import Database, EvidenceQueries, Repository

logger = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; the message says why in one line."""


def load_translations(settings: Settings, versions: SurveyVersions) -> Translations:
    """The catalogues, checked to hold the texts of every survey version residents may be on."""
    translations = Translations.load(settings.locales_dir, default=settings.default_language)
    keys = dict.fromkeys(key for survey in versions.all for key in survey.catalogue_keys())
    missing = translations.missing_keys(list(keys))
    if missing:
        raise StartupError(f"the source catalogue lacks survey texts: {', '.join(missing)}")
    return translations


async def open_services(settings: Settings) -> Services:
    """Connect and migrate the database and load survey, catalogues and the pseudonym key."""
    versions = load_surveys(settings.survey_file)
    survey = versions.current
    translations = load_translations(settings, versions)
    tagger = load_tagger(settings)
    admin_strings = _staff_catalogue(settings, "admin")
    staff_keys = [
        *(f"admin.headline.{headline.id}" for survey in versions.all for headline in survey.headlines),
        *(f"admin.grouping.{grouping}" for survey in versions.all for grouping in survey.groupings),
    ]
    unlabelled = [key for key in staff_keys if not admin_strings.has(key)]
    if unlabelled:
        raise StartupError(f"the admin catalogue lacks labels: {', '.join(unlabelled)}")
    report_strings = _staff_catalogue(settings, "report")
    quote_translator = provider_from_settings(settings)
    # Everything that can fail on a file is loaded above: from here on a database is open.
    database = Database(settings.database_path)
    await database.connect()
    await database.migrate()
    key = load_or_create_key(
        settings.data_dir,
        settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None,
    )
    repository = Repository(database)
    queries = EvidenceQueries(database)
    try:
        await check_stored_versions(queries, versions)
    except StartupError:
        await database.close()
        raise
    releases = ReleaseService(queries, versions, THEMES, min_new=settings.release_min_new)
    evidence = EvidenceService(
        queries,
        versions,
        Labels(survey=translations.translator("sv"), admin=admin_strings),
        tagger,
        releases,
        scrub=scrub_quote,
        quote_translator=quote_translator,
        tagging_quality=settings.locales_dir / "themes" / TAGGING_QUALITY_FILE,
    )
    return Services(
        settings=settings,
        database=database,
        survey=survey,
        translations=translations,
        surveys=SurveyService(repository, versions, scrub=scrub, tagger=tagger),
        pseudonymize=Pseudonymizer(key),
        admin=AdminService(settings.admin_ids, evidence, repository, report_strings),
        admin_strings=admin_strings,
    )


async def check_stored_versions(queries: EvidenceQueries, versions: SurveyVersions) -> None:
    """Refuse a survey file that has lost a version residents answered: their answers would
    be in no release and the unfinished ones would go on in questions they were never meant
    to get."""
    known = {survey.version for survey in versions.all}
    lost = [v for v in await queries.stored_versions(versions.current.id) if v not in known]
    if lost:
        raise StartupError(
            f"the database holds responses to survey version {', '.join(lost)}, which "
            f"{versions.current.version} does not name: keep that version's file and list it "
            "in earlier_versions"
        )


def _staff_catalogue(settings: Settings, name: str) -> Translator:
    """The Swedish texts staff read (admin commands, the report): ``locales/<name>/sv.po``."""
    try:
        return Translations.load(settings.locales_dir / name).translator("sv")
    except CatalogueError as error:
        raise StartupError(f"{name} catalogue: {error}") from None


def load_tagger(settings: Settings) -> ThemeTagger:
    try:
        return ThemeTagger.load(settings.locales_dir / "themes")
    except ThemeListError as error:
        raise StartupError(f"theme keyword lists: {error}") from None


def build_application(
    settings: Settings, services: Services, *, builder: ApplicationBuilder | None = None
) -> Application:
    """The Application with our context type, per-resident ordering, flood control, retried
    Bot API calls and every handler. A given ``builder`` keeps its own requests (tests pass
    in-process ones); without one, both requests retry Telegram's transient faults and polling
    skips updates the library cannot read."""
    if builder is None:
        # Twice the updates handled at once, as each may make a call or two at the same time.
        request, updates_request = telegram_requests(
            connections=max(CONNECTION_POOL_SIZE, 2 * settings.concurrent_updates)
        )
        bot = skipping_bot(
            settings.require_token(),
            request=request,
            get_updates_request=updates_request,
            base_url=settings.bot_api_base_url,
            base_file_url=settings.bot_api_base_file_url,
            on_skipped=services.metrics.count_unreadable,
        )
        builder = ApplicationBuilder().bot(bot)
    else:
        if settings.bot_api_base_url:
            builder = builder.base_url(settings.bot_api_base_url)
        if settings.bot_api_base_file_url:
            builder = builder.base_file_url(settings.bot_api_base_file_url)
    application = (
        builder.context_types(ContextTypes(context=BotContext))
        .concurrent_updates(
            PerResidentUpdateProcessor(
                settings.concurrent_updates, flood=FloodGuard(), metrics=services.metrics
            )
        )
        .post_init(_on_start)
        .post_stop(_on_stop)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services
    handlers.register(application)
    return application


def command_menu_languages(translations: Translations) -> dict[str | None, str]:
    """Telegram's language codes (two letters, or None for everyone else) and the catalogue
    whose command descriptions each gets."""
    menus: dict[str | None, str] = {None: SOURCE_LANGUAGE}
    for code in (*translations.languages, *ALIASES):
        if len(code) == 2 and code.isalpha() and code != SOURCE_LANGUAGE:
            catalogue = translations.serving(code)
            if catalogue:
                menus[code] = catalogue
    return menus


PURGE_TASK_KEY = "retention_task"
RELEASE_TASK_KEY = "release_task"
CLOSING_TASK_KEY = "closing_release_task"
METRICS_RUNNER_KEY = "metrics_runner"


async def _on_start(application: Application) -> None:
    """After connecting: the command menu, the language model, the daily retention purge in
    the background and, if configured, the metrics endpoint."""
    services: Services = application.bot_data[SERVICES_KEY]
    await _announce_commands(application)
    # Build the language model now, off the event loop, rather than make the first resident who
    # writes a story wait for it.
    await asyncio.to_thread(detect, "Servicekontoret i Hallunda")
    application.bot_data[PURGE_TASK_KEY] = asyncio.create_task(
        purge_daily(services.surveys.repository, services.settings), name="retention"
    )
    application.bot_data[RELEASE_TASK_KEY] = asyncio.create_task(
        release_regularly(services.admin.evidence.make_release, services.settings.release_check_hours * 3600),
        name="release",
    )
    closes_at = services.survey.closes_at
    if closes_at is not None:
        application.bot_data[CLOSING_TASK_KEY] = asyncio.create_task(
            release_at_closing(services.admin.evidence.make_release, closes_at), name="closing release"
        )
    if services.settings.metrics_port:
        runner = web.AppRunner(
            metrics_app(services.metrics, services.surveys.repository, services.survey.id), access_log=None
        )
        await runner.setup()
        await web.TCPSite(runner, services.settings.metrics_listen, services.settings.metrics_port).start()
        application.bot_data[METRICS_RUNNER_KEY] = runner


async def _on_stop(application: Application) -> None:
    runner = application.bot_data.pop(METRICS_RUNNER_KEY, None)
    if runner is not None:
        await runner.cleanup()
    for key in (PURGE_TASK_KEY, RELEASE_TASK_KEY, CLOSING_TASK_KEY):
        task = application.bot_data.pop(key, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _announce_commands(application: Application) -> None:
    """Fill Telegram's command menu in every language we have. A refusal is logged, not fatal:
    the commands work without the menu."""
    services: Services = application.bot_data[SERVICES_KEY]
    for telegram_code, catalogue in command_menu_languages(services.translations).items():
        t = services.translations.translator(catalogue)
        commands = [BotCommand(name, t(f"command.{name}")) for name in handlers.RESIDENT_COMMANDS]
        try:
            await application.bot.set_my_commands(commands, language_code=telegram_code)
        except TelegramError as error:
            logger.warning("could not set the command menu for %s: %s", telegram_code, error)
    # Admins see their own commands in their private chat's menu; nobody else's menu has them.
    t = services.translations.translator(SOURCE_LANGUAGE)
    staff = [BotCommand(name, t(f"command.{name}")) for name in handlers.RESIDENT_COMMANDS]
    staff += [BotCommand(name, services.admin_strings(f"admin.command.{name}")) for name in ADMIN_COMMANDS]
    for admin_id in sorted(services.settings.admin_ids):
        try:
            await application.bot.set_my_commands(staff, scope=BotCommandScopeChat(admin_id))
        except TelegramError as error:
            # Usually: that admin has not opened a chat with the bot yet.
            logger.warning("could not set the admin command menu: %s", error)
