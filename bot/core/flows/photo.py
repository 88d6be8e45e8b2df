"""A photo arrives: check limits and duplicates, score it, record it, answer with rank and badges.

Every outcome (scored, no face, unreadable, duplicate) is recorded under the update id, so a
re-delivered update is answered from the stored row instead of being analysed and counted
again. The rate-limited answer is the only one not stored: nothing was counted.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from PIL import Image

from bot import metrics
from bot.core import cards, rules
from bot.core.badges import BY_CODE, PhotoFacts, earned_for_photo
from bot.core.commands import ButtonAction
from bot.core.context import Services, Turn, submission_tag, update_tag
from bot.core.events import CardFormat, EventBase, PhotoEvent
from bot.core.flows import duels, taste
from bot.core.flows.seasons import current_season
from bot.core.markup import literal
from bot.core.phash import phash
from bot.core.render import (
    amount,
    badge_label,
    board_entries,
    duration,
    movement,
    points,
    result_card,
    verdict,
)
from bot.core.replies import Attachment, Button, Reply
from inference import Analysis, PhotoError
from inference.decode import decode_photo
from models.registry import ModelMissingError
from storage.records import (
    Leaderboard,
    NewSubmission,
    Season,
    SubmissionRecord,
    SubmissionStatus,
    UserRecord,
    Window,
)
from storage.repository import Store

EMOTION_EMOJI = {
    "angry": "😠",
    "disgust": "🤢",
    "fear": "😨",
    "happy": "😄",
    "sad": "😢",
    "surprise": "😮",
    "neutral": "😐",
}
_JUST_AFTER = timedelta(microseconds=1)


@dataclass(frozen=True)
class Arrival:
    """What storage knew about a photo when it arrived, read in the transaction that claimed
    the update and registered its sender (`Game`), so nothing is analysed in vain."""

    existing: SubmissionRecord | None = None
    """The row recorded for this delivery before: a re-delivery is answered from it."""
    wait_until: datetime | None = None
    """Set when the sender is over the chat's rate limit: the photo is not analysed."""
    claimed: bool = False
    """Whether that transaction claimed the update too (the adapter had not)."""


async def arrive(
    store: Store, turn: Turn, event: EventBase, *, first_claim: bool = False
) -> Arrival:
    """Read, in the caller's transaction, whether the photo was recorded before and whether its
    sender may post one now. `first_claim`: that transaction created the update's claim, and
    every front end claims before recording, so nothing can be recorded under it yet."""
    if not first_claim:
        existing = await store.submissions.by_update(turn.chat.platform, event.update_id)
        if existing is not None:
            return Arrival(existing=existing)
    return Arrival(wait_until=await _retry_at(store, turn))


async def _retry_at(store: Store, turn: Turn) -> datetime | None:
    """When the sender may post again (`rules.retry_at`), None if now."""
    limit = rules.rate_limit(turn.chat.settings)
    recent = await store.submissions.times(
        turn.chat.id, turn.user.id, since=turn.now - limit.window
    )
    return rules.retry_at(recent, limit, turn.now)


@dataclass(frozen=True)
class Counted:
    """What the counting transaction decided for one analysed photo."""

    row: SubmissionRecord | None = None
    earlier: SubmissionRecord | None = None
    """The photo this one duplicates (`row` is then the DUPLICATE record)."""
    earlier_owner: UserRecord | None = None
    retry_at: datetime | None = None
    """Set when a concurrent photo used the sender's last slot: nothing was stored."""
    scored: Scored | None = None


@dataclass(frozen=True)
class Looked:
    """What the counting needs of an analysed photo."""

    analysis: Analysis
    phash: int | None
    """The perceptual hash (duplicates); None for a photo without a face, never counted."""
    picture: Image.Image | None
    """The upright pixels when a card is drawn from them, else None: nothing holds them."""


async def handle_photo(
    svc: Services, turn: Turn, event: PhotoEvent, arrival: Arrival | None = None
) -> list[Reply]:
    """Score one photo, or explain why it does not count.

    Storage is visited twice: `arrival` (read when the update was claimed) and one transaction
    that checks duplicates, records the photo, folds it into the standings and awards its
    badges, taste features and duel entries. The analysis and the card stay outside it.
    """
    if arrival is None:
        arrival = await svc.store.transaction(lambda tx: arrive(tx, turn, event))
    if arrival.existing is not None:
        return await _replay(svc, turn, event, arrival.existing)
    limit = rules.rate_limit(turn.chat.settings)
    if arrival.wait_until is not None:
        return [_rate_limited(turn, limit, arrival.wait_until)]

    platform = turn.chat.platform
    started = time.perf_counter()
    try:
        looked = await _look(svc, turn, event)
    except PhotoError as error:
        metrics.photo_refused(platform, error.reason)
        row = await _record(svc, turn, event, status=SubmissionStatus.UNREADABLE)
        return [_plain(turn, error.user_message, row)]
    except ModelMissingError as error:
        metrics.error("model_missing")
        return [Reply(str(error), tag=update_tag(event.update_id))]
    metrics.analysis_took(time.perf_counter() - started)
    if looked.picture is None and event.on_analysed is not None:
        event.on_analysed()
    analysis, photo_hash = looked.analysis, looked.phash
    if photo_hash is None:
        metrics.photo_refused(platform, "no_face")
        row = await _record(svc, turn, event, status=SubmissionStatus.NO_FACE, analysis=analysis)
        return [_plain(turn, turn.t("photo.no_face"), row)]

    members = await taste.platform_audience(turn)

    async def count(tx: Store) -> Counted:
        await turn.reply_goes_out(tx)
        inside = replace(svc, store=tx)
        season = await current_season(inside, turn.chat, turn.now)
        matches = await tx.submissions.near_duplicates(
            turn.chat.id,
            photo_hash,
            max_distance=svc.settings.duplicate_hamming_distance,
            window=Window(season.starts_at, None),
            limit=1,
        )
        if matches:
            earlier = matches[0].submission
            duplicate = _submission(
                turn, event, SubmissionStatus.DUPLICATE, analysis, photo_hash, earlier.id
            )
            recorded = await tx.submissions.record(duplicate)
            await _remember_photo(inside, turn, event, recorded.submission)
            owner = await tx.users.get(earlier.user_id)
            return Counted(row=recorded.submission, earlier=earlier, earlier_owner=owner)
        # Checked again with the sender held: a concurrent photo may have used the last slot.
        await tx.submissions.hold_sender(turn.chat.id, turn.user.id, now=turn.now)
        wait_until = await _retry_at(tx, turn)
        if wait_until is not None:
            return Counted(retry_at=wait_until)
        recorded = await tx.submissions.record(
            _submission(turn, event, SubmissionStatus.SCORED, analysis, photo_hash),
            sender_held=True,
        )
        row = recorded.submission
        await _remember_photo(inside, turn, event, row)
        scored = await _count_scored(
            inside, turn, row, analysis, season, members, with_board=event.season_board
        )
        return Counted(row=row, scored=scored)

    counted = await svc.store.transaction(count)
    if counted.retry_at is not None or counted.row is None:
        return [_rate_limited(turn, limit, counted.retry_at or turn.now + limit.window)]
    if counted.earlier is not None:
        metrics.photo_refused(platform, "duplicate")
        return [_duplicate_text(turn, counted.row, counted.earlier, counted.earlier_owner)]
    assert counted.scored is not None
    metrics.photo_scored(platform)
    # The card is drawn on a worker thread: ~10 ms of drawing and encoding per photo that the
    # event loop, which serves every other request, does not have to wait through.
    return await asyncio.to_thread(
        _scored_replies, turn, counted.row, analysis, looked.picture, counted.scored
    )


async def _look(svc: Services, turn: Turn, event: PhotoEvent) -> Looked:
    """Analyse and hash the photo, keeping its pixels only for a card. Both run on worker
    threads: the hash's resize is ~1.3 ms the event loop, which serves every other update,
    need not spend."""
    decoded = event.decoded.take() if event.decoded is not None else None
    # A group keeps the photo's taste features, which read FaceMesh (smile, mouth, roll, yaw);
    # a private chat or the web page keeps none, so its score skips FaceMesh on a level face.
    image, analysis = await svc.analyzer.analyze_photo_async(
        event.photo, mesh=taste.learns_from(turn), decoded=decoded
    )
    photo_hash = await asyncio.to_thread(phash, image) if analysis.faces else None
    picture = None if event.cards is CardFormat.NONE else image
    return Looked(analysis, photo_hash, picture)


async def _replay(
    svc: Services, turn: Turn, event: PhotoEvent, row: SubmissionRecord
) -> list[Reply]:
    """Answer a re-delivered photo exactly as the first time, without counting it again."""
    if row.status is SubmissionStatus.NO_FACE:
        return [_plain(turn, turn.t("photo.no_face"), row)]
    if row.status is SubmissionStatus.DUPLICATE:
        return [await svc.store.transaction(lambda tx: _duplicate_again(tx, turn, row))]
    try:
        image, analysis = await _pixels_and_analysis(svc, event, row)
    except PhotoError as error:
        return [_plain(turn, error.user_message, row)]
    if row.status is not SubmissionStatus.SCORED:
        return [_plain(turn, turn.t("photo.unreadable"), row)]
    members = await taste.platform_audience(turn)

    async def count(tx: Store) -> Scored:
        await turn.reply_goes_out(tx)
        inside = replace(svc, store=tx)
        season = await current_season(inside, turn.chat, row.created_at)
        await _remember_photo(inside, turn, event, row)
        return await _count_scored(
            inside, turn, row, analysis, season, members, with_board=event.season_board
        )

    scored = await svc.store.transaction(count)
    return await asyncio.to_thread(_scored_replies, turn, row, analysis, image, scored)


async def _pixels_and_analysis(
    svc: Services, event: PhotoEvent, row: SubmissionRecord
) -> tuple[Image.Image, Analysis]:
    """The photo's pixels for the card, and its analysis: the stored one when the submission
    kept it (the photo is only decoded), else a fresh one."""
    if row.analysis is None:
        return await svc.analyzer.analyze_photo_async(event.photo)
    analyzer = svc.analyzer
    photo = await asyncio.to_thread(
        decode_photo, event.photo, analyzer.max_pixels, max_bytes=analyzer.max_bytes
    )
    return photo.image, Analysis.from_record(row.analysis)


async def _remember_photo(
    svc: Services, turn: Turn, event: PhotoEvent, row: SubmissionRecord
) -> None:
    """Keep where the photo can be fetched again for `/tips` (its handle, never the bytes) and
    the submission whose stored analysis `/tips` reuses."""
    if event.photo_handle is not None:
        await svc.store.last_photos.remember(
            turn.chat.platform,
            turn.user.platform_user_id,
            event.photo_handle,
            submission_id=row.id,
            now=turn.now,
        )


@dataclass(frozen=True)
class Standing:
    """Where a scored photo leaves its sender: season rank before and after, best before it,
    and the badges it earned."""

    rank: int | None
    previous_rank: int | None
    players: int
    previous_best: int | None
    badges: tuple[str, ...]
    board: Leaderboard | None = None
    """The season board right after the photo, when the adapter shows it (`season_board`)."""


async def _standing(
    svc: Services,
    turn: Turn,
    row: SubmissionRecord,
    analysis: Analysis,
    season: Season,
    *,
    with_board: bool,
) -> Standing:
    """Rank, best and badges, from windows that end at this photo so a replay matches.

    The sender's photos are read once (those before this one give the best before it); the
    board before this photo is only read when they had played this season and this photo beat
    their season best (otherwise their rank did not move); the badges held are read once, and
    only those not held yet are written.
    """
    store = svc.store
    chat_id, user_id, created = turn.chat.id, turn.user.id, row.created_at
    photos = await store.standings.photo_scores(
        chat_id, user_id, window=Window(None, created + _JUST_AFTER)
    )
    before = [score for at, score in photos if at < created]
    season_before = [score for at, score in photos if season.starts_at <= at < created]
    board_after = await store.standings.leaderboard(
        chat_id,
        window=Window(season.starts_at, created + _JUST_AFTER),
        limit=svc.settings.leaderboard_size if with_board else 1,
        viewer_user_id=user_id,
    )
    rank = board_after.viewer.rank if board_after.viewer else None
    previous_rank = None
    if season_before and row.score is not None and row.score <= max(season_before):
        # Their season best, and when they first reached it, did not change: nor did the board.
        previous_rank = rank
    elif season_before:
        board_before = await store.standings.leaderboard(
            chat_id, window=Window(season.starts_at, created), limit=1, viewer_user_id=user_id
        )
        previous_rank = board_before.viewer.rank if board_before.viewer else None
    face = analysis.main_face
    facts = PhotoFacts(
        score=analysis.score,
        previous_best=points(max(before)) if before else None,
        photo_count=len(photos),
        streak_days=rules.streaks(sorted({at.date() for at, _ in photos}), created.date())[0],
        face_count=len(analysis.faces),
        emotions=dict(face.emotions) if face else {},
        season_rank=rank,
        season_players=board_after.players,
    )
    return Standing(
        rank=rank,
        previous_rank=previous_rank,
        players=board_after.players,
        previous_best=facts.previous_best,
        badges=await _photo_badges(store, turn, row, facts),
        board=board_after if with_board else None,
    )


async def _photo_badges(
    store: Store, turn: Turn, row: SubmissionRecord, facts: PhotoFacts
) -> tuple[str, ...]:
    """The badges this photo earned: those its facts satisfy that the sender did not hold yet
    (awarded now, under this photo's id), and on a replay those awarded for it the first time."""
    held = {badge.code: badge for badge in await store.badges.held(turn.user.id, turn.chat.id)}
    earned: list[str] = []
    for badge in earned_for_photo(facts):
        kept = held.get(badge.code)
        if kept is None:
            awarded = await store.badges.award(
                turn.user.id,
                turn.chat.id,
                badge.code,
                details={"submission_id": row.id},
                now=row.created_at,
            )
            if awarded is not None:
                earned.append(badge.code)
        elif kept.details.get("submission_id") == row.id:
            earned.append(badge.code)
    return tuple(earned)


def _result_lines(turn: Turn, analysis: Analysis, standing: Standing) -> list[str]:
    t, score, face = turn.t, analysis.score, analysis.main_face
    name = literal(turn.user.display_name)
    lines = [t("photo.scored", name=name, score=score, verdict=verdict(t, score))]
    if face is not None:
        emotion = face.dominant_emotion
        lines.append(
            t(
                "photo.expression",
                emoji=EMOTION_EMOJI.get(emotion, ""),
                emotion=t(f"emotion.{emotion}"),
                percent=round(face.emotions[emotion] * 100),
            )
        )
    if len(analysis.faces) > 1:
        lines.append(t("photo.faces", count=len(analysis.faces)))
    if standing.rank is not None:
        lines.append(
            t(
                "photo.rank",
                rank=standing.rank,
                players=standing.players,
                movement=movement(t, standing.rank, standing.previous_rank),
            )
        )
    if standing.previous_best is not None and score > standing.previous_best:
        lines.append(t("photo.personal_best", previous=standing.previous_best))
    for code in standing.badges:
        lines.append(
            t(
                "photo.new_badge",
                icon=BY_CODE[code].icon,
                name=t(f"badge.{code}.name"),
                rule=t(f"badge.{code}.rule"),
            )
        )
    return lines


@dataclass(frozen=True)
class Scored:
    """Everything a scored photo's reply says that storage decided: its standing, the lines
    about taste and duels, and the replies for duels it settled."""

    standing: Standing
    group_score: float | None
    lines: tuple[str, ...]
    duel_replies: tuple[Reply, ...]


async def _count_scored(
    svc: Services,
    turn: Turn,
    row: SubmissionRecord,
    analysis: Analysis,
    season: Season,
    members: int | None,
    *,
    with_board: bool,
) -> Scored:
    """Standing, badges, taste and duels for a recorded photo, in `svc.store`'s transaction."""
    standing = await _standing(svc, turn, row, analysis, season, with_board=with_board)
    lines = _result_lines(turn, analysis, standing)
    group_score = await taste.on_scored(svc, turn, row.id, analysis, members)
    lines[1:1] = taste.result_line(turn, group_score)
    duel_lines, duel_replies = await duels.count_photo(svc, turn, row, analysis.score)
    lines.extend(duel_lines)
    return Scored(standing, group_score, tuple(lines), tuple(duel_replies))


def _scored_replies(
    turn: Turn,
    row: SubmissionRecord,
    analysis: Analysis,
    picture: Image.Image | None,
    scored: Scored,
) -> list[Reply]:
    """The result reply (text, card, buttons, data) plus any duel this photo decided; the card
    is drawn from `picture`, kept for it (None: no card)."""
    t, score, standing = turn.t, analysis.score, scored.standing
    rank, previous_rank = standing.rank, standing.previous_rank
    attachments: tuple[Attachment, ...] = ()
    fmt = turn.event.cards
    if picture is not None and fmt is not CardFormat.NONE:
        card = result_card(
            picture,
            analysis,
            rank,
            previous_rank,
            standing.badges,
            turn.user.display_name,
            t,
            fmt,
        )
        name, mime_type = cards.file_type("result", fmt)
        description = t("photo.card_description", score=score)
        attachments = (Attachment(card, name, mime_type, description),)
    group_score = scored.group_score
    reply = Reply(
        "\n".join(scored.lines),
        attachments=attachments,
        buttons=(
            Button(t("button.tips"), ButtonAction.TIPS),
            Button(t("button.top"), ButtonAction.TOP, "season"),
            Button(t("button.me"), ButtonAction.ME),
        ),
        tag=submission_tag(row.id, turn.update_id),
        data={
            "analysis": analysis.to_dict(),
            "score": score,
            "rank": rank,
            "previous_rank": previous_rank,
            "badges": list(standing.badges),
            "badge_labels": [badge_label(t, code) for code in standing.badges],
            "submission_id": row.id,
            "group_score": round(group_score) if group_score is not None else None,
            **_board_data(standing.board),
        },
    )
    return [reply, *scored.duel_replies]


def _board_data(board: Leaderboard | None) -> dict[str, Any]:
    """The season board for the reply's data, entries as `Game.board` gives them."""
    return {} if board is None else {"season_board": board_entries(board)}


def model_version(analysis: Analysis) -> str:
    """Short ids of every model that scored the photo, so a score can be traced to them.

    Shortened SHA-256 prefixes keep it inside the stored column while still telling
    model files apart.
    """
    return ",".join(
        f"{name[:3]}:{digest[:12]}" for name, digest in sorted(analysis.model_versions.items())
    )


def _rate_limited(turn: Turn, limit: rules.RateLimit, until: datetime) -> Reply:
    text = turn.t(
        "photo.rate_limited",
        photos=amount(turn.t, "photos", limit.photos),
        minutes=amount(turn.t, "minutes", round(limit.window.total_seconds() / 60)),
        wait=duration(turn.t, until - turn.now),
        at=until.strftime("%H:%M"),
    )
    return Reply(text, tag=update_tag(turn.update_id))


def _plain(turn: Turn, text: str, row: SubmissionRecord) -> Reply:
    return Reply(text, tag=submission_tag(row.id, turn.update_id))


async def _duplicate_again(store: Store, turn: Turn, row: SubmissionRecord) -> Reply:
    """A re-delivered duplicate's answer, read in the transaction that records it going out."""
    await turn.reply_goes_out(store)
    earlier = await store.submissions.get(row.duplicate_of) if row.duplicate_of else None
    if earlier is None:  # its owner has since deleted their data
        return _plain(turn, turn.t("photo.duplicate_gone"), row)
    owner = None if earlier.user_id == turn.user.id else await store.users.get(earlier.user_id)
    return _duplicate_text(turn, row, earlier, owner)


def _duplicate_text(
    turn: Turn, row: SubmissionRecord, earlier: SubmissionRecord, owner: UserRecord | None
) -> Reply:
    when, score = earlier.created_at, points(earlier.score)
    if earlier.user_id == turn.user.id:
        return _plain(turn, turn.t("photo.duplicate_own", when=when, score=score), row)
    name = literal(owner.display_name) if owner else "?"
    text = turn.t("photo.duplicate", name=name, when=when, score=score)
    return _plain(turn, text, row)


def _submission(
    turn: Turn,
    event: PhotoEvent,
    status: SubmissionStatus,
    analysis: Analysis | None,
    photo_hash: int | None = None,
    duplicate_of: int | None = None,
) -> NewSubmission:
    base = NewSubmission(
        chat_id=turn.chat.id,
        user_id=turn.user.id,
        platform=turn.chat.platform,
        update_id=event.update_id,
        status=status,
        message_id=event.message_id,
        sha256=hashlib.sha256(event.photo).hexdigest(),
        phash=photo_hash,
        duplicate_of=duplicate_of,
        created_at=turn.now,
    )
    if analysis is None:
        return base
    face = analysis.main_face
    return replace(
        base,
        popularity=analysis.popular_probability,
        score=analysis.score,
        emotions=dict(face.emotions) if face else {},
        quality={
            name: float(value)
            for name, value in analysis.quality.to_dict().items()
            if isinstance(value, int | float)
        },
        face_count=len(analysis.faces),
        model_version=model_version(analysis),
        analysis=analysis.to_record(),
    )


async def _record(
    svc: Services,
    turn: Turn,
    event: PhotoEvent,
    *,
    status: SubmissionStatus,
    analysis: Analysis | None = None,
    photo_hash: int | None = None,
    duplicate_of: int | None = None,
) -> SubmissionRecord:
    """Store a photo that does not count, so a re-delivery gets the same answer (in the
    transaction that records the reply going out)."""
    new = _submission(turn, event, status, analysis, photo_hash, duplicate_of)

    async def work(tx: Store) -> SubmissionRecord:
        await turn.reply_goes_out(tx)
        return (await tx.submissions.record(new)).submission

    return await svc.store.transaction(work)
