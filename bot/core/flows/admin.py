"""Chat settings: `/settings` for everyone, and the admin-only commands that change them.

Admin rights are the platform's business: the adapter's `is_admin()` is asked only here,
because it costs an API call.
"""

from __future__ import annotations

from bot.core.context import Services, Turn, update_tag
from bot.core.events import CommandEvent
from bot.core.flows.seasons import current_season, rollover
from bot.core.i18n import BY_CODE, Translator, normalize, supported_languages
from bot.core.render import amount
from bot.core.replies import Reply
from bot.core.rules import RATE_LIMIT_PHOTOS, RATE_LIMIT_WINDOW_MINUTES, SEASON_DAYS

ADMIN_COMMANDS = frozenset(
    {"resetseason", "seasonlength", "ratelimit", "language", "duels", "autoscore"}
)


async def admin(svc: Services, turn: Turn, event: CommandEvent) -> list[Reply]:
    """Run an admin command, after the platform confirms the sender is a chat admin."""
    if not turn.chat.is_private and not await event.is_admin():
        return [_say(turn, turn.t("admin.refused", name=event.name))]
    handler = {
        "resetseason": _reset_season,
        "seasonlength": _season_length,
        "ratelimit": _rate_limit,
        "language": _language,
        "duels": _duels,
        "autoscore": _auto_score,
    }[event.name]
    return [_say(turn, await handler(svc, turn, event.args))]


async def show_settings(svc: Services, turn: Turn) -> list[Reply]:
    """The chat's current settings, readable by anyone."""
    t = turn.t
    settings = turn.chat.settings
    season = await current_season(svc, turn.chat, turn.now)
    text = t(
        "settings.text",
        season_days=amount(t, "days", settings.season_days),
        number=season.number,
        when=season.ends_at,
        photos=amount(t, "photos", settings.rate_limit_photos),
        minutes=amount(t, "minutes", settings.rate_limit_window_minutes),
        language=_language_name(settings.language),
        duels=t("settings.on") if settings.duels_enabled else t("settings.off"),
        auto_score=t("settings.on") if settings.auto_score else t("settings.off"),
    )
    return [_say(turn, text)]


async def _reset_season(svc: Services, turn: Turn, args: tuple[str, ...]) -> str:
    season = await current_season(svc, turn.chat, turn.now)
    await rollover(svc, season, turn.now, force=True)
    return turn.t("season.reset", number=season.number)


async def _season_length(svc: Services, turn: Turn, args: tuple[str, ...]) -> str:
    days = _int(args, 0)
    if days is None or days not in SEASON_DAYS:
        return turn.t("admin.season_length_usage", max=SEASON_DAYS.high)
    await svc.store.chats.update_settings(turn.chat.id, season_days=days)
    return turn.t("admin.season_length", days=amount(turn.t, "days", days))


async def _rate_limit(svc: Services, turn: Turn, args: tuple[str, ...]) -> str:
    photos, minutes = _int(args, 0), _int(args, 1)
    if (
        photos is None
        or minutes is None
        or photos not in RATE_LIMIT_PHOTOS
        or minutes not in RATE_LIMIT_WINDOW_MINUTES
    ):
        return turn.t("admin.rate_limit_usage")
    await svc.store.chats.update_settings(
        turn.chat.id, rate_limit_photos=photos, rate_limit_window_minutes=minutes
    )
    return turn.t(
        "admin.rate_limit",
        photos=amount(turn.t, "photos", photos),
        minutes=amount(turn.t, "minutes", minutes),
    )


async def _language(svc: Services, turn: Turn, args: tuple[str, ...]) -> str:
    """Set the chat's language: group posts use it, and people whose platform says nothing."""
    code = normalize(args[0]) if args else None
    if code is None:
        languages = ", ".join(_language_name(code) for code in supported_languages())
        return turn.t("admin.language_usage", languages=languages)
    await svc.store.chats.update_settings(turn.chat.id, language=code)
    return Translator(code)("admin.language", language=_language_name(code))


def _language_name(code: str) -> str:
    """`de (Deutsch)`: the code to type and the language's own name."""
    language = BY_CODE.get(code)
    return f"{code} ({language.name})" if language else code


async def _duels(svc: Services, turn: Turn, args: tuple[str, ...]) -> str:
    enabled = _on_off(args)
    if enabled is None:
        return turn.t("admin.duels_usage")
    await svc.store.chats.update_settings(turn.chat.id, duels_enabled=enabled)
    return turn.t("admin.duels_on" if enabled else "admin.duels_off")


async def _auto_score(svc: Services, turn: Turn, args: tuple[str, ...]) -> str:
    enabled = _on_off(args)
    if enabled is None:
        return turn.t("admin.autoscore_usage")
    await svc.store.chats.update_settings(turn.chat.id, auto_score=enabled)
    if enabled:
        return turn.t("admin.autoscore_on")
    return turn.t("admin.autoscore_off", rate_command=turn.rate_command)


def _on_off(args: tuple[str, ...]) -> bool | None:
    """The switch an admin typed: `on` is True, `off` False, anything else None (usage)."""
    return {"on": True, "off": False}.get(args[0].lower() if args else "")


def _int(args: tuple[str, ...], index: int) -> int | None:
    if len(args) <= index:
        return None
    try:
        return int(args[index])
    except ValueError:
        return None


def _say(turn: Turn, text: str) -> Reply:
    return Reply(text, tag=update_tag(turn.update_id))
