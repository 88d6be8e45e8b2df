"""The web adapter's parts that need no models: multipart reading, players, problems, views."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from bot.core.flows import unrecorded
from bot.web import photos, uploads
from bot.web.players import (
    NICKNAME_COOKIE,
    NICKNAME_MAX,
    PLAYER_COOKIE,
    NicknameError,
    clean_nickname,
    guest_name,
    nickname_cookie_value,
    player_from_cookies,
    with_nickname,
)
from bot.web.problems import PROBLEM_MEDIA_TYPE, Problem, problem_for_status, problem_response
from bot.web.views import face_views, markup_html, quality_measures, sharpness_words
from tests.paths import REPO_ROOT, TEST_DATA

DATA = TEST_DATA
BOUNDARY = "selfiebot-test-boundary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: tuple[str, bytes, str | None, str | None]) -> bytes:
    """(name, data, filename, content type) parts as a multipart/form-data body."""
    body = bytearray()
    for name, data, filename, content_type in parts:
        body += f"--{BOUNDARY}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"Content-Disposition: {disposition}\r\n".encode()
        if content_type:
            body += f"Content-Type: {content_type}\r\n".encode()
        body += b"\r\n" + data + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    return bytes(body)


class Chunks:
    """An async body in fixed-size chunks that remembers how much was consumed."""

    def __init__(self, body: bytes, size: int = 1000) -> None:
        self.body = body
        self.size = size
        self.consumed = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), self.size):
            chunk = self.body[start : start + self.size]
            self.consumed += len(chunk)
            yield chunk


async def read(body: bytes, *, limit: int = 10_000, content_type: str = CONTENT_TYPE, **kw):
    return await uploads.read_upload_form(
        Chunks(body), content_type=content_type, content_length=None, max_file_bytes=limit, **kw
    )


# --- uploads ------------------------------------------------------------------------------


async def test_reads_fields_and_files_into_memory() -> None:
    body = multipart(
        ("nickname", "Zoë".encode(), None, None),
        ("photo", b"\xff\xd8\xff" + b"x" * 5000, "me.jpg", "image/jpeg"),
    )
    form = await read(body)
    assert form.fields == {"nickname": "Zoë"}
    photo = form.file("photo")
    assert photo is not None
    assert photo.filename == "me.jpg"
    assert photo.content_type == "image/jpeg"
    assert photo.data == b"\xff\xd8\xff" + b"x" * 5000


async def test_unused_picker_counts_as_missing_and_does_not_hide_the_used_one() -> None:
    empty_picker = ("photo", b"", "", "application/octet-stream")
    assert (await read(multipart(empty_picker))).file("photo") is None
    used = ("photo", b"data", "a.png", "image/png")
    form = await read(multipart(empty_picker, used))
    assert form.file("photo") is not None
    assert form.file("photo").data == b"data"


async def test_oversized_file_is_refused_while_streaming() -> None:
    body = multipart(("photo", b"x" * 50_000, "big.jpg", "image/jpeg"))
    chunks = Chunks(body)
    with pytest.raises(Problem) as caught:
        await uploads.read_upload_form(
            chunks, content_type=CONTENT_TYPE, content_length=None, max_file_bytes=10_000
        )
    assert caught.value.status == 413
    assert caught.value.extra == {"max_bytes": 10_000}
    assert chunks.consumed < 15_000, "reading must stop soon after the limit"


async def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    chunks = Chunks(multipart(("photo", b"x", "a.jpg", None)))
    with pytest.raises(Problem) as caught:
        await uploads.read_upload_form(
            chunks,
            content_type=CONTENT_TYPE,
            content_length=str(10_000 + uploads.ENVELOPE_ALLOWANCE + 1),
            max_file_bytes=10_000,
        )
    assert caught.value.status == 413
    assert chunks.consumed == 0


async def test_long_text_field_is_refused() -> None:
    body = multipart(("nickname", b"a" * (uploads.FIELD_LIMIT + 1), None, None))
    with pytest.raises(Problem) as caught:
        await read(body)
    assert caught.value.status == 400


async def test_too_many_parts_are_refused() -> None:
    body = multipart(*[(f"f{i}", b"v", None, None) for i in range(uploads.MAX_PARTS + 1)])
    with pytest.raises(Problem) as caught:
        await read(body)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("image/jpeg", 415),
        ("application/json", 415),
        ("", 415),
        ("multipart/form-data", 400),
    ],
)
async def test_wrong_body_types(content_type: str, status: int) -> None:
    with pytest.raises(Problem) as caught:
        await read(b"\xff\xd8\xff", content_type=content_type)
    assert caught.value.status == status


async def test_malformed_multipart_is_a_bad_request() -> None:
    with pytest.raises(Problem) as caught:
        await read(f"--{BOUNDARY}\r\nno headers end here".encode() + b"\x00" * 10)
    assert caught.value.status in (400, 422) or caught.value.kind.slug == "bad-request"


# --- players ------------------------------------------------------------------------------


def test_new_browser_gets_a_random_player_and_a_guest_name() -> None:
    first, second = player_from_cookies({}), player_from_cookies({})
    assert first.player_id != second.player_id
    assert len(first.player_id) >= 16
    assert first.nickname == guest_name(first.player_id)
    assert first.save and not first.returning


def test_returning_browser_keeps_id_and_nickname() -> None:
    player_id = "A" * 24
    player = player_from_cookies(
        {PLAYER_COOKIE: player_id, NICKNAME_COOKIE: nickname_cookie_value("Zoë ☀")}
    )
    assert (player.player_id, player.nickname, player.returning, player.save) == (
        player_id,
        "Zoë ☀",
        True,
        False,
    )


def test_forged_player_cookie_is_replaced() -> None:
    player = player_from_cookies({PLAYER_COOKIE: "x; admin=1"})
    assert player.player_id != "x; admin=1"
    assert not player.returning


def test_renaming() -> None:
    player = player_from_cookies({PLAYER_COOKIE: "B" * 20, NICKNAME_COOKIE: "Ann"})
    assert with_nickname(player, "  ") is player
    assert with_nickname(player, "Ann") is player
    renamed = with_nickname(player, "  Ann   Lee ")
    assert renamed.nickname == "Ann Lee"
    assert renamed.save and renamed.player_id == player.player_id


@pytest.mark.parametrize("bad", ["", "   ", "a" * (NICKNAME_MAX + 1), "bad\x07name"])
def test_bad_nicknames_say_why(bad: str) -> None:
    with pytest.raises(NicknameError) as caught:
        clean_nickname(bad)
    assert str(caught.value)


# --- problems -----------------------------------------------------------------------------


def test_problem_response_is_rfc9457() -> None:
    response = problem_response(Problem("photo-too-large", "Too big."), instance="/api/score")
    assert response.status_code == 413
    assert response.media_type == PROBLEM_MEDIA_TYPE
    assert response.body == (
        b'{"type":"/problems/photo-too-large","title":"The photo is too large",'
        b'"status":413,"detail":"Too big.","instance":"/api/score"}'
    )


def test_framework_statuses_map_to_problems() -> None:
    assert problem_for_status(404).status == 404
    assert problem_for_status(405).status == 405
    assert problem_for_status(400, "Nope").detail == "Nope"
    assert problem_for_status(500).status == 500


# --- views --------------------------------------------------------------------------------


def test_markup_is_escaped_then_formatted() -> None:
    html = str(markup_html("**73** <script>\n`code`"))
    assert html == "<b>73</b> &lt;script&gt;<br><code>code</code>"


def test_faces_are_numbered_largest_first_with_bars_strongest_first() -> None:
    small = {"box": [0, 0, 10, 10], "emotions": {"happy": 0.2, "sad": 0.8}}
    large = {
        "box": [5, 6, 100, 120],
        "emotions": {"happy": 0.904, "neutral": 0.05, "sad": 0.046},
        "dominant_emotion": "happy",
    }
    first, second = face_views([small, large])
    assert (first.number, first.x, first.y, first.width, first.height) == (1, 5, 6, 100, 120)
    assert [(bar.name, bar.percent) for bar in first.emotions] == [
        ("happy", 90),
        ("neutral", 5),
        ("sad", 5),
    ]
    assert first.dominant == "happy" and first.dominant_percent == 90
    assert second.dominant == "sad"


def test_quality_measures() -> None:
    quality = {
        "brightness": 0.5,
        "contrast": 0.21,
        "sharpness": 0.004,
        "saturation": 0.333,
        "face_area_ratio": None,
    }
    assert [(q.name, q.percent) for q in quality_measures(quality)] == [
        ("Brightness", 50),
        ("Contrast", 21),
        ("Colour", 33),
    ]
    assert sharpness_words(quality) == "fairly sharp"
    assert sharpness_words({"sharpness": 0.0001}) == "blurry"
    assert sharpness_words({}) is None


# --- photos -------------------------------------------------------------------------------


def _jpeg(size: tuple[int, int], orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 120, 90))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_display_copy_is_upright_and_bounded() -> None:
    shown = unrecorded.preview(_jpeg((3000, 2000), orientation=6), 640, 40_000_000, None)
    assert (shown.width, shown.height) == (2000, 3000), "full-size upright dimensions"
    decoded = Image.open(io.BytesIO(shown.jpeg))
    assert (decoded.format, decoded.size) == ("JPEG", (427, 640))


def test_display_copy_of_the_sample_selfie() -> None:
    data = (DATA / "astronaut.jpg").read_bytes()
    shown = unrecorded.preview(data, photos.DISPLAY_MAX_SIDE, 40_000_000, None)
    assert (shown.width, shown.height) == Image.open(DATA / "astronaut.jpg").size


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 400),
        (b"hello, this is text", 415),
        (_jpeg((64, 64))[:200], 400),
        (_jpeg((400, 300)), 413),
    ],
    ids=["empty", "text", "truncated", "too-many-pixels"],
)
def test_refused_photos_carry_their_status(data: bytes, status: int) -> None:
    """The core refuses the photo in its words; the page gives the refusal its HTTP status."""
    with pytest.raises(unrecorded.PhotoRefused) as refused:
        unrecorded.preview(data, photos.DISPLAY_MAX_SIDE, 100_000, None)
    problem = photos.refusal_problem(refused.value)
    assert problem.status == status
    assert problem.detail.startswith("That file isn't a photo I can read")


# --- wording: every sentence of the page lives in the message catalogue -----------------------

WEB = REPO_ROOT / "bot" / "web"


def _template_text(source: str) -> tuple[list[str], list[str]]:
    """Words left in a template once Jinja expressions and tags are removed, and the values of
    attributes people read (alt, title, aria-label, placeholder, content)."""
    import re

    bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", source, flags=re.S)
    attributes = re.findall(r'\b(?:alt|title|aria-label|placeholder)="([^"]*)"', bare)
    bare = re.sub(r"<[^>]*>", " ", bare)
    words = [word for word in re.findall(r"[A-Za-z][A-Za-z']*", bare) if word != "selfiebot"]
    return words, [value for value in attributes if re.search("[A-Za-z]", value)]


def test_templates_and_script_hold_no_sentences() -> None:
    import re

    for path in sorted((WEB / "templates").glob("*.html")):
        assert _template_text(path.read_text()) == ([], []), path.name
    script = re.sub(r"^\s*//.*$", "", (WEB / "static" / "app.js").read_text(), flags=re.M)
    literals = re.findall(r'"([^"\n]*)"|`([^`\n]*)`', script)
    sentences = [
        text
        for pair in literals
        for text in pair
        if re.search(r"[A-Za-z]+ [a-z]+", text) and text != "use strict"
    ]
    assert sentences == [], "sentences belong in the catalogue (data-msg-* attributes)"


def test_every_key_the_page_uses_is_in_the_catalogue() -> None:
    import ast
    import re

    from bot.core.i18n import source_messages

    english = source_messages()
    used: set[str] = set()
    for path in sorted((WEB / "templates").glob("*.html")):
        found = re.findall(r"""\bt(?:\.template)?\(\s*["']([\w.\-]+)["']""", path.read_text())
        used |= {key for key in found if not key.endswith(".")}
        for key in re.findall(r"""\bt\.plural\(\s*["']([\w.\-]+)["']""", path.read_text()):
            used.add(key)
    for path in sorted(WEB.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                used.add(node.args[0].value)
    assert len(used) > 40
    assert used - set(english) == set()
    script = (WEB / "static" / "app.js").read_text()
    page = (WEB / "templates" / "index.html").read_text()
    for name in re.findall(r'msg\("msg(\w+)"', script):
        attribute = re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()
        assert f"data-msg-{attribute}" in page or attribute.replace("-", "_") in page, name


def test_problem_titles_come_from_the_catalogue() -> None:
    from bot.core.i18n import source_messages
    from bot.web.problems import PROBLEM_TYPES

    english = source_messages()
    for slug, kind in PROBLEM_TYPES.items():
        assert kind.title == english[f"web.problem.{slug}.title"].singular
        assert kind.explanation == english[f"web.problem.{slug}.explanation"].singular


def test_emotions_read_as_in_the_chats() -> None:
    """The page names expressions with the catalogue's words, like the bot's replies."""
    (face,) = face_views([{"box": [0, 0, 10, 10], "emotions": {"fear": 0.7, "surprise": 0.3}}])
    assert [bar.label for bar in face.emotions] == ["scared", "surprised"]
    assert face.dominant == "fear" and face.dominant_label == "scared"
