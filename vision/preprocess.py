"""Image loading and K2.5's image preprocessing: any picture file → `MediaItem(pixel_values, grid_thw)`.

What it does:
- `load_image(path_or_bytes)` opens a file or a byte string with Pillow and returns an 8-bit RGB image,
  handling the oddities people actually drop in: EXIF orientation (applied), palette images with or without
  transparency, alpha channels, 16-bit grayscale/RGB, CMYK, YCbCr/LAB, 1-bit, animated GIF/WebP/PNG (the
  first frame is used) and extreme aspect ratios.
  **Transparency is composited over white**: UI mockups exported from design tools leave the page background
  transparent, and a white page is what the designer saw; a black or undefined background would change the
  colours the model reads off the picture.
- Bad input raises `uicode.errors.MediaError` with a one-line message naming the file: missing or unreadable
  file, not an image, corrupt or truncated data, or a decompression bomb (more than `MAX_IMAGE_PIXELS`
  pixels, checked from the header before any pixel is decoded).
- `navit_resize` / `image_token_count` implement the processor's size rule (spec §3.1): patch 14, at most
  512 patches per side, at most `in_patch_limit` patches (16384 for images, 4096 per video frame), never
  upscale, then zero-pad right/bottom to multiples of 28 (2×2 merge of 14-pixel patches).
- `preprocess_image` / `preprocess_frames` resize with PIL bicubic, pad with zeros (−1.0 after
  normalisation), normalise with mean = std = 0.5 and patchify in (t, row, col) order into
  `pixel_values[N, 3, 14, 14]` with `grid_thw = (t, h, w)` counted in patches before merging.

What it does not do: video decoding and frame sampling (`vision/video.py`), the encoder (`vision/moonvit.py`),
and prompt building (`model/chat.py`), which uses `MediaItem.num_tokens` for the `<|media_pad|>` count.
"""
from __future__ import annotations

import io
import math
import os
import re
import warnings
from dataclasses import dataclass
from typing import Sequence, Union

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from uicode.errors import MediaError

PATCH_SIZE = 14
MERGE_KERNEL = 2
PATCH_LIMIT_ON_ONE_SIDE = 512
IN_PATCH_LIMIT = 16384            # images
IN_PATCH_LIMIT_EACH_FRAME = 4096  # video frames
IMAGE_MEAN = 0.5
IMAGE_STD = 0.5
# Decompression-bomb guard: 100 megapixels (e.g. 10000×10000) is larger than any screenshot or mockup
# (an 8K display is 33 MP) yet keeps decoding below ~400 MB of RGBA. Pillow refuses anything above
# ~179 MP on its own, so a larger `max_pixels` cannot raise the ceiling past that.
MAX_IMAGE_PIXELS = 100_000_000
# Files are read whole before decoding; no real screenshot or mockup comes near this.
MAX_FILE_BYTES = 256 * 2**20

ImageSource = Union[str, os.PathLike, bytes, bytearray, memoryview]


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
# loading

def _describe(source: ImageSource, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<image bytes>"
    return os.fspath(source)


def load_image(source: ImageSource, *, name: str | None = None,
               max_pixels: int = MAX_IMAGE_PIXELS) -> Image.Image:
    """Open a path or a byte string as an 8-bit RGB PIL image (EXIF-rotated, alpha over white, first frame).

    `name` is what error messages call the input (defaults to the path, or "<image bytes>").
    Raises MediaError for missing/unreadable files, non-images, corrupt or truncated data, and
    images over `max_pixels` pixels.
    """
    label = _describe(source, name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise MediaError(f"{label}: empty input, not an image")
        fp = io.BytesIO(bytes(source))
    else:
        path = os.fspath(source)
        if not os.path.exists(path):
            raise MediaError(f"{label}: no such file")
        if os.path.isdir(path):
            raise MediaError(f"{label}: is a directory, not an image")
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise MediaError(f"{label}: {os.path.getsize(path)} bytes is larger than the {MAX_FILE_BYTES}-byte "
                             "limit for an image file")
        try:
            with open(path, "rb") as f:
                fp = io.BytesIO(f.read())
        except OSError as e:
            raise MediaError(f"{label}: cannot read file ({e.strerror or e})") from None
        if fp.getbuffer().nbytes == 0:
            raise MediaError(f"{label}: empty file, not an image")
    # Our documented limit is checked from the header, before any pixel is decoded. Pillow has its own
    # (a warning above ~89 MP, an error above ~179 MP); its warning is silenced so the message stays ours,
    # and its module-wide limit is left alone (other threads may be opening images).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(fp)
        except Image.DecompressionBombError as e:
            n = re.search(r"\((\d+) pixels\)", str(e))
            raise MediaError(f"{label}: {n.group(1) + ' pixels' if n else 'image'} exceeds the limit of "
                             f"{max_pixels} (possible decompression bomb)") from None
        except UnidentifiedImageError:
            raise MediaError(f"{label}: not an image (unrecognised format)") from None
        except (OSError, ValueError, SyntaxError) as e:
            raise MediaError(f"{label}: corrupt image ({_oneline(e)})") from None
    w, h = img.size
    if w * h > max_pixels:
        raise MediaError(f"{label}: {w}x{h} = {w * h} pixels exceeds the limit of {max_pixels} "
                         "(possible decompression bomb)")
    if w < 1 or h < 1:
        raise MediaError(f"{label}: image has no pixels ({w}x{h})")
    try:
        img.seek(0)  # animated GIF/WebP/APNG: the first frame is the page
        img.load()
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise MediaError(f"{label}: corrupt or truncated image ({_oneline(e)})") from None
    try:
        return to_rgb(img)
    except (OSError, ValueError) as e:
        raise MediaError(f"{label}: unsupported image ({_oneline(e)})") from None


def _oneline(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info


def to_rgb(img: Image.Image) -> Image.Image:
    """Any PIL image → 8-bit RGB: EXIF orientation applied, 16-bit/float scaled to 8 bits,
    transparency composited over white (see the module docstring for why white)."""
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:  # malformed EXIF must not make a readable picture unusable
        pass
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit PNG/TIFF grayscale: scale the 0..65535 range (Pillow's convert("L") would clip at 255).
        a = np.asarray(img, dtype=np.float64)
        img = Image.fromarray(np.clip(np.round(a / 257.0), 0, 255).astype(np.uint8), "L")
    elif img.mode == "F":
        a = np.asarray(img, dtype=np.float64)
        peak = 1.0 if a.size and np.nanmax(a) <= 1.0 else 255.0
        img = Image.fromarray(np.clip(np.round(np.nan_to_num(a) / peak * 255.0), 0, 255).astype(np.uint8), "L")
    if _has_alpha(img):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if img.mode != "RGB":
        img = img.convert("RGB")  # P, L, 1, CMYK, YCbCr, LAB, HSV
    return img


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
