"""Receiving updates by webhook: Telegram POSTs each update to WEBHOOK_URL.

Behind a load balancer several processes can share the work; each request is checked for the
secret Telegram was given (X-Telegram-Bot-Api-Secret-Token) before anything else is read.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.telegram.reading import OnSkipped, read_update

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are small; anything far larger is not from Telegram.
MAX_UPDATE_BYTES = 1 << 20


def webhook_app(
    application: Application, secret: str, path: str, on_skipped: OnSkipped | None = None
) -> web.Application:
    """The HTTP endpoint: checks the secret, hands the update to the bot, answers 200. An update
    the library cannot read is skipped and still answered 200: Telegram would only send it
    again."""

    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            logger.warning("webhook: refused a request without the right secret")
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400)
        if not isinstance(data, dict):
            return web.Response(status=400)
        update = read_update(data, application.bot, on_skipped)
        if update is not None:
            await application.update_queue.put(update)
        return web.Response()

    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app.router.add_post(path, receive)
    return app


async def run_webhook(
    application: Application, settings: Settings, on_skipped: OnSkipped | None = None
) -> None:
    """Serve until SIGTERM or SIGINT; then stop taking requests, finish every update already
    received, and close. The webhook stays registered, so Telegram keeps new updates meanwhile."""
    assert settings.webhook_url and settings.webhook_secret
    secret = settings.webhook_secret.get_secret_value()
    path = urlsplit(settings.webhook_url).path or "/"
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)

    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    runner = web.AppRunner(webhook_app(application, secret, path, on_skipped), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
        await application.bot.set_webhook(
            settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        logger.info("receiving updates by webhook on port %d", settings.webhook_port)
        await stopping.wait()
        logger.info("stopping: finishing the updates already received")
    finally:
        await runner.cleanup()
        if application.running:
            await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
