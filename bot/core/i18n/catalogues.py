"""Loading the gettext catalogues with Babel: the English source and one translation per language.

Each sentence is a gettext message whose context (`msgctxt`) is its key, whose `msgid` is the
English text (`msgid_plural` for counted sentences) and whose `msgstr` is the translation, so
translators' tools show the English next to what they write, and a sentence whose English
changes is flagged fuzzy by `pybabel update` instead of silently keeping a stale translation.

The `.po` sources are read with Babel and compiled in memory the first time a language is used
(a few milliseconds each), so there is no compiled file to forget to rebuild; gettext then does
the lookups, including each language's plural rule from the catalogue's `Plural-Forms` header.
Untranslated or fuzzy entries fall back to the English `msgid`. Babel is imported on first use,
so commands that never speak (`selfiebot --help`, settings checks) don't pay for it.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from bot.core.i18n.languages import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
SOURCE_PATH = LOCALES_DIR / f"{DOMAIN}.pot"


@dataclass(frozen=True)
class Source:
    """One English sentence: its text, and its plural form when the sentence counts something."""

    singular: str
    plural: str | None = None


def po_path(code: str) -> Path:
    """Where the translation of one language lives."""
    return LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


@cache
def english() -> Mapping[str, Source]:
    """Every sentence of the game by key, in English: the reference every language follows."""
    sources: dict[str, Source] = {}
    for message in read_catalog(SOURCE_PATH, DEFAULT_LANGUAGE):
        if not message.id or message.context is None:
            continue
        if isinstance(message.id, str):
            sources[message.context] = Source(message.id)
        else:  # a plural: (singular, plural)
            sources[message.context] = Source(message.id[0], message.id[1])
    return MappingProxyType(sources)


@cache
def translations(code: str) -> gettext.NullTranslations:
    """The compiled catalogue of one language; English is the source itself."""
    from babel.messages.mofile import write_mo
    from babel.support import Translations

    if code == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    compiled = BytesIO()
    write_mo(compiled, read_catalog(po_path(code), code))
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
