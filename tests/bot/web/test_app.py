"""HTTP tests of the web page and the JSON API, on the real game, models and database.

Requests go through httpx's ASGI transport in the test's own event loop (the game's database
engine belongs to that loop). One analyzer is shared by the module; every test gets a fresh
database.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path

import httpx
import pytest
from PIL import Image

from bot.core.game import Game
from bot.core.i18n import Translator
from bot.web.app import create_app
from bot.web.players import NICKNAME_COOKIE, PLAYER_COOKIE
from inference import EMOTIONS, Analyzer
from tests.bot.web.support import (
    NO_FACE,
    SELFIE,
    altered_selfie,
    analyzer,
    jpeg_bytes,
    web_settings,
)
from tests.conftest import needs_shared
from tests.fakes.adapter import FakeClock

pytestmark = needs_shared
__all__ = ["analyzer"]

PROBLEM = "application/problem+json"
KEY = "test-key-0123456789"


@pytest.fixture
def settings(tmp_path: Path):
    return web_settings(tmp_path, max_upload_bytes=3 * 1024 * 1024)


@pytest.fixture
async def game(settings, analyzer: Analyzer) -> AsyncIterator[Game]:
    opened = await Game.open(settings, analyzer=analyzer)
    yield opened
    await opened.close()


@pytest.fixture
async def client(settings, game: Game) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, game=game)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def text_of(html: str) -> str:
    """The visible text of a page, tags removed, whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


async def play(
    client: httpx.AsyncClient,
    photo: bytes,
    *,
    nickname: str = "Ann",
    key: str = KEY,
    filename: str = "selfie.jpg",
    tips: bool = False,
) -> httpx.Response:
    """Upload as the page does; without `tips` the tips are left for `/tips` (as the script
    does), which keeps the tests that are not about tips fast."""
    return await client.post(
        "/",
        data={"nickname": nickname, "key": key},
        files={"photo": (filename, photo, "image/jpeg")},
        headers={} if tips else {"X-Selfiebot-Tips": "later"},
        follow_redirects=True,
    )


def result_address(response: httpx.Response) -> str:
    """Where a played photo's result lives: the script's POST is answered with that page and
    names it in Content-Location; the form without script is redirected there."""
    return response.headers.get("content-location") or response.url.path


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


# --- the page -----------------------------------------------------------------------------


async def test_page_offers_upload_camera_and_nickname(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    html = response.text
    assert 'enctype="multipart/form-data"' in html
    assert re.search(r'<input[^>]+type="file"[^>]+accept="image/\*"[^>]+capture="user"', html)
    assert 'name="nickname"' in html
    assert 'name="viewport"' in html
    assert "No scores yet" in html
    assert response.cookies.get(PLAYER_COOKIE)
    assert "Guest" in unescape(response.cookies.get(NICKNAME_COOKIE) or "")
    assert "chat" not in text_of(response.text).lower(), "web wording, not a chat's"
    assert "httponly" in response.headers["set-cookie"].lower()


async def test_scoring_a_selfie_shows_everything(
    client: httpx.AsyncClient, analyzer: Analyzer
) -> None:
    photo = SELFIE.read_bytes()
    expected = analyzer.analyze(photo)
    response = await play(client, photo, tips=True)
    assert response.status_code == 200, text_of(response.text)
    assert str(response.url) == f"http://testserver/result/{KEY}", "Post/Redirect/Get"
    html = response.text
    text = text_of(html)
    assert f"Your score: {expected.score}/100" in text
    assert f'aria-label="Score {expected.score} out of 100"' in html
    # the photo, served once at its own URL, with one box per face over it in the photo's own
    # pixel coordinates
    assert f'src="/result/{KEY}/photo.jpg"' in html
    assert "data:image" not in html and len(response.content) < 400_000
    shown = await client.get(f"/result/{KEY}/photo.jpg")
    assert shown.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(shown.content)).size == (expected.width, expected.height)
    assert f'viewBox="0 0 {expected.width} {expected.height}"' in html
    x, y, w, h = expected.faces[0].box
    assert f'<rect class="face-box main" x="{float(x)}" y="{float(y)}"' in html
    assert f'width="{float(w)}" height="{float(h)}"' in html
    # the expressions chart: every expression with its percentage
    face = expected.faces[0]
    dominant = face.dominant_emotion
    t = Translator()
    assert f"Face 1: mostly {t(f'emotion.{dominant}')}" in text
    for name, probability in face.emotions.items():
        label = t(f"emotion.{name}")
        assert re.search(rf"{label} {round(probability * 100)}%", text, re.IGNORECASE)
    # the game's verdict and rank, the tips, and the board with the new player on it
    assert re.search(rf"Ann ?: {expected.score}/100 · \w", text), "name, score and verdict"
    assert "Rank on the web board this season: #1 of 1 (new on the board)" in text
    assert "score your first photo on the web board" in text, "the badge rule, worded for the web"
    assert "chat" not in text.lower(), "no sentence written for chats reaches the page"
    assert "Tips for your last photo" in text
    assert "data-tips-url" not in html, "without the script the tips come inline"
    assert 'id="leaderboard"' in html
    assert re.search(rf"Ann \(you\) {expected.score}", text)
    assert client.cookies.get(NICKNAME_COOKIE) == "Ann", "set with the redirect"


async def test_tips_come_later_for_the_script_and_their_claim_holds(
    client: httpx.AsyncClient, analyzer: Analyzer
) -> None:
    page = await play(client, SELFIE.read_bytes())
    assert f'data-tips-url="/tips" data-key="{KEY}"' in page.text
    assert "Tips for your last photo" not in page.text
    fragment = await client.post("/tips", files={"key": (None, KEY)})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section class="tips" id="tips"')
    text = text_of(fragment.text)
    assert "Tips for your last photo" in text
    assert result_address(page) == f"/result/{KEY}"
    reloaded = await client.get(result_address(page))
    assert "Tips for your last photo" in text_of(reloaded.text), "kept with the result"
    assert "data-tips-url" not in reloaded.text
    improved = re.search(r'<img src="(/result/[^"]+)"', fragment.text)
    if improved is None:
        assert "No believable edit raises this score" in text or "Nothing believable" in text
        return
    claimed = int(re.search(r"Improved photo: (\d+)", text)[1])
    image = await client.get(improved[1])
    assert image.headers["content-type"] == "image/png"
    assert analyzer.analyze(image.content).score == claimed
    again = await client.post("/tips", files={"key": (None, KEY)})
    assert "already shown" in again.text


async def test_tips_need_a_photo_and_a_key(client: httpx.AsyncClient) -> None:
    nothing_yet = await client.post("/tips", files={"key": (None, KEY)})
    assert nothing_yet.status_code == 200
    assert re.search(r"photo", text_of(nothing_yet.text), re.IGNORECASE)
    assert "<img" not in nothing_yet.text
    no_key = await client.post("/tips", files={"key": (None, "short")})
    assert no_key.status_code == 422
    assert 'role="alert"' in no_key.text


async def test_resubmitting_the_same_form_counts_once(client: httpx.AsyncClient) -> None:
    photo = SELFIE.read_bytes()
    first = await play(client, photo)
    assert first.status_code == 200
    again = await play(client, photo)
    assert again.status_code == 200
    assert result_address(again) == result_address(first), "back to the same result"
    assert "Your score" in again.text
    board = (await client.get("/api/leaderboard")).json()
    assert [entry["name"] for entry in board["entries"]] == ["Ann"]


async def test_result_url_survives_reload_and_belongs_to_its_player(settings, game: Game) -> None:
    app = create_app(settings, game=game)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as ann,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as bob,
    ):
        posted = await ann.post(
            "/",
            data={"nickname": "Ann", "key": KEY},
            files={"photo": ("a.jpg", SELFIE.read_bytes(), "image/jpeg")},
            headers={"X-Selfiebot-Tips": "later"},
        )
        assert posted.status_code == 200, "the script's POST is answered with the result"
        assert posted.headers["content-location"] == f"/result/{KEY}"
        assert "Your score" in text_of(posted.text)
        assert posted.cookies.get(PLAYER_COOKIE), "a new player's cookie comes with it"
        first, reload = await ann.get(f"/result/{KEY}"), await ann.get(f"/result/{KEY}")
        assert first.status_code == reload.status_code == 200
        assert "Your score" in text_of(reload.text)
        assert (await ann.get(f"/result/{KEY}/card.jpg")).headers["content-type"] == "image/jpeg"
        week = await ann.get(f"/result/{KEY}?board=week")
        assert "Your score" in week.text, "the tabs keep the result on screen"
        assert 'href="?board=season#leaderboard"' in week.text
        for url in (f"/result/{KEY}", f"/result/{KEY}/photo.jpg", "/result/unknown-key-0123456"):
            gone = await bob.get(url)
            assert gone.status_code == 404, url
            assert "no longer here" in text_of(gone.text)
        api = await bob.get(f"/result/{KEY}", headers={"accept": "application/json"})
        assert_problem(api, 404, "result-gone")


async def test_the_page_plays_the_game_duplicates_are_refused(client: httpx.AsyncClient) -> None:
    photo = SELFIE.read_bytes()
    await play(client, photo, key="first-key-0123456789")
    second = await play(client, photo, key="second-key-0123456789")
    assert second.status_code == 200
    assert "Your score" not in second.text
    assert "already scored this photo on the web board this season" in text_of(second.text)


async def test_two_players_share_the_web_board(settings, game: Game) -> None:
    app = create_app(settings, game=game)
    scores = {}
    for number, name in enumerate(["Ann", "Bob"]):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as browser:
            response = await play(
                browser, altered_selfie(number), nickname=name, key=f"{KEY}{number}"
            )
            assert response.status_code == 200
            scores[name] = int(re.search(r"Your score: (\d+)/100", response.text)[1])
            returning = await browser.get("/")
            assert f'value="{name}"' in returning.text, "the cookie keeps the nickname"
            assert f"{name} (you)" in text_of(returning.text)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as anonymous:
        board = (await anonymous.get("/api/leaderboard?period=all")).json()
        page = await anonymous.get("/")
    assert {e["name"]: e["score"] for e in board["entries"]} == scores
    assert "(you)" not in text_of(page.text), "a new visitor is nobody on the board"


async def test_season_results_appear_as_news(settings, analyzer: Analyzer) -> None:
    clock = FakeClock()
    game = await Game.open(settings, analyzer=analyzer, clock=clock)
    try:
        app = create_app(settings, game=game)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as browser:
            assert "News from the board" not in (await browser.get("/")).text
            score = int(
                re.search(r"Your score: (\d+)", (await play(browser, SELFIE.read_bytes())).text)[1]
            )
            clock.advance(days=settings.season_days + 1)
            assert await app.state.web.news.poll(game) >= 1
            assert await app.state.web.news.poll(game) == 0, "each announcement comes once"
            text = text_of((await browser.get("/")).text)
    finally:
        await game.close()
    assert "News from the board" in text
    assert "Season 1 is over!" in text
    assert f"Champion: Ann with {score}" in text


async def test_no_face_is_explained_and_not_counted(client: httpx.AsyncClient) -> None:
    response = await play(client, NO_FACE.read_bytes())
    assert response.status_code == 200
    assert "Your score" not in response.text
    assert re.search(r"face", text_of(response.text), re.IGNORECASE)
    assert (await client.get("/api/leaderboard")).json()["entries"] == []


@pytest.mark.parametrize(
    ("photo", "status", "words"),
    [
        (b"", 400, "empty"),
        (b"just some text, not a photo", 415, "not an image"),
        (SELFIE.read_bytes()[:3000], 400, "damaged"),
    ],
    ids=["empty", "not-an-image", "truncated"],
)
async def test_bad_uploads_are_shown_on_the_page(
    client: httpx.AsyncClient, photo: bytes, status: int, words: str
) -> None:
    response = await play(client, photo)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text
    assert words in text_of(response.text)
    assert 'id="play"' in response.text, "the form is still there to try again"


async def test_page_refuses_too_large_missing_and_bad_nickname(client: httpx.AsyncClient) -> None:
    too_large = await play(client, b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024))
    assert too_large.status_code == 413
    text = text_of(too_large.text)
    assert "larger than the 3 MB" in text and "up to 3 MB" in text, "one limit, one unit"
    missing = await client.post("/", data={"nickname": "Ann"}, files={"x": ("a", b"1")})
    assert missing.status_code == 422
    assert "Choose a selfie first" in text_of(missing.text)
    urlencoded = await client.post("/", data={"nickname": "Ann"})
    assert urlencoded.status_code == 415
    nickname = await play(client, SELFIE.read_bytes(), nickname="x" * 40)
    assert nickname.status_code == 422
    assert "at most 24 characters" in text_of(nickname.text)


async def test_photos_never_touch_the_disk(
    client: httpx.AsyncClient, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an upload tried to create a temporary file")

    for name in ("SpooledTemporaryFile", "TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refuse)
    big = altered_selfie(7) + b"\0" * (2 * 1024 * 1024)  # over Starlette's 1 MB spool size
    assert (await play(client, big)).status_code == 200
    assert (await client.post("/api/score", files={"photo": ("a.jpg", big)})).status_code == 200
    stored = [p.name for p in Path(settings.data_dir).rglob("*") if p.is_file()]
    assert all(name.startswith("selfiebot.db") for name in stored), stored


# --- the JSON API -------------------------------------------------------------------------


async def test_api_score_returns_the_analysis(
    client: httpx.AsyncClient, analyzer: Analyzer
) -> None:
    photo = SELFIE.read_bytes()
    response = await client.post("/api/score", files={"photo": ("me.jpg", photo, "image/jpeg")})
    assert response.status_code == 200
    body = response.json()
    assert body == analyzer.analyze(photo).to_dict()
    assert 0 <= body["score"] <= 100
    assert set(body) >= {"score", "popular_probability", "faces", "quality", "model_versions"}
    face = body["faces"][0]
    assert len(face["box"]) == 4
    assert set(face["emotions"]) == set(EMOTIONS)
    assert set(body["model_versions"]) == {"popularity", "emotions", "faces"}
    assert (await client.get("/api/leaderboard")).json()["entries"] == [], "nothing recorded"


@pytest.mark.parametrize(
    ("files", "status", "slug"),
    [
        ({"photo": ("a.jpg", b"", "image/jpeg")}, 400, "bad-photo"),
        ({"photo": ("a.jpg", b"\xff\xd8\xff\xe0 truncated", "image/jpeg")}, 400, "bad-photo"),
        ({"photo": ("a.txt", b"hello world", "text/plain")}, 415, "unsupported-type"),
        ({"photo": ("a.jpg", b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024))}, 413, "photo-too-large"),
        ({"picture": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")}, 422, "missing-photo"),
    ],
    ids=["empty", "corrupt", "non-image", "too-large", "missing-field"],
)
async def test_api_score_bad_uploads(
    client: httpx.AsyncClient, files: dict, status: int, slug: str
) -> None:
    response = await client.post("/api/score", files=files)
    body = assert_problem(response, status, slug)
    assert body["instance"] == "/api/score"


async def test_api_score_needs_multipart(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/score", content=SELFIE.read_bytes(), headers={"content-type": "image/jpeg"}
    )
    assert_problem(response, 415, "unsupported-type")
    assert_problem(await client.post("/api/score"), 415, "unsupported-type")


def huge_jpeg_header(width: int = 8000, height: int = 8000) -> bytes:
    """A small JPEG whose header claims `width` x `height`: refused before any decoding."""
    data = bytearray(jpeg_bytes(Image.new("RGB", (16, 16), (90, 90, 90))))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


async def test_too_many_pixels(client: httpx.AsyncClient) -> None:
    photo = huge_jpeg_header()
    body = assert_problem(
        await client.post("/api/score", files={"photo": ("a.jpg", photo)}), 413, "photo-too-large"
    )
    assert "8000x8000 pixels" in body["detail"]
    page = await play(client, photo)
    assert page.status_code == 413
    assert "8000x8000 pixels" in text_of(page.text)


async def test_api_leaderboard(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/leaderboard")
    assert response.status_code == 200
    assert response.json() == {"period": "season", "entries": []}
    score = int(re.search(r"Your score: (\d+)", (await play(client, SELFIE.read_bytes())).text)[1])
    for period in ("week", "season", "all"):
        board = (await client.get(f"/api/leaderboard?period={period}")).json()
        assert board == {"period": period, "entries": [{"rank": 1, "name": "Ann", "score": score}]}
    body = assert_problem(await client.get("/api/leaderboard?period=year"), 422, "invalid-input")
    assert body["errors"][0]["loc"] == ["query", "period"]


async def test_visitors_board_is_reused_until_someone_plays(settings, game: Game) -> None:
    app = create_app(settings, game=game)
    play_adapter = app.state.web.play
    first = await play_adapter.leaderboard(None, "season")
    assert await play_adapter.leaderboard(None, "season") is first, "no update per page view"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as browser:
        await play(browser, SELFIE.read_bytes())
    fresh = await play_adapter.leaderboard(None, "season")
    assert fresh is not first
    assert [row.name for row in fresh.rows] == ["Ann"]


async def test_healthz_docs_and_openapi(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok", "scoring": True})
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = (await client.get("/openapi.json")).json()
    score = spec["paths"]["/api/score"]["post"]
    assert "photo" in score["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert {"400", "413", "415", "422", "503"} <= set(score["responses"])
    assert "/api/leaderboard" in spec["paths"] and "/healthz" in spec["paths"]
    assert "/" not in spec["paths"], "the HTML page is not part of the API"


async def test_errors_for_unknown_routes_and_methods(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/nothing"), 404, "not-found")
    assert_problem(await client.get("/api/score"), 405, "method-not-allowed")
    page = await client.get("/nothing")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text


async def test_problem_types_are_documented(client: httpx.AsyncClient) -> None:
    page = await client.get("/problems/photo-too-large")
    assert page.status_code == 200
    assert "SELFIEBOT_MAX_UPLOAD_BYTES" in page.text
    assert (await client.get("/problems/no-such-thing")).status_code == 404


async def test_security_headers(client: httpx.AsyncClient) -> None:
    for response in (await client.get("/"), await client.get("/api/nothing")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert (await client.get("/")).headers["cache-control"] == "no-store"


async def test_pages_hold_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    """The policy forbids inline code, so no page may depend on it."""
    result = await play(client, SELFIE.read_bytes(), tips=True)
    pages = [await client.get("/"), result, await client.get("/docs"), await client.get("/x")]
    for page in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), page.url
        assert not re.search(r"\sstyle=|<style", page.text), page.url
        assert not re.search(r"\son[a-z]+=", page.text), page.url


async def test_cross_site_forms_are_refused(client: httpx.AsyncClient) -> None:
    evil = {"origin": "https://evil.example"}
    page = await client.post(
        "/", data={"nickname": "Eve"}, files={"photo": ("a.jpg", SELFIE.read_bytes())}, headers=evil
    )
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "another website" in text_of(page.text)
    assert_problem(
        await client.post("/api/score", files={"photo": ("a.jpg", b"x")}, headers=evil),
        403,
        "cross-site",
    )
    tips = await client.post("/tips", files={"key": (None, KEY)}, headers=evil)
    assert tips.status_code == 403
    referer = {"referer": "https://evil.example/form.html"}
    assert (
        await client.post("/tips", files={"key": (None, KEY)}, headers=referer)
    ).status_code == 403
    own = await client.post(
        "/tips", files={"key": (None, KEY)}, headers={"origin": "http://testserver"}
    )
    assert own.status_code == 200, "the page's own requests pass"
    assert (await client.get("/api/leaderboard")).json()["entries"] == []


async def test_docs_work_offline(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(url.startswith("/") for url in sources), "nothing from a CDN"
    for url in sources:
        assert (await client.get(url)).status_code == 200, url
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert 'data-openapi-url="/openapi.json"' in docs.text
    assert (await client.get("/redoc")).status_code == 404


async def test_static_assets(client: httpx.AsyncClient) -> None:
    css = await client.get("/static/style.css")
    js = await client.get("/static/app.js")
    assert css.status_code == js.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "XMLHttpRequest" in js.text
