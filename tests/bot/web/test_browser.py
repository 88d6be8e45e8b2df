"""The page in a real browser: Playwright drives Debian's Chromium against `selfiebot web`.

The server is the real command (uvicorn on a random free loopback port); the browser uploads
the sample selfie like a person would (picker, drag-and-drop, and with JavaScript off) and the
test compares what is rendered with the JSON API's analysis of the same photo. Every page runs
under the server's Content-Security-Policy and any violation fails the test; any request that
leaves the server (a CDN) fails it too. Screenshots of the desktop and phone layouts are saved
in pytest's temp dir, or in `SELFIEBOT_SCREENSHOT_DIR` when set (to look at them).
"""

from __future__ import annotations

import base64
import html
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.core.i18n import Translator
from tests.bot.test_run import SELFIEBOT, command_env, wait_until_up
from tests.bot.web.support import SELFIE, altered_selfie
from tests.conftest import SEED_MODEL, needs_shared
from tests.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
UPLOAD_LIMIT = 2 * 1024 * 1024
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def _browser_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent (CI installs it with apt: chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (dev extra)"
    return None


_MISSING = _browser_missing_reason()
if _MISSING and os.environ.get("SELFIEBOT_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"SELFIEBOT_REQUIRE_BROWSER=1 but {_MISSING}")

pytestmark = [
    pytest.mark.browser,
    needs_shared,
    pytest.mark.skipif(_MISSING is not None, reason=_MISSING or ""),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`selfiebot web` on a free port, stopped with SIGTERM (which must exit cleanly)."""
    home = tmp_path_factory.mktemp("browser-home")
    port = free_port()
    process = subprocess.Popen(
        [*SELFIEBOT, "web", "--port", str(port)],
        env=command_env(
            home,
            SELFIEBOT_POPULARITY_MODEL=str(SEED_MODEL),
            SELFIEBOT_MAX_UPLOAD_BYTES=str(UPLOAD_LIMIT),
        ),
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", process)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: `SELFIEBOT_SCREENSHOT_DIR` to keep them, else the temp dir."""
    folder = Path(os.environ.get("SELFIEBOT_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


WATCH_POLICY = """
    window.policyViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
        window.policyViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
"""


class Visit:
    """A browser context on the server: offline (any other host fails the test) and, with
    JavaScript, watching for Content-Security-Policy violations."""

    def __init__(self, browser, server: str, **options: object) -> None:
        self.server = server
        self.scripts = options.get("java_script_enabled", True)
        self.context = browser.new_context(**options)
        self.outside: list[str] = []
        self.context.route(
            re.compile(r"^(?!" + re.escape(server) + r")(https?|wss?)://"), self._refuse
        )
        if self.scripts:
            self.context.add_init_script(WATCH_POLICY)
        self.page = self.context.new_page()

    def _refuse(self, route) -> None:
        self.outside.append(route.request.url)
        route.abort()

    def goto(self, path: str = "/"):
        return self.page.goto(self.server + path)

    def close(self) -> None:
        if self.scripts and not self.page.is_closed():
            assert self.page.evaluate("window.policyViolations") == []
        self.context.close()
        assert self.outside == [], "the page reached outside the server"


def jpeg_file(name: str, data: bytes) -> dict:
    """A file for `set_input_files` made from bytes in memory."""
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def expected_analysis(server: str, photo: bytes) -> dict:
    response = httpx.post(f"{server}/api/score", files={"photo": ("me.jpg", photo)}, timeout=60)
    response.raise_for_status()
    return response.json()


def check_result(page, analysis: dict) -> None:
    """The rendered result matches the API's analysis: score, boxes, every expression."""
    result = page.locator("#result")
    result.wait_for(timeout=60_000)
    assert result.locator("h2").inner_text() == f"Your score: {analysis['score']}/100"
    assert page.locator(".gauge-value").inner_text() == str(analysis["score"])
    assert page.locator("rect.face-box").count() == len(analysis["faces"])
    face = max(analysis["faces"], key=lambda f: f["box"][2] * f["box"][3])
    bars = page.locator(".chart").first.locator("li")
    assert bars.count() == 7
    shown = {}
    for index in range(bars.count()):
        name = bars.nth(index).locator(".bar-name").inner_text().strip().split()[-1].lower()
        shown[name] = int(bars.nth(index).locator(".bar-value").inner_text().rstrip("%"))
    t = Translator()
    assert shown == {t(f"emotion.{name}"): round(p * 100) for name, p in face["emotions"].items()}
    box = page.locator("rect.face-box.main").bounding_box()
    photo = page.locator(".photo-frame img").bounding_box()
    assert box is not None and photo is not None
    assert photo["x"] <= box["x"] and box["x"] + box["width"] <= photo["x"] + photo["width"] + 1
    assert page.locator(".photo-frame img").evaluate("img => img.complete && img.naturalWidth") > 0
    width = page.locator(".bar-fill").first.bounding_box()["width"]
    track = page.locator(".bar-track").first.bounding_box()["width"]
    percent = int(bars.first.locator(".bar-value").inner_text().rstrip("%"))
    assert abs(width / track * 100 - max(percent, 1)) < 2, "bar lengths follow the numbers"


def result_path(page) -> str:
    path = page.evaluate("location.pathname")
    assert re.fullmatch(r"/result/[A-Za-z0-9_-]{16,64}", path), path
    return path


def test_desktop_upload_shows_score_expressions_and_board(
    server: str, browser, shots: Path
) -> None:
    photo = SELFIE.read_bytes()
    analysis = expected_analysis(server, photo)
    visit = Visit(browser, server, viewport={"width": 1280, "height": 900})
    page = visit.page
    visit.goto()
    assert page.title() == "selfiebot"
    assert page.locator(".dropzone-text").is_visible(), "a mouse can drop a file"
    page.fill("#nickname", "Desk")
    page.set_input_files("#photo", str(SELFIE))
    size = f"{max(0.1, round(len(photo) / 1024 / 1024, 1)):g}"
    assert page.locator("#chosen").inner_text() == f"Ready: astronaut.jpg ({size} MB)"
    # The preview appears once the browser has read the file: wait for it, as a person would.
    page.locator("#preview").wait_for(state="visible")
    page.screenshot(path=shots / "desktop-form.png")
    page.click("#submit")
    check_result(page, analysis)
    assert page.title() == f"{analysis['score']}/100 · selfiebot"
    path = result_path(page)
    tips = page.locator("#tips:not([aria-busy])")
    tips.wait_for(timeout=180_000)  # fetched after the score: every edit is re-scored
    assert "Tips for your last photo" in tips.inner_text()
    board = page.locator("#leaderboard tbody tr.you")
    assert re.search(rf"Desk\s+\(you\)\s+{analysis['score']}", board.inner_text())
    page.screenshot(path=shots / "desktop.png", full_page=True)

    # the tabs switch the board in place: same document, the result still on screen
    page.evaluate("window.sameDocument = true")
    page.click("#leaderboard a.tab >> text=All time")
    page.locator('#leaderboard a.tab[aria-current="page"]', has_text="All time").wait_for(
        timeout=120_000  # the server may still be re-scoring the tips' edits
    )
    assert page.evaluate("window.sameDocument") is True
    assert page.locator("#result").is_visible() and page.locator("#tips").is_visible()
    assert page.evaluate("location.pathname + location.search") == f"{path}?board=all"

    # the address is the result's own page: a reload shows it again, posting nothing
    page.reload()
    check_result(page, analysis)
    assert page.locator('#leaderboard a.tab[aria-current="page"]').inner_text() == "All time"
    visit.close()


def test_phone_offers_choose_and_take_not_drop(server: str, browser, shots: Path) -> None:
    photo = altered_selfie(3)
    analysis = expected_analysis(server, photo)
    visit = Visit(browser, server, **PHONE)
    page = visit.page
    visit.goto()
    assert page.locator("label.camera").is_visible(), "phones get the camera button"
    assert page.locator("label.camera").inner_text() == "Take a selfie"
    assert page.locator("label[for=photo]").inner_text() == "Choose a selfie"
    assert not page.locator(".dropzone-text").is_visible(), "nothing can be dropped on a phone"
    assert "Drop" not in page.locator("#play").inner_text()
    page.screenshot(path=shots / "phone-form.png")
    page.fill("#nickname", "Phone")
    page.set_input_files("#photo", files=[jpeg_file("phone.jpg", photo)])
    assert page.locator("#chosen").inner_text().startswith("Ready: phone.jpg (")
    page.click("#submit")
    check_result(page, analysis)
    result_path(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    assert not page.locator(".dropzone-text").is_visible()
    page.locator("#result").screenshot(path=shots / "phone-result.png")
    page.click("#leaderboard a.tab >> text=This week")
    page.locator('#leaderboard a.tab[aria-current="page"]', has_text="This week").wait_for(
        timeout=120_000  # the server may still be re-scoring the tips' edits
    )
    assert page.locator("#result").is_visible()
    visit.close()


def test_drag_and_drop(server: str, browser) -> None:
    photo = altered_selfie(4)
    analysis = expected_analysis(server, photo)
    visit = Visit(browser, server)
    page = visit.page
    visit.goto()
    page.evaluate(
        """async (b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.jpg", { type: "image/jpeg" }));
            const zone = document.getElementById("dropzone");
            const init = { dataTransfer: transfer, bubbles: true };
            zone.dispatchEvent(new DragEvent("dragenter", init));
            zone.dispatchEvent(new DragEvent("drop", init));
        }""",
        base64.b64encode(photo).decode(),
    )
    assert page.locator("#chosen").inner_text().startswith("Ready: dropped.jpg")
    page.click("#submit")
    check_result(page, analysis)
    visit.close()


def test_without_javascript_post_redirect_get(server: str, browser, shots: Path) -> None:
    photo = altered_selfie(1)
    analysis = expected_analysis(server, photo)
    visit = Visit(browser, server, java_script_enabled=False, **PHONE)
    page = visit.page
    visit.goto()
    page.fill("#nickname", "NoScript")
    page.set_input_files("#photo", files=[jpeg_file("a.jpg", photo)])
    posts: list[int] = []
    page.on("response", lambda r: posts.append(r.status) if r.request.method == "POST" else None)
    with page.expect_navigation():
        page.click("#submit")
    assert posts == [303], "the form POST is answered with a redirect"
    check_result(page, analysis)
    path = result_path(page)
    cookies = {cookie["name"]: cookie["value"] for cookie in visit.context.cookies()}
    page_bytes = httpx.get(server + path, cookies=cookies).content
    assert len(page_bytes) < 400_000, "the result page stays small"
    assert b"data:image" not in page_bytes and page_bytes.count(b"/photo.jpg") == 1
    assert "Tips for your last photo" in page.locator("#tips").inner_text()
    page.screenshot(path=shots / "phone-no-js.png", full_page=True)
    reloaded = page.reload()
    assert reloaded is not None and reloaded.request.method == "GET"
    check_result(page, analysis)
    with page.expect_navigation():
        page.click("#leaderboard a.tab >> text=All time")
    assert page.evaluate("location.pathname") == path, "the tab link keeps the result"
    check_result(page, analysis)
    visit.close()


def notice(page) -> tuple[str, str]:
    alert = page.locator("#outcome [role=alert]")
    alert.wait_for()
    return alert.locator(".problem-title").inner_text(), alert.locator(
        ".problem-detail"
    ).inner_text()


def server_problem(server: str, name: str, data: bytes, mime: str) -> tuple[str, str]:
    """The title and detail the server gives for the same upload, as shown without script."""
    response = httpx.post(
        server + "/", files={"photo": (name, data, mime)}, headers={"accept": "text/html"}
    )
    shown = response.text[response.text.index("data-status=") :]
    title = re.search(r'class="problem-title">([^<]*)<', shown)[1]
    detail = re.search(r'class="problem-detail">([^<]*)<', shown)[1]
    return html.unescape(title), html.unescape(detail)


def test_problems_found_in_the_browser_look_like_the_servers(
    server: str, browser, shots: Path
) -> None:
    visit = Visit(browser, server)
    page = visit.page
    visit.goto()
    too_big = b"\xff\xd8\xff" + b"0" * UPLOAD_LIMIT
    page.set_input_files("#photo", files=[jpeg_file("big.jpg", too_big)])
    assert notice(page) == server_problem(server, "big.jpg", too_big, "image/jpeg")
    assert notice(page) == (
        "The photo is too large.",
        "The photo is larger than the 2 MB this server accepts.",
    )
    assert "up to 2 MB" in page.locator("#play").inner_text(), "the limit stated is the one applied"
    page.screenshot(path=shots / "desktop-too-large.png")

    page.set_input_files("#photo", files=[jpeg_file("empty.jpg", b"")])
    title, detail = notice(page)
    assert title == server_problem(server, "empty.jpg", b"", "image/jpeg")[0]
    assert detail == "“empty.jpg” is an empty file. Choose another photo."
    assert "Ready" not in page.locator("#chosen").inner_text()

    text = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}
    page.set_input_files("#photo", files=[text])
    assert notice(page)[0] == server_problem(server, "notes.txt", b"hello", "text/plain")[0]
    assert "is not a photo" in notice(page)[1]

    page.click("#submit")
    assert notice(page) == ("No photo was sent.", "Choose a selfie first.")

    page.set_input_files("#photo", files=[jpeg_file("broken.jpg", SELFIE.read_bytes()[:3000])])
    page.click("#submit")
    page.locator("#outcome [data-status]").wait_for()
    assert notice(page)[0] == "The photo could not be read."
    visit.close()


def test_api_docs_work_offline(server: str, browser, shots: Path) -> None:
    visit = Visit(browser, server, viewport={"width": 1280, "height": 900})
    page = visit.page
    visit.goto("/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=30_000)
    assert "selfiebot" in page.locator(".swagger-ui .info .title").inner_text()
    page.get_by_text("/api/score", exact=True).first.wait_for()
    page.screenshot(path=shots / "docs.png")
    visit.close()
