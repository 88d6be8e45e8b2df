"""Telegram's transports edit what they sent (`Transport.edit`), through the real PTB client
against the fake Bot API: editMessageText for a text message, editMessageCaption for a photo's
caption, editMessageMedia for a new picture, and "message is not modified" taken as done."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from telegram import Bot

from bot.core.commands import ButtonAction
from bot.core.events import ChatRef
from bot.core.replies import Attachment, Button, Reply
from bot.telegram.deliver import ChatTransport, Destination, Outbox
from tests.fakes.telegram.harness import api
from tests.fakes.telegram.people import Person, group_chat, private_chat
from tests.fakes.telegram.server import FakeBotApi

__all__ = ["api"]


def _png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(
        api.token, base_url=f"{api.base_url}/bot", base_file_url=f"{api.base_url}/file/bot"
    ) as client:
        yield client


def _group(api: FakeBotApi) -> ChatRef:
    return ChatRef("telegram", str(group_chat(api)["id"]))


async def test_a_text_message_gets_its_new_text_and_buttons(api: FakeBotApi, bot: Bot) -> None:
    chat = _group(api)
    group = ChatTransport(Outbox(bot), Destination(chat))
    first = Reply("**Scores** so far", buttons=(Button("🏆", ButtonAction.TOP, "week"),))
    message_id = await group.send(first)
    assert message_id is not None

    edited = Reply("**Scores** so far\n• Ann: 80/100", buttons=(Button("💡", ButtonAction.TIPS),))
    assert await group.edit(message_id, edited)

    shown = api.message(int(chat.chat_id), int(message_id))
    assert shown is not None
    assert shown["text"] == "Scores so far\n• Ann: 80/100"
    assert [b["callback_data"] for b in shown["reply_markup"]["inline_keyboard"][0]] == ["tips:"]
    (call,) = api.calls("editMessageText")
    assert call.params["text"] == "<b>Scores</b> so far\n• Ann: 80/100"
    assert call.params["parse_mode"] == "HTML"


async def test_an_edit_that_changes_nothing_is_done(api: FakeBotApi, bot: Bot) -> None:
    """Telegram refuses it ("message is not modified"); the message shows the reply already."""
    group = ChatTransport(Outbox(bot), Destination(_group(api)))
    message_id = await group.send(Reply("Scores just in"))
    assert message_id is not None
    assert await group.edit(message_id, Reply("Scores just in"))
    (call,) = api.calls("editMessageText")
    assert call.error is not None and "message is not modified" in call.error


async def test_a_photo_gets_a_new_caption_or_a_new_picture(api: FakeBotApi, bot: Bot) -> None:
    chat = _group(api)
    group = ChatTransport(Outbox(bot), Destination(chat))
    card = Attachment(_png((200, 0, 0)), "result.png", "image/png")
    message_id = await group.send(Reply("**Ann**: 73/100", attachments=(card,)))
    assert message_id is not None

    assert await group.edit(message_id, Reply("**Ann**: 75/100"))
    shown = api.message(int(chat.chat_id), int(message_id))
    assert shown is not None and shown["caption"] == "Ann: 75/100" and "photo" in shown
    assert api.calls("editMessageText") == [], "a photo's text is its caption"

    new_card = Attachment(_png((0, 200, 0)), "result.png", "image/png")
    assert await group.edit(message_id, Reply("**Ann**: 91/100", attachments=(new_card,)))
    (media,) = api.calls("editMessageMedia")
    attached = media.params["media"]["media"].removeprefix("attach://")
    assert media.uploads[attached].data == new_card.data, "the new picture, uploaded"
    shown = api.message(int(chat.chat_id), int(message_id))
    assert shown is not None and shown["caption"] == "Ann: 91/100"


async def test_a_long_text_is_cut_to_what_one_message_holds(api: FakeBotApi, bot: Bot) -> None:
    chat = _group(api)
    group = ChatTransport(Outbox(bot), Destination(chat))
    message_id = await group.send(Reply("short"))
    assert message_id is not None
    lines = [f"line {n:04d} " + "x" * 40 for n in range(200)]  # ~10,000 characters
    assert await group.edit(message_id, Reply("\n".join(lines)))
    shown = api.message(int(chat.chat_id), int(message_id))
    assert shown is not None
    assert len(shown["text"]) <= 4096 and shown["text"].startswith(lines[0])
    assert all(line in lines for line in shown["text"].split("\n")), "cut at a line"


async def test_a_private_reply_is_edited_where_it_landed(api: FakeBotApi, bot: Bot) -> None:
    """A private reply to a group went to the asker's private chat; its edit goes there too."""
    ann = Person(api, "Ann")
    private_chat(api, ann)
    answer = ChatTransport(Outbox(bot), Destination(_group(api), user_id=ann.user_id))
    message_id = await answer.send(Reply("Only for you", private=True))
    assert message_id is not None
    assert await answer.edit(message_id, Reply("Only for you, edited"))
    (call,) = api.calls("editMessageText")
    assert call.params["chat_id"] == ann.user_id
    shown = api.message(ann.user_id, int(message_id))
    assert shown is not None and shown["text"] == "Only for you, edited"


async def test_only_messages_it_sent_are_edited(api: FakeBotApi, bot: Bot) -> None:
    group = ChatTransport(Outbox(bot), Destination(_group(api)))
    other = ChatTransport(Outbox(bot), Destination(_group(api)))
    message_id = await other.send(Reply("someone else's"))
    assert message_id is not None
    assert not await group.edit(message_id, Reply("taken over"))
    assert api.calls("editMessageText", "editMessageCaption", "editMessageMedia") == []
