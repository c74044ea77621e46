"""Screen-region capture: the logical→pixel mapping, and the overlay at device pixel ratios 1 and 2.

The pure mapping is tested on named cases; the overlay is driven with real mouse events over a synthetic grab
whose pixel colours encode their own coordinates (so a crop's corners tell exactly which pixels were taken), on a
fake secondary-screen geometry; and once on the real (offscreen) screen with QT_SCALE_FACTOR=2 in a child process.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, QRect, Qt  # noqa: E402
from PySide6.QtGui import QImage, QPixmap  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from app.gui.capture import RegionCapture, global_to_local, selection_to_pixels  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("rect, logical, pixels, expected", [
    ((10, 20, 30, 40), (800, 600), (800, 600), (10, 20, 30, 40)),  # dpr 1: identity
    ((10, 20, 30, 40), (800, 600), (1600, 1200), (20, 40, 60, 80)),  # dpr 2: every coordinate doubles
    ((40, 60, -30, -40), (800, 600), (1600, 1200), (20, 40, 60, 80)),  # a drag up-left is the same box
    ((10, 10, 11, 11), (800, 600), (1200, 900), (15, 15, 17, 17)),  # dpr 1.5: grown outward to whole pixels
    ((790, 590, 50, 50), (800, 600), (1600, 1200), (1580, 1180, 20, 20)),  # clamped at the screen edge
    ((-5, -5, 10, 10), (800, 600), (1600, 1200), (0, 0, 10, 10)),  # clamped at the origin
])
def test_selection_to_pixels(rect, logical, pixels, expected):
    assert selection_to_pixels(rect, logical, pixels) == expected


def test_global_to_local_on_a_second_screen():
    # A second screen to the right of a 1920-wide one, and one above (negative coordinates).
    assert global_to_local((2000, 100, 50, 60), (1920, 0, 1280, 800)) == (80, 100, 50, 60)
    assert global_to_local((100, -700, 10, 10), (0, -800, 1280, 800)) == (100, 100, 10, 10)


def coordinate_pixmap(width: int, height: int, dpr: float) -> QPixmap:
    """R = x mod 256, G = y mod 256, B = x // 256: every pixel names its own coordinates."""
    ys, xs = np.mgrid[0:height, 0:width]
    rgb = np.stack([xs % 256, ys % 256, xs // 256], axis=-1).astype(np.uint8)
    data = np.ascontiguousarray(rgb).tobytes()
    image = QImage(data, width, height, width * 3, QImage.Format.Format_RGB888).copy()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


class FakeScreen:
    def __init__(self, geometry: QRect):
        self._geometry = geometry

    def geometry(self) -> QRect:
        return self._geometry


def pixel(image: QImage, x: int, y: int) -> tuple[int, int, int]:
    c = image.pixelColor(x, y)
    return c.red(), c.green(), c.blue()


@pytest.mark.parametrize("dpr", [1, 2])
def test_overlay_drag_crops_the_right_pixels_on_a_second_screen(qtbot, dpr):
    logical = (300, 200)
    screens = [FakeScreen(QRect(0, 0, 320, 240)), FakeScreen(QRect(1920, 0, *logical))]
    grabs = {id(screens[0]): coordinate_pixmap(320 * dpr, 240 * dpr, dpr),
             id(screens[1]): coordinate_pixmap(logical[0] * dpr, logical[1] * dpr, dpr)}
    capture = RegionCapture(grabber=lambda s: grabs[id(s)])
    overlays = capture.start(screens)
    assert len(overlays) == 2
    target = overlays[1]
    with qtbot.waitSignal(capture.captured, timeout=3000) as blocker:
        QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(110, 60))
        QTest.mouseMove(target, QPoint(50, 30))
        QTest.mouseRelease(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(10, 20))
    image = blocker.args[0]
    # Logical box (10, 20)-(110, 60), local to the second screen → pixels ×dpr.
    assert (image.width(), image.height()) == (100 * dpr, 40 * dpr)
    assert pixel(image, 0, 0) == ((10 * dpr) % 256, (20 * dpr) % 256, (10 * dpr) // 256)
    x1, y1 = 110 * dpr - 1, 60 * dpr - 1
    assert pixel(image, image.width() - 1, image.height() - 1) == (x1 % 256, y1 % 256, x1 // 256)
    assert capture.overlays == []  # all overlays closed


def test_escape_cancels_every_overlay(qtbot):
    screens = [FakeScreen(QRect(0, 0, 200, 100)), FakeScreen(QRect(200, 0, 200, 100))]
    capture = RegionCapture(grabber=lambda s: coordinate_pixmap(200, 100, 1))
    overlays = capture.start(screens)
    with qtbot.waitSignal(capture.cancelled, timeout=3000):
        QTest.keyClick(overlays[1], Qt.Key.Key_Escape)
    assert capture.overlays == []
    # A click without a drag is not a selection.
    capture2 = RegionCapture(grabber=lambda s: coordinate_pixmap(200, 100, 1))
    (ov,) = capture2.start(screens[:1])
    with qtbot.assertNotEmitted(capture2.captured, wait=100):
        QTest.mouseClick(ov, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(50, 50))
    QTest.keyClick(ov, Qt.Key.Key_Escape)


CHILD = textwrap.dedent("""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget
    from app.gui.capture import RegionCapture
    app = QApplication([])
    screen = QGuiApplication.primaryScreen()
    marker = QWidget()
    marker.setStyleSheet("background: rgb(255, 0, 0);")
    marker.setAutoFillBackground(True)
    marker.setGeometry(50, 50, 50, 40)
    marker.show()
    for _ in range(20):
        app.processEvents()
    truth = screen.grabWindow(0).toImage()  # what the screen shows, in device pixels
    out = {}
    cap = RegionCapture()
    cap.captured.connect(lambda img: out.setdefault("img", img))
    (ov,) = cap.start([screen])
    app.processEvents()
    QTest.mousePress(ov, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(55, 55))
    QTest.mouseRelease(ov, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(85, 75))
    img = out["img"].convertToFormat(truth.format())
    dpr = screen.devicePixelRatio()
    d = int(dpr)
    expected = truth.copy(55 * d, 55 * d, 30 * d, 20 * d)
    red = sum(1 for y in range(img.height()) for x in range(img.width())
              if img.pixelColor(x, y).red() == 255 and img.pixelColor(x, y).green() == 0)
    print(dpr, truth.width(), img.width(), img.height(), int(img == expected), red)
""")


@pytest.mark.parametrize("scale", ["1", "2"])
def test_real_screen_grab_with_qt_scale_factor(scale):
    """Qt's own high-DPI scaling: a 30×20 logical drag is 30·dpr × 20·dpr pixels, the very pixels of the grab."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale}
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    dpr, grab_width, width, height, same, red = out.stdout.split()
    d = int(scale)
    assert float(dpr) == d and int(grab_width) == 800  # the offscreen screen is 800 device px at any scale
    assert (int(width), int(height)) == (30 * d, 20 * d)
    assert same == "1"  # identical to the screen grab's region at (55·dpr, 55·dpr)
    assert int(red) > 0  # and the region is not empty: part of the marker window is in it
