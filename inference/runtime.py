"""The one place that decides how ONNX Runtime runs our models (providers, threads, optimisation).

Every session class asks here, so the thread budget set in settings holds for the whole process:
each session gets `intra_op_threads` (default 1, because several photos are analysed concurrently
by worker threads and one thread per session avoids oversubscribing a small machine), no
inter-op pool, and full graph optimisation done once at load time.

Sessions load the files as they are. ONNX Runtime's PRelu and Elu kernels are slow next to its
vectorised element-wise ops (PRelu took half of the old MTCNN detector's time, Elu a third of
the seed CNN's), so both are respelled when the files are built, where the `onnx` package is at
hand: FaceMesh's PRelu by our TFLite converter (models/tflite_onnx), Elu by our Keras converter
(models/keras_onnx).
A model converted elsewhere still runs, on the slower kernels.
"""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort

PROVIDERS = ("CPUExecutionProvider",)


def session_options(intra_op_threads: int) -> ort.SessionOptions:
    """Options shared by every session: sequential graph, a fixed small thread pool, no spinning.

    Spinning threads would burn the CPU between photos on a machine shared with the bots and
    the database, so they are turned off; with one thread it makes no difference to latency.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, intra_op_threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def load_session(path: Path, intra_op_threads: int) -> ort.InferenceSession:
    """An inference session for one ONNX file, configured the project's way."""
    return ort.InferenceSession(
        str(path), sess_options=session_options(intra_op_threads), providers=list(PROVIDERS)
    )
