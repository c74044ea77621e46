"""Picture files → 8-bit RGB PIL images, checked on the way: `load_image(path_or_bytes)`.

It handles the oddities people actually drop in: EXIF orientation (applied), palette images with or without
transparency, alpha channels, 16-bit grayscale/RGB, CMYK, YCbCr/LAB, 1-bit, animated GIF/WebP/PNG (the first
frame is used) and extreme aspect ratios. **Transparency is composited over white** (`to_rgb`): UI mockups
exported from design tools leave the page background transparent, and a white page is what the designer saw;
a black or undefined background would change the colours the model reads off the picture.

Bad input raises `uicode.errors.MediaError` with a one-line message naming the file: missing or unreadable
file, not an image, corrupt or truncated data (a PNG whose chunk checksums fail included), or a decompression
bomb (more than `MAX_IMAGE_PIXELS` pixels, checked from the header before any pixel is decoded).
`check_image(path)` does those checks without decoding the pixels, so that a front end can refuse a bad file
before it loads anything heavy. Only Pillow and NumPy are imported here (no torch).

Not here: resizing and patchifying for the encoder (`vision/preprocess.py`), video (`vision/video.py`).
"""
from __future__ import annotations

import io
import os
import re
import warnings
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from uicode.errors import MediaError

# Decompression-bomb guard: 100 megapixels (e.g. 10000×10000) is larger than any screenshot or mockup
# (an 8K display is 33 MP) yet keeps decoding below ~400 MB of RGBA. Pillow refuses anything above
# ~179 MP on its own, so a larger `max_pixels` cannot raise the ceiling past that.
MAX_IMAGE_PIXELS = 100_000_000
# Files are read whole before decoding; no real screenshot or mockup comes near this.
MAX_FILE_BYTES = 256 * 2**20

ImageSource = Union[str, os.PathLike, bytes, bytearray, memoryview]



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
    Raises MediaError for missing/unreadable files, non-images, corrupt or truncated data (a PNG whose
    checksums fail included), and images over `max_pixels` pixels.
    """
    label = _describe(source, name)
    img = _opened(_read(source, label), label, max_pixels)
    try:
        img.seek(0)  # animated GIF/WebP/APNG: the first frame is the page
        img.load()
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise MediaError(f"{label}: corrupt or truncated image ({_oneline(e)})") from None
    try:
        return to_rgb(img)
    except (OSError, ValueError) as e:
        raise MediaError(f"{label}: unsupported image ({_oneline(e)})") from None


def check_image(source: ImageSource, *, name: str | None = None,
                max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[int, int]:
    """`load_image`'s checks without decoding the pixels (the file, the format, the size from the header, a
    PNG's chunk checksums): the image's (width, height), or a MediaError naming the file."""
    label = _describe(source, name)
    return _opened(_read(source, label), label, max_pixels).size


def _read(source: ImageSource, label: str) -> io.BytesIO:
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise MediaError(f"{label}: empty input, not an image")
        return io.BytesIO(bytes(source))
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
    return fp


def _opened(fp: io.BytesIO, label: str, max_pixels: int) -> Image.Image:
    """The image in `fp`, opened (pixels not decoded) after its size and, for a PNG, its checksums passed."""
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
    if img.format == "PNG":
        # Decoding a PNG does not check its chunks' CRCs (Pillow skips them for the image data), so a damaged
        # file would be read as whatever its bytes decode to; verify() walks every chunk and checks each.
        try:
            img.verify()
        except (OSError, ValueError, SyntaxError, EOFError) as e:
            raise MediaError(f"{label}: corrupt PNG ({_oneline(e)})") from None
        fp.seek(0)
        img = Image.open(fp)
    return img


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
