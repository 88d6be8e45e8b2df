"""Render the core's light markup (`**bold**`, `` `code` ``) for each platform."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_CODE = re.compile(r"`([^`]+)`")


def to_telegram_html(text: str) -> str:
    """Telegram's HTML parse mode: escape everything, then turn markup into tags."""
    escaped = html.escape(text, quote=False)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _CODE.sub(r"<code>\1</code>", escaped)


def to_discord(text: str) -> str:
    """Discord already speaks this subset of Markdown."""
    return text


def to_plain(text: str) -> str:
    """Terminal and alt text: markup removed."""
    return _CODE.sub(r"\1", _BOLD.sub(r"\1", text))
