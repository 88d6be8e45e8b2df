"""The send-then-record chore every front end shares (bot/core/transport.py): fenced before each
reply, recorded after each tagged one. Each platform's transports against its fake are in
tests/bot/discord/test_adapter.py, tests/bot/telegram/test_adapter.py and
tests/bot/terminal/test_play.py; their edits in tests/bot/telegram/test_edits.py,
tests/bot/discord/test_edits.py, tests/bot/web/test_transport.py and
tests/bot/terminal/test_play.py."""

from __future__ import annotations

from bot.core.events import ChatRef
from bot.core.replies import Reply
from bot.core.transport import send_and_record

CHAT = ChatRef("discord", "7")


class Posted:
    """A transport that keeps what it was given; `alert` replies get no message id."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def send(self, reply: Reply) -> str | None:
        self.texts.append(reply.text)
        return None if reply.text == "alert" else f"m{len(self.texts)}"

    async def edit(self, message_id: str, reply: Reply) -> bool:
        raise AssertionError("sending never edits")


async def test_tagged_replies_are_recorded_with_the_message_they_became() -> None:
    transport = Posted()
    recorded: list[tuple[ChatRef, str, str]] = []

    async def record(chat: ChatRef, tag: str, message_id: str) -> None:
        recorded.append((chat, tag, message_id))

    replies = [Reply("card", tag="submission:1:u1"), Reply("note"), Reply("alert", tag="u2")]
    assert await send_and_record(transport, CHAT, replies, record) == 3
    assert transport.texts == ["card", "note", "alert"]
    assert recorded == [(CHAT, "submission:1:u1", "m1")], "untagged and id-less replies are not"


async def test_a_lost_claim_stops_the_sending_before_the_next_reply() -> None:
    transport = Posted()
    answers = iter([True, False, True])

    async def fence() -> bool:
        return next(answers)

    async def record(chat: ChatRef, tag: str, message_id: str) -> None:
        raise AssertionError("nothing tagged was sent")

    sent = await send_and_record(
        transport, CHAT, [Reply("a"), Reply("b", tag="t"), Reply("c")], record, fence
    )
    assert sent == 1
    assert transport.texts == ["a"]
