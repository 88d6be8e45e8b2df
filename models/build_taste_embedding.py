"""Fit the reduction of the popularity CNN's penultimate activations that the group taste model
uses, on the 30 dev selfies, and write `models/taste_embedding.json` (arrays plus its card).

    .venv/bin/python models/build_taste_embedding.py [--h5 ../shared/seed/best_model.h5]
        [--photos ../shared/selfies/dev]

The selfies and the seed model are never shipped; only this small linear map derived from
them is. The seed's penultimate layer has 8 units and one direction holds almost all their
variance: it is the popularity score itself, which the taste model already has, so it is
dropped and the next `COMPONENTS` principal components are kept, each scaled to unit
variance on the dev selfies.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from inference.decode import decode_photo  # noqa: E402
from inference.popularity import PopularityModel  # noqa: E402
from inference.taste.features import REDUCTION_PATH  # noqa: E402
from models.keras_onnx import convert_keras_h5  # noqa: E402
from models.registry import ModelFile  # noqa: E402
from models.seed import popularity_card  # noqa: E402

COMPONENTS = 3
MAX_PIXELS = 40_000_000
SHARED = ROOT.parent / "shared"


def penultimate_activations(h5: Path, photos: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) activations and (N,) P(popular) of the photos, through our converter."""
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = Path(tmp) / "popularity.onnx"
        data = convert_keras_h5(h5).SerializeToString()
        onnx_path.write_bytes(data)
        card = popularity_card(
            sha256=hashlib.sha256(data).hexdigest(), source_sha256="", source=str(h5)
        )
        model = PopularityModel(ModelFile(onnx_path, card))
        images = [decode_photo(path.read_bytes(), MAX_PIXELS).image for path in photos]
        batch = np.concatenate([model.tensor(model.resize(image)) for image in images])
        probabilities, embedding = model.predict_with_embedding(batch)
    if embedding is None:
        raise SystemExit(f"{h5} has no Dense output layer whose input could be read")
    return embedding, probabilities


def fit(embedding: np.ndarray, probabilities: np.ndarray) -> dict[str, object]:
    mean = embedding.mean(axis=0)
    _, singular, axes = np.linalg.svd(embedding - mean, full_matrices=False)
    explained = singular**2 / float((singular**2).sum())
    logits = np.log(probabilities / (1 - probabilities))
    first = (embedding - mean) @ axes[0]
    kept = axes[1 : 1 + COMPONENTS]
    scale = ((embedding - mean) @ kept.T).std(axis=0)
    return {
        "mean": mean.round(7).tolist(),
        "components": kept.round(7).tolist(),
        "scale": scale.round(7).tolist(),
        "explained_variance_ratio": explained.round(5).tolist(),
        "dropped_component_correlation_with_popularity_logit": round(
            abs(float(np.corrcoef(first, logits)[0, 1])), 4
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--h5", type=Path, default=SHARED / "seed" / "best_model.h5")
    parser.add_argument("--photos", type=Path, default=SHARED / "selfies" / "dev")
    parser.add_argument("--out", type=Path, default=REDUCTION_PATH)
    args = parser.parse_args(argv)
    photos = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    embedding, probabilities = penultimate_activations(args.h5, photos)
    card = {
        "name": "taste-embedding-reduction",
        "what": "Linear map from the popularity CNN's penultimate activations (the input of "
        "its last Dense layer) to the `cnn1..cnnK` features of the group taste model.",
        "fitted_on": f"{len(photos)} dev selfies (UCF Selfie dataset, ../shared/selfies/dev; "
        "not shipped), preprocessed exactly as the popularity model's card says",
        "popularity_source_sha256": hashlib.sha256(args.h5.read_bytes()).hexdigest(),
        "method": "PCA of the activations (centred on their dev mean). Principal component 1 "
        "is dropped: it is the popularity logit itself (correlation below), which the taste "
        f"model already uses. Components 2..{COMPONENTS + 1} are kept, each divided by its "
        "standard deviation on the dev selfies.",
        "input_dim": int(embedding.shape[1]),
        "built_by": "models/build_taste_embedding.py",
        "licence": "MIT: statistics this project computed from the popularity model's "
        "activations; no photo, pixel or model weight is stored here",
        **fit(embedding, probabilities),
    }
    args.out.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(photos)} photos, {COMPONENTS} components)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
