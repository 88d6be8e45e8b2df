"""Prometheus metrics for the whole process, served by the web app at `/metrics`.

One small set of named helpers, so call sites read as what happened (`photo_scored("web")`)
and label values stay few: platforms, refusal reasons and route templates, never user data.

Several processes: each replica serves its own `/metrics` and Prometheus scrapes every replica
(compose.yaml's DNS service discovery finds them all), then sums across them with `sum by`.
That is the recommended setup for containers; prometheus-client's multiprocess mode
(`PROMETHEUS_MULTIPROC_DIR`) is only needed for several worker processes behind one port,
which this service does not use.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

PHOTOS_SCORED = Counter(
    "selfiebot_photos_scored_total", "Photos scored and recorded.", ["platform"]
)
PHOTOS_REFUSED = Counter(
    "selfiebot_photos_refused_total",
    "Photos refused (unreadable, too large, odd shape...).",
    ["platform", "reason"],
)
ANALYSIS_SECONDS = Histogram(
    "selfiebot_analysis_seconds",
    "Time to analyse one photo (decode, faces, expressions, popularity).",
    buckets=LATENCY_BUCKETS,
)
REQUEST_SECONDS = Histogram(
    "selfiebot_http_request_seconds",
    "Web requests by route template, method and status class.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
ERRORS = Counter("selfiebot_errors_total", "Failures by kind.", ["kind"])
UPDATES_CLAIMED = Counter(
    "selfiebot_updates_claimed_total",
    "Platform updates this process claimed and handled.",
    ["platform"],
)
UPDATES_DROPPED = Counter(
    "selfiebot_updates_dropped_total",
    "Platform updates dropped because another delivery of them was claimed elsewhere.",
    ["platform", "reason"],
)


def photo_scored(platform: str) -> None:
    PHOTOS_SCORED.labels(platform).inc()


def photo_refused(platform: str, reason: str) -> None:
    PHOTOS_REFUSED.labels(platform, reason).inc()


def analysis_took(seconds: float) -> None:
    ANALYSIS_SECONDS.observe(seconds)


def request_took(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(route, method, f"{status // 100}xx").observe(seconds)


def error(kind: str) -> None:
    """Count a failure: `internal`, `platform_unreachable`, `send_failed`, ..."""
    ERRORS.labels(kind).inc()


def update_claimed(platform: str) -> None:
    """A delivery this process took a claim on and will answer."""
    UPDATES_CLAIMED.labels(platform).inc()


def update_dropped(platform: str, reason: str) -> None:
    """A copy of a delivery dropped because of a live claim (`reason`: its claim state)."""
    UPDATES_DROPPED.labels(platform, reason).inc()


def exposition() -> tuple[bytes, str]:
    """The current values in Prometheus' text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
