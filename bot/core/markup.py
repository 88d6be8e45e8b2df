"""The core's light markup (`**bold**`, `` `code` ``, literals), platform-neutral.

Each platform renders it its own way with `render`: Telegram HTML in `bot.telegram.render`,
Discord Markdown in `bot.discord.render`, the web page's HTML in `bot.web.views`; the core only
marks text, it never writes a platform's markup.

Text people chose (names, chat titles, file names) is wrapped with `literal` where the core
puts it into a sentence. A literal is never read as markup: each platform escapes it its own
way (HTML entities on Telegram and the web, Markdown and mention escapes on Discord), so a
nickname like `[free nitro](https://evil.ex/a)`, `**`, `||` or `@everyone` shows as typed and
cannot turn into a link, bold text, a spoiler or a ping.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_CODE = re.compile(r"`([^`]+)`")

# Private-use code points delimit literals; nothing a platform sends can forge them because
# `literal` removes them from the text it wraps. Text cut in the middle of a literal (a long
# caption) treats the rest as literal; a stray closing mark is dropped.
_OPEN, _CLOSE = "\ue000", "\ue001"
_LITERAL = re.compile(f"{_OPEN}([^{_OPEN}{_CLOSE}]*)(?:{_CLOSE}|$)")
_HOLE = re.compile("\ue002([0-9]+)\ue003")
_MARKS = re.compile(f"[{_OPEN}{_CLOSE}\ue002\ue003]")
# Line breaks and other control characters inside a name would break line-based layouts
# (boards, the web's per-line rendering); they show as one space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def literal(text: str | None) -> str:
    """`text` marked as typed by a person: shown verbatim, never interpreted as markup."""
    plain = _CONTROL.sub(" ", _MARKS.sub("", text or ""))
    return f"{_OPEN}{plain}{_CLOSE}"


def render(text: str, *, markup: Callable[[str], str], escape: Callable[[str], str]) -> str:
    """`markup` turns the core's own text into the platform's; `escape` makes each literal
    inert. Literals are set aside while `markup` runs, so bold around a name still works."""
    held: list[str] = []
    text = text.replace("\ue002", "").replace("\ue003", "")

    def hold(match: re.Match[str]) -> str:
        held.append(escape(match.group(1)))
        return f"\ue002{len(held) - 1}\ue003"

    template = _LITERAL.sub(hold, text).replace(_CLOSE, "")
    return _HOLE.sub(lambda match: held[int(match.group(1))], markup(template))


def convert_marks(text: str, *, bold: Callable[[str], str], code: Callable[[str], str]) -> str:
    """The core's own marks (`**bold**`, `` `code` ``) in `text` turned into a platform's, each
    mark's content passed through `bold` or `code`: the building block of a platform's
    `markup` for `render`."""
    return _CODE.sub(lambda m: code(m.group(1)), _BOLD.sub(lambda m: bold(m.group(1)), text))


def strip_markup(text: str) -> str:
    """The core's own text without its markup (a `markup` for `render`)."""
    return convert_marks(text, bold=lambda inner: inner, code=lambda inner: inner)


def inline_literals(text: str) -> str:
    """The core's markup kept, literals inlined as typed: what the core wrote, for tests and
    logs that read its own wording."""
    return render(text, markup=lambda own: own, escape=lambda typed: typed)


def to_plain(text: str) -> str:
    """Terminal, alt text, alerts and lengths: markup removed, literals as typed."""
    return render(text, markup=strip_markup, escape=lambda s: s)
