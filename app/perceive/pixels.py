"""Pixels against a colour: how far each pixel is from it, summed over the three channels (0–765 for 8-bit
pixels). Every perception step that asks "ink or background?" or "the same fill?" measures it this way, each
with its own threshold."""
from __future__ import annotations

import numpy as np


def distance(arr: np.ndarray, colour) -> np.ndarray:
    """|arr − colour| summed over the last axis, per pixel; `arr` is H×W×3 (any dtype), `colour` three numbers
    (a float median is kept as it is, not rounded)."""
    a = arr.astype(np.int32) if np.issubdtype(arr.dtype, np.integer) else arr
    return np.abs(a - np.asarray(colour)).sum(axis=-1)
