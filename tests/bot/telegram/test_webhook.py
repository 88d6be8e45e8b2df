"""Webhook mode: the bot registers its URL and secret, and its server checks that secret."""

from __future__ import annotations

import hashlib
import json
import socket

import httpx
import pytest

from bot.core.events import CommandEvent
from bot.core.replies import Reply
from bot.settings import Settings
from bot.telegram.runner import webhook_secret
from tests.fakes.telegram.harness import ScriptedGame, api, bot_settings, running_bot
from tests.fakes.telegram.people import Person, private_chat
from tests.fakes.telegram.server import FakeBotApi
from tests.ports import free_port

__all__ = ["api"]

SECRET = "s3cret-Token_for-webhook"
HOOK_URL = "https://bot.example.org/telegram/hook"


def webhook_settings(api: FakeBotApi, monkeypatch: pytest.MonkeyPatch, port: int) -> Settings:
    return bot_settings(
        api,
        monkeypatch,
        SELFIEBOT_TELEGRAM_WEBHOOK_URL=HOOK_URL,
        SELFIEBOT_TELEGRAM_WEBHOOK_SECRET=SECRET,
        SELFIEBOT_TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
        SELFIEBOT_TELEGRAM_WEBHOOK_PORT=str(port),
    )


def command_update(person: Person, chat: dict, text: str, update_id: int) -> dict:
    """A Bot API update as Telegram would POST it (not queued on the fake server)."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": person.api.next_message_id(chat["id"]),
            "date": 1_700_000_000,
            "chat": chat,
            "from": person.as_user(),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


async def wait_until_listening(api: FakeBotApi, port: int) -> None:
    def accepting() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    await api.wait_for(accepting, what=f"the webhook server on port {port}")


async def post(port: int, update: dict, secret: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"http://127.0.0.1:{port}/telegram/hook", content=json.dumps(update), headers=headers
        )


async def test_webhook_accepts_only_the_secret_token(
    api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    game = ScriptedGame(rule=lambda event: [Reply("leaderboard", tag=f"update:{event.update_id}")])
    ann = Person(api, "Ann")
    chat = private_chat(api, ann)
    async with running_bot(game, webhook_settings(api, monkeypatch, port), api):
        await wait_until_listening(api, port)
        [registered] = api.calls("setWebhook")
        wrong = await post(port, command_update(ann, chat, "/top", 1), "not-the-secret")
        missing = await post(port, command_update(ann, chat, "/top", 2), None)
        right = await post(port, command_update(ann, chat, "/top week", 3), SECRET)
        await api.wait_for(api.sent, what="the answer to the accepted update")

    assert registered.params["url"] == HOOK_URL
    assert registered.params["secret_token"] == SECRET
    assert registered.params["allowed_updates"] == [
        "message",
        "callback_query",
        "message_reaction",
        "message_reaction_count",
    ]
    assert (wrong.status_code, missing.status_code, right.status_code) == (403, 403, 200)
    [event] = game.events
    assert isinstance(event, CommandEvent) and (event.update_id, event.args) == ("3", ("week",))
    [answer] = api.sent()
    assert answer.result["text"] == "leaderboard"
    assert not api.calls("getUpdates"), "webhook mode never polls"


async def test_redelivered_webhook_update_is_answered_once(
    api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    game = ScriptedGame(rule=lambda event: [Reply("pong")])
    ann = Person(api, "Ann")
    chat = private_chat(api, ann)
    update = command_update(ann, chat, "/me", 77)
    async with running_bot(game, webhook_settings(api, monkeypatch, port), api):
        await wait_until_listening(api, port)
        first = await post(port, update, SECRET)
        second = await post(port, update, SECRET)
        await api.wait_for(api.sent, what="the answer")
        third = await post(port, command_update(ann, chat, "/me", 78), SECRET)
        await api.wait_for(lambda: len(api.sent()) >= 2, what="the next answer")

    assert {first.status_code, second.status_code, third.status_code} == {200}
    assert [e.update_id for e in game.events] == ["77", "78"]
    assert len(api.sent()) == 2


def test_webhook_secret_defaults_to_one_derived_from_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("SELFIEBOT_TELEGRAM_WEBHOOK_URL", HOOK_URL)
    derived = webhook_secret(Settings())
    assert derived == webhook_secret(Settings()), "every process derives the same secret"
    assert "abc" not in derived and len(derived) == 64
    assert derived == hashlib.sha256(b"selfiebot-webhook:123:abc").hexdigest()


def test_webhook_secret_with_forbidden_characters_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("SELFIEBOT_TELEGRAM_WEBHOOK_SECRET", "has spaces!")
    with pytest.raises(ValueError, match="A-Z"):
        webhook_secret(Settings())
