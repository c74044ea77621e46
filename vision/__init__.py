"""MoonViT-3D for uicode: image/video preprocessing, the vision encoder, patch merger and projector.

Public names resolve lazily so that `import vision` stays cheap (OpenCV is only imported for video).
`vision.image_token_count(width, height)` is part of the public contract.
"""
import importlib

_EXPORTS = {
    "MediaItem": "vision.preprocess",
    "load_image": "vision.image_file",
    "preprocess_image": "vision.preprocess",
    "preprocess_frames": "vision.preprocess",
    "image_token_count": "vision.preprocess",
    "navit_resize": "vision.preprocess",
    "pack_media": "vision.preprocess",
    "MAX_IMAGE_PIXELS": "vision.image_file",
    "load_video": "vision.video",
    "video_chunks": "vision.video",
    "VideoChunk": "vision.video",
    "MoonViTConfig": "vision.moonvit",
    "MoonViT": "vision.moonvit",
    "PatchMergerProjector": "vision.projector",
    "tpool_patch_merger": "vision.projector",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'vision' has no attribute {name!r}")
