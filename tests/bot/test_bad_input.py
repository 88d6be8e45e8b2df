"""Bad input gets a clear answer and costs nothing: photos of absurd shapes, malformed webhook
requests, and sizes that read in one unit everywhere."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from PIL import Image

from bot.core.events import CommandEvent
from bot.core.replies import Reply
from bot.telegram.refusals import too_large
from inference import PhotoError, decode_photo
from inference.decode import MAX_ASPECT_RATIO
from inference.units import MB, megabytes
from tests.bot.telegram.test_webhook import (
    SECRET,
    command_update,
    free_port,
    wait_until_listening,
    webhook_settings,
)
from tests.bot.web.test_app import analyzer, assert_problem, client, game, settings
from tests.conftest import needs_shared
from tests.fakes.telegram.harness import ScriptedGame, api, running_bot
from tests.fakes.telegram.people import Person, private_chat
from tests.fakes.telegram.server import FakeBotApi

__all__ = ["analyzer", "api", "client", "game", "settings"]


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 150, 120)).save(buffer, "PNG")
    return buffer.getvalue()


# --- photo shapes -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(65500, 1), (1, 65500), (401, 100), (100, 401)])
def test_long_thin_images_are_refused_from_their_header(size: tuple[int, int]) -> None:
    with pytest.raises(PhotoError) as caught:
        decode_photo(png(*size), max_pixels=40_000_000)
    assert caught.value.reason == "bad_shape"
    assert f"{size[0]}x{size[1]} pixels, too long and thin" in caught.value.user_message


@pytest.mark.parametrize(
    ("size", "fmt"),
    [((400, 100), "PNG"), ((100, 400), "PNG"), ((1080, 2400), "PNG"), ((4032, 3024), "JPEG")],
)
def test_every_real_photo_shape_is_accepted(size: tuple[int, int], fmt: str) -> None:
    """Screenshots as PNG; a camera's 12 megapixels as what cameras write (a 12-megapixel PNG
    is over PNG's own limit, `tests/inference/test_decode_limits.py`)."""
    assert max(size) <= MAX_ASPECT_RATIO * min(size)
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 150, 120)).save(buffer, fmt)
    decoded = decode_photo(buffer.getvalue(), max_pixels=40_000_000)
    assert (decoded.width, decoded.height) == size


@needs_shared
async def test_the_api_answers_a_strip_with_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/score", files={"photo": ("strip.png", png(65500, 1), "image/png")}
    )
    body = assert_problem(response, 400, "bad-photo")
    assert "too long and thin" in body["detail"]


# --- one size unit ------------------------------------------------------------------------


def test_sizes_read_in_one_unit_and_never_equal_the_limit_they_exceed() -> None:
    assert megabytes(20 * MB, limit=True) == "20"
    assert megabytes(20 * MB + 1) == "20.1"
    assert megabytes(20_000_000, limit=True) == "19"  # Telegram's decimal cap
    assert megabytes(MB // 2) == "0.5"
    text = too_large("en", "big.jpg", "image/jpeg", 20_000_001, 20_000_000)
    assert "(19.1 MB)" in text and "limit is 19 MB" in text
    with pytest.raises(PhotoError, match=r"it is 3\.1 MB, over the 3 MB limit"):
        decode_photo(b"\xff" * (3 * MB + 1), max_pixels=1, max_bytes=3 * MB)


# --- the Telegram webhook -----------------------------------------------------------------


async def test_malformed_webhook_requests_get_4xx_and_nothing_else(
    api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Invalid JSON used to be a 500 (PTB's unguarded json.loads): Telegram retries those and a
    load balancer marks the replica unhealthy. Each malformed request is refused with 400 (415
    for the wrong media type); the next real update is answered as usual."""
    port = free_port()
    game = ScriptedGame(rule=lambda event: [Reply("pong", tag=f"update:{event.update_id}")])
    ann = Person(api, "Ann")
    chat = private_chat(api, ann)
    url = f"http://127.0.0.1:{port}/telegram/hook"
    good = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    bodies = [b"{not json", b"\xff\xfe\x00", b"[]", b'{"update_id": "seven"}', b"null"]
    async with running_bot(game, webhook_settings(api, monkeypatch, port), api):
        await wait_until_listening(api, port)
        async with httpx.AsyncClient() as http:
            refused = [(await http.post(url, content=body, headers=good)) for body in bodies]
            wrong_type = await http.post(
                url, content=b"{}", headers={**good, "Content-Type": "text/plain"}
            )
            fine = await http.post(
                url, content=json.dumps(command_update(ann, chat, "/me", 5)), headers=good
            )
        await api.wait_for(api.sent, what="the answer to the real update")

    assert [r.status_code for r in refused] == [400] * len(bodies)
    assert all(r.json()["ok"] is False for r in refused)
    assert wrong_type.status_code == 415
    assert fine.status_code == 200
    [event] = game.events
    assert isinstance(event, CommandEvent) and event.update_id == "5"
    assert [call.result["text"] for call in api.sent()] == ["pong"]
