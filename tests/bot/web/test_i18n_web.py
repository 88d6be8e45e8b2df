"""The web page in the visitor's language: Accept-Language, the switcher and its cookie."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.core.game import Game
from bot.core.i18n import LANGUAGES, Translator
from bot.web.app import create_app
from bot.web.language import LANGUAGE_COOKIE, page_language
from inference import Analyzer
from tests.bot.web.support import SELFIE, analyzer, web_settings
from tests.conftest import needs_shared

__all__ = ["analyzer"]


def test_the_switchers_choice_beats_the_cookie_which_beats_the_browser() -> None:
    assert page_language("de", "ru", "fr-CA, en;q=0.5") == "de"
    assert page_language(None, "ru", "fr-CA, en;q=0.5") == "ru"
    assert page_language(None, None, "zh-CN, fr-CA;q=0.9, en;q=0.5") == "fr"
    assert page_language(None, "xx", None) == "en"


@pytest.fixture
async def client(tmp_path: Path, analyzer: Analyzer) -> AsyncIterator[httpx.AsyncClient]:
    settings = web_settings(tmp_path)
    game = await Game.open(settings, analyzer=analyzer)
    transport = httpx.ASGITransport(app=create_app(settings, game=game))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await game.close()


@needs_shared
async def test_the_page_speaks_the_browsers_language(client: httpx.AsyncClient) -> None:
    page = await client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert page.headers["content-language"] == "ru"
    assert "Accept-Language" in page.headers["vary"]
    assert '<html lang="ru"' in page.text
    assert Translator("ru")("web.tagline") in page.text
    assert Translator("ru")("web.period.week") in page.text
    switcher = re.search(r'<nav class="languages".*?</nav>', page.text, re.S).group(0)
    assert len(re.findall(r"<a ", switcher)) == len(LANGUAGES)
    assert 'href="/?lang=pt-br"' in switcher and "Português (Brasil)" in switcher
    assert re.search(r'lang="ru" aria-current="true">Русский<', switcher)


@needs_shared
async def test_the_switcher_choice_is_remembered(client: httpx.AsyncClient) -> None:
    chosen = await client.get("/?lang=pt-br", headers={"Accept-Language": "de"})
    assert chosen.headers["content-language"] == "pt-BR"
    assert f"{LANGUAGE_COOKIE}=pt_BR" in chosen.headers["set-cookie"]
    assert "SameSite=Lax" in chosen.headers["set-cookie"]
    later = await client.get("/", headers={"Accept-Language": "de"})
    assert later.headers["content-language"] == "pt-BR"
    assert Translator("pt_BR")("web.submit") in later.text


@needs_shared
async def test_a_scored_selfie_and_its_card_in_the_visitors_language(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/",
        data={"nickname": "Léa", "key": "i18n-key-0123456789"},
        files={"photo": ("selfie.jpg", SELFIE.read_bytes(), "image/jpeg")},
        headers={"Accept-Language": "fr-FR,fr;q=0.9", "X-Selfiebot-Tips": "later"},
        follow_redirects=True,
    )
    assert response.status_code == 200, response.text
    assert "Ton score" in response.text and Translator("fr")("web.expressions") in response.text


@needs_shared
async def test_problems_are_explained_in_the_visitors_language(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/score", files={}, headers={"Accept-Language": "es", "Accept": "application/json"}
    )
    assert response.status_code >= 400
    body = response.json()
    assert response.headers["content-language"] == "es"
    assert body["title"] in {
        Translator("es")(f"web.problem.{slug}.title")
        for slug in ("missing-photo", "bad-request", "invalid-input", "unsupported-type")
    }
