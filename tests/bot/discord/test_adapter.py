"""The Discord adapter's translation, run through the real discord.py client offline.

Raw gateway payloads go through `ConnectionState.parsers` (as the gateway would deliver them),
every HTTP call lands on the local `FakeDiscord`, and a scripted game stands in for the core so
each test can pin down exactly which event the adapter produced and how a given reply renders.
The end-to-end tests with the real game are in test_discord_e2e.py.
"""

from __future__ import annotations

import io
import logging
import socket

import pytest
from PIL import Image

from bot.core.commands import ButtonAction
from bot.core.events import ButtonEvent, ChatRef, CommandEvent, Event, PhotoEvent, ReactionEvent
from bot.core.i18n import Translator
from bot.core.replies import Announcement, Attachment, Button, Reply
from bot.discord.adapter import SelfieBotClient
from bot.discord.render import BRAND_COLOUR, message_parts
from bot.logs import MASK, RedactingFilter, register_secret
from tests.fakes.discord.harness import (
    ANN,
    BOB,
    TOKEN,
    ScriptedGame,
    bot,
    discord_settings,
    fake_discord,
    logged_in,
)
from tests.fakes.discord.people import ADMIN_ROLE_ID, CHANNEL_ID, GUILD_ID, DiscordWorld
from tests.fakes.discord.server import FakeDiscord
from tests.netguard import NetGuard, NetworkAccessRefused

__all__ = ["bot", "fake_discord"]


def _png(color: tuple[int, int, int] = (200, 120, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def game() -> ScriptedGame:
    return ScriptedGame()


async def test_login_syncs_all_commands_globally_with_admin_gating(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    commands = {c["name"]: c for c in fake_discord.synced_commands["global"]}
    expected = {"score", "top", "me", "tips", "duel", "privacy", "forgetme", "export", "help"}
    assert expected | {"whatworks"} <= set(commands)
    for admin in ("resetseason", "seasonlength", "ratelimit", "language", "duels", "autoscore"):
        assert int(commands[admin]["default_member_permissions"]) == 32  # Manage Server
        assert commands[admin]["contexts"] == [0]  # servers only
    assert commands["score"]["options"][0]["type"] == 11  # attachment
    assert [c["value"] for c in commands["top"]["options"][0]["choices"]] == [
        "week",
        "season",
        "all",
        "taste",
    ]
    assert fake_discord.unhandled == []


async def test_slash_commands_carry_every_languages_descriptions(
    bot: tuple[SelfieBotClient, DiscordWorld], fake_discord: FakeDiscord
) -> None:
    """Discord shows each person the menu in their client's language (`description_localizations`,
    from the catalogue through `app_commands.Translator`); names stay the same everywhere."""
    commands = {c["name"]: c for c in fake_discord.synced_commands["global"]}
    top = commands["top"]
    assert top["description"] == Translator("en")("command.top")
    assert top["description_localizations"]["es-ES"] == Translator("es")("command.top")
    assert top["description_localizations"]["es-419"] == Translator("es")("command.top")
    assert top["description_localizations"]["pt-BR"] == Translator("pt_BR")("command.top")
    for locale in ("ru", "de", "fr", "it", "tr", "id"):
        assert top["description_localizations"][locale] == Translator(locale)("command.top")
    assert "en-US" not in top["description_localizations"], "English is the default"
    assert "ja" not in top["description_localizations"], "no guessing for other languages"
    (photo,) = commands["score"]["options"]
    russian = Translator("ru")("discord.option.photo")
    assert photo["description_localizations"]["ru"] == russian
    assert all(not c.get("name_localizations") for c in commands.values())


async def test_dev_guild_gets_the_commands_instantly(
    fake_discord: FakeDiscord, game: ScriptedGame
) -> None:
    async with logged_in(fake_discord, game, discord_settings(discord_dev_guild_id=GUILD_ID)):
        assert "global" not in fake_discord.synced_commands
        names = {c["name"] for c in fake_discord.synced_commands[str(GUILD_ID)]}
        assert {"score", "autoscore"} <= names


async def test_top_becomes_a_command_event_and_the_reply_an_embed_with_buttons(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    game.script = lambda event: [
        Reply(
            "**Leaderboard**\n1. Ann 80",
            buttons=(Button("💡 Tips", ButtonAction.TIPS), Button("🏆", ButtonAction.TOP, "week")),
            tag="update:1",
        )
    ]
    _, world = bot
    world.slash("top", ANN, [{"name": "window", "type": 3, "value": "week"}])
    await world.settle()

    (event,) = game.events
    assert isinstance(event, CommandEvent)
    assert (event.name, event.args) == ("top", ("week",))
    assert event.chat == ChatRef("discord", str(CHANNEL_ID), "Selfie Club #selfies", False, "en-US")
    assert (event.sender.user_id, event.sender.username) == (str(ANN.id), "ann")
    assert event.sender.display_name == "Ann"
    assert event.sender.language == "en-US", "the client's locale; the core picks the language"
    (message,) = fake_discord.visible()
    assert message.kind == "response" and not message.ephemeral
    assert message.embeds[0]["description"] == "**Leaderboard**\n1. Ann 80"
    assert [b["custom_id"] for b in message.buttons] == ["tips:", "top:week"]
    assert game.sent == [(event.chat, "update:1", str(message.id))]


async def test_private_replies_are_ephemeral(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    game.script = lambda event: [
        Reply("Your data", attachments=(Attachment(b"{}", "export.json", "application/json"),),
              private=True)
    ]  # fmt: skip
    _, world = bot
    world.slash("export", ANN)
    await world.settle()
    (message,) = fake_discord.visible()
    assert message.ephemeral
    assert [(f.filename, f.data) for f in message.files] == [("export.json", b"{}")]
    assert "image" not in message.embeds[0]


async def test_privacy_is_answered_ephemerally_even_when_the_core_answers_in_public(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    game.script = lambda event: [Reply("🔒 **Privacy**\nStored: ...", tag="update:p")]
    _, world = bot
    world.slash("privacy", ANN)
    world.slash("top", ANN)
    await world.settle()
    privacy, top = fake_discord.visible()
    assert privacy.ephemeral and privacy.text.startswith("🔒 **Privacy**")
    assert not top.ephemeral, "other answers keep the core's visibility"
    assert game.sent[0][1:] == ("update:p", str(privacy.id)), "still reported as answered"


async def test_a_refused_card_is_sent_as_the_text_version(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    game.script = lambda event: [
        Reply(
            "**Ann**: **73/100** · Great shot",
            attachments=(Attachment(_png(), "result.png", "image/png", "Result card"),),
            buttons=(Button("💡 Tips", ButtonAction.TIPS),),
            tag="submission:1",
        )
    ]
    fake_discord.refuse_uploads = 2
    game.auto_channels.add(str(CHANNEL_ID))
    _, world = bot
    world.slash_score(ANN, world.attachment_json("me.png", _png(), "image/png"))
    world.post(ANN, [world.attachment_json("b.png", _png(), "image/png")])
    await world.settle()
    for message in fake_discord.visible():
        assert message.files == [] and "image" not in message.embeds[0]
        assert "73/100" in message.text and [b["custom_id"] for b in message.buttons] == ["tips:"]
    assert fake_discord.refuse_uploads == 0 and len(fake_discord.visible()) == 2
    assert [tag for _, tag, _ in game.sent] == ["submission:1"] * 2, "both reported as sent"


async def test_score_downloads_the_attachment_and_shows_the_card_in_the_embed(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    card = _png((10, 200, 10))
    game.script = lambda event: [
        Reply(
            "**Ann**: **73/100** · Great shot\nExpression: 😀 happy (91%)",
            attachments=(Attachment(card, "result.png", "image/png", "Result card"),),
            buttons=(Button("💡 Tips", ButtonAction.TIPS),),
            tag="submission:1",
            data={"score": 73, "rank": 1, "previous_rank": None, "badges": []},
        )
    ]
    _, world = bot
    photo = _png()
    world.slash_score(ANN, world.attachment_json("me.png", photo, "image/png"))
    await world.settle()

    (event,) = game.events
    assert isinstance(event, PhotoEvent)
    assert (event.photo, event.filename, event.mime_type) == (photo, "me.png", "image/png")
    (message,) = fake_discord.visible()
    embed = message.embeds[0]
    assert embed["title"] == "Ann: 73/100 · Great shot"
    assert embed["description"] == "Expression: 😀 happy (91%)"
    assert embed["image"]["url"] == "attachment://result.png"
    assert [(f.filename, f.data) for f in message.files] == [("result.png", card)]
    assert game.sent[0][1:] == ("submission:1", str(message.id))


@pytest.mark.parametrize(
    ("filename", "content_type", "size", "expected"),
    [
        ("notes.pdf", "application/pdf", None, "isn't a picture"),
        ("huge.jpg", "image/jpeg", 50 * 1024 * 1024, "too big (50 MB); the limit is 20 MB"),
    ],
)
async def test_score_refuses_before_downloading(
    bot: tuple[SelfieBotClient, DiscordWorld],
    game: ScriptedGame,
    fake_discord: FakeDiscord,
    filename: str,
    content_type: str,
    size: int | None,
    expected: str,
) -> None:
    _, world = bot
    world.slash_score(ANN, world.attachment_json(filename, b"%PDF-1.4", content_type, size))
    await world.settle()
    assert game.events == []
    assert fake_discord.downloads == []
    (message,) = fake_discord.visible()
    assert message.ephemeral
    assert expected in message.text and filename in message.text


def _closed_port() -> int:
    """A loopback port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_attachment_the_cdn_cannot_deliver_gets_a_send_again_reply(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    game.auto_channels.add(str(CHANNEL_ID))
    _, world = bot
    unreachable = f"http://127.0.0.1:{_closed_port()}/cdn/gone.png"

    def broken(filename: str) -> dict[str, object]:
        attachment = world.attachment_json(filename, _png(), "image/png")
        return {**attachment, "url": unreachable, "proxy_url": unreachable}

    world.slash_score(ANN, broken("slash.png"))
    await world.settle()
    world.post(ANN, [broken("posted.png")])
    await world.settle()

    assert game.events == [], "nothing reached the game"
    answered, posted = fake_discord.visible()
    t = Translator("en")
    assert answered.ephemeral and answered.text == t("upload.download_failed", filename="slash.png")
    assert posted.kind == "channel"
    assert posted.text == t("upload.download_failed", filename="posted.png")


async def test_admin_numbers_are_left_for_the_core_to_check(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    _, world = bot
    options = [
        {"name": "photos", "type": 4, "value": 10},
        {"name": "minutes", "type": 4, "value": 2880},
    ]
    world.slash("ratelimit", ANN, options, admin=True)
    await world.settle()

    (event,) = game.events
    assert isinstance(event, CommandEvent)
    assert (event.name, event.args) == ("ratelimit", ("10", "2880"))
    synced = {c["name"]: c for c in fake_discord.synced_commands["global"]}
    for name in ("ratelimit", "seasonlength"):
        for option in synced[name]["options"]:
            assert "min_value" not in option and "max_value" not in option, (name, option)


async def test_slow_work_is_deferred_then_replaces_the_thinking_message(
    fake_discord: FakeDiscord, game: ScriptedGame
) -> None:
    game.hold = fake_discord.deferred.wait  # the work finishes only once it was deferred
    async with logged_in(fake_discord, game, discord_settings(discord_defer_after_seconds=0)) as (
        _,
        world,
    ):
        world.slash("me", ANN)
        await world.settle()
    callback = fake_discord.calls("POST", r"/interactions/\d+/.+/callback")[0]
    assert callback.json["type"] == 5  # deferred, "thinking…"
    assert fake_discord.calls("PATCH", r"/webhooks/\d+/.+/messages/@original")
    (message,) = fake_discord.visible()
    assert message.text == "ok" and not message.ephemeral


async def test_deferred_private_reply_to_a_public_command_is_not_shown_to_everyone(
    fake_discord: FakeDiscord, game: ScriptedGame
) -> None:
    game.script = lambda event: [Reply("Send a photo first.", private=True)]
    game.hold = fake_discord.deferred.wait
    async with logged_in(fake_discord, game, discord_settings(discord_defer_after_seconds=0)) as (
        _,
        world,
    ):
        world.slash("tips", ANN)
        await world.settle()
    assert fake_discord.calls("DELETE", r"/webhooks/\d+/.+/messages/@original")
    (message,) = fake_discord.visible()
    assert message.ephemeral and message.text == "Send a photo first."


async def test_button_press_becomes_a_button_event(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    game.script = lambda event: [
        Reply("card", buttons=(Button("🏆", ButtonAction.TOP, "season"),), tag="a")
    ]
    _, world = bot
    world.slash("me", ANN)
    await world.settle()
    (card,) = fake_discord.visible()
    game.script = lambda event: [Reply("the board", tag="b")]
    world.press(card, "top:season", BOB)
    await world.settle()

    event = game.events[-1]
    assert isinstance(event, ButtonEvent)
    assert (event.action, event.payload) == ("top", "season")
    assert (event.sender.user_id, event.message_id) == (str(BOB.id), str(card.id))
    assert fake_discord.visible()[-1].text == "the board"


@pytest.mark.parametrize(
    ("admin", "roles", "role_setting", "expected"),
    [
        (False, (), None, False),
        (True, (), None, True),
        (False, (ADMIN_ROLE_ID,), "Selfie Admin", True),
        (False, (ADMIN_ROLE_ID,), str(ADMIN_ROLE_ID), True),
        (False, (ADMIN_ROLE_ID,), None, False),
    ],
)
async def test_is_admin_checks_manage_server_or_the_configured_role(
    fake_discord: FakeDiscord,
    game: ScriptedGame,
    admin: bool,
    roles: tuple[int, ...],
    role_setting: str | None,
    expected: bool,
) -> None:
    settings = discord_settings(discord_admin_role=role_setting)
    async with logged_in(fake_discord, game, settings) as (_, world):
        world.slash("duels", ANN, [{"name": "state", "type": 3, "value": "off"}], admin=admin,
                    roles=roles)  # fmt: skip
        await world.settle()
    assert game.admin_answers == [expected]
    assert game.events[0].args == ("off",)  # type: ignore[union-attr]


async def test_attachments_in_channels_that_did_not_opt_in_are_not_even_downloaded(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    _, world = bot
    world.post(ANN, [world.attachment_json("me.png", _png(), "image/png")])
    await world.settle()
    assert game.events == [] and fake_discord.downloads == [] and fake_discord.visible() == []


async def test_opted_in_channel_scores_images_and_refuses_other_files(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    game.auto_channels.add(str(CHANNEL_ID))
    game.script = lambda event: [Reply("scored", tag="s")]
    _, world = bot
    photo = _png()
    attachment = world.attachment_json("me.png", photo, "image/png")
    message_id = world.post(ANN, [attachment])
    await world.settle()
    (event,) = game.events
    assert isinstance(event, PhotoEvent) and event.photo == photo
    assert event.update_id == f"{message_id}:{attachment['id']}"
    assert event.message_id == str(message_id)
    (reply,) = fake_discord.visible()
    assert (reply.kind, reply.reference_id, reply.text) == ("channel", message_id, "scored")
    assert fake_discord.calls("POST", rf"/channels/{CHANNEL_ID}/typing")

    world.post(ANN, [world.attachment_json("song.mp3", b"ID3", "audio/mpeg")])
    await world.settle()
    assert len(game.events) == 1 and len(fake_discord.downloads) == 1
    assert "song.mp3** isn't a picture" in fake_discord.visible()[-1].text


async def test_a_channel_photo_fences_each_reply_and_stops_when_the_claim_is_lost(
    bot: tuple[SelfieBotClient, DiscordWorld],
    game: ScriptedGame,
    fake_discord: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Like Telegram, the channel path asks the fence before every reply (send_and_record):
    once another process owns the update, the replies not yet sent are left to it."""
    game.auto_channels.add(str(CHANNEL_ID))
    game.script = lambda event: [Reply("card", tag="s"), Reply("badge", tag="b")]
    fenced: list[str] = []

    async def owned_for_one_reply(platform: str, update_id: str) -> bool:
        fenced.append(update_id)
        return len(fenced) == 1

    monkeypatch.setattr(game, "reply_starting", owned_for_one_reply)
    _, world = bot
    attachment = world.attachment_json("me.png", _png(), "image/png")
    message_id = world.post(ANN, [attachment])
    await world.settle()
    assert fenced == [f"{message_id}:{attachment['id']}"] * 2
    assert [m.text for m in fake_discord.visible()] == ["card"]
    assert [tag for _, tag, _ in game.sent] == ["s"]


async def test_a_photo_sent_by_dm_is_scored_without_opt_in(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    _, world = bot
    world.post(ANN, [world.attachment_json("me.png", _png(), "image/png")], dm=True)
    await world.settle()
    (event,) = game.events
    assert isinstance(event, PhotoEvent) and event.chat.is_private
    assert event.chat.chat_id == str(fake_discord.dm_channels[ANN.id])
    assert [m.kind for m in fake_discord.visible()] == ["dm"]


async def test_private_reply_to_a_channel_message_goes_by_dm_or_in_place(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    game.auto_channels.add(str(CHANNEL_ID))
    game.script = lambda event: [Reply("slow down", private=True, tag="r")]
    _, world = bot
    world.post(ANN, [world.attachment_json("a.png", _png(), "image/png")])
    await world.settle()
    fake_discord.dm_closed.add(BOB.id)
    world.post(BOB, [world.attachment_json("b.png", _png(), "image/png")])
    await world.settle()
    assert [m.kind for m in fake_discord.visible()] == ["dm", "channel"]


async def test_reactions_on_bot_messages_become_reaction_events(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame
) -> None:
    game.script = lambda event: []
    _, world = bot
    world.react(123, ANN, "🔥")
    world.react(123, ANN, "🔥", added=False)
    await world.settle()
    added, removed = game.events
    assert isinstance(added, ReactionEvent) and isinstance(removed, ReactionEvent)
    assert (added.emoji, added.message_id, added.added) == ("🔥", "123", True)
    assert removed.added is False
    assert added.update_id != removed.update_id


async def test_announcements_are_posted_to_their_channel(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    client, _ = bot
    game.announcements = [
        Announcement("discord", str(CHANNEL_ID), Reply("🏆 Season over", tag="season:1"))
    ]
    assert await client.announcer.poll_once() == 1
    (message,) = fake_discord.visible()
    assert (message.channel_id, message.text) == (CHANNEL_ID, "🏆 Season over")
    assert game.sent == [(ChatRef("discord", str(CHANNEL_ID)), "season:1", str(message.id))]


async def test_an_announcement_the_bot_may_not_post_does_not_stop_the_others(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    client, _ = bot
    fake_discord.no_access_channels.add(42)
    game.announcements = [
        Announcement("discord", "42", Reply("lost")),
        Announcement("discord", str(CHANNEL_ID), Reply("delivered")),
    ]
    assert await client.announcer.poll_once() == 1
    assert [m.text for m in fake_discord.visible()] == ["delivered"]


async def test_a_failing_core_gets_a_private_apology_not_silence(
    bot: tuple[SelfieBotClient, DiscordWorld], game: ScriptedGame, fake_discord: FakeDiscord
) -> None:
    def broken(event: Event) -> list[Reply]:
        raise RuntimeError("database is down")

    game.script = broken
    _, world = bot
    world.slash("me", ANN)
    await world.settle()
    (message,) = fake_discord.visible()
    assert message.ephemeral and "Something went wrong" in message.text


async def test_tokens_never_reach_the_logs(
    fake_discord: FakeDiscord, game: ScriptedGame, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with logged_in(fake_discord, game, discord_settings()) as (_, world):
        token = world.slash("me", ANN)
        await world.settle()
    assert fake_discord.visible()  # the flow ran, with discord.py's debug logging on
    assert "callback" in caplog.text
    assert TOKEN not in caplog.text
    assert token not in caplog.text


def test_redacting_filter_masks_secrets_in_messages_args_and_tracebacks() -> None:
    register_secret("s3cret")
    redactor = RedactingFilter()
    try:
        raise ValueError("bad token s3cret")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "discord.http", logging.ERROR, __file__, 1, "url %s", ("/webhooks/1/abc.def/x",),
            sys.exc_info(),
        )  # fmt: skip
    redactor.filter(record)
    assert record.getMessage() == f"url /webhooks/1/{MASK}/x"
    assert "s3cret" not in (record.exc_text or "") and MASK in (record.exc_text or "")


async def test_the_network_guard_blocks_the_real_discord(
    fake_discord: FakeDiscord, net_guard: NetGuard
) -> None:
    with net_guard.expecting_refusals() as refused:
        with pytest.raises(NetworkAccessRefused):
            socket.getaddrinfo("discord.com", 443)
        with socket.socket() as sock, pytest.raises(NetworkAccessRefused):
            sock.connect(("162.159.128.233", 443))
    assert refused == ["resolve 'discord.com'", "connect ('162.159.128.233', 443)"]


def test_render_names_files_safely_and_shows_the_first_picture() -> None:
    png = _png()
    reply = Reply(
        "x" * 5000,
        attachments=(
            Attachment(b"{}", "données.json", "application/json"),
            Attachment(png, "card.png", "image/png"),
            Attachment(png, "card.png", "image/png"),
        ),
    )
    parts = message_parts(reply)
    assert [f.filename for f in parts.files] == ["donn_es.json", "card.png", "2_card.png"]
    assert parts.embed.image.url == "attachment://card.png"
    assert parts.embed.description is not None and len(parts.embed.description) == 4096
    assert parts.embed.title is None and parts.view is None


def test_render_titles_a_score_reply_and_turns_buttons_into_custom_ids() -> None:
    reply = Reply(
        "**Ann**: **91/100** · Superstar\nRank **#1**",
        buttons=(Button("Tips", ButtonAction.TIPS), Button("Top", ButtonAction.TOP, "all")),
        data={"score": 91},
    )
    parts = message_parts(reply)
    assert (parts.embed.title, parts.embed.description) == (
        "Ann: 91/100 · Superstar",
        "Rank **#1**",
    )
    assert parts.embed.colour is not None and parts.embed.colour.value != BRAND_COLOUR.value
    assert parts.view is not None
    assert [item.custom_id for item in parts.view.children] == ["tips:", "top:all"]  # type: ignore[attr-defined]
