"""TFLite flatbuffer -> ONNX graph, op by op, for the ops MediaPipe's face models use.

Layout: TFLite is channels-last (NHWC). The ONNX graph keeps the TFLite model's input and
output shapes (one Transpose at each end), and runs every rank-4 tensor in between NCHW, so
convolutions need no per-layer transposes. Weights are transposed once, here.

Ops are respelled where ONNX Runtime has no kernel or a slow one:

- DEQUANTIZE of float16 weights is folded into float32 initialisers (the TFLite interpreter
  computes in float32 from the same dequantised values, so nothing is lost);
- PRELU becomes Relu(x) - slope * Relu(-x) with the products as depthwise 1x1 convolutions:
  the same floats, without ONNX Runtime's slow PRelu kernel, in its fast blocked layout;
- TFLite's "SAME" padding becomes explicit pads (computed from the static shapes), since
  ONNX's `auto_pad` puts the odd pixel on the other side for some stride/size pairs.

Anything else raises `TfliteConversionError` naming the op, rather than guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8
# TFLite tensor types -> numpy (only those the face models use).
DTYPES: dict[int, type[np.generic]] = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
}
# NHWC axis -> NCHW axis, and the permutations between the two layouts.
NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}
TO_NCHW = (0, 3, 1, 2)
TO_NHWC = (0, 2, 3, 1)
PADDING_SAME = tflite.Padding.SAME


class TfliteConversionError(ValueError):
    """The TFLite model uses something this converter does not translate."""


class _Converter:
    """Walks one TFLite subgraph in order (TFLite stores operators topologically sorted)."""

    def __init__(self, data: bytes) -> None:
        self.model = tflite.Model.GetRootAsModel(data, 0)
        if self.model.SubgraphsLength() != 1:
            raise TfliteConversionError("only single-subgraph models are supported")
        self.graph = self.model.Subgraphs(0)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.names: dict[int, str] = {}
        self.constants: dict[int, np.ndarray] = {}
        self.used: set[str] = set()
        self.handlers: dict[int, Callable[[Any], None]] = {
            tflite.BuiltinOperator.DEQUANTIZE: self._dequantize,
            tflite.BuiltinOperator.CONV_2D: self._conv,
            tflite.BuiltinOperator.DEPTHWISE_CONV_2D: self._depthwise,
            tflite.BuiltinOperator.ADD: self._add,
            tflite.BuiltinOperator.RELU: self._relu,
            tflite.BuiltinOperator.PRELU: self._prelu,
            tflite.BuiltinOperator.PAD: self._pad,
            tflite.BuiltinOperator.MAX_POOL_2D: self._max_pool,
            tflite.BuiltinOperator.RESHAPE: self._reshape,
            tflite.BuiltinOperator.CONCATENATION: self._concatenation,
            tflite.BuiltinOperator.RESIZE_BILINEAR: self._resize_bilinear,
        }

    # --- tensors -------------------------------------------------------------------------

    def unique(self, base: str) -> str:
        name, index = base, 1
        while name in self.used:
            name, index = f"{base}_{index}", index + 1
        self.used.add(name)
        return name

    def tensor_name(self, index: int) -> str:
        name: bytes = self.graph.Tensors(index).Name()
        return name.decode()

    def shape(self, index: int) -> tuple[int, ...]:
        return tuple(int(v) for v in self.graph.Tensors(index).ShapeAsNumpy())

    def stored(self, index: int) -> np.ndarray | None:
        """The tensor's constant value from the model's buffers (TFLite layout), if it has one."""
        if index in self.constants:
            return self.constants[index]
        tensor = self.graph.Tensors(index)
        buffer = self.model.Buffers(tensor.Buffer())
        if buffer is None or buffer.DataLength() == 0:
            return None
        dtype = DTYPES.get(tensor.Type())
        if dtype is None:
            raise TfliteConversionError(f"tensor {self.tensor_name(index)}: type {tensor.Type()}")
        value = np.frombuffer(buffer.DataAsNumpy().tobytes(), dtype=dtype).reshape(
            self.shape(index)
        )
        self.constants[index] = value
        return value

    def constant(self, index: int) -> np.ndarray:
        value = self.stored(index)
        if value is None:
            raise TfliteConversionError(f"{self.tensor_name(index)} must be a constant")
        return value

    def initializer(self, base: str, value: np.ndarray) -> str:
        name = self.unique(base)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def value(self, index: int) -> str:
        """The ONNX name of a tensor input (NCHW if rank 4); constants become initialisers."""
        if index in self.names:
            return self.names[index]
        constant = self.stored(index)
        if constant is None:
            raise TfliteConversionError(f"{self.tensor_name(index)} is used before it is made")
        if constant.ndim == 4:
            constant = constant.transpose(TO_NCHW)
        self.names[index] = self.initializer(self.tensor_name(index), constant.astype(np.float32))
        return self.names[index]

    def node(self, op: str, inputs: list[str], base: str, **attrs: Any) -> str:
        output = self.unique(base)
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def finish(
        self, out: int, name: str, activation: int = tflite.ActivationFunctionType.NONE
    ) -> None:
        """Record `name` as operator output `out`, after TFLite's fused activation."""
        base = self.tensor_name(out)
        if activation == tflite.ActivationFunctionType.RELU:
            name = self.node("Relu", [name], base + "_relu")
        elif activation == tflite.ActivationFunctionType.RELU6:
            name = self.node("Clip", [name, self._scalar(0.0), self._scalar(6.0)], base + "_relu6")
        elif activation != tflite.ActivationFunctionType.NONE:
            raise TfliteConversionError(f"{base}: fused activation {activation}")
        self.names[out] = name

    def _scalar(self, value: float) -> str:
        return self.initializer(f"scalar_{value:g}", np.array(value, dtype=np.float32))

    # --- ops -----------------------------------------------------------------------------

    def _dequantize(self, op: Any) -> None:
        (source,), (out,) = op.InputsAsNumpy(), op.OutputsAsNumpy()
        self.constants[out] = self.constant(source).astype(np.float32)

    def _conv(self, op: Any) -> None:
        options = _options(op, tflite.Conv2DOptions)
        x, weights, bias = op.InputsAsNumpy()
        (out,) = op.OutputsAsNumpy()
        kernel = self.constant(weights).transpose(TO_NCHW)  # OHWI -> OIHW
        self._convolution(op, options, x, kernel, bias, out, group=1)

    def _depthwise(self, op: Any) -> None:
        options = _options(op, tflite.DepthwiseConv2DOptions)
        x, weights, bias = op.InputsAsNumpy()
        (out,) = op.OutputsAsNumpy()
        channels = self.shape(x)[3]
        kernel = self.constant(weights)[0].transpose(2, 0, 1)[:, None]  # 1HW(C*M) -> (C*M)1HW
        self._convolution(op, options, x, kernel, bias, out, group=channels)

    def _convolution(
        self, op: Any, options: Any, x: int, kernel: np.ndarray, bias: int, out: int, group: int
    ) -> None:
        strides = [options.StrideH(), options.StrideW()]
        dilations = [options.DilationHFactor(), options.DilationWFactor()]
        pads = self._pads(x, kernel.shape[2:], strides, dilations, options.Padding())
        inputs = [self.value(x), self.initializer(self.tensor_name(out) + "_w", kernel)]
        if bias >= 0:
            inputs.append(self.initializer(self.tensor_name(out) + "_b", self.constant(bias)))
        name = self.node(
            "Conv",
            inputs,
            self.tensor_name(out),
            kernel_shape=list(kernel.shape[2:]),
            strides=strides,
            dilations=dilations,
            pads=pads,
            group=group,
        )
        self.finish(out, name, options.FusedActivationFunction())

    def _pads(
        self,
        x: int,
        kernel: tuple[int, ...],
        strides: list[int],
        dilations: list[int],
        padding: int,
    ) -> list[int]:
        """ONNX pads [top, left, bottom, right] for TFLite's SAME (extra pixel after) or VALID."""
        if padding != PADDING_SAME:
            return [0, 0, 0, 0]
        before, after = [], []
        for size, k, stride, dilation in zip(
            self.shape(x)[1:3], kernel, strides, dilations, strict=True
        ):
            out = -(-size // stride)
            total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
            before.append(total // 2)
            after.append(total - total // 2)
        return before + after

    def _add(self, op: Any) -> None:
        options = _options(op, tflite.AddOptions)
        a, b = op.InputsAsNumpy()
        (out,) = op.OutputsAsNumpy()
        name = self.node("Add", [self.value(a), self.value(b)], self.tensor_name(out))
        self.finish(out, name, options.FusedActivationFunction())

    def _relu(self, op: Any) -> None:
        (x,), (out,) = op.InputsAsNumpy(), op.OutputsAsNumpy()
        self.finish(out, self.node("Relu", [self.value(x)], self.tensor_name(out)))

    def _prelu(self, op: Any) -> None:
        """PReLU(x) = Relu(x) - slope * Relu(-x), with both products written as depthwise 1x1
        convolutions (by -1, then by -slope). The same floats as PReLU (each product is a
        single multiplication and one term is always zero), and, unlike PRelu (slow) or
        Min/Mul (element-wise ops outside the blocked layout), convolutions keep ONNX Runtime in
        its blocked NCHWc layout and fuse the Relu and the final Add: FaceMesh runs about a
        quarter faster."""
        x, alpha = op.InputsAsNumpy()
        (out,) = op.OutputsAsNumpy()
        if len(self.shape(x)) != 4:
            raise TfliteConversionError(f"{self.tensor_name(out)}: PReLU on a non-image tensor")
        channels = self.shape(x)[3]
        slope = self.constant(alpha).astype(np.float32).reshape(-1)
        if slope.size != channels:
            raise TfliteConversionError(f"{self.tensor_name(out)}: slopes are not per channel")
        base = self.tensor_name(out)
        source = self.value(x)
        positive = self.node("Relu", [source], base + "_pos")
        negated = self._depthwise_scale(source, -np.ones(channels, np.float32), base + "_neg")
        negative = self.node("Relu", [negated], base + "_negrelu")
        scaled = self._depthwise_scale(negative, -slope, base + "_scaled")
        self.finish(out, self.node("Add", [positive, scaled], base))

    def _depthwise_scale(self, source: str, factors: np.ndarray, base: str) -> str:
        """Each channel times its factor, as a depthwise 1x1 convolution."""
        weights = self.initializer(base + "_w", factors.reshape(-1, 1, 1, 1))
        return self.node(
            "Conv", [source, weights], base, kernel_shape=[1, 1], group=int(factors.size)
        )

    def _pad(self, op: Any) -> None:
        x, paddings = op.InputsAsNumpy()[:2]
        (out,) = op.OutputsAsNumpy()
        amounts = self.constant(paddings).astype(np.int64)
        if len(self.shape(x)) == 4:
            amounts = amounts[list(TO_NCHW)]
        pads = self.initializer(self.tensor_name(out) + "_pads", amounts.T.reshape(-1))
        self.finish(out, self.node("Pad", [self.value(x), pads], self.tensor_name(out)))

    def _max_pool(self, op: Any) -> None:
        options = _options(op, tflite.Pool2DOptions)
        (x,), (out,) = op.InputsAsNumpy(), op.OutputsAsNumpy()
        kernel = (options.FilterHeight(), options.FilterWidth())
        strides = [options.StrideH(), options.StrideW()]
        pads = self._pads(x, kernel, strides, [1, 1], options.Padding())
        name = self.node(
            "MaxPool",
            [self.value(x)],
            self.tensor_name(out),
            kernel_shape=list(kernel),
            strides=strides,
            pads=pads,
        )
        self.finish(out, name, options.FusedActivationFunction())

    def _reshape(self, op: Any) -> None:
        x = op.InputsAsNumpy()[0]
        (out,) = op.OutputsAsNumpy()
        base = self.tensor_name(out)
        source = self.value(x)
        if len(self.shape(x)) == 4:
            source = self.node("Transpose", [source], base + "_nhwc", perm=list(TO_NHWC))
        target = self.initializer(base + "_shape", np.array(self.shape(out), dtype=np.int64))
        name = self.node("Reshape", [source, target], base)
        if len(self.shape(out)) == 4:
            name = self.node("Transpose", [name], base + "_nchw", perm=list(TO_NCHW))
        self.finish(out, name)

    def _concatenation(self, op: Any) -> None:
        options = _options(op, tflite.ConcatenationOptions)
        inputs, (out,) = op.InputsAsNumpy(), op.OutputsAsNumpy()
        rank = len(self.shape(out))
        axis = options.Axis() % rank
        if rank == 4:
            axis = NCHW_AXIS[axis]
        name = self.node(
            "Concat", [self.value(i) for i in inputs], self.tensor_name(out), axis=axis
        )
        self.finish(out, name, options.FusedActivationFunction())

    def _resize_bilinear(self, op: Any) -> None:
        options = _options(op, tflite.ResizeBilinearOptions)
        x = op.InputsAsNumpy()[0]
        (out,) = op.OutputsAsNumpy()
        if options.AlignCorners():
            mode = "align_corners"
        elif options.HalfPixelCenters():
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        n, h, w, c = self.shape(out)
        sizes = self.initializer(
            self.tensor_name(out) + "_sizes", np.array([n, c, h, w], dtype=np.int64)
        )
        name = self.node(
            "Resize",
            [self.value(x), "", "", sizes],
            self.tensor_name(out),
            mode="linear",
            coordinate_transformation_mode=mode,
        )
        self.finish(out, name)

    # --- the whole graph -----------------------------------------------------------------

    def run(self, producer: str) -> onnx.ModelProto:
        inputs, outputs = [], []
        for index in self.graph.InputsAsNumpy():
            public, shape = self.tensor_name(index), self.shape(index)
            self.used.add(public)
            inputs.append(helper.make_tensor_value_info(public, TensorProto.FLOAT, list(shape)))
            self.names[index] = (
                self.node("Transpose", [public], public + "_nchw", perm=list(TO_NCHW))
                if len(shape) == 4
                else public
            )
        publics = {self.tensor_name(index) for index in self.graph.OutputsAsNumpy()}
        self.used |= publics
        for position in range(self.graph.OperatorsLength()):
            op = self.graph.Operators(position)
            code = self.model.OperatorCodes(op.OpcodeIndex())
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            handler = self.handlers.get(builtin)
            if handler is None:
                raise TfliteConversionError(f"operator {_op_name(builtin)} is not supported")
            handler(op)
        for index in self.graph.OutputsAsNumpy():
            public, shape = self.tensor_name(index), self.shape(index)
            if len(shape) == 4:
                node = helper.make_node(
                    "Transpose", [self.names[index]], [public], name=public, perm=list(TO_NHWC)
                )
            else:
                node = helper.make_node("Identity", [self.names[index]], [public], name=public)
            self.nodes.append(node)
            outputs.append(helper.make_tensor_value_info(public, TensorProto.FLOAT, list(shape)))
        graph = helper.make_graph(self.nodes, "tflite", inputs, outputs, self.initializers)
        model = helper.make_model(
            graph, producer_name=producer, opset_imports=[helper.make_opsetid("", OPSET)]
        )
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model, full_check=True)
        return model


def _options(op: Any, kind: type) -> Any:
    options = kind()
    table = op.BuiltinOptions()
    options.Init(table.Bytes, table.Pos)
    return options


def _op_name(code: int) -> str:
    names: dict[int, str] = {
        v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")
    }
    return names.get(code, str(code))


SUPPORTED_OPS = (
    "DEQUANTIZE (float16 weights)",
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "ADD",
    "RELU",
    "PRELU",
    "PAD",
    "MAX_POOL_2D",
    "RESHAPE",
    "CONCATENATION",
    "RESIZE_BILINEAR",
)


def convert(data: bytes, producer: str = "selfiebot models.tflite_onnx") -> onnx.ModelProto:
    """The ONNX equivalent of a TFLite flatbuffer (see the module docstring for the layout)."""
    return _Converter(data).run(producer)
