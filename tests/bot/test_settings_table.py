"""README's settings table, `.env.example` and `bot/settings.py` name the same settings, and
the table's defaults are the code's: adding a setting means documenting it in both places."""

from __future__ import annotations

import re

from pydantic import AliasChoices

from bot.settings import Settings
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


def environment_names() -> dict[str, object]:
    """Each setting's variable name (the first alias for the tokens) and its default."""
    names = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        env = alias.choices[0] if isinstance(alias, AliasChoices) else f"SELFIEBOT_{name.upper()}"
        names[env] = None if field.default_factory is not None else field.default
    return names


def readme_table() -> dict[str, str]:
    """Variable -> default cell of the table under README's `## Configuration`."""
    section = (ROOT / "README.md").read_text().split("\n## Configuration", 1)[1]
    section = section.split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|", section, re.M))


def shown(default: object) -> str:
    if default is None:
        return "empty"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


def test_readme_table_lists_every_setting_once() -> None:
    table, settings = readme_table(), environment_names()
    assert sorted(table) == sorted(settings), "README's settings table and bot/settings.py differ"


def test_readme_defaults_are_the_codes() -> None:
    table = readme_table()
    for env, default in environment_names().items():
        cell = table[env].strip()
        if cell.startswith("`") or cell == "empty":
            assert cell == shown(default), f"README says {env} defaults to {cell}"


def test_env_example_documents_every_setting() -> None:
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))
    assert sorted(documented) == sorted(environment_names()), ".env.example and Settings differ"
