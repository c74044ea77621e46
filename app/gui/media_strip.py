"""The thumbnail strip of inputs, doubling as the filmstrip of a video's frames.

Every `InputItem` is one checkable thumbnail; checked means "send it". A video contributes one thumbnail per
sampled frame (or keyframe), labelled with its timestamp, so dropping frames before converting is unchecking
them; "Keep all"/"Drop all" act on the selected item's video. The strip shows exactly what will be sent, in
order, and a summary line with the image and token count. It owns the item list; it does not load files (`intake`
runs `inputs.load_payloads` in a worker and calls `add_items`) and it forwards drops (`dropped`) to be loaded.
"""
from __future__ import annotations

from PIL import Image
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from .inputs import InputItem, pil_to_qimage

THUMB = QSize(112, 80)


def token_estimate(items: list[InputItem], patch_limit: int | None = None) -> int:
    """Decoder tokens the kept images become under the backend's patch budget (K2.5's 16384 by default)."""
    from vision.size_rule import IN_PATCH_LIMIT, image_token_count

    return sum(image_token_count(*it.image.size, in_patch_limit=patch_limit or IN_PATCH_LIMIT) for it in items)


class _List(QListWidget):
    dropped = Signal(object)  # QMimeData

    def __init__(self):
        super().__init__()
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(THUMB)
        self.setMovement(QListWidget.Movement.Static)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFixedHeight(THUMB.height() + 58)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)

    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls() or event.mimeData().hasImage() or event.mimeData().formats():
            event.acceptProposedAction()

    def dragMoveEvent(self, event):
        event.acceptProposedAction()

    def dropEvent(self, event):
        event.acceptProposedAction()
        self.dropped.emit(event.mimeData())


class MediaStrip(QWidget):
    changed = Signal()
    dropped = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.items: list[InputItem] = []
        self.patch_limit: int | None = None  # the backend's image patch budget; None = K2.5's default
        self.list = _List()
        self.list.dropped.connect(self.dropped)
        self.list.itemChanged.connect(self._on_item_changed)
        self.summary = QLabel("Drop, paste (Ctrl+V), open or capture a mockup or a screen recording")
        self.summary.setWordWrap(True)
        self.remove_button = QPushButton("Remove")
        self.clear_button = QPushButton("Clear")
        self.keep_all_button = QPushButton("Keep all frames")
        self.drop_all_button = QPushButton("Drop all frames")
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button.clicked.connect(self.clear)
        self.keep_all_button.clicked.connect(lambda: self._set_group_keep(True))
        self.drop_all_button.clicked.connect(lambda: self._set_group_keep(False))
        buttons = QHBoxLayout()
        for b in (self.remove_button, self.clear_button, self.keep_all_button, self.drop_all_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        self._refresh_summary()

    # ---- content -----------------------------------------------------------------------------------------------
    def add_items(self, items: list[InputItem]) -> None:
        self.list.blockSignals(True)
        for item in items:
            self.items.append(item)
            widget_item = QListWidgetItem(QIcon(QPixmap.fromImage(pil_to_qimage(_thumb(item.image)))),
                                          _short(item))
            widget_item.setFlags(widget_item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            widget_item.setCheckState(Qt.CheckState.Checked if item.keep else Qt.CheckState.Unchecked)
            w, h = item.image.size
            widget_item.setToolTip(f"{item.label}\n{w}×{h}" + (f"\nfrom {item.group}" if item.group else ""))
            self.list.addItem(widget_item)
        self.list.blockSignals(False)
        self._refresh_summary()
        self.changed.emit()

    def clear(self) -> None:
        self.items.clear()
        self.list.clear()
        self._refresh_summary()
        self.changed.emit()

    def remove_selected(self) -> None:
        rows = sorted({self.list.row(i) for i in self.list.selectedItems()}, reverse=True)
        for row in rows:
            self.list.takeItem(row)
            del self.items[row]
        if rows:
            self._refresh_summary()
            self.changed.emit()

    def set_keep(self, index: int, keep: bool) -> None:
        self.list.item(index).setCheckState(Qt.CheckState.Checked if keep else Qt.CheckState.Unchecked)

    def kept(self) -> list[InputItem]:
        return [it for it in self.items if it.keep]

    def reference(self) -> Image.Image | None:
        """The image the preview is compared with: the first kept item's; None when nothing is kept."""
        kept = self.kept()
        return kept[0].image if kept else None

    def set_enabled_editing(self, enabled: bool) -> None:
        for w in (self.remove_button, self.clear_button, self.keep_all_button, self.drop_all_button):
            w.setEnabled(enabled)
        self.list.setEnabled(enabled)

    # ---- internals ---------------------------------------------------------------------------------------------
    def _on_item_changed(self, widget_item: QListWidgetItem) -> None:
        row = self.list.row(widget_item)
        if 0 <= row < len(self.items):
            self.items[row].keep = widget_item.checkState() == Qt.CheckState.Checked
            self._refresh_summary()
            self.changed.emit()

    def _set_group_keep(self, keep: bool) -> None:
        selected = [self.items[self.list.row(i)] for i in self.list.selectedItems()]
        groups = {it.group for it in selected if it.group} or {it.group for it in self.items if it.group}
        for row, item in enumerate(self.items):
            if item.group and item.group in groups:
                self.set_keep(row, keep)

    def set_patch_limit(self, limit: int | None) -> None:
        if limit != self.patch_limit:
            self.patch_limit = limit
            self._refresh_summary()

    def _refresh_summary(self) -> None:
        kept = self.kept()
        if not self.items:
            self.summary.setText("Drop, paste (Ctrl+V), open or capture a mockup or a screen recording")
            return
        frames = sum(1 for it in self.items if it.group)
        kept_frames = sum(1 for it in kept if it.group)
        parts = [f"{len(kept)} of {len(self.items)} will be sent"]
        if frames:
            parts.append(f"{kept_frames} of {frames} video frames kept")
        try:
            parts.append(f"≈{token_estimate(kept, self.patch_limit):,} image tokens")
        except Exception:  # noqa: BLE001 -- the estimate is a hint only
            pass
        self.summary.setText(" · ".join(parts))


def _thumb(image: Image.Image) -> Image.Image:
    t = image.copy()
    t.thumbnail((THUMB.width() * 2, THUMB.height() * 2))
    return t


def _short(item: InputItem) -> str:
    if item.timestamp:
        return item.timestamp
    label = item.label
    return label if len(label) <= 18 else label[:15] + "…"
