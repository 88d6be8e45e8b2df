"""`Store`: the game's database, one repository per aggregate.

Each aggregate keeps its queries in its own module (`storage.people`, `storage.submissions`,
`storage.standings`, `storage.seasons`, `storage.badges`, `storage.duels`, `storage.reactions`,
`storage.outbox`, `storage.updates`, `storage.claims`, `storage.privacy`, `storage.taste`); the
store owns the engine and hands them one `Runner`, so `store.transaction` can run several
aggregates' work in one commit.

Correctness never rests on process-local state: uniqueness comes from constraints, "exactly
once" from conditional UPDATEs that only one racer can win, so several bot processes can share
one PostgreSQL database. Every `now`/`created_at` argument is optional (defaults to the current
UTC time) so tests can drive the clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.badges import Badges
from storage.claims import LastPhotos, UpdateClaims
from storage.duels import Duels
from storage.engine import create_engine
from storage.migrate import upgrade
from storage.outbox import Outbox
from storage.people import Chats, Users
from storage.privacy import Privacy
from storage.reactions import Reactions
from storage.runner import Runner
from storage.seasons import Seasons
from storage.standings import Standings
from storage.submissions import Submissions
from storage.taste import TasteStore
from storage.updates import Updates

T = TypeVar("T")


class Store:
    """The game's database. Open with `await Store.open(url)`; close with `await store.close()`.

    Ids in and out are the store's own integer ids (`UserRecord.id`, `ChatRecord.id`); platform
    ids are only used to find or create users and chats.
    """

    def __init__(self, engine: AsyncEngine, runner: Runner | None = None) -> None:
        """Wrap an engine made by `storage.engine.create_engine`; prefer `Store.open`."""
        self._engine = engine
        self.runner = runner or Runner(engine)
        self.users = Users(self.runner)
        self.chats = Chats(self.runner)
        self.submissions = Submissions(self.runner)
        self.standings = Standings(self.runner)
        self.seasons = Seasons(self.runner)
        self.badges = Badges(self.runner)
        self.duels = Duels(self.runner)
        self.reactions = Reactions(self.runner)
        self.outbox = Outbox(self.runner)
        self.updates = Updates(self.runner)
        self.privacy = Privacy(self.runner)
        self.taste = TasteStore(self.runner)
        self.claims = UpdateClaims(self.runner)
        self.last_photos = LastPhotos(self.runner)

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, echo: bool = False) -> Store:
        """Connect and, unless `migrate` is False, bring the schema to the newest revision.

        SQLite (`sqlite+aiosqlite:///path`): the parent folder is created, WAL mode, foreign keys
        and a busy timeout are set, and writes take the lock up front (BEGIN IMMEDIATE) so
        concurrent writers queue instead of failing with "database is locked".
        PostgreSQL (`postgresql+asyncpg://...`): several processes may open it at once;
        migrations are serialised with an advisory lock.
        """
        engine = create_engine(url, echo=echo)
        store = cls(engine)
        if migrate:
            try:
                await upgrade(engine)
            except BaseException:
                await engine.dispose()
                raise
        return store

    async def transaction(self, work: Callable[[Store], Awaitable[T]], *, ahead: bool = False) -> T:
        """Run `work` with a store whose every call shares one write transaction.

        The whole of `work` runs again on a transient error (lock contention, serialization
        failure), so it must only touch the database. `ahead`: a short transaction that work
        waits on, run before the writes queued in this process (on SQLite, `Runner.atomic`).
        """

        async def bound(runner: Runner) -> T:
            return await work(Store(self._engine, runner))

        return await self.runner.atomic(bound, ahead=ahead)

    async def close(self) -> None:
        """Release every connection."""
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for health checks and tools that run their own SQL."""
        return self._engine

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._engine.dialect.name
