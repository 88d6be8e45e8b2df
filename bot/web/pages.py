"""The server-rendered page: `GET /` shows the form and the board, `POST /` scores a photo.

The form works without JavaScript: a plain multipart POST is answered 303 with the result's own
URL (`/result/<key>`, Post/Redirect/Get), whose page shows the result with its images served
once each, and survives a reload; the script follows the same redirect and swaps the changed
sections in place. The POST only scores: the tips (seconds of re-scoring) are computed by the
result page's GET for a form sent without the script, and fetched by the script from `/tips`,
so an upload never holds one of the few upload slots (`bot.web.admission`) for its tips.
Errors are shown on the page with the HTTP status they would have in the API, so scripts and
browsers agree on what happened.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from bot.web.admission import release_early
from bot.web.play import (
    CARD_IMAGE,
    DEFAULT_PERIOD,
    PERIODS,
    PHOTO_IMAGE,
    PhotoOutcome,
)
from bot.web.players import (
    COOKIE_MAX_AGE,
    NICKNAME_COOKIE,
    PLAYER_COOKIE,
    NicknameError,
    Player,
    is_valid_token,
    new_player_id,
    nickname_cookie_value,
    player_from_cookies,
    with_nickname,
)
from bot.web.problems import PROBLEM_TYPES, Problem
from bot.web.results import RESULT_PATH, StoredImage, StoredResult, result_url
from bot.web.state import WebState, web_state
from bot.web.text import t
from bot.web.uploads import megabytes, read_request_form
from bot.web.views import BoardView

router = APIRouter(include_in_schema=False)

TIPS_HEADER = "x-selfiebot-tips"
"""`later`: the script asks for the tips itself (`/tips`), so the score appears without waiting;
without it the result page computes them. The script's POST is also answered with the result
page itself (200, its own URL in `Content-Location`, RFC 9110 8.7), not a redirect: one round
trip less on a phone, and one request less for the server."""


def _period(value: str | None) -> str:
    return value if value in PERIODS else DEFAULT_PERIOD


async def _board(
    state: WebState, player: Player, period: str, *, played: bool = False
) -> BoardView | None:
    """The board, seen by the player when they may be on it (returning, or just played)."""
    if state.game is None:
        return None
    viewer = player if player.returning or played else None
    return await state.play.leaderboard(viewer, period)


def _page(
    request: Request,
    state: WebState,
    player: Player,
    *,
    period: str,
    board: BoardView | None,
    problem: Problem | None = None,
    outcome: StoredResult | None = None,
) -> Response:
    limit = state.settings.max_upload_bytes
    context = {
        "player": player,
        "key": new_player_id(),
        "max_bytes": limit,
        "max_label": megabytes(limit),
        "period": period,
        "board": board,
        "problem": problem,
        "notices": outcome.notices if outcome else (),
        "result": outcome.result if outcome else None,
        "unavailable": state.unavailable,
        "news": state.news.items,
    }
    response = state.templates.TemplateResponse(
        request, "index.html", context, status_code=problem.status if problem else 200
    )
    response.headers["Cache-Control"] = "no-store"
    if player.save:
        _remember(response, player, secure=state.settings.web_cookie_secure)
    return response


def _remember(response: Response, player: Player, *, secure: bool) -> None:
    """Keep the player id and nickname for a year; script never needs to read them."""
    for name, value in (
        (PLAYER_COOKIE, player.player_id),
        (NICKNAME_COOKIE, nickname_cookie_value(player.nickname)),
    ):
        response.set_cookie(
            name,
            value,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=secure,
        )


@router.get("/")
async def index(request: Request, board: str | None = None) -> Response:
    state = web_state(request)
    player = player_from_cookies(request.cookies)
    period = _period(board)
    return _page(request, state, player, period=period, board=await _board(state, player, period))


@router.post("/")
async def submit(request: Request) -> Response:
    """Score the uploaded photo for the player and redirect (303) to its result page, or, for
    the page's script (`TIPS_HEADER`), answer with that page at once.

    A refused upload is answered in place with its HTTP status instead: there is nothing to
    keep, and the form is right there to try again. Posting the same form twice (same `key`)
    leads to the result already kept.
    """
    state = web_state(request)
    player = player_from_cookies(request.cookies)
    period = _period(request.query_params.get("board"))
    try:
        form = await read_request_form(request, max_file_bytes=state.settings.max_upload_bytes)
        try:
            player = with_nickname(player, form.fields.get("nickname"))
        except NicknameError as error:
            raise Problem("invalid-input", str(error)) from error
        upload = form.file("photo")
        if upload is None:
            raise Problem("missing-photo", t("web.pick_first"))
        key = form.fields.get("key")
        key = key if is_valid_token(key) else new_player_id()
        tips_later = request.headers.get(TIPS_HEADER) == "later"
        stored = state.results.get(key, player.player_id)
        if stored is None:
            outcome = await state.play.submit_photo(player, upload, key, release_early(request))
            stored = _kept(player, outcome, tips_on_view=not tips_later)
            state.results.put(key, stored)
    except Problem as problem:
        board = await _board(state, player, period)
        return _page(request, state, player, period=period, board=board, problem=problem)
    query = f"?board={period}" if "board" in request.query_params else ""
    if tips_later:
        response = await _result(request, state, player, key, stored, period)
        response.headers["Content-Location"] = f"{result_url(key)}{query}"
        return response
    response = RedirectResponse(f"{result_url(key)}{query}", status_code=303)
    if player.save:
        _remember(response, player, secure=state.settings.web_cookie_secure)
    return response


def _kept(player: Player, outcome: PhotoOutcome, *, tips_on_view: bool) -> StoredResult:
    return StoredResult(
        player.player_id,
        outcome.result,
        outcome.notices,
        outcome.images,
        tips_on_view=tips_on_view,
        card=outcome.card,
        season_board=outcome.board,
    )


@router.get(RESULT_PATH + "/{key}")
async def result_page(request: Request, key: str, board: str | None = None) -> Response:
    """The page with one scored upload, for the player who sent it (see `bot.web.results`)."""
    state = web_state(request)
    player = player_from_cookies(request.cookies)
    stored = state.results.get(key, player.player_id)
    if stored is None:
        raise Problem("result-gone")
    return await _result(request, state, player, key, stored, _period(board))


async def _result(
    request: Request,
    state: WebState,
    player: Player,
    key: str,
    stored: StoredResult,
    period: str,
) -> Response:
    """The page showing a kept result, its tips computed first when they are due."""
    if stored.tips_due:
        tips = await state.play.tips(player, key)
        state.results.add_tips(key, tips.view, tips.images)
        stored = state.results.get(key, player.player_id) or stored
    board_view = stored.season_board if period == "season" else None
    if board_view is None:
        board_view = await _board(state, player, period, played=stored.result is not None)
    return _page(request, state, player, period=period, board=board_view, outcome=stored)


@router.get(RESULT_PATH + "/{key}/{name}")
async def result_image(request: Request, key: str, name: str) -> Response:
    """One image of a result (the photo, the result card, the improved photo), served once
    instead of being embedded in the page. The card is drawn the first time it is asked for."""
    state = web_state(request)
    stored = state.results.get(key, player_from_cookies(request.cookies).player_id)
    image = stored.images.get(name) if stored else None
    if image is None and stored is not None and name == CARD_IMAGE:
        image = await _drawn_card(state, key, stored)
    if image is None:
        raise Problem("result-gone")
    return Response(
        image.data,
        media_type=image.mime_type,
        headers={"Cache-Control": "private, max-age=86400, immutable"},
    )


async def _drawn_card(state: WebState, key: str, stored: StoredResult) -> StoredImage | None:
    photo = stored.images.get(PHOTO_IMAGE)
    if stored.card is None or photo is None:
        return None
    card = await state.play.card(photo, stored.card)
    state.results.add_images(key, {CARD_IMAGE: card})
    return card


@router.post("/tips")
async def tips(request: Request) -> Response:
    """The tips section for the player's last photo, as an HTML fragment the script swaps in.

    The tips are kept with the result too, so reloading its page shows them."""
    state = web_state(request)
    player = player_from_cookies(request.cookies)
    try:
        form = await read_request_form(request, max_file_bytes=0)
        key = form.fields.get("key")
        if key is None or not is_valid_token(key):
            raise Problem("invalid-input", t("web.tips_no_key"))
        outcome = await state.play.tips(player, key)
    except Problem as problem:
        return state.templates.TemplateResponse(
            request, "tips_problem.html", {"problem": problem}, status_code=problem.status
        )
    if state.results.get(key, player.player_id) is not None:
        state.results.add_tips(key, outcome.view, outcome.images)
    return state.templates.TemplateResponse(request, "tips.html", {"tips": outcome.view})


@router.get("/problems/{slug}")
async def problem_page(request: Request, slug: str) -> Response:
    """What each problem `type` URI in an error response means (RFC 9457 asks for one)."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise Problem("not-found", t("web.no_problem_type", slug=slug))
    return web_state(request).templates.TemplateResponse(
        request, "problem.html", {"kind": kind, "detail": None}
    )
