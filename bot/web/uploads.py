"""Read a multipart upload into memory, refusing it as soon as it grows past the limit.

Starlette's `request.form()` spools files above 1 MB to a temporary file on disk, and photos
must never touch the disk, so the body is parsed here with python-multipart's streaming parser
straight into memory. The size is checked chunk by chunk while the body arrives (and up front
from Content-Length), so an oversized upload is refused without being read to the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from bot.web.problems import Problem
from bot.web.text import t

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FIELD_LIMIT = 4096
"""Largest plain text field (nickname, idempotency key): anything bigger is not ours."""
MAX_PARTS = 16
ENVELOPE_ALLOWANCE = 64 * 1024
"""Room for multipart headers, boundaries and text fields on top of the photo itself."""


@dataclass(frozen=True)
class UploadedFile:
    """A file part held in memory."""

    data: bytes
    filename: str | None
    content_type: str | None


@dataclass(frozen=True)
class UploadForm:
    """The parsed form: text fields by name, file parts by name (first one wins)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def file(self, name: str) -> UploadedFile | None:
        """The named file; None when absent (or only an unused file picker was sent)."""
        return self.files.get(name)


class _PartCollector:
    """Callbacks for `MultipartParser` that gather parts into memory and enforce limits."""

    def __init__(self, max_file_bytes: int) -> None:
        self.max_file_bytes = max_file_bytes
        self.fields: dict[str, str] = {}
        self.files: dict[str, UploadedFile] = {}
        self.parts = 0
        self._headers: dict[str, str] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._data = bytearray()
        self._limit = FIELD_LIMIT

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise Problem("bad-request", t("web.too_many_parts", parts=MAX_PARTS))
        self._headers = {}
        self._data = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("utf-8", "replace").strip()
        self._header_name = bytearray()
        self._header_value = bytearray()

    def _headers_finished(self) -> None:
        is_file = b"filename" in self._disposition()[1]
        self._limit = self.max_file_bytes if is_file else FIELD_LIMIT

    def _disposition(self) -> tuple[bytes, dict[bytes, bytes]]:
        return parse_options_header(self._headers.get("content-disposition", ""))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if len(self._data) + (end - start) > self._limit:
            if self._limit == FIELD_LIMIT:
                raise Problem("bad-request", t("web.field_too_long"))
            raise _too_large(self.max_file_bytes)
        self._data += data[start:end]

    def _part_end(self) -> None:
        _, options = self._disposition()
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            filename = options[b"filename"].decode("utf-8", "replace") or None
            # A file input left empty still sends a part with no name and no bytes; it must not
            # hide the photo chosen in another input of the same name (camera vs. gallery).
            if name not in self.files and (filename or self._data):
                content_type = self._headers.get("content-type") or None
                self.files[name] = UploadedFile(bytes(self._data), filename, content_type)
        elif name not in self.fields:
            self.fields[name] = self._data.decode("utf-8", "replace")


def _too_large(limit: int) -> Problem:
    return Problem(
        "photo-too-large",
        t("web.photo_too_large", limit=megabytes(limit)),
        extra={"max_bytes": limit},
    )


MEGABYTE = 1024 * 1024
"""The one size unit of every message on the page (the script uses the same)."""


def megabytes(count: int) -> str:
    """A size in MB with at most one decimal ("20 MB", "0.5 MB"); never rounds a non-empty
    size down to "0 MB"."""
    value = round(count / MEGABYTE, 1)
    if count > 0 and value == 0:
        value = 0.1
    return f"{value:g} MB"


def multipart_boundary(content_type: str | None) -> bytes:
    """The boundary of a multipart/form-data body; anything else is the wrong media type."""
    media_type, options = parse_options_header(content_type or "")
    if media_type != b"multipart/form-data":
        raise Problem(
            "unsupported-type",
            t("web.not_multipart"),
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise Problem("bad-request", t("web.no_boundary"))
    return boundary


async def read_upload_form(
    chunks: AsyncIterator[bytes],
    *,
    content_type: str | None,
    content_length: str | None,
    max_file_bytes: int,
) -> UploadForm:
    """Parse a multipart/form-data body from `chunks` into memory.

    Raises `Problem`: 415 when the body is not multipart, 413 as soon as a file part exceeds
    `max_file_bytes` (or Content-Length already says the body will), 400 when it is malformed.
    """
    boundary = multipart_boundary(content_type)
    max_body = max_file_bytes + ENVELOPE_ALLOWANCE
    if content_length and content_length.isdigit() and int(content_length) > max_body:
        raise _too_large(max_file_bytes)
    collector = _PartCollector(max_file_bytes)
    try:
        parser = MultipartParser(boundary, collector.callbacks())
        received = 0
        async for chunk in chunks:
            received += len(chunk)
            if received > max_body:
                raise _too_large(max_file_bytes)
            parser.write(chunk)
        parser.finalize()
    except FormParserError as error:
        raise Problem("bad-request", t("web.malformed")) from error
    return UploadForm(collector.fields, collector.files)


async def read_request_form(request: Request, *, max_file_bytes: int) -> UploadForm:
    """`read_upload_form` on a request's streamed body, with its own headers."""
    return await read_upload_form(
        request.stream(),
        content_type=request.headers.get("content-type"),
        content_length=request.headers.get("content-length"),
        max_file_bytes=max_file_bytes,
    )
