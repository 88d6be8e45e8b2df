"""The real PTB Application and adapter against the local fake Bot API, with a scripted game.

A scripted game (exact, chosen replies) isolates what the adapter itself must do: which file it
downloads or refuses, how a reply maps onto Bot API calls and Telegram's limits, private
delivery, callback answers, reactions, duplicates, announcements. `test_telegram_network.py`
covers a misbehaving Telegram; `test_telegram_e2e.py` runs the same machinery with the real game.
"""

from __future__ import annotations

from typing import Any

from bot.core.events import ButtonEvent, CommandEvent, Event, PhotoEvent, ReactionEvent
from bot.core.i18n import Translator
from bot.core.replies import Announcement, Attachment, Button, Reply
from inference.units import megabytes
from tests.bot.telegram.support import (
    SELFIE,
    StartBot,
    ann,
    catalogue,
    chat,
    is_image,
    result_reply,
    start,
)
from tests.fakes.telegram.harness import ScriptedGame, api
from tests.fakes.telegram.people import Person, group_chat, private_chat
from tests.fakes.telegram.server import FakeBotApi

__all__ = ["ann", "api", "chat", "start"]


async def test_private_selfie_gets_result_card_as_photo_reply(
    api: FakeBotApi, start: StartBot
) -> None:
    game = ScriptedGame(rule=lambda event: [result_reply()])
    ann = Person(api, "Ann", "ann")
    chat = private_chat(api, ann)
    async with start(game):
        update = ann.send_photo(chat, SELFIE)
        await api.wait_for(api.sent, what="the result card")

    [event] = game.events
    assert isinstance(event, PhotoEvent)
    assert event.photo == SELFIE, "the largest photo size is downloaded, not the thumbnail"
    assert event.mime_type == "image/jpeg"
    assert event.update_id == str(update["update_id"])
    assert event.message_id == str(update["message"]["message_id"])
    assert event.chat.is_private and event.chat.chat_id == str(ann.user_id)
    assert (event.sender.user_id, event.sender.username) == (str(ann.user_id), "ann")

    largest = update["message"]["photo"][-1]["file_id"]
    assert [c.params["file_id"] for c in api.calls("getFile")] == [largest]
    actions = api.calls("sendChatAction")
    assert actions and actions[0].params["action"] == "upload_photo"

    [photo] = api.sent()
    assert photo.method == "sendPhoto"
    assert photo.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert photo.params["parse_mode"] == "HTML"
    assert "<b>73/100</b>" in photo.params["caption"]
    assert is_image(photo.upload("photo").data) == "PNG"
    buttons = [b for row in photo.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["tips:1", "top:", "me:"]
    assert game.sent_tags == [(event.chat, "submission:1:x", str(photo.result["message_id"]))]


async def test_text_over_caption_limit_follows_the_photo(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    long_text = "\n".join(f"**Line {i}**: " + "é" * 60 for i in range(30))
    game = ScriptedGame(rule=lambda event: [result_reply(long_text)])
    async with start(game):
        ann.send_photo(chat, SELFIE)
        await api.wait_for(lambda: len(api.sent()) >= 2, what="photo and text")

    photo, text = api.sent()
    assert photo.method == "sendPhoto" and "caption" not in photo.params
    assert "reply_markup" not in photo.params
    assert text.method == "sendMessage" and "<b>Line 29</b>" in text.params["text"]
    assert "reply_parameters" not in text.params, "only the first message quotes the photo"
    assert text.params["reply_markup"]["inline_keyboard"]
    assert game.sent_tags[0][2] == str(photo.result["message_id"])


async def test_very_long_text_is_split_into_valid_messages(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    text = "\n".join(f"{i}. **player {i}** with `code` & <angle> text " * 3 for i in range(200))
    game = ScriptedGame(rule=lambda event: [Reply(text, buttons=(Button("Me", "me"),))])
    async with start(game):
        ann.send_text(chat, "/top all")
        await api.wait_for(lambda: len(api.sent()) >= 5, what="all chunks")

    sent = api.sent()
    assert all(c.method == "sendMessage" and c.error is None for c in sent)
    assert ["reply_markup" in c.params for c in sent] == [False] * (len(sent) - 1) + [True]
    received = "\n".join(c.result["text"] for c in sent)
    assert received.count("player 199") == 3 and "<angle>" in received


async def test_non_image_document_is_refused_without_download(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    game = ScriptedGame(rule=lambda event: [Reply("should not be asked")])
    group = group_chat(api)
    async with start(game):
        ann.send_document(group, b"%PDF-1.4 minutes", "minutes.pdf", "application/pdf")
        ann.send_document(chat, b"%PDF-1.4 resume", "cv.pdf", "application/pdf")
        await api.wait_for(api.sent, what="the refusal")

    [refusal] = api.sent()
    assert refusal.params["chat_id"] == ann.user_id, "in a group an unrelated PDF is ignored"
    assert refusal.result["text"] == catalogue("upload.not_image", filename="cv.pdf")
    assert not game.events and not api.calls("getFile")


async def test_oversized_image_is_refused_before_download(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    game = ScriptedGame(rule=lambda event: [Reply("should not be asked")])
    async with start(game):
        ann.send_document(chat, SELFIE, "huge.jpg", "image/jpeg", reported_size=25_000_000)
        await api.wait_for(api.sent, what="the refusal")

    [refusal] = api.sent()
    expected = catalogue("upload.too_large", filename="huge.jpg", size_mb="23.9", limit_mb="20")
    assert refusal.result["text"] == expected, "the default limit is 20 MB of 2**20 bytes"
    assert not game.events and not api.calls("getFile")


async def test_files_telegram_will_not_hand_over_get_a_clear_reply(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    game = ScriptedGame(rule=lambda event: [Reply("should not be asked")])
    async with start(game):
        api.fail("getFile", status=400, description="Bad Request: file is too big")
        ann.send_document(chat, SELFIE, "big.jpg", "image/jpeg")
        await api.wait_for(api.sent, what="the too-big refusal")
        api.fail("getFile", status=400, description="Bad Request: wrong file_id")
        ann.send_document(chat, SELFIE, "lost.jpg", "image/jpeg")
        await api.wait_for(lambda: len(api.sent()) >= 2, what="the download failure")

    too_big, lost = api.sent()
    assert too_big.result["text"] == catalogue(
        "upload.too_large", filename="big.jpg", size_mb=megabytes(len(SELFIE)), limit_mb="20"
    )
    assert lost.result["text"] == catalogue("upload.download_failed", filename="lost.jpg")
    assert not game.events


async def test_other_media_in_private_get_a_clear_reply(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    game = ScriptedGame(rule=lambda event: [Reply("should not be asked")])
    video = {**api.add_file(b"mp4", "clip.mp4"), "width": 1, "height": 1, "duration": 1}
    sticker = {
        **api.add_file(b"webp", "s.webp"),
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    async with start(game):
        ann.send_content(chat, video={**video, "file_name": "clip.mp4", "mime_type": "video/mp4"})
        await api.wait_for(api.sent, what="the video refusal")
        ann.send_content(chat, video_note={**video, "length": 240})
        await api.wait_for(lambda: len(api.sent()) >= 2, what="the round video refusal")
        ann.send_content(chat, sticker=sticker)
        await api.wait_for(lambda: len(api.sent()) >= 3, what="the answer to a sticker")

    clip, round_video, sticker_answer = (c.result["text"] for c in api.sent())
    assert clip == catalogue("upload.not_image", filename="clip.mp4")
    assert round_video == catalogue("upload.not_image", filename="video.mp4")
    assert sticker_answer == Translator("en")("telegram.send_a_selfie")
    assert not game.events and not api.calls("getFile")


async def test_a_live_photo_is_scored_by_its_still_photo(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    game = ScriptedGame(rule=lambda event: [result_reply()])
    still = {**api.add_file(SELFIE, "still.jpg"), "width": 512, "height": 512}
    thumb = {**api.add_file(b"tiny", "thumb.jpg"), "width": 90, "height": 90}
    live = {
        **api.add_file(b"mp4 video", "live.mp4"),
        "width": 512,
        "height": 512,
        "duration": 2,
        "mime_type": "video/mp4",
        "photo": [thumb, still],
    }
    async with start(game):
        ann.send_content(chat, live_photo=live)
        [card] = await api.wait_for(api.sent, what="the result card")

    [event] = game.events
    assert isinstance(event, PhotoEvent) and event.photo == SELFIE
    assert [c.params["file_id"] for c in api.calls("getFile")] == [still["file_id"]]
    assert card.method == "sendPhoto"


async def test_heic_document_is_passed_as_image(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    game = ScriptedGame(rule=lambda event: [Reply("scored", tag="update:1")])
    async with start(game):
        ann.send_document(chat, b"heic bytes", "IMG_0042.HEIC", None)
        await api.wait_for(api.sent, what="the reply")

    [event] = game.events
    assert isinstance(event, PhotoEvent)
    assert (event.photo, event.filename, event.mime_type) == (
        b"heic bytes",
        "IMG_0042.HEIC",
        "image/heic",
    )


async def test_group_photos_follow_auto_score_and_rate(api: FakeBotApi, start: StartBot) -> None:
    game = ScriptedGame(rule=lambda event: [result_reply()], auto_score=False)
    ann, bob = Person(api, "Ann", "ann"), Person(api, "Bob")
    group = group_chat(api)
    async with start(game):
        ann.send_photo(group, SELFIE)  # not scored: this chat did not opt in
        captioned = ann.send_photo(group, SELFIE, caption="/rate")["message"]
        await api.wait_for(api.sent, what="the captioned photo's card")
        plain = ann.send_photo(group, SELFIE)["message"]
        ann.send_text(group, "/rate@selfie_test_bot", reply_to=plain)
        await api.wait_for(lambda: len(api.sent()) >= 2, what="the replied /rate card")
        bob.send_text(group, "/rate", reply_to=plain)
        await api.wait_for(lambda: len(api.sent()) >= 3, what="the refusal")

    first, second, refusal = api.sent()
    assert [e.message_id for e in game.events] == [
        str(captioned["message_id"]),
        str(plain["message_id"]),
    ]
    assert first.params["reply_parameters"]["message_id"] == captioned["message_id"]
    assert second.params["reply_parameters"]["message_id"] == plain["message_id"]
    assert refusal.result["text"] == Translator("en")("telegram.rate_own_photo")
    assert len(api.calls("getFile")) == 2


async def test_commands_reach_the_game_and_help_gets_the_privacy_note(
    api: FakeBotApi, start: StartBot
) -> None:
    def rule(event: Event) -> list[Reply]:
        assert isinstance(event, CommandEvent)
        return [Reply(f"core says {event.name}", tag=f"update:{event.update_id}")]

    game = ScriptedGame(rule=rule)
    ann, bob = Person(api, "Ann", "ann"), Person(api, "Bob", "bob")
    group = group_chat(api)
    async with start(game):
        ann.send_text(group, "/top@other_bot week")  # another bot's command
        ann.send_text(group, "/TOP@Selfie_Test_Bot week")
        bobs = bob.send_text(group, "hello")["message"]
        ann.send_text(group, "/duel", reply_to=bobs)
        ann.send_text(group, "/help")
        await api.wait_for(lambda: len(api.sent()) >= 3, what="three answers")

    commands = {e.name: e for e in game.events if isinstance(e, CommandEvent)}
    assert sorted(commands) == ["duel", "help", "top"] and len(game.events) == 3
    assert commands["top"].args == ("week",)
    assert [m.username for m in commands["duel"].mentions] == ["bob"]
    texts_sent = {c.result["text"].split("\n")[0]: c.result["text"] for c in api.sent()}
    help_text = texts_sent["core says help"]
    assert "@BotFather" in help_text and "core says top" in texts_sent
    assert "admin" in help_text


async def test_admin_status_is_asked_from_telegram(
    api: FakeBotApi, ann: Person, start: StartBot
) -> None:
    async def rule(event: Event) -> list[Reply]:
        return [Reply(f"admin={await event.is_admin()}")]

    game = ScriptedGame(rule=rule)
    bob = Person(api, "Bob")
    group = group_chat(api)
    api.set_member_status(group["id"], ann.user_id, "creator")
    async with start(game):
        ann.send_text(group, "/resetseason")
        await api.wait_for(api.sent, what="first answer")
        bob.send_text(group, "/resetseason")
        await api.wait_for(lambda: len(api.sent()) >= 2, what="second answer")

    assert [c.result["text"] for c in api.sent()] == ["admin=True", "admin=False"]
    assert [c.params["user_id"] for c in api.calls("getChatMember")] == [ann.user_id, bob.user_id]


async def test_button_press_is_answered_and_reaches_the_game(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    def rule(event: Event) -> list[Reply]:
        if isinstance(event, ButtonEvent):
            if event.action == "me":
                raise RuntimeError("core bug")
            return [Reply("**Tip**: more light, +6", tag=f"update:{event.update_id}")]
        return [result_reply()]

    game = ScriptedGame(rule=rule)
    async with start(game):
        ann.send_photo(chat, SELFIE)
        [card] = await api.wait_for(api.sent, what="the card")
        ann.press(card.result, "💡 Tips")
        await api.wait_for(lambda: len(api.sent()) >= 2, what="the tips")
        ann.press(card.result, "👤 Me")
        await api.wait_for(lambda: len(api.calls("answerCallbackQuery")) >= 2, what="answers")

    tips_event = game.events[1]
    assert isinstance(tips_event, ButtonEvent)
    assert (tips_event.action, tips_event.payload) == ("tips", "1")
    assert tips_event.message_id == str(card.result["message_id"])
    tips = api.sent()[1]
    assert tips.params["reply_parameters"]["message_id"] == card.result["message_id"]
    first, second = api.calls("answerCallbackQuery")
    assert "text" not in first.params
    assert second.params["show_alert"] is True, "a failure is shown to the presser"
    assert second.params["text"] == catalogue("error.generic")
    assert len(api.sent()) == 2, "the failing press sent no message"


async def test_a_button_this_bot_did_not_make_is_answered_not_passed_on(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    game = ScriptedGame(rule=lambda event: [result_reply()])
    async with start(game):
        ann.send_photo(chat, SELFIE)
        [card] = await api.wait_for(api.sent, what="the card")
        query = {"id": "Q-stale", "from": ann.as_user(), "chat_instance": "ci-1"}
        api.push({"callback_query": {**query, "message": card.result, "data": "from-v1"}})
        [answer] = await api.wait_for(lambda: api.calls("answerCallbackQuery"), what="answer")

    assert answer.params["text"] == Translator("en")("telegram.button_expired")
    assert [type(e) for e in game.events] == [PhotoEvent]
    assert len(api.sent()) == 1


async def test_private_reply_in_group_goes_to_dm_or_falls_back(
    api: FakeBotApi, ann: Person, start: StartBot
) -> None:
    export = Attachment(b'{"user": "ann"}', "selfiebot-export.json", "application/json")
    game = ScriptedGame(rule=lambda e: [Reply("Your data", attachments=(export,), private=True)])
    bob = Person(api, "Bob")
    group = group_chat(api)
    api.forbid_private(bob.user_id)
    async with start(game):
        ann.send_text(group, "/export")
        await api.wait_for(lambda: len(api.sent()) >= 3, what="DM + note")
        asked = bob.send_text(group, "/export")["message"]
        await api.wait_for(lambda: len(api.sent(chat_id=group["id"])) >= 3, what="fallback")

    dm_text, dm_file = api.sent(chat_id=ann.user_id)
    assert dm_text.result["text"] == "Your data"
    assert dm_file.method == "sendDocument"
    assert dm_file.upload("document").data == export.data
    assert dm_file.upload("document").filename == "selfiebot-export.json"
    note, fallback_text, fallback_file = api.sent(chat_id=group["id"])
    assert note.result["text"] == "📬 I sent you the answer in a private message."
    assert fallback_text.params["reply_parameters"]["message_id"] == asked["message_id"]
    assert fallback_file.method == "sendDocument"


async def test_private_reply_to_button_in_group_is_an_alert(
    api: FakeBotApi, ann: Person, start: StartBot
) -> None:
    def rule(event: Event) -> list[Reply]:
        if isinstance(event, ButtonEvent):
            return [Reply("**#3** of 5 · best 73", private=True, tag="update:me")]
        return [result_reply()]

    game = ScriptedGame(rule=rule)
    group = group_chat(api)
    async with start(game):
        ann.send_photo(group, SELFIE, caption="/rate")
        [card] = await api.wait_for(api.sent, what="the card")
        ann.press(card.result, "👤 Me")
        [answer] = await api.wait_for(lambda: api.calls("answerCallbackQuery"), what="answer")
        # The alert is recorded as this update's answer once Telegram has acknowledged it.
        await api.wait_for(
            lambda: game.sent_tags[-1][1] == "update:me", what="the alert recorded as sent"
        )

    assert answer.params == {
        "callback_query_id": answer.params["callback_query_id"],
        "text": "#3 of 5 · best 73",
        "show_alert": True,
    }
    assert len(api.sent()) == 1


async def test_duplicate_updates_are_answered_once(
    api: FakeBotApi, ann: Person, chat: dict[str, Any], start: StartBot
) -> None:
    game = ScriptedGame(
        rule=lambda e: [result_reply()] if isinstance(e, PhotoEvent) else [Reply("stats")]
    )
    async with start(game):
        update = ann.send_photo(chat, SELFIE)
        api.push(update)  # the same update twice in one batch
        await api.wait_for(api.sent, what="the card")
        api.push(update, ignore_offset=True)  # and re-delivered after it was confirmed
        ann.send_text(chat, "/me")
        await api.wait_for(lambda: len(game.events) >= 2, what="the next update")

    assert [type(e) for e in game.events] == [PhotoEvent, CommandEvent]
    assert [c.method for c in api.sent()] == ["sendPhoto", "sendMessage"]
    assert len(api.calls("getFile")) == 1


async def test_reactions_on_bot_messages_become_events(
    api: FakeBotApi, ann: Person, start: StartBot
) -> None:
    game = ScriptedGame(
        rule=lambda event: [] if isinstance(event, ReactionEvent) else [result_reply()]
    )
    bob = Person(api, "Bob")
    group = group_chat(api)
    async with start(game):
        ann.send_photo(group, SELFIE)
        [card] = await api.wait_for(api.sent, what="the card")
        first = bob.react(group, card.result["message_id"], "🔥")
        await api.wait_for(lambda: len(game.events) >= 2, what="the first reaction")
        second = bob.react(group, card.result["message_id"], "❤", previous=("🔥",))
        await api.wait_for(lambda: len(game.events) >= 4, what="reaction events")

    reactions = [e for e in game.events if isinstance(e, ReactionEvent)]
    assert [(e.emoji, e.added, e.update_id) for e in reactions] == [
        ("🔥", True, str(first["update_id"])),
        ("🔥", False, str(second["update_id"])),
        ("❤", True, f"{second['update_id']}.1"),
    ]
    assert {e.message_id for e in reactions} == {str(card.result["message_id"])}
    assert reactions[0].sender.user_id == str(bob.user_id)
    assert len(api.sent()) == 1


async def test_due_announcements_are_sent(api: FakeBotApi, start: StartBot) -> None:
    group = group_chat(api)
    game = ScriptedGame()
    game.announcements.append(
        Announcement(
            "telegram", str(group["id"]), Reply("🏁 **Season 3** is over!", tag="season:3")
        )
    )
    game.announcements.append(Announcement("discord", "123", Reply("not for Telegram")))
    async with start(game, SELFIEBOT_TELEGRAM_ANNOUNCE_INTERVAL_SECONDS="0.2"):
        [sent] = await api.wait_for(api.sent, what="the announcement")

    assert sent.params["chat_id"] == group["id"]
    assert sent.result["text"] == "🏁 Season 3 is over!"
    assert "reply_parameters" not in sent.params
    assert game.sent_tags[0][1:] == ("season:3", str(sent.result["message_id"]))
    assert [a.platform for a in game.announcements] == ["discord"]
