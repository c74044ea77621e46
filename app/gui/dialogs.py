"""Window services the main window is given: OS file dialogs (replaceable in tests) and the message bar.

`FileDialogs` wraps the native dialogs so tests pass an object returning fixed paths instead (STYLE rule 15:
stub OS services). `ErrorBar` is the in-window, dismissable message line used for errors, warnings and the
crash-recovery offer, so no error ever needs a modal box (or crashes the app).
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget


class FileDialogs:
    """The OS file dialogs; tests replace this object with one returning fixed paths."""

    def open_inputs(self, parent, directory: str) -> list[str]:
        paths, _ = QFileDialog.getOpenFileNames(
            parent, "Open mockups or screen recordings", directory,
            "Images and videos (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff *.mp4 *.mov *.webm *.mkv *.avi);;"
            "All files (*)")
        return paths

    def save_code(self, parent, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(parent, "Save code", suggested,
                                              "Web code (*.html *.jsx *.vue *.js *.css);;All files (*)")
        return path

    def checkpoint_dir(self, parent, directory: str) -> str:
        return QFileDialog.getExistingDirectory(parent, "Checkpoint folder", directory)


class ErrorBar(QWidget):
    """A dismissable one-line message at the top of the window (errors, warnings, recovery offers)."""

    def __init__(self):
        super().__init__()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.actions_box = QHBoxLayout()
        close = QPushButton("✕")
        close.setFixedWidth(28)
        close.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.label, 1)
        row.addLayout(self.actions_box)
        row.addWidget(close)
        self.kind = ""
        self.hide()

    def show_message(self, text: str, kind: str = "error", actions: list[tuple[str, Callable]] = ()) -> None:
        colors = {"error": "#fdecea", "warning": "#fff4e5", "info": "#e8f4fd"}
        self.setStyleSheet(f"ErrorBar {{ background: {colors.get(kind, '#eee')}; }}")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.kind = kind
        self.label.setText(text)
        while self.actions_box.count():
            w = self.actions_box.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for title, callback in actions:
            b = QPushButton(title)
            b.clicked.connect(callback)
            b.clicked.connect(self.hide)
            self.actions_box.addWidget(b)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""
