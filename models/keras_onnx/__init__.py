"""Keras 2 HDF5 -> ONNX, with only h5py, onnx and numpy (no TensorFlow at build or run time).

Covers the layers of the two models selfiebot ships or fetches (see `layers.CONVERTERS`); any
other layer stops the conversion with an error naming the layer's class and name.
"""

from models.keras_onnx.convert import convert_keras_h5, convert_keras_model
from models.keras_onnx.errors import KerasConversionError, UnsupportedLayerError
from models.keras_onnx.h5model import KerasLayer, KerasModel, load_keras_h5

__all__ = [
    "KerasConversionError",
    "KerasLayer",
    "KerasModel",
    "UnsupportedLayerError",
    "convert_keras_h5",
    "convert_keras_model",
    "load_keras_h5",
]
