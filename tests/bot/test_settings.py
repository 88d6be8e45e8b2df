"""The settings object: `.env.example` is complete and loads as a `.env` as shipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import ROOT


def _env_names(field_name: str) -> set[str]:
    field = Settings.model_fields[field_name]
    alias = field.validation_alias
    if alias is not None:
        return {str(choice) for choice in alias.choices}
    return {f"SELFIEBOT_{field_name.upper()}"}


def test_every_setting_is_documented_in_env_example() -> None:
    text = (ROOT / ".env.example").read_text()
    undocumented = [
        name for name in Settings.model_fields if not any(env in text for env in _env_names(name))
    ]
    assert undocumented == []


def test_env_example_copied_to_dotenv_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SELFIEBOT_POPULARITY_MODEL", raising=False)
    settings = Settings()
    assert settings.telegram_bot_token is None
    assert settings.discord_dev_guild_id is None
    assert settings.web_port == 8000


def test_dotenv_values_are_read_and_tokens_stay_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=123:abc\nSELFIEBOT_WEB_PORT=9001\n")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.web_port == 9001
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)


def test_embedded_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'selfiebot.db'}"
