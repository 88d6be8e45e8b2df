"""Errors the web adapter reports, as RFC 9457 problem details (and as messages on the page).

One `Problem` exception carries everything both renderings need, so a route raises it once and
the app decides, by the route, whether the client gets `application/problem+json` or the page
with the message in place. Each problem type has a stable slug; its `type` URI points at a small
page on this server that explains it (RFC 9457 asks for a URI a person can dereference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_PATH = "/problems"


@dataclass(frozen=True)
class ProblemType:
    """A kind of failure: the HTTP status, a short title, and what the client can do about it."""

    slug: str
    status: int
    title: str
    explanation: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    p.slug: p
    for p in (
        ProblemType(
            "bad-photo",
            400,
            "The photo could not be read",
            "The file is empty, truncated, corrupt, or has more pixels than the server accepts. "
            "Send a JPEG, PNG, WebP, GIF or HEIC photo.",
        ),
        ProblemType(
            "bad-request",
            400,
            "The request could not be understood",
            "The upload is not a well-formed multipart/form-data body.",
        ),
        ProblemType(
            "photo-too-large",
            413,
            "The photo is too large",
            "The file is bigger than the upload limit (SELFIEBOT_MAX_UPLOAD_BYTES). "
            "Send a smaller photo.",
        ),
        ProblemType(
            "unsupported-type",
            415,
            "This kind of file is not supported",
            "Only photos are accepted (JPEG, PNG, WebP, GIF, HEIC), sent as multipart/form-data.",
        ),
        ProblemType(
            "missing-photo",
            422,
            "No photo was sent",
            "Send the photo as a multipart/form-data file field named `photo`.",
        ),
        ProblemType(
            "invalid-input",
            422,
            "The request has invalid fields",
            "A parameter is missing or malformed; `errors` lists which.",
        ),
        ProblemType(
            "rate-limited",
            429,
            "Too many photos",
            "The game counts a limited number of photos per player in a time window.",
        ),
        ProblemType(
            "model-missing",
            503,
            "The popularity model is not installed",
            "The server has no popularity model yet. Its operator runs "
            "`selfiebot models fetch` (or `selfiebot models import PATH`).",
        ),
        ProblemType(
            "internal-error",
            500,
            "Something went wrong on the server",
            "An unexpected error happened; it has been logged. Try again in a moment.",
        ),
        ProblemType(
            "not-found",
            404,
            "Not found",
            "There is nothing at this address.",
        ),
        ProblemType(
            "method-not-allowed",
            405,
            "Method not allowed",
            "This address does not accept this HTTP method.",
        ),
    )
}

_STATUS_SLUGS = {404: "not-found", 405: "method-not-allowed", 413: "photo-too-large"}


class Problem(Exception):
    """A request that cannot be served as asked; `detail` is a sentence for the person."""

    def __init__(
        self, slug: str, detail: str | None = None, *, extra: dict[str, Any] | None = None
    ) -> None:
        self.kind = PROBLEM_TYPES[slug]
        self.detail = detail or self.kind.explanation
        self.extra = extra or {}
        super().__init__(self.detail)

    @property
    def status(self) -> int:
        return self.kind.status

    @property
    def title(self) -> str:
        return self.kind.title

    def to_dict(self) -> dict[str, Any]:
        """The RFC 9457 members; extension members (such as `errors`) follow the standard ones."""
        return {
            "type": f"{PROBLEM_PATH}/{self.kind.slug}",
            "title": self.kind.title,
            "status": self.kind.status,
            "detail": self.detail,
            **self.extra,
        }


def problem_for_status(status: int, detail: str | None = None) -> Problem:
    """A problem for an HTTP error raised by the framework itself (404 route, 405 method)."""
    slug = _STATUS_SLUGS.get(status) or ("bad-request" if status < 500 else "internal-error")
    return Problem(slug, detail)


def problem_response(problem: Problem, *, instance: str | None = None) -> JSONResponse:
    """`application/problem+json` with the problem's own status code."""
    body = problem.to_dict()
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE)
