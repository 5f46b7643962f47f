"""Machine translation of residents' quotes into Swedish, for the staff report.

The report shows each quote in the resident's own words; where the municipality runs a
translation service, a Swedish machine translation is shown beside it. Translation is a help,
never a requirement: a service that fails, refuses a language or answers too slowly gives None
for the texts concerned and one WARNING line per call. That line names counts, HTTP statuses and
language codes only: never the quotes (residents' words) nor the API key.

``QuoteTranslator`` is the interface the report uses; ``LibreTranslateProvider`` talks to a
LibreTranslate-compatible service (``POST {url}/translate``); ``provider_from_settings`` builds
one from TRANSLATION_URL, TRANSLATION_API_KEY and TRANSLATION_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import httpx

from bot.config import Settings

__all__ = [
    "LIBRETRANSLATE_CODES",
    "LibreTranslateProvider",
    "QuoteTranslator",
    "provider_from_settings",
    "service_code",
]

_LOGGER = logging.getLogger(__name__)


class QuoteTranslator(Protocol):
    """Translates quotes; one result per text, None where a text was not translated."""

    name: str
    """Shown in the report next to machine translations (e.g. "LibreTranslate")."""

    async def translate(self, texts: Sequence[tuple[str, str]], target: str = "sv") -> list[str | None]:
        """Translate ``(text, source_language_code)`` pairs into ``target``.

        Returns a list as long as ``texts``, in the same order. Never raises because the service
        failed: such texts get None. Texts already in the target language get None too (the
        report shows the original only).
        """
        ...


# The bot's language codes (bot.language.detection, bot.i18n.catalogue) that LibreTranslate names differently.
# LibreTranslate uses the codes of its Argos models: mostly ISO 639-1, checked against its list of
# supported languages (docs.libretranslate.com/guides/supported_languages). A code that is not
# here is sent as it is; a language the service has no model for is answered with 400 and gives
# None, so a municipality that installs more models gets them without a code change.
LIBRETRANSLATE_CODES: dict[str, str] = {
    # Bosnian, Croatian and Serbian are one code in the bot. The standard model list has none of
    # them; community models use "sr" (Serbian), which also reads the Latin-script variants best.
    "hbs": "sr",
    "bs": "sr",
    "hr": "sr",
    "sh": "sr",
    # Northern Kurdish (Kurmanji) is what MT services call "ku"; Central Kurdish (Sorani) keeps
    # its own code "ckb".
    "kmr": "ku",
    # Dari is Persian: the Persian model reads it.
    "prs": "fa",
    # Norwegian Bokmål is LibreTranslate's Norwegian.
    "no": "nb",
    # Self-hosted LibreTranslate names Chinese "zh" (simplified) and "zt" (traditional);
    # the bot's detector reports "zh" for Chinese script, which is kept as "zh".
    "zh-hant": "zt",
    "zh-tw": "zt",
    "pt-br": "pb",
}

# How many requests one call keeps in flight: a municipal service on modest hardware
# translates one text at a time per worker, and a report needs a few dozen quotes at most.
MAX_CONCURRENT_REQUESTS = 4


def service_code(code: str) -> str | None:
    """The LibreTranslate code for one of the bot's language codes, or None if there is none
    ("sv-easy" is Swedish: "sv")."""
    code = code.strip().lower().replace("_", "-")
    if not code:
        return None
    if code in LIBRETRANSLATE_CODES:
        return LIBRETRANSLATE_CODES[code]
    # Otherwise the language itself decides: "sv-easy" and "sv-SE" are Swedish, "en-GB" English.
    primary = code.split("-", 1)[0]
    return LIBRETRANSLATE_CODES.get(primary, primary)


class _Failed(Exception):
    """One text was not translated; ``reason`` is safe to log (no text, no key)."""

    def __init__(self, reason: str, *, service_down: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.service_down = service_down


class LibreTranslateProvider:
    """A LibreTranslate-compatible service: ``POST {url}/translate`` with JSON
    ``{"q", "source", "target", "format": "text", "api_key"}``, answered with
    ``{"translatedText": ...}``.

    Each text is one request (a refused language then costs only its own texts), at most
    ``MAX_CONCURRENT_REQUESTS`` at a time. ``timeout`` bounds each request as a whole. After a
    timeout or a connection error the service counts as down for the rest of the call: texts
    not yet sent get None at once, so a dead service delays the report by about one timeout,
    not one per quote.
    """

    name = "LibreTranslate"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 10.0,
        *,
        max_concurrent: int = MAX_CONCURRENT_REQUESTS,
    ) -> None:
        self._endpoint = url.rstrip("/") + "/translate"
        # For logs and reprs: the address without any user:password or query it may carry.
        parsed = httpx.URL(self._endpoint)
        port = f":{parsed.port}" if parsed.port else ""
        self._where = f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"
        self._api_key = api_key or None
        self._timeout = timeout
        self._max_concurrent = max_concurrent

    def __repr__(self) -> str:
        # The key stays out of reprs (and so out of tracebacks and debug output).
        key = "set" if self._api_key else "none"
        return f"LibreTranslateProvider(endpoint={self._where!r}, api_key={key}, timeout={self._timeout})"

    async def translate(self, texts: Sequence[tuple[str, str]], target: str = "sv") -> list[str | None]:
        results: list[str | None] = [None] * len(texts)
        target_code = service_code(target)
        if target_code is None:
            return results
        # Each distinct (text, language) is requested once; duplicates share the answer.
        wanted: dict[tuple[str, str], list[int]] = {}
        for index, (text, language) in enumerate(texts):
            source_code = service_code(language)
            if source_code is None or source_code == target_code or not text.strip():
                continue
            wanted.setdefault((text, source_code), []).append(index)
        if not wanted:
            return results

        failures: Counter[tuple[str, str]] = Counter()
        service_down = False
        gate = asyncio.Semaphore(self._max_concurrent)
        limits = httpx.Limits(max_connections=self._max_concurrent)
        async with httpx.AsyncClient(timeout=self._timeout, limits=limits, follow_redirects=False) as client:

            async def one(text: str, source_code: str) -> str | None:
                nonlocal service_down
                async with gate:
                    if service_down:
                        failures["skipped, service down", source_code] += 1
                        return None
                    try:
                        return await self._request(client, text, source_code, target_code)
                    except _Failed as failure:
                        if failure.service_down:
                            service_down = True
                        failures[failure.reason, source_code] += 1
                        return None

            answers = await asyncio.gather(*(one(text, code) for text, code in wanted))

        for indices, answer in zip(wanted.values(), answers, strict=True):
            for index in indices:
                results[index] = answer
        if failures:
            self._warn(failures, total=len(wanted))
        return results

    async def _request(self, client: httpx.AsyncClient, text: str, source: str, target: str) -> str | None:
        body: dict[str, str] = {"q": text, "source": source, "target": target, "format": "text"}
        if self._api_key is not None:
            body["api_key"] = self._api_key
        try:
            # httpx's timeout bounds each phase; this bounds the request as a whole, so a
            # service that trickles its answer cannot hold the report either.
            async with asyncio.timeout(self._timeout):
                response = await client.post(self._endpoint, json=body)
                payload = response.json() if response.status_code == 200 else None
        except (TimeoutError, httpx.TimeoutException):
            raise _Failed("timeout", service_down=True) from None
        except httpx.TransportError as error:
            # The exception's text may name the address but never the body; its type is enough.
            raise _Failed(f"connection failed ({type(error).__name__})", service_down=True) from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise _Failed(f"request failed ({type(error).__name__})") from None
        except ValueError:  # not JSON (or not UTF-8)
            raise _Failed("unreadable answer") from None
        if response.status_code != 200:
            # The error body is not logged: LibreTranslate may quote the text in it.
            raise _Failed(f"HTTP {response.status_code}")
        translated = payload.get("translatedText") if isinstance(payload, dict) else None
        if not isinstance(translated, str):
            raise _Failed("unreadable answer")
        return translated.strip() or None

    def _warn(self, failures: Counter[tuple[str, str]], *, total: int) -> None:
        by_reason: dict[str, list[str]] = {}
        for (reason, code), count in sorted(failures.items()):
            by_reason.setdefault(reason, []).append(f"{code}: {count}")
        # e.g. "HTTP 400 (ti: 2); timeout (ar: 1, en: 3)": service language codes, never texts.
        details = "; ".join(f"{reason} ({', '.join(codes)})" for reason, codes in by_reason.items())
        _LOGGER.warning(
            "%s at %s: %d of %d texts not translated: %s",
            self.name,
            self._where,
            sum(failures.values()),
            total,
            details,
        )


def provider_from_settings(settings: Settings) -> QuoteTranslator | None:
    """The configured translation service, or None when TRANSLATION_URL is not set."""
    if not settings.translation_url:
        return None
    key = settings.translation_api_key.get_secret_value() if settings.translation_api_key else None
    return LibreTranslateProvider(settings.translation_url, key, settings.translation_timeout_seconds)
