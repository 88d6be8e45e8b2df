"""The web page's `Transport` (bot/web/play.PageTransport): the response being built. An edit
replaces a reply in it; replies of a response already sent are out of reach."""

from __future__ import annotations

from bot.core.replies import Reply
from bot.web.play import PageTransport


async def test_an_edit_replaces_the_reply_in_the_response_being_built() -> None:
    page = PageTransport("photo-k1")
    first = await page.send(Reply("Scoring…"))
    second = await page.send(Reply("Tip"))
    assert await page.edit(first, Reply("**Ann**: 73/100"))
    assert [reply.text for reply in page.shown] == ["**Ann**: 73/100", "Tip"]
    assert second == "photo-k1/1"


async def test_replies_of_another_response_cannot_be_edited() -> None:
    earlier = PageTransport("photo-k1")
    sent = await earlier.send(Reply("Scored"))
    page = PageTransport("photo-k2")
    await page.send(Reply("Scored again"))
    for foreign in (sent, "photo-k2/1", "photo-k2/x", "photo-k2"):
        assert not await page.edit(foreign, Reply("changed")), foreign
    assert [reply.text for reply in page.shown] == ["Scored again"]
