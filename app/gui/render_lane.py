"""The preview's renderer and scorer as plain callables for the serial render lane.

Playwright's sync API binds a browser to the thread that started it, so each lane thread keeps its own
`app.scoring.render.Renderer` in a thread-local, started on first use (~1 s) and reused (~0.1-0.3 s per render), and closed
by `close_thread_renderer()` run as the lane's last job. The lane thread lowers its own CPU priority before starting
the browser, so Chromium (started from it) never competes with the GUI thread at equal priority. JavaScript is on because React, Vue and Tailwind previews
run their vendored runtimes; the renderer blocks every non-file/non-data request either way.

The visual score compares the input image with the desktop render with `app.scoring.fidelity.visual_score` (grayscale
SSIM at the reference's aspect), the score `convert --best-of` uses.
"""
from __future__ import annotations

import io
import os
import threading

from PIL import Image

_local = threading.local()
MAX_PREVIEW_HEIGHT = 4000  # px; a runaway page must not make a 100k-pixel-tall screenshot


RENDER_NICE = 10


def lower_thread_priority(increment: int = RENDER_NICE) -> bool:
    """Lower this thread's CPU priority (Linux: per thread; inherited by processes it starts afterwards).

    Why: Chromium renders in its own processes, which the Playwright driver starts from this thread; at normal
    priority they compete with the GUI thread on small machines (tick gaps of 250-440 ms with the live preview
    on, 2 cores, bench/gui_latency.py). Lowered, the preview lags a little under load and the window does not."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + increment))
        return True
    except (AttributeError, OSError):  # not Linux/Unix, or not permitted
        return False


def render_png(html: str, width: int, height: int) -> bytes:
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        from app.scoring.render import Renderer

        lower_thread_priority()

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
    """Visual similarity of the desktop render to the input image in [0, 1] (`app.scoring.fidelity.visual_score`)."""
    from app.scoring.fidelity import visual_score as score

    return float(score(reference, Image.open(io.BytesIO(png)).convert("RGB")))
