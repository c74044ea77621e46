"""The main window: it builds the widgets, the actions and three controllers, and wires their signals together.

The behaviour lives beside it, one concern per module: `session.ConversionSession` (Generate, follow-up edits,
Stop, the streamed events, the loaded backend, the version history), `intake.Intake` (Open…, paste, drops, region
capture → the input loader) and `saving.WorkSaver` (Save…, Copy, autosave, crash recovery). The window decides
which controls are enabled (`_update_controls`, from the controllers' state), shows messages in its message bar,
keeps the target/backend boxes and the settings dialog in step with `Settings`, and closes everything in order.
Its public methods and attributes (`generate`, `load_paths`, `history`, `backend`, `orphans`…) are the app's and
the tests' handle on it; where the work moved to a controller they delegate.

What the window is given: `Settings`, a `RecoveryStore`, a backend factory (the pipeline's `make_backend` by
default), file dialogs (replaceable by tests) and the preview's renderer/scorer. The window never blocks on a job:
the only waits are in `shutdown()` (closing), after the jobs were asked to abort.
"""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QMainWindow, QProgressBar,
                               QPushButton, QSplitter, QToolBar, QVBoxLayout, QWidget)

from app.targets.registry import REGISTRY, TARGETS

from .autosave import RecoveryStore
from .dialogs import ErrorBar, FileDialogs
from .editor import CodeEditor
from .history import VersionHistory
from .inputs import offers_input
from .intake import Intake
from .jobs import preload_engine
from .media_strip import MediaStrip
from .prepare import default_backend_factory, describe_backend, patch_limit
from .preview import PreviewPane
from .saving import WorkSaver
from .session import ConversionSession
from .settings import BACKEND_LABELS, BACKENDS, Settings
from .worker import Worker, WorkerPool


def _forward(controller: str, name: str) -> property:
    """A read-only window attribute that is a controller's: a value, or a bound method to call."""
    return property(lambda self: getattr(getattr(self, controller), name))


class MainWindow(QMainWindow):
    generation_started = Signal()
    code_delta = Signal(str)
    generation_finished = Signal(str)  # finish reason: "stop", "length", "cancelled", "error"
    inputs_loaded = Signal(int)
    error_shown = Signal(str)

    # The window's API from before the split (app.py, tests, scripted runs); the work is in the controllers.
    backend = _forward("session", "backend")
    generation = _forward("session", "generation")
    first_token_s = _forward("session", "first_token_s")
    last_result = _forward("session", "last_result")
    loading = _forward("intake", "loading")
    orphans = _forward("saver", "orphans")
    open_files = _forward("intake", "open_files")
    load_paths = _forward("intake", "load_paths")
    load_payloads = _forward("intake", "load_payloads")
    paste = _forward("intake", "paste")
    handle_mime = _forward("intake", "handle_mime")
    add_image = _forward("intake", "add_image")
    start_capture = _forward("intake", "start_capture")
    _on_captured = _forward("intake", "on_captured")
    history_back = _forward("session", "history_back")
    history_forward = _forward("session", "history_forward")
    save = _forward("saver", "save")
    copy_code = _forward("saver", "copy_code")
    snapshot = _forward("saver", "snapshot")
    schedule_autosave = _forward("saver", "schedule_autosave")
    autosave_now = _forward("saver", "autosave_now")
    offer_recovery = _forward("saver", "offer_recovery")
    restore_orphan = _forward("saver", "restore_orphan")
    discard_orphans = _forward("saver", "discard_orphans")

    def __init__(self, settings: Settings, recovery: RecoveryStore | None = None, *,
                 backend_factory: Callable[[dict, str], Any] = default_backend_factory,
                 dialogs: FileDialogs | None = None, render=None, score=None, offer_recovery: bool = True):
        super().__init__()
        self.settings = settings
        self.recovery = recovery or RecoveryStore(settings.directory / "recovery")
        self.dialogs = dialogs or FileDialogs()
        self.pool = WorkerPool()
        self.lane = WorkerPool(max_threads=1, keep_thread=True)
        self.autosave_lane = WorkerPool(max_threads=1)  # serial: snapshots are written in order
        self.history = VersionHistory()  # one object, shared by the session (records, steps) and the saver
        self.setWindowTitle("uicode")
        self.setAcceptDrops(True)
        self._build_widgets(render, score)
        self._build_controllers(backend_factory)
        self._build_actions()
        self._lay_out()
        self._connect()
        self._load_settings_into_controls()
        self._update_controls()
        # The window is up in ~1 s; importing the engine (torch, vision, pipeline) takes several more. Do it now,
        # in the background, so the first drop or Generate does not wait for it.
        self.pool.start(Worker(preload_engine, name="preload"))
        if offer_recovery:
            self.saver.offer_recovery()

    # ================================================================================================ building ===
    def _build_widgets(self, render, score) -> None:
        self.errors = ErrorBar()
        self.strip = MediaStrip()
        self.editor = CodeEditor()
        self.preview = PreviewPane(self.lane, render, score, self.settings.get("preview_debounce_ms"))
        self.target_box = QComboBox()
        for t in TARGETS:
            self.target_box.addItem(REGISTRY[t].label, t)
        self.backend_box = QComboBox()
        for b in BACKENDS:
            self.backend_box.addItem(BACKEND_LABELS[b], b)
        self.backend_button = QPushButton("Backend…")
        self.generate_button = QPushButton("Generate")
        self.stop_button = QPushButton("Stop")
        self.instruction = QLineEdit()
        self.instruction.setPlaceholderText("Follow-up edit, e.g. “make the header dark”, then Enter")
        self.edit_button = QPushButton("Apply edit")
        self.back_button = QPushButton("◀")
        self.forward_button = QPushButton("▶")
        self.back_button.setToolTip("Previous version (Alt+Left)")
        self.forward_button.setToolTip("Next version (Alt+Right)")
        self.version_label = QLabel("no versions")
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

    def _build_controllers(self, backend_factory) -> None:
        say = self.stage_label.setText
        self.session = ConversionSession(
            self.settings, self.pool, backend_factory, self.history, editor=self.editor, strip=self.strip,
            preview=self.preview, stage_label=self.stage_label, progress=self.progress,
            speed_label=self.speed_label, elapsed_label=self.elapsed_label, parent=self)
        self.intake = Intake(self.settings, self.pool, self.dialogs, self.strip, self,
                             conversion_running=lambda: self.session.busy, say=say)
        self.saver = WorkSaver(self.settings, self.recovery, self.autosave_lane, self.dialogs, self.history,
                               window=self, editor=self.editor, strip=self.strip, instruction=self.instruction,
                               target_box=self.target_box, report=self.show_message, say=say,
                               load_paths=self.intake.load_paths)

    def _build_actions(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("main-toolbar")
        self.addToolBar(bar)
        self.open_action = self._action(bar, "Open…", QKeySequence.StandardKey.Open, self.intake.open_files)
        self.paste_action = self._action(bar, "Paste image", QKeySequence.StandardKey.Paste, self.intake.paste)
        self.capture_action = self._action(bar, "Capture region", "Ctrl+Shift+R", self.intake.start_capture)
        bar.addSeparator()
        self.save_action = self._action(bar, "Save…", QKeySequence.StandardKey.Save, self.saver.save)
        self.copy_action = self._action(bar, "Copy code", "Ctrl+Shift+C", self.saver.copy_code)
        self.generate_action = self._action(None, "Generate", "Ctrl+Return", self.generate)
        self.stop_action = self._action(None, "Stop", "Esc", self.stop)
        self._action(None, "Previous version", "Alt+Left", self.session.history_back)
        self._action(None, "Next version", "Alt+Right", self.session.history_forward)

    def _action(self, bar, text, shortcut, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        if bar is not None:
            bar.addAction(action)
        return action

    def _lay_out(self) -> None:
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
        sb = self.statusBar()
        sb.addWidget(self.stage_label, 1)
        sb.addPermanentWidget(self.progress)
        for w in (self.model_label, self.device_label, self.speed_label, self.elapsed_label):
            sb.addPermanentWidget(w)
        self.resize(1280, 800)
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def _connect(self) -> None:
        self.strip.dropped.connect(self.intake.handle_mime)
        self.strip.changed.connect(lambda: self.preview.set_reference(self.strip.reference()))
        self.editor.textChanged.connect(self._on_text_changed)
        self.editor.image_dropped = self.intake.handle_mime
        self.target_box.currentIndexChanged.connect(self._on_target_changed)
        self.backend_box.currentIndexChanged.connect(self._on_backend_changed)
        self.backend_button.clicked.connect(self.open_settings)
        self.generate_button.clicked.connect(self.generate)
        self.stop_button.clicked.connect(self.stop)
        self.instruction.returnPressed.connect(self.follow_up)
        self.edit_button.clicked.connect(self.follow_up)
        self.back_button.clicked.connect(self.session.history_back)
        self.forward_button.clicked.connect(self.session.history_forward)

        self.session.started.connect(self.errors.hide)  # a new conversion clears the last message
        self.session.started.connect(self.generation_started)
        self.session.code_delta.connect(self.code_delta)
        self.session.failed.connect(self.show_message)
        self.session.backend_loaded.connect(self._show_backend)
        self.session.state_changed.connect(self._update_controls)
        self.session.finished.connect(self._on_generation_finished)
        self.intake.started.connect(self._update_controls)
        self.intake.loaded.connect(self._on_inputs_loaded)
        self.intake.failed.connect(self.show_message)
        self.saver.restored.connect(self._update_controls)

    def _load_settings_into_controls(self) -> None:
        values = self.settings.values()
        self.target_box.setCurrentIndex(TARGETS.index(values["target"]))
        self.backend_box.setCurrentIndex(BACKENDS.index(values["backend"]))
        self.editor.set_language(REGISTRY[values["target"]].language)
        self._show_backend()
        if values["backend"] == "openai" and self.settings.api_key_storage() == "plaintext" \
                and self.settings.api_key():
            self.show_message("Warning: no OS keyring is available, so the API key is stored in plain text in "
                              f"{self.settings.path} (readable by your user only).", "warning")

    # ================================================================================================ state ======
    @property
    def busy(self) -> bool:
        return self.session.busy

    def _update_controls(self) -> None:
        busy = self.busy
        loading = self.intake.loading is not None
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

    def _show_backend(self) -> None:
        """The status bar's model and device, "(not loaded)" until the backend they name is loaded; the strip's
        token estimate follows the backend's patch budget."""
        values = self.values()
        model, device = describe_backend(values)
        loaded = self.session.has_backend(values)
        self.model_label.setText(f"model: {model}" + ("" if loaded else " (not loaded)"))
        self.device_label.setText(f"device: {device}")
        self.strip.set_patch_limit(patch_limit(values["backend"], values))

    # ================================================================================================ slots ======
    def _on_text_changed(self) -> None:
        self.saver.schedule_autosave()
        if not self.busy:
            self._update_controls()
        self.session.preview_edit()

    def _on_inputs_loaded(self, count: int) -> None:
        if count:
            self.saver.schedule_autosave()
        self._update_controls()
        self.inputs_loaded.emit(count)

    def _on_generation_finished(self, reason: str) -> None:
        self.saver.schedule_autosave()
        self.generation_finished.emit(reason)

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
        self._show_backend()

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        if dialog.exec():
            self._load_settings_into_controls()
            self.preview.set_debounce(self.settings.get("preview_debounce_ms"))

    # ================================================================================================ actions ====
    def generate(self) -> None:
        self.session.start(instruction=None)

    def follow_up(self) -> None:
        self.session.start(instruction=self.instruction.text())

    def stop(self) -> None:
        if self.session.stop():
            self.stop_button.setEnabled(False)
        else:
            self.intake.cancel_capture()

    # drag and drop onto the window itself
    def dragEnterEvent(self, event) -> None:
        if offers_input(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        event.acceptProposedAction()
        self.intake.handle_mime(event.mimeData())

    # ================================================================================================ closing ====
    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Abort every job and wait for the threads; then close the preview's renderer in its own thread and
        release the backend."""
        self.saver.timer.stop()
        self.session.elapsed_timer.stop()
        self.preview.timer.stop()
        self.pool.shutdown(timeout_ms)
        self.autosave_lane.wait(timeout_ms)
        self.lane.abort_all()
        from .render_lane import close_thread_renderer

        self.lane.start(Worker(lambda cancel: close_thread_renderer(), name="close-renderer"))
        self.lane.wait(timeout_ms)
        self.session.close_backend()

    def closeEvent(self, event) -> None:
        self.settings.set_window_state(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.shutdown()
        self.saver.close_session()
        super().closeEvent(event)
