"""Messages the core sends on its own: season results, expired duels, weekly awards, reminders.

Everything goes through storage's outbox: producers enqueue with a dedupe key (so racing
processes queue a message once) and `due` claims rows for one platform and marks them sent
as it hands them out, so each announcement reaches adapters exactly once. The in-process
`_done` set only saves repeated queries; correctness rests on the dedupe keys.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.core import rules
from bot.core.badges import MOST_IMPROVED, SEASON_WINNER, Improvement, most_improved
from bot.core.context import Services
from bot.core.flows import duels
from bot.core.flows.seasons import rollover
from bot.core.i18n import Translator
from bot.core.markup import literal
from bot.core.render import badge_award, board_image, board_lines, points
from bot.core.replies import Announcement, Reply
from storage.records import (
    AnnouncementRecord,
    ChatRecord,
    DuelOutcome,
    Season,
    Window,
    day_start,
    week_start,
)

log = logging.getLogger(__name__)

SEASON_RESULTS = "season_results"
DUEL_RESULT = "duel_result"
MOST_IMPROVED_KIND = "most_improved"
STREAK_REMINDER = "streak_reminder"
_BOARD_SCAN = 1000


class Scheduler:
    """Produces and hands out announcements; `Game.due_announcements` calls `due`."""

    def __init__(self, svc: Services) -> None:
        self._svc = svc
        self._worker = f"core-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._done: set[str] = set()

    async def due(self, platform: str) -> list[Announcement]:
        now = self._svc.clock()
        await self._close_seasons(now)
        await self._expire_duels(now)
        await self._weekly_awards(platform, now)
        await self._streak_reminders(platform, now)
        return await self._hand_out(platform, now)

    # --- producers --------------------------------------------------------------------------

    async def _close_seasons(self, now: datetime) -> None:
        """Roll every overdue season over; storage queues each results announcement."""
        for season in await self._svc.store.seasons.due(now=now):
            await rollover(self._svc, season, now)

    async def _expire_duels(self, now: datetime) -> None:
        """Settle duels past their deadline and queue their outcome."""
        for outcome in await self._svc.store.duels.expire(rules=rules.DUELS, now=now):
            earned = await duels.award_winner(self._svc, outcome)
            await self._svc.store.outbox.enqueue(
                outcome.duel.chat_id,
                DUEL_RESULT,
                {
                    "duel_id": outcome.duel.id,
                    "ratings": {str(k): list(v) for k, v in outcome.ratings.items()},
                    "badge_earned": earned,
                },
                dedupe_key=f"duel:{outcome.duel.id}",
                due_at=now,
            )

    async def _weekly_awards(self, platform: str, now: datetime) -> None:
        """Crown last week's most improved player in every chat that played last week."""
        store = self._svc.store
        this_week = week_start(now)
        last_week = this_week - timedelta(days=7)
        async for chat, key in self._chats_to_visit("most_improved", platform, last_week):
            board = await store.standings.leaderboard(
                chat.id, window=Window(last_week, this_week), limit=_BOARD_SCAN
            )
            earlier = await store.standings.best_per_user(chat.id, window=Window(None, last_week))
            winner = most_improved(
                [
                    Improvement(e.user_id, points(e.value), _maybe(earlier, e.user_id))
                    for e in board.entries
                ]
            )
            if winner is None:
                continue
            before = points(earlier[winner])
            after = next(points(e.value) for e in board.entries if e.user_id == winner)
            queued = await store.outbox.enqueue(
                chat.id,
                MOST_IMPROVED_KIND,
                {"user_id": winner, "before": before, "after": after},
                dedupe_key=key,
                due_at=now,
            )
            if queued is not None:
                await store.badges.award(
                    winner,
                    chat.id,
                    MOST_IMPROVED.code,
                    details={"week": last_week.date().isoformat()},
                    now=now,
                )

    async def _streak_reminders(self, platform: str, now: datetime) -> None:
        """Late in the UTC day, name who posted yesterday but not yet today (streak at risk)."""
        settings = self._svc.settings
        if not settings.streak_reminders or now.hour < settings.streak_reminder_hour:
            return
        store = self._svc.store
        today = day_start(now)
        yesterday = today - timedelta(days=1)
        async for chat, key in self._chats_to_visit("streak", platform, yesterday, today):
            posted_yesterday = await store.standings.best_per_user(
                chat.id, window=Window(yesterday, today)
            )
            posted_today = await store.standings.best_per_user(chat.id, window=Window(today, None))
            at_risk = []
            for user_id in sorted(set(posted_yesterday) - set(posted_today)):
                stats = await store.standings.user_stats(chat.id, user_id)
                if rules.streaks(stats.days, now.date())[0] >= 2:
                    at_risk.append(user_id)
            if at_risk:
                await store.outbox.enqueue(
                    chat.id, STREAK_REMINDER, {"user_ids": at_risk}, dedupe_key=key, due_at=now
                )

    async def _chats_to_visit(
        self, job: str, platform: str, since: datetime, period: datetime | None = None
    ) -> AsyncIterator[tuple[ChatRecord, str]]:
        """Chats active since `since` that `job` has not visited for `period` (default: `since`)
        in this process, each with its dedupe key `job:chat:period-date`; marks them visited."""
        day = (period or since).date().isoformat()
        for chat in await self._svc.store.chats.active(since=since, platform=platform):
            key = f"{job}:{chat.id}:{day}"
            if key not in self._done:
                self._done.add(key)
                yield chat, key

    # --- delivery ---------------------------------------------------------------------------

    async def _hand_out(self, platform: str, now: datetime) -> list[Announcement]:
        store = self._svc.store
        out: list[Announcement] = []
        for row in await store.outbox.claim(self._worker, now=now, platform=platform):
            try:
                reply = await self._render(row)
            except Exception as error:
                log.exception("announcement %s (%s) could not be rendered", row.id, row.kind)
                await store.outbox.release(
                    row.id, error=type(error).__name__, retry_at=now + timedelta(minutes=5)
                )
                continue
            await store.outbox.mark_sent(row.id, now=now)
            if reply is not None:
                out.append(Announcement(row.platform, row.platform_chat_id, reply))
        return out

    async def _render(self, row: AnnouncementRecord) -> Reply | None:
        """The message for an outbox row, in the chat's current language; None if moot."""
        chat = await self._svc.store.chats.get(row.chat_id)
        t = Translator(chat.settings.language, chat.platform) if chat else Translator()
        renderers = {
            SEASON_RESULTS: self._season_results,
            DUEL_RESULT: self._duel_result,
            MOST_IMPROVED_KIND: self._most_improved,
            STREAK_REMINDER: self._streak_reminder,
        }
        renderer = renderers.get(row.kind)
        if renderer is None:
            log.warning("unknown announcement kind %r", row.kind)
            return None
        return await renderer(t, row.payload)

    async def _season_results(self, t: Translator, payload: Mapping[str, Any]) -> Reply | None:
        store = self._svc.store
        season = await store.seasons.get(int(payload["season_id"]))
        if season is None:
            return None
        board = await store.standings.leaderboard(
            season.chat_id, window=season.window, limit=self._svc.settings.leaderboard_size
        )
        lines = [t("season.results", number=season.number)]
        if board.entries:
            champion = board.entries[0]
            lines.append(
                t(
                    "season.winner",
                    name=literal(champion.display_name),
                    score=points(champion.value),
                )
            )
            lines.extend(board_lines(t, board))
            if champion.user_id == season.winner_user_id and await self._crowned(season):
                lines.append(badge_award(t, literal(champion.display_name), SEASON_WINNER.code))
        else:
            lines.append(t("season.no_winner"))
        next_id = payload.get("next_season_id")
        following = await store.seasons.get(int(next_id)) if next_id is not None else None
        if following is not None:
            lines.append(t("season.next", number=following.number, when=following.ends_at))
        title = t("top.title.season", number=season.number)
        return Reply(
            "\n".join(lines),
            attachments=(board_image(t, title, board, None),),
            reply_to_event=False,
            data={"season": season.number, "winner_user_id": season.winner_user_id},
        )

    async def _crowned(self, season: Season) -> bool:
        """Whether closing `season` earned its winner the champion badge (a first title)."""
        if season.winner_user_id is None:
            return False
        held = await self._svc.store.badges.held(season.winner_user_id, season.chat_id)
        return any(
            badge.code == SEASON_WINNER.code and badge.details.get("season") == season.number
            for badge in held
        )

    async def _duel_result(self, t: Translator, payload: Mapping[str, Any]) -> Reply | None:
        duel = await self._svc.store.duels.get(int(payload["duel_id"]))
        if duel is None:
            return None
        ratings = {int(k): (float(v[0]), float(v[1])) for k, v in payload["ratings"].items()}
        outcome = DuelOutcome(duel, ratings)
        earned = bool(payload.get("badge_earned"))
        text = await duels.outcome_text(self._svc, t, outcome, badge_earned=earned)
        return Reply(text, reply_to_event=False)

    async def _most_improved(self, t: Translator, payload: Mapping[str, Any]) -> Reply | None:
        user = await self._svc.store.users.get(int(payload["user_id"]))
        if user is None:
            return None
        text = t(
            "week.most_improved",
            name=literal(user.display_name),
            gain=payload["after"] - payload["before"],
            before=payload["before"],
            after=payload["after"],
        )
        return Reply(text, reply_to_event=False)

    async def _streak_reminder(self, t: Translator, payload: Mapping[str, Any]) -> Reply | None:
        users = await self._svc.store.users.by_ids([int(u) for u in payload["user_ids"]])
        if not users:
            return None
        names = ", ".join(literal(user.display_name) for user in users.values())
        return Reply(t("streak.reminder", names=names), reply_to_event=False)


def _maybe(bests: dict[int, float], user_id: int) -> int | None:
    value = bests.get(user_id)
    return None if value is None else points(value)
