"""K2.5's image preprocessing: an RGB picture → `MediaItem(pixel_values, grid_thw)`.

- the processor's size rule (`navit_resize`, `image_token_count`) is `vision/size_rule.py`'s, re-exported here;
- `preprocess_image` / `preprocess_frames` resize with PIL bicubic, pad with zeros (−1.0 after
  normalisation), normalise with mean = std = 0.5 and patchify in (t, row, col) order into
  `pixel_values[N, 3, 14, 14]` with `grid_thw = (t, h, w)` counted in patches before merging.

What it does not do: opening and checking picture files (`vision/image_file.py`), video decoding and frame
sampling (`vision/video.py`), the encoder (`vision/moonvit.py`), and prompt building (`model/chat.py`), which
uses `MediaItem.num_tokens` for the `<|media_pad|>` count.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from PIL import Image

from vision.image_file import to_rgb
from vision.size_rule import (IN_PATCH_LIMIT, IN_PATCH_LIMIT_EACH_FRAME, MERGE_KERNEL,  # noqa: F401 (re-exported)
                               PATCH_LIMIT_ON_ONE_SIDE, PATCH_SIZE, image_grid, image_token_count, navit_resize)

IMAGE_MEAN = 0.5
IMAGE_STD = 0.5


@dataclass(frozen=True)
class MediaItem:
    """One encoder input: an image, or a chunk of ≤4 video frames of the same size.

    pixel_values: float32 [t·h·w, 3, 14, 14], patches in (t, row, col) order, normalised to [−1, 1].
    grid_thw:     (t, h, w) in patches before the 2×2 merge; h and w are even.
    """

    pixel_values: torch.Tensor
    grid_thw: tuple[int, int, int]

    @property
    def num_tokens(self) -> int:
        """Decoder tokens this item becomes: the 2×2 merge plus temporal mean leave (h/2)·(w/2)."""
        _, h, w = self.grid_thw
        return (h // MERGE_KERNEL) * (w // MERGE_KERNEL)


def pack_media(items: Sequence[MediaItem]) -> dict[str, torch.Tensor]:
    """Concatenate items into the model's media kwargs:
    `pixel_values [ΣN, 3, 14, 14]` and `grid_thws LongTensor[n_items, 3]`."""
    if not items:
        raise ValueError("pack_media needs at least one item")
    return {
        "pixel_values": torch.cat([it.pixel_values for it in items], dim=0),
        "grid_thws": torch.tensor([it.grid_thw for it in items], dtype=torch.long),
    }


# --------------------------------------------------------------------------------------------------
# resize, pad, normalise, patchify

def _resize_pad(img: Image.Image, in_patch_limit: int) -> np.ndarray:
    """RGB image → uint8 [H_pad, W_pad, 3], bicubic-resized and zero-padded right/bottom."""
    w, h = img.size
    new_w, new_h, pad_w, pad_h = navit_resize(w, h, in_patch_limit)
    if (new_w, new_h) != (w, h):
        img = img.resize((new_w, new_h), Image.Resampling.BICUBIC)
    out = np.zeros((pad_h, pad_w, 3), dtype=np.uint8)
    out[:new_h, :new_w] = np.asarray(img, dtype=np.uint8)
    return out


def normalise(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 pixel values (any shape) → float32 (x/255 − 0.5)/0.5, the encoder's input range [−1, 1]."""
    return (pixels.to(torch.float32) / 255.0 - IMAGE_MEAN) / IMAGE_STD


def patchify(frames: np.ndarray, normalised: bool = True) -> torch.Tensor:
    """uint8 [T, H, W, 3] (H, W multiples of 14) → float32 [T·(H/14)·(W/14), 3, 14, 14].

    Patch order is (t, row, col) row-major, each patch channel-first, values `normalise`d (with
    `normalised=False` the uint8 pixels, in the same layout: 4× smaller, for training sets held in memory).
    """
    t, hh, ww, c = frames.shape
    p = PATCH_SIZE
    x = torch.from_numpy(np.ascontiguousarray(frames))
    x = normalise(x) if normalised else x
    # [T, h, p, w, p, C] → [T, h, w, C, p, p]
    x = x.view(t, hh // p, p, ww // p, p, c).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(t * (hh // p) * (ww // p), c, p, p).contiguous()


def preprocess_image(img: Image.Image, in_patch_limit: int = IN_PATCH_LIMIT, normalised: bool = True) -> MediaItem:
    """One PIL image (any mode; converted with `to_rgb`) → MediaItem with grid (1, h, w); `normalised=False`
    keeps uint8 pixel values (`patchify`)."""
    arr = _resize_pad(to_rgb(img), in_patch_limit)
    pv = patchify(arr[None], normalised)
    return MediaItem(pv, (1, arr.shape[0] // PATCH_SIZE, arr.shape[1] // PATCH_SIZE))


def preprocess_frames(frames: Sequence[Image.Image | np.ndarray],
                      in_patch_limit: int = IN_PATCH_LIMIT_EACH_FRAME) -> MediaItem:
    """A video chunk: 1..4 frames of one size (PIL images or uint8 RGB arrays [H, W, 3]) →
    MediaItem with grid (t, h, w); every frame is resized with the per-frame patch limit."""
    if not frames:
        raise ValueError("preprocess_frames needs at least one frame")
    pil = [f if isinstance(f, Image.Image) else Image.fromarray(np.asarray(f, dtype=np.uint8), "RGB")
           for f in frames]
    sizes = {f.size for f in pil}
    if len(sizes) != 1:
        raise ValueError(f"frames of one chunk must share a size, got {sorted(sizes)}")
    arr = np.stack([_resize_pad(to_rgb(f), in_patch_limit) for f in pil])
    return MediaItem(patchify(arr), (len(pil), arr.shape[1] // PATCH_SIZE, arr.shape[2] // PATCH_SIZE))
