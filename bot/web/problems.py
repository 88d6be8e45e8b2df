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

from bot.web.text import t

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_PATH = "/problems"


@dataclass(frozen=True)
class ProblemType:
    """A kind of failure: the HTTP status, a short title, and what the client can do about it.

    The title and explanation are catalogue sentences (`web.problem.<slug>.*`), so the page and
    the JSON problem say the same words as the rest of the product.
    """

    slug: str
    status: int

    @property
    def title(self) -> str:
        return t(f"web.problem.{self.slug}.title")

    @property
    def explanation(self) -> str:
        return t(f"web.problem.{self.slug}.explanation")


PROBLEM_TYPES: dict[str, ProblemType] = {
    p.slug: p
    for p in (
        ProblemType("bad-photo", 400),
        ProblemType("bad-request", 400),
        ProblemType("photo-too-large", 413),
        ProblemType("unsupported-type", 415),
        ProblemType("missing-photo", 422),
        ProblemType("invalid-input", 422),
        ProblemType("rate-limited", 429),
        ProblemType("model-missing", 503),
        ProblemType("internal-error", 500),
        ProblemType("not-found", 404),
        ProblemType("result-gone", 404),
        ProblemType("cross-site", 403),
        ProblemType("method-not-allowed", 405),
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
