"""The busy-chat policy every chat platform shares (bot/core/busy.py): which replies join a
digest, and when a chat counts as busy or calm again. The bursts against each platform's fake
are in tests/bot/telegram/test_busy.py and tests/bot/discord/test_busy.py."""

from __future__ import annotations

from bot.core.busy import BusyChats, Pace
from bot.core.replies import Reply

PACE = Pace(window_s=60.0, busy_after=6, edit_every_s=4.0, gather_s=1.0)


def test_private_chats_and_other_replies_are_never_coalesced() -> None:
    groups = BusyChats(PACE, clock=lambda: 0.0)
    for _ in range(PACE.busy_after):
        groups.note_sent(-1)
    result = Reply("score", data={"analysis": {}, "score": 50})
    assert groups.takes(-1, False, result)
    assert not groups.takes(-1, True, result), "a private chat is never busy"
    assert not groups.takes(-1, False, Reply("the leaderboard")), "only photo results"
    assert not groups.takes(-2, False, result), "another group is calm"


def test_a_calm_group_starts_a_fresh_digest() -> None:
    now = [0.0]
    groups = BusyChats(PACE, clock=lambda: now[0])
    for _ in range(PACE.busy_after):
        groups.note_sent(-1)
    assert groups.busy(-1)
    now[0] += PACE.window_s + 1
    assert not groups.busy(-1)
    assert not groups.takes(-1, False, Reply("s", data={"analysis": {}, "score": 10}))
