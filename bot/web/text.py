"""The page's wording: every sentence the web adapter shows comes from the game's catalogue.

One translator in the catalogue's reference language; templates get it as the `t` global, and
the small script gets its sentences through `data-msg-*` attributes, so no text lives in code.
"""

from __future__ import annotations

from bot.core.i18n import Translator

t = Translator()
