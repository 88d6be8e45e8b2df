"""The fake Bot API's edit methods, refusing what Telegram refuses: an edit of a message the bot
never sent ("message to edit not found"), text on a picture or a caption on a text message
("there is no text/caption in the message to edit"), and an edit that changes nothing
("message is not modified", which PTB raises as `BadRequest`). A text message may be given a
picture (editMessageMedia), as the current Bot API allows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.telegram.checks import ApiError, check_keyboard, check_markup, utf16_len

if TYPE_CHECKING:
    from tests.fakes.telegram.server import FakeBotApi, Upload

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


class MessageEdits:
    """Mixin of `FakeBotApi`: the bot's messages as they are now, and the edit methods."""

    def message(self: FakeBotApi, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The bot's message as users see it now (after edits); None if it never sent it."""
        with self._lock:
            kept = self._state.posted.get((chat_id, message_id))
        return None if kept is None else dict(kept[0])

    def _keep(self: FakeBotApi, message: dict[str, Any], source: str) -> None:
        """Remember a sent message, with the marked-up text it was sent as."""
        with self._lock:
            self._state.posted[(message["chat"]["id"], message["message_id"])] = (message, source)

    def _edit(
        self: FakeBotApi, params: dict[str, Any], field: str, content: dict[str, Any], source: str
    ) -> dict[str, Any]:
        """Replace the message's `field` (and its keyboard) with `content`, as Telegram does."""
        chat = self._check_chat(params["chat_id"])
        key = (chat["id"], int(params["message_id"]))
        markup = params.get("reply_markup") or None
        check_keyboard(markup)
        with self._lock:
            kept = self._state.posted.get(key)
            if kept is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            message, was = kept
            if field == "text" and "text" not in message:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            if field == "caption" and "text" in message:
                raise ApiError(400, "Bad Request: there is no caption in the message to edit")
            if field != "media" and (source, markup) == (was, message.get("reply_markup")):
                raise ApiError(400, NOT_MODIFIED)
            edited = {k: v for k, v in message.items() if k not in ("caption", "reply_markup")}
            if field == "media":
                edited.pop("text", None)
            edited.update(content, edit_date=edited["date"] + 1)
            if markup:
                edited["reply_markup"] = markup
            self._state.posted[key] = (edited, source)
        return edited

    def _m_editMessageText(
        self: FakeBotApi, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        source = params.get("text") or ""
        visible = check_markup(source, params.get("parse_mode"))
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > 4096:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return self._edit(params, "text", {"text": visible}, source)

    def _m_editMessageCaption(
        self: FakeBotApi, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        return self._edit(params, "caption", self._caption(params), params.get("caption") or "")

    def _m_editMessageMedia(
        self: FakeBotApi, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> dict[str, Any]:
        media = params["media"]
        if media.get("type") != "photo":
            raise ApiError(400, "Bad Request: unsupported media type")
        name = str(media.get("media", ""))
        if not name.startswith("attach://") or name.removeprefix("attach://") not in uploads:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        upload = uploads[name.removeprefix("attach://")]
        stored = self.add_file(upload.data, upload.filename or "photo.jpg")
        content = {**self._caption(media), "photo": [{**stored, "width": 640, "height": 640}]}
        return self._edit(params, "media", content, media.get("caption") or "")
