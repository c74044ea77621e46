"""The settings dialog, generated from `settings.SCHEMA`: one tab per group, one editor per declared type.

Adding a setting to the schema adds it here; nothing is listed twice. The API key is the one field outside the
schema (it may live in the OS keyring, see `settings.py`); the dialog says where it will be stored and warns
when that is the plain-text settings file.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QTabWidget, QVBoxLayout,
                               QWidget, QFileDialog)

from .settings import SCHEMA, Setting, Settings


def editor_for(setting: Setting, value):
    if setting.choices:
        w = QComboBox()
        for c in setting.choices:
            w.addItem(str(c), c)
        w.setCurrentIndex(setting.choices.index(value))
        return w, lambda: w.currentData()
    if setting.type is bool:
        w = QCheckBox()
        w.setChecked(bool(value))
        return w, w.isChecked
    if setting.type is int:
        w = QSpinBox()
        w.setRange(int(setting.minimum if setting.minimum is not None else -2**31),
                   int(setting.maximum if setting.maximum is not None else 2**31 - 1))
        w.setValue(int(value))
        return w, w.value
    if setting.type is float:
        w = QDoubleSpinBox()
        w.setDecimals(3)
        w.setSingleStep(0.05)
        w.setRange(setting.minimum if setting.minimum is not None else -1e9,
                   setting.maximum if setting.maximum is not None else 1e9)
        w.setValue(float(value))
        return w, w.value
    w = QLineEdit(str(value))
    return w, w.text


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("uicode settings")
        self.settings = settings
        self.readers = {}
        tabs = QTabWidget()
        forms: dict[str, QFormLayout] = {}
        values = settings.values()
        for s in SCHEMA:
            if s.group == "Internal":
                continue
            if s.group not in forms:
                page = QWidget()
                forms[s.group] = QFormLayout(page)
                tabs.addTab(page, s.group)
            widget, read = editor_for(s, values[s.key])
            widget.setToolTip(s.tooltip)
            widget.setObjectName(f"setting-{s.key}")
            self.readers[s.key] = read
            if s.key == "checkpoint_dir":
                row = QHBoxLayout()
                row.addWidget(widget, 1)
                browse = QPushButton("Browse…")
                browse.clicked.connect(lambda _=False, w=widget: self._browse(w))
                row.addWidget(browse)
                forms[s.group].addRow(s.label, row)
            else:
                forms[s.group].addRow(s.label, widget)
        backend_form = forms["Backend"]
        self.api_key = QLineEdit(settings.api_key())
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setObjectName("setting-api_key")
        backend_form.addRow("API key", self.api_key)
        if settings.api_key_storage() == "keyring":
            note = QLabel("The API key is stored in the OS keyring.")
        else:
            note = QLabel(f"⚠ No OS keyring is available: the API key is stored in plain text in "
                          f"{settings.path} (owner-readable only).")
            note.setStyleSheet("color: #b35c00")
        note.setWordWrap(True)
        self.key_note = note
        backend_form.addRow("", note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)

    def _browse(self, line_edit: QLineEdit) -> None:
        path = QFileDialog.getExistingDirectory(self, "Checkpoint folder", line_edit.text())
        if path:
            line_edit.setText(path)

    def collected(self) -> dict:
        return {key: read() for key, read in self.readers.items()}

    def accept(self) -> None:
        self.settings.update(self.collected())
        self.settings.set_api_key(self.api_key.text().strip())
        super().accept()
