"""Conversion inputs: paths, directories, PIL images and bytes → validated media, and CLI batch planning.

`load_media(source)` turns one input into an `ImageInput` (an 8-bit RGB PIL image, loaded and validated by
`vision.image_file.load_image`) or a `VideoInput` (frames sampled by `vision.video.load_video` with K2.5's rule, or
keyframes for screen recordings). Every bad input raises `uicode.errors.MediaError` with a one-line message
naming the file. `plan_batches(paths)` decides what one CLI invocation converts: all files given together
form one request (several screenshots of one UI); each directory contributes one request per image or video
inside it (a batch). `check_input(path)` refuses a bad file before anything heavy is loaded. `slot_of` gives the
prompt slot (`app.prompt.plan.MediaSlot`) of an input.

What it does not do: pixel preprocessing for the encoder (`vision/preprocess.py`, done by the local
backend) or image encoding for remote endpoints (`app/backends/openai.py`).
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, Union

from PIL import Image

from app.prompt.plan import MediaSlot
from uicode.errors import MediaError

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"}
VIDEO_EXTS = {".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v"}
CHUNK_FRAMES = 4  # K2.5's temporal merge: one media item per 4 sampled frames

MediaSource = Union[str, os.PathLike, Image.Image, bytes, bytearray]


@dataclass(frozen=True)
class ImageInput:
    image: Image.Image  # 8-bit RGB
    name: str


@dataclass(frozen=True)
class VideoInput:
    """Sampled frames (RGB uint8 arrays [H, W, 3]), their stream indices and the stream's fps."""

    frames: tuple
    indices: tuple[int, ...]
    fps: float
    name: str

    @property
    def chunk_starts_s(self) -> tuple[float, ...]:
        return tuple(self.indices[s] / self.fps for s in range(0, len(self.indices), CHUNK_FRAMES))

    def as_video(self):
        from vision.video import Video

        return Video(list(self.frames), list(self.indices), self.fps, len(self.indices), self.name)

    def frame_images(self) -> list[Image.Image]:
        return [Image.fromarray(f, "RGB") for f in self.frames]


MediaInput = Union[ImageInput, VideoInput]


def is_video_path(p: str | os.PathLike) -> bool:
    return Path(p).suffix.lower() in VIDEO_EXTS


def load_media(source: MediaSource, *, video_mode: str = "uniform") -> MediaInput:
    """One input → ImageInput | VideoInput. Paths with a video extension are decoded as video; everything
    else (other paths, bytes, PIL images) as an image."""
    from vision.image_file import load_image, to_rgb

    if isinstance(source, Image.Image):
        try:
            return ImageInput(to_rgb(source), "<image>")
        except (OSError, ValueError) as e:
            raise MediaError(f"<image>: unsupported image ({e})") from None
    if isinstance(source, (bytes, bytearray, memoryview)):
        return ImageInput(load_image(bytes(source), name="<image bytes>"), "<image bytes>")
    path = os.fspath(source)
    if os.path.isdir(path):
        raise MediaError(f"{path}: is a directory; pass the files in it, or the directory alone for a batch")
    if is_video_path(path):
        from vision.video import load_video

        v = load_video(path, mode=video_mode)
        return VideoInput(tuple(v.frames), tuple(v.indices), v.fps, path)
    return ImageInput(load_image(path), path)


def slot_of(item: MediaInput) -> MediaSlot:
    if isinstance(item, VideoInput):
        return MediaSlot("video", item.chunk_starts_s)
    return MediaSlot("image")


def check_input(path: str | os.PathLike) -> None:
    """A MediaError naming `path` when it cannot be an input, found without decoding it or loading anything
    heavy (Pillow only): missing, a directory, empty, or an image that fails `vision.image_file.check_image`
    (not an image, too many pixels, a PNG whose checksums fail). A video is checked for its file only; its
    frames are decoded when it is loaded."""
    from vision.image_file import check_image

    if not os.path.exists(path):
        raise MediaError(f"{path}: no such file")
    if os.path.isdir(path):
        raise MediaError(f"{path}: is a directory; pass the files in it, or the directory alone for a batch")
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        raise MediaError(f"{path}: empty file, not an image or a video")
    if not is_video_path(path):
        check_image(path, name=os.fspath(path))


def png_bytes(img: Image.Image) -> bytes:
    """Lossless PNG of an RGB image (what remote endpoints receive: the pixels stay exactly the same)."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


@dataclass(frozen=True)
class Batch:
    """One conversion request of the CLI: its input paths and the output name stem."""

    inputs: tuple[str, ...]
    stem: str


def plan_batches(paths: Sequence[str], *, each: bool = False) -> list[Batch]:
    """Files together → one request (or one per file with `each`); a directory → one request per media
    file in it (sorted, non-recursive). Missing paths are kept so the conversion reports them in order."""
    batches: list[Batch] = []
    loose: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(
                str(f) for f in Path(p).iterdir()
                if f.is_file() and f.suffix.lower() in IMAGE_EXTS | VIDEO_EXTS
            )
            if not found:
                raise MediaError(f"{p}: directory holds no image or video files")
            batches += [Batch((f,), Path(f).stem) for f in found]
        else:
            loose.append(p)
    if loose:
        if each:
            batches = [Batch((p,), Path(p).stem) for p in loose] + batches
        else:
            batches = [Batch(tuple(loose), Path(loose[0]).stem)] + batches
    return batches
