"""`/metrics`, the upload admission limit and the malloc arena cap."""

from __future__ import annotations

import asyncio
import platform
from pathlib import Path

import httpx
import pytest

from bot import metrics
from bot.memory import limit_malloc_arenas
from bot.web.admission import UploadAdmission
from bot.web.app import create_app
from tests.bot.web.support import web_settings


async def test_metrics_are_served_in_prometheus_format(tmp_path: Path) -> None:
    app = create_app(web_settings(tmp_path, popularity_model=tmp_path / "missing.h5"))
    metrics.update_claimed("telegram")
    metrics.update_dropped("telegram", "live")
    metrics.photo_refused("web", "bad_shape")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.get("/healthz")
        await client.get("/no/such/page")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'selfiebot_updates_claimed_total{platform="telegram"}' in text
    assert 'selfiebot_updates_dropped_total{platform="telegram",reason="live"}' in text
    assert 'selfiebot_photos_refused_total{platform="web",reason="bad_shape"}' in text
    assert 'selfiebot_http_request_seconds_count{method="GET",route="/healthz"' in text
    assert 'route="unmatched"' in text and "/no/such/page" not in text
    assert "selfiebot_analysis_seconds_bucket" in text


async def test_uploads_beyond_the_slots_wait_before_their_body_is_read() -> None:
    inside = 0
    most = 0

    async def app(scope, receive, send) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1

    limited = UploadAdmission(app, slots=2)
    calls = [limited({"type": "http", "method": "POST"}, None, None) for _ in range(10)]
    await asyncio.gather(*calls)
    assert most == 2
    most = 0
    pages = [limited({"type": "http", "method": "GET"}, None, None) for _ in range(10)]
    await asyncio.gather(*pages)
    assert most == 10, "requests without a body never wait"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc arenas are glibc's")
def test_the_arena_cap_applies_on_glibc_unless_the_environment_sets_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas(0) is False
    assert limit_malloc_arenas(2) is True
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas(2) is False
