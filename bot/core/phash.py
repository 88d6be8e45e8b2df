"""A 64-bit perceptual hash (DCT pHash) so re-sent, re-encoded or resized photos are recognised.

SHA-256 only catches byte-identical files; chat apps recompress every photo, so the duplicate
check compares perceptual hashes by Hamming distance instead. numpy + Pillow only, so it costs
well under a millisecond next to the models.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PIL import Image

_SIZE = 32
_KEEP = 8


@lru_cache(maxsize=1)
def _dct_matrix() -> np.ndarray:
    """Orthonormal DCT-II basis; a 2-D DCT is then two matrix products."""
    n = np.arange(_SIZE)
    basis: npt.NDArray[np.float64] = np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / (2 * _SIZE))
    basis[0] /= np.sqrt(2)
    return basis * math.sqrt(2 / _SIZE)


def phash(image: Image.Image) -> int:
    """Unsigned 64-bit hash: bit i is set where the i-th low-frequency coefficient beats the median.

    Low frequencies describe the photo's overall layout, which survives recompression and
    resizing, while the DC term (overall brightness) is left out of the median so a small
    exposure change does not flip every bit.
    """
    grey = image.convert("L").resize((_SIZE, _SIZE), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    dct = _dct_matrix()
    low = (dct @ pixels @ dct.T)[:_KEEP, :_KEEP].flatten()
    median = np.median(low[1:])
    value = 0
    for bit in low > median:
        value = (value << 1) | int(bit)
    return value


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit hashes."""
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()
