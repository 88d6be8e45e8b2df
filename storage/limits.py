"""The bounds stored values must respect, in one place.

Chat settings have ranges that the settings file, the admin commands and the store all apply:
each reads them from here, so a value accepted at start-up is never refused at the first photo.
Text from platforms (names, titles, handles) is cut to its column's length here, once, before
it is written: PostgreSQL refuses an over-long value where SQLite would silently keep it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Column, String


@dataclass(frozen=True)
class Bounds:
    """An inclusive integer range."""

    low: int
    high: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.low <= value <= self.high

    def describe(self, unit: str) -> str:
        """`between 1 and 1000 photos`, for error messages meant for operators."""
        return f"between {self.low} and {self.high} {unit}"


SEASON_DAYS = Bounds(1, 365)
RATE_LIMIT_PHOTOS = Bounds(1, 1000)
RATE_LIMIT_WINDOW_MINUTES = Bounds(1, 7 * 24 * 60)
LANGUAGE_CODE_LENGTH = Bounds(1, 16)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def fit(column: Column[str] | Column[str | None], value: str | None) -> str | None:
    """`value` as the column can hold it: control characters (line breaks included) become one
    space, surrounding blanks go, and the text is cut to the column's length without splitting
    a character in two (the cut is in code points, which is what both databases count)."""
    if value is None:
        return None
    cleaned = _CONTROL.sub(" ", unicodedata.normalize("NFC", value)).strip()
    length = column.type.length if isinstance(column.type, String) else None
    if length is not None and len(cleaned) > length:
        cleaned = cleaned[:length].rstrip()
    return cleaned
