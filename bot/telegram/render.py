"""render: the core's markup as Telegram HTML (parse mode HTML), literals escaped.

Telegram's HTML parse mode is chosen over MarkdownV2 because only `<`, `>` and `&` need
escaping, so a person's name can never open a tag; the core's `**bold**` and `` `code` ``
become `<b>` and `<code>`.
"""

from __future__ import annotations

import html

from bot.core.markup import convert_marks, render


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _markup(text: str) -> str:
    return convert_marks(
        _escape(text),
        bold=lambda inner: f"<b>{inner}</b>",
        code=lambda inner: f"<code>{inner}</code>",
    )


def to_telegram_html(text: str) -> str:
    """Escape everything, then turn the core's markup into tags."""
    return render(text, markup=_markup, escape=_escape)
