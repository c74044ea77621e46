"""The window's input actions: Open…, paste, drops, screen-region capture, all into one background loader.

`Intake` is a QObject controller; the window builds it and hands it what it drives: the media strip the loaded
items go to, the window itself (the parent of the file dialog and of the capture, hidden while the user picks a
region), the worker pool, the file dialogs, and two callables: `conversion_running()` (the inputs do not change
while a conversion runs) and `say(text)` (the status line). Every input takes the same path: a `Payload` list
(read on the GUI thread by `inputs.payloads_from_mime` for drops and pastes, made from a path or PNG bytes
otherwise), then one `load-inputs` worker over `inputs.load_payloads` whose items reach the strip as they decode.

It tells the window through signals: `started` (a load began: Generate waits for it), `loaded(n)` (it ended,
having added n items; always emitted, also after an error) and `failed(message)`. Decoding, mime parsing and the
overlay itself live in `inputs` and `capture`; what the inputs are used for is the conversion session's business.
"""
from __future__ import annotations

import pathlib
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from uicode.errors import UicodeError

from . import inputs as inputs_mod
from .capture import RegionCapture
from .dialogs import FileDialogs
from .media_strip import MediaStrip
from .prepare import describe_error
from .settings import Settings
from .worker import Worker, WorkerPool

CAPTURE_DELAY_MS = 300  # after hiding the window, before grabbing the screens: the compositor repaints first


class Intake(QObject):
    started = Signal()
    loaded = Signal(int)  # items added by the load that ended (0 after an error)
    failed = Signal(str)  # a message for the user

    def __init__(self, settings: Settings, pool: WorkerPool, dialogs: FileDialogs, strip: MediaStrip,
                 window: QWidget, conversion_running: Callable[[], bool], say: Callable[[str], None]):
        super().__init__(window)
        self.settings = settings
        self.pool = pool
        self.dialogs = dialogs
        self.strip = strip
        self.window = window
        self.conversion_running = conversion_running
        self.say = say
        self.loading: Worker | None = None
        self.capture: RegionCapture | None = None

    def open_files(self) -> None:
        paths = self.dialogs.open_inputs(self.window, self.settings.get("last_dir"))
        if paths:
            self.settings.set("last_dir", str(pathlib.Path(paths[0]).parent))
            self.load_paths(paths)

    def load_paths(self, paths: list[str]) -> None:
        self.load_payloads([inputs_mod.Payload("path", path=str(p)) for p in paths])

    def paste(self) -> None:
        self.handle_mime(QGuiApplication.clipboard().mimeData())

    def handle_mime(self, mime) -> None:
        """A drop or a paste: read the payload now, decode it in a worker."""
        try:
            payloads = inputs_mod.payloads_from_mime(mime)
        except UicodeError as exc:
            self.failed.emit(describe_error(exc))
            return
        self.load_payloads(payloads)

    def add_image(self, image, label: str) -> None:
        """A captured QImage (or PIL image) goes through the same loader as pasted bytes."""
        data = inputs_mod.qimage_to_png(image) if not hasattr(image, "save") or hasattr(image, "isNull") \
            else inputs_mod.image_to_png_bytes(image)
        self.load_payloads([inputs_mod.Payload("bytes", data=data, label=label)])

    def load_payloads(self, payloads: list) -> None:
        if self.conversion_running():
            self.failed.emit("wait for the generation to finish (or Stop it) before changing the inputs")
            return
        mode = self.settings.get("video_mode")
        worker = Worker(lambda cancel: inputs_mod.load_payloads(payloads, mode, cancel), name="load-inputs")
        loaded: list = []
        worker.signals.yielded.connect(lambda item: (loaded.append(item), self.strip.add_items([item])))
        worker.signals.errored.connect(lambda exc: self.failed.emit(describe_error(exc)))
        worker.signals.finished.connect(lambda: self._on_loaded(worker, loaded))
        self.loading = worker
        self.say("Loading inputs…")
        self.started.emit()
        self.pool.start(worker)

    def _on_loaded(self, worker: Worker, loaded: list) -> None:
        if self.loading is worker:
            self.loading = None
        if loaded:
            self.say(f"Loaded {len(loaded)} input(s)")
        self.loaded.emit(len(loaded))

    # ================================================================================================ capture ====
    def start_capture(self) -> None:
        """Hide the window, let the compositor repaint, then show the overlays on every screen."""
        self.window.hide()
        QTimer.singleShot(CAPTURE_DELAY_MS, self._show_capture)

    def cancel_capture(self) -> None:
        if self.capture is not None:
            self.capture._on_cancelled()

    def _show_capture(self) -> None:
        self.capture = RegionCapture(self.window)
        self.capture.captured.connect(self.on_captured)
        self.capture.cancelled.connect(self._on_capture_done)
        self.capture.start()

    def on_captured(self, image) -> None:
        self._on_capture_done()
        self.add_image(image, "screen capture")

    def _on_capture_done(self) -> None:
        self.capture = None
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
