"""The FastAPI application: the page, the JSON API, static files and error rendering.

`create_app(settings, game=...)` is what `selfiebot run` serves with the process's shared Game.
Without a game (tests, `uvicorn --factory bot.web.app:create_app`) the app opens its own on
startup; when the popularity model is missing it still starts, shows why on the page and
answers 503 to scoring, so an operator sees the fix instead of a dead port.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.core.boundary import failed
from bot.settings import Settings, get_settings
from bot.web import api, docs, observe, pages
from bot.web.language import PageLanguage
from bot.web.play import PERIODS
from bot.web.players import PLATFORM
from bot.web.problems import Problem, problem_for_status, problem_response
from bot.web.security import SecurityHeaders, same_origin_writes
from bot.web.state import WebState, web_state
from bot.web.text import t

if TYPE_CHECKING:
    from bot.core.game import Game

log = logging.getLogger("selfiebot.web")

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
API_PREFIXES = ("/api/", "/healthz", "/readyz")
DESCRIPTION = """\
Score selfies with the same on-device models as the selfiebot chat bots.

`POST /api/score` analyses one photo (multipart/form-data, file field `photo`) and returns the
popularity score, the faces with their expressions and the photo quality measures. Nothing is
recorded and the photo is never stored: to get on the leaderboard, play on the page or in a chat.
Errors are RFC 9457 problem details (`application/problem+json`).
"""


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.globals["periods"] = PERIODS
    templates.env.globals["t"] = t
    templates.env.globals["asset_version"] = _asset_version()
    return templates


def _version() -> str:
    try:
        return importlib.metadata.version("selfiebot")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def _asset_version() -> str:
    """Changes whenever a static file does, so browsers never keep a stale script or style."""
    stamps = (path.stat().st_mtime_ns for path in sorted(STATIC_DIR.iterdir()))
    return format(abs(hash(tuple(stamps))) % 16**8, "08x")


def create_app(settings: Settings | None = None, *, game: Game | None = None) -> FastAPI:
    """The web app; serves `game` when given, otherwise opens (and closes) its own."""
    settings = settings or get_settings()
    state = WebState(settings, _templates(), game)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        owned = None
        if state.game is None:
            owned = await _open_game(state)
        news = asyncio.create_task(state.news.run(state.game)) if state.game else None
        try:
            yield
        finally:
            if news is not None:
                news.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await news
            if owned is not None:
                state.game = None
                await owned.close()

    app = FastAPI(
        title="selfiebot",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(same_origin_writes)],
    )
    app.state.web = state
    app.add_middleware(SecurityHeaders)
    app.add_middleware(PageLanguage, secure_cookie=settings.web_cookie_secure)
    observe.install(app, upload_slots=settings.web_concurrent_uploads)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    docs.install(app)
    app.include_router(pages.router)
    app.include_router(api.router)
    _install_error_handlers(app)
    return app


async def _open_game(state: WebState) -> Game | None:
    from bot.core.game import Game
    from models.registry import ModelMissingError

    try:
        state.game = await Game.open(state.settings)
    except ModelMissingError as error:
        state.unavailable = str(error)
        log.warning("Web page started without scoring: %s", error)
        return None
    return state.game


def wants_json(request: Request) -> bool:
    """API routes always answer JSON; elsewhere the client's Accept header decides."""
    if request.url.path.startswith(API_PREFIXES):
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def render_problem(request: Request, problem: Problem) -> Response:
    """The problem as problem+json for API clients, as a page for browsers."""
    if wants_json(request):
        return problem_response(problem, instance=request.url.path)
    return web_state(request).templates.TemplateResponse(
        request,
        "problem.html",
        {"kind": problem.kind, "detail": problem.detail},
        status_code=problem.status,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, problem: Problem) -> Response:
        return render_problem(request, problem)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> Response:
        detail = error.detail if isinstance(error.detail, str) else None
        response = render_problem(request, problem_for_status(error.status_code, detail))
        response.status_code = error.status_code
        if error.headers:
            response.headers.update(error.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(item.get("loc", ())), "msg": item.get("msg", "")}
            for item in error.errors()
        ]
        problem = Problem("invalid-input", extra={"errors": errors})
        return problem_response(problem, instance=request.url.path)

    @app.exception_handler(Exception)
    async def on_crash(request: Request, error: Exception) -> Response:
        """The core's error boundary logs and counts it; the page shows its sentence."""
        apology = failed(PLATFORM, f"{request.method} {request.url.path}", error, t.language)
        return render_problem(request, Problem("internal-error", apology))
