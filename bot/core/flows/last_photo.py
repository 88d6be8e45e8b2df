"""The asker's last photo for `/tips`, fetched again from its platform by handle.

The photo flow keeps only the handle the adapter gave with a photo (a Telegram file_id, Discord
channel/message/attachment ids, the web page's upload key) in storage; any process that later
handles `/tips` asks the adapter (`EventBase.fetch_photo`) for the bytes. The photo itself is
never stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.core.context import Services, Turn
from bot.core.events import PhotoUnavailable
from bot.core.i18n import Translator
from bot.core.render import amount

log = logging.getLogger(__name__)


def kept_for(t: Translator, minutes: int) -> str:
    """How long /tips works after a photo, in whole days when it is ("1 day", "45 minutes")."""
    if minutes % (24 * 60) == 0:
        return amount(t, "days", minutes // (24 * 60))
    return amount(t, "minutes", minutes)


@dataclass(frozen=True)
class LastPhoto:
    """The asker's last photo as the platform hands it back, and the analysis stored with its
    submission when there is one (so it is not analysed again)."""

    data: bytes
    analysis: Mapping[str, Any] | None


async def last_photo(svc: Services, turn: Turn) -> LastPhoto | str:
    """The asker's last photo, or the sentence that says why there is none."""
    t = turn.t
    found = await svc.store.last_photos.get(turn.chat.platform, turn.user.platform_user_id)
    fetch = turn.event.fetch_photo
    ttl = timedelta(minutes=svc.settings.tips_photo_ttl_minutes)
    if found is None or fetch is None or turn.now - found.stored_at > ttl:
        return t("tips.none_cached", minutes=kept_for(t, svc.settings.tips_photo_ttl_minutes))
    try:
        return LastPhoto(await fetch(found.handle), found.analysis)
    except PhotoUnavailable as error:
        log.info("Last photo of a %s user unavailable: %s", turn.chat.platform, error)
        return t("tips.photo_unavailable")
