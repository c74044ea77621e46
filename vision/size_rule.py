"""K2.5's image size rule (spec §3.1), without torch: how many patches and decoder tokens a picture becomes.

Patch 14, at most 512 patches per side, at most `in_patch_limit` patches (16384 for images, 4096 per video
frame), never upscale, then zero-pad right/bottom to multiples of 28 (2×2 merge of 14-pixel patches). Kept apart
from `vision/preprocess.py` (the tensors) so that a backend reads its patch budget, and the GUI counts a picture's
tokens, without importing torch.
"""
from __future__ import annotations

import math

PATCH_SIZE = 14
MERGE_KERNEL = 2
PATCH_LIMIT_ON_ONE_SIDE = 512
IN_PATCH_LIMIT = 16384            # images
IN_PATCH_LIMIT_EACH_FRAME = 4096  # video frames


def navit_resize(width: int, height: int, in_patch_limit: int = IN_PATCH_LIMIT,
                 patch_size: int = PATCH_SIZE, merge_kernel: int = MERGE_KERNEL,
                 side_limit: int = PATCH_LIMIT_ON_ONE_SIDE) -> tuple[int, int, int, int]:
    """K2.5's resize rule. Returns `(new_w, new_h, padded_w, padded_h)` in pixels.

    `int()` truncation (not rounding) is part of the rule: it decides the token count, which the
    prompt must match exactly.
    """
    if width < 1 or height < 1:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    patches = max(1, width // patch_size) * max(1, height // patch_size)
    scale = min(1.0, math.sqrt(in_patch_limit / patches),
                side_limit * patch_size / width, side_limit * patch_size / height)
    new_w = min(max(1, int(width * scale)), side_limit * patch_size)
    new_h = min(max(1, int(height * scale)), side_limit * patch_size)
    factor = merge_kernel * patch_size
    return new_w, new_h, new_w + (factor - new_w % factor) % factor, new_h + (factor - new_h % factor) % factor


def image_grid(width: int, height: int, in_patch_limit: int = IN_PATCH_LIMIT) -> tuple[int, int]:
    """(h, w) patch grid of one image/frame of that pixel size, before merging."""
    _, _, pw, ph = navit_resize(width, height, in_patch_limit)
    return ph // PATCH_SIZE, pw // PATCH_SIZE


def image_token_count(width: int, height: int, in_patch_limit: int = IN_PATCH_LIMIT) -> int:
    """How many decoder tokens (`<|media_pad|>` positions) one image of width×height becomes.
    Pass `in_patch_limit=IN_PATCH_LIMIT_EACH_FRAME` for a video chunk (any t ≤ 4 gives the same count)."""
    h, w = image_grid(width, height, in_patch_limit)
    return (h // MERGE_KERNEL) * (w // MERGE_KERNEL)
