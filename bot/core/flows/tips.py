"""`/tips` and the Tips button: measured edits for the asker's last photo (kept in memory only)."""

from __future__ import annotations

import asyncio
import io

from PIL import Image

from bot.core import cards
from bot.core.context import Services, Turn, update_tag
from bot.core.render import amount
from bot.core.replies import Attachment, Reply
from bot.core.tips import TipsReport, suggest_tips
from inference import PhotoError
from inference.decode import decode_photo


def _full_resolution(svc: Services, data: bytes) -> Image.Image:
    """The upright photo at full resolution (no draft decoding): the tips engine edits and
    returns real pixels. Raises `PhotoError` like the analyzer."""
    settings = svc.settings
    return decode_photo(
        data, settings.max_image_pixels, max_bytes=settings.max_upload_bytes, draft_min_side=None
    ).image


async def tips(svc: Services, turn: Turn) -> list[Reply]:
    """Run the tips engine on the cached photo; every number is a re-scored value."""
    t = turn.t
    tag = update_tag(turn.update_id)
    data = svc.photos.get((turn.chat.platform, turn.user.platform_user_id))
    if data is None:
        minutes = amount(t, "minutes", svc.settings.tips_photo_ttl_minutes)
        text = t("tips.none_cached", minutes=minutes)
        return [Reply(text, tag=tag)]
    try:
        image = await asyncio.to_thread(_full_resolution, svc, data)
        analysis = await svc.analyzer.analyze_async(data)
    except PhotoError as error:
        return [Reply(error.user_message, tag=tag)]
    report = await asyncio.to_thread(suggest_tips, svc.analyzer, image, analysis)
    return [
        Reply(
            _text(turn, report),
            attachments=_images(turn, report, image),
            tag=tag,
            data={
                "tips": [
                    {"edit": tip.title, "gain": tip.gain, "new_score": tip.new_score}
                    for tip in report.tips
                ],
                "best_score": report.best.new_score if report.best else report.original_score,
                "original_score": report.original_score,
            },
        )
    ]


def _text(turn: Turn, report: TipsReport) -> str:
    t = turn.t
    lines = [t("tips.title", score=report.original_score)]
    for tip in report.tips:
        lines.append(t("tips.edit", edit=tip.title, gain=tip.gain, new_score=tip.new_score))
    if report.best is None:
        lines.append(t("tips.no_edit"))
    else:
        lines.append(t("tips.best", best_score=report.best.new_score))
    if report.observations:
        lines.append(t("tips.observations"))
        lines.extend(
            t("tips.observation", text=f"{note.text} {note.fix}") for note in report.observations
        )
    return "\n".join(lines)


def _images(turn: Turn, report: TipsReport, original: Image.Image) -> tuple[Attachment, ...]:
    """The best edited photo itself (score it to check the claim) and a before/after card."""
    best = report.best
    if best is None:
        return ()
    edited = Image.open(io.BytesIO(best.image_png))
    comparison = cards.tips_image(
        original,
        edited,
        best.gain,
        scores=(report.original_score, best.new_score),
        caption=best.title,
        t=turn.t,
    )
    description = turn.t("tips.image_description", score=best.new_score)
    return (
        Attachment(best.image_png, "best-edit.png", "image/png", description),
        Attachment(comparison, "tips.png", "image/png", description),
    )
