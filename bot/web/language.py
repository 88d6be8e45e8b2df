"""The page's language: the visitor's pick (the switcher's `?lang=`, remembered in a cookie),
else the browser's Accept-Language, else English.

A plain ASGI middleware sets it for the whole request (templates, problem details, the JSON
API's errors all read it through `bot.web.text.t`), answers with `Content-Language`, and says
`Vary` so caches keep one copy per language.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.core.i18n import DEFAULT_LANGUAGE, normalize
from bot.core.i18n.languages import first_supported, parse_accept_language
from bot.web.text import speaking

LANGUAGE_COOKIE = "selfiebot_lang"
LANGUAGE_PARAMETER = "lang"
COOKIE_SECONDS = 365 * 24 * 3600


def page_language(chosen: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The switcher's choice, else the remembered one, else the browser's, else English."""
    hints = (chosen, cookie, *parse_accept_language(accept_language))
    return first_supported(hints) or DEFAULT_LANGUAGE


def html_lang(code: str) -> str:
    """`pt_BR` -> `pt-BR`: BCP 47, as `<html lang>` and `Content-Language` want it."""
    return code.replace("_", "-")


class PageLanguage:
    """Speaks each request's language; a `?lang=` choice is also remembered in a cookie."""

    def __init__(self, app: ASGIApp, *, secure_cookie: bool = False) -> None:
        self.app = app
        self.secure_cookie = secure_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        chosen = normalize(query.get(LANGUAGE_PARAMETER, [""])[0])
        language = page_language(
            chosen,
            connection.cookies.get(LANGUAGE_COOKIE),
            connection.headers.get("accept-language"),
        )

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-language", html_lang(language))
                headers.append("vary", "Accept-Language, Cookie")
                if chosen is not None:
                    headers.append("set-cookie", self._cookie(chosen))
            await send(message)

        with speaking(language):
            await self.app(scope, receive, send_with_language)

    def _cookie(self, code: str) -> str:
        secure = "; Secure" if self.secure_cookie else ""
        return f"{LANGUAGE_COOKIE}={code}; Max-Age={COOKIE_SECONDS}; Path=/; SameSite=Lax{secure}"
