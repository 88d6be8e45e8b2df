"""One redaction for every logger: registered secrets and Discord's URL tokens are masked in
messages, arguments and tracebacks, whichever logger (ours, a library's) and handler (the root
handlers of `selfiebot run`, pytest's capture) they reach; libraries stay quiet."""

from __future__ import annotations

import io
import logging

import pytest

from bot import logs
from bot.serve import register_secrets
from tests.bot.web.support import web_settings

DISCORD_TOKEN = "MTAxNjYx.discord-token-for-the-logs-test"


@pytest.fixture
def root_stream():
    """A root handler like the one `selfiebot run` installs, restored afterwards."""
    root = logging.getLogger()
    saved = (
        root.handlers[:],
        root.level,
        {n: logging.getLogger(n).level for n in logs.QUIET_LOGGERS},
    )
    stream = io.StringIO()
    root.handlers = [logging.StreamHandler(stream)]
    yield stream
    root.handlers, root.level = saved[0], saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_the_discord_token_in_a_debug_traceback_is_masked_everywhere(
    root_stream: io.StringIO, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    logs.configure("DEBUG")
    register_secrets(web_settings(tmp_path, discord_bot_token=DISCORD_TOKEN))
    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError(f"login failed for Bot {DISCORD_TOKEN}")
    except RuntimeError as error:
        logging.getLogger("selfiebot.serve").debug("%s traceback", "Discord bot", exc_info=error)
    logging.getLogger("discord.webhook").debug(
        "POST %s", "https://discord.com/api/v10/interactions/123/aW50ZXJhY3Rpb24.tok-en/callback"
    )
    for shown in (root_stream.getvalue(), caplog.text):
        assert DISCORD_TOKEN not in shown and "aW50ZXJhY3Rpb24.tok-en" not in shown
        assert shown.count(logs.MASK) == 2, shown
        assert "RuntimeError: login failed for Bot" in shown, "the traceback itself is kept"
    assert all(
        any(isinstance(f, logs.RedactingFilter) for f in handler.filters)
        for handler in logging.getLogger().handlers
    )


def test_quoted_secrets_and_stack_info_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    logs.register_secret("424242:unit/secret")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("some.library").info("GET /bot424242%3Aunit%2Fsecret/getMe", stack_info=True)
    assert "unit%2Fsecret" not in caplog.text and logs.MASK in caplog.text
    assert logs.redact("x424242:unit/secrety") == f"x{logs.MASK}y"


def test_httpx_request_lines_are_quiet_after_start_up(root_stream: io.StringIO) -> None:
    logs.configure("INFO")
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/... 200 OK")
    logging.getLogger("httpx").warning("HTTP Request failed")
    assert "200 OK" not in root_stream.getvalue()
    assert "HTTP Request failed" in root_stream.getvalue()
