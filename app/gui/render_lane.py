"""The preview's renderer and scorer as plain callables for the serial render lane.

Playwright's sync API binds a browser to the thread that started it, so each lane thread keeps its own
`app.render.Renderer` in a thread-local, started on first use (~1 s) and reused (~0.1-0.3 s per render), and closed
by `close_thread_renderer()` run as the lane's last job. JavaScript is on because React, Vue and Tailwind previews
run their vendored runtimes; the renderer blocks every non-file/non-data request either way.

The visual score compares the input image with the desktop render with `app.fidelity.visual_score` (grayscale
SSIM at the reference's aspect), the score `convert --best-of` uses.
"""
from __future__ import annotations

import io
import threading

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
    """Visual similarity of the desktop render to the input image in [0, 1] (`app.fidelity.visual_score`)."""
    from app.fidelity import visual_score as score

    return float(score(reference, Image.open(io.BytesIO(png)).convert("RGB")))
