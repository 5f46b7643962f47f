"""The HTTP side: the aiohttp server, decoding of call parameters and routing of calls to methods."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Self

from aiohttp import web

from bot.preview.botapi.errors import ApiError, bad_request, error_payload
from bot.preview.botapi.loopback import host_header_names_loopback
from bot.preview.botapi.params import JSON_PARAMS, Params, Upload, as_json_object, decode_value
from bot.preview.botapi.state import BotApiState
from bot.preview.botapi.wire import encode_json, has_unencodable_text

_LOGGER = logging.getLogger(__name__)

# Carries out one HTTP call and returns its answer (see HttpServer._answer_http).
HttpAnswer = Callable[[], Awaitable[web.Response]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The bodies a Bot API client sends. A web page can send text/plain (or no type) to any address
# without the browser asking first; refusing it keeps other pages from calling methods.
BODY_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "application/json"})


def json_response(payload: dict[str, Any], status: int = 200) -> web.Response:
    """A Bot API answer; non-ASCII text stays readable, as in Telegram's own answers."""
    return web.Response(body=encode_json(payload), status=status, content_type="application/json")


def error_response(error: ApiError) -> web.Response:
    status, payload = error_payload(error)
    return json_response(payload, status=status)


async def read_params(request: web.Request) -> tuple[Params, dict[str, Upload]]:
    """The call's parameters from query, form or JSON body, and any uploaded files."""
    params: Params = {k: decode_value(k, v) for k, v in request.query.items()}
    uploads: dict[str, Upload] = {}
    if not request.body_exists:
        return params, uploads
    ctype = request.content_type
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            form = await request.post()
        except (UnicodeDecodeError, LookupError):  # bytes that are not text in the declared charset
            raise bad_request("strings must be encoded in UTF-8") from None
        except ValueError:  # e.g. a multipart part without a name
            raise bad_request("can't parse form data") from None
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = Upload(value.filename, value.content_type, value.file.read())
            else:
                params[key] = decode_value(key, str(value))
    else:
        raw = await request.read()
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, RecursionError):
                raise bad_request("can't parse JSON body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object")
            for key, value in body.items():
                params[key] = as_json_object(value, key) if key in JSON_PARAMS else value
    # JSON can carry a lone surrogate, which no answer or update could then be written with.
    names = [upload.filename for upload in uploads.values()]
    if has_unencodable_text(params) or has_unencodable_text(names):
        raise bad_request("strings must be encoded in UTF-8")
    return params, uploads


def refusal(request: web.Request, port: int) -> ApiError | None:
    """Why a request cannot come from the bot's own HTTP client but from a web page, if it cannot.

    The bot's client names the server by a loopback address and sends neither ``Origin`` nor
    ``Sec-Fetch-Site``; a browser adds them to every request a page makes, and a page that
    rebound its own name to 127.0.0.1 sends that name as Host.
    """
    if not host_header_names_loopback(request.headers.get("Host"), port):
        return ApiError("Misdirected Request: this Bot API answers only at a loopback address", 421)
    if "Origin" in request.headers or request.headers.get("Sec-Fetch-Site", "none") != "none":
        return ApiError("Forbidden: requests from web pages are refused", 403)
    if request.body_exists and request.content_type not in BODY_TYPES:
        return ApiError("Unsupported Media Type: send parameters as a form or as JSON", 415)
    return None


class HttpServer(BotApiState):
    """Serves ``/bot{token}/{method}`` and ``/file/bot{token}/{path}`` on a loopback address."""

    _runner: web.AppRunner | None = None

    # ---------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """PTB ``base_url``: PTB appends ``{token}/{method}``."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB ``base_file_url``: PTB appends ``{token}/{file_path}``."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self) -> None:
        """Bind and serve; with ``port=0`` a free port is picked and stored in `port`."""
        if self._runner is not None:
            raise RuntimeError("LocalBotApi already started")
        self._closing = False
        # A fresh Event so one instance can be started again on a different event loop.
        self._updates_available = asyncio.Event()
        if self._updates:
            self._updates_available.set()
        # Uploads up to Telegram's 50 MB bot limit.
        app = web.Application(client_max_size=60 * 1024 * 1024, middlewares=[self._guard])
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # access_log=None: no per-request logging; short shutdown so stop() never hangs.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        _LOGGER.debug("LocalBotApi listening on %s", self.base_url)

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing = True
        self._updates_available.set()
        self._stop_webhook()
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- HTTP calls

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Only the bot's own client gets through; every error answers in the Bot API's shape."""
        refused = refusal(request, self.port)
        if refused is not None:
            return error_response(refused)
        try:
            return await handler(request)
        except web.HTTPException as error:
            if error.status < 400:
                raise
            response = error_response(ApiError(error.reason, error.status))
            if "Allow" in error.headers:  # 405 names the methods that would do
                response.headers["Allow"] = error.headers["Allow"]
            return response

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return error_response(ApiError("Unauthorized", 401))
        method = request.match_info["method"]

        async def answer() -> web.Response:
            try:
                params, uploads = await read_params(request)
            except ApiError as error:
                self.calls.append((self._canonical(method), {}))
                return error_response(error)
            status, payload = await self._call(method, params, uploads)
            return json_response(payload, status=status)

        return await self._answer_http(method, request, answer)

    async def _answer_http(self, method: str, request: web.Request, answer: HttpAnswer) -> web.Response:
        """Answer one authorised HTTP call of ``method``; awaiting ``answer`` carries it out.

        A subclass may answer differently, late or not at all, as Telegram or the network
        sometimes do; calls made through `dispatch` do not pass here.
        """
        return await answer()

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return error_response(ApiError("Not Found", 404))
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def dispatch(
        self,
        method: str,
        form: dict[str, str],
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call without HTTP: ``form`` holds the values as they would be
        sent on the wire (JSON-encoded except for plain text fields), ``files`` any uploads as
        (file name, bytes, MIME type). Returns the HTTP status and the JSON payload. Lets
        tests run the real bot with no socket at all."""
        params: Params = {key: decode_value(key, value) for key, value in form.items()}
        uploads = {
            name: Upload(filename=filename, content_type=mime_type, data=data)
            for name, (filename, data, mime_type) in (files or {}).items()
        }
        return await self._call(method, params, uploads)

    async def _call(
        self, method: str, params: Params, uploads: dict[str, Upload]
    ) -> tuple[int, dict[str, Any]]:
        entry = self._methods.get(method.lower())
        canonical = entry[0] if entry else method
        polling = canonical == "getUpdates"
        if not polling:
            self._in_flight += 1
        try:
            recorded = dict(params)
            for key, upload in uploads.items():
                # Record uploads compactly; the bytes live in the file store.
                recorded[key] = {
                    "upload": True,
                    "filename": upload.filename,
                    "mime_type": upload.content_type,
                    "size": len(upload.data),
                }
            self.calls.append((canonical, recorded))
            for observer in self.observers:
                observer(canonical, recorded)
            if entry is None:
                return error_payload(ApiError("Not Found", 404))
            try:
                result = await entry[1](params, uploads)
            except ApiError as error:
                return error_payload(error)
            return 200, {"ok": True, "result": result}
        finally:
            if not polling:
                self._in_flight -= 1
                self._note_activity()
