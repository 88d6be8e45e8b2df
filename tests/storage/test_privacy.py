"""Privacy in storage on SQLite and PostgreSQL: forgetting a user removes everything about them
(and nothing else) in one transaction, and the export holds everything forgetting removes.
Fixtures and helpers: tests/storage/test_storage.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.rules import DUELS, SEASONS
from storage import (
    NewSubmission,
    Store,
    SubmissionStatus,
    privacy,
)
from storage.schema import metadata
from storage.schema import users as users_table
from tests.storage.support import (
    count_submissions,
    reaction_counts,
    seasons,
)
from tests.storage.test_storage import T0, add, setup_chat, store

__all__ = ["store"]


# --- privacy --------------------------------------------------------------------------------


async def test_forget_user_removes_everything_about_them_only(store: Store):
    chat, (ann, bob) = await setup_chat(store, "ann", "bob")
    other = await store.chats.upsert("telegram", "chat-2")
    await store.users.upsert("telegram", "id-ann", "Ann", chat_id=other.id)
    ann_photo = (await add(store, chat.id, ann.id, 88, T0)).submission
    await add(store, other.id, ann.id, 70, T0)
    bob_photo = (await add(store, chat.id, bob.id, 60, T0)).submission
    await store.submissions.record(
        NewSubmission(
            chat.id,
            bob.id,
            "telegram",
            "dup",
            status=SubmissionStatus.DUPLICATE,
            duplicate_of=ann_photo.id,
            created_at=T0,
        )
    )
    await store.reactions.add(ann_photo.id, bob.id, "🔥")
    await store.reactions.add(bob_photo.id, ann.id, "👍")
    await store.reactions.add(bob_photo.id, bob.id, "👍")
    await store.badges.award(ann.id, chat.id, "first_selfie")
    await store.badges.award(bob.id, chat.id, "first_selfie")
    duel = await store.duels.create(
        chat.id, ann.id, bob.id, expires_at=T0 + timedelta(days=1), now=T0
    )
    await store.duels.accept(duel.id, expires_at=T0 + timedelta(days=1), now=T0)
    await store.duels.record_entry(duel.id, ann.id, ann_photo.id, 88, now=T0, rules=DUELS)
    await store.duels.record_entry(duel.id, bob.id, bob_photo.id, 60, now=T0, rules=DUELS)
    season = await store.seasons.current(chat.id, rules=SEASONS, now=T0)
    await store.seasons.rollover(season.id, rules=SEASONS, now=T0 + timedelta(days=1), force=True)

    exported = await store.privacy.export(ann.id)
    json.dumps(exported)
    assert exported["user"]["platform_user_id"] == "id-ann"
    assert len(exported["submissions"]) == 2 and len(exported["chats"]) == 2
    assert exported["duels"][0]["won"] is True
    assert exported["reactions"][0]["emoji"] == "👍"

    report = await store.privacy.forget(ann.id)
    assert report.removed == {
        "reactions": 2,
        "photo_features": 0,
        "duels": 1,
        "duel_ratings": 1,
        "achievements": 1,
        "standings": 2,
        "submissions": 2,
        "memberships": 2,
        "users": 1,
        "announcements": 0,
        "seasons": 0,
        "chats": 0,
    }
    assert report.total == 12
    assert await store.users.get(ann.id) is None
    assert await store.privacy.export(ann.id) == {}
    assert (await seasons(store, chat.id))[1].winner_user_id is None
    assert (await store.submissions.by_update("telegram", "dup")).duplicate_of is None
    assert await reaction_counts(store, bob_photo.id) == {"👍": 1}
    assert len(await store.badges.held(bob.id, chat.id)) == 1
    board = await store.standings.leaderboard(chat.id)
    assert [e.user_id for e in board.entries] == [bob.id]
    assert (await store.privacy.forget(ann.id)).total == 0


async def test_forget_user_removes_their_private_chat_and_leaves_no_row_pointing_at_them(
    store: Store,
):
    """A one-to-one chat with the bot carries the user's own platform id (Telegram), so it
    goes with them, with its season and queued announcements; a private chat someone else was
    also seen in stays. Afterwards no column that refers to users holds their id anywhere."""
    chat, (ann, bob) = await setup_chat(store, "ann", "bob")
    dm = await store.chats.upsert("telegram", "id-ann", is_private=True, now=T0)
    await store.users.upsert("telegram", "id-ann", "Ann", chat_id=dm.id)
    shared = await store.chats.upsert("telegram", "shared-dm", is_private=True, now=T0)
    for user in ("ann", "bob"):
        await store.users.upsert("telegram", f"id-{user}", user.title(), chat_id=shared.id)
    await add(store, dm.id, ann.id, 75, T0)
    await add(store, chat.id, ann.id, 90, T0)
    await add(store, chat.id, bob.id, 60, T0)
    await store.badges.award(ann.id, dm.id, "first_selfie", now=T0)
    season = await store.seasons.current(dm.id, rules=SEASONS, now=T0)
    await store.seasons.rollover(season.id, rules=SEASONS, now=T0 + timedelta(days=1), force=True)
    won = await store.seasons.rollover(
        (await store.seasons.current(chat.id, rules=SEASONS, now=T0)).id,
        rules=SEASONS,
        now=T0 + timedelta(days=1),
        force=True,
    )
    assert won.closed.winner_user_id == ann.id

    report = await store.privacy.forget(ann.id)
    assert (report.removed["chats"], report.removed["seasons"]) == (1, 2)
    assert report.removed["announcements"] == 1
    assert await store.chats.by_platform_id("telegram", "id-ann") is None
    assert await store.chats.get(shared.id) is not None and await store.chats.get(chat.id)
    assert (await seasons(store, chat.id))[1].winner_user_id is None

    user_columns = [
        (table, fk.parent)
        for table in metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table is users_table
    ]
    assert len(user_columns) >= 10
    async with store._engine.connect() as conn:
        for table, column in user_columns:
            left = select(func.count()).select_from(table).where(column == ann.id)
            assert (await conn.execute(left)).scalar_one() == 0, f"{table.name}.{column.name}"
        for table in metadata.sorted_tables:
            if "platform_chat_id" in table.c:
                named = select(func.count()).where(table.c.platform_chat_id == "id-ann")
                assert (await conn.execute(named)).scalar_one() == 0


async def test_forget_user_is_one_transaction(store: Store, monkeypatch: pytest.MonkeyPatch):
    """A failure after the last DELETE (here: building the report) must leave the user whole:
    half-forgotten users would be the worst of both."""
    chat, (ann, bob) = await setup_chat(store, "ann", "bob")
    photo = (await add(store, chat.id, ann.id, 70, T0)).submission
    await store.reactions.add(photo.id, bob.id, "🔥", now=T0)
    await store.badges.award(ann.id, chat.id, "first_selfie", now=T0)

    def fail(**_: object) -> None:
        raise RuntimeError("crashed before commit")

    monkeypatch.setattr(privacy, "ForgetReport", fail)
    with pytest.raises(RuntimeError, match="before commit"):
        await store.privacy.forget(ann.id)
    assert await store.users.get(ann.id) is not None
    assert await count_submissions(store, chat.id, ann.id) == 1
    assert await reaction_counts(store, photo.id) == {"🔥": 1}
    assert len(await store.badges.held(ann.id, chat.id)) == 1
    assert (await store.standings.leaderboard(chat.id)).entries[0].user_id == ann.id


async def test_forget_and_export_cover_every_table_that_refers_to_users(store: Store):
    """A new table with a user column must be handled by forget_user (deleted, or its link
    cleared) and by export_user, or this fails: the privacy promises cover the whole schema."""
    cleared = {("seasons", "winner_user_id"), ("duels", "winner_user_id")}
    exported_as = {
        "users": "user",
        "memberships": "chats",
        "submissions": "submissions",
        "standings": "totals",
        "achievements": "badges",
        "duels": "duels",
        "duel_ratings": "duel_ratings",
        "reactions": "reactions",
        "seasons": "seasons_won",
    }
    _, (ann,) = await setup_chat(store, "ann")
    report = await store.privacy.forget(ann.id)
    for table in metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is not users_table:
                continue
            name = (table.name, fk.parent.name)
            if fk.ondelete == "SET NULL":
                assert name in cleared, name
            else:
                assert table.name in report.removed, name
            assert table.name in exported_as, name

    _, (bob,) = await setup_chat(store, "bob")
    exported = await store.privacy.export(bob.id)
    assert set(exported_as.values()) <= set(exported)


async def test_export_holds_everything_forget_would_remove(store: Store):
    chat, (ann, bob) = await setup_chat(store, "ann", "bob")
    kept = {"score": 88, "faces": [{"box": [10, 20, 30, 30]}]}
    ann_photo = (await add(store, chat.id, ann.id, 88, T0, analysis=kept)).submission
    await store.submissions.set_bot_message_id(ann_photo.id, "bot-1")
    bob_photo = (await add(store, chat.id, bob.id, 60, T0)).submission
    await store.reactions.add(ann_photo.id, bob.id, "🔥", now=T0)
    await store.reactions.add(ann_photo.id, ann.id, "🔥", now=T0)
    await store.reactions.add(bob_photo.id, ann.id, "👍", now=T0)
    await store.badges.award(ann.id, chat.id, "score_80", details={"score": 88}, now=T0)
    deadline = T0 + timedelta(days=1)
    duel = await store.duels.create(chat.id, bob.id, ann.id, expires_at=deadline, now=T0)
    await store.duels.accept(duel.id, expires_at=deadline, now=T0)
    await store.duels.record_entry(duel.id, ann.id, ann_photo.id, 88, now=T0, rules=DUELS)
    await store.duels.record_entry(duel.id, bob.id, bob_photo.id, 60, now=T0, rules=DUELS)
    season = await store.seasons.current(chat.id, rules=SEASONS, now=T0)
    await store.seasons.rollover(season.id, rules=SEASONS, now=T0 + timedelta(days=1), force=True)

    exported = json.loads(json.dumps(await store.privacy.export(ann.id)))
    (photo,) = exported["submissions"]
    assert photo["bot_message_id"] == "bot-1" and photo["reactions_received"] == {"🔥": 2}
    assert photo["analysis"] == kept
    assert "Bob" not in json.dumps(exported) and "id-bob" not in json.dumps(exported)
    assert exported["badges"] == [
        {
            "chat": "chat-1",
            "code": "score_80",
            "earned_at": T0.isoformat(),
            "details": {"score": 88},
        }
    ]
    assert exported["totals"] == [
        {
            "chat": "chat-1",
            "best": 88.0,
            "best_at": T0.isoformat(),
            "photos": 1,
            "total": 88.0,
            "last_at": T0.isoformat(),
        }
    ]
    assert [(s["chat"], s["number"]) for s in exported["seasons_won"]] == [("chat-1", 1)]
    (fought,) = exported["duels"]
    assert (fought["role"], fought["won"], fought["your_score"]) == ("opponent", True, 88.0)
    assert fought["your_submission_id"] == ann_photo.id and fought["finished_at"] is not None
    assert exported["chats"][0]["private"] is False
    assert sorted(r["emoji"] for r in exported["reactions"]) == ["👍", "🔥"]
