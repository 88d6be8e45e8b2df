"""One function per Keras layer class, each emitting the ONNX nodes that compute it.

Every converter receives the layer and its input tensors and returns its output tensor; image
tensors are NCHW inside the graph (see `graph.py`), so kernels are transposed here once, at
conversion time, instead of transposing activations at run time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from models.keras_onnx.errors import KerasConversionError, UnsupportedLayerError
from models.keras_onnx.graph import GraphBuilder, Tensor
from models.keras_onnx.h5model import KerasLayer

LayerConverter = Callable[[GraphBuilder, KerasLayer, list[Tensor]], Tensor]

_ACTIVATIONS: dict[str, str | None] = {
    "linear": None,
    "relu": "Relu",
    "elu": "Elu",
    "sigmoid": "Sigmoid",
    "softmax": "Softmax",
}


def apply_activation(builder: GraphBuilder, layer: KerasLayer, tensor: Tensor) -> Tensor:
    """The layer's `activation` option (Keras' softmax is over the last, i.e. channel, axis)."""
    name = layer.config.get("activation", "linear")
    if not isinstance(name, str) or name not in _ACTIVATIONS:
        raise UnsupportedLayerError(
            layer.class_name,
            layer.name,
            f"activation {name!r} is not one of {', '.join(sorted(_ACTIVATIONS))}",
        )
    op = _ACTIVATIONS[name]
    if op is None:
        return tensor
    base = f"{layer.name}_{name}"
    if op == "Elu":
        # Keras' "elu" activation string always means alpha 1.
        return Tensor(elu(builder, tensor.name, base, alpha=1.0), tensor.shape)
    attrs: dict[str, Any] = {}
    if op == "Softmax":
        attrs["axis"] = 1 if tensor.is_image else len(tensor.shape)
    return Tensor(builder.node(op, [tensor.name], base, **attrs), tensor.shape)


def elu(builder: GraphBuilder, x: str, base: str, alpha: float) -> str:
    """Elu(x) with alpha 1 as Max(x, Exp(Min(x, 0)) - 1); any other alpha as the Elu op.

    ONNX Runtime's Elu kernel is slow next to its vectorised element-wise ops (a third of the
    seed CNN's time). The two forms agree: for x > 0 the second term is e^0 - 1 = 0 < x, and
    for x <= 0 it is Elu's own e^x - 1, never below x since e^x >= 1 + x. Only the last float
    bit may differ (another float32 exp, and the Max within 6e-8 of zero), far inside the
    1e-4 by which the conversion matches Keras. It is used for alpha 1 only, what Keras'
    "elu" means: with alpha > 1, alpha * (e^x - 1) falls below x just under zero, where Max
    would pick x, so other alphas keep the op.
    """
    if alpha != 1.0:
        return builder.node("Elu", [x], base, alpha=alpha)
    zero = builder.constant(f"{base}_zero", np.array(0.0, dtype=np.float32))
    one = builder.constant(f"{base}_one", np.array(1.0, dtype=np.float32))
    negative = builder.node("Min", [x, zero], f"{base}_neg")
    exp = builder.node("Exp", [negative], f"{base}_exp")
    expm1 = builder.node("Sub", [exp, one], f"{base}_expm1")
    return builder.node("Max", [x, expm1], base)


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


def _bias(layer: KerasLayer) -> np.ndarray | None:
    """The layer's bias weights, or None when Keras built it with `use_bias=False`."""
    return _weight(layer, "bias") if layer.config.get("use_bias", True) else None


def _require_image(layer: KerasLayer, tensor: Tensor) -> None:
    if not tensor.is_image:
        raise UnsupportedLayerError(
            layer.class_name,
            layer.name,
            f"expects an image tensor (H, W, C) but gets shape {tensor.shape}",
        )
    if layer.config.get("data_format", "channels_last") != "channels_last":
        raise UnsupportedLayerError(
            layer.class_name, layer.name, "only data_format='channels_last' is supported"
        )


def _expect_size(layer: KerasLayer, what: str, got: int, want: int | None) -> None:
    """Weights must fit the tensor they apply to; catching it here names the layer, where
    ONNX Runtime would fail later with a message about an anonymous node."""
    if want is not None and got != want:
        raise KerasConversionError(
            f"layer {layer.name!r} ({layer.class_name}): its weights expect {got} {what} "
            f"but its input has {want}"
        )


def _weight(layer: KerasLayer, key: str) -> np.ndarray:
    if key not in layer.weights:
        raise KerasConversionError(
            f"layer {layer.name!r} ({layer.class_name}) has no {key!r} weight in the file"
        )
    return layer.weights[key]


def _window(
    layer: KerasLayer,
    size: int | None,
    kernel: int,
    stride: int,
    padding: str,
) -> tuple[int | None, tuple[int, int]]:
    """Output size and (before, after) padding for one spatial axis.

    Keras/TensorFlow 'same' puts the odd pixel of padding after (bottom/right); ONNX's
    symmetric padding would shift every window, so pads are explicit per side.
    """
    if padding == "valid":
        if size is None:
            return None, (0, 0)
        if size < kernel:
            raise KerasConversionError(
                f"layer {layer.name!r}: window {kernel} is larger than its input ({size})"
            )
        return (size - kernel) // stride + 1, (0, 0)
    if padding == "same":
        if size is None:
            return None, (0, 0)
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return out, (total // 2, total - total // 2)
    raise UnsupportedLayerError(layer.class_name, layer.name, f"padding {padding!r}")


def _spatial(
    layer: KerasLayer,
    tensor: Tensor,
    kernel: tuple[int, int],
    strides: tuple[int, int],
    dilation: tuple[int, int] = (1, 1),
) -> tuple[tuple[int | None, int | None], dict[str, Any]]:
    """Output (H, W) and the ONNX pad attributes shared by convolutions and pooling."""
    padding = layer.config.get("padding", "valid")
    effective = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True))
    height, (top, bottom) = _window(layer, tensor.shape[0], effective[0], strides[0], padding)
    width, (left, right) = _window(layer, tensor.shape[1], effective[1], strides[1], padding)
    unknown = tensor.shape[0] is None or tensor.shape[1] is None
    if padding == "same" and unknown:
        return (height, width), {"auto_pad": "SAME_UPPER"}
    return (height, width), {"pads": [top, left, bottom, right]}


def _conv(
    builder: GraphBuilder,
    layer: KerasLayer,
    tensor: Tensor,
    weight: np.ndarray,
    bias: np.ndarray | None,
    group: int,
    base: str,
) -> Tensor:
    """A spatial Conv node with the layer's kernel size, strides, dilation and padding."""
    cfg = layer.config
    kernel = _pair(cfg["kernel_size"])
    strides = _pair(cfg.get("strides", 1))
    dilation = _pair(cfg.get("dilation_rate", 1))
    (height, width), pad_attrs = _spatial(layer, tensor, kernel, strides, dilation)
    inputs = [tensor.name, builder.constant(f"{base}_W", weight)]
    if bias is not None:
        inputs.append(builder.constant(f"{base}_B", bias))
    out = builder.node(
        "Conv",
        inputs,
        base,
        kernel_shape=list(kernel),
        strides=list(strides),
        dilations=list(dilation),
        group=group,
        **pad_attrs,
    )
    return Tensor(out, (height, width, weight.shape[0]))


def conv2d(builder: GraphBuilder, layer: KerasLayer, inputs: list[Tensor]) -> Tensor:
    """Keras kernel (kh, kw, in/groups, out) -> ONNX (out, in/groups, kh, kw)."""
    (tensor,) = inputs
    _require_image(layer, tensor)
    cfg = layer.config
    groups = int(cfg.get("groups", 1))
    kernel = _weight(layer, "kernel")
    _expect_size(layer, "input channels", kernel.shape[2] * groups, tensor.shape[2])
    kernel = kernel.transpose(3, 2, 0, 1)
    conv = _conv(builder, layer, tensor, kernel, _bias(layer), groups, layer.name)
    return apply_activation(builder, layer, conv)


def separable_conv2d(builder: GraphBuilder, layer: KerasLayer, inputs: list[Tensor]) -> Tensor:
    """Depthwise conv (one group per input channel) then a 1x1 pointwise conv, bias last.

    Keras orders depthwise outputs channel-major (channel c, multiplier m -> c * mult + m),
    which is exactly a reshape of the (kh, kw, in, mult) kernel.
    """
    (tensor,) = inputs
    _require_image(layer, tensor)
    depthwise = _weight(layer, "depthwise_kernel")
    kh, kw, channels, multiplier = depthwise.shape
    _expect_size(layer, "input channels", channels, tensor.shape[2])
    depthwise = depthwise.reshape(kh, kw, channels * multiplier).transpose(2, 0, 1)[:, None]
    pointwise = _weight(layer, "pointwise_kernel").transpose(3, 2, 0, 1)
    bias = _bias(layer)
    deep = _conv(builder, layer, tensor, depthwise, None, channels, f"{layer.name}_depthwise")
    point_inputs = [deep.name, builder.constant(f"{layer.name}_pointwise_W", pointwise)]
    if bias is not None:
        point_inputs.append(builder.constant(f"{layer.name}_B", bias))
    out = builder.node("Conv", point_inputs, layer.name, kernel_shape=[1, 1])
    return apply_activation(builder, layer, Tensor(out, (*deep.shape[:2], pointwise.shape[0])))


def batch_normalization(builder: GraphBuilder, layer: KerasLayer, inputs: list[Tensor]) -> Tensor:
    """Inference-mode batch norm over the channel (last Keras) axis only."""
    (tensor,) = inputs
    cfg = layer.config
    axis = cfg.get("axis", -1)
    axes = axis if isinstance(axis, list) else [axis]
    rank = len(tensor.shape) + 1
    if len(axes) != 1 or axes[0] % rank != rank - 1:
        raise UnsupportedLayerError(
            layer.class_name, layer.name, f"normalisation axis {axis!r} is not the channel axis"
        )
    mean = _weight(layer, "moving_mean")
    _expect_size(layer, "channels", mean.shape[0], tensor.shape[-1])
    variance = _weight(layer, "moving_variance")
    gamma = _weight(layer, "gamma") if cfg.get("scale", True) else np.ones_like(mean)
    beta = _weight(layer, "beta") if cfg.get("center", True) else np.zeros_like(mean)
    names = [
        builder.constant(f"{layer.name}_{key}", value)
        for key, value in (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", variance))
    ]
    out = builder.node(
        "BatchNormalization",
        [tensor.name, *names],
        layer.name,
        epsilon=float(cfg.get("epsilon", 1e-3)),
    )
    return Tensor(out, tensor.shape)


def max_pooling2d(builder: GraphBuilder, layer: KerasLayer, inputs: list[Tensor]) -> Tensor:
    """ONNX MaxPool ignores pad cells, as TensorFlow does for 'same' max pooling."""
    (tensor,) = inputs
    _require_image(layer, tensor)
    pool = _pair(layer.config.get("pool_size", 2))
    strides = _pair(layer.config.get("strides") or pool)
    (height, width), pad_attrs = _spatial(layer, tensor, pool, strides)
    out = builder.node(
        "MaxPool",
        [tensor.name],
        layer.name,
        kernel_shape=list(pool),
        strides=list(strides),
        **pad_attrs,
    )
    return Tensor(out, (height, width, tensor.shape[2]))


def activation(builder: GraphBuilder, layer: KerasLayer, inputs: list[Tensor]) -> Tensor:
    (tensor,) = inputs
    return apply_activation(builder, layer, tensor)


def identity(builder: GraphBuilder, layer: KerasLayer, inputs: list[Tensor]) -> Tensor:
    """Dropout only acts in training; at inference it passes its input through untouched."""
    (tensor,) = inputs
    return tensor


def add(builder: GraphBuilder, layer: KerasLayer, inputs: list[Tensor]) -> Tensor:
    if len(inputs) < 2:
        raise KerasConversionError(f"layer {layer.name!r} (Add) needs at least two inputs")
    shapes = {tensor.shape for tensor in inputs}
    if len(shapes) != 1:
        raise KerasConversionError(
            f"layer {layer.name!r} (Add) adds tensors of different shapes {sorted(shapes)}"
        )
    total = inputs[0].name
    for index, tensor in enumerate(inputs[1:], start=1):
        total = builder.node("Add", [total, tensor.name], f"{layer.name}_{index}")
    return Tensor(total, inputs[0].shape)


def global_average_pooling2d(
    builder: GraphBuilder, layer: KerasLayer, inputs: list[Tensor]
) -> Tensor:
    (tensor,) = inputs
    _require_image(layer, tensor)
    pooled = builder.node("GlobalAveragePool", [tensor.name], f"{layer.name}_pool")
    channels = tensor.shape[2]
    if layer.config.get("keepdims", False):
        return Tensor(pooled, (1, 1, channels))
    return Tensor(builder.node("Flatten", [pooled], layer.name, axis=1), (channels,))


def flatten(builder: GraphBuilder, layer: KerasLayer, inputs: list[Tensor]) -> Tensor:
    """Keras flattens channels-last, so the NCHW tensor goes back to NHWC first: the weights
    of the Dense layer that follows were trained on that element order."""
    (tensor,) = inputs
    if len(tensor.shape) == 1:
        return tensor
    if layer.config.get("data_format", "channels_last") != "channels_last":
        raise UnsupportedLayerError(
            layer.class_name, layer.name, "only data_format='channels_last' is supported"
        )
    source = tensor.name
    if tensor.is_image:
        source = builder.node("Transpose", [source], f"{layer.name}_nhwc", perm=[0, 2, 3, 1])
    size = None if None in tensor.shape else math.prod(tensor.shape)  # type: ignore[arg-type]
    return Tensor(builder.node("Flatten", [source], layer.name, axis=1), (size,))


def dense(builder: GraphBuilder, layer: KerasLayer, inputs: list[Tensor]) -> Tensor:
    (tensor,) = inputs
    if len(tensor.shape) != 1:
        raise UnsupportedLayerError(
            layer.class_name,
            layer.name,
            f"Dense on a rank-{len(tensor.shape) + 1} tensor (add a Flatten first)",
        )
    kernel = _weight(layer, "kernel")
    _expect_size(layer, "input features", kernel.shape[0], tensor.shape[0])
    weight = builder.constant(f"{layer.name}_W", kernel)
    bias = _bias(layer)
    if bias is not None:
        out = builder.node(
            "Gemm", [tensor.name, weight, builder.constant(f"{layer.name}_B", bias)], layer.name
        )
    else:
        out = builder.node("MatMul", [tensor.name, weight], layer.name)
    return apply_activation(builder, layer, Tensor(out, (kernel.shape[1],)))


CONVERTERS: dict[str, LayerConverter] = {
    "Conv2D": conv2d,
    "SeparableConv2D": separable_conv2d,
    "BatchNormalization": batch_normalization,
    "MaxPooling2D": max_pooling2d,
    "Activation": activation,
    "Dropout": identity,
    "Add": add,
    "GlobalAveragePooling2D": global_average_pooling2d,
    "Flatten": flatten,
    "Dense": dense,
}
