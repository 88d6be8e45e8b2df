"""`selfiebot play` reacts to photos (`react:EMOJI:PHOTO`) and asks `/whatworks`, so the group
taste can be tried from a terminal."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.terminal.play import group_inputs
from tests.conftest import SELFIES_DEV, needs_shared

pytestmark = needs_shared


def play(*args: str) -> str:
    result = CliRunner().invoke(app, ["play", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_react_items_are_inputs_of_their_own():
    assert group_inputs(["/whatworks", "react:❤️:me.jpg", "/top", "taste"]) == [
        "/whatworks",
        "react:❤️:me.jpg",
        "/top taste",
    ]


def test_reactions_in_play_teach_the_chat_its_taste(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SELFIEBOT_TASTE_MIN_RATED_PHOTOS", "3")
    monkeypatch.setenv("SELFIEBOT_TASTE_SETTLE_HOURS", "0")
    photos = [str(p) for p in sorted(SELFIES_DEV.glob("*.jpg"))[:4]]
    chat = ["--chat", "friends"]
    play(*chat, "--user", "ann", *photos[:2])
    play(*chat, "--user", "cid", *photos[2:])
    before = play(*chat, "--user", "bob", "/whatworks")
    assert "Not enough to go on yet" in before and "there are 0" in before
    play(*chat, "--user", "bob", *(f"react:❤️:{p}" for p in photos[:3]))
    after = play(*chat, "--user", "bob", "/whatworks", "/top", "taste")
    assert "What works here, from 4 rated photos" in after
    assert "this group's taste" in after
