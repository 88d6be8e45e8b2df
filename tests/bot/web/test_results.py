"""The result store behind Post/Redirect/Get, the page's size unit, and the same-origin rule."""

from __future__ import annotations

import pytest
from markupsafe import Markup
from starlette.requests import Request

from bot.web.results import ResultStore, StoredImage, StoredResult, image_url, result_url
from bot.web.security import CONTENT_SECURITY_POLICY, is_same_origin
from bot.web.uploads import megabytes
from bot.web.views import TipsView


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def kept(player: str = "player-1", size: int = 10) -> StoredResult:
    return StoredResult(player, None, (Markup("hi"),), {"photo.jpg": StoredImage(b"x" * size, "")})


def test_results_are_kept_for_their_player_only() -> None:
    store = ResultStore()
    store.put("key-1", kept("ann"))
    assert store.get("key-1", "ann") is not None
    assert store.get("key-1", "bob") is None, "a leaked URL shows nobody else's photo"
    assert store.get("key-2", "ann") is None


def test_results_expire() -> None:
    clock = Clock()
    store = ResultStore(ttl=60, clock=clock)
    store.put("old", kept())
    clock.now += 30
    store.put("new", kept())
    clock.now += 31
    assert store.get("old", "player-1") is None
    assert store.get("new", "player-1") is not None
    assert len(store) == 1 and store.bytes == 10


def test_results_are_bounded_in_count_and_bytes() -> None:
    store = ResultStore(max_results=3, max_bytes=250)
    for number in range(5):
        store.put(f"k{number}", kept(size=100))
    assert len(store) == 2 and store.bytes == 200, "the oldest go first"
    assert store.get("k0", "player-1") is None and store.get("k4", "player-1") is not None
    store.put("k4", kept(size=50))
    assert store.bytes == 150, "replacing a result does not count it twice"


def test_tips_fetched_later_join_their_result() -> None:
    from bot.web.views import PhotoFrame, ResultView

    view = ResultView(PhotoFrame("/p", 10, 10), 50, Markup(""), (), (), None, None, None, "k")
    store = ResultStore()
    store.put("k", StoredResult("ann", view, ()))
    tips = TipsView(Markup("tips"), 60, image_url("k", "improved.png"))
    store.add_tips("k", tips, {"improved.png": StoredImage(b"png", "image/png")})
    stored = store.get("k", "ann")
    assert stored is not None and stored.result is not None
    assert stored.result.tips == tips and set(stored.images) == {"improved.png"}
    assert store.bytes == 3
    assert (result_url("k"), image_url("k", "a.png")) == ("/result/k", "/result/k/a.png")


def test_a_card_drawn_later_joins_its_result_once() -> None:
    store = ResultStore(max_bytes=250)
    store.put("k", kept(size=100))
    store.add_images("k", {"card.jpg": StoredImage(b"c" * 40, "image/jpeg")})
    stored = store.get("k", "player-1")
    assert stored is not None and stored.images["card.jpg"].data == b"c" * 40
    assert store.bytes == 140
    store.add_images("k", {"card.jpg": StoredImage(b"d" * 40, "image/jpeg")})
    assert store.bytes == 140, "drawn again, counted once"
    store.add_images("gone", {"card.jpg": StoredImage(b"c", "image/jpeg")})
    assert len(store) == 1 and store.bytes == 140


@pytest.mark.parametrize(
    ("count", "label"),
    [(20 * 1024 * 1024, "20 MB"), (3 * 1024 * 1024, "3 MB"), (524_288, "0.5 MB"), (1, "0.1 MB")],
)
def test_one_size_unit(count: int, label: str) -> None:
    assert megabytes(count) == label


def request(headers: dict[str, str], method: str = "POST") -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": method, "headers": raw, "path": "/"})


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000"}, True),
        ({"host": "selfie.example", "origin": "https://selfie.example"}, True),
        ({"host": "selfie.example:443", "origin": "https://selfie.example"}, True),
        (
            {
                "host": "127.0.0.1:8000",
                "x-forwarded-host": "selfie.example",
                "origin": "https://selfie.example",
            },
            True,
        ),
        ({"host": "127.0.0.1:8000", "referer": "http://127.0.0.1:8000/result/abc"}, True),
        ({"host": "127.0.0.1:8000"}, True),  # curl, scripts: not a victim's browser
        ({"host": "127.0.0.1:8000", "origin": "https://evil.example"}, False),
        ({"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:9999"}, False),
        ({"host": "127.0.0.1:8000", "origin": "null"}, False),
        ({"host": "127.0.0.1:8000", "referer": "https://evil.example/page"}, False),
        ({"host": "127.0.0.1:8000", "sec-fetch-site": "cross-site"}, False),
        (
            {"host": "a.example", "origin": "https://a.example", "sec-fetch-site": "same-site"},
            False,
        ),
    ],
)
def test_same_origin_rule(headers: dict[str, str], allowed: bool) -> None:
    assert is_same_origin(request(headers)) is allowed


def test_policy_allows_no_inline_code_and_no_framing() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
