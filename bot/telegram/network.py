"""network: flood control and network resilience for every Bot API call.

PTB's `AIORateLimiter` throttles requests and honours `RetryAfter` (flood control); it does not
retry network failures. `ResilientRateLimiter` adds that, with exponential back-off, and a
`NetworkHealth` that logs an outage once when it starts and once when it ends instead of one
traceback per failed attempt.

Retrying a request that may already have reached Telegram could post a message twice, so a
failure is retried only when the request certainly did not take effect (the connection never
opened) or the method is harmless to repeat. A timeout or a 5xx after the request was sent is
ambiguous (Telegram may have posted it, a proxy may have lost the answer): such a send is never
repeated. Flood control (`RetryAfter`) is honoured by `AIORateLimiter`.

"Telegram unreachable" means the network failed (no connection, a timeout); Telegram answering
one method with an error status is logged as that, and does not mark an outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import httpx
from telegram.error import BadRequest, Conflict, NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

T = TypeVar("T")

_REPEATABLE_PREFIXES = ("get", "set", "delete", "answerCallbackQuery", "sendChatAction")
UNTHROTTLED = frozenset(
    {"getMe", "getFile", "getChatMember", "sendChatAction", "answerCallbackQuery", "setMyCommands"}
)
"""Calls that post nothing in a chat: Telegram's flood limits count messages, and letting
these draw on a group's 20-messages-a-minute budget would delay the replies themselves."""
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class NetworkHealth:
    """Remembers whether Telegram is reachable, so each outage is logged exactly once."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self._logger = logger
        self._down = False
        self._conflict_reported = False

    @property
    def down(self) -> bool:
        return self._down

    def failed(self, what: str, exc: BaseException) -> None:
        """A call failed: an outage when the network did, else Telegram's answer to one call."""
        if not is_network_failure(exc):
            self._logger.warning("Telegram answered %s with an error: %s", what, _describe(exc))
            return
        if not self._down:
            self._down = True
            self._logger.warning(
                "Telegram unreachable (%s: %s); retrying with back-off", what, _describe(exc)
            )

    def recovered(self) -> None:
        if self._down:
            self._down = False
            self._logger.info("Telegram reachable again")

    def polling_error(self, exc: TelegramError) -> None:
        """`Updater.start_polling(error_callback=...)`: replaces PTB's per-failure traceback."""
        if isinstance(exc, Conflict):
            if not self._conflict_reported:
                self._conflict_reported = True
                self._logger.error(
                    "Another process is polling Telegram with this bot token (%s); run a single "
                    "poller, or use webhook mode (SELFIEBOT_TELEGRAM_WEBHOOK_URL) for several.",
                    exc,
                )
            return
        self.failed("getUpdates", exc)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def is_network_failure(exc: BaseException) -> bool:
    """The network failed (PTB wraps httpx's transport errors, timeouts included), as opposed
    to Telegram answering with an error status (PTB raises those without a cause)."""
    return isinstance(exc, TimedOut) or isinstance(exc.__cause__, httpx.TransportError)


def is_retryable(endpoint: str, exc: BaseException) -> bool:
    """Whether `endpoint` may be called again after `exc` without risking a duplicate effect:
    a harmless method after any network or server failure, anything else only when the
    request provably never left (no connection)."""
    if not isinstance(exc, NetworkError) or isinstance(exc, BadRequest):
        return False
    if endpoint.startswith(_REPEATABLE_PREFIXES):
        return True
    return isinstance(exc.__cause__, _NOT_SENT)


def backoff_delays(attempts: int, first: float, cap: float) -> list[float]:
    """Waits between `attempts` tries: doubling from `first`, never above `cap`."""
    return [min(cap, first * 2**i) for i in range(max(0, attempts - 1))]


async def with_retries(
    action: Callable[[], Awaitable[T]],
    *,
    what: str,
    health: NetworkHealth,
    attempts: int = 4,
    first_delay: float = 0.5,
    max_delay: float = 8.0,
    retryable: Callable[[BaseException], bool],
) -> T:
    """Run `action`, retrying failures `retryable` accepts; the last failure propagates."""
    delays = backoff_delays(attempts, first_delay, max_delay)
    attempt = 0
    while True:
        try:
            result = await action()
        except Exception as exc:
            if attempt >= len(delays) or not retryable(exc):
                raise
            health.failed(what, exc)
            await asyncio.sleep(delays[attempt])
            attempt += 1
        else:
            health.recovered()
            return result


class ResilientRateLimiter(AIORateLimiter):
    """`AIORateLimiter` (throttling, `RetryAfter`) plus back-off retries of network failures."""

    def __init__(
        self,
        health: NetworkHealth,
        *,
        max_retries: int = 3,
        network_attempts: int = 4,
        first_delay: float = 0.5,
        max_delay: float = 8.0,
    ) -> None:
        super().__init__(max_retries=max_retries)
        self._health = health
        self._attempts = network_attempts
        self._first_delay = first_delay
        self._max_delay = max_delay

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        async def once() -> bool | dict[str, Any] | list[dict[str, Any]]:
            if endpoint in UNTHROTTLED:
                return await callback(*args, **kwargs)
            return await super(ResilientRateLimiter, self).process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

        return await with_retries(
            once,
            what=endpoint,
            health=self._health,
            attempts=self._attempts,
            first_delay=self._first_delay,
            max_delay=self._max_delay,
            retryable=lambda exc: is_retryable(endpoint, exc),
        )
