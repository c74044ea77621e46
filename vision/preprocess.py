"""K2.5's image preprocessing: an RGB picture → `MediaItem(pixel_values, grid_thw)`.

- `navit_resize` / `image_token_count` implement the processor's size rule (spec §3.1): patch 14, at most
  512 patches per side, at most `in_patch_limit` patches (16384 for images, 4096 per video frame), never
  upscale, then zero-pad right/bottom to multiples of 28 (2×2 merge of 14-pixel patches).
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

PATCH_SIZE = 14
MERGE_KERNEL = 2
PATCH_LIMIT_ON_ONE_SIDE = 512
IN_PATCH_LIMIT = 16384            # images
IN_PATCH_LIMIT_EACH_FRAME = 4096  # video frames
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
# size rule

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
