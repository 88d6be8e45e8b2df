"""The one place that decides how ONNX Runtime runs our models (providers, threads, optimisation).

Every session class asks here, so the thread budget set in settings holds for the whole process:
each session gets `intra_op_threads` (default 1, because several photos are analysed concurrently
by worker threads and one thread per session avoids oversubscribing a small machine), no
inter-op pool, and full graph optimisation done once at load time.

All sessions draw their buffers from one CPU memory arena registered with ONNX Runtime's
environment (`shared_arena`), grown by what is asked, not to the next power of two. With an arena
of their own each session kept the largest working set it had met: about 36 MB over our five
sessions after a few photos on two workers, for models whose weights are a few MB; the shared
one keeps about 20 MB, and the web process' peak under `benchmarks/bench_web_load.py` fell by
~13 MB. Memory patterns are off: a pattern is one block planned for all of a run's tensors, held
in the arena beside the others, where tensors allocated one by one are freed as soon as they are
used; that kept another 11-17 MB (the load's peak 283-285 -> 272-274 MB). Photo latency is
unchanged by either (same-run A/B, interleaved: within +-3%; without patterns +0.3-0.9% in two
runs of 400 photos a configuration, within the noise). Without any arena the settled RSS was
lowest, but each run's tensors then came from malloc, costing 5-15% of a photo's time in page
faults, or, with glibc keeping freed memory for the next run, a higher peak under load (the
tensors fragment the heaps that photo buffers use).

Sessions load the files as they are. ONNX Runtime's PRelu and Elu kernels are slow next to its
vectorised element-wise ops (PRelu took half of the old MTCNN detector's time, Elu a third of
the seed CNN's), so both are respelled when the files are built, where the `onnx` package is at
hand: FaceMesh's PRelu by our TFLite converter (models/tflite_onnx), Elu by our Keras converter
(models/keras_onnx).
A model converted elsewhere still runs, on the slower kernels.
"""

from __future__ import annotations

import threading
from pathlib import Path

import onnxruntime as ort

PROVIDERS = ("CPUExecutionProvider",)
EXTEND_AS_REQUESTED = 1
"""`arena_extend_strategy` kSameAsRequested: the arena grows by what a run asks for (ONNX
Runtime's default doubles each new chunk, so up to half of the arena can sit unused)."""

_arena_lock = threading.Lock()
_arena_registered = False


def shared_arena() -> None:
    """Register the process' one CPU arena with ONNX Runtime's environment (once); sessions
    use it when their options say `session.use_env_allocators`."""
    global _arena_registered
    with _arena_lock:
        if _arena_registered:
            return
        memory = ort.OrtMemoryInfo(
            "Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT
        )
        arena = ort.OrtArenaCfg({"arena_extend_strategy": EXTEND_AS_REQUESTED})
        ort.create_and_register_allocator(memory, arena)
        _arena_registered = True


def session_options(intra_op_threads: int) -> ort.SessionOptions:
    """Options shared by every session: sequential graph, a fixed small thread pool, no spinning,
    the process' shared memory arena and no memory patterns (see the module's docstring).

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
    shared_arena()
    options.add_session_config_entry("session.use_env_allocators", "1")
    options.enable_mem_pattern = False
    return options


def load_session(path: Path, intra_op_threads: int) -> ort.InferenceSession:
    """An inference session for one ONNX file, configured the project's way."""
    return ort.InferenceSession(
        str(path), sess_options=session_options(intra_op_threads), providers=list(PROVIDERS)
    )
