"""Who is playing on the web page: a random player id and a nickname, both kept in cookies.

The page has no accounts. The player id is an unguessable random token, so nobody can post
photos as someone else by typing their nickname; the nickname is only the name shown on the
board (two browsers may pick the same one, like two Telegram users with the same first name).
Everyone on the page plays in one shared chat, the web board.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import TypeGuard
from urllib.parse import quote, unquote

from bot.core.events import ChatRef, Sender
from bot.web.text import t

PLATFORM = "web"
WEB_CHAT = ChatRef(platform=PLATFORM, chat_id="web", title="Web", is_private=False)

PLAYER_COOKIE = "selfiebot_player"
NICKNAME_COOKIE = "selfiebot_nickname"
COOKIE_MAX_AGE = 365 * 24 * 3600
NICKNAME_MAX = 24

_PLAYER_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SPACES = re.compile(r"\s+")


class NicknameError(ValueError):
    """A nickname that cannot be shown on the board; the message says why, for the person."""


@dataclass(frozen=True)
class Player:
    """The person behind a browser.

    `returning`: the id came from this browser's cookie (they may be on the board already).
    `save`: the cookies must be (re)written, because the player is new or was renamed.
    """

    player_id: str
    nickname: str
    returning: bool = True
    save: bool = False

    @property
    def sender(self) -> Sender:
        return Sender(PLATFORM, self.player_id, self.nickname, language=t.language)


def new_player_id() -> str:
    return secrets.token_urlsafe(18)


def is_valid_token(value: str | None) -> TypeGuard[str]:
    """Player ids and idempotency keys share one shape: 16-64 URL-safe characters."""
    return bool(value and _PLAYER_ID.match(value))


def guest_name(player_id: str) -> str:
    """A stable default name, so a player who never picks one still has a readable board line."""
    number = int(hashlib.sha256(player_id.encode()).hexdigest()[:8], 16) % 10000
    return t("web.guest", number=f"{number:04d}")


def clean_nickname(raw: str) -> str:
    """The nickname as it will be shown: trimmed, single-spaced, printable, at most 24 chars."""
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    if not name:
        raise NicknameError(t("web.nickname.empty"))
    if len(name) > NICKNAME_MAX:
        raise NicknameError(t("web.nickname.too_long", max=NICKNAME_MAX))
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise NicknameError(t("web.nickname.control"))
    return name


def player_from_cookies(cookies: dict[str, str]) -> Player:
    """The returning player, or a new one with a guest name when the cookies are absent."""
    player_id = cookies.get(PLAYER_COOKIE)
    if not is_valid_token(player_id):
        fresh = new_player_id()
        return Player(fresh, guest_name(fresh), returning=False, save=True)
    assert player_id is not None
    try:
        nickname = clean_nickname(unquote(cookies.get(NICKNAME_COOKIE, "")))
    except NicknameError:
        return Player(player_id, guest_name(player_id), save=True)
    return Player(player_id, nickname)


def nickname_cookie_value(nickname: str) -> str:
    """Percent-encoded, because cookie values are ASCII and nicknames need not be."""
    return quote(nickname, safe="")


def with_nickname(player: Player, raw: str | None) -> Player:
    """The player renamed when the form carries a (different) nickname; blank keeps the old."""
    if raw is None or not raw.strip():
        return player
    nickname = clean_nickname(raw)
    if nickname == player.nickname:
        return player
    return Player(player.player_id, nickname, player.returning, save=True)
