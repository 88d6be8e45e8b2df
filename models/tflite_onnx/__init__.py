"""A small TFLite-to-ONNX converter for MediaPipe's face models (build time only).

`convert(tflite_bytes)` returns an `onnx.ModelProto` that takes and returns tensors in the
TFLite model's own shapes (channels-last), while every image tensor inside runs channels-first,
the layout ONNX Runtime's convolution kernels want. Needs the `tflite` flatbuffer parser, `onnx`
and numpy: the `models-build` extra.
"""

from models.tflite_onnx.convert import SUPPORTED_OPS, TfliteConversionError, convert

__all__ = ["SUPPORTED_OPS", "TfliteConversionError", "convert"]
