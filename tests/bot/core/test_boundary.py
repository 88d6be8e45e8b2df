"""The one error boundary (bot/core/boundary.py): a crash on any front end is logged once with
its traceback and secrets masked, counted as `internal`, and answered with the catalogue's
generic sentence in the person's language. Telegram's and Discord's apologies against their
fakes are in tests/bot/telegram/test_adapter.py and tests/bot/discord/test_adapter.py; the web
page's is here, through the real app."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from bot.core.boundary import INTERNAL, failed
from bot.core.i18n import Translator
from bot.logs import MASK, register_secret
from bot.web.app import create_app
from tests.bot.web.support import web_settings


def internal_errors() -> float:
    return REGISTRY.get_sample_value("selfiebot_errors_total", {"kind": INTERNAL}) or 0.0


def crash(secret: str) -> Exception:
    try:
        raise RuntimeError(f"database said no to {secret}")
    except RuntimeError as error:
        return error


def test_a_failure_is_logged_once_masked_counted_and_answered_in_the_persons_language(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_secret("tok-4f9a")
    before = internal_errors()
    with caplog.at_level(logging.ERROR, logger="bot.core.boundary"):
        sentence = failed("telegram", "update 7 (tok-4f9a)", crash("tok-4f9a"), "es")

    assert sentence == Translator("es")("error.generic")
    assert sentence != Translator("en")("error.generic")
    assert internal_errors() == before + 1
    [record] = caplog.records
    assert record.getMessage() == f"update 7 ({MASK}) failed on telegram"
    assert record.exc_text and "RuntimeError" in record.exc_text
    assert "tok-4f9a" not in caplog.text


async def test_a_crashing_web_route_answers_with_the_generic_sentence(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(web_settings(tmp_path, popularity_model=tmp_path / "missing.h5"))

    async def boom() -> None:
        raise RuntimeError("a bug in a route")

    app.add_api_route("/api/boom", boom)
    before = internal_errors()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="bot.core.boundary"):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/api/boom", headers={"accept": "application/json"})

    assert response.status_code == 500
    assert response.json()["detail"] == Translator("en")("error.generic")
    assert internal_errors() == before + 1
    [record] = caplog.records
    assert record.getMessage() == "GET /api/boom failed on web"
