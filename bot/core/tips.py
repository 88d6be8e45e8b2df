"""The words of the tips: the engine's result (`inference.tips`) as at most three suggestions.

The engine measures; this module only words what it found, through the message catalogue, in
the asker's language. Every adapter (Telegram, Discord, the web page, `selfiebot play`) and the
`selfiebot score --tips` command show the same suggestions: the best believable edit with its
re-scored gain, then the advice with the largest measured gain, worded "about" because it is an
average over real selfies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.core.i18n import Translator
    from inference.advice import Advice
    from inference.tips import BestEdit, Step, TipsResult


@dataclass(frozen=True)
class Suggestion:
    """One line of the tips: `kind` is "edit" or "advice"; `gain` whole score points (the
    measured re-score for an edit, the rounded expected gain for advice; None when advice has
    no score to gain, such as showing a face at all)."""

    kind: str
    text: str
    gain: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "gain": self.gain}


def suggestions(result: TipsResult, t: Translator) -> tuple[Suggestion, ...]:
    """The best believable edit (if any), then the advice, at most three in all."""
    found: list[Suggestion] = []
    if result.best is not None:
        found.append(Suggestion("edit", edit_text(result.best, t), result.best.gain))
    for advice in result.advice:
        gain = round(advice.gain) if advice.gain is not None else None
        found.append(Suggestion("advice", advice_text(advice, t), gain))
    return tuple(found)


def edit_text(best: BestEdit, t: Translator) -> str:
    """ "Edited photo: crop to frame your face, more contrast (+8%)"."""
    parts = [t("tips.step.crop")] if best.crop is not None else []
    parts.extend(step_text(step, t) for step in best.steps)
    return t("tips.edit_text", steps=", ".join(parts))


def step_text(step: Step, t: Translator) -> str:
    """One colour edit in words, with its direction and, where it reads naturally, its size."""
    if step.name == "sharpen":
        return t("tips.step.sharpen")
    if step.name in ("brightness", "warmth"):
        up = step.strength > 1 if step.name == "brightness" else step.strength > 0
        return t(f"tips.step.{step.name}.{'up' if up else 'down'}")
    percent = round(abs(step.strength - 1) * 100)
    return t(f"tips.step.{step.name}.{'up' if step.strength > 1 else 'down'}", percent=percent)


def advice_text(advice: Advice, t: Translator) -> str:
    return t(f"tips.advice.{advice.kind}", **advice.values)


def reply_text(result: TipsResult, t: Translator) -> str:
    """The chat message: the title with the score, one line per suggestion, and a plain
    sentence when nothing believable helps or no edited photo comes with it."""
    lines = [t("tips.title", score=result.original_score)]
    for suggestion in suggestions(result, t):
        if suggestion.kind == "edit" and result.best is not None:
            lines.append(
                t(
                    "tips.line.edit",
                    text=suggestion.text,
                    gain=suggestion.gain,
                    score=result.best.score,
                )
            )
        elif suggestion.gain is not None:
            lines.append(t("tips.line.advice", text=suggestion.text, gain=suggestion.gain))
        else:
            lines.append(t("tips.line.advice_plain", text=suggestion.text))
    if result.best is None:
        lines.append(t("tips.nothing") if not result.advice else t("tips.no_edit"))
    return "\n".join(lines)


def tips_json(result: TipsResult, t: Translator, image: str | None) -> dict[str, Any]:
    """The `tips` object of `selfiebot score --json --tips` (and of the tips reply's data).

    `image` names where the best edit's PNG is (a saved path, an attachment's file name) or is
    None when it was not saved; `crop` is `[x, y, w, h]` in the original photo's pixels.
    """
    best = result.best
    return {
        "suggestions": [s.to_dict() for s in suggestions(result, t)],
        "best": None
        if best is None
        else {
            "score": best.score,
            "image": image,
            "crop": list(best.crop) if best.crop is not None else None,
            "edits": list(best.codes),
        },
    }
