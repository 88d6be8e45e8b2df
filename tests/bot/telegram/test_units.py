"""Unit tests of the Telegram adapter's pure parts: translation, limits, retries, redaction."""

from __future__ import annotations

import logging
import socket
from typing import Any

import httpx
import pytest
from telegram import Message, ReactionTypeCustomEmoji, ReactionTypeEmoji
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, TimedOut

from bot.core.replies import Button
from bot.logs import MASK, redact, register_secret
from bot.telegram.adapter import RecentIds, download_limit
from bot.telegram.deliver import keyboard, split_text, visible_len
from bot.telegram.network import (
    NetworkHealth,
    ResilientRateLimiter,
    backoff_delays,
    is_retryable,
    with_retries,
)
from bot.telegram.translate import (
    ImageFile,
    NotAnImage,
    chat_ref,
    decode_button,
    encode_button,
    event_key,
    image_in,
    mentioned_people,
    parse_command,
    reaction_changes,
    sender_of_message,
)
from tests.netguard import NetGuard, NetworkAccessRefused

ANN = {"id": 11, "is_bot": False, "first_name": "Ann", "last_name": "Lee", "username": "ann"}
BOB = {"id": 12, "is_bot": False, "first_name": "Bob"}
GROUP = {"id": -100500, "type": "supergroup", "title": "Selfie Club"}


def message(**fields: Any) -> Message:
    data = {"message_id": 5, "date": 1_700_000_000, "chat": GROUP, "from": ANN, **fields}
    return Message.de_json(data, None)


def command(text: str, **fields: Any) -> Message:
    length = len(text.split()[0].encode("utf-16-le")) // 2
    entities = [{"type": "bot_command", "offset": 0, "length": length}]
    return message(text=text, entities=entities, **fields)


# --- translation --------------------------------------------------------------------------


def test_commands_are_parsed_for_this_bot_only() -> None:
    parsed = parse_command(command("/Top@Selfie_Bot  week  all"), "selfie_bot")
    assert parsed is not None and (parsed.name, parsed.args) == ("top", ("week", "all"))
    assert parse_command(command("/top@other_bot"), "selfie_bot") is None
    assert parse_command(message(text="hello /top"), "selfie_bot") is None


def test_command_arguments_survive_utf16_offsets() -> None:
    text = "/duel 😀 @bob"
    parsed = parse_command(command(text), "selfie_bot")
    assert parsed is not None and parsed.args == ("😀", "@bob")


def test_caption_commands_count() -> None:
    photo = [{"file_id": "p", "file_unique_id": "u", "width": 9, "height": 9}]
    captioned = message(
        photo=photo,
        caption="/rate",
        caption_entities=[{"type": "bot_command", "offset": 0, "length": 5}],
    )
    parsed = parse_command(captioned, "selfie_bot")
    assert parsed is not None and parsed.name == "rate"


def test_mentions_come_from_text_mentions_and_the_replied_author() -> None:
    replied = {"message_id": 4, "date": 1_700_000_000, "chat": GROUP, "from": BOB, "text": "hi"}
    text_mention = {"type": "text_mention", "offset": 6, "length": 3, "user": BOB}
    msg = message(text="/duel Bob", entities=[text_mention], reply_to_message=replied)
    people = mentioned_people(msg, bot_id=99)
    assert [(p.user_id, p.display_name) for p in people] == [("12", "Bob")]


def test_chat_and_sender_translation() -> None:
    msg = message(text="hi")
    sender = sender_of_message(msg)
    assert sender is not None and (sender.display_name, sender.username) == ("Ann Lee", "ann")
    ref = chat_ref(msg.chat)
    assert (ref.platform, ref.chat_id, ref.title, ref.is_private) == (
        "telegram",
        "-100500",
        "Selfie Club",
        False,
    )
    bot_message = message(text="hi", **{"from": {"id": 5, "is_bot": True, "first_name": "B"}})
    assert sender_of_message(bot_message) is None


def test_anonymous_admin_speaks_as_the_group() -> None:
    anonymous = {
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    msg = message(text="/resetseason", sender_chat=GROUP, **{"from": anonymous})
    sender = sender_of_message(msg)
    assert sender is not None and sender.user_id == "-100500"


def test_largest_photo_size_is_chosen() -> None:
    sizes = [
        {"file_id": "small", "file_unique_id": "a", "width": 90, "height": 90, "file_size": 900},
        {"file_id": "big", "file_unique_id": "b", "width": 1280, "height": 960, "file_size": 9000},
        {"file_id": "mid", "file_unique_id": "c", "width": 320, "height": 240, "file_size": 3000},
    ]
    assert image_in(message(photo=sizes)) == ImageFile("big", 9000, None, "image/jpeg")


@pytest.mark.parametrize(
    ("name", "mime", "expected"),
    [
        ("IMG_1.HEIC", None, ImageFile("d", 10, "IMG_1.HEIC", "image/heic")),
        ("selfie.png", "image/png", ImageFile("d", 10, "selfie.png", "image/png")),
        ("scan", "image/webp", ImageFile("d", 10, "scan", "image/webp")),
        ("cv.pdf", "application/pdf", NotAnImage("cv.pdf", "application/pdf")),
        ("notes.txt", "text/plain", NotAnImage("notes.txt", "text/plain")),
    ],
)
def test_documents_are_images_by_mime_or_extension(
    name: str, mime: str | None, expected: ImageFile | NotAnImage
) -> None:
    document: dict[str, Any] = {
        "file_id": "d",
        "file_unique_id": "u",
        "file_name": name,
        "file_size": 10,
    }
    if mime:
        document["mime_type"] = mime
    assert image_in(message(document=document)) == expected


def test_gif_animations_are_not_photos_and_text_has_no_image() -> None:
    animation = {
        "file_id": "a",
        "file_unique_id": "u",
        "width": 1,
        "height": 1,
        "duration": 1,
        "file_name": "fun.mp4",
        "mime_type": "video/mp4",
    }
    msg = message(animation=animation, document={**animation, "file_id": "a"})
    assert image_in(msg) == NotAnImage("fun.mp4", "video/mp4")
    assert image_in(message(text="hello")) is None


_MEDIUM = {"file_id": "m", "file_unique_id": "u", "duration": 3}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {"video": {**_MEDIUM, "width": 1, "height": 1, "file_name": "a.mov",
                       "mime_type": "video/quicktime"}},
            NotAnImage("a.mov", "video/quicktime"),
        ),
        ({"voice": {**_MEDIUM, "mime_type": "audio/ogg"}}, NotAnImage(None, "audio/ogg")),
        ({"audio": {**_MEDIUM, "file_name": "s.mp3"}}, NotAnImage("s.mp3", None)),
        ({"video_note": {**_MEDIUM, "length": 240}}, NotAnImage(None, "video/mp4")),
        (
            {"live_photo": {**_MEDIUM, "width": 1, "height": 1, "mime_type": "video/mp4"}},
            NotAnImage(None, "video/mp4"),
        ),
        (
            {"live_photo": {**_MEDIUM, "width": 1, "height": 1, "photo": [
                {"file_id": "still", "file_unique_id": "s", "width": 800, "height": 600},
                {"file_id": "thumb", "file_unique_id": "t", "width": 80, "height": 60},
            ]}},
            ImageFile("still", None, None, "image/jpeg"),
        ),
    ],
)  # fmt: skip
def test_other_media_are_named_files_and_live_photos_count_by_their_still(
    content: dict[str, Any], expected: ImageFile | NotAnImage
) -> None:
    assert image_in(message(**content)) == expected


def test_button_data_round_trips_within_64_bytes() -> None:
    data = encode_button("tips", "42")
    assert data == "tips:42" and decode_button(data) == ("tips", "42")
    assert decode_button("top:") == ("top", "")
    assert encode_button("duel_accept", "x" * 60) is None
    assert decode_button("garbage") is None and decode_button(None) is None


def test_keyboard_leaves_out_buttons_that_cannot_fit() -> None:
    markup = keyboard([Button("A", "tips", "1"), Button("B", "me", "é" * 40), Button("C", "top")])
    assert markup is not None
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels == ["A", "C"]
    assert keyboard([]) is None


def test_reaction_changes_list_removed_then_added() -> None:
    old = (ReactionTypeEmoji("🔥"), ReactionTypeEmoji("👍"))
    new = (ReactionTypeEmoji("👍"), ReactionTypeCustomEmoji("777"))
    assert reaction_changes(old, new) == [("🔥", False), ("custom:777", True)]
    assert [event_key(10, i) for i in range(3)] == ["10", "10.1", "10.2"]


# --- limits and splitting -----------------------------------------------------------------


def test_split_text_respects_telegram_length_in_utf16_units() -> None:
    text = "\n".join(f"**{i}** " + "😀" * 30 for i in range(100))
    chunks = split_text(text, 500)
    assert all(visible_len(c) <= 500 for c in chunks)
    assert "\n".join(chunks) == text
    assert visible_len("😀") == 2


def test_split_text_cuts_a_single_huge_line() -> None:
    line = "word " * 2000
    chunks = split_text(line, 4096)
    assert len(chunks) == 3 and all(visible_len(c) <= 4096 for c in chunks)
    assert "".join(chunks) == line, "cut at spaces, nothing lost"
    assert all(c.endswith("word") for c in chunks[:-1])


def test_download_limit_caps_the_official_server_only() -> None:
    assert download_limit(50_000_000, "https://api.telegram.org/") == 20_000_000
    assert download_limit(50_000_000, "http://127.0.0.1:8081") == 50_000_000
    assert download_limit(5_000_000, "https://api.telegram.org") == 5_000_000


def test_recent_ids_drop_repeats_and_forget_released_ones() -> None:
    seen = RecentIds(capacity=2)
    assert seen.claim(1) and not seen.claim(1)
    seen.release(1)
    assert seen.claim(1)
    assert seen.claim(2) and seen.claim(3)
    assert seen.claim(1), "the oldest id falls out of a full window"


# --- network ------------------------------------------------------------------------------


def _wrapped(exc: NetworkError, cause: BaseException) -> NetworkError:
    exc.__cause__ = cause
    return exc


def test_only_safe_failures_are_retried() -> None:
    refused = _wrapped(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused"))
    read_timeout = _wrapped(TimedOut(), httpx.ReadTimeout("slow"))
    assert is_retryable("sendPhoto", refused), "the request never left"
    assert not is_retryable("sendPhoto", NetworkError("Bad Gateway")), "it may have arrived"
    assert is_retryable("getFile", NetworkError("Bad Gateway")), "asking again is harmless"
    assert not is_retryable("sendPhoto", read_timeout), "it may have been posted already"
    assert is_retryable("getFile", read_timeout), "reading twice is harmless"
    assert not is_retryable("sendMessage", BadRequest("chat not found"))
    assert not is_retryable("sendMessage", Forbidden("blocked"))


def test_backoff_doubles_up_to_a_cap() -> None:
    assert backoff_delays(6, 0.5, 3.0) == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff_delays(1, 0.5, 3.0) == []


async def test_outage_is_logged_once_and_recovery_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram.network")
    health = NetworkHealth()
    failures = [_wrapped(NetworkError("ConnectError"), httpx.ConnectError("down"))] * 3

    async def flaky() -> str:
        if failures:
            raise failures.pop()
        return "ok"

    result = await with_retries(
        flaky, what="sendMessage", health=health, first_delay=0, retryable=lambda e: True
    )
    assert result == "ok" and not health.down
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]


async def test_an_error_answer_is_not_an_outage(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram.network")
    health = NetworkHealth()
    health.failed("getFile", NetworkError("Bad Gateway"))
    assert not health.down
    [record] = caplog.records
    assert "Telegram answered getFile with an error: NetworkError: Bad Gateway" in record.message
    assert "unreachable" not in caplog.text
    health.failed("getFile", TimedOut())
    assert health.down and "Telegram unreachable (getFile: TimedOut" in caplog.text


async def test_retries_give_up_with_the_last_error() -> None:
    async def broken() -> None:
        raise NetworkError("Bad Gateway")

    with pytest.raises(NetworkError):
        await with_retries(
            broken, what="x", health=NetworkHealth(), attempts=3, first_delay=0, retryable=bool
        )


# --- redaction ----------------------------------------------------------------------------


def test_secrets_are_masked_in_messages_args_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = "424242:UNIT-test-token-value"
    register_secret(token)
    logger = logging.getLogger("some.library")
    caplog.set_level(logging.DEBUG)
    logger.info("POST https://api.telegram.org/bot%s/getMe", token)
    try:
        raise ValueError(f"bad url /bot{token}/x")
    except ValueError:
        logger.exception("request failed")
    logger.debug("quoted %s", "424242%3AUNIT-test-token-value")
    assert token not in caplog.text and "424242%3AUNIT" not in caplog.text
    assert caplog.text.count(MASK) == 3
    assert redact(f"x{token}y") == f"x{MASK}y"


# --- the no-internet guard ----------------------------------------------------------------


async def test_guard_refuses_non_local_addresses(net_guard: NetGuard) -> None:
    with net_guard.expecting_refusals() as refused:
        async with httpx.AsyncClient() as client:
            with pytest.raises((NetworkAccessRefused, httpx.HTTPError)):
                await client.get("https://api.telegram.org/")
        with pytest.raises(NetworkAccessRefused):
            socket.create_connection(("1.1.1.1", 443), timeout=1)
        with socket.socket() as sock, pytest.raises(NetworkAccessRefused):
            sock.connect(("1.1.1.1", 443))
    assert refused == [
        "resolve 'api.telegram.org'",
        "resolve '1.1.1.1'",
        "connect ('1.1.1.1', 443)",
    ]


def test_a_second_poller_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    health = NetworkHealth()
    for _ in range(3):
        health.polling_error(Conflict("terminated by other getUpdates request"))
    [record] = caplog.records
    assert record.levelname == "ERROR" and "webhook mode" in record.getMessage()
    assert not health.down, "a conflict is not an outage"


async def test_chat_actions_do_not_spend_the_group_message_budget() -> None:
    limiter = ResilientRateLimiter(NetworkHealth())
    calls: list[str] = []

    async def callback(endpoint: str, data: dict[str, Any]) -> bool:
        calls.append(endpoint)
        return True

    for endpoint in ("sendChatAction", "getChatMember", "sendMessage"):
        data = {"chat_id": -100500}
        await limiter.process_request(callback, (endpoint, data), {}, endpoint, data, None)
    assert calls == ["sendChatAction", "getChatMember", "sendMessage"]
    assert list(limiter._group_limiters) == [-100500], "only the message used the group limiter"
