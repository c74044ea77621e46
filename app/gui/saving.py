"""Keeping the editor's work: Save…, Copy code, the debounced autosave, and the offer to restore a lost session.

`WorkSaver` is a QObject controller; the window builds it and hands it what it reads and restores (the editor, the
media strip, the instruction line, the target box and the shared `VersionHistory`), the `RecoveryStore`, the serial
autosave lane, the file dialogs, and callables: `report(text, kind, actions)` (the window's message bar),
`say(text)` (the status line) and `load_paths(paths)` (the input loader, for a restored session's inputs).

Autosave is debounced by a single-shot timer that is started only when idle, so a stream of tokens saves every
`autosave_ms` instead of never; the snapshot is taken on the GUI thread (cheap) and written with fsync on the
autosave lane. Pasted and captured images have no file: a snapshot names a PNG in the recovery session for each,
written by the next save. The file work itself (atomic writes, locks, orphaned sessions) is `autosave`'s; this
module decides when and what.
"""
from __future__ import annotations

import os
import pathlib
import time
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from app.targets.registry import REGISTRY, TARGETS

from .autosave import Orphan, RecoveryStore, Snapshot, atomic_write_text
from .dialogs import FileDialogs
from .history import VersionHistory
from .settings import Settings
from .worker import Worker, WorkerPool


class WorkSaver(QObject):
    restored = Signal()  # a lost session was put back: the window refreshes its controls

    def __init__(self, settings: Settings, recovery: RecoveryStore, lane: WorkerPool, dialogs: FileDialogs,
                 history: VersionHistory, *, window: QWidget, editor, strip, instruction, target_box,
                 report: Callable[..., None], say: Callable[[str], None], load_paths: Callable[[list[str]], None]):
        super().__init__(window)
        self.settings = settings
        self.recovery = recovery
        self.lane = lane
        self.dialogs = dialogs
        self.history = history
        self.window = window
        self.editor = editor
        self.strip = strip
        self.instruction = instruction
        self.target_box = target_box
        self.report = report
        self.say = say
        self.load_paths = load_paths
        self.orphans: list[Orphan] = []
        self.saved_text = ""  # the code last saved to a file: closing with it unchanged keeps no recovery copy
        self._unsaved_images: dict = {}  # pasted/captured images the next autosave writes
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.autosave_now)

    # ================================================================================================ explicit ===
    def save(self) -> str:
        """Ask where, write the editor's code there atomically; the path, or "" when nothing was saved."""
        code = self.editor.toPlainText()
        if not code.strip():
            return ""
        target = self.settings.get("target")
        folder = pathlib.Path(self.settings.get("last_dir") or os.getcwd())
        path = self.dialogs.save_code(self.window, str(folder / f"page{REGISTRY[target].extension}"))
        if not path:
            return ""
        try:
            atomic_write_text(pathlib.Path(path), code)
        except OSError as exc:
            self.report(f"{path}: cannot save ({exc.strerror or exc})")
            return ""
        self.saved_text = code
        self.settings.set("last_dir", str(pathlib.Path(path).parent))
        self.say(f"Saved {path}")
        return path

    def copy_code(self) -> None:
        QGuiApplication.clipboard().setText(self.editor.toPlainText())
        self.say("Code copied to the clipboard")

    # ================================================================================================ autosave ===
    def snapshot(self) -> Snapshot:
        # A pasted or captured image has no file: it gets one in the recovery session, written by the next save.
        for it in self.strip.items:
            if not it.source and not it.group:
                it.source = str(self.recovery.new_input_path())
                self._unsaved_images[it.source] = it.image
        return Snapshot(code=self.editor.toPlainText(), target=self.settings.get("target"),
                        instruction=self.instruction.text(),
                        inputs=[it.source for it in self.strip.items if it.source and not it.group]
                        + sorted({it.group for it in self.strip.items if it.group}),
                        history=self.history.to_list(), history_index=self.history.index)

    def schedule_autosave(self) -> None:
        # Started only when idle, so a stream of tokens saves every `autosave_ms` instead of never.
        if not self.timer.isActive():
            self.timer.start(self.settings.get("autosave_ms"))

    def autosave_now(self, wait: bool = False) -> None:
        """Snapshot on the GUI thread (cheap), write + fsync on the serial autosave lane (disk may be slow)."""
        snapshot = self.snapshot()
        images, self._unsaved_images = self._unsaved_images, {}
        worker = Worker(lambda cancel: self.recovery.save(snapshot, images), name="autosave")
        worker.signals.returned.connect(
            lambda ok: None if ok else self.report(self.recovery.last_error, "warning"))
        self.lane.start(worker)
        if wait:
            self.lane.wait()

    def close_session(self) -> None:
        """At window close: end the recovery session, keeping a snapshot only when the editor holds code that was
        not saved to a file (the next start offers it)."""
        code = self.editor.toPlainText()
        keep = self.snapshot() if code.strip() and code != self.saved_text else None
        self.recovery.close(keep=keep, images=self._unsaved_images)

    # ================================================================================================ recovery ===
    def offer_recovery(self) -> None:
        self.orphans = self.recovery.orphaned_sessions()
        if not self.orphans:
            return
        snap = self.orphans[0].snapshot
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snap.saved_at or time.time()))
        how = "was closed with unsaved code" if snap.clean_exit else "did not close cleanly"
        self.report(f"uicode {how} last time. Restore the unsaved work from {stamp} "
                    f"({len(snap.code):,} characters of {snap.target} code, {len(snap.history)} versions)?",
                    "info", [("Restore", self.restore_orphan), ("Discard", self.discard_orphans)])

    def restore_orphan(self) -> bool:
        if not self.orphans:
            return False
        orphan = self.orphans.pop(0)
        snap = orphan.snapshot
        self.history.load(snap.history, snap.history_index)
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
        self.restored.emit()
        self.say("Restored the unsaved work")
        return True

    def discard_orphans(self) -> None:
        for orphan in self.orphans:
            orphan.discard()
        self.orphans = []
