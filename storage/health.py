"""Whether the database answers, for the web page's readiness check (`/readyz`)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def ping(engine: AsyncEngine) -> None:
    """One trivial round trip; raises what the driver raises when the database is unreachable."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
