"""What the Telegram adapter tests share: the running bot against this test's fake Bot API,
Ann and her private chat, scripted result cards (tests/fakes/telegram/ has the fake itself).

Test modules import the fixtures they use (`api`, `start`, `ann`, `chat`) by name."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from PIL import Image

from bot.core.i18n import Translator
from bot.core.markup import to_plain
from bot.core.replies import Attachment, Button, Reply
from tests.conftest import ROOT
from tests.fakes.telegram.harness import ScriptedGame, bot_settings, running_bot
from tests.fakes.telegram.people import Person, private_chat
from tests.fakes.telegram.server import FakeBotApi

SELFIE = (ROOT / "tests" / "data" / "astronaut.jpg").read_bytes()

StartBot = Callable[..., AbstractAsyncContextManager[object]]


@pytest.fixture
def start(api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> StartBot:
    """`running_bot(game, ...)` against this test's fake API; `env` adds settings."""

    def start_bot(game: ScriptedGame, **env: str) -> AbstractAsyncContextManager[object]:
        return running_bot(game, bot_settings(api, monkeypatch, **env), api)

    return start_bot


@pytest.fixture
def ann(api: FakeBotApi) -> Person:
    return Person(api, "Ann")


@pytest.fixture
def chat(api: FakeBotApi, ann: Person) -> dict[str, Any]:
    """Ann's private chat with the bot."""
    return private_chat(api, ann)


def catalogue(key: str, **values: str) -> str:
    """A core catalogue sentence as the user reads it (markup rendered away)."""
    return to_plain(Translator("en")(key, **values))


def card_png(color: str = "purple") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(out, "PNG")
    return out.getvalue()


def result_reply(
    text: str = "**Ann**: **73/100** · Great shot", tag: str = "submission:1:x"
) -> Reply:
    return Reply(
        text,
        attachments=(Attachment(card_png(), "card.png", "image/png", "Result card"),),
        buttons=(Button("💡 Tips", "tips", "1"), Button("🏆 Top", "top"), Button("👤 Me", "me")),
        tag=tag,
    )


def is_image(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.format or ""


async def selfie_until_card(api: FakeBotApi, start: StartBot) -> None:
    """Ann sends a selfie in private; returns once the scripted result card was sent."""
    game = ScriptedGame(rule=lambda event: [result_reply()])
    ann = Person(api, "Ann")
    chat = private_chat(api, ann)
    async with start(game):
        ann.send_photo(chat, SELFIE)
        await api.wait_for(api.sent, what="the result card")
