"""Live preview of the generated page (desktop and mobile widths) and the input-vs-output comparison.

Choice: the page is rendered to images by `app/scoring/render.py` (the project's headless Chromium through Playwright,
network blocked by routing every non-file/non-data request to abort), not shown in a QtWebEngine view. Reasons:
QtWebEngine would add ~430 MB of wheels (PySide6-Addons + PySide6-WebEngine) and a second Chromium, needs the
sandbox disabled to run as root, and would need its own request interceptor to block the network; the renderer is
already installed, already blocks the network and is the same one the visual score uses, so what the preview shows
is what is scored. The cost is that the preview is a picture (no scrolling inside the page's own scripts) and lags
by one render (~0.1-0.3 s per viewport); renders are debounced (`preview_debounce_ms`) and coalesced: while one runs,
further changes only mark the preview dirty and one more render follows.

Rendering happens in a `Worker` on a serial one-thread lane (Playwright's sync browser belongs to the thread that
started it). The renderer and the scorer are passed in as callables, so this widget knows neither Playwright nor
the metrics. React, Vue and Tailwind code is wrapped by `app.targets.registry.preview_html` into a page with the vendored
runtimes inlined, so JavaScript runs in the preview (still with the network blocked).
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Callable

from PIL import Image
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from .inputs import pil_to_qimage
from .worker import Worker, WorkerPool

DESKTOP = (1280, 800)
MOBILE = (390, 844)

RenderFn = Callable[[str, int, int], bytes]  # (html document, width, height) -> PNG bytes
ScoreFn = Callable[[Image.Image, bytes], float]  # (input image, rendered PNG) -> similarity in [0, 1]


@dataclass
class RenderOutput:
    desktop: bytes = field(repr=False)
    mobile: bytes = field(repr=False)
    score: float | None
    seconds: float
    # Decoded and pre-scaled on the lane thread with Pillow, which releases the GIL while it works: Qt's
    # QImage.fromData/scaled hold it (a 1280x4000 PNG decode blocked the GUI thread for ~400 ms in a measurement
    # on 2 cores). view name -> (full-size PIL image, QImage scaled to the view's width at request time).
    images: dict = field(default_factory=dict, repr=False)


def preview_document(code: str, target: str) -> str:
    """A complete offline page for `code` of `target` (`app.targets.preview` inlines the vendored runtimes)."""
    from app.targets.registry import preview_html

    return preview_html(code, target)


def fit_image(image: Image.Image, width: int, resample=Image.Resampling.LANCZOS) -> QImage:
    """`image` scaled down to `width` (never up) as a QImage; the scaling runs in Pillow (GIL released)."""
    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height), resample, reducing_gap=2.0)
    return pil_to_qimage(image)


def _decode(data: bytes, width: int) -> tuple[Image.Image, QImage] | None:
    if not data:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except OSError:
        return None
    image = image.convert("RGB")
    return image, fit_image(image, width)


def render_job(code: str, target: str, reference: Image.Image | None, render: RenderFn,
               score: ScoreFn | None, widths: dict[str, int] | None = None):
    """The worker job: render both widths, decode for the views, score against the input."""
    widths = widths or {}

    def job(cancel) -> RenderOutput:
        t0 = time.perf_counter()
        document = preview_document(code, target)
        desktop = render(document, *DESKTOP)
        if cancel.is_set():
            return RenderOutput(desktop, b"", None, time.perf_counter() - t0)
        mobile = render(document, *MOBILE)
        value = None
        if reference is not None and score is not None and desktop:
            value = float(score(reference, desktop))
        images = {}
        for view, data in (("desktop", desktop), ("mobile", mobile), ("compare", desktop)):
            decoded = _decode(data, widths.get(view, 10 ** 6))
            if decoded is not None:
                images[view] = decoded
        return RenderOutput(desktop, mobile, value, time.perf_counter() - t0, images)
    return job


class _ImageView(QScrollArea):
    def __init__(self, placeholder: str):
        super().__init__()
        self.label = QLabel(placeholder)
        self.label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.label)
        self.setWidgetResizable(True)
        self.image: Image.Image | None = None  # full size
        self.pixmap: QPixmap | None = None  # what is shown
        # Re-fitting after a resize runs on the GUI thread, so it waits until resizing settles: layouts
        # nudge these views by a few pixels while code streams (status text, strip summary), and re-scaling
        # a full-page screenshot each time stalled the event loop for 350-450 ms in bench/gui_latency.py.
        self.refit_timer = QTimer(self)
        self.refit_timer.setSingleShot(True)
        self.refit_timer.setInterval(250)
        self.refit_timer.timeout.connect(self._fit)

    def fit_width(self) -> int:
        return max(50, self.viewport().width() - 4)

    def set_image(self, image: Image.Image, scaled: QImage | None = None) -> None:
        self.image = image
        if scaled is not None and scaled.width() == min(image.width, self.fit_width()):
            self._show(scaled)
        else:
            self._fit()

    def _show(self, qimage: QImage) -> None:
        self.pixmap = QPixmap.fromImage(qimage)
        self.label.setPixmap(self.pixmap)

    REFIT_SLACK = 24  # px; a picture a little narrower or wider than its view is fine until the next render

    def _fit(self) -> None:
        if self.image is None:
            return
        want = min(self.image.width, self.fit_width())
        if self.pixmap is None or abs(self.pixmap.width() - want) > self.REFIT_SLACK:
            self._show(fit_image(self.image, self.fit_width(), Image.Resampling.BILINEAR))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.image is not None:
            self.refit_timer.start()


class PreviewPane(QWidget):
    rendered = Signal(object)  # RenderOutput
    failed = Signal(str)

    def __init__(self, lane: WorkerPool, render: RenderFn | None, score: ScoreFn | None, debounce_ms: int = 700,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.lane = lane
        self.render = render
        self.score = score
        self.enabled = render is not None
        self.tabs = QTabWidget()
        self.desktop = _ImageView("The desktop preview appears here")
        self.mobile = _ImageView("The mobile preview appears here")
        compare = QWidget()
        self.compare_input = _ImageView("Input")
        self.compare_output = _ImageView("Rendered output")
        row = QHBoxLayout()
        row.addWidget(self.compare_input)
        row.addWidget(self.compare_output)
        self.score_label = QLabel("Visual score: –")
        col = QVBoxLayout(compare)
        col.addLayout(row)
        col.addWidget(self.score_label)
        self.tabs.addTab(self.desktop, f"Desktop {DESKTOP[0]}px")
        self.tabs.addTab(self.mobile, f"Mobile {MOBILE[0]}px")
        self.tabs.addTab(compare, "Input vs output")
        self.status = QLabel("Preview idle" if self.enabled else "Preview unavailable (no renderer)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(debounce_ms)
        self.timer.timeout.connect(self._start_render)
        self._pending: tuple[str, str, Image.Image | None] | None = None
        self._running: Worker | None = None
        self.renders = 0
        self.last: RenderOutput | None = None

    def set_debounce(self, ms: int) -> None:
        self.timer.setInterval(ms)

    def set_reference(self, image: Image.Image | None) -> None:
        if image is not None:
            self.compare_input.set_image(image)

    def request(self, code: str, target: str, reference: Image.Image | None, immediate: bool = False,
                delay_ms: int | None = None) -> None:
        """Ask for a render of this code; debounced (by `delay_ms`, else the pane's interval) and coalesced."""
        if not self.enabled or not code.strip():
            return
        self._pending = (code, target, reference)
        if immediate:
            self.timer.stop()
            self._start_render()
        elif not self.timer.isActive():
            self.timer.start(delay_ms if delay_ms is not None else self.timer.interval())

    def busy(self) -> bool:
        return self._running is not None or self._pending is not None or self.timer.isActive()

    def _start_render(self) -> None:
        if self._running is not None or self._pending is None:
            return  # the running render's finished slot starts the next one
        code, target, reference = self._pending
        self._pending = None
        widths = {"desktop": self.desktop.fit_width(), "mobile": self.mobile.fit_width(),
                  "compare": self.compare_output.fit_width()}
        worker = Worker(render_job(code, target, reference, self.render, self.score, widths), name="render")
        worker.signals.returned.connect(self._on_rendered)
        worker.signals.errored.connect(self._on_error)
        worker.signals.finished.connect(self._on_finished)
        self._running = worker
        self.status.setText("Rendering…")
        self.lane.start(worker)

    def _on_rendered(self, out: RenderOutput) -> None:
        self.renders += 1
        self.last = out
        for view, widget in (("desktop", self.desktop), ("mobile", self.mobile), ("compare", self.compare_output)):
            if view in out.images:
                widget.set_image(*out.images[view])
        if out.score is not None:
            self.score_label.setText(f"Visual score: {out.score:.3f} (1 = identical)")
        self.status.setText(f"Rendered in {out.seconds:.2f} s · network blocked")
        self.rendered.emit(out)

    def _on_error(self, exc: BaseException) -> None:
        message = " ".join(str(exc).split()) or type(exc).__name__
        self.status.setText(f"Preview failed: {message}")
        self.failed.emit(message)

    def _on_finished(self) -> None:
        self._running = None
        if self._pending is not None and not self.timer.isActive():
            self.timer.start()
