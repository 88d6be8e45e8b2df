"""From what tilt must FaceMesh level a face's emotion crop? The figures behind
`inference.analyzer.MESH_LEVEL_DEGREES`.

    .venv/bin/python benchmarks/measure_mesh_levelling.py [--json]

Faces: the main face of each dev selfie (../shared/selfies/dev) and of tests/data/astronaut.jpg,
each as it is and turned by 8, -15 and 25 degrees. The reference is FaceMesh on every face, its
roll levelling the crop from 3 degrees (the pipeline before FaceMesh became on demand). For each
threshold T on BlazeFace's eye-line angle, a face tilted by T or more is levelled by FaceMesh's
roll and a flatter one keeps fer's crop; also shown, levelling by BlazeFace's own eye-line
angle (no FaceMesh at all). Reported per policy: faces whose top expression stays the same,
faces whose "happy" crosses the smile advice's cut (`inference.advice.NO_SMILE_HAPPY`), the
largest and mean change of any expression's probability, and how many faces run FaceMesh.
fer is its own yardstick here: no labels by people.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.devset import SELFIES_DEV, dev_selfies_analyzer  # noqa: E402

TURNS = (0, 8, -15, 25)
THRESHOLDS = (4, 5, 6, 7, 8, 10, 12, 15)


def faces(analyzer) -> list[dict]:
    """Each face's eye-line angle and its expressions levelled by each candidate roll (reaches
    into the analyzer's sessions on purpose: a diagnostic, not an API)."""
    from inference.analyzer import _pixel_box
    from inference.decode import decode_photo
    from inference.faces import detection_copy
    from inference.landmarks import eye_roll

    paths = [*sorted(SELFIES_DEV.glob("*.jpg")), ROOT / "tests" / "data" / "astronaut.jpg"]
    found = []
    for path in paths:
        photo = decode_photo(path.read_bytes(), analyzer.max_pixels)
        for turn in TURNS:
            image = photo.image.rotate(turn, resample=Image.Resampling.BICUBIC)
            detection, factor = detection_copy(image)
            detected = [face.scaled(factor) for face in analyzer._faces.detect(detection)]
            if not detected:
                continue
            face = detected[0]
            mesh = analyzer._mesh.measure(image, face, photo.scale)
            eye = eye_roll(face)
            pixels, box = np.asarray(image), [_pixel_box(face)]

            def emotions(roll: float, pixels=pixels, box=box, scale=photo.scale) -> dict:
                batch = analyzer._emotions.preprocess(pixels, box, scale, [roll])
                return analyzer._emotions.predict(batch)[0]

            found.append(
                {
                    "turn": turn,
                    "eye": eye,
                    "reference": emotions(mesh.roll_degrees if mesh is not None else eye),
                    "fer_crop": emotions(0.0),
                    "eye_levelled": emotions(eye),
                }
            )
    return found


def compare(found: list[dict], choose) -> dict[str, float]:
    from inference.advice import NO_SMILE_HAPPY

    same = happy = runs = 0
    changes = []
    for face in found:
        new, ran = choose(face)
        old = face["reference"]
        runs += ran
        same += max(new, key=new.get) == max(old, key=old.get)
        happy += (new["happy"] >= NO_SMILE_HAPPY) != (old["happy"] >= NO_SMILE_HAPPY)
        changes.append(max(abs(new[name] - old[name]) for name in old))
    return {
        "faces": len(found),
        "same_top_expression": same,
        "smile_cut_crossed": happy,
        "max_change": round(float(np.max(changes)), 3),
        "mean_max_change": round(float(np.mean(changes)), 4),
        "facemesh_runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with dev_selfies_analyzer() as analyzer:
        found = faces(analyzer)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for subset, chosen in (
        ("unturned", [face for face in found if face["turn"] == 0]),
        ("all turns", found),
    ):
        rows = {
            f"FaceMesh from {threshold} degrees": compare(
                chosen,
                lambda face, t=threshold: (
                    (face["reference"], 1) if abs(face["eye"]) >= t else (face["fer_crop"], 0)
                ),
            )
            for threshold in THRESHOLDS
        }
        rows["BlazeFace's eye line, no FaceMesh"] = compare(
            chosen, lambda face: (face["eye_levelled"], 0)
        )
        table[subset] = rows
    if args.json:
        print(json.dumps(table, indent=2))
        return
    for subset, rows in table.items():
        print(subset)
        for policy, figures in rows.items():
            print(f"  {policy:36} {figures}")


if __name__ == "__main__":
    main()
