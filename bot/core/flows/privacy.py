"""`/privacy`, `/forgetme` (with a confirmation button) and `/export`."""

from __future__ import annotations

import json

from bot.core.commands import ButtonAction
from bot.core.context import Services, Turn, update_tag
from bot.core.events import ButtonEvent
from bot.core.flows.last_photo import kept_for
from bot.core.replies import Attachment, Button, Reply


def privacy(svc: Services, turn: Turn) -> list[Reply]:
    """What is stored, what never is, and for how long."""
    text = turn.t("privacy.text", minutes=kept_for(turn.t, svc.settings.tips_photo_ttl_minutes))
    text = f"{text}\n\n{turn.t('privacy.taste')}"
    return [Reply(text, tag=update_tag(turn.update_id))]


def ask_forget(turn: Turn) -> list[Reply]:
    """Deleting everything is irreversible, so it takes a second, deliberate press.

    The payload names the asker so nobody else in a group can confirm for them.
    """
    t = turn.t
    owner = turn.user.platform_user_id
    buttons = (
        Button(t("button.forget_confirm"), ButtonAction.FORGET_CONFIRM, owner),
        Button(t("button.forget_cancel"), ButtonAction.FORGET_CANCEL, owner),
    )
    return [
        Reply(t("forget.confirm"), buttons=buttons, private=True, tag=update_tag(turn.update_id))
    ]


async def forget_button(svc: Services, turn: Turn, event: ButtonEvent) -> list[Reply]:
    """Confirm or cancel `/forgetme`; the deletion covers every chat and the photo cache."""
    t = turn.t
    tag = update_tag(turn.update_id)
    if event.payload != turn.user.platform_user_id:
        return [Reply(t("forget.not_yours"), private=True, tag=tag)]
    if event.action == ButtonAction.FORGET_CANCEL:
        return [Reply(t("forget.cancelled"), private=True, tag=tag)]
    await svc.store.last_photos.forget(turn.chat.platform, turn.user.platform_user_id)
    report = await svc.store.privacy.forget(turn.user.id)
    return [
        Reply(
            t.plural("forget.done", report.total),
            private=True,
            tag=tag,
            data={"removed": dict(report.removed)},
        )
    ]


async def export(svc: Services, turn: Turn) -> list[Reply]:
    """Everything stored about the asker, as a JSON file only they receive."""
    data = await svc.store.privacy.export(turn.user.id)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    attachment = Attachment(
        body, "selfiebot-export.json", "application/json", turn.t("export.description")
    )
    return [
        Reply(
            turn.t("export.text"),
            attachments=(attachment,),
            private=True,
            tag=update_tag(turn.update_id),
        )
    ]
