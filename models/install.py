"""Installing the popularity model: fetch or import a Keras .h5, convert it, check it, cache it.

The heavy half of model management (h5py, onnx, ONNX Runtime, httpx and the converter), kept
apart from `models.registry` so that resolving an already-installed model stays cheap at start
up. The CLI imports this module for `models fetch|import`; the registry imports it only when a
configured .h5 has no valid cached conversion yet, or an .onnx comes without a card. It never
imports the registry: what both need lives in `models.files` and `models.config`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import h5py
import onnx
import onnxruntime as ort

from models.config import ModelPaths
from models.download import DownloadError, download
from models.files import ModelFile, ModelInstallError, sha256_file
from models.keras_onnx import KerasConversionError, convert_keras_model, load_keras_h5
from models.penultimate import expose_penultimate
from models.seed import (
    PINNED_SHA256,
    PINNED_URL,
    ContractError,
    Shape,
    check_contract,
    popularity_card,
)

if TYPE_CHECKING:
    from models.card import ModelCard

__all__ = [
    "bare_onnx_card",
    "convert_configured",
    "fetch_popularity_model",
    "import_popularity_model",
]

log = logging.getLogger(__name__)


def fetch_popularity_model(
    paths: ModelPaths,
    url: str = PINNED_URL,
    sha256: str | None = PINNED_SHA256,
    timeout: float = 60.0,
) -> ModelFile:
    """Download, verify the checksum (unless `sha256` is None), convert and install."""
    target = _writable_install_dir(paths)
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
        return _install(dest, paths, source=url)


def import_popularity_model(paths: ModelPaths, path: Path) -> ModelFile:
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
    return _install(path, paths, source=str(path.resolve()))


def convert_configured(h5: Path, onnx_path: Path, card_path: Path) -> ModelFile:
    """Convert the .h5 that `SELFIEBOT_POPULARITY_MODEL` names into the registry's cache slot
    for its SHA-256; the registry words any error as a problem with the setting."""
    if not h5py.is_hdf5(h5):
        raise ModelInstallError("it is neither a Keras HDF5 (.h5) nor an .onnx file")
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    return _convert(h5, onnx_path, card_path, str(h5.resolve()))


def bare_onnx_card(path: Path, digest: str) -> ModelCard:
    """The seed's contract for an .onnx that came without a card, after checking the graph's
    shapes allow it."""
    try:
        graph = onnx.load(str(path)).graph
    except Exception as exc:  # onnx raises DecodeError and others from protobuf
        raise ModelInstallError("it is not a readable ONNX file") from exc
    return popularity_card(
        sha256=digest,
        source_sha256="",
        source=str(path.resolve()),
        input_size=_contract_input_size(path, graph),
    )


def _writable_install_dir(paths: ModelPaths) -> Path:
    target = paths.installed_dir
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelInstallError(
            f"Could not create the model cache {target} ({exc.strerror or exc}): set "
            "SELFIEBOT_CACHE_DIR to a writable folder."
        ) from exc
    return target


def _install(h5: Path, paths: ModelPaths, source: str) -> ModelFile:
    target = _writable_install_dir(paths)
    try:
        result = _convert(h5, paths.installed_onnx, paths.installed_card, source)
    except OSError as exc:
        raise ModelInstallError(
            f"Could not write the popularity model into {target} ({exc.strerror or exc}): set "
            "SELFIEBOT_CACHE_DIR to a writable folder."
        ) from exc
    log.info("Installed the popularity model from %s at %s", source, result.onnx_path)
    return result


def _convert(h5: Path, onnx_path: Path, card_path: Path, source: str) -> ModelFile:
    source_sha = sha256_file(h5)
    try:
        model = convert_keras_model(load_keras_h5(h5), graph_name=h5.stem, source_sha256=source_sha)
    except KerasConversionError as exc:
        raise ModelInstallError(f"{h5.name} cannot be converted: {exc}") from exc
    input_size = _contract_input_size(h5, model.graph)
    expose_penultimate(model)
    data = model.SerializeToString()
    _check_loads(h5, data)
    card = popularity_card(
        sha256=hashlib.sha256(data).hexdigest(),
        source_sha256=source_sha,
        source=source,
        input_size=input_size,
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


def _contract_input_size(path: Path, graph: onnx.GraphProto) -> tuple[int, int]:
    """The graph's (height, width) input, once its shapes are checked against the popularity
    contract (which guarantees both are fixed)."""
    input_shape, output_shape = _io_shapes(graph)
    try:
        return check_contract(input_shape, output_shape)
    except ContractError as exc:
        raise ModelInstallError(
            f"{path.name} does not follow the popularity contract: {exc}"
        ) from exc


def _io_shapes(graph: onnx.GraphProto) -> tuple[Shape, Shape]:
    def dims(value: onnx.ValueInfoProto) -> Shape:
        return tuple(
            d.dim_value if d.HasField("dim_value") else None
            for d in value.type.tensor_type.shape.dim
        )

    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ModelInstallError("the model must have exactly one input and one output")
    return dims(graph.input[0]), dims(graph.output[0])


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
