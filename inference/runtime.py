"""The one place that decides how ONNX Runtime runs our models (providers, threads, optimisation).

Every session class asks here, so the thread budget set in settings holds for the whole process:
each session gets `intra_op_threads` (default 1, because several photos are analysed concurrently
by worker threads and one thread per session avoids oversubscribing a small machine), no
inter-op pool, and full graph optimisation done once at load time.

Two activations are also respelled at load time (`vectorised`), because ONNX Runtime 1.32's
kernels for them are slow next to its vectorised element-wise ops: PRelu took half of MTCNN's
time, Elu a third of the seed CNN's. Measured per run, one thread: P-Net's largest pyramid
level 0.96 -> 0.56 ms, R-Net (15 crops) 1.9 -> 1.2 ms, O-Net (2 crops) 1.05 -> 0.69 ms, the
seed CNN 5.5 -> 4.2 ms.

The rewrite edits the model's protobuf encoding directly (a few fields of ONNX's stable schema)
rather than through the `onnx` package, which stays install-time machinery: importing it would
add 50 ms and 15 MB to every start.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import onnxruntime as ort

PROVIDERS = ("CPUExecutionProvider",)

# Field numbers of ONNX's protobuf schema (onnx.proto; frozen, as the format's compatibility
# rests on them) and protobuf's wire types (the deprecated groups never occur in ONNX).
MODEL_GRAPH = 7
GRAPH_NODE, GRAPH_INITIALIZER = 1, 5
NODE_INPUT, NODE_OUTPUT, NODE_OP_TYPE, NODE_ATTRIBUTE, NODE_DOMAIN = 1, 2, 4, 5, 7
ATTRIBUTE_NAME, ATTRIBUTE_F = 1, 2
TENSOR_DATA_TYPE, TENSOR_NAME, TENSOR_RAW_DATA = 2, 8, 9
TENSOR_FLOAT = 1
VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


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
        vectorised(path), sess_options=session_options(intra_op_threads), providers=list(PROVIDERS)
    )


def vectorised(path: Path) -> bytes:
    """The serialised model in `path`, with PRelu and Elu spelled in vectorised ops:

    - PRelu(x, slope) = Relu(x) + slope * Min(x, 0): exactly the same numbers, since one of
      the two terms is a zero and adding a zero is exact;
    - Elu(x) = Max(x, Exp(Min(x, 0)) - 1) (alpha 1): for x > 0 the second term is 0, for
      x <= 0 it is Elu's own formula, which is never below x (e^x >= 1 + x). A different
      float32 exp (and, within 6e-8 of zero, the Max) may change the last bit: the seed CNN's
      probability moves by at most 1.2e-7 on the dev selfies, far below the 1e-4 by which it
      matches Keras.
    """
    model = bytearray()
    for number, wire, value, raw in _fields(path.read_bytes()):
        model += (
            _message(MODEL_GRAPH, _graph(value)) if (number, wire) == (MODEL_GRAPH, LENGTH) else raw
        )
    return bytes(model)


def _graph(graph: bytes) -> bytes:
    """The graph with its PRelu and Elu nodes replaced in place (node order is the graph's
    topological order) and the scalar constants they need appended as initializers."""
    rewritten, constants = bytearray(), bytearray()
    for index, (number, wire, value, raw) in enumerate(_fields(graph)):
        replacement = None
        if (number, wire) == (GRAPH_NODE, LENGTH):
            replacement = _respelled(value, f"respelled{index}_")
        if replacement is None:
            rewritten += raw
            continue
        nodes, scalars = replacement
        rewritten += b"".join(_message(GRAPH_NODE, node) for node in nodes)
        constants += b"".join(
            _message(GRAPH_INITIALIZER, _scalar(name, value)) for name, value in scalars.items()
        )
    return bytes(rewritten + constants)


def _respelled(node: bytes, prefix: str) -> tuple[list[bytes], dict[str, float]] | None:
    """(the replacement nodes, the scalar constants they read) for a PRelu or an Elu with
    alpha 1 in the default domain; None for every other node."""
    inputs, outputs, op_type, domain, alpha = [], [], "", "", 1.0
    for number, wire, value, _ in _fields(node):
        if (number, wire) == (NODE_INPUT, LENGTH):
            inputs.append(value.decode())
        elif (number, wire) == (NODE_OUTPUT, LENGTH):
            outputs.append(value.decode())
        elif (number, wire) == (NODE_OP_TYPE, LENGTH):
            op_type = value.decode()
        elif (number, wire) == (NODE_DOMAIN, LENGTH):
            domain = value.decode()
        elif (number, wire) == (NODE_ATTRIBUTE, LENGTH):
            alpha = _alpha(value, alpha)
    if domain not in ("", "ai.onnx") or len(outputs) != 1:
        return None
    zero, y = f"{prefix}zero", outputs[0]
    if op_type == "PRelu" and len(inputs) == 2:
        x, slope = inputs
        positive, negative, scaled = (f"{prefix}{part}" for part in ("pos", "neg", "scaled"))
        return [
            _node("Relu", [x], positive),
            _node("Min", [x, zero], negative),
            _node("Mul", [negative, slope], scaled),
            _node("Add", [positive, scaled], y),
        ], {zero: 0.0}
    # Max(x, alpha * (e^x - 1)) equals Elu only for 0 <= alpha <= 1; Keras's default 1 is all
    # our models use, so other alphas keep ONNX Runtime's kernel.
    if op_type == "Elu" and len(inputs) == 1 and alpha == 1.0:
        (x,), one = inputs, f"{prefix}one"
        negative, exp, expm1 = (f"{prefix}{part}" for part in ("neg", "exp", "expm1"))
        return [
            _node("Min", [x, zero], negative),
            _node("Exp", [negative], exp),
            _node("Sub", [exp, one], expm1),
            _node("Max", [x, expm1], y),
        ], {zero: 0.0, one: 1.0}
    return None


def _alpha(attribute: bytes, default: float) -> float:
    """The float value of an attribute named alpha, else `default`."""
    fields = {number: value for number, _, value, _ in _fields(attribute)}
    if fields.get(ATTRIBUTE_NAME) != b"alpha" or ATTRIBUTE_F not in fields:
        return default
    return struct.unpack("<f", fields[ATTRIBUTE_F])[0]


def _node(op_type: str, inputs: list[str], output: str) -> bytes:
    return b"".join(
        [
            *(_message(NODE_INPUT, name.encode()) for name in inputs),
            _message(NODE_OUTPUT, output.encode()),
            _message(NODE_OP_TYPE, op_type.encode()),
        ]
    )


def _scalar(name: str, value: float) -> bytes:
    """A float32 scalar TensorProto (no dims)."""
    return (
        _varint((TENSOR_DATA_TYPE << 3) | VARINT)
        + _varint(TENSOR_FLOAT)
        + _message(TENSOR_NAME, name.encode())
        + _message(TENSOR_RAW_DATA, struct.pack("<f", value))
    )


def _message(number: int, payload: bytes) -> bytes:
    """One length-delimited field."""
    return _varint((number << 3) | LENGTH) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _fields(message: bytes) -> Iterator[tuple[int, int, bytes, bytes]]:
    """(field number, wire type, value, the field's own bytes) for each field of a message;
    the value is the payload of a length-delimited field, else the raw value bytes."""
    position = 0
    while position < len(message):
        start = position
        key, position = _read_varint(message, position)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            _, end = _read_varint(message, position)
            value_start = position
        elif wire == LENGTH:
            length, value_start = _read_varint(message, position)
            end = value_start + length
        elif wire in (FIXED64, FIXED32):
            value_start, end = position, position + (8 if wire == FIXED64 else 4)
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} in an ONNX model")
        if end > len(message):
            raise ValueError("truncated ONNX model")
        yield number, wire, message[value_start:end], message[start:end]
        position = end


def _read_varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if position >= len(data):
            raise ValueError("truncated ONNX model")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7
