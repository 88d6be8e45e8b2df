"""The analyzer: every ONNX session loaded once, one photo in, one typed `Analysis` out.

Safe to share between threads: ONNX Runtime sessions may run concurrently and the analyzer
keeps no per-call state. The batch call and the async wrapper use one thread pool sized by
`AnalyzerConfig.workers`; each session keeps `AnalyzerConfig.intra_op_threads` intra-op
threads.

Within one photo the two independent halves overlap: the popularity branch (LANCZOS resize,
CNN, colour measures) runs on a second small pool while the calling thread finds faces, reads
their expressions and measures sharpness. On an idle machine a single photo's latency is
roughly the longer half plus the decode: the popularity branch (about 7 ms of CPU for a
306x306 selfie), the face branch being about 3 ms, or 6 ms when it runs FaceMesh; under load
the total CPU work is unchanged. The branch pool is separate from the worker
pool, so a worker never waits on a task queued behind itself.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from inference.config import DEFAULT_MAX_PIXELS, AnalyzerConfig
from inference.decode import DecodedPhoto, decode_photo, to_rgb
from inference.emotions import EmotionModel
from inference.errors import PhotoError
from inference.faces import FACE_MODEL_DIR, DetectedFace, FaceDetector, detection_copy
from inference.landmarks import FaceMeshModel, eye_roll
from inference.popularity import PopularityModel
from inference.quality import Colours, colour_measures, measure, sharpness
from inference.results import Analysis, Face, FaceMesh

if TYPE_CHECKING:
    from models.registry import ModelFile

MESH_LEVEL_DEGREES = 6.0
"""A face whose BlazeFace eye line is tilted at least this much has its emotion crop levelled
by FaceMesh's roll; a flatter one keeps fer's own crop. Chosen on the 30 dev selfies and
tests/data/astronaut.jpg, each also turned by 8, -15 and 25 degrees (124 faces), against
levelling every face by FaceMesh's roll from 3 degrees (the pipeline before): the same top
expression and the same side of the smile advice's "happy" cut on all 124, mean largest
probability change 0.005 (max 0.14), FaceMesh on 100 of 124 faces and on 18 of the 31 unturned
ones (selfies are often tilted). At 8 degrees one smile advice changes, at 10 four top
expressions and five smile advices (a change of 0.52); levelling by the keypoints' own angle
instead moves nine top expressions (the keypoints' angle is 2 degrees off on average, up to 8,
and fer's classes move with a few degrees of turn). Measured by
benchmarks/measure_mesh_levelling.py."""


class Analyzer:
    """Scores photos: faces, their expressions, the popularity probability, quality measures."""

    def __init__(
        self,
        popularity: ModelFile,
        emotions: ModelFile,
        *,
        intra_op_threads: int = 1,
        workers: int = 2,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_bytes: int | None = None,
        face_model_dir: Path = FACE_MODEL_DIR,
        overlap: bool = True,
    ) -> None:
        self._faces = FaceDetector(intra_op_threads, face_model_dir)
        self._mesh = FaceMeshModel(intra_op_threads, face_model_dir)
        self._emotions = EmotionModel(emotions, intra_op_threads)
        self._popularity = PopularityModel(popularity, intra_op_threads)
        self.model_versions = {
            "popularity": self._popularity.version,
            "emotions": self._emotions.version,
            "faces": self._faces.version,
        }
        self.max_pixels = max_pixels
        self.max_bytes = max_bytes
        self._workers = workers
        self._overlap = overlap
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._pools_lock = threading.Lock()

    @classmethod
    def from_config(cls, config: AnalyzerConfig) -> Analyzer:
        """The analyzer the config describes; raises `models.registry.ModelMissingError`
        (one sentence naming the fix) when no popularity model is available."""
        from models.registry import emotion_model, popularity_model

        return cls(
            popularity_model(config.models),
            emotion_model(),
            intra_op_threads=config.intra_op_threads,
            workers=config.workers,
            max_pixels=config.max_pixels,
            max_bytes=config.max_bytes,
        )

    def analyze(self, data: bytes, *, mesh: bool = False) -> Analysis:
        """Analyse photo bytes; raises `PhotoError` for anything that is not a usable photo.

        `mesh=True` always gives the main face FaceMesh's measures (`Face.mesh`, and the tilt
        from them); without it only a tilted main face has them. Nothing else changes with it.
        """
        return self.analyze_photo(data, mesh=mesh)[1]

    def decode(self, data: bytes) -> DecodedPhoto:
        """The photo as `analyze_photo` decodes it (this analyzer's limits and draft scale);
        raises `PhotoError`. A caller that needs the pixels before the analysis (a page's
        display copy) hands them to `analyze_photo(..., decoded=)`: one decode, not two."""
        return decode_photo(data, self.max_pixels, max_bytes=self.max_bytes)

    def analyze_photo(
        self, data: bytes, *, mesh: bool = False, decoded: DecodedPhoto | None = None
    ) -> tuple[Image.Image, Analysis]:
        """`analyze`, also handing back the upright decoded photo it analysed, so a caller that
        needs the pixels too (perceptual hash, result card) does not decode the bytes again.
        `decoded`: what `decode` gave for `data`, used instead of decoding it again."""
        photo = decoded or self.decode(data)
        return photo.image, self._analyze(photo, mesh)

    def analyze_image(self, image: Image.Image, *, mesh: bool = False) -> Analysis:
        """Analyse an already-decoded image (e.g. a tip's edited photo), at full resolution.

        Gives exactly the result `analyze` gives for a lossless PNG of the same pixels.
        """
        rgb = to_rgb(image)
        return self._analyze(DecodedPhoto(rgb, rgb.width, rgb.height), mesh)

    def analyze_batch(
        self, photos: Sequence[bytes], *, mesh: bool = False
    ) -> list[Analysis | PhotoError]:
        """Analyse several photos on the worker pool; a bad photo yields its `PhotoError` in
        its place instead of failing the others."""
        return list(self._pool().map(partial(self._analyze_or_error, mesh=mesh), photos))

    def analyze_images(
        self, images: Sequence[Image.Image], *, mesh: bool = False
    ) -> list[Analysis]:
        """`analyze_image` for several decoded images on the worker pool (the tips engine
        re-scores many edited variants of one photo)."""
        return list(self._pool().map(partial(self.analyze_image, mesh=mesh), images))

    async def analyze_async(self, data: bytes, *, mesh: bool = False) -> Analysis:
        """`analyze` on the worker pool, so an event loop never blocks on inference."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), partial(self.analyze, data, mesh=mesh))

    async def analyze_photo_async(
        self, data: bytes, *, mesh: bool = False, decoded: DecodedPhoto | None = None
    ) -> tuple[Image.Image, Analysis]:
        """`analyze_photo` on the worker pool: decoding stays off the event loop too."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool(), partial(self.analyze_photo, data, mesh=mesh, decoded=decoded)
        )

    def with_mesh(self, image: Image.Image, analysis: Analysis) -> Analysis:
        """`analysis` with FaceMesh's measures on its main face and the face tilt they give,
        for a caller that uses them (smile and tilt advice, a group's taste features) and has
        the photo at hand: the analysed photo, upright, at any resolution. The analysis is
        handed back as it is when its main face already has a mesh, when it has no face, or
        when FaceMesh does not see a face there. Expressions and score do not change."""
        main = analysis.main_face
        if main is None or main.mesh is not None or not main.landmarks or analysis.width < 1:
            return analysis
        if not {"left_eye", "right_eye"} <= main.landmarks.keys():
            return analysis
        scale = analysis.width / image.width
        x, y, w, h = main.box
        face = DetectedFace(
            x / scale,
            y / scale,
            (x + w) / scale,
            (y + h) / scale,
            main.confidence,
            {name: (px / scale, py / scale) for name, (px, py) in main.landmarks.items()},
        )
        image.load()
        mesh = self._mesh.measure(image, face, scale)
        if mesh is None:
            return analysis
        return replace(
            analysis,
            faces=(replace(main, mesh=mesh), *analysis.faces[1:]),
            quality=replace(analysis.quality, face_tilt_degrees=mesh.roll_degrees),
        )

    def close(self) -> None:
        """Stop the thread pools (sessions are freed with the analyzer); usable again after."""
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.shutdown(wait=True)

    def __enter__(self) -> Analyzer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _pool(self, role: str = "inference") -> ThreadPoolExecutor:
        """The worker pool (`inference`) or the popularity branch pool (`popularity`), each
        started on first use."""
        with self._pools_lock:
            pool = self._pools.get(role)
            if pool is None:
                pool = self._pools[role] = ThreadPoolExecutor(
                    max_workers=self._workers, thread_name_prefix=f"selfiebot-{role}"
                )
            return pool

    def _popularity_branch(self, image: Image.Image) -> tuple[float, tuple[float, ...], Colours]:
        """P(popular), the CNN's penultimate activations and the colour measures of the
        model-sized image.

        The colour measures ride on this branch, where the model-sized image already is, so
        they stay off the face branch (which keeps sharpness: it has the detection copy).
        """
        resized = self._popularity.resize(image)
        probabilities, embeddings = self._popularity.predict_with_embedding(
            self._popularity.tensor(resized)
        )
        embedding = tuple(embeddings[0].tolist()) if embeddings is not None else ()
        return float(probabilities[0]), embedding, colour_measures(resized)

    def _analyze_or_error(self, data: bytes, *, mesh: bool) -> Analysis | PhotoError:
        try:
            return self.analyze(data, mesh=mesh)
        except PhotoError as error:
            return error

    def _analyze(self, photo: DecodedPhoto, mesh: bool = False) -> Analysis:
        image, scale = photo.image, photo.scale
        # Load lazily opened images here, once: two threads read this image below.
        image.load()
        branch = (
            self._pool("popularity").submit(self._popularity_branch, image)
            if self._overlap
            else None
        )

        detection, detection_scale = detection_copy(image)
        found = [face.scaled(detection_scale) for face in self._faces.detect(detection)]
        meshes = self._meshes(image, found, scale, mesh)
        kept = [index for index in range(len(found)) if index == 0 or meshes[index] is not None]
        found, meshes = [found[index] for index in kept], [meshes[index] for index in kept]
        rolls = [_levelling_roll(face, meshed) for face, meshed in zip(found, meshes, strict=True)]
        boxes = [_pixel_box(face) for face in found]
        emotions = (
            self._emotions.predict(
                self._emotions.preprocess(np.asarray(image), boxes, scale, rolls)
            )
            if boxes
            else []
        )
        faces = tuple(
            _face(face, box, feelings, scale, photo.width, photo.height)
            for face, box, feelings in zip(found, boxes, emotions, strict=True)
        )
        if meshes and meshes[0] is not None:
            faces = (replace(faces[0], mesh=meshes[0]), *faces[1:])
        crispness = sharpness(detection)
        probability, embedding, colours = (
            branch.result() if branch is not None else self._popularity_branch(image)
        )
        return Analysis(
            popular_probability=probability,
            score=round(probability * 100),
            faces=faces,
            quality=measure(
                colours, crispness, faces[0] if faces else None, photo.width, photo.height
            ),
            width=photo.width,
            height=photo.height,
            model_versions=dict(self.model_versions),
            embedding=embedding,
        )

    def _meshes(
        self, image: Image.Image, found: Sequence[DetectedFace], scale: float, wanted: bool
    ) -> list[FaceMesh | None]:
        """FaceMesh's measures of each face found, only where they are used: every box after
        the first (FaceMesh decides whether it is a face at all: a wall corner or a pattern is
        dropped, so no box is drawn on it), and the main face when the caller wants them or
        when it is tilted enough to be levelled; None elsewhere."""
        return [
            self._mesh.measure(image, face, scale)
            if index > 0 or wanted or abs(eye_roll(face)) >= MESH_LEVEL_DEGREES
            else None
            for index, face in enumerate(found)
        ]


def _levelling_roll(face: DetectedFace, mesh: FaceMesh | None) -> float:
    """The angle the face's emotion crop is turned by: FaceMesh's roll for a face BlazeFace
    sees tilted by `MESH_LEVEL_DEGREES` or more (the keypoints' own angle when FaceMesh gave
    none), else 0 (fer's crop), whether or not a mesh was measured for another reason, so the
    expressions never depend on who asked for the mesh."""
    roll = eye_roll(face)
    if abs(roll) < MESH_LEVEL_DEGREES:
        return 0.0
    return mesh.roll_degrees if mesh is not None else roll


def _pixel_box(face: DetectedFace) -> tuple[int, int, int, int]:
    """(x, y, w, h) in whole pixels of the image the face was found in, at least 1x1."""
    x, y = round(face.x1), round(face.y1)
    return x, y, max(1, round(face.x2) - x), max(1, round(face.y2) - y)


def _face(
    face: DetectedFace,
    box: tuple[int, int, int, int],
    emotions: dict[str, float],
    scale: float,
    width: int,
    height: int,
) -> Face:
    """A detected face in the photo's own pixels (the analyzer may have worked on a draft)."""
    x, y = min(width - 1, round(box[0] * scale)), min(height - 1, round(box[1] * scale))
    w = max(1, min(width - x, round(box[2] * scale)))
    h = max(1, min(height - y, round(box[3] * scale)))
    return Face(
        box=(x, y, w, h),
        confidence=face.confidence,
        landmarks={
            name: (round(px * scale, 1), round(py * scale, 1))
            for name, (px, py) in face.landmarks.items()
        },
        emotions=emotions,
    )
