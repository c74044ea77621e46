"""What the user gives the app: files, dropped or pasted image data, captures, video frames → `InputItem`s.

Two steps, kept apart so most of it is tested without widgets or threads:
1. `payloads_from_mime(mime)` (GUI thread, instant) reads a drop or a clipboard: local file URLs become paths;
   image data in the payload (a browser drag of a picture carries it as `application/x-qt-image`/`image/png`, or
   as a `data:` URI in `text/html`) becomes bytes. Remote `http(s)` links alone are refused with a message: the
   app never downloads anything.
2. `load_payloads(payloads, video_mode, cancel)` (a worker) decodes: images through `vision.load_image` (which
   raises `MediaError` with a one-line message for bad files), videos through `vision.video` into frames, one
   `InputItem` per image or frame. A video's frames share a `group` so the filmstrip can offer keep/drop per
   frame. What is sent to the model is exactly the kept items' images, in strip order.
"""
from __future__ import annotations

import base64
import io
import os
import pathlib
import re
import threading
from dataclasses import dataclass, field
from typing import Iterator

from PIL import Image

from uicode.errors import MediaError

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".ico", ".ppm", ".pgm"}
VIDEO_EXTS = {".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v", ".mpg", ".mpeg", ".wmv", ".ogv"}
IMAGE_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp")
RE_DATA_URI = re.compile(r"data:image/[a-zA-Z+.\-]+;base64,([A-Za-z0-9+/=\s]+)")
MAX_FRAMES_PER_VIDEO = 64


@dataclass(frozen=True)
class Payload:
    """One unloaded input: a local path, or image bytes with a label."""

    kind: str  # "path" | "bytes"
    path: str = ""
    data: bytes = b""
    label: str = ""


@dataclass
class InputItem:
    image: Image.Image  # 8-bit RGB, what is sent
    label: str
    source: str = ""  # file path (kept across autosave) or "" for pasted/captured data
    group: str = ""  # the video a frame came from ("" for still images)
    timestamp: str = ""  # a video frame's time, HH:MM:SS.mmm
    keep: bool = True
    meta: dict = field(default_factory=dict)


def classify_path(path: str | os.PathLike) -> str:
    """'image', 'video', or 'unknown' (tried as an image, so the error names the file)."""
    ext = pathlib.Path(path).suffix.lower()
    if ext in VIDEO_EXTS:
        return "video"
    if ext in IMAGE_EXTS:
        return "image"
    return "unknown"


def offers_input(mime) -> bool:
    """Whether a drag may hold something `payloads_from_mime` can read (files/links or image data): accept it."""
    return mime.hasUrls() or mime.hasImage() or any(f.startswith("image/") for f in mime.formats())


def payloads_from_mime(mime) -> list[Payload]:
    """Read a QMimeData (drop or clipboard). Raises MediaError when it holds nothing usable."""
    payloads: list[Payload] = []
    remote: list[str] = []
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                payloads.append(Payload("path", path=url.toLocalFile()))
            elif url.scheme() == "data":
                data = _decode_data_uri(url.toString())
                if data:
                    payloads.append(Payload("bytes", data=data, label="dropped image"))
            elif url.scheme() in ("http", "https", "ftp"):
                remote.append(url.toString())
    if payloads:
        return payloads
    # Image data: what a browser puts in the payload when a picture itself is dragged or copied.
    for fmt in IMAGE_MIME_TYPES:
        if mime.hasFormat(fmt):
            data = bytes(mime.data(fmt).data())
            if data:
                return [Payload("bytes", data=data, label=_label_for(fmt))]
    if mime.hasImage():
        data = qimage_to_png(mime.imageData())
        if data:
            return [Payload("bytes", data=data, label="pasted image")]
    if mime.hasHtml():
        for m in RE_DATA_URI.finditer(mime.html()):
            data = _decode_data_uri("data:image/x;base64," + m.group(1))
            if data:
                payloads.append(Payload("bytes", data=data, label="dropped image"))
        if payloads:
            return payloads
    if mime.hasText():
        text = mime.text().strip()
        if text.startswith("file://") or (text.startswith("/") and "\n" not in text and os.path.exists(text)):
            path = text[len("file://"):] if text.startswith("file://") else text
            return [Payload("path", path=path)]
    if remote:
        raise MediaError(f"{remote[0]}: a link to a web image, not the image itself; uicode never downloads. "
                         "Save the image or copy it (right click → Copy image) and paste")
    raise MediaError("the dropped or pasted data holds no image or video (formats: "
                     + (", ".join(mime.formats()) or "none") + ")")


def _label_for(fmt: str) -> str:
    return f"dropped {fmt.split('/')[1].upper()} image"


def _decode_data_uri(uri: str) -> bytes:
    m = RE_DATA_URI.match(uri)
    if not m:
        return b""
    try:
        return base64.b64decode(re.sub(r"\s", "", m.group(1)), validate=False)
    except (ValueError, TypeError):
        return b""


def qimage_to_png(qimage) -> bytes:
    """Encode a QImage (or QPixmap) as PNG bytes; b'' for a null image."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPixmap

    if isinstance(qimage, QPixmap):
        qimage = qimage.toImage()
    if not isinstance(qimage, QImage) or qimage.isNull():
        return b""
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    qimage.save(buffer, "PNG")
    buffer.close()
    return bytes(array.data())


def _load_image(source, name: str) -> Image.Image:
    try:
        from vision import load_image
    except ImportError:
        from vision.image_file import load_image
    return load_image(source, name=name)


def load_payloads(payloads: list[Payload], video_mode: str = "sampled",
                  cancel: threading.Event | None = None) -> Iterator[InputItem]:
    """Decode each payload into InputItems (a worker job). Raises MediaError on the first bad input."""
    for payload in payloads:
        if cancel is not None and cancel.is_set():
            return
        if payload.kind == "bytes":
            image = _load_image(payload.data, payload.label or "pasted image")
            yield InputItem(image=image, label=payload.label or "pasted image", meta={"size": image.size})
            continue
        path = payload.path
        name = pathlib.Path(path).name
        if classify_path(path) == "video":
            yield from load_video(path, video_mode, cancel)
        else:
            image = _load_image(path, path)
            yield InputItem(image=image, label=name, source=str(path), meta={"size": image.size})


def load_video(path: str, mode: str = "sampled", cancel: threading.Event | None = None) -> Iterator[InputItem]:
    """A video's sampled frames (K2.5's 2 fps rule) or its keyframes (screen changes), as InputItems.

    The kept frames are later sent as still images, in time order: that is what lets the user drop frames
    (a `vision.video` chunk always holds 4 consecutive samples)."""
    from vision.video import format_timestamp
    from vision.video import load_video as decode

    name = pathlib.Path(path).name
    video = decode(path, mode="keyframes" if mode == "keyframes" else "uniform",
                   max_frames=MAX_FRAMES_PER_VIDEO, max_keyframes=min(32, MAX_FRAMES_PER_VIDEO), name=str(path))
    for frame, seconds in zip(video.frames, video.timestamps):
        if cancel is not None and cancel.is_set():
            return
        stamp = format_timestamp(seconds)
        image = Image.fromarray(frame).convert("RGB")
        yield InputItem(image=image, label=f"{name} @ {stamp}", source=str(path), group=str(path),
                        timestamp=stamp, meta={"size": image.size, "mode": mode})


def pil_to_qimage(image: Image.Image):
    """An RGB QImage copy of a PIL image (safe to make on any thread; the copy detaches from Python memory)."""
    from PySide6.QtGui import QImage

    rgb = image if image.mode == "RGB" else image.convert("RGB")
    data = rgb.tobytes("raw", "RGB")
    return QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888).copy()


def image_to_png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
