"""Video input with OpenCV: decode, pick frames, group them into 4-frame chunks (one media item each).

Two ways to pick frames:
- `"uniform"` — K2.5's rule (spec §3.2): with N decoded frames at `fps`, `sample_fps = min(2, fps)`,
  `n = max(round(N·sample_fps/fps), 1)` (optionally capped by `max_frames`) and indices
  `round(linspace(0, N−1, n))`.
- `"keyframes"` — for screen recordings, where most frames repeat: frames are scanned at up to
  `scan_fps`, and one is kept when it differs from the last kept frame on more than `change_threshold` of a
  small grayscale thumbnail's pixels (a pixel counts as changed when it moves by more than 16/255 — enough to
  ignore codec noise, small enough to see a dialog or a page change; a mouse cursor alone stays below 1%).
  The first frame is always kept; when more than `max_keyframes` qualify, the ones with the largest change
  are kept, in time order.

Sampled frames are grouped in chunks of `chunk_size` (4) consecutive frames; each chunk is resized with the
per-frame limit of 4096 patches, becomes a `MediaItem` with `grid_thw = (t ≤ 4, h, w)` and carries the
timestamp of its first frame, `HH:MM:SS.mmm`. The chat template (`model/chat.py`) turns chunks into
`<timestamp><|media_begin|>video<|media_content|><|media_pad|>…<|media_end|>` using `VideoChunk.num_tokens`.

Decoding is two-step when needed: the container's frame count is trusted for a first pass that keeps only
the wanted frames; if the stream turns out to hold a different number of frames, a second pass re-picks the
indices from the true count (so memory holds only sampled frames, never the whole video). A video whose fps
is not reported is taken as 30 fps. Unreadable, empty or undecodable videos raise `MediaError`.

Not here: image files (`vision/preprocess.py`), the encoder, prompt text.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

from uicode.errors import MediaError
from vision.preprocess import IN_PATCH_LIMIT_EACH_FRAME, MediaItem, preprocess_frames

SAMPLE_FPS = 2.0
CHUNK_SIZE = 4          # temporal_merge_kernel_size: frames per media item
DEFAULT_FPS = 30.0      # assumed when the container reports none
CHANGE_THRESHOLD = 0.01
MAX_KEYFRAMES = 32
SCAN_FPS = 4.0
_THUMB_SIDE = 160
_PIXEL_DELTA = 16


@dataclass(frozen=True)
class Video:
    """Sampled frames of one video. frames: RGB uint8 [H, W, 3] each; indices into the decoded stream."""

    frames: list[np.ndarray]
    indices: list[int]
    fps: float
    num_frames: int
    name: str

    @property
    def timestamps(self) -> list[float]:
        return [i / self.fps for i in self.indices]


@dataclass(frozen=True)
class VideoChunk:
    """One media item of a video: ≤ 4 consecutive sampled frames and the time of the first one."""

    item: MediaItem
    timestamp: str
    start_s: float
    frame_indices: tuple[int, ...]

    @property
    def num_tokens(self) -> int:
        return self.item.num_tokens


# --------------------------------------------------------------------------------------------------
# pure rules

def sample_frame_indices(num_frames: int, fps: float, sample_fps: float = SAMPLE_FPS,
                         max_frames: int | None = None) -> list[int]:
    """K2.5's uniform rule: `round(linspace(0, N−1, n))` with `n = max(round(N·min(sample_fps, fps)/fps), 1)`."""
    if num_frames < 1:
        return []
    rate = min(sample_fps, fps)
    n = max(int(round(num_frames * rate / fps)), 1)
    if max_frames is not None:
        n = max(1, min(n, max_frames))
    return [int(i) for i in np.round(np.linspace(0, num_frames - 1, n))]


def format_timestamp(seconds: float) -> str:
    """Seconds → `HH:MM:SS.mmm` (milliseconds rounded)."""
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def change_score(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of thumbnail pixels that differ by more than 16/255 (a, b: uint8 grayscale, same shape)."""
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16)) > _PIXEL_DELTA))


def select_keyframes(scores: Sequence[float], threshold: float = CHANGE_THRESHOLD,
                     max_keyframes: int = MAX_KEYFRAMES) -> list[int]:
    """Positions to keep among scanned frames. `scores[i]` is frame i's change vs the last kept frame
    (scores[0] is ignored: the first frame is always kept). Over the cap, the largest changes win."""
    if not scores:
        return []
    keep = [0] + [i for i in range(1, len(scores)) if scores[i] > threshold]
    if len(keep) > max_keyframes:
        rest = sorted(keep[1:], key=lambda i: (-scores[i], i))[:max_keyframes - 1]
        keep = [0] + sorted(rest)
    return keep


# --------------------------------------------------------------------------------------------------
# decoding

def _open(path: str, label: str):
    import cv2
    if not os.path.exists(path):
        raise MediaError(f"{label}: no such file")
    if os.path.isdir(path):
        raise MediaError(f"{label}: is a directory, not a video")
    if os.path.getsize(path) == 0:
        raise MediaError(f"{label}: empty file, not a video")
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise MediaError(f"{label}: cannot decode video (unknown format or corrupt file)")
    return cap


def _fps(cap) -> float:
    import cv2
    fps = cap.get(cv2.CAP_PROP_FPS)
    return float(fps) if fps and np.isfinite(fps) and fps > 0 else DEFAULT_FPS


def _read_indices(path: str, label: str, wanted: Sequence[int]) -> tuple[dict[int, np.ndarray], int]:
    """Decode the whole stream once, keep RGB copies of `wanted` frames. Returns (frames, true count)."""
    import cv2
    cap = _open(path, label)
    want = set(wanted)
    got: dict[int, np.ndarray] = {}
    n = 0
    try:
        while cap.grab():
            if n in want:
                ok, bgr = cap.retrieve()
                if ok and bgr is not None:
                    got[n] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            n += 1
    finally:
        cap.release()
    return got, n


def _thumb(rgb: np.ndarray) -> np.ndarray:
    import cv2
    h, w = rgb.shape[:2]
    s = _THUMB_SIDE / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), size, interpolation=cv2.INTER_AREA)


def _scan_keyframes(path: str, label: str, scan_fps: float, threshold: float,
                    max_keyframes: int) -> tuple[dict[int, np.ndarray], list[int], int, float]:
    import cv2
    cap = _open(path, label)
    fps = _fps(cap)
    step = max(1, int(round(fps / scan_fps))) if scan_fps > 0 else 1
    kept_idx: list[int] = []
    scores: list[float] = []
    frames: dict[int, np.ndarray] = {}
    last_thumb = None
    n = 0
    try:
        while cap.grab():
            if n % step == 0:
                ok, bgr = cap.retrieve()
                if ok and bgr is not None:
                    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                    th = _thumb(rgb)
                    score = 1.0 if last_thumb is None else change_score(th, last_thumb)
                    if last_thumb is None or score > threshold:
                        kept_idx.append(n)
                        scores.append(score)
                        frames[n] = rgb
                        last_thumb = th
            n += 1
    finally:
        cap.release()
    pos = select_keyframes(scores, threshold, max_keyframes)
    chosen = [kept_idx[p] for p in pos]
    return {i: frames[i] for i in chosen}, chosen, n, fps


def load_video(path: str | os.PathLike, *, mode: Literal["uniform", "keyframes"] = "uniform",
               sample_fps: float = SAMPLE_FPS, max_frames: int | None = None,
               change_threshold: float = CHANGE_THRESHOLD, max_keyframes: int = MAX_KEYFRAMES,
               scan_fps: float = SCAN_FPS, name: str | None = None) -> Video:
    """Decode a video file and return its sampled frames (see the module docstring for both modes)."""
    import cv2
    path = os.fspath(path)
    label = name or path
    if mode == "keyframes":
        frames, indices, n, fps = _scan_keyframes(path, label, scan_fps, change_threshold, max_keyframes)
    elif mode == "uniform":
        cap = _open(path, label)
        fps = _fps(cap)
        hint = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        cap.release()
        indices = sample_frame_indices(hint, fps, sample_fps, max_frames) if hint > 0 else []
        frames, n = _read_indices(path, label, indices)
        if n != hint or len(frames) != len(indices):
            indices = sample_frame_indices(n, fps, sample_fps, max_frames)
            if n > 0 and set(indices) - set(frames):
                frames, n = _read_indices(path, label, indices)
        indices = [i for i in indices if i in frames]
    else:
        raise ValueError(f"mode must be 'uniform' or 'keyframes', got {mode!r}")
    if n == 0 or not indices:
        raise MediaError(f"{label}: no decodable frames (empty or corrupt video)")
    return Video([frames[i] for i in indices], list(indices), fps, n, label)


def video_chunks(video: Video | str | os.PathLike, *, chunk_size: int = CHUNK_SIZE,
                 in_patch_limit: int = IN_PATCH_LIMIT_EACH_FRAME, **load_kwargs) -> list[VideoChunk]:
    """Group sampled frames into chunks of `chunk_size` and preprocess each into a media item.
    Accepts a `Video` or a path (then `load_kwargs` go to `load_video`)."""
    if not isinstance(video, Video):
        video = load_video(video, **load_kwargs)
    chunks = []
    for s in range(0, len(video.frames), chunk_size):
        idx = tuple(video.indices[s:s + chunk_size])
        item = preprocess_frames(video.frames[s:s + chunk_size], in_patch_limit)
        start = idx[0] / video.fps
        chunks.append(VideoChunk(item, format_timestamp(start), start, idx))
    return chunks
