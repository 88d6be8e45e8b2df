"""The seed popularity CNN: where it lives, its pinned checksum, and its input/output contract.

Facts from `../shared/seed/README.md`. The file has no licence, so the project never ships it:
users fetch it from the pinned commit or import a copy they have.
"""

from __future__ import annotations

from models.card import CONVERTED_BY, NORMALISATIONS, ModelCard

PINNED_COMMIT = "5f9cc5734d9bcda6e9688dfa72b922dc367e56ea"
PINNED_URL = (
    "https://raw.githubusercontent.com/darienpmt/selfie_popularity_predictor/"
    f"{PINNED_COMMIT}/best_model.h5"
)
PINNED_SHA256 = "fe00c2c33631ef0426898c1e6dab9b057c29259a568597c3683433b795318c05"
PINNED_SIZE = 2_420_696
SEED_ACCURACY = 0.709

SEED_PREPROCESSING = (
    "Whole photo, no crop: convert to RGB, resize to 128x128 with PIL Image.LANCZOS, "
    "float32 / 255, NHWC batch (N, 128, 128, 3). Output (N, 2); output[:, 1] = P(popular)."
)


class ContractError(ValueError):
    """A model whose input/output shapes cannot follow the popularity contract."""


Shape = tuple[int | None, ...]


def check_contract(input_shape: Shape, output_shape: Shape) -> tuple[int, int]:
    """Refuse models the analyzer could not feed: it sends (N, H, W, 3) RGB, reads output[:, 1].

    Returns the input's (height, width), which the contract requires to be fixed.
    """
    if len(input_shape) != 4 or input_shape[3] != 3:
        raise ContractError(f"its input is {_shape(input_shape)}, not (N, height, width, 3) RGB")
    height, width = input_shape[1], input_shape[2]
    if not (isinstance(height, int) and height > 0 and isinstance(width, int) and width > 0):
        raise ContractError(f"its input size {_shape(input_shape)} is not fixed")
    if len(output_shape) != 2 or output_shape[1] != 2:
        raise ContractError(f"its output is {_shape(output_shape)}, not (N, 2)")
    return height, width


def check_card(card: ModelCard) -> None:
    """Refuse a card the analyzer cannot follow for P(popular): it feeds RGB pixels scaled one
    of the card format's ways and reads one column of a two-column output. Judged from the card
    alone (no onnx or ONNX Runtime import), so a wrong model set in SELFIEBOT_POPULARITY_MODEL,
    such as the emotion model, is refused when it is resolved, not on every photo later."""
    if card.channels != 3 or card.colour.upper() != "RGB":
        raise ContractError(
            f"its card says the input is {card.channels}-channel {card.colour}, not RGB"
        )
    if min(card.input_size) < 1:
        raise ContractError(f"its card gives no usable input size {card.input_size}")
    if " ".join(card.normalisation.split()) not in NORMALISATIONS:
        raise ContractError(
            f"its card asks for normalisation {card.normalisation!r}, which is not one of "
            + ", ".join(repr(name) for name in NORMALISATIONS)
        )
    if card.output_index is not None and card.output_index not in (0, 1):
        raise ContractError(f"its card reads output[{card.output_index}] of a two-column output")


def _shape(shape: Shape) -> str:
    return "(" + ", ".join("N" if dim is None else str(dim) for dim in shape) + ")"


def popularity_card(
    *,
    sha256: str,
    source_sha256: str,
    source: str,
    input_size: tuple[int, int] = (128, 128),
) -> ModelCard:
    """The card for a model under the seed's contract; only the pinned file gets the seed's
    name, provenance and reported accuracy, since nothing is known about any other file."""
    pinned = source_sha256 == PINNED_SHA256
    return ModelCard(
        name="seed-popularity-cnn" if pinned else "custom-popularity-model",
        source=(
            f"github.com/darienpmt/selfie_popularity_predictor@{PINNED_COMMIT}/best_model.h5"
            if pinned
            else source
        ),
        input_size=input_size,
        colour="RGB",
        channels=3,
        resize="PIL Image.resize LANCZOS of the whole photo (no crop)",
        normalisation="x / 255",
        label="popular: log2-normalised UCF Selfie popularity >= 4.4 (about the top half)",
        output_index=1,
        reported_accuracy=SEED_ACCURACY if pinned else None,
        sha256=sha256,
        source_sha256=source_sha256,
        converted_by=CONVERTED_BY if source_sha256 else "",
        licence=(
            "none: the seed repository has no licence; fetched or imported on this machine by "
            "its user, never redistributed"
            if pinned
            else "unknown"
        ),
        preprocessing=SEED_PREPROCESSING,
        notes=(
            ""
            if pinned
            else "Not the pinned seed file: assumed to follow the seed's contract; accuracy "
            "unknown."
        ),
    )
