"""The main window: wiring of inputs, backend, generation, editor, preview, history, autosave and errors.

All background work goes through `worker.Worker` (STYLE rule 13). Each action follows one sequence: a pure
`prepare` step that validates and builds the request (errors become a message in the window), create the worker,
connect its signals, disable the controls it conflicts with, start it; controls come back in the `finished` slot,
which always runs, so a failure or a Stop can never leave the window stuck. The window never blocks on a job: the
only waits are in `shutdown()` (closing) after the jobs were asked to abort.

What the window owns and what it is given: it is given `Settings`, a `RecoveryStore`, a backend factory (the
pipeline's `make_backend` by default), file dialogs (replaceable by tests) and the preview's renderer/scorer. It
keeps the loaded backend between conversions (keyed by the backend settings) so a second Generate does not reload
the checkpoint. It knows nothing about tokens or tensors: everything arrives as the pipeline's events.
"""
from __future__ import annotations

import os
import pathlib
import time
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QMainWindow, QProgressBar,
                               QPushButton, QSplitter, QToolBar, QVBoxLayout, QWidget)

from app.targets.registry import REGISTRY, TARGETS
from uicode.errors import UicodeError

from . import inputs as inputs_mod
from .autosave import Orphan, RecoveryStore, Snapshot, atomic_write_text
from .capture import RegionCapture
from .dialogs import ErrorBar, FileDialogs
from .editor import CodeEditor
from .history import Version, VersionHistory
from .jobs import BackendReady, conversion_job, cpu_threads_for_gui
from .media_strip import MediaStrip
from .prepare import backend_key, build_request, default_backend_factory, describe_error
from .preview import PreviewPane
from .settings import BACKEND_LABELS, BACKENDS, Settings
from .worker import Worker, WorkerPool

STREAM_FLUSH_MS = 40  # at most 25 editor updates per second while streaming
STREAM_PREVIEW_MS = 1500


def preload_engine() -> None:
    import app.pipeline  # noqa: F401  (pulls in torch, vision and the backends)
    import vision.preprocess  # noqa: F401


def _patch_limit(kind: str, values: dict) -> int | None:
    """The image patch budget of a local checkpoint (its preprocessor_config.json), for the token estimate;
    None (K2.5's default) for remote backends or when it cannot be read."""
    from uicode.errors import BackendError
    from app.backends.local import DEFAULT_CHECKPOINT, read_patch_limits

    if kind == "openai":
        return None
    path = DEFAULT_CHECKPOINT if kind == "mini" else pathlib.Path(values.get("checkpoint_dir") or "")
    try:
        return read_patch_limits(path)[0] if path.is_dir() else None
    except BackendError:
        return None


class MainWindow(QMainWindow):
    generation_started = Signal()
    code_delta = Signal(str)
    generation_finished = Signal(str)  # finish reason: "stop", "length", "cancelled", "error"
    inputs_loaded = Signal(int)
    error_shown = Signal(str)

    def __init__(self, settings: Settings, recovery: RecoveryStore | None = None, *,
                 backend_factory: Callable[[dict, str], Any] = default_backend_factory,
                 dialogs: FileDialogs | None = None, render=None, score=None, offer_recovery: bool = True):
        super().__init__()
        self.settings = settings
        self.recovery = recovery or RecoveryStore(settings.directory / "recovery")
        self._unsaved_images: dict = {}  # pasted/captured images the next autosave writes
        self.backend_factory = backend_factory
        self.dialogs = dialogs or FileDialogs()
        self.pool = WorkerPool()
        self.lane = WorkerPool(max_threads=1, keep_thread=True)
        self.autosave_lane = WorkerPool(max_threads=1)  # serial: snapshots are written in order
        self.history = VersionHistory()
        self.backend = None
        self.backend_id: tuple | None = None
        self.generation: Worker | None = None
        self.loading: Worker | None = None
        self.capture: RegionCapture | None = None
        self.orphans: list[Orphan] = []
        self.saved_text = ""
        self.gen_started_at = 0.0
        self.first_token_s: float | None = None
        self.tokens_per_s = 0.0
        self.last_result = None
        self._streamed_chars = 0
        self._unflushed: list[str] = []
        self.setWindowTitle("uicode")
        self.setAcceptDrops(True)
        self._build(render, score)
        self._load_settings_into_controls()
        self._update_controls()
        # The window is up in ~1 s; importing the engine (torch, vision, pipeline) takes several more. Do it now,
        # in the background, so the first drop or Generate does not wait for it.
        self.pool.start(Worker(lambda cancel: preload_engine(), name="preload"))
        if offer_recovery:
            self.offer_recovery()

    # ================================================================================================ building ===
    def _build(self, render, score) -> None:
        self.errors = ErrorBar()
        self.strip = MediaStrip()
        self.strip.dropped.connect(self.handle_mime)
        self.strip.changed.connect(self._on_inputs_changed)
        self.editor = CodeEditor()
        self.editor.textChanged.connect(self._on_text_changed)
        self.editor.image_dropped = self.handle_mime
        self.preview = PreviewPane(self.lane, render, score, self.settings.get("preview_debounce_ms"))

        self.target_box = QComboBox()
        for t in TARGETS:
            self.target_box.addItem(REGISTRY[t].label, t)
        self.target_box.currentIndexChanged.connect(self._on_target_changed)
        self.backend_box = QComboBox()
        for b in BACKENDS:
            self.backend_box.addItem(BACKEND_LABELS[b], b)
        self.backend_box.currentIndexChanged.connect(self._on_backend_changed)
        self.backend_button = QPushButton("Backend…")
        self.backend_button.clicked.connect(self.open_settings)
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.instruction = QLineEdit()
        self.instruction.setPlaceholderText("Follow-up edit, e.g. “make the header dark”, then Enter")
        self.instruction.returnPressed.connect(self.follow_up)
        self.edit_button = QPushButton("Apply edit")
        self.edit_button.clicked.connect(self.follow_up)
        self.back_button = QPushButton("◀")
        self.forward_button = QPushButton("▶")
        self.back_button.setToolTip("Previous version (Alt+Left)")
        self.forward_button.setToolTip("Next version (Alt+Right)")
        self.back_button.clicked.connect(self.history_back)
        self.forward_button.clicked.connect(self.history_forward)
        self.version_label = QLabel("no versions")

        bar = QToolBar("Main")
        bar.setObjectName("main-toolbar")
        self.addToolBar(bar)
        self.open_action = self._action(bar, "Open…", QKeySequence.StandardKey.Open, self.open_files)
        self.paste_action = self._action(bar, "Paste image", QKeySequence.StandardKey.Paste, self.paste)
        self.capture_action = self._action(bar, "Capture region", "Ctrl+Shift+R", self.start_capture)
        bar.addSeparator()
        self.save_action = self._action(bar, "Save…", QKeySequence.StandardKey.Save, self.save)
        self.copy_action = self._action(bar, "Copy code", "Ctrl+Shift+C", self.copy_code)
        self.generate_action = self._action(None, "Generate", "Ctrl+Return", self.generate)
        self.stop_action = self._action(None, "Stop", "Esc", self.stop)
        self._action(None, "Previous version", "Alt+Left", self.history_back)
        self._action(None, "Next version", "Alt+Right", self.history_forward)

        controls = QHBoxLayout()
        for w in (QLabel("Target"), self.target_box, QLabel("Backend"), self.backend_box, self.backend_button,
                  self.generate_button, self.stop_button):
            controls.addWidget(w)
        controls.addStretch(1)
        for w in (self.back_button, self.version_label, self.forward_button):
            controls.addWidget(w)
        follow = QHBoxLayout()
        follow.addWidget(self.instruction, 1)
        follow.addWidget(self.edit_button)

        left = QWidget()
        left_col = QVBoxLayout(left)
        left_col.setContentsMargins(0, 0, 0, 0)
        left_col.addWidget(self.editor, 1)
        left_col.addLayout(follow)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.preview)
        split.setSizes([620, 620])
        central = QWidget()
        col = QVBoxLayout(central)
        col.addWidget(self.errors)
        col.addLayout(controls)
        col.addWidget(self.strip)
        col.addWidget(split, 1)
        self.setCentralWidget(central)

        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # showing/hiding it must not re-lay out the window mid-stream
        self.progress.setSizePolicy(policy)
        self.progress.hide()
        self.stage_label = QLabel("Ready")
        self.model_label = QLabel("model: –")
        self.device_label = QLabel("device: –")
        self.speed_label = QLabel("– tok/s")
        self.elapsed_label = QLabel("0.0 s")
        sb = self.statusBar()
        sb.addWidget(self.stage_label, 1)
        sb.addPermanentWidget(self.progress)
        for w in (self.model_label, self.device_label, self.speed_label, self.elapsed_label):
            sb.addPermanentWidget(w)

        self.elapsed_timer = QTimer(self)
        self.elapsed_timer.setInterval(200)
        self.elapsed_timer.timeout.connect(self._tick_elapsed)
        self.stream_timer = QTimer(self)
        self.stream_timer.setSingleShot(True)
        self.stream_timer.setInterval(STREAM_FLUSH_MS)
        self.stream_timer.timeout.connect(self.flush_stream)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.timeout.connect(self.autosave_now)
        self.resize(1280, 800)
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def _action(self, bar, text, shortcut, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        if bar is not None:
            bar.addAction(action)
        return action

    def _load_settings_into_controls(self) -> None:
        values = self.settings.values()
        self.target_box.setCurrentIndex(TARGETS.index(values["target"]))
        self.backend_box.setCurrentIndex(BACKENDS.index(values["backend"]))
        self.editor.set_language(REGISTRY[values["target"]].language)
        self._update_backend_labels()
        if values["backend"] == "openai" and self.settings.api_key_storage() == "plaintext" \
                and self.settings.api_key():
            self.show_message("Warning: no OS keyring is available, so the API key is stored in plain text in "
                              f"{self.settings.path} (readable by your user only).", "warning")

    # ================================================================================================ state ======
    @property
    def busy(self) -> bool:
        return self.generation is not None

    def _update_controls(self) -> None:
        busy = self.busy
        loading = self.loading is not None
        has_code = bool(self.editor.toPlainText().strip())
        for w in (self.generate_button, self.generate_action, self.target_box, self.backend_box,
                  self.backend_button, self.edit_button, self.instruction, self.open_action, self.paste_action,
                  self.capture_action):
            w.setEnabled(not busy)
        self.generate_button.setEnabled(not busy and not loading)
        self.strip.set_enabled_editing(not busy)
        self.stop_button.setEnabled(busy)
        self.stop_action.setEnabled(busy)
        self.editor.setReadOnly(busy)
        self.save_action.setEnabled(has_code)
        self.copy_action.setEnabled(has_code)
        self.back_button.setEnabled(not busy and self.history.can_back())
        self.forward_button.setEnabled(not busy and self.history.can_forward())
        if len(self.history):
            cur = self.history.current
            self.version_label.setText(f"v{self.history.index + 1}/{len(self.history)} ({cur.source})")
        else:
            self.version_label.setText("no versions")

    def values(self) -> dict:
        return self.settings.values()

    def show_message(self, text: str, kind: str = "error", actions=()) -> None:
        self.errors.show_message(text, kind, list(actions))
        if kind == "error":
            self.stage_label.setText("Error")
            self.error_shown.emit(text)

    # ================================================================================================ inputs =====
    def open_files(self) -> None:
        paths = self.dialogs.open_inputs(self, self.settings.get("last_dir"))
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
            self.show_message(describe_error(exc))
            return
        self.load_payloads(payloads)

    def add_image(self, image, label: str) -> None:
        """A captured QImage (or PIL image) goes through the same loader as pasted bytes."""
        data = inputs_mod.qimage_to_png(image) if not hasattr(image, "save") or hasattr(image, "isNull") \
            else inputs_mod.image_to_png_bytes(image)
        self.load_payloads([inputs_mod.Payload("bytes", data=data, label=label)])

    def load_payloads(self, payloads: list) -> None:
        if self.busy:
            self.show_message("wait for the generation to finish (or Stop it) before changing the inputs")
            return
        mode = self.settings.get("video_mode")
        worker = Worker(lambda cancel: inputs_mod.load_payloads(payloads, mode, cancel), name="load-inputs")
        loaded: list = []
        worker.signals.yielded.connect(lambda item: (loaded.append(item), self.strip.add_items([item])))
        worker.signals.errored.connect(lambda exc: self.show_message(describe_error(exc)))
        worker.signals.finished.connect(lambda: self._on_inputs_loaded(worker, loaded))
        self.loading = worker
        self.stage_label.setText("Loading inputs…")
        self._update_controls()
        self.pool.start(worker)

    def _on_inputs_loaded(self, worker: Worker, loaded: list) -> None:
        if self.loading is worker:
            self.loading = None
        if loaded:
            self.stage_label.setText(f"Loaded {len(loaded)} input(s)")
            self.schedule_autosave()
        self._update_controls()
        self.inputs_loaded.emit(len(loaded))

    def _on_inputs_changed(self) -> None:
        kept = self.strip.kept()
        if kept:
            self.preview.set_reference(kept[0].image)

    def start_capture(self) -> None:
        """Hide the window, let the compositor repaint, then show the overlays on every screen."""
        self.hide()
        QTimer.singleShot(300, self._show_capture)

    def _show_capture(self) -> None:
        self.capture = RegionCapture(self)
        self.capture.captured.connect(self._on_captured)
        self.capture.cancelled.connect(self._on_capture_done)
        self.capture.start()

    def _on_captured(self, image) -> None:
        self._on_capture_done()
        self.add_image(image, "screen capture")

    def _on_capture_done(self) -> None:
        self.capture = None
        self.show()
        self.raise_()
        self.activateWindow()

    # drag and drop onto the window itself
    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage() or any(f.startswith("image/") for f in mime.formats()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        event.acceptProposedAction()
        self.handle_mime(event.mimeData())

    # ================================================================================================ generation ==
    def generate(self) -> None:
        self._start_conversion(instruction=None)

    def follow_up(self) -> None:
        self._start_conversion(instruction=self.instruction.text())

    def _start_conversion(self, instruction: str | None) -> None:
        if self.busy:
            return
        values = self.values()
        previous = self.editor.toPlainText()
        try:
            request = build_request(self.strip.items, values, instruction, previous)
        except UicodeError as exc:
            self.show_message(describe_error(exc))
            return
        if previous.strip():
            self._record_version(previous, "manual" if self._edited_since_version(previous) else "kept")
        api_key = self.settings.api_key() if values["backend"] == "openai" else ""
        key = backend_key(values, api_key)
        backend = self.backend if self.backend_id == key else None
        threads = cpu_threads_for_gui(values["cpu_threads"]) \
            if values["backend"] != "openai" and values["device"] == "cpu" else None
        job = conversion_job(request, key, backend, lambda: self.backend_factory(values, api_key), threads)
        worker = Worker(job, name="generate")
        worker.signals.yielded.connect(self._on_event)
        worker.signals.errored.connect(self._on_generation_error)
        worker.signals.finished.connect(self._on_generation_finished)
        self.generation = worker
        self.errors.hide()
        self.editor.set_code("")
        self._streamed_chars = 0
        self._unflushed.clear()
        self.first_token_s = None
        self.tokens_per_s = 0.0
        self.last_result = None
        self.finish_reason = "stop"
        self.pending_instruction = instruction
        self.gen_started_at = time.perf_counter()
        self.elapsed_timer.start()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.stage_label.setText("Starting…")
        self._update_controls()
        self.generation_started.emit()
        self.pool.start(worker)

    def stop(self) -> None:
        if self.generation is not None:
            self.generation.abort()
            self.finish_reason = "cancelled"
            self.stage_label.setText("Stopping…")
            self.stop_button.setEnabled(False)
        elif self.capture is not None:
            self.capture._on_cancelled()

    def _on_event(self, event) -> None:
        from app.events import CodeDelta, Finished, Status

        if isinstance(event, BackendReady):
            if self.backend is not None and self.backend is not event.backend and hasattr(self.backend, "close"):
                self.backend.close()
            self.backend_id, self.backend = event.key, event.backend
            self._update_backend_labels()
            return
        if isinstance(event, Status):
            self.stage_label.setText(event.message)
            if event.fraction is None:
                self.progress.setRange(0, 0)
            else:
                self.progress.setRange(0, 1000)
                self.progress.setValue(int(1000 * max(0.0, min(1.0, event.fraction))))
        elif isinstance(event, CodeDelta):
            if self.first_token_s is None:
                self.first_token_s = time.perf_counter() - self.gen_started_at
                self.stage_label.setText("Generating…")
                # The busy bar animates (repaints) continuously; once code streams the editor shows progress.
                self.progress.hide()
            # The label is refreshed by the elapsed timer (5/s), not per token: a status-bar relayout per
            # token costs GUI-thread time while streaming.
            self.tokens_per_s = event.tokens_per_s
            self._unflushed.append(event.text)
            if len(self._unflushed) == 1 and self._streamed_chars == 0:
                self.flush_stream()  # the first code shows at once: input-to-first-token is what users feel
            elif not self.stream_timer.isActive():
                self.stream_timer.start()
        elif isinstance(event, Finished):
            self.flush_stream()
            result = event.result
            self.last_result = result
            self.finish_reason = result.finish_reason or "stop"
            current = self.editor.toPlainText()
            # The streamed text is usually the final code already; replacing the document would re-highlight and
            # re-layout every line on the GUI thread (~80 ms measured under load), so only the difference is done.
            if result.code and result.code.strip() != current.strip():
                if result.code.startswith(current):
                    self.editor.append_stream(result.code[len(current):])
                else:
                    self.editor.set_code(result.code)
            self.tokens_per_s = result.tokens_per_s
            self.speed_label.setText(f"{result.tokens_per_s:.1f} tok/s")

    def flush_stream(self) -> None:
        """Append the code that arrived since the last flush: one editor update (and repaint) per
        `STREAM_FLUSH_MS` instead of one per token, so a fast model cannot flood the GUI thread with repaints."""
        self.stream_timer.stop()
        if not self._unflushed:
            return
        text = "".join(self._unflushed)
        self._unflushed.clear()
        self.editor.append_stream(text)
        self._streamed_chars += len(text)
        self.code_delta.emit(text)

    def _on_generation_error(self, exc: BaseException) -> None:
        self.finish_reason = "error"
        self.show_message(describe_error(exc))

    def _on_generation_finished(self) -> None:
        self.flush_stream()
        worker, self.generation = self.generation, None
        self.elapsed_timer.stop()
        self._tick_elapsed()
        self.progress.hide()
        code = self.editor.toPlainText()
        if worker is not None and worker.aborted:
            self.finish_reason = "cancelled"
        reason = self.finish_reason
        if code.strip():
            source = {"cancelled": "stopped", "error": "partial"}.get(reason, "generated")
            if self.pending_instruction:
                source = f"edit: {self.pending_instruction[:40]}"
            self._record_version(code, source)
            self.preview.request(code, self.values()["target"], self._reference(), immediate=True)
        if reason != "error":
            first = f", first token after {self.first_token_s:.2f} s" if self.first_token_s is not None else ""
            self.stage_label.setText({"cancelled": "Stopped; the streamed code is kept",
                                      "length": "Stopped at the token limit"}.get(reason, "Done") + first)
        self.schedule_autosave()
        self._update_controls()
        self.generation_finished.emit(reason)

    def _tick_elapsed(self) -> None:
        if self.gen_started_at:
            self.elapsed_label.setText(f"{time.perf_counter() - self.gen_started_at:.1f} s")
        if self.tokens_per_s:
            self.speed_label.setText(f"{self.tokens_per_s:.1f} tok/s")

    def _update_backend_labels(self) -> None:
        values = self.values()
        kind = values["backend"]
        if kind == "openai":
            model = f"{values['remote_model'] or 'default'} @ {values['base_url']}"
            device = "remote"
        else:
            model = "embedded mini" if kind == "mini" else pathlib.Path(values["checkpoint_dir"] or "?").name
            device = values["device"]
        loaded = self.backend is not None and self.backend_id == backend_key(
            values, self.settings.api_key() if kind == "openai" else "")
        self.model_label.setText(f"model: {model}" + ("" if loaded else " (not loaded)"))
        self.device_label.setText(f"device: {device}")
        self.strip.set_patch_limit(_patch_limit(kind, values))

    # ================================================================================================ editing ====
    def _reference(self):
        kept = self.strip.kept()
        return kept[0].image if kept else None

    def _edited_since_version(self, code: str) -> bool:
        cur = self.history.current
        return cur is None or cur.code != code

    def _record_version(self, code: str, source: str) -> None:
        if self.history.push(Version(code=code, target=self.values()["target"], source=source)):
            self._update_controls()

    def history_back(self) -> None:
        self._show_version(self.history.back)

    def history_forward(self) -> None:
        self._show_version(self.history.forward)

    def _show_version(self, move) -> None:
        if self.busy or not len(self.history):
            return
        code = self.editor.toPlainText()
        cur = self.history.current
        if cur is not None and code != cur.code and code.strip():
            # Manual edits become a version before we step away, so stepping never loses them.
            self.history.push(Version(code=code, target=self.values()["target"], source="manual"))
            self.history.back()
        version = move()
        if version is not None:
            self.editor.set_code(version.code)
        self._update_controls()

    def _on_text_changed(self) -> None:
        self.schedule_autosave()
        if not self.busy:
            self._update_controls()
        if self.settings.get("live_preview"):
            # While streaming, a render at most every STREAM_PREVIEW_MS: each one costs Chromium CPU time that the
            # model and the GUI thread share on small machines; the final render follows at once when it ends.
            delay = max(STREAM_PREVIEW_MS, self.settings.get("preview_debounce_ms")) if self.busy else None
            self.preview.request(self.editor.toPlainText(), self.values()["target"], self._reference(),
                                 delay_ms=delay)

    def _on_target_changed(self, index: int) -> None:
        target = TARGETS[index]
        self.settings.set("target", target)
        self.editor.set_language(REGISTRY[target].language)

    def _on_backend_changed(self, index: int) -> None:
        kind = BACKENDS[index]
        self.settings.set("backend", kind)
        if kind == "checkpoint" and not self.settings.get("checkpoint_dir"):
            path = self.dialogs.checkpoint_dir(self, self.settings.get("last_dir"))
            if path:
                self.settings.set("checkpoint_dir", path)
        self._update_backend_labels()

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        if dialog.exec():
            self._load_settings_into_controls()
            self.preview.set_debounce(self.settings.get("preview_debounce_ms"))

    def save(self) -> str:
        code = self.editor.toPlainText()
        if not code.strip():
            return ""
        target = self.values()["target"]
        suggested = str(pathlib.Path(self.settings.get("last_dir") or os.getcwd()) / f"page{REGISTRY[target].extension}")
        path = self.dialogs.save_code(self, suggested)
        if not path:
            return ""
        try:
            atomic_write_text(pathlib.Path(path), code)
        except OSError as exc:
            self.show_message(f"{path}: cannot save ({exc.strerror or exc})")
            return ""
        self.saved_text = code
        self.settings.set("last_dir", str(pathlib.Path(path).parent))
        self.stage_label.setText(f"Saved {path}")
        return path

    def copy_code(self) -> None:
        QGuiApplication.clipboard().setText(self.editor.toPlainText())
        self.stage_label.setText("Code copied to the clipboard")

    # ================================================================================================ autosave ===
    def snapshot(self) -> Snapshot:
        # A pasted or captured image has no file: it gets one in the recovery session, written by the next save.
        for it in self.strip.items:
            if not it.source and not it.group:
                it.source = str(self.recovery.new_input_path())
                self._unsaved_images[it.source] = it.image
        return Snapshot(code=self.editor.toPlainText(), target=self.values()["target"],
                        instruction=self.instruction.text(),
                        inputs=[it.source for it in self.strip.items if it.source and not it.group]
                        + sorted({it.group for it in self.strip.items if it.group}),
                        history=self.history.to_list(), history_index=self.history.index)

    def schedule_autosave(self) -> None:
        # Started only when idle, so a stream of tokens saves every `autosave_ms` instead of never.
        if not self.autosave_timer.isActive():
            self.autosave_timer.start(self.settings.get("autosave_ms"))

    def autosave_now(self, wait: bool = False) -> None:
        """Snapshot on the GUI thread (cheap), write + fsync on the serial autosave lane (disk may be slow)."""
        snapshot = self.snapshot()
        images, self._unsaved_images = self._unsaved_images, {}
        worker = Worker(lambda cancel: self.recovery.save(snapshot, images), name="autosave")
        worker.signals.returned.connect(
            lambda ok: None if ok else self.show_message(self.recovery.last_error, "warning"))
        self.autosave_lane.start(worker)
        if wait:
            self.autosave_lane.wait()

    def offer_recovery(self) -> None:
        self.orphans = self.recovery.orphaned_sessions()
        if not self.orphans:
            return
        snap = self.orphans[0].snapshot
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snap.saved_at or time.time()))
        how = "was closed with unsaved code" if snap.clean_exit else "did not close cleanly"
        self.show_message(f"uicode {how} last time. Restore the unsaved work from {stamp} "
                          f"({len(snap.code):,} characters of {snap.target} code, {len(snap.history)} versions)?",
                          "info", [("Restore", self.restore_orphan), ("Discard", self.discard_orphans)])

    def restore_orphan(self) -> bool:
        if not self.orphans:
            return False
        orphan = self.orphans.pop(0)
        snap = orphan.snapshot
        self.history = VersionHistory.from_list(snap.history, snap.history_index)
        if snap.target in TARGETS:
            self.target_box.setCurrentIndex(TARGETS.index(snap.target))
        self.editor.set_code(snap.code)
        self.instruction.setText(snap.instruction)
        existing = self.recovery.adopt(p for p in snap.inputs if pathlib.Path(p).exists())
        if existing:
            self.load_paths(existing)
        orphan.discard()
        self.discard_orphans()
        self.autosave_now()
        self._update_controls()
        self.stage_label.setText("Restored the unsaved work")
        return True

    def discard_orphans(self) -> None:
        for orphan in self.orphans:
            orphan.discard()
        self.orphans = []

    # ================================================================================================ closing ====
    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Abort every job and wait for the threads; then close the preview's renderer in its own thread."""
        self.autosave_timer.stop()
        self.elapsed_timer.stop()
        self.preview.timer.stop()
        self.pool.shutdown(timeout_ms)
        self.autosave_lane.wait(timeout_ms)
        self.lane.abort_all()
        from .render_lane import close_thread_renderer

        self.lane.start(Worker(lambda cancel: close_thread_renderer(), name="close-renderer"))
        self.lane.wait(timeout_ms)
        if self.backend is not None and hasattr(self.backend, "close"):
            try:
                self.backend.close()
            except Exception:  # noqa: BLE001 -- closing must not fail the exit
                pass

    def closeEvent(self, event) -> None:
        self.settings.set_window_state(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.shutdown()
        code = self.editor.toPlainText()
        keep = self.snapshot() if code.strip() and code != self.saved_text else None
        self.recovery.close(keep=keep, images=self._unsaved_images)
        super().closeEvent(event)
