"""`selfiebot play`: the real core on the embedded database, driven like a user would."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.core.commands import ButtonAction
from bot.core.replies import Button, Reply
from bot.terminal.play import Player, Printer, group_inputs
from tests.conftest import needs_shared
from tests.paths import TEST_DATA

DATA = TEST_DATA
ASTRONAUT = str(DATA / "astronaut.jpg")
ROCKET = str(DATA / "rocket.jpg")


def play(*args: str) -> str:
    result = CliRunner().invoke(app, ["play", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_words_after_a_command_are_its_arguments() -> None:
    assert group_inputs([ASTRONAUT, "/top", "week", "/duel", "@ann", "press:me"]) == [
        ASTRONAUT,
        "/top week",
        "/duel @ann",
        "press:me",
    ]
    with pytest.raises(FileNotFoundError, match=r"No such photo: missing\.jpg"):
        group_inputs(["missing.jpg"])


def test_missing_photo_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["play", "--user", "ann", "missing.jpg"])
    assert result.exit_code == 1
    assert "No such photo: missing.jpg" in result.output


def test_a_missing_absolute_path_is_a_missing_photo_not_a_command(tmp_path: Path) -> None:
    missing = str(tmp_path / "me.jpg")
    with pytest.raises(FileNotFoundError, match="No such photo"):
        group_inputs([missing])
    result = CliRunner().invoke(app, ["play", "--user", "ann", missing])
    assert result.exit_code == 1
    assert f"No such photo: {missing}" in result.output
    assert "I don't know" not in result.output


@needs_shared
def test_play_scores_saves_the_card_and_prints_buttons_as_commands(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = play("--chat", "fam", "--user", "ann", ASTRONAUT, "/top", "week", "--out", str(out))
    assert "ann: 28/100 · Keep trying" in first  # plain text: markup removed
    assert "**" not in first
    assert f"[💡 Tips] -> selfiebot play --chat fam --user ann {ASTRONAUT} /tips" in first
    assert "Leaderboard · this week" in first
    saved = sorted(p.name for p in out.iterdir())
    assert saved == ["01-result.png", "02-leaderboard.png"]
    # State persists in the embedded database between invocations.
    second = play("--chat", "fam", "--user", "bob", ROCKET, "/top", "all")
    assert "couldn't find a face" in second
    assert "1. ann · 28" in second
    assert "You have no score in this period yet" in second


@needs_shared
def test_play_admin_flag_and_confirmation_buttons() -> None:
    refused = play("--chat", "fam", "--user", "ann", "/duels", "off")
    assert "Only chat admins" in refused
    assert "Duels are off" in play("--chat", "fam", "--user", "ann", "--admin", "/duels", "off")
    ask = play("--chat", "fam", "--user", "ann", "/forgetme")
    assert "(only you)" in ask
    assert "-> selfiebot play --chat fam --user ann press:forget_confirm:ann" in ask
    assert "deleted everywhere" in play(
        "--chat", "fam", "--user", "ann", "press:forget_confirm:ann"
    )


@needs_shared
def test_duel_buttons_are_printed_for_the_challenged_person() -> None:
    play("--chat", "arena", "--user", "bob", "/help")  # bob has written here
    challenge = play("--chat", "arena", "--user", "ann", "/duel", "@bob")
    assert "ann challenges bob to a duel" in challenge
    assert "-> selfiebot play --chat arena --user bob press:duel_accept:" in challenge
    line = next(x for x in challenge.splitlines() if "press:duel_accept:" in x)
    accepted = play("--chat", "arena", "--user", "bob", line.split()[-1])
    assert "Duel on: ann vs bob" in accepted


async def test_an_edit_is_printed_again_marked_as_the_edit_of_its_message() -> None:
    """Printed lines cannot change: the terminal's `Transport.edit` prints the new version."""
    printer = Printer(Player("c", "ann"), None)
    await printer.send(Reply("Scores just in"))
    second = await printer.send(Reply("Second", buttons=(Button("Me", ButtonAction.ME),)))
    assert await printer.edit(second, Reply("Second, edited"))
    assert printer.printed[-2:] == ["(edited message 2) Second, edited", ""]
    assert "Second" in printer.printed, "the original stays printed above"
    assert not await printer.edit("never-sent", Reply("nothing"))
    assert printer.printed[-2] == "(edited message 2) Second, edited"
