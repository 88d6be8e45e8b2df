"""`/tips` works in whichever process handles it, long after the photo: the core keeps the
platform's handle of the last photo (never the photo) and asks the adapter to fetch it again.
Two `Game`s on one database stand in for two processes."""

from __future__ import annotations

from pathlib import Path

from bot.core.game import Game
from tests.bot.core.test_flows import ASTRONAUT, analyzer, game_settings
from tests.conftest import needs_shared
from tests.fakes.adapter import FakeAdapter, FakeClock

__all__ = ["analyzer"]

pytestmark = needs_shared


async def test_tips_from_another_process_a_day_later_fetch_the_photo_by_its_handle(
    analyzer, tmp_path: Path
) -> None:
    clock = FakeClock()
    settings = game_settings(tmp_path)
    first = await Game.open(settings, analyzer, clock=clock)
    second = await Game.open(settings, analyzer, clock=clock)
    try:
        scoring = FakeAdapter(first, clock=clock)
        await scoring.photo("ann", ASTRONAUT)
        scoring.pop()
        # The other process knows nothing of the photo but how the platform names it.
        other = FakeAdapter(second, clock=clock, platform_photos=dict(scoring.platform_photos))
        clock.advance(hours=23)
        await other.command("ann", "/tips", update_id="other-1")
        tips = other.pop()
        assert "Tips for your last photo" in tips.text
        assert tips.reply.data is not None and "original_score" in tips.reply.data

        other.platform_photos.clear()  # the platform lost it (deleted message, expired file)
        await other.command("ann", "/tips", update_id="other-2")
        assert "couldn't fetch your last photo" in other.pop().text
    finally:
        await first.close()
        await second.close()
