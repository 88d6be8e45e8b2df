"""`/tips` and the Tips button: measured edits for the asker's last photo (never stored)."""

from __future__ import annotations

import asyncio
import io

from PIL import Image

from bot.core import cards
from bot.core import tips as wording
from bot.core.context import Services, Turn, update_tag
from bot.core.events import CardFormat
from bot.core.flows.last_photo import last_photo
from bot.core.replies import Attachment, Reply
from inference import Analysis, PhotoError
from inference import tips as engine
from inference.decode import decode_photo
from inference.tips import TipsResult

BEST_EDIT_FILENAME = "best-edit.png"


def _full_resolution(svc: Services, data: bytes) -> Image.Image:
    """The upright photo at full resolution (no draft decoding): the tips engine edits and
    returns real pixels. Raises `PhotoError` like the analyzer."""
    settings = svc.settings
    return decode_photo(
        data, settings.max_image_pixels, max_bytes=settings.max_upload_bytes, draft_min_side=None
    ).image


async def tips(svc: Services, turn: Turn) -> list[Reply]:
    """Run the tips engine on the asker's last photo; every number is a re-scored value.

    The photo is decoded for its pixels (the edits need them) but not analysed again: its
    analysis was stored with its submission. Only a photo whose submission is gone (or one
    recorded before analyses were kept) is analysed here."""
    tag = update_tag(turn.update_id)
    photo = await last_photo(svc, turn)
    if isinstance(photo, str):
        return [Reply(photo, tag=tag)]
    try:
        image = await asyncio.to_thread(_full_resolution, svc, photo.data)
        if photo.analysis is not None:
            analysis = Analysis.from_record(photo.analysis)  # analysed when it was scored
        else:
            analysis = await svc.analyzer.analyze_async(photo.data)
    except PhotoError as error:
        return [Reply(error.user_message, tag=tag)]
    result = await asyncio.to_thread(engine.suggest, svc.analyzer, image, analysis)
    t = turn.t
    return [
        Reply(
            wording.reply_text(result, t),
            attachments=_images(turn, result, image),
            tag=tag,
            data={
                "tips": wording.tips_json(
                    result, t, BEST_EDIT_FILENAME if result.best is not None else None
                ),
                "original_score": result.original_score,
            },
        )
    ]


def _images(turn: Turn, result: TipsResult, original: Image.Image) -> tuple[Attachment, ...]:
    """The best believable edit itself, always PNG (score those bytes to check the claim),
    and a before/after card that also lists the advice, unless the adapter draws its own."""
    best = result.best
    if best is None:
        return ()
    t = turn.t
    description = t("tips.image_description", score=best.score)
    edit = Attachment(best.png, BEST_EDIT_FILENAME, "image/png", description)
    fmt = turn.event.cards
    if fmt is CardFormat.NONE:
        return (edit,)
    edited = Image.open(io.BytesIO(best.png))
    found = wording.suggestions(result, t)
    comparison = cards.tips_image(
        original,
        edited,
        best.gain,
        scores=(result.original_score, best.score),
        caption=wording.edit_text(best, t),
        notes=[t("tips.line.advice_plain", text=s.text) for s in found if s.kind == "advice"],
        t=t,
        fmt=fmt,
    )
    name, mime_type = cards.file_type("tips", fmt)
    return (edit, Attachment(comparison, name, mime_type, description))
