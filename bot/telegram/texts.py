"""The few sentences only the Telegram adapter says, in the core's light markup.

Everything about the game comes from the core's catalogue; these cover what the core never sees:
files refused before download, Telegram's group privacy mode, and a failure before the core
could answer.
"""

from __future__ import annotations

HELP_GROUP_PRIVACY = (
    "**Group admins:** to let me see every photo, not only those sent with /rate, make me an "
    "admin of the group (my owner can instead turn off privacy mode in @BotFather: /setprivacy "
    "→ Disable, then remove me and add me again). Reactions on my results count only where "
    "I am an admin."
)

NOT_AN_IMAGE = (
    "That file is not a picture, so I can't score it. Send a selfie as a photo, or as an "
    "image file (JPEG, PNG, WebP or HEIC)."
)

TOO_LARGE = "That file is too large: I can download up to **{limit_mb} MB**. Send a smaller photo."

DOWNLOAD_FAILED = "I couldn't download that photo from Telegram. Please send it again."

RATE_NEEDS_OWN_PHOTO = (
    "Only the person who sent a photo can have it rated: reply /rate to your own photo."
)

SEND_A_SELFIE = "Send me a selfie to get it scored, or /help to see what I can do."

SENT_PRIVATELY = "📬 I sent you the answer in a private message."

BUTTON_EXPIRED = "This button no longer works."

SOMETHING_WENT_WRONG = "Something went wrong on my side. Please try again in a moment."
