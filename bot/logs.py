"""Logging for the whole product: one format, quiet libraries, and one redaction of secrets.

Secrets (bot tokens, the webhook secret) are registered here by whoever holds them, and one
`RedactingFilter` masks them, and the interaction/webhook tokens Discord puts in URL paths, in
every record's message, arguments, traceback and stack. The filter sits on the root logger's
handlers (installed once at start-up by `configure`), and also runs when each record is created,
so handlers attached later (pytest's capture, a library's own) and records that never reach the
root handlers only ever see masked text too: no logger, library or traceback is left out.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

MASK = "[REDACTED]"

_URL_TOKEN = re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9._\-]+")
"""/webhooks/<id>/<token> and /interactions/<id>/<token>: Discord's per-interaction tokens."""

QUIET_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "alembic.runtime.plugins": logging.WARNING,
}
"""httpx logs every request at INFO (python-telegram-bot recommends WARNING); Alembic announces
each plugin it imports. Start-up noise and one line per API call are not news."""

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Mask `secret` (and its URL-quoted form) in every log record from now on."""
    if not secret:
        return
    with _lock:
        _secrets.add(secret)
        quoted = quote(secret, safe="")
        if quoted != secret:
            _secrets.add(quoted)
    _install_record_hook()


def redact(text: str) -> str:
    """`text` with every registered secret and URL-embedded token masked."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return _URL_TOKEN.sub(rf"\g<1>{MASK}", text)


class RedactingFilter(logging.Filter):
    """Renders a record's message and traceback once, masked, so formatters see only that."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub(record)
        return True


def scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is reported by logging itself
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


_FILTER = RedactingFilter()
_hooked_factory: Callable[..., logging.LogRecord] | None = None


def _install_record_hook() -> None:
    """Scrub every record as it is created, whichever logger and handler it goes to."""
    global _hooked_factory
    with _lock:
        current = logging.getLogRecordFactory()
        if current is _hooked_factory:
            return

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = current(*args, **kwargs)
            scrub(record)
            return record

        _hooked_factory = factory
        logging.setLogRecordFactory(factory)


def configure(level: str) -> None:
    """Start-up: timestamped lines on stderr (unless the process set logging up), the level,
    quiet libraries, and the redacting filter on every root handler."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root.setLevel(level.upper())
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet)
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    _install_record_hook()
