"""The group's taste: learn from reactions what this chat rewards, and say it.

Each scored photo in a group keeps its feature vector and its audience (storage/taste.py);
reactions on the photo or on the bot's result are counted per person. The chat's model is
fitted from those rows whenever it is needed (inference/taste/model.py): a few milliseconds,
the same in every process, nothing cached. Once the chat has `taste_min_rated_photos` rated
photos, results show "this group's taste" beside the global score, `/top taste` ranks by it
and `/whatworks` names the traits it rewards.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.context import Services, Turn, update_tag
from bot.core.events import ReactionCountEvent, ReactionEvent
from bot.core.flows.seasons import current_season
from bot.core.render import board_image, board_lines
from bot.core.replies import Reply
from inference import Analysis
from inference.taste.features import FEATURES_VERSION, photo_features
from inference.taste.model import RatedPhoto, TasteModel, Trait, fit_taste
from storage.records import ChatRecord, Leaderboard, LeaderboardEntry, Metric, Window
from storage.taste import TastePhoto

PERIOD = "taste"
"""`/top taste`: the board ranked by this group's taste."""
MIN_SURE = 3.0
MIN_FAIRLY_SURE = 2.0
NOT_AUDIENCE = 2
"""Of a platform's member count, the photo's author and the bot cannot be its audience."""


async def on_scored(
    svc: Services, turn: Turn, submission_id: int, analysis: Analysis, members: int | None
) -> float | None:
    """Keep a scored group photo's features; its group score once the chat has enough data.

    Where nobody can react (`learns_from`) nothing is kept and nothing shown.
    """
    if not learns_from(turn):
        return None
    features = photo_features(analysis)
    await svc.store.taste.remember_photo(
        submission_id,
        turn.chat.id,
        features,
        version=FEATURES_VERSION,
        audience=await _audience(svc, turn, members),
        now=turn.now,
    )
    model = await chat_model(svc, turn.chat, turn.now)
    if model.rated < svc.settings.taste_min_rated_photos:
        return None
    return model.group_score(features, analysis.popular_probability)


def result_line(turn: Turn, group_score: float | None) -> list[str]:
    """The line the photo result shows beside the global score, when there is one."""
    if group_score is None:
        return []
    return [turn.t("taste.result", score=round(group_score))]


async def chat_model(svc: Services, chat: ChatRecord, now: datetime) -> TasteModel:
    """The chat's model, fitted now from its rated photos (newest first, at most 500)."""
    settled = now - timedelta(hours=svc.settings.taste_settle_hours)
    rows = await svc.store.taste.photos(chat.id, version=FEATURES_VERSION, settled_before=settled)
    return fit_taste([_rated(row) for row in rows])


async def reaction(svc: Services, turn: Turn, event: ReactionEvent) -> None:
    """A named reaction on a scored photo or its result: counted once per person."""
    if event.message_id is None:
        return
    match = await svc.store.taste.message(turn.chat.id, event.message_id)
    if match is None:
        return
    if event.added:
        await svc.store.reactions.add(match.submission_id, turn.user.id, event.emoji, now=turn.now)
    else:
        await svc.store.reactions.remove(match.submission_id, turn.user.id, event.emoji)


async def reaction_count(svc: Services, event: ReactionCountEvent) -> None:
    """A platform's anonymous reaction total on a message (no names, so no user rows)."""
    chat = await svc.store.chats.by_platform_id(event.chat.platform, event.chat.chat_id)
    if chat is None or event.message_id is None:
        return
    taste = svc.store.taste
    match = await taste.message(chat.id, event.message_id)
    if match is not None:
        await taste.set_anonymous_reactions(match.submission_id, match.kind, event.total)


async def whatworks(svc: Services, turn: Turn) -> list[Reply]:
    """The two or three traits this chat's reactions reward most, with sizes and certainty."""
    t, needed = turn.t, svc.settings.taste_min_rated_photos
    model = await chat_model(svc, turn.chat, turn.now)
    tag = update_tag(turn.update_id)
    if model.rated < needed:
        text = t("taste.whatworks.not_enough", needed=needed, count=model.rated)
        return [Reply(text, tag=tag, data={"rated": model.rated, "needed": needed, "traits": []})]
    traits = model.traits()
    lines = [t.plural("taste.whatworks.title", model.rated)]
    if traits:
        lines.extend(_trait_line(turn, trait) for trait in traits)
    else:
        lines.append(t("taste.whatworks.nothing"))
    data = {
        "rated": model.rated,
        "needed": needed,
        "traits": [
            {
                "trait": trait.name,
                "direction": trait.direction,
                "percent": trait.percent,
                "certainty": trait.certainty,
            }
            for trait in traits
        ],
    }
    return [Reply("\n".join(lines), tag=tag, data=data)]


async def top(svc: Services, turn: Turn) -> list[Reply]:
    """`/top taste`: this season's best photo per player by the group's taste."""
    t, needed = turn.t, svc.settings.taste_min_rated_photos
    tag = update_tag(turn.update_id)
    model = await chat_model(svc, turn.chat, turn.now)
    if model.rated < needed:
        text = t("taste.top.not_enough", needed=needed, count=model.rated)
        return [Reply(text, tag=tag)]
    season = await current_season(svc, turn.chat, turn.now)
    photos = await svc.store.taste.photos(
        turn.chat.id, version=FEATURES_VERSION, window=Window(season.starts_at, None), limit=5000
    )
    board = _board(turn, model, photos, svc.settings.leaderboard_size, season.starts_at)
    title = t("taste.top.title", number=season.number)
    lines = [f"🎯 **{title}**"]
    if board.entries:
        lines.extend(board_lines(t, board))
    else:
        lines.append(t("top.empty"))
    return [
        Reply(
            "\n".join(lines),
            attachments=(board_image(t, title, board, turn.user.id),),
            tag=tag,
            data={
                "period": "taste",
                "entries": [
                    {"rank": e.rank, "name": e.display_name, "score": round(e.value)}
                    for e in board.entries
                ],
                "viewer_rank": board.viewer.rank if board.viewer else None,
            },
        )
    ]


def _board(
    turn: Turn, model: TasteModel, photos: list[TastePhoto], size: int, since: datetime
) -> Leaderboard:
    """Best group score per player (ties: who got there first), as a leaderboard record."""
    best: dict[int, tuple[float, TastePhoto]] = {}
    counts: dict[int, int] = {}
    for photo in photos:
        score = model.group_score(photo.features, photo.popularity)
        counts[photo.user_id] = counts.get(photo.user_id, 0) + 1
        held = best.get(photo.user_id)
        if (
            held is None
            or score > held[0]
            or (score == held[0] and photo.created_at < held[1].created_at)
        ):
            best[photo.user_id] = (score, photo)
    ordered = sorted(best.values(), key=lambda item: (-item[0], item[1].created_at))
    entries = [
        LeaderboardEntry(
            rank=rank,
            user_id=photo.user_id,
            display_name=photo.display_name,
            username=None,
            value=score,
            photos=counts[photo.user_id],
            best=score,
            achieved_at=photo.created_at,
        )
        for rank, (score, photo) in enumerate(ordered, start=1)
    ]
    viewer = next((entry for entry in entries if entry.user_id == turn.user.id), None)
    return Leaderboard(
        chat_id=turn.chat.id,
        window=Window(since, None),
        metric=Metric.BEST,
        top_n=1,
        entries=tuple(entries[:size]),
        viewer=viewer,
        players=len(entries),
    )


def _trait_line(turn: Turn, trait: Trait) -> str:
    t = turn.t
    side = "up" if trait.direction > 0 else "down"
    if trait.certainty >= MIN_SURE:
        certainty = t("taste.certainty.sure")
    elif trait.certainty >= MIN_FAIRLY_SURE:
        certainty = t("taste.certainty.fairly")
    else:
        certainty = t("taste.certainty.hint")
    return t(
        "taste.whatworks.trait",
        trait=t(f"taste.trait.{trait.name}.{side}"),
        percent=trait.percent,
        certainty=certainty,
    )


def learns_from(turn: Turn) -> bool:
    """Whether a photo scored in this turn feeds the group's taste: only in a group whose
    people can react to it (a private chat has nobody to react, the web page no reactions:
    `PhotoEvent.reactions`)."""
    return not turn.chat.is_private and bool(getattr(turn.event, "reactions", True))


async def platform_audience(turn: Turn) -> int | None:
    """The chat's member count as the platform tells it (a network call, so it is asked before
    the photo's transaction), or None when the adapter cannot tell."""
    if not learns_from(turn):
        return None
    counter = getattr(turn.event, "member_count", None)
    counted: int | None = await counter() if counter is not None else None
    return counted


async def _audience(svc: Services, turn: Turn, members: int | None) -> int:
    """How many people could have reacted: the platform's member count when the adapter can
    tell (less the author and the bot), else the people the game has seen here (less the
    author)."""
    if members is not None and members > NOT_AUDIENCE:
        return members - NOT_AUDIENCE
    seen = await svc.store.taste.members_seen(turn.chat.id)
    return max(1, seen - 1)


def _rated(row: TastePhoto) -> RatedPhoto:
    return RatedPhoto(row.features, row.popularity, row.reactions, row.audience)
