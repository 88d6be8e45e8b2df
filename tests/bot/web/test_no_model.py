"""The web app without a popularity model: it starts, says why scoring is off, answers 503.

Needs no `../shared`: the point is that nothing is installed.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.web.app import create_app
from tests.bot.web.support import SELFIE, web_settings


async def test_missing_model_is_explained_everywhere(tmp_path: Path) -> None:
    settings = web_settings(tmp_path, popularity_model=None)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/")
            health = await client.get("/healthz")
            ready = await client.get("/readyz")
            score = await client.post("/api/score", files={"photo": ("a.jpg", SELFIE.read_bytes())})
            upload = await client.post(
                "/", data={"nickname": "Ann"}, files={"photo": ("a.jpg", SELFIE.read_bytes())}
            )
            board = await client.get("/api/leaderboard")
    assert page.status_code == 200
    assert "Scoring is unavailable." in page.text
    assert "selfiebot models fetch" in page.text
    assert "disabled" in page.text.split('id="submit"')[1].split(">")[0]
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert "selfiebot models fetch" in health.json()["detail"]
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
    for response in (score, board):
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"] == "/problems/model-missing"
        assert "selfiebot models fetch" in body["detail"]
    assert upload.status_code == 503
    assert "selfiebot models fetch" in upload.text
