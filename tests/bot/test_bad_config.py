"""Bad configuration and over-long names: refused at start with a sentence naming the setting,
or cut to fit, never accepted and then failing on every request."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from bot.settings import Settings, SettingsError, get_settings
from storage import Store
from storage.limits import RATE_LIMIT_PHOTOS, RATE_LIMIT_WINDOW_MINUTES, SEASON_DAYS
from storage.records import ChatSettings
from tests.conftest import ROOT
from tests.storage.support import BACKENDS, database_url

BOUNDED = {
    "season_days": SEASON_DAYS,
    "rate_limit_photos": RATE_LIMIT_PHOTOS,
    "rate_limit_window_minutes": RATE_LIMIT_WINDOW_MINUTES,
}


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path):
    opened = await Store.open(await database_url(request.param, tmp_path))
    yield opened
    await opened.close()


@pytest.mark.parametrize("field", sorted(BOUNDED))
async def test_every_accepted_chat_default_is_one_the_store_accepts(
    store: Store, field: str, tmp_path
) -> None:
    """The settings file and the store apply the same ranges: the largest value the settings
    accept makes a chat, one more is refused before the service starts."""
    bounds = BOUNDED[field]
    highest = Settings(data_dir=tmp_path, **{field: bounds.high})
    chat = await store.chats.upsert(
        "web", "highest", defaults=ChatSettings(**{field: getattr(highest, field)})
    )
    assert getattr(chat.settings, field) == bounds.high
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, **{field: bounds.high + 1})
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, **{field: bounds.low - 1})
    with pytest.raises(ValueError, match=f"between {bounds.low} and {bounds.high}"):
        await store.chats.upsert("web", "over", defaults=ChatSettings(**{field: bounds.high + 1}))


def test_bad_settings_become_one_sentence_each_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SELFIEBOT_RATE_LIMIT_PHOTOS", "5000")
    monkeypatch.setenv("SELFIEBOT_LOG_LEVEL", "chatty")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:do-not-print")
    monkeypatch.setenv("SELFIEBOT_TELEGRAM_WEBHOOK_PORT", "70000")
    get_settings.cache_clear()
    with pytest.raises(SettingsError) as caught:
        get_settings()
    get_settings.cache_clear()
    assert set(str(caught.value).splitlines()) == {
        "The setting SELFIEBOT_TELEGRAM_WEBHOOK_PORT is invalid: "
        "input should be less than or equal to 65535 (got '70000').",
        "The setting SELFIEBOT_RATE_LIMIT_PHOTOS is invalid: "
        "input should be less than or equal to 1000 (got '5000').",
        "The setting SELFIEBOT_LOG_LEVEL is invalid: "
        "must be DEBUG, INFO, WARNING, ERROR or CRITICAL (got 'chatty').",
    }
    assert "do-not-print" not in str(caught.value)


def test_the_service_refuses_to_start_with_a_setting_it_cannot_apply(tmp_path) -> None:
    """`selfiebot web` with a rate limit the store would refuse: exit 2 before binding or
    loading anything, one line on stderr naming the variable."""
    done = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "web", "--port", "1"],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "HOME": str(tmp_path),
            "SELFIEBOT_RATE_LIMIT_PHOTOS": "1001",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "The setting SELFIEBOT_RATE_LIMIT_PHOTOS is invalid: "
        "input should be less than or equal to 1000 (got '1001')."
    ]


async def test_long_and_multi_line_names_are_cut_to_their_columns(store: Store) -> None:
    """A 300-character name used to be a PostgreSQL error; now every text column is cut to its
    length in one place, and line breaks inside a name become spaces."""
    long_name = "Ä" * 300
    user = await store.users.upsert(
        "telegram", "1", long_name, username="@" + "h" * 100, language="x" * 40
    )
    assert user.display_name == "Ä" * 255
    assert user.username == "h" * 64
    assert user.language == "x" * 16
    again = await store.users.upsert("telegram", "1", "Ann\nIGNORE\tTHIS\r\n")
    assert again.id == user.id and again.display_name == "Ann IGNORE THIS"
    chat = await store.chats.upsert("telegram", "-5", title="T" * 400)
    assert chat.title == "T" * 255
    found = await store.users.find_by_username("telegram", "h" * 64)
    assert found is not None and found.id == user.id
