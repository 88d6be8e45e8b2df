"""Leaderboards (`/top`), personal stats (`/me`) and the badge catalogue (`/badges`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core import rules
from bot.core.badges import BADGES
from bot.core.commands import ButtonAction
from bot.core.context import Services, Turn, chat_translator, update_tag
from bot.core.events import CardFormat
from bot.core.flows import taste
from bot.core.flows.seasons import current_season
from bot.core.markup import literal
from bot.core.render import (
    badge_label,
    badge_line,
    board_entries,
    board_image,
    board_lines,
    points,
)
from bot.core.replies import Button, Reply
from storage.records import ChatRecord, Window

PERIODS = ("week", "season", "all")
_ALIASES = {"w": "week", "weekly": "week", "s": "season", "alltime": "all", "all-time": "all"}


async def top(svc: Services, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
    """The board for this week, this season (default) or all time, as text and picture, in the
    chat's language: everyone in the chat reads it."""
    period = _ALIASES.get(args[0].lower(), args[0].lower()) if args else "season"
    if period == taste.PERIOD:
        return await taste.top(svc, turn)
    if period not in PERIODS:
        return [Reply(turn.chat_t("top.usage"), tag=update_tag(turn.update_id))]
    reply = await board(
        svc,
        turn.chat,
        period,
        turn.now,
        viewer_id=turn.user.id,
        picture=turn.event.cards is not CardFormat.NONE,
    )
    return [replace(reply, tag=update_tag(turn.update_id))]


async def board(
    svc: Services,
    chat: ChatRecord,
    period: str,
    now: datetime,
    *,
    viewer_id: int | None,
    picture: bool,
) -> Reply:
    """One period's board (one of `PERIODS`) in the chat's language: the one rule behind `/top`
    and `Game.board`, which pages call to show it without an update to record.

    `data` holds the entries and the viewer's rank for adapters that draw their own table.
    """
    t = chat_translator(chat)
    season = await current_season(svc, chat, now)
    if period == "week":
        window, title = Window.week_of(now), t("top.title.week")
    elif period == "season":
        window, title = Window(season.starts_at, None), t("top.title.season", number=season.number)
    else:
        window, title = Window.all_time(), t("top.title.all")
    standings = await svc.store.standings.leaderboard(
        chat.id,
        window=window,
        limit=svc.settings.leaderboard_size,
        viewer_user_id=viewer_id,
    )
    lines = [f"🏆 **{title}**"]
    if not standings.entries:
        lines.append(t("top.empty"))
    else:
        lines.extend(board_lines(t, standings))
        if standings.viewer is None:
            lines.append(t("top.not_ranked"))
        lines.append(t.plural("top.players", standings.players))
    if period == "season":
        lines.append(t("top.ends", when=season.ends_at))
    return Reply(
        "\n".join(lines),
        attachments=(board_image(t, title, standings, viewer_id),) if picture else (),
        buttons=tuple(
            Button(t(f"button.period.{other}"), ButtonAction.TOP, other)
            for other in PERIODS
            if other != period
        ),
        data={
            "period": period,
            "entries": board_entries(standings),
            "viewer_rank": standings.viewer.rank if standings.viewer else None,
        },
    )


async def me(svc: Services, turn: Turn) -> list[Reply]:
    """Best, average, count, season rank, streak, duel rating and badges of the asker."""
    t = turn.t
    store = svc.store
    lines = [t("me.title", name=literal(turn.user.display_name))]
    overall = await store.standings.user_stats(turn.chat.id, turn.user.id)
    current, longest = rules.streaks(overall.days, turn.now.date())
    if overall.count == 0:
        lines.append(t("me.none"))
    else:
        season = await current_season(svc, turn.chat, turn.now)
        in_season = await store.standings.user_stats(
            turn.chat.id, turn.user.id, window=Window(season.starts_at, None)
        )
        lines.append(
            t.plural(
                "me.scores",
                overall.count,
                best=points(overall.best),
                average=float(overall.average or 0),
            )
        )
        if in_season.rank is not None:
            lines.append(t("me.rank", rank=in_season.rank, players=in_season.players))
        else:
            lines.append(t("me.no_rank"))
        lines.append(t.plural("me.streak", current, longest=longest))
    rating = await store.duels.rating(turn.chat.id, turn.user.id)
    if rating.wins + rating.losses + rating.draws:
        lines.append(
            t(
                "me.duels",
                rating=round(rating.rating),
                wins=rating.wins,
                losses=rating.losses,
                draws=rating.draws,
            )
        )
    codes = [badge.code for badge in overall.badges]
    if codes:
        lines.append(t("me.badges", badges=", ".join(badge_label(t, code) for code in codes)))
    else:
        lines.append(t("me.no_badges"))
    data = {
        "count": overall.count,
        "best": overall.best,
        "average": overall.average,
        "current_streak": current,
        "longest_streak": longest,
        "badges": codes,
        "duel_rating": rating.rating,
    }
    return [Reply("\n".join(lines), tag=update_tag(turn.update_id), data=data)]


async def badges(turn: Turn) -> list[Reply]:
    """Every badge with its icon, name and rule."""
    lines = [turn.t("badges.title"), *(badge_line(turn.t, badge.code) for badge in BADGES)]
    return [Reply("\n".join(lines), tag=update_tag(turn.update_id))]
