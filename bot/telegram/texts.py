"""The few sentences only the Telegram adapter says, in the core's light markup.

Everything about the game comes from the core's catalogue, and so do refusals of files
(`refusals.py`); these cover Telegram-only situations the catalogue has no key for: group
privacy mode, `/rate` on someone else's photo, where a private answer went, stale buttons.
"""

from __future__ import annotations

HELP_GROUP_PRIVACY = (
    "**Group admins:** to let me see every photo, not only those sent with /rate, make me an "
    "admin of the group (my owner can instead turn off privacy mode in @BotFather: /setprivacy "
    "→ Disable, then remove me and add me again). Reactions on my results count only where "
    "I am an admin."
)

RATE_NEEDS_OWN_PHOTO = (
    "Only the person who sent a photo can have it rated: reply /rate to your own photo."
)

SEND_A_SELFIE = "Send me a selfie to get it scored, or /help to see what I can do."

SENT_PRIVATELY = "📬 I sent you the answer in a private message."

BUTTON_EXPIRED = "This button no longer works."
