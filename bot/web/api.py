"""The JSON API: score a photo, read the web board, and a health check for load balancers.

`POST /api/score` is stateless (the seed's upload page, as an API): it goes through the game
like the page and the chats (`Game.score_unrecorded`: the same analyzer, limits and refusals)
but records nothing. The body is read by our own in-memory multipart reader,
not FastAPI's `UploadFile` (which spools to disk), so the request schema is declared by hand
for the OpenAPI docs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.core.flows.unrecorded import PhotoRefused
from bot.web.photos import refusal_problem
from bot.web.play import DEFAULT_PERIOD, PERIODS
from bot.web.problems import PROBLEM_MEDIA_TYPE, Problem
from bot.web.state import web_state
from bot.web.uploads import read_request_form
from storage.health import ping

router = APIRouter()

PHOTO_FIELD = "photo"
_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}


def _problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "The photo is empty, damaged or the body is malformed",
        413: "The file or its pixel count is over the limit",
        415: "Not a photo, or not sent as multipart/form-data",
        422: "No `photo` file field, or an invalid parameter",
        503: "The popularity model is not installed",
    }
    return {
        status: {
            "description": descriptions[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


class FaceOut(BaseModel):
    """A face: `box` is [x, y, width, height] in pixels of the upright photo."""

    model_config = ConfigDict(extra="allow")

    box: list[int]
    confidence: float
    emotions: dict[str, float] = Field(description="Seven expression probabilities (fer).")
    dominant_emotion: str
    landmarks: dict[str, list[float]] | None = None


class AnalysisOut(BaseModel):
    """One photo's analysis, exactly as the chat bots compute it."""

    model_config = ConfigDict(extra="allow")

    score: int = Field(ge=0, le=100, description="round(popular_probability x 100)")
    popular_probability: float = Field(ge=0, le=1)
    width: int
    height: int
    faces: list[FaceOut]
    quality: dict[str, float | None]
    model_versions: dict[str, str] = Field(description="Model name -> SHA-256 of its ONNX file.")


class BoardEntryOut(BaseModel):
    rank: int
    name: str
    score: int


class LeaderboardOut(BaseModel):
    period: str
    entries: list[BoardEntryOut]


class HealthOut(BaseModel):
    status: str
    scoring: bool
    detail: str | None = None
    parts: dict[str, dict[str, Any]] | None = None


@router.post(
    "/api/score",
    response_model=AnalysisOut,
    summary="Analyse one photo",
    tags=["api"],
    responses=_problem_responses(400, 413, 415, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [PHOTO_FIELD],
                        "properties": {
                            PHOTO_FIELD: {
                                "type": "string",
                                "format": "binary",
                                "description": "JPEG, PNG, WebP, GIF or HEIC photo.",
                            }
                        },
                    }
                }
            },
        }
    },
)
async def score(request: Request) -> dict[str, Any]:
    """Score a photo and describe its faces; nothing is recorded and the photo is not kept."""
    state = web_state(request)
    form = await read_request_form(request, max_file_bytes=state.settings.max_upload_bytes)
    upload = form.file(PHOTO_FIELD)
    if upload is None:
        raise Problem("missing-photo")
    if state.game is None:
        raise Problem("model-missing", state.unavailable)
    try:
        return await state.game.score_unrecorded(upload.data)
    except PhotoRefused as refused:
        raise refusal_problem(refused) from refused


@router.get(
    "/api/leaderboard",
    response_model=LeaderboardOut,
    summary="The web leaderboard",
    tags=["api"],
    responses=_problem_responses(422, 503),
)
async def leaderboard(
    request: Request,
    period: Annotated[
        str,
        Query(
            pattern="^(" + "|".join(PERIODS) + ")$",
            description="week, season or all (time)",
        ),
    ] = DEFAULT_PERIOD,
) -> dict[str, Any]:
    """Best score per player on the web page's board, highest first."""
    board = await web_state(request).play.leaderboard(None, period)
    return board.to_dict()


def _health(request: Request) -> tuple[HealthOut, int]:
    """Whether photos can be scored, and under `selfiebot run` each part's state (`bot.health`):
    a bot whose platform is down shows `retrying` while the page stays `running`."""
    state = web_state(request)
    health = getattr(request.app.state, "health", None)
    parts = health.report() if health is not None else None
    if state.game is None:
        body = HealthOut(status="unavailable", scoring=False, detail=state.unavailable, parts=parts)
        return body, 503
    return HealthOut(status="ok", scoring=True, parts=parts), 200


@router.get("/healthz", response_model=HealthOut, summary="Health check", tags=["ops"])
async def healthz(request: Request) -> JSONResponse:
    """200 when photos can be scored; 503 (with the reason) when the model is missing. Lists
    each part's state (web, telegram, discord): one platform's outage does not fail it."""
    body, status = _health(request)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status)


@router.get("/readyz", response_model=HealthOut, summary="Readiness", tags=["ops"])
async def readyz(request: Request) -> JSONResponse:
    """Readiness for a load balancer: 200 once the page can score photos and reach the
    database, 503 otherwise (liveness is `/healthz`; a chat platform's outage affects neither)."""
    body, status = _health(request)
    game = web_state(request).game
    if game is not None:
        try:
            await ping(game.store.engine)
        except Exception as error:
            body = HealthOut(
                status="unavailable", scoring=False, detail=type(error).__name__, parts=body.parts
            )
            status = 503
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status)
