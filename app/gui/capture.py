"""Screen-region capture: a frozen full-screen overlay on every screen where the user drags a rectangle.

How it stays right on high-DPI and multi-screen setups: each screen is grabbed *before* its overlay appears
(`QScreen.grabWindow(0)` returns that screen only, in device pixels), and the overlay shows that grab, so what the
user selects is exactly what is cropped. Selections are made in the overlay's logical (device-independent)
coordinates, local to one screen; `selection_to_pixels` maps them into the grab by the grab's real scale (its pixel
size over the screen's logical size), which equals the device pixel ratio on integer-scaled screens and stays
correct for fractional ones (1.25, 1.5) where rounding would drift. Every screen gets its own overlay with its own
geometry and ratio; a drag happens on one screen. Esc (or a right click) on any overlay cancels all of them.

This module does not hide the main window or decide what to do with the image; `intake.Intake` hides the window,
waits for the compositor, starts a `RegionCapture`, and receives `captured(QImage)` or `cancelled()`.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QKeyEvent, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget


def selection_to_pixels(rect: tuple[float, float, float, float], logical_size: tuple[int, int],
                        pixel_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Map a selection in screen-local logical coordinates to a pixel rectangle of that screen's grab.

    rect = (x, y, w, h) logical, any sign of w/h (a drag can go up-left); logical_size = the screen's logical
    (width, height); pixel_size = the grab's (width, height) in device pixels. Returns (x, y, w, h) in pixels,
    expanded outward to whole pixels and clamped to the grab, so a selection covers every pixel it touches.
    """
    x, y, w, h = rect
    x0, x1 = sorted((x, x + w))
    y0, y1 = sorted((y, y + h))
    lw, lh = logical_size
    pw, ph = pixel_size
    if lw <= 0 or lh <= 0:
        raise ValueError(f"screen logical size must be positive, got {logical_size}")
    sx, sy = pw / lw, ph / lh
    # Round to 1e-6 before floor/ceil so that 10 * 1.5 = 15.000000000000002 does not grow the box by a pixel.
    px0 = max(0, min(pw, math.floor(round(x0 * sx, 6))))
    py0 = max(0, min(ph, math.floor(round(y0 * sy, 6))))
    px1 = max(0, min(pw, math.ceil(round(x1 * sx, 6))))
    py1 = max(0, min(ph, math.ceil(round(y1 * sy, 6))))
    return px0, py0, px1 - px0, py1 - py0


def global_to_local(rect: tuple[float, float, float, float],
                    screen_geometry: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    """A rectangle in virtual-desktop logical coordinates → local to a screen whose geometry is (x, y, w, h)."""
    return rect[0] - screen_geometry[0], rect[1] - screen_geometry[1], rect[2], rect[3]


class RegionOverlay(QWidget):
    """One frameless full-screen window showing a frozen grab of its screen; drag to select."""

    selected = Signal(QImage)
    cancelled = Signal()

    MIN_DRAG = 3  # logical px; a click without a drag is not a selection

    def __init__(self, grab: QPixmap, geometry: QRect, screen=None):
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
                         | Qt.WindowType.Tool)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.grab_pixmap = grab
        self.screen_geometry = QRect(geometry)
        if screen is not None:
            self.setScreen(screen)
        self.setGeometry(geometry)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.origin: QPoint | None = None
        self.current: QPoint | None = None

    # ---- the mapping, exposed for tests -------------------------------------------------------------------------
    def logical_size(self) -> tuple[int, int]:
        return self.screen_geometry.width(), self.screen_geometry.height()

    def crop(self, rect: QRect) -> QImage:
        """The grab's pixels under a logical, overlay-local rectangle."""
        x, y, w, h = selection_to_pixels((rect.x(), rect.y(), rect.width(), rect.height()), self.logical_size(),
                                         (self.grab_pixmap.width(), self.grab_pixmap.height()))
        image = self.grab_pixmap.toImage().copy(x, y, w, h)
        image.setDevicePixelRatio(1.0)
        return image

    def selection(self) -> QRect | None:
        if self.origin is None or self.current is None:
            return None
        # Edges, not inclusive pixel corners: a drag from x=10 to x=110 is 100 logical px wide.
        x0, x1 = sorted((self.origin.x(), self.current.x()))
        y0, y1 = sorted((self.origin.y(), self.current.y()))
        return QRect(x0, y0, x1 - x0, y1 - y0)

    # ---- events --------------------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.drawPixmap(self.rect(), self.grab_pixmap)
        p.fillRect(self.rect(), QColor(0, 0, 0, 90))
        sel = self.selection()
        if sel is not None:
            p.drawPixmap(sel, self.grab_pixmap, self._source_rect(sel))
            p.setPen(QPen(QColor(80, 160, 255), 2))
            p.drawRect(sel)
            p.setPen(QColor(255, 255, 255))
            x, y, w, h = selection_to_pixels((sel.x(), sel.y(), sel.width(), sel.height()), self.logical_size(),
                                             (self.grab_pixmap.width(), self.grab_pixmap.height()))
            p.drawText(sel.topLeft() + QPoint(4, -6), f"{w}×{h}")
        else:
            p.setPen(QColor(255, 255, 255))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Drag to capture a region · Esc cancels")
        p.end()

    def _source_rect(self, sel: QRect) -> QRect:
        x, y, w, h = selection_to_pixels((sel.x(), sel.y(), sel.width(), sel.height()), self.logical_size(),
                                         (self.grab_pixmap.width(), self.grab_pixmap.height()))
        return QRect(x, y, w, h)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.cancelled.emit()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            self.origin = event.position().toPoint()
            self.current = self.origin
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.origin is not None:
            self.current = event.position().toPoint()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.origin is None:
            return
        self.current = event.position().toPoint()
        sel = self.selection()
        self.origin = self.current = None
        if sel is None or sel.width() < self.MIN_DRAG or sel.height() < self.MIN_DRAG:
            self.update()
            return
        self.selected.emit(self.crop(sel))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
        else:
            super().keyPressEvent(event)


class RegionCapture(QObject):
    """Overlays on every screen; emits `captured(QImage)` once, or `cancelled()`; then closes them all."""

    captured = Signal(QImage)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None, grabber=None):
        super().__init__(parent)
        # grabber(screen) -> QPixmap; injectable so tests can supply a known picture for a fake geometry.
        self.grabber = grabber or (lambda screen: screen.grabWindow(0))
        self.overlays: list[RegionOverlay] = []

    def start(self, screens=None) -> list[RegionOverlay]:
        screens = list(screens) if screens is not None else QGuiApplication.screens()
        grabs = [(screen, self.grabber(screen)) for screen in screens]  # all grabs before any overlay shows
        for screen, grab in grabs:
            geometry = screen.geometry() if hasattr(screen, "geometry") else QRect(QPoint(0, 0), QSize(grab.size()))
            overlay = RegionOverlay(grab, geometry, screen if hasattr(screen, "virtualSiblings") else None)
            overlay.selected.connect(self._on_selected)
            overlay.cancelled.connect(self._on_cancelled)
            self.overlays.append(overlay)
            overlay.show()
        if self.overlays:
            self.overlays[0].activateWindow()
            self.overlays[0].setFocus()
        return self.overlays

    def _close_all(self) -> None:
        overlays, self.overlays = self.overlays, []
        for overlay in overlays:
            overlay.close()

    def _on_selected(self, image: QImage) -> None:
        self._close_all()
        self.captured.emit(image)

    def _on_cancelled(self) -> None:
        self._close_all()
        self.cancelled.emit()
