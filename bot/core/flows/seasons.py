"""Season upkeep shared by the photo flow, admin reset and the scheduler."""

from __future__ import annotations

from datetime import datetime

from bot.core import rules
from bot.core.badges import SEASON_WINNER
from bot.core.context import Services
from storage.records import ChatRecord, Season, SeasonRollover


async def current_season(svc: Services, chat: ChatRecord, now: datetime) -> Season:
    """The chat's season for `now`, rolling an overdue one over first.

    The scheduler normally closes seasons on time; doing it here too means a photo sent
    while the scheduler lags never lands in a season that should already be over.
    """
    season = await svc.store.seasons.current(chat.id, rules=rules.SEASONS, now=now)
    if season.ends_at <= now:
        await rollover(svc, season, now)
        season = await svc.store.seasons.current(chat.id, rules=rules.SEASONS, now=now)
    return season


async def rollover(
    svc: Services, season: Season, now: datetime, *, force: bool = False
) -> SeasonRollover | None:
    """Close `season` (exactly once across processes) and crown its winner with the badge.

    Storage queues the results announcement in the same transaction; only the caller that
    won the close gets a result, so the badge is awarded once.
    """
    result = await svc.store.seasons.rollover(
        season.id,
        rules=rules.SEASONS,
        now=now,
        force=force,
        board_limit=svc.settings.leaderboard_size,
    )
    if result is not None and result.closed.winner_user_id is not None:
        await svc.store.badges.award(
            result.closed.winner_user_id,
            season.chat_id,
            SEASON_WINNER.code,
            details={"season": result.closed.number},
            now=now,
        )
    return result
