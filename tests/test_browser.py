"""The page in a real browser: Playwright drives Debian's Chromium against `selfiebot web`.

The server is the real command (uvicorn on a random free loopback port); the browser uploads
the sample selfie like a person would (picker, drag-and-drop, and with JavaScript off) and the
test compares what is rendered with the JSON API's analysis of the same photo. Screenshots of
the desktop and phone layouts are saved in pytest's temp dir.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.core.i18n import Translator
from tests.conftest import SEED_MODEL, needs_shared
from tests.test_run import SELFIEBOT, command_env, free_port, wait_until_up
from tests.web_support import SELFIE, altered_selfie

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
        env=command_env(home, SELFIEBOT_POPULARITY_MODEL=str(SEED_MODEL)),
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


def test_desktop_upload_shows_score_expressions_and_board(
    server: str, browser, tmp_path: Path
) -> None:
    photo = SELFIE.read_bytes()
    analysis = expected_analysis(server, photo)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server)
    assert page.title() == "selfiebot"
    page.fill("#nickname", "Desk")
    page.set_input_files("#photo", str(SELFIE))
    assert page.locator("#chosen").inner_text().startswith("Ready: astronaut.jpg")
    assert page.locator("#preview").is_visible()
    page.click("#submit")
    check_result(page, analysis)
    assert page.title() == f"{analysis['score']}/100 · selfiebot"
    tips = page.locator("#tips:not([aria-busy])")
    tips.wait_for(timeout=180_000)  # fetched after the score: every edit is re-scored
    assert "Tips for your last photo" in tips.inner_text()
    board = page.locator("#leaderboard tbody tr.you")
    assert re.search(rf"Desk\s+\(you\)\s+{analysis['score']}", board.inner_text())
    page.screenshot(path=tmp_path / "desktop.png", full_page=True)
    context.close()


def test_phone_layout_drag_and_drop(server: str, browser, tmp_path: Path) -> None:
    photo = altered_selfie(3)
    analysis = expected_analysis(server, photo)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(server)
    assert page.locator("label.camera").is_visible(), "phones get the camera button"
    page.screenshot(path=tmp_path / "phone-form.png")
    page.fill("#nickname", "Phone")
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
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=tmp_path / "phone.png", full_page=True)
    context.close()


def test_without_javascript_the_form_still_works(server: str, browser, tmp_path: Path) -> None:
    photo = altered_selfie(1)
    analysis = expected_analysis(server, photo)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server)
    page.fill("#nickname", "NoScript")
    page.set_input_files(
        "#photo", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.click("#submit")
    check_result(page, analysis)
    context.close()


def test_errors_are_shown_in_the_page(server: str, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(server)
    page.set_input_files(
        "#photo", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    assert "is not a photo" in page.locator("#chosen").inner_text(), "checked before uploading"
    page.set_input_files(
        "#photo",
        files=[jpeg_file("broken.jpg", SELFIE.read_bytes()[:3000])],
    )
    page.click("#submit")
    alert = page.locator("#outcome [role=alert]")
    alert.wait_for()
    assert "The photo could not be read" in alert.inner_text()
    context.close()
