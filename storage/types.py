"""Column types that make both databases hand back the same Python values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_SIGN_BIT = 1 << 63
_WORD = 1 << 64


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out.

    SQLite has no time zones: values are stored as naive UTC text (fixed width, so text order is
    time order) and come back aware. PostgreSQL stores `timestamptz`. Naive input is refused
    rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: storage needs timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=UTC)
        return stored.astimezone(UTC)


def phash_to_db(value: int | None) -> int | None:
    """An unsigned 64-bit hash as the signed BIGINT both databases can hold."""
    if value is None:
        return None
    if not 0 <= value < _WORD:
        raise ValueError("perceptual hash must be an unsigned 64-bit integer")
    return value - _WORD if value >= _SIGN_BIT else value


@overload
def phash_from_db(value: int) -> int: ...
@overload
def phash_from_db(value: None) -> None: ...
def phash_from_db(value: int | None) -> int | None:
    """The stored signed BIGINT back as the unsigned hash the analyzer produced."""
    if value is None:
        return None
    return value + _WORD if value < 0 else value
