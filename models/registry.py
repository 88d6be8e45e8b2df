"""Where the models come from: the bundled emotion model and the popularity model, which is
configured, cached, fetched or imported, never shipped (the seed's file has no licence).

Everything the analyzer needs is a `ModelFile`: an ONNX path plus the card stating its contract.
Every failure is one sentence a user can act on; those that mean "no usable popularity model"
are `ModelMissingError`, those while fetching or importing are `ModelInstallError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import h5py
import onnx
import onnxruntime as ort

from bot.settings import Settings
from models.card import ModelCard
from models.download import DownloadError, download
from models.keras_onnx import KerasConversionError, convert_keras_model, load_keras_h5
from models.seed import (
    PINNED_SHA256,
    PINNED_URL,
    ContractError,
    check_contract,
    popularity_card,
)

__all__ = [
    "PINNED_SHA256",
    "PINNED_URL",
    "ModelCard",
    "ModelFile",
    "ModelInstallError",
    "ModelMissingError",
    "emotion_model",
    "fetch_popularity_model",
    "import_popularity_model",
    "installed_popularity_dir",
    "popularity_model",
]

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent
EMOTION_ONNX = MODELS_DIR / "emotion.onnx"
EMOTION_CARD = MODELS_DIR / "emotion.json"
INSTALLED_ONNX = "popularity.onnx"
INSTALLED_CARD = "popularity.json"

FIX = (
    "run `selfiebot models fetch` (needs internet) or `selfiebot models import PATH/best_model.h5`"
)
MISSING_MESSAGE = f"No popularity model is installed: {FIX}."


class ModelMissingError(RuntimeError):
    """No usable popularity model; `str()` is one sentence including the command that fixes it."""

    def __init__(self, message: str = MISSING_MESSAGE) -> None:
        super().__init__(message)


class ModelInstallError(RuntimeError):
    """Fetching or importing failed (offline, wrong checksum, not a usable Keras file)."""


@dataclass(frozen=True)
class ModelFile:
    """An ONNX model on disk and the card that says how to feed it and read it."""

    onnx_path: Path
    card: ModelCard


def installed_popularity_dir(settings: Settings) -> Path:
    """Where `models fetch` / `models import` put the converted model and its card."""
    return settings.cache_dir / "models"


def emotion_model() -> ModelFile:
    """The bundled fer emotion model (MIT), converted at build time by build_emotion_model.py."""
    if not EMOTION_ONNX.is_file() or not EMOTION_CARD.is_file():
        raise ModelMissingError(
            f"The bundled emotion model {EMOTION_ONNX} is missing: reinstall selfiebot or run "
            "`python models/build_emotion_model.py`."
        )
    return ModelFile(EMOTION_ONNX, ModelCard.load(EMOTION_CARD))


def popularity_model(settings: Settings) -> ModelFile:
    """The configured model (`SELFIEBOT_POPULARITY_MODEL`, .h5 or .onnx), else the installed one."""
    configured = settings.popularity_model
    if configured is not None and configured != Path("."):
        return _configured(configured.expanduser(), settings)
    target = installed_popularity_dir(settings)
    installed = _read_cached(target / INSTALLED_ONNX, target / INSTALLED_CARD)
    if installed is None:
        raise ModelMissingError()
    return installed


def fetch_popularity_model(
    settings: Settings,
    url: str = PINNED_URL,
    sha256: str | None = PINNED_SHA256,
    timeout: float = 60.0,
) -> ModelFile:
    """Download, verify the checksum (unless `sha256` is None), convert and install."""
    target = _writable_install_dir(settings)
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        dest = Path(tmp) / "download.h5"
        try:
            digest = download(url, dest, timeout=timeout)
        except DownloadError as exc:
            raise ModelInstallError(
                f"Could not download the popularity model from {url} ({exc}): check the "
                "internet connection, or run `selfiebot models import PATH/best_model.h5` "
                "with a local copy."
            ) from exc
        if sha256 is not None and digest != sha256.lower():
            raise ModelInstallError(
                f"The file downloaded from {url} has SHA-256 {digest}, not the expected "
                f"{sha256.lower()}, so it was not installed."
            )
        return _install(dest, settings, source=url)


def import_popularity_model(settings: Settings, path: Path) -> ModelFile:
    """Install from a local Keras .h5. A file other than the pinned seed is accepted if it
    follows the contract (RGB image in, two outputs), with its own SHA-256 in the card and a
    note saying so (the CLI warns the user), so retrained models can be swapped in; anything
    that is not HDF5 is refused."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelInstallError(f"There is no file at {path}.")
    if not h5py.is_hdf5(path):
        raise ModelInstallError(
            f"{path} is not a Keras HDF5 (.h5) model file, so it was not imported."
        )
    return _install(path, settings, source=str(path.resolve()))


def _writable_install_dir(settings: Settings) -> Path:
    target = installed_popularity_dir(settings)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelInstallError(
            f"Could not create the model cache {target} ({exc.strerror or exc}): set "
            "SELFIEBOT_CACHE_DIR to a writable folder."
        ) from exc
    return target


def _install(h5: Path, settings: Settings, source: str) -> ModelFile:
    target = _writable_install_dir(settings)
    try:
        result = _convert(h5, target / INSTALLED_ONNX, target / INSTALLED_CARD, source)
    except OSError as exc:
        raise ModelInstallError(
            f"Could not write the popularity model into {target} ({exc.strerror or exc}): set "
            "SELFIEBOT_CACHE_DIR to a writable folder."
        ) from exc
    log.info("Installed the popularity model from %s at %s", source, result.onnx_path)
    return result


def _configured(path: Path, settings: Settings) -> ModelFile:
    if not path.is_file():
        raise ModelMissingError(
            f"SELFIEBOT_POPULARITY_MODEL points at {path}, which is not an existing file: fix "
            f"the path, or unset it and {FIX}."
        )
    try:
        if path.suffix.lower() == ".onnx":
            return _onnx_with_card(path)
        source_sha = _sha256_file(path)
        cache = installed_popularity_dir(settings) / "converted"
        onnx_path, card_path = cache / f"{source_sha}.onnx", cache / f"{source_sha}.json"
        cached = _read_cached(onnx_path, card_path, source_sha)
        if cached is not None:
            return cached
        if not h5py.is_hdf5(path):
            raise ModelInstallError("it is neither a Keras HDF5 (.h5) nor an .onnx file")
        cache.mkdir(parents=True, exist_ok=True)
        return _convert(path, onnx_path, card_path, str(path.resolve()))
    except (ModelInstallError, ValueError, OSError) as exc:
        reason = str(exc).rstrip(".")
        raise ModelMissingError(
            f"SELFIEBOT_POPULARITY_MODEL points at {path}, which cannot be used ({reason}): "
            f"point it at a popularity model (.h5 or .onnx), or unset it and {FIX}."
        ) from exc


def _onnx_with_card(path: Path) -> ModelFile:
    """An .onnx brings its card as <name>.json; without one, the seed's contract is assumed
    (checked against the graph's shapes). The card's sha256 is always the file's real one, so
    results never claim a version they did not run."""
    digest = _sha256_file(path)
    card_path = path.with_suffix(".json")
    if card_path.is_file():
        card = ModelCard.load(card_path)
        if card.sha256 != digest:
            log.warning("Card %s describes another file; using %s's own SHA-256.", card_path, path)
            card = dataclasses.replace(card, sha256=digest)
        return ModelFile(path, card)
    try:
        graph = onnx.load(str(path)).graph
    except Exception as exc:  # onnx raises DecodeError and others from protobuf
        raise ModelInstallError("it is not a readable ONNX file") from exc
    input_shape, output_shape = _io_shapes(graph)
    _check(path, input_shape, output_shape)
    card = popularity_card(
        sha256=digest,
        source_sha256="",
        source=str(path.resolve()),
        input_size=(int(input_shape[1]), int(input_shape[2])),  # type: ignore[arg-type]
    )
    return ModelFile(path, card)


def _convert(h5: Path, onnx_path: Path, card_path: Path, source: str) -> ModelFile:
    source_sha = _sha256_file(h5)
    try:
        model = convert_keras_model(load_keras_h5(h5), graph_name=h5.stem, source_sha256=source_sha)
    except KerasConversionError as exc:
        raise ModelInstallError(f"{h5.name} cannot be converted: {exc}") from exc
    input_shape, output_shape = _io_shapes(model.graph)
    _check(h5, input_shape, output_shape)
    data = model.SerializeToString()
    _check_loads(h5, data)
    card = popularity_card(
        sha256=hashlib.sha256(data).hexdigest(),
        source_sha256=source_sha,
        source=source,
        input_size=(int(input_shape[1]), int(input_shape[2])),  # type: ignore[arg-type]
    )
    _write_atomic(onnx_path, data)
    _write_atomic(card_path, card.to_json().encode("utf-8"))
    return ModelFile(onnx_path, card)


def _check_loads(h5: Path, data: bytes) -> None:
    """Install only what ONNX Runtime accepts, so a bad file fails at import with its name
    rather than later inside the bot."""
    try:
        ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own untyped errors
        raise ModelInstallError(
            f"{h5.name} converts to a graph ONNX Runtime cannot load ({exc})"
        ) from exc


def _check(path: Path, input_shape: tuple, output_shape: tuple) -> None:
    try:
        check_contract(input_shape, output_shape)
    except ContractError as exc:
        raise ModelInstallError(
            f"{path.name} does not follow the popularity contract: {exc}"
        ) from exc


def _io_shapes(graph: onnx.GraphProto) -> tuple[tuple, tuple]:
    def dims(value: onnx.ValueInfoProto) -> tuple:
        return tuple(
            d.dim_value if d.HasField("dim_value") else None
            for d in value.type.tensor_type.shape.dim
        )

    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ModelInstallError("the model must have exactly one input and one output")
    return dims(graph.input[0]), dims(graph.output[0])


def _read_cached(
    onnx_path: Path, card_path: Path, source_sha256: str | None = None
) -> ModelFile | None:
    """A cached conversion, only if its card matches both the ONNX bytes and the source: a
    half-written or tampered cache is rebuilt rather than trusted."""
    if not onnx_path.is_file() or not card_path.is_file():
        return None
    try:
        card = ModelCard.load(card_path)
    except (ValueError, OSError):
        return None
    if card.sha256 != _sha256_file(onnx_path):
        return None
    if source_sha256 is not None and card.source_sha256 != source_sha256:
        return None
    return ModelFile(onnx_path, card)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target then rename, so readers never see a partial file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
