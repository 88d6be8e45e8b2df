"""Keep the bot token (and interaction tokens in webhook URLs) out of every log line.

discord.py never logs the token on purpose, but its debug lines include request URLs, and
interaction/webhook URLs carry a token in the path; tracebacks can include either. A filter on
the library's loggers rewrites each record before any handler formats it, so whatever handler
the operator configures only ever sees redacted text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "***"

# /webhooks/<id>/<token> and /interactions/<id>/<token>: the token is the second path segment.
_URL_TOKEN = re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9._\-]+")


class RedactingFilter(logging.Filter):
    """Replaces known secrets and URL-embedded tokens in a record's message and traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _URL_TOKEN.sub(rf"\g<1>{REDACTED}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def install_redaction(
    secrets: Iterable[str], prefixes: tuple[str, ...] = ("discord", "bot.discord")
) -> None:
    """Attach one filter to every logger under `prefixes`.

    Logger filters only see records created by that exact logger, so each module logger of
    discord.py gets the filter; they all exist once `discord` is imported.
    """
    redactor = RedactingFilter(secrets)
    names = [
        name
        for name in list(logging.Logger.manager.loggerDict)
        if any(name == p or name.startswith(p + ".") for p in prefixes)
    ]
    for name in [*prefixes, *names]:
        logger = logging.getLogger(name)
        for existing in [f for f in logger.filters if isinstance(f, RedactingFilter)]:
            logger.removeFilter(existing)
        logger.addFilter(redactor)
