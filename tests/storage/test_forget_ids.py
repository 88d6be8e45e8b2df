"""A forgotten user leaves no id behind: ids are never handed to someone else, and the
announcements that named them keep existing without their id (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from storage import Store
from storage.engine import create_engine
from storage.migrate import head_revision, upgrade
from storage.records import NewSubmission, SubmissionStatus
from storage.schema import NEVER_REUSED, announcements, metadata, submissions, users
from storage.scrub import without_user
from tests.storage.support import BACKENDS, database_url, record_kwargs

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
AUTOINCREMENT_TABLES = sorted(
    t.name for t in metadata.sorted_tables if t.dialect_options["sqlite"]["autoincrement"]
)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path):
    opened = await Store.open(await database_url(request.param, tmp_path))
    yield opened
    await opened.close()


async def _photo(store: Store, chat_id: int, user_id: int, update_id: str) -> int:
    result = await store.submissions.record(
        NewSubmission(
            chat_id=chat_id,
            user_id=user_id,
            platform="telegram",
            update_id=update_id,
            status=SubmissionStatus.SCORED,
            score=50.0,
            phash=None,
            created_at=T0,
            **record_kwargs(),
        )
    )
    assert result.submission is not None
    return result.submission.id


def test_every_table_whose_ids_leave_the_database_never_reuses_them() -> None:
    assert NEVER_REUSED == {"sqlite_autoincrement": True}
    assert (
        sorted(
            ["achievements", "announcements", "chats", "duels", "seasons", "submissions", "users"]
        )
        == AUTOINCREMENT_TABLES
    )


async def test_a_forgotten_users_ids_go_to_nobody_else(store: Store) -> None:
    """Forgetting the newest user used to hand their id (and their photo's and private chat's
    ids) to the next newcomer on SQLite."""
    group = await store.chats.upsert("telegram", "group")
    ann = await store.users.upsert("telegram", "ann", "Ann", chat_id=group.id)
    bob = await store.users.upsert("telegram", "bob", "Bob", chat_id=group.id)
    bob_private = await store.chats.upsert("telegram", "bob", is_private=True)
    await store.users.upsert("telegram", "bob", "Bob", chat_id=bob_private.id)
    bob_photo = await _photo(store, group.id, bob.id, "u1")

    await store.privacy.forget(bob.id)
    cat = await store.users.upsert("telegram", "cat", "Cat", chat_id=group.id)
    cat_private = await store.chats.upsert("telegram", "cat", is_private=True)
    cat_photo = await _photo(store, group.id, cat.id, "u2")

    assert ann.id < bob.id < cat.id
    assert cat_private.id > bob_private.id
    assert cat_photo > bob_photo


async def test_forgetting_scrubs_the_users_id_from_announcements(store: Store) -> None:
    group = await store.chats.upsert("telegram", "group")
    ann = await store.users.upsert("telegram", "ann", "Ann", chat_id=group.id)
    bob = await store.users.upsert("telegram", "bob", "Bob", chat_id=group.id)
    other = await store.chats.upsert("telegram", "elsewhere")
    queued = {
        "season": {
            "season_id": 1,
            "number": 2,
            "winner_user_id": bob.id,
            "players": 2,
            "board": [
                {"rank": 1, "user_id": bob.id, "value": 90.0, "photos": 3},
                {"rank": 2, "user_id": ann.id, "value": 80.0, "photos": 1},
            ],
        },
        "duel": {"duel_id": 4, "ratings": {str(ann.id): [1000, 984], str(bob.id): [1000, 1016]}},
        "streak": {"user_ids": [ann.id, bob.id]},
        "improved": {"user_id": bob.id, "before": 6, "after": 96},
        "ann_improved": {"user_id": ann.id, "before": 6, "after": 96},
    }
    ids = {
        key: await store.outbox.enqueue(group.id, key, payload, dedupe_key=key, due_at=T0)
        for key, payload in queued.items()
    }
    elsewhere = await store.outbox.enqueue(
        other.id, "improved", {"user_id": bob.id}, dedupe_key="other", due_at=T0
    )
    await store.outbox.mark_sent(ids["season"], now=T0)

    report = await store.privacy.forget(bob.id)

    async with store._engine.connect() as conn:
        rows = {
            row.id: row
            for row in (await conn.execute(select(announcements))).all()  # type: ignore[attr-defined]
        }
    payload = {key: rows[ids[key]].payload for key in queued}
    assert payload["season"]["winner_user_id"] is None
    assert [e["user_id"] for e in payload["season"]["board"]] == [ann.id]
    assert payload["duel"]["ratings"] == {str(ann.id): [1000, 984]}
    assert payload["streak"] == {"user_ids": [ann.id]}
    assert payload["improved"] == {"user_id": None, "before": 6, "after": 96}
    assert rows[ids["improved"]].sent_at is not None, "about them alone: cancelled, not sent"
    assert rows[ids["streak"]].sent_at is None, "still goes out, naming the others"
    assert payload["ann_improved"] == queued["ann_improved"]
    assert rows[elsewhere].payload == {"user_id": bob.id}, "only chats they played in"
    assert report.announcements_scrubbed == 4


def test_scrubbing_leaves_numbers_that_are_not_user_ids_alone() -> None:
    payload = {"number": 7, "players": 7, "next_season_id": 7, "board": [{"user_id": 8}]}
    assert without_user(payload, 7) == payload


# --- the SQLite migration -----------------------------------------------------------------


async def test_sqlite_tables_are_rebuilt_with_autoincrement_keeping_every_row(
    tmp_path: Path,
) -> None:
    """Revision 0005 rebuilds the tables (foreign keys off during it, so dropping a parent
    does not cascade into its children) and keeps rows, ids, indexes and foreign keys."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    try:
        assert await upgrade(engine, "0004") == "0004"
        async with engine.begin() as conn:
            await conn.execute(
                insert(users),
                [
                    {
                        "platform": "t",
                        "platform_user_id": str(n),
                        "display_name": f"U{n}",
                        "created_at": T0,
                        "updated_at": T0 + timedelta(seconds=n),
                    }
                    for n in (1, 2, 3)
                ],
            )
            await conn.execute(text("DELETE FROM users WHERE id = 3"))
            indexes_before = await _index_sql(conn)
        store = Store(engine)
        chat = await store.chats.upsert("t", "g")
        async with engine.begin() as conn:  # the columns revision 0004 has (no analysis yet)
            await conn.execute(
                insert(submissions).values(
                    chat_id=chat.id,
                    user_id=2,
                    platform="telegram",
                    update_id="p1",
                    status=SubmissionStatus.SCORED.value,
                    created_at=T0,
                    score=50.0,
                    emotions={},
                    quality={},
                    face_count=1,
                    model_version="test-1",
                )
            )

        assert await upgrade(engine) == head_revision()

        async with engine.connect() as conn:
            tables = text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            ddl = {name: sql for name, sql in (await conn.execute(tables)).all()}
            assert await _index_sql(conn) >= indexes_before
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
            kept = (await conn.execute(select(users.c.id, users.c.display_name))).all()
        for table in AUTOINCREMENT_TABLES:
            assert "AUTOINCREMENT" in ddl[table], table
        assert [tuple(row) for row in kept] == [(1, "U1"), (2, "U2")]
        assert (await store.standings.user_stats(chat.id, 2)).count == 1, (
            "children survived the rebuild"
        )
        newcomer = await store.users.upsert("t", "4", "U4")
        assert newcomer.id == 3, "the sequence starts after the largest id present"
    finally:
        await engine.dispose()


async def _index_sql(conn) -> set[str]:
    rows = await conn.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    )
    return set(rows.scalars())
