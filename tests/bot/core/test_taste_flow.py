"""The group taste through the game core: real analyzer and models, real SQLite, fake adapter.

Photos in a group keep their features; reactions on the photo or on the result teach the chat's
model; results then show the group's taste, `/whatworks` names what works and `/top taste`
ranks by it. `/forgetme` takes a user's rows with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.events import ChatRef, ReactionCountEvent
from bot.core.game import Game
from bot.core.markup import to_plain
from inference.taste.features import FEATURES_VERSION
from tests.bot.core.test_flows import analyzer, game_settings, selfies  # noqa: F401 (fixture)
from tests.fakes.adapter import PLATFORM, FakeAdapter, FakeClock

pytestmark = pytest.mark.usefixtures("analyzer")

PEOPLE = ("ann", "bob", "cid", "dee")


@pytest.fixture
async def bot(analyzer, tmp_path: Path) -> AsyncIterator[FakeAdapter]:  # noqa: F811
    clock = FakeClock()
    settings = game_settings(
        tmp_path, taste_min_rated_photos=4, taste_settle_hours=0, rate_limit_photos=50
    )
    game = await Game.open(settings, analyzer, clock=clock)
    yield FakeAdapter(game, clock=clock)
    await game.close()


async def _post(bot: FakeAdapter, photos: list[bytes]) -> list[tuple[str, str, str]]:
    """Each photo from the next person; (author, photo message id, result message id)."""
    posted = []
    for index, data in enumerate(photos):
        author = PEOPLE[index % len(PEOPLE)]
        sent = await bot.photo(author, data)
        result = bot.pop()
        assert result.reply.data and "score" in result.reply.data, result.text
        for _ in sent[1:]:
            bot.pop()
        posted.append((author, _photo_message_id(bot, result), result.message_id))
    return posted


def _photo_message_id(bot: FakeAdapter, result) -> str:
    """The fake adapter numbers the photo's own message just before its result."""
    return f"m{int(result.message_id.removeprefix('bot')) - 1}"


async def test_reactions_teach_the_chat_its_taste(bot: FakeAdapter) -> None:
    photos = selfies(8)
    answer = await bot.command("ann", "/whatworks")
    bot.pop()
    assert "Not enough to go on yet" in to_plain(answer[0].text)
    assert answer[0].reply.data["rated"] == 0
    posted = await _post(bot, photos[:6])
    taste = bot.game.store.taste
    stored = await taste.photos(1, version=FEATURES_VERSION)
    assert len(stored) == 6
    assert all("face_size" in row.features and "cnn1" in row.features for row in stored)
    # A group's photos are analysed with FaceMesh: its smile and yaw are taste features.
    assert all("smile" in row.features and "yaw" in row.features for row in stored)
    assert {row.audience for row in stored} <= {1, 2, 3}
    for index, (author, photo_message, result_message) in enumerate(posted):
        fans = [p for p in PEOPLE if p != author][: 1 + index % 3]
        for number, fan in enumerate(fans):
            target = photo_message if number % 2 else result_message
            await bot.react(fan, target, "❤️")
        await bot.react(author, result_message, "👍")  # one's own reaction never counts
    await bot.react("bob", posted[0][2], "🔥")  # a second emoji from one person counts once
    rated = {row.submission_id: row.reactions for row in await taste.photos(1, version=1)}
    # Audiences are the people seen in the chat so far, less the author: 1, 1, 2, 3, 3, 3.
    assert sorted(rated.values()) == [1, 1, 1, 2, 2, 3]

    sent = await bot.photo("ann", photos[6])
    result = bot.pop()
    for _ in sent[1:]:
        bot.pop()
    assert "This group's taste:" in to_plain(result.text)
    assert isinstance(result.reply.data["group_score"], int)

    works = await bot.command("bob", "/whatworks")
    bot.pop()
    text = to_plain(works[0].text)
    assert "What works here, from 7 rated photos" in text  # settled at once: 0 h
    assert works[0].reply.data["rated"] == 7

    board = await bot.command("cid", "/top taste")
    bot.pop()
    assert board[0].reply.data["period"] == "taste"
    assert {entry["name"] for entry in board[0].reply.data["entries"]} <= {
        "Ann",
        "Bob",
        "Cid",
        "Dee",
    }
    assert board[0].reply.attachments


async def test_anonymous_totals_and_forgetting(bot: FakeAdapter) -> None:
    posted = await _post(bot, selfies(2))
    _, photo_message, _ = posted[0]
    chat = bot.chat
    event = ReactionCountEvent(chat, "count-1", photo_message, total=5)
    assert await bot.game.handle(event) == []
    unknown = ReactionCountEvent(ChatRef(PLATFORM, "elsewhere"), "count-2", "m1", total=3)
    assert await bot.game.handle(unknown) == []
    taste = bot.game.store.taste
    rows = {row.user_id: row for row in await taste.photos(1, version=FEATURES_VERSION)}
    assert sorted(row.reactions for row in rows.values()) == [0, 1]  # capped by the audience

    privacy = await bot.command("ann", "/privacy")
    bot.pop()
    assert "/whatworks" in to_plain(privacy[0].text)
    asked = await bot.command("ann", "/forgetme")
    bot.pop()
    confirm = asked[0].button("forget_confirm")
    done = await bot.press("ann", confirm)
    assert done[0].reply.data["removed"]["photo_features"] == 1
    assert len(await taste.photos(1, version=FEATURES_VERSION)) == 1


async def test_private_chats_keep_no_taste(bot: FakeAdapter) -> None:
    private = ChatRef(PLATFORM, "dm-ann", is_private=True)
    await bot.photo("ann", selfies(1)[0], chat=private)
    assert bot.pop().reply.data["group_score"] is None
    assert await bot.game.store.taste.members_seen(1) == 1
    assert await bot.game.store.taste.photos(1, version=FEATURES_VERSION) == []


async def test_group_photos_nobody_can_react_to_keep_no_taste(bot: FakeAdapter) -> None:
    """The web page has no reactions: its photos keep no taste features, and their analysis is
    the one without FaceMesh (which only those features need), as in a private chat."""
    photo = selfies(1)[0]
    await bot.photo("ann", photo, reactions=False)
    data = bot.pop().reply.data
    assert data["group_score"] is None
    assert data["analysis"] == bot.game.analyzer.analyze(photo).to_dict()
    assert await bot.game.store.taste.photos(1, version=FEATURES_VERSION) == []
