"""Advice for the next photo (smile, light, framing, head tilt) with its expected gain.

Which advice applies comes from the analysis; how much it is worth comes from
`advice_gains.json`, measured on real selfies by `benchmarks/measure_advice_gains.py` (score
differences between the same photos with and without the trait, simulated by believable edits,
or between comparable selfies). Those are averages, so a reply words them as "about".
No text here: the bot's message catalogue words each `Advice.kind`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inference.results import Analysis, Face

GAINS_FILE = Path(__file__).with_name("advice_gains.json")

# Thresholds on the analyzer's measures, set from the 30 dev selfies so that only the clear
# cases are called out.
NO_SMILE_HAPPY = 0.3
"""fer's "happy" below this is no smile."""
DARK_FACE = 80.0
BRIGHT_FACE = 215.0
"""Mean luma (0-255) of the face box: darker is underlit, brighter is washed out."""
FACE_SMALL = 0.08
FACE_LARGE = 0.6
OFF_CENTRE_X = 0.2
TILT_DEGREES = 10.0


@dataclass(frozen=True)
class Advice:
    """One thing to do differently next time.

    `kind` is the trait (`smile`, `light.dark`, `light.bright`, `framing.small`,
    `framing.large`, `framing.off_centre`, `tilt`, `no_face`); `gain` the expected score gain
    in points from the measured table (None when not measured, as for `no_face`); `values`
    what the wording needs (the tilt in degrees, the share of the frame the face fills).
    """

    kind: str
    gain: float | None
    values: Mapping[str, int] = field(default_factory=dict)


@cache
def measured_gains() -> Mapping[str, float]:
    """The shipped table of expected gains per trait, in score points."""
    table = json.loads(GAINS_FILE.read_text(encoding="utf-8"))
    return MappingProxyType({kind: float(entry["gain"]) for kind, entry in table["gains"].items()})


def traits(analysis: Analysis, face_luma: float | None) -> list[tuple[str, dict[str, int]]]:
    """The advisable traits of a photo, each with the values its wording needs.

    `face_luma` is the main face's mean luma (0-255) in the photo, or None without a face.
    """
    face = analysis.main_face
    if face is None:
        return [("no_face", {})]
    found: list[tuple[str, dict[str, int]]] = []
    if not _smiling(face):
        found.append(("smile", {}))
    if face_luma is not None and face_luma < DARK_FACE:
        found.append(("light.dark", {}))
    elif face_luma is not None and face_luma > BRIGHT_FACE:
        found.append(("light.bright", {}))
    quality = analysis.quality
    ratio = quality.face_area_ratio
    if ratio is not None and ratio < FACE_SMALL:
        found.append(("framing.small", {"percent": max(1, round(ratio * 100))}))
    elif ratio is not None and ratio > FACE_LARGE:
        found.append(("framing.large", {"percent": round(ratio * 100)}))
    elif quality.face_center_x is not None and abs(quality.face_center_x - 0.5) > OFF_CENTRE_X:
        found.append(("framing.off_centre", {}))
    tilt = quality.face_tilt_degrees
    if tilt is not None and abs(tilt) > TILT_DEGREES:
        found.append(("tilt", {"degrees": round(abs(tilt))}))
    return found


def _smiling(face: Face) -> bool:
    """Smiling by FaceMesh's mouth width or by fer's "happy": "smile" is advised only when
    neither sees a smile (telling a smiling person to smile costs their trust)."""
    if face.mesh is not None and face.mesh.smiling:
        return True
    return face.emotions.get("happy", 0.0) >= NO_SMILE_HAPPY


def advise(
    analysis: Analysis,
    face_luma: float | None,
    *,
    min_gain: float,
    limit: int,
    gains: Mapping[str, float] | None = None,
) -> tuple[Advice, ...]:
    """At most `limit` pieces of advice, largest expected gain first.

    Advice whose measured gain is under `min_gain` is left out: it would not clearly raise the
    score. Advice that has no score to gain (`no_face`: there is nothing to score yet) always
    comes first.
    """
    table = measured_gains() if gains is None else gains
    chosen: list[Advice] = []
    for kind, values in traits(analysis, face_luma):
        if kind == "no_face":
            chosen.append(Advice(kind, None, values))
            continue
        gain = table.get(kind)
        if gain is not None and gain >= min_gain:
            chosen.append(Advice(kind, gain, values))
    chosen.sort(key=lambda advice: -(advice.gain if advice.gain is not None else float("inf")))
    return tuple(chosen[:limit])
