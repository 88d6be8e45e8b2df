"""How well FaceMesh's smile measures agree with fer's "happy" on the 30 dev selfies.

    .venv/bin/python benchmarks/calibrate_smile.py [--json]

For each dev selfie's main face: `FaceMesh.smile` (mouth width over outer eye-corner distance),
`FaceMesh.mouth_open` (lip gap over mouth width), and fer's probability of "happy" on the same
face. Reported: Spearman rank correlation of each measure with "happy", the ROC AUC of each
measure for telling fer-happy faces (p >= 0.5) from the rest, and the smile threshold that best
separates the two groups (Youden's J) with its accuracy. No labels by people: fer is the
yardstick the issue asks for, and itself errs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.devset import SELFIES_DEV, dev_selfies_analyzer  # noqa: E402

HAPPY = 0.5


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their mean rank."""
    order = np.argsort(values, kind="stable")
    ranked = np.empty(len(values))
    ranked[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        ranked[tied] = ranked[tied].mean()
    return ranked


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """P(a positive scores above a negative), ties counting half (Mann-Whitney)."""
    pos, neg = scores[positive], scores[~positive]
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def best_threshold(scores: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """The cut maximising sensitivity + specificity - 1, and the accuracy it gives."""
    best, best_j = float(scores.min()), -1.0
    for cut in np.unique(scores):
        predicted = scores >= cut
        sensitivity = (predicted & positive).sum() / max(1, positive.sum())
        specificity = (~predicted & ~positive).sum() / max(1, (~positive).sum())
        if sensitivity + specificity - 1 > best_j:
            best, best_j = float(cut), sensitivity + specificity - 1
    return best, float(((scores >= best) == positive).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rows = []
    with dev_selfies_analyzer() as analyzer:
        for path in sorted(SELFIES_DEV.glob("*.jpg")):
            face = analyzer.analyze(path.read_bytes(), mesh=True).main_face
            if face is None or face.mesh is None:
                continue
            rows.append((path.name, face.mesh.smile, face.mesh.mouth_open, face.emotions["happy"]))
    smile = np.array([row[1] for row in rows])
    mouth_open = np.array([row[2] for row in rows])
    happy = np.array([row[3] for row in rows])
    positive = happy >= HAPPY
    threshold, accuracy = best_threshold(smile, positive)
    figures = {
        "faces_with_mesh": len(rows),
        "fer_happy_faces": int(positive.sum()),
        "smile_range": [round(float(smile.min()), 3), round(float(smile.max()), 3)],
        "smile_median_happy": round(float(np.median(smile[positive])), 3),
        "smile_median_not_happy": round(float(np.median(smile[~positive])), 3),
        "spearman_smile_vs_happy": round(spearman(smile, happy), 3),
        "spearman_mouth_open_vs_happy": round(spearman(mouth_open, happy), 3),
        "auc_smile": round(auc(smile, positive), 3),
        "auc_mouth_open": round(auc(mouth_open, positive), 3),
        "smile_threshold": round(threshold, 3),
        "smile_threshold_accuracy": round(accuracy, 3),
    }
    if args.json:
        print(json.dumps({"figures": figures, "faces": rows}, indent=2))
        return
    for name, smile_value, opening, happiness in rows:
        print(f"{name[:34]:36} smile {smile_value:.3f}  open {opening:.3f}  happy {happiness:.3f}")
    for key, value in figures.items():
        print(f"{key:32} {value}")


if __name__ == "__main__":
    main()
