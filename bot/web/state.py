"""What every request of the web app needs, kept apart from `bot.web.app`, which builds it:
the routers (`pages`, `api`) read it from here, so `app` imports them and never the reverse."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.templating import Jinja2Templates

from bot.settings import Settings
from bot.web.news import NewsFeed
from bot.web.play import WebPlay
from bot.web.problems import Problem
from bot.web.results import ResultStore

if TYPE_CHECKING:
    from bot.core.game import Game


@dataclass
class WebState:
    """What every request needs; `game` is None while the popularity model is missing."""

    settings: Settings
    templates: Jinja2Templates
    game: Game | None = None
    unavailable: str | None = None
    news: NewsFeed = field(default_factory=NewsFeed)
    results: ResultStore = field(default_factory=ResultStore)
    _play: WebPlay | None = None

    @property
    def play(self) -> WebPlay:
        """The page's game adapter; 503 (with the fix) while the model is missing."""
        if self.game is None:
            raise Problem("model-missing", self.unavailable)
        if self._play is None or self._play.game is not self.game:
            self._play = WebPlay(self.game)
        return self._play


def web_state(request: Request) -> WebState:
    return request.app.state.web
