"""The real PTB bot against the fake Bot API when Telegram misbehaves: flood control, retries
of harmless calls only, refused pictures sent as text, a refused command menu, and the token
kept out of logs and errors (helpers: tests/bot/telegram/support.py)."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest

from bot.core.events import Event, PhotoEvent
from bot.core.i18n import LANGUAGES, Translator
from bot.core.replies import Reply
from bot.logs import MASK
from bot.telegram.runner import TelegramBotError, serve
from tests.bot.telegram.support import (
    SELFIE,
    StartBot,
    ann,
    chat,
    result_reply,
    selfie_until_card,
    start,
)
from tests.fakes.telegram.harness import ScriptedGame, api, bot_settings
from tests.fakes.telegram.people import Person
from tests.fakes.telegram.server import FakeBotApi

__all__ = ["ann", "api", "chat", "start"]


async def test_flood_control_waits_as_told(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    game = ScriptedGame(rule=lambda event: [Reply("pong")])
    api.fail("sendMessage", retry_after=1)
    async with start(game):
        ann.send_text(chat, "/me")
        await api.wait_for(api.sent, what="the retried message")

    attempts = api.calls("sendMessage")
    assert [c.error is None for c in attempts] == [False, True]
    assert len(api.sent()) == 1


async def test_harmless_calls_are_retried_and_an_error_answer_is_no_outage(
    api: FakeBotApi, start: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api.fail("getFile", times=2, status=502)
    await selfie_until_card(api, start)

    assert [c.error for c in api.calls("getFile")] == ["Bad Gateway", "Bad Gateway", None]
    network = [r.getMessage() for r in caplog.records if r.name == "bot.telegram.network"]
    assert network == ["Telegram answered getFile with an error: NetworkError: Bad Gateway"] * 2
    assert "unreachable" not in caplog.text, "Telegram answered: the network is fine"


async def test_a_refused_picture_is_sent_as_its_text_with_the_buttons(
    api: FakeBotApi, start: StartBot, ann: Person, chat: dict[str, Any]
) -> None:
    api.fail("sendPhoto", status=400, description="Bad Request: PHOTO_INVALID_DIMENSIONS")
    game = ScriptedGame(rule=lambda event: [result_reply()])
    async with start(game):
        photo = ann.send_photo(chat, SELFIE)
        await api.wait_for(api.sent, what="the text version")

    [refused] = api.calls("sendPhoto")
    [text] = api.sent()
    assert refused.error and text.method == "sendMessage"
    assert text.result["text"] == "Ann: 73/100 · Great shot"
    assert text.params["reply_parameters"]["message_id"] == photo["message"]["message_id"]
    assert [b["text"] for b in text.result["reply_markup"]["inline_keyboard"][0]] == [
        "💡 Tips",
        "🏆 Top",
        "👤 Me",
    ]
    assert [tag for _, tag, _ in game.sent_tags] == ["submission:1:x"]


async def test_a_send_that_may_have_arrived_is_never_repeated(
    api: FakeBotApi, start: StartBot, ann: Person, chat: dict[str, Any]
) -> None:
    api.fail("sendPhoto", status=502)

    def rule(event: Event) -> list[Reply]:
        return [result_reply()] if isinstance(event, PhotoEvent) else [Reply("pong")]

    game = ScriptedGame(rule=rule)
    async with start(game):
        ann.send_photo(chat, SELFIE)
        await api.wait_for(lambda: api.calls("sendPhoto"), what="the card")
        ann.send_text(chat, "/me")
        await api.wait_for(api.sent, what="the next answer")

    assert len(api.calls("sendPhoto")) == 1, "a 502 after sending is ambiguous: not resent"
    [pong] = api.sent()
    assert pong.result["text"] == "pong", "no text version of the card, no apology"


async def test_a_refused_command_menu_does_not_stop_the_bot(
    api: FakeBotApi, start: StartBot, ann: Person, chat: dict[str, Any], caplog
) -> None:
    api.fail("setMyCommands", status=400, description="Bad Request: BOT_COMMAND_INVALID")
    game = ScriptedGame(rule=lambda event: [Reply("pong")])
    async with start(game):
        ann.send_text(chat, "/me")
        await api.wait_for(api.sent, what="the answer despite the menu")
    assert "Command menu not registered (Bot_command_invalid); retrying in" in caplog.text


async def test_token_never_reaches_the_logs(
    api: FakeBotApi, start: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.fail("getFile", times=1, status=502)
    await selfie_until_card(api, start)

    assert api.token not in caplog.text
    assert f"/bot{MASK}/getMe" in caplog.text, "httpx's request lines are kept, redacted"


async def test_rejected_token_does_not_leak_in_the_error(
    api: FakeBotApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = bot_settings(api, monkeypatch, TELEGRAM_BOT_TOKEN="7000000001:WRONG-secret-value")
    with pytest.raises(TelegramBotError, match="rejected by the server") as raised:
        await serve(ScriptedGame(), settings)
    shown = "".join(traceback.format_exception(raised.value))
    assert "WRONG-secret-value" not in shown and MASK in shown
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert "WRONG-secret-value" not in caplog.text
    assert "InvalidToken" in caplog.text, "the full traceback is logged, redacted"


async def test_command_menu_is_registered(api: FakeBotApi, start: StartBot) -> None:
    async with start(ScriptedGame()):
        await api.wait_for(
            lambda: len(api.calls("setMyCommands")) == 2 * len(LANGUAGES), what="the menus"
        )
    calls = api.calls("setMyCommands")
    assert len(calls) == 2 * len(LANGUAGES), "one menu per language, for everyone and admins"
    menus = {(c.params.get("language_code"), "scope" in c.params): c.params for c in calls}
    everyone, admins = menus[None, False], menus[None, True]
    names = [c["command"] for c in everyone["commands"]]
    admin_names = [c["command"] for c in admins["commands"]]
    assert {"start", "help", "rate", "top", "me", "tips", "duel", "privacy", "forgetme"} <= set(
        names
    )
    assert "resetseason" not in names and "resetseason" in admin_names
    assert admins["scope"] == {"type": "all_chat_administrators"}
    assert "scope" not in everyone
    for language in LANGUAGES[1:]:
        menu = {c["command"]: c["description"] for c in menus[language.telegram, False]["commands"]}
        assert list(menu) == names
        top = Translator(language.code)("command.top")
        assert menu["top"] == top != Translator()("command.top")
        admin_menu = menus[language.telegram, True]
        assert [c["command"] for c in admin_menu["commands"]] == admin_names
    [poll] = api.calls("deleteWebhook")
    assert poll.error is None
