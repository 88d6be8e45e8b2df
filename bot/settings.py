"""The one typed settings object: every knob comes from the environment or `.env`, nowhere else.

Modules never read `os.environ` themselves; they receive a `Settings` (or the values they need)
so tests can build one explicitly and nothing depends on import-time state.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from inference.config import AnalyzerConfig
from models.config import ModelPaths
from storage.limits import RATE_LIMIT_PHOTOS, RATE_LIMIT_WINDOW_MINUTES, SEASON_DAYS

APP_NAME = "selfiebot"


class SettingsError(ValueError):
    """Settings the code cannot run with: one sentence per bad setting, naming it, for the
    person who configured it (the service refuses to start rather than fail on each request)."""


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def _default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


class Settings(BaseSettings):
    """All configuration; names map to `SELFIEBOT_<NAME>` unless an alias says otherwise."""

    model_config = SettingsConfigDict(
        env_prefix="SELFIEBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    # --- models and inference -------------------------------------------------------------
    popularity_model: Path | None = Field(
        default=None,
        description="Popularity model: an .h5 (converted on first use) or .onnx file. "
        "Empty: the model cached by `selfiebot models fetch` / `models import`.",
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    inference_threads: int = Field(default=1, ge=1, description="Intra-op threads per session.")
    inference_workers: int = Field(
        default=2, ge=1, description="Worker threads for the async analyzer wrapper."
    )
    max_image_pixels: int = Field(
        default=40_000_000, ge=1, description="Photos with more pixels are refused."
    )
    malloc_arenas: int = Field(
        default=2,
        ge=0,
        le=64,
        description="glibc malloc arenas for `selfiebot run`/`web` (0: glibc's default, 8 per "
        "core); 2 keeps the web process near its working set under load.",
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1, description="Largest photo file accepted, in bytes."
    )

    # --- storage ----------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL. Empty: SQLite file `selfiebot.db` in data_dir.",
    )

    # --- game defaults ----------------------------------------------------------------------
    season_days: int = Field(
        default=7,
        ge=SEASON_DAYS.low,
        le=SEASON_DAYS.high,
        description="Default season length for new chats.",
    )
    rate_limit_photos: int = Field(default=10, ge=RATE_LIMIT_PHOTOS.low, le=RATE_LIMIT_PHOTOS.high)
    rate_limit_window_minutes: int = Field(
        default=10, ge=RATE_LIMIT_WINDOW_MINUTES.low, le=RATE_LIMIT_WINDOW_MINUTES.high
    )
    duplicate_hamming_distance: int = Field(default=6, ge=0, le=64)
    duel_hours: int = Field(default=24, ge=1)
    leaderboard_size: int = Field(default=10, ge=1, le=50, description="Lines on a board.")
    default_language: str = Field(
        default="en",
        description="Language a new group chat starts in until an admin sets one with /language "
        "(en, es, pt-br, ru, de, fr, it, tr, id); personal replies follow each person's own.",
    )
    tips_photo_ttl_minutes: int = Field(
        default=24 * 60,
        ge=1,
        description="How long after a photo /tips still works: chats keep the platform's "
        "handle and fetch the photo again; the web page keeps the photo in memory.",
    )
    tips_cache_size: int = Field(
        default=200, ge=1, description="Most photos the web page keeps in memory for /tips."
    )
    streak_reminders: bool = Field(
        default=True, description="Remind chats of streaks that end at midnight UTC."
    )
    streak_reminder_hour: int = Field(
        default=18, ge=0, le=23, description="UTC hour after which streak reminders go out."
    )
    taste_min_rated_photos: int = Field(
        default=30,
        ge=1,
        description="Rated photos a chat needs before results show its group taste and "
        "/whatworks and /top taste answer (benchmarks/bench_group_taste.py).",
    )
    taste_settle_hours: float = Field(
        default=24.0,
        ge=0,
        description="A photo without reactions counts as rated (nobody reacted) once this old.",
    )

    # --- Telegram ---------------------------------------------------------------------------
    telegram_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "SELFIEBOT_TELEGRAM_BOT_TOKEN"),
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org",
        validation_alias=AliasChoices("TELEGRAM_API_BASE_URL", "SELFIEBOT_TELEGRAM_API_BASE_URL"),
    )
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
    telegram_concurrent_updates: int = Field(
        default=8, ge=1, description="Telegram updates handled at once (photos are downloaded)."
    )
    telegram_announce_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often due season results and duel outcomes are fetched and sent.",
    )

    # --- Discord ----------------------------------------------------------------------------
    discord_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_BOT_TOKEN", "SELFIEBOT_DISCORD_BOT_TOKEN"),
    )
    discord_dev_guild_id: int | None = Field(
        default=None,
        description="Sync slash commands to this guild only (instant, for development).",
    )
    discord_admin_role: str | None = Field(
        default=None,
        description="Role name (or id) that may use admin commands besides Manage Server.",
    )
    discord_defer_after_seconds: float = Field(
        default=1.5,
        ge=0,
        le=2.5,
        description="Answer an interaction directly if the work is done within this time, "
        "otherwise defer it (Discord allows 3 s before the first response).",
    )
    discord_announce_interval_seconds: int = Field(
        default=60, ge=5, description="How often due announcements are fetched and posted."
    )
    discord_shard_count: int | None = Field(
        default=None,
        ge=1,
        description="Total shards across all processes; empty: Discord's recommendation.",
    )
    discord_shard_ids: list[int] | None = Field(
        default=None,
        description="Shards this process runs, e.g. [0,1] (needs discord_shard_count); "
        "empty: all of them.",
    )

    # --- web page ---------------------------------------------------------------------------
    web_host: str = Field(default="127.0.0.1", description="Address the web page listens on.")
    web_port: int = Field(default=8000, ge=1, le=65535, description="Port of the web page.")
    web_concurrent_uploads: int = Field(
        default=2,
        ge=1,
        le=256,
        description="Uploads read and scored at once by the web process; others wait before "
        "their body is read, which bounds memory (the analyzer's workers set the pace).",
    )
    web_cookie_secure: bool = Field(
        default=False,
        description="Send the page's player cookies over HTTPS only (set when served via HTTPS).",
    )

    # --- reliability ------------------------------------------------------------------------
    update_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How long a process owns a platform update it claimed; a copy arriving "
        "later is retaken only if its owner died before replying.",
    )
    platform_retry_max_seconds: float = Field(
        default=300.0,
        ge=1,
        description="Longest wait between attempts to (re)start a bot whose platform is "
        "unreachable; the web page and the other bot keep serving meanwhile.",
    )

    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if not isinstance(logging.getLevelName(value.upper()), int):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @field_validator("default_language")
    @classmethod
    def _spoken_language(cls, value: str) -> str:
        from bot.core.i18n.languages import normalize, supported_languages

        code = normalize(value)
        if code is None:
            raise ValueError(f"must be one of {', '.join(supported_languages())}")
        return code

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'selfiebot.db'}"

    def model_paths(self) -> ModelPaths:
        """Where the model layer looks for the popularity model (it never reads Settings)."""
        return ModelPaths(cache_dir=self.cache_dir, popularity_model=self.popularity_model)

    def analyzer_config(self) -> AnalyzerConfig:
        """What the analyzer loads and how much of the machine it uses (inference never reads
        Settings)."""
        return AnalyzerConfig(
            models=self.model_paths(),
            intra_op_threads=self.inference_threads,
            workers=self.inference_workers,
            max_pixels=self.max_image_pixels,
            max_bytes=self.max_upload_bytes,
        )


def _setting_name(location: tuple[int | str, ...]) -> str:
    """The variable a person sets for a field: its alias, else `SELFIEBOT_<NAME>`."""
    field = str(location[0]) if location else "?"
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"SELFIEBOT_{field.upper()}"


def _sentence(error: dict[str, Any]) -> str:
    name = _setting_name(error["loc"])
    reason = str(error["msg"]).removeprefix("Value error, ")
    reason = reason[:1].lower() + reason[1:]
    shown = error.get("input")
    secret = "token" in name.lower() or "secret" in name.lower()
    got = "" if secret or isinstance(shown, dict) else f" (got {shown!r})"
    return f"The setting {name} is invalid: {reason}{got}."


def describe_invalid(error: ValidationError) -> str:
    """One sentence per bad setting, each naming the environment variable to fix."""
    return "\n".join(_sentence(dict(item)) for item in error.errors())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment and `.env`.

    Raises `SettingsError` (one sentence per bad setting) instead of pydantic's report.
    """
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(describe_invalid(error)) from None
