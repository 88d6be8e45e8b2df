"""What each part of the running service is doing, for `/healthz` and the logs.

`selfiebot run` keeps one `Health`: the web page and each configured bot report their state
(starting, running, retrying after a failure, stopped). One platform's outage shows as that
bot `retrying` while the web page and the other bot keep `running`; `/healthz` lists them all.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Any


class PartState(enum.StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    RETRYING = "retrying"
    STOPPED = "stopped"


@dataclass
class Part:
    """One component's state; `detail` says why it is not running (one line, no secrets)."""

    state: PartState
    since: float = field(default_factory=time.time)
    detail: str | None = None
    failures: int = 0

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"state": self.state.value, "since": round(self.since, 3)}
        if self.detail:
            shown["detail"] = self.detail
        if self.failures:
            shown["failures"] = self.failures
        return shown


class Health:
    """The states of the service's parts, by name ("web", "telegram", "discord")."""

    def __init__(self) -> None:
        self._parts: dict[str, Part] = {}

    def set(self, name: str, state: PartState, detail: str | None = None) -> None:
        part = self._parts.get(name)
        failures = part.failures if part is not None else 0
        if state is PartState.RETRYING:
            failures += 1
        elif state is PartState.RUNNING:
            failures = 0
        if part is not None and part.state is state and part.detail == detail:
            part.failures = failures
            return
        self._parts[name] = Part(state, detail=detail, failures=failures)

    def state(self, name: str) -> PartState | None:
        part = self._parts.get(name)
        return part.state if part is not None else None

    def report(self) -> dict[str, dict[str, Any]]:
        return {name: part.as_dict() for name, part in sorted(self._parts.items())}
