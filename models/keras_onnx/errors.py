"""Errors the converter raises: one family so callers can turn any of them into one message."""

from __future__ import annotations


class KerasConversionError(ValueError):
    """The file cannot be converted: not Keras 2 HDF5, malformed, or uses something unsupported."""


class UnsupportedLayerError(KerasConversionError):
    """A layer class (or an option of a supported one) this converter does not implement.

    Named precisely so a user who swaps in another model knows which layer blocks it.
    """

    def __init__(self, class_name: str, layer_name: str, detail: str = "") -> None:
        self.class_name = class_name
        self.layer_name = layer_name
        what = f"layer {layer_name!r} of class {class_name}"
        message = (
            f"Unsupported {what}: {detail}"
            if detail
            else f"Unsupported {what}: the converter does not implement {class_name}"
        )
        super().__init__(message)
