"""The one error a caller of the analyzer has to handle for a bad photo."""

from __future__ import annotations

PREFIX = "That file isn't a photo I can read"


class PhotoError(ValueError):
    """A photo the analyzer refuses: empty, not an image, damaged, or too large.

    `user_message` is safe to show in a chat as is; `reason` is a short stable code
    (`empty`, `not_an_image`, `damaged`, `too_large`, `bad_shape`) for logs and tests.
    """

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.user_message = f"{PREFIX}: {detail}"
        super().__init__(self.user_message)
