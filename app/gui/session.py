"""The conversion session: Generate and follow-up edits, from the click to the recorded version.

`ConversionSession` is a QObject controller; the window builds it and hands it the widgets it drives (the editor,
the media strip, the preview and the status-bar stage label, busy bar, speed and elapsed labels). `start()` follows
the one sequence of STYLE rule 13: the pure `prepare.build_request` (its error becomes `failed`), a `Worker` over
`jobs.conversion_job`, its signals connected, `state_changed` so the window disables what conflicts, then the
pool starts it. The pipeline's events arrive in `_on_event`: `BackendReady` caches the loaded backend (keyed by
the backend settings, so a second Generate does not reload the checkpoint), `Status` drives the stage label and
busy bar, `CodeDelta` text is batched into the editor every `STREAM_FLUSH_MS`, `Finished` settles the final code.
The worker's `finished` slot always runs, so a failure or a Stop can never leave the session busy; it records the
code as a version and asks for the final preview.

The version history (one `history.VersionHistory`, shared with the window and autosave) is recorded and stepped
here: a version per finished, stopped or failed generation, a "manual" one for edits made before generating again
or stepping away. The session knows nothing about tokens or tensors (everything arrives as the pipeline's
events), nor about inputs, saving or which controls to enable: it tells the window through its signals.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from uicode.errors import UicodeError

from .history import Version, VersionHistory
from .jobs import BackendReady, conversion_job, cpu_threads_for_gui
from .prepare import backend_key, build_request, describe_error
from .settings import Settings
from .worker import Worker, WorkerPool

STREAM_FLUSH_MS = 40  # at most 25 editor updates per second while streaming
STREAM_PREVIEW_MS = 1500


class ConversionSession(QObject):
    started = Signal()
    code_delta = Signal(str)  # code appended to the editor (one flush)
    finished = Signal(str)  # finish reason: "stop", "length", "cancelled", "error"
    failed = Signal(str)  # a message for the user
    backend_loaded = Signal()  # a backend was loaded (or replaced): the window refreshes its model label
    state_changed = Signal()  # busy, or the versions, changed: the window refreshes its controls

    def __init__(self, settings: Settings, pool: WorkerPool, backend_factory: Callable[[dict, str], Any],
                 history: VersionHistory, *, editor, strip, preview, stage_label, progress, speed_label,
                 elapsed_label, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.pool = pool
        self.backend_factory = backend_factory
        self.history = history
        self.editor = editor
        self.strip = strip
        self.preview = preview
        self.stage_label = stage_label
        self.progress = progress
        self.speed_label = speed_label
        self.elapsed_label = elapsed_label
        self.backend = None
        self.backend_id: tuple | None = None
        self.generation: Worker | None = None
        self.gen_started_at = 0.0
        self.first_token_s: float | None = None
        self.tokens_per_s = 0.0
        self.last_result = None
        self.finish_reason = "stop"
        self.pending_instruction: str | None = None
        self._streamed_chars = 0
        self._unflushed: list[str] = []
        self.elapsed_timer = QTimer(self)
        self.elapsed_timer.setInterval(200)
        self.elapsed_timer.timeout.connect(self._tick_elapsed)
        self.stream_timer = QTimer(self)
        self.stream_timer.setSingleShot(True)
        self.stream_timer.setInterval(STREAM_FLUSH_MS)
        self.stream_timer.timeout.connect(self.flush_stream)

    @property
    def busy(self) -> bool:
        return self.generation is not None

    def _api_key(self, values: dict) -> str:
        return self.settings.api_key() if values["backend"] == "openai" else ""

    def has_backend(self, values: dict) -> bool:
        """Whether the backend these settings name is the one already loaded."""
        return self.backend is not None and self.backend_id == backend_key(values, self._api_key(values))

    # ================================================================================================ running ====
    def start(self, instruction: str | None) -> None:
        """Generate from the inputs (`instruction` None), or edit the editor's code by the instruction."""
        if self.busy:
            return
        values = self.settings.values()
        previous = self.editor.toPlainText()
        try:
            request = build_request(self.strip.items, values, instruction, previous)
        except UicodeError as exc:
            self.failed.emit(describe_error(exc))
            return
        if previous.strip():
            self.record_version(previous, "manual" if self._edited_since_version(previous) else "kept")
        api_key = self._api_key(values)
        key = backend_key(values, api_key)
        backend = self.backend if self.backend_id == key else None
        threads = cpu_threads_for_gui(values["cpu_threads"]) \
            if values["backend"] != "openai" and values["device"] == "cpu" else None
        job = conversion_job(request, key, backend, lambda: self.backend_factory(values, api_key), threads)
        worker = Worker(job, name="generate")
        worker.signals.yielded.connect(self._on_event)
        worker.signals.errored.connect(self._on_error)
        worker.signals.finished.connect(self._on_finished)
        self.generation = worker
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
        self.state_changed.emit()
        self.started.emit()
        self.pool.start(worker)

    def stop(self) -> bool:
        """Ask the running generation to stop (it ends in `_on_finished`); False when none runs."""
        if self.generation is None:
            return False
        self.generation.abort()
        self.finish_reason = "cancelled"
        self.stage_label.setText("Stopping…")
        return True

    def _on_event(self, event) -> None:
        from app.events import CodeDelta, Finished, Status

        if isinstance(event, BackendReady):
            if self.backend is not None and self.backend is not event.backend and hasattr(self.backend, "close"):
                self.backend.close()
            self.backend_id, self.backend = event.key, event.backend
            self.backend_loaded.emit()
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

    def _on_error(self, exc: BaseException) -> None:
        self.finish_reason = "error"
        self.failed.emit(describe_error(exc))

    def _on_finished(self) -> None:
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
            self.record_version(code, source)
            self.preview.request(code, self.settings.get("target"), self.strip.reference(), immediate=True)
        if reason != "error":
            first = f", first token after {self.first_token_s:.2f} s" if self.first_token_s is not None else ""
            self.stage_label.setText({"cancelled": "Stopped; the streamed code is kept",
                                      "length": "Stopped at the token limit"}.get(reason, "Done") + first)
        self.state_changed.emit()
        self.finished.emit(reason)

    def _tick_elapsed(self) -> None:
        if self.gen_started_at:
            self.elapsed_label.setText(f"{time.perf_counter() - self.gen_started_at:.1f} s")
        if self.tokens_per_s:
            self.speed_label.setText(f"{self.tokens_per_s:.1f} tok/s")

    def preview_edit(self) -> None:
        """The editor's text changed: with live preview on, render it; while streaming at most every
        `STREAM_PREVIEW_MS`, since each render costs Chromium CPU time that the model and the GUI thread share on
        small machines (the final render follows at once when the generation ends)."""
        if not self.settings.get("live_preview"):
            return
        delay = max(STREAM_PREVIEW_MS, self.settings.get("preview_debounce_ms")) if self.busy else None
        self.preview.request(self.editor.toPlainText(), self.settings.get("target"), self.strip.reference(),
                             delay_ms=delay)

    def close_backend(self) -> None:
        """Release the loaded backend (at exit, after the jobs have stopped); never raises."""
        if self.backend is not None and hasattr(self.backend, "close"):
            try:
                self.backend.close()
            except Exception:  # noqa: BLE001 -- closing must not fail the exit
                pass

    # ================================================================================================ versions ===
    def _edited_since_version(self, code: str) -> bool:
        cur = self.history.current
        return cur is None or cur.code != code

    def record_version(self, code: str, source: str) -> None:
        if self.history.push(Version(code=code, target=self.settings.get("target"), source=source)):
            self.state_changed.emit()

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
            self.history.push(Version(code=code, target=self.settings.get("target"), source="manual"))
            self.history.back()
        version = move()
        if version is not None:
            self.editor.set_code(version.code)
        self.state_changed.emit()
