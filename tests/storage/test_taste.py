"""`storage.taste` on SQLite and PostgreSQL: features per photo, reactions counted per person
(never the author's own), anonymous totals, rated photos, and forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import NewSubmission, Store, Window
from storage.taste import PHOTO, RESULT
from tests.storage.support import BACKENDS, database_url, record_kwargs

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path):
    opened = await Store.open(await database_url(request.param, tmp_path))
    yield opened
    await opened.close()


async def _photo(store: Store, chat_id: int, user_id: int, number: int, at: datetime) -> int:
    new = NewSubmission(
        chat_id=chat_id,
        user_id=user_id,
        platform="telegram",
        update_id=f"u{number}",
        message_id=f"photo-{number}",
        created_at=at,
        score=50,
        **record_kwargs(popularity=0.1 * number),
    )
    result = await store.submissions.record(new)
    assert result.submission is not None
    await store.submissions.set_bot_message_id(result.submission.id, f"result-{number}")
    return result.submission.id


async def test_features_reactions_and_rated_photos(store: Store) -> None:
    chat = await store.chats.upsert("telegram", "g", title="Group", now=T0)
    ann, bob, cid = [
        await store.users.upsert("telegram", name, name.title(), chat_id=chat.id, now=T0)
        for name in ("ann", "bob", "cid")
    ]
    taste = store.taste
    assert await taste.members_seen(chat.id) == 3
    first = await _photo(store, chat.id, ann.id, 1, T0)
    second = await _photo(store, chat.id, bob.id, 2, T0 + timedelta(hours=30))
    for submission_id in (first, second):
        await taste.remember_photo(
            submission_id, chat.id, {"face_size": 0.5}, version=1, audience=4, now=T0
        )
    again = {"face_size": 0.9}
    await taste.remember_photo(first, chat.id, again, version=1, audience=9, now=T0)

    match = await taste.message(chat.id, "photo-1")
    assert match is not None and (match.submission_id, match.kind) == (first, PHOTO)
    assert (await taste.message(chat.id, "result-2")).kind == RESULT
    assert await taste.message(chat.id, "elsewhere") is None

    await store.reactions.add(first, bob.id, "❤️", now=T0)
    await store.reactions.add(first, bob.id, "🔥", now=T0)  # one person, counted once
    await store.reactions.add(first, ann.id, "👍", now=T0)  # the author: not counted
    await store.reactions.add(first, cid.id, "😂", now=T0)
    assert await taste.set_anonymous_reactions(first, RESULT, 5)
    assert not await taste.set_anonymous_reactions(10_000, PHOTO, 1)

    rows = {row.submission_id: row for row in await taste.photos(chat.id, version=1)}
    assert rows[first].features == {"face_size": 0.5}  # the first row is kept
    assert rows[first].audience == 4
    assert rows[first].reactions == 4  # bob + cid + 5 anonymous, capped by the audience
    assert rows[first].display_name == "Ann" and rows[first].popularity == pytest.approx(0.1)
    assert rows[second].reactions == 0
    assert await taste.photos(chat.id, version=2) == []

    settled = await taste.photos(chat.id, version=1, settled_before=T0 - timedelta(hours=1))
    assert [row.submission_id for row in settled] == [first]  # it has reactions
    window = Window(T0 + timedelta(hours=1), None)
    assert [
        row.submission_id for row in await taste.photos(chat.id, version=1, window=window)
    ] == []

    report = await store.privacy.forget(ann.id)
    assert report.removed["photo_features"] == 1
    assert [row.submission_id for row in await taste.photos(chat.id, version=1)] == [second]
