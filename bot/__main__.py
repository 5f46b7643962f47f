"""Command line: ``python -m bot`` runs the bot; ``python -m bot export`` writes the pseudonymised data."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from telegram import Bot

from bot.admin.demo import NotSyntheticError, fill
from bot.admin.export import Exported, ExportFormat
from bot.admin.notices import NoticeTextError, NoticeTexts, read_own_texts, send_notices, waiting_languages
from bot.admin.quotes import MAX_QUOTE_CHARS, QuoteReview, UnknownQuote, UnusableText
from bot.app import (
    StartupError,
    build_application,
    check_stored_versions,
    load_tagger,
    load_translations,
    open_services,
)
from bot.config import ConfigError, Settings, load_settings
from bot.i18n.catalogue import CatalogueError, Translations
from bot.i18n.coverage import report as coverage_report
from bot.i18n.review import ReviewError, apply_review, review_sheet
from bot.logs import configure_logging
from bot.preview.server import DEFAULT_DIRECTORY, run_preview
from bot.privacy.retention import purge
from bot.release.model import Release
from bot.release.service import NotEnoughNew, ReleaseService
from bot.report.evidence import NoRelease
from bot.survey.definition import SurveyError, load_survey, load_surveys
from bot.telegram.request import telegram_requests
from bot.telegram.webhook import run_webhook
from storage import Database, EvidenceQueries, Repository
from storage.database import PRIVATE_FILE_MODE
from storage.migrations import MIGRATIONS

logger = logging.getLogger("bot")

# Telegram's own Bot API, unless BOT_API_BASE_URL names another (a local Bot API server).
DEFAULT_API_URL = "https://api.telegram.org/bot"

# A short pause between polls lets updates that arrive together come in one batch: under load
# that saves a Bot API round trip for most updates, at the cost of at most this much latency.
POLL_INTERVAL_SECONDS = 0.01


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot with long polling (the default)")
    export = commands.add_parser(
        "export",
        help="write the pseudonymised responses, one row each, on this server",
        description=(
            "Writes every consented response, one row each, dates to the day. The rows carry a "
            "running number, not the resident's pseudonym, but they are pseudonymised, not anonymised: "
            "answers and stories together could point to a person, so the files are personal data. "
            "Keep them on the municipality's systems; never send them through a chat service. The "
            "stories are left out unless --stories names a file for them, so the answers file can be "
            "shared more widely than the stories."
        ),
    )
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export.add_argument(
        "--out",
        type=Path,
        help="answers file to write, readable by its owner only (default: standard output)",
    )
    export.add_argument(
        "--stories",
        type=Path,
        help=(
            "also write the stories (text, language, voice note length) to this separate file, in the "
            "same format, keyed by the answers file's row number; share it with fewer people"
        ),
    )
    export.add_argument(
        "--bom", action="store_true", help="start each CSV with a UTF-8 byte order mark (for Excel)"
    )
    commands.add_parser("migrate", help="apply database migrations and exit")
    commands.add_parser(
        "healthcheck", help="exit 0 if the settings are valid and the database is reachable and migrated"
    )
    backup = commands.add_parser("backup", help="a consistent copy of the database, safe while the bot runs")
    backup.add_argument("--out", type=Path, required=True, help="file to write the copy to")
    commands.add_parser(
        "purge", help="erase responses past RETENTION_DAYS and abandoned ones (the bot also does this daily)"
    )
    preview = commands.add_parser(
        "preview", help="try the bot in a local browser chat, without Telegram or a token"
    )
    preview.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this computer only)"
    )
    preview.add_argument("--port", type=int, default=8080, help="port of the chat page (default 8080)")
    preview.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder for the preview's own database (default ./data/preview)",
    )
    translations = commands.add_parser(
        "translations",
        help="per language: messages translated, marked unreviewed, and missing; or a reviewer's sheet",
        description=(
            "Without options, prints per language how many messages are translated, marked "
            "unreviewed and missing. --review LANG --out F.csv writes a sheet for a native "
            "speaker: each message's key, purpose, Swedish source and translation, with empty "
            "columns for a better wording and for approval. --apply F.csv reads it back: rows "
            "marked approved get the reviewer's wording (if any) and lose the unreviewed flag."
        ),
    )
    sheet = translations.add_mutually_exclusive_group()
    sheet.add_argument("--review", metavar="LANG", help="write the reviewer's sheet of this language")
    sheet.add_argument("--apply", type=Path, metavar="F", help="apply a reviewed sheet")
    translations.add_argument("--out", type=Path, help="where --review writes the sheet (.csv)")
    release = commands.add_parser(
        "release",
        help="make the protected release of the figures and write it as release.json and CSV files",
        description=(
            "Counts the completed responses into the release's tables, hides every count of 1 to 4 "
            "and whatever else would let one be worked out (checked by an integer-programming attack "
            "on all tables together and on the release before), stores it as the one that /summary, "
            "/stats and the report show, and writes release.json and one CSV per table into --out. "
            "A new release is made only when RELEASE_MIN_NEW responses were completed since the last "
            "one; otherwise the latest is written again."
        ),
    )
    release.add_argument(
        "--out", type=Path, required=True, help="directory for release.json and the CSV files"
    )
    release.add_argument("--database", type=Path, help="use this database instead of DATABASE_PATH")
    report = commands.add_parser("report", help="the Swedish report for the consultation response")
    report.add_argument("--out", type=Path, required=True, help="file to write (.docx or .md)")
    report.add_argument("--format", choices=("docx", "md"), help="default: from the file name, else docx")
    report.add_argument("--database", type=Path, help="report on this database instead of DATABASE_PATH")
    quotes = commands.add_parser(
        "quotes",
        help="review stories before they may be quoted in the report",
        description=(
            "A story is quoted in the report only after it has been approved here or with /quotes in "
            'the chat, in its own words or in edited ones. Decisions are recorded with the actor "cli".'
        ),
    )
    on_database = argparse.ArgumentParser(add_help=False)
    on_database.add_argument("--database", type=Path, help="use this database instead of DATABASE_PATH")
    quote_commands = quotes.add_subparsers(dest="quote_command", required=True)
    waiting = quote_commands.add_parser(
        "list", parents=[on_database], help="stories waiting for review, each with its id"
    )
    waiting.add_argument("--limit", type=int, default=20, help="how many to list (default 20)")
    approve = quote_commands.add_parser("approve", parents=[on_database], help="let the report quote a story")
    approve.add_argument("id", help="the id shown by `quotes list`")
    approve.add_argument("--text", help="the words to quote instead, e.g. with a name taken out")
    reject = quote_commands.add_parser("reject", parents=[on_database], help="never quote this story")
    reject.add_argument("id", help="the id shown by `quotes list`")
    notify = commands.add_parser(
        "notify",
        help="send the one message to residents who asked to hear when the municipality has answered",
        description=(
            "Sends each resident who asked for it one message in their language, then erases their "
            "chat id. Without --text-file the message is the catalogue's, with the link to the "
            "answer and results (--link, else results_link in the survey file). A request that "
            "could not be delivered for a passing reason is kept: run the command again."
        ),
    )
    notify.add_argument(
        "--text-file",
        type=Path,
        help='the municipality\'s own wording per language, as TOML: sv = "...", ar = "..."; '
        "languages it leaves out get the catalogue's message",
    )
    notify.add_argument("--link", help="the web page with the answer and the results (https://)")
    notify.add_argument(
        "--dry-run", action="store_true", help="only count who would get the message, per language"
    )
    notify.add_argument("--database", type=Path, help="use this database instead of DATABASE_PATH")
    demo = commands.add_parser(
        "demo-data", help="fill a separate database with synthetic responses, to preview the report"
    )
    demo.add_argument("--responses", type=int, required=True, help="how many synthetic responses to add")
    demo.add_argument("--database", type=Path, required=True, help="the database file to fill")
    return parser


def run_bot(settings: Settings) -> None:
    settings.require_token()  # fail with a clear line before touching the database
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    services = loop.run_until_complete(open_services(settings))
    application = build_application(settings, services)
    logger.info(
        "starting: survey %s version %s, languages %s",
        services.survey.id,
        services.survey.version,
        ", ".join(services.translations.languages),
    )
    try:
        if settings.webhook_url:
            loop.run_until_complete(run_webhook(application, settings, services.metrics.count_unreadable))
        else:
            # Updates already waiting are kept: a resident's answer sent while the bot was down
            # counts.
            application.run_polling(
                drop_pending_updates=False, close_loop=False, poll_interval=POLL_INTERVAL_SECONDS
            )
    finally:
        loop.run_until_complete(services.database.close())
        loop.close()


def _private_file_descriptor(path: Path) -> int:
    """A file for personal data, readable by its owner alone whatever the umask, even if an
    earlier run left it readable by others."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    os.fchmod(descriptor, PRIVATE_FILE_MODE)
    return descriptor


def _private_text_file(path: Path) -> IO[str]:
    return os.fdopen(_private_file_descriptor(path), "w", encoding="utf-8", newline="")


async def _export(
    settings: Settings, fmt: ExportFormat, out: Path | None, stories: Path | None, bom: bool
) -> Exported:
    if stories is not None and out is not None and stories.resolve() == out.resolve():
        raise ConfigError("--stories must name another file than --out")
    services = await open_services(settings)
    try:
        with ExitStack() as files:
            answers = files.enter_context(_private_text_file(out)) if out else sys.stdout
            told = files.enter_context(_private_text_file(stories)) if stories else None
            return await services.admin.export("cli", answers, stories=told, fmt=fmt, bom=bom)
    finally:
        await services.database.close()


async def _backup(settings: Settings, out: Path) -> None:
    if not settings.database_path.exists():
        raise ConfigError(f"DATABASE_PATH: no database at {settings.database_path}")
    async with Database(settings.database_path) as database:
        await database.backup(out)


async def _purge(settings: Settings) -> str:
    async with Database(settings.database_path) as database:
        await database.migrate()
        result = await purge(Repository(database), settings)
    return (
        f"erased {result.expired} expired and {result.abandoned} abandoned responses and "
        f"{result.notices} requests for the municipality's answer"
    )


async def _healthcheck(settings: Settings) -> str | None:
    """What is wrong, in one line, or None when the bot could run."""
    settings.require_token()
    versions = load_surveys(settings.survey_file)
    load_translations(settings, versions)
    if not settings.database_path.exists():
        return f"no database at {settings.database_path}"
    async with Database(settings.database_path) as database:
        applied = set(await database.applied_migrations())
        missing = [name for name, _ in MIGRATIONS if name not in applied]
        if missing:
            return f"migrations not applied: {', '.join(missing)}"
        try:
            await check_stored_versions(EvidenceQueries(database), versions)
        except StartupError as error:
            return str(error)
    return None


async def _migrate(settings: Settings) -> list[str]:
    async with Database(settings.database_path) as database:
        return await database.migrate()


async def _report(settings: Settings, out: Path, fmt: str) -> str:
    if not settings.database_path.exists():
        raise ConfigError(f"no database at {settings.database_path}")
    services = await open_services(settings)
    try:
        document = await services.admin.report("cli", fmt)  # type: ignore[arg-type]
    except NoRelease as waiting:
        raise ConfigError(
            f"no release yet (about {waiting.completed} responses completed, {waiting.needed} needed): "
            "make one with `python -m bot release --out DIR`"
        ) from None
    finally:
        await services.database.close()
    # The report holds quotes from residents' stories: private until staff publish it.
    with os.fdopen(_private_file_descriptor(out), "wb") as file:
        file.write(document.content)
    return f"report on {document.count} responses written to {out}"


async def _release(settings: Settings, out: Path) -> str:
    if not settings.database_path.exists():
        raise ConfigError(f"no database at {settings.database_path}")
    services = await open_services(settings)
    try:
        evidence = services.admin.evidence
        releases = evidence.releases
        await evidence.retag()
        # Answers to an earlier version of the survey have releases of their own, written
        # beside the current one; right after a new version is deployed, the earlier ones may
        # be all there is.
        current: tuple[Release, str] | None = None
        waiting = ""
        try:
            current = await _release_of(releases, None)
        except ConfigError as error:
            waiting = f"version {releases.survey.version}: {error}"
        earlier = []
        for survey in releases.versions.earlier:
            try:
                earlier.append((survey.version, (await _release_of(releases, survey.version))[0]))
            except ConfigError:
                continue
        if current is None and not earlier:
            raise ConfigError(waiting)
        made_at = current[0].made_at if current else max(r.made_at for _, r in earlier)
        await evidence.record("cli", "release", made_at)
    finally:
        await services.database.close()
    written = current[0].write(out) if current else []
    for version, other in earlier:
        written += other.write(out / f"version-{version}")
    also = f" (and version {', '.join(v for v, _ in earlier)} in its own folder)" if earlier else ""
    done = current[1] if current else waiting
    return f"{done}; {len(written)} files in {out}{also}"


async def _release_of(releases: ReleaseService, version: str | None) -> tuple[Release, str]:
    """A new release of ``version`` if one is due, else its latest, and what was done."""
    try:
        release = await releases.make(version)
        return release, f"made a new release of {release.completed} completed responses"
    except NotEnoughNew as waiting:
        latest = await releases.latest(version)
        if latest is None:
            raise ConfigError(
                f"no release yet: {waiting.new} responses completed, {waiting.needed} needed"
            ) from None
        return latest, (
            f"only {waiting.new} responses completed since the release of {latest.made_at} "
            f"({waiting.needed} needed): wrote that one again"
        )


def _translations(settings: Settings, arguments: argparse.Namespace) -> str | None:
    try:
        if arguments.review:
            if arguments.out is None:
                raise ConfigError("--review needs --out F.csv")
            arguments.out.write_text(review_sheet(settings.locales_dir, arguments.review), encoding="utf-8")
            return f"wrote the reviewer's sheet of {arguments.review} to {arguments.out}"
        if arguments.apply:
            applied = apply_review(settings.locales_dir, arguments.apply)
            return (
                f"{applied.language}: {applied.approved} messages approved "
                f"({applied.reworded} with the reviewer's wording), {applied.left} rows left as they were"
            )
    except ReviewError as error:
        raise ConfigError(str(error)) from None
    coverage_report(Translations.load(settings.locales_dir), sys.stdout)
    return None


async def _quotes(settings: Settings, arguments: argparse.Namespace) -> str:
    if not settings.database_path.exists():
        raise ConfigError(f"no database at {settings.database_path}")
    services = await open_services(settings)
    try:
        review = QuoteReview(services.admin.evidence)
        if arguments.quote_command == "list":
            await review.open("cli")
            for quote in await review.waiting(limit=max(arguments.limit, 1)):
                print(f"{quote.id}  {', '.join(quote.themes)}  ({quote.language or '?'})")
                print("    " + quote.text.replace("\n", "\n    "))
            counts = await review.counts()
            return f"{counts.waiting} waiting, {counts.approved} approved, {counts.rejected} rejected"
        if arguments.quote_command == "approve":
            await review.approve("cli", arguments.id, arguments.text)
            return f"approved {arguments.id}"
        await review.reject("cli", arguments.id)
        return f"rejected {arguments.id}"
    except UnknownQuote:
        raise ConfigError(f"no story that can be quoted has the id {arguments.id!r}") from None
    except UnusableText:
        raise ConfigError(f"--text must have 1 to {MAX_QUOTE_CHARS} characters") from None
    finally:
        await services.database.close()


async def _notify(settings: Settings, arguments: argparse.Namespace) -> str:
    if not settings.database_path.exists():
        raise ConfigError(f"no database at {settings.database_path}")
    link = arguments.link
    if link is not None and not link.startswith("https://"):
        raise ConfigError("--link must start with https://")
    services = await open_services(settings)
    try:
        survey = services.survey
        own = read_own_texts(arguments.text_file, services.translations) if arguments.text_file else {}
        texts = NoticeTexts(services.translations, link or survey.results_link, own)
        repository = services.surveys.repository
        waiting = await waiting_languages(repository, survey.id)
        texts.check(set(waiting))
        if arguments.dry_run or not waiting:
            per_language = ", ".join(f"{language} {count}" for language, count in sorted(waiting.items()))
            return f"{sum(waiting.values())} residents wait for the message" + (
                f" ({per_language}); nothing sent" if waiting else ""
            )
        request, _ = telegram_requests()
        bot = Bot(
            settings.require_token(), request=request, base_url=settings.bot_api_base_url or DEFAULT_API_URL
        )
        async with bot:
            result = await send_notices(bot, repository, survey.id, texts)
    finally:
        await services.database.close()
    return result.summary()


async def _demo_data(settings: Settings, count: int) -> str:
    if count < 1:
        raise ConfigError("--responses must be at least 1")
    async with Database(settings.database_path) as database:
        added = await fill(database, load_survey(settings.survey_file), count, load_tagger(settings))
    return f"added {added} synthetic responses to {settings.database_path}"


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    overrides: dict[str, object] = {}
    if getattr(arguments, "database", None):
        overrides["database_path"] = arguments.database
    try:
        settings = load_settings(**overrides)
    except ConfigError as error:
        print(f"citizen-feedback-bot: {error}", file=sys.stderr)
        return 2
    secrets = [
        secret.get_secret_value()
        for secret in (
            settings.bot_token,
            settings.pseudonym_key,
            settings.webhook_secret,
            settings.translation_api_key,
        )
        if secret
    ]
    configure_logging(settings.log_level, secrets, fmt=settings.log_format)
    try:
        if arguments.command == "export":
            exported = asyncio.run(
                _export(settings, arguments.format, arguments.out, arguments.stories, arguments.bom)
            )
            apart = f", {exported.stories} stories to {arguments.stories}" if arguments.stories else ""
            print(f"exported {exported.responses} responses{apart}", file=sys.stderr)
        elif arguments.command == "preview":
            asyncio.run(
                run_preview(
                    settings,
                    host=arguments.host,
                    port=arguments.port,
                    directory=arguments.data or DEFAULT_DIRECTORY,
                )
            )
        elif arguments.command == "translations":
            done = _translations(settings, arguments)
            if done:
                print(done, file=sys.stderr)
        elif arguments.command == "backup":
            asyncio.run(_backup(settings, arguments.out))
            print(f"backup written to {arguments.out}", file=sys.stderr)
        elif arguments.command == "report":
            fmt = arguments.format or ("md" if arguments.out.suffix.lower() == ".md" else "docx")
            print(asyncio.run(_report(settings, arguments.out, fmt)), file=sys.stderr)
        elif arguments.command == "release":
            print(asyncio.run(_release(settings, arguments.out)), file=sys.stderr)
        elif arguments.command == "quotes":
            print(asyncio.run(_quotes(settings, arguments)), file=sys.stderr)
        elif arguments.command == "demo-data":
            try:
                print(asyncio.run(_demo_data(settings, arguments.responses)), file=sys.stderr)
            except NotSyntheticError as error:
                raise ConfigError(str(error)) from None
        elif arguments.command == "notify":
            try:
                print(asyncio.run(_notify(settings, arguments)), file=sys.stderr)
            except NoticeTextError as error:
                raise ConfigError(str(error)) from None
        elif arguments.command == "purge":
            print(asyncio.run(_purge(settings)), file=sys.stderr)
        elif arguments.command == "healthcheck":
            try:
                problem = asyncio.run(_healthcheck(settings))
            except Exception as error:  # any failure to reach the database means unhealthy
                problem = f"{type(error).__name__}: {error}"
            print(f"unhealthy: {problem}" if problem else "healthy", file=sys.stderr)
            return 1 if problem else 0
        elif arguments.command == "migrate":
            applied = asyncio.run(_migrate(settings))
            print(f"applied {len(applied)} migrations", file=sys.stderr)
        else:
            run_bot(settings)
    except (ConfigError, SurveyError, CatalogueError, StartupError) as error:
        print(f"citizen-feedback-bot: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
