"""components: the core's buttons as persistent Discord buttons (custom_id `action:payload`).

A `DynamicItem` matches the custom_id of any press, also on messages sent before a restart
or by another shard's process, so no view has to be kept in memory and nothing times out.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

import discord

from bot.core.commands import ButtonAction
from bot.core.replies import Button

if TYPE_CHECKING:
    from collections.abc import Sequence

CUSTOM_ID_MAX = 100
_TEMPLATE = re.compile(r"(?P<action>[a-z_]+):(?P<payload>.*)", re.DOTALL)

_STYLES: dict[str, discord.ButtonStyle] = {
    ButtonAction.FORGET_CONFIRM: discord.ButtonStyle.danger,
    ButtonAction.DUEL_ACCEPT: discord.ButtonStyle.success,
    ButtonAction.TIPS: discord.ButtonStyle.primary,
}


class ButtonHandler(Protocol):
    """What the client offers a pressed button (kept abstract to avoid an import cycle)."""

    async def on_core_button(
        self, interaction: discord.Interaction, action: str, payload: str
    ) -> None: ...


def custom_id_for(button: Button) -> str:
    custom_id = f"{button.action}:{button.payload}"
    if len(custom_id) > CUSTOM_ID_MAX:
        raise ValueError(f"button custom_id longer than {CUSTOM_ID_MAX}: {custom_id!r}")
    return custom_id


class CoreButton(discord.ui.DynamicItem[discord.ui.Button], template=_TEMPLATE):
    """One core button; pressing it hands `(action, payload)` back to the client unchanged."""

    def __init__(self, action: str, payload: str, label: str = "", style: Any = None) -> None:
        self.action = action
        self.payload = payload
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=style or _STYLES.get(action, discord.ButtonStyle.secondary),
                custom_id=f"{action}:{payload}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CoreButton:
        return cls(match["action"], match["payload"], getattr(item, "label", "") or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        handler: ButtonHandler = interaction.client  # type: ignore[assignment]
        await handler.on_core_button(interaction, self.action, self.payload)


def view_for(buttons: Sequence[Button]) -> discord.ui.View | None:
    """A never-expiring view holding the buttons (Discord lays them out five per row)."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        custom_id_for(button)
        view.add_item(CoreButton(button.action, button.payload, button.label))
    return view
