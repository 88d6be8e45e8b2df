"""One unit for every size people read: MB, where 1 MB = 1,048,576 bytes (2**20).

Every message about a file's size or a size limit (the analyzer's, each chat platform's, the
web page's) formats through `megabytes`, so the same file never reads as 20 MB in one place and
21 MB in another. Binary megabytes keep the configured default (20 * 2**20 bytes) and
Discord's upload limits round; Telegram's decimal 20,000,000-byte cap reads as 19 MB.
"""

from __future__ import annotations

import math

MB = 1024 * 1024


def megabytes(count: int, *, limit: bool = False) -> str:
    """`count` bytes in MB with at most one decimal ("20", "0.5", "19.1").

    A file's size rounds up and a limit (`limit=True`) rounds down, so a file over the limit
    never reads as the same number of MB as the limit.
    """
    tenths = count / MB * 10
    rounded = (math.floor(tenths) if limit else math.ceil(tenths)) / 10
    return f"{rounded:g}"
