"""Duels: `/duel @someone`, Accept/Decline buttons, each side's next photo, the outcome.

Storage owns the state machine and the Elo update (so racing processes settle a duel once);
this module turns it into replies and awards the duel winner's badge.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core import rules
from bot.core.badges import DUEL_WINNER
from bot.core.commands import ButtonAction
from bot.core.context import Services, Turn, update_tag
from bot.core.events import ButtonEvent, CommandEvent
from bot.core.i18n import Translator
from bot.core.markup import literal
from bot.core.render import badge_award, points
from bot.core.replies import Button, Reply
from storage.records import (
    DuelOutcome,
    DuelStatus,
    SubmissionRecord,
    UserRecord,
)


async def challenge(svc: Services, turn: Turn, event: CommandEvent) -> list[Reply]:
    """Create a pending duel against the mentioned person and ask them to accept."""
    t = turn.t
    if not turn.chat.settings.duels_enabled:
        return [_say(turn, t("duel.disabled"))]
    handle = next((arg for arg in event.args if arg.startswith("@") and len(arg) > 1), None)
    opponent = await _opponent(svc, turn, event, handle)
    if opponent is None:
        if handle is not None and not event.mentions:
            return [_say(turn, t("duel.unknown", name=literal(handle)))]
        return [_say(turn, t("duel.usage"))]
    if opponent.id == turn.user.id:
        return [_say(turn, t("duel.self"))]
    hours = svc.settings.duel_hours
    duel = await svc.store.duels.create(
        turn.chat.id,
        turn.user.id,
        opponent.id,
        expires_at=turn.now + timedelta(hours=hours),
        now=turn.now,
    )
    if duel is None:
        return [_say(turn, t("duel.busy", name=literal(opponent.display_name)))]
    t = turn.chat_t  # the challenge is the whole chat's news, in the chat's language
    text = t(
        "duel.challenge",
        challenger=literal(turn.user.display_name),
        opponent=literal(opponent.display_name),
        hours=hours,
    )
    buttons = (
        Button(t("button.duel_accept"), ButtonAction.DUEL_ACCEPT, str(duel.id)),
        Button(t("button.duel_decline"), ButtonAction.DUEL_DECLINE, str(duel.id)),
    )
    data = {"duel_id": duel.id, "opponent_user_id": opponent.platform_user_id}
    return [Reply(text, buttons=buttons, tag=update_tag(turn.update_id), data=data)]


async def answer(svc: Services, turn: Turn, event: ButtonEvent) -> list[Reply]:
    """The challenged person accepts or declines; anyone else is told it is not theirs."""
    t = turn.t
    duel = await svc.store.duels.get(int(event.payload)) if event.payload.isdigit() else None
    if duel is None or duel.chat_id != turn.chat.id or duel.status is not DuelStatus.PENDING:
        return [_say(turn, t("duel.gone"), private=True)]
    users = await svc.store.users.by_ids([duel.challenger_id, duel.opponent_id])
    challenger, opponent = _name(users, duel.challenger_id), _name(users, duel.opponent_id)
    if turn.user.id != duel.opponent_id:
        return [_say(turn, t("duel.not_yours", name=opponent), private=True)]
    if event.action == ButtonAction.DUEL_DECLINE:
        declined = await svc.store.duels.decline(duel.id, now=turn.now)
        if declined is None:
            return [_say(turn, t("duel.gone"), private=True)]
        return [_say(turn, turn.chat_t("duel.declined", challenger=challenger, opponent=opponent))]
    deadline = turn.now + timedelta(hours=svc.settings.duel_hours)
    accepted = await svc.store.duels.accept(duel.id, expires_at=deadline, now=turn.now)
    if accepted is None:
        return [_say(turn, t("duel.gone"), private=True)]
    text = turn.chat_t(
        "duel.accepted",
        challenger=challenger,
        opponent=opponent,
        hours=svc.settings.duel_hours,
        until=accepted.expires_at,
    )
    return [_say(turn, text)]


async def count_photo(
    svc: Services, turn: Turn, row: SubmissionRecord, score: int
) -> tuple[list[str], list[Reply]]:
    """Count a scored photo for the sender's active duels.

    Returns lines for the photo reply ("this photo counts...") and a separate result reply
    for every duel this photo decided.
    """
    lines: list[str] = []
    replies: list[Reply] = []
    for duel in await svc.store.duels.open_for(turn.chat.id, turn.user.id):
        if duel.status is not DuelStatus.ACTIVE or duel.accepted_at is None:
            continue
        if row.created_at < duel.accepted_at:
            continue
        entry = await svc.store.duels.record_entry(
            duel.id, turn.user.id, row.id, float(score), rules=rules.DUELS, now=row.created_at
        )
        if not entry.counted:
            continue
        users = await svc.store.users.by_ids([duel.challenger_id, duel.opponent_id])
        other = _name(users, duel.other(turn.user.id))
        lines.append(turn.t("photo.duel_counted", other=other))
        if entry.outcome is None:
            lines.append(turn.t("duel.waiting", other=other))
            continue
        earned = await award_winner(svc, entry.outcome)
        text = await outcome_text(svc, turn.t, entry.outcome, badge_earned=earned)
        replies.append(Reply(text, tag=update_tag(turn.update_id), reply_to_event=False))
    return lines, replies


async def award_winner(svc: Services, outcome: DuelOutcome) -> bool:
    """Give the duel winner's badge (once per chat; later wins keep the badge).

    True when this win earned it, so the result can announce it.
    """
    duel = outcome.duel
    if duel.winner_user_id is None:
        return False
    record = await svc.store.badges.award(
        duel.winner_user_id,
        duel.chat_id,
        DUEL_WINNER.code,
        details={"duel_id": duel.id},
        now=duel.finished_at,
    )
    return record is not None


async def outcome_text(
    svc: Services, t: Translator, outcome: DuelOutcome, *, badge_earned: bool = False
) -> str:
    """The result of a finished or expired duel, with both rating changes and, when this win
    earned it, the winner's new badge."""
    duel = outcome.duel
    users = await svc.store.users.by_ids([duel.challenger_id, duel.opponent_id])
    challenger, opponent = _name(users, duel.challenger_id), _name(users, duel.opponent_id)
    if duel.status is DuelStatus.EXPIRED or not outcome.ratings:
        return t("duel.expired", challenger=challenger, opponent=opponent)
    ratings = ", ".join(
        t(
            "duel.rating_change",
            name=_name(users, user_id),
            before=round(before),
            after=round(after),
        )
        for user_id, (before, after) in sorted(
            outcome.ratings.items(), key=lambda item: item[0] != duel.challenger_id
        )
    )
    if duel.challenger_score is None or duel.opponent_score is None:
        winner = duel.winner_user_id or duel.challenger_id
        loser = duel.other(winner)
        lines = [
            t("duel.forfeit", name=_name(users, winner), other=_name(users, loser), ratings=ratings)
        ]
    else:
        lines = [
            t(
                "duel.result",
                challenger=challenger,
                challenger_score=points(duel.challenger_score),
                opponent=opponent,
                opponent_score=points(duel.opponent_score),
            )
        ]
        if duel.winner_user_id is None:
            lines.append(t("duel.draw", ratings=ratings))
        else:
            lines.append(t("duel.winner", name=_name(users, duel.winner_user_id), ratings=ratings))
    if badge_earned and duel.winner_user_id is not None:
        lines.append(badge_award(t, _name(users, duel.winner_user_id), DUEL_WINNER.code))
    return "\n".join(lines)


async def _opponent(
    svc: Services, turn: Turn, event: CommandEvent, handle: str | None
) -> UserRecord | None:
    """The challenged person: a mention the adapter resolved, else an `@handle` argument."""
    if event.mentions:
        person = event.mentions[0]
        return await svc.store.users.upsert(
            turn.chat.platform,
            person.user_id,
            person.display_name,
            username=person.username,
            language=person.language,
            chat_id=turn.chat.id,
            now=turn.now,
        )
    if handle is None:
        return None
    return await svc.store.users.find_by_username(turn.chat.platform, handle, chat_id=turn.chat.id)


def _name(users: dict[int, UserRecord], user_id: int) -> str:
    """The person's name as a literal, ready for a sentence."""
    user = users.get(user_id)
    return literal(user.display_name) if user else "?"


def _say(turn: Turn, text: str, *, private: bool = False) -> Reply:
    return Reply(text, private=private, tag=update_tag(turn.update_id))
