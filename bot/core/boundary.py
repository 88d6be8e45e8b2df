"""The one error boundary: what every front end does when handling something fails unexpectedly.

Telegram (an update), Discord (an event or interaction) and the web page (a request) each catch
what escaped their handler and call `failed` with it, so a crash reads the same everywhere: one
log record with its traceback (secrets masked by `bot.logs`, which scrubs every record's message
and traceback), one count in `selfiebot_errors_total{kind="internal"}`, and the catalogue's
`error.generic` sentence in the person's language. What the adapter does with that sentence (a
message, an alert on the pressed button, a problem page) is the platform's business; deciding
whether part of an answer already went out is too.
"""

from __future__ import annotations

import logging

from bot import metrics
from bot.core.i18n import Translator
from bot.logs import redact

log = logging.getLogger(__name__)

INTERNAL = "internal"
"""The `selfiebot_errors_total` kind of a failure nobody expected: a bug, or a dependency down."""


def failed(platform: str, what: str, error: BaseException, language: str | None) -> str:
    """Log and count one unexpected failure of `what` on `platform`; the sentence to answer with.

    `what` names the unit of work (`update 123`, `POST /api/score`) for the log; it may hold
    text from outside, so it is masked like the rest of the record.
    """
    log.error("%s failed on %s", redact(what), platform, exc_info=error)
    metrics.error(INTERNAL)
    return Translator(language)("error.generic")
