"""Keep the bot token (and webhook secret) out of every log line and logged traceback.

The Bot API puts the token in every request URL, and httpx logs those URLs at INFO level; PTB
logs request parameters (including the webhook secret) at DEBUG. A filter on one logger or
handler would miss records that reach handlers installed later (the CLI's, pytest's), so the
redaction hooks the log record factory instead: every record is cleaned when it is created,
whichever logger emits it and wherever it ends up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

MASK = "[REDACTED]"

_lock = threading.Lock()
_secrets: set[str] = set()
_installed_factory: Callable[..., logging.LogRecord] | None = None


def redact(text: str) -> str:
    """`text` with every registered secret (and its URL-quoted form) masked."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def contains_secret(text: str) -> bool:
    """Whether `text` would be changed by `redact` (cheap pre-check before formatting)."""
    return any(secret in text for secret in _secrets)


def register_secret(secret: str) -> None:
    """Mask `secret` in all log records from now on; installs the record hook on first use."""
    if not secret:
        return
    with _lock:
        _secrets.add(secret)
        quoted = quote(secret, safe="")
        if quoted != secret:
            _secrets.add(quoted)
        _install_record_factory()


def _install_record_factory() -> None:
    global _installed_factory
    current = logging.getLogRecordFactory()
    if current is _installed_factory:
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _scrub(record)
        return record

    _installed_factory = factory
    logging.setLogRecordFactory(factory)


def _scrub(record: logging.LogRecord) -> None:
    """Pre-render the message and traceback so formatters only ever see masked text."""
    if not _secrets:
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the logging module's problem, not ours
        return
    if contains_secret(message):
        record.msg = redact(message)
        record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        rendered = logging.Formatter().formatException(record.exc_info)
        if contains_secret(rendered):
            record.exc_text = redact(rendered)
    if record.stack_info and contains_secret(record.stack_info):
        record.stack_info = redact(record.stack_info)
