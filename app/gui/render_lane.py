"""The preview's renderer and scorer as plain callables for the serial render lane.

Playwright's sync API binds a browser to the thread that started it, so each lane thread keeps its own
`app.render.Renderer` in a thread-local, started on first use (~1 s) and reused (~0.1-0.3 s per render), and closed
by `close_thread_renderer()` run as the lane's last job. JavaScript is on because React, Vue and Tailwind previews
run their vendored runtimes; the renderer blocks every non-file/non-data request either way.

The visual score compares the input image with the desktop render: `app.fidelity`'s reference-free visual score
when that module provides one, else SSIM of grayscale images resized to a common size (the same definition).
"""
from __future__ import annotations

import io
import threading

import numpy as np
from PIL import Image

_local = threading.local()
MAX_PREVIEW_HEIGHT = 4000  # px; a runaway page must not make a 100k-pixel-tall screenshot


def render_png(html: str, width: int, height: int) -> bytes:
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        from app.render import Renderer

        renderer = Renderer(js=True)
        renderer.start()
        _local.renderer = renderer
    return renderer.render(html, width=width, height=height, full_page=True, max_height=MAX_PREVIEW_HEIGHT,
                           blocks=False).png


def close_thread_renderer() -> None:
    renderer = getattr(_local, "renderer", None)
    if renderer is not None:
        _local.renderer = None
        renderer.close()


def visual_score(reference: Image.Image, png: bytes) -> float:
    candidate = Image.open(io.BytesIO(png)).convert("RGB")
    try:
        from app import fidelity
    except ImportError:
        fidelity = None
    fn = getattr(fidelity, "visual_score", None) if fidelity is not None else None
    if fn is not None:
        return float(fn(reference, candidate))
    return ssim_gray(reference, candidate)


def ssim_gray(a: Image.Image, b: Image.Image, size: tuple[int, int] = (256, 256)) -> float:
    """Mean SSIM of two images as grayscale at `size` (8x8 windows, the usual constants), in [0, 1]."""
    x = np.asarray(a.convert("L").resize(size, Image.Resampling.BILINEAR), dtype=np.float64)
    y = np.asarray(b.convert("L").resize(size, Image.Resampling.BILINEAR), dtype=np.float64)
    k = 8
    h, w = (size[1] // k) * k, (size[0] // k) * k
    xb = x[:h, :w].reshape(h // k, k, w // k, k).transpose(0, 2, 1, 3).reshape(-1, k * k)
    yb = y[:h, :w].reshape(h // k, k, w // k, k).transpose(0, 2, 1, 3).reshape(-1, k * k)
    mx, my = xb.mean(1), yb.mean(1)
    vx, vy = xb.var(1), yb.var(1)
    cov = ((xb - mx[:, None]) * (yb - my[:, None])).mean(1)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    return float(np.clip(s.mean(), 0.0, 1.0))
