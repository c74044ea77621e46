"""Start-up of the desktop app: the QApplication, settings overrides from the command line, the window.

`run(args)` is `uicode gui`'s body (argument parsing lives in `app/gui/__init__.py`, which does not import Qt).
`--generate` and `--screenshot` make a scripted run possible (used by the Xvfb test and for demos): load the
inputs, generate, wait for the preview, save a screenshot of the window, quit with 0 (1 if the conversion failed
or an input could not be loaded). `--screenshot` alone saves the window once the inputs are loaded.
"""
from __future__ import annotations

import pathlib
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from .main_window import MainWindow
from .render_lane import render_png, visual_score
from .settings import Settings

SCREENSHOT_PREVIEW_WAIT_MS = 20000


GUI_SWITCH_INTERVAL_S = 0.001


def make_application(argv: list[str] | None = None) -> QApplication:
    # The model runs in a worker thread and holds the GIL between torch calls; a 1 ms switch interval (default
    # 5 ms) lets the GUI thread's slots and Python paint events in sooner while tokens stream.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv or [sys.argv[0]])
    app.setApplicationName("uicode")
    app.setOrganizationName("uicode")
    return app


def apply_overrides(settings: Settings, args) -> None:
    if args.target:
        settings.set("target", args.target)
    if args.checkpoint:
        settings.set("checkpoint_dir", str(pathlib.Path(args.checkpoint).resolve()))
        settings.set("backend", args.backend or "checkpoint")
    if args.backend:
        settings.set("backend", args.backend)
    if args.base_url:
        settings.set("base_url", args.base_url)
    if args.model:
        settings.set("remote_model", args.model)
    if args.device:
        settings.set("device", args.device)
    settings.sync()


def save_window_screenshot(window: MainWindow, path: str) -> bool:
    """The window as the display shows it (the X server's pixels on xcb), else as Qt paints it (offscreen)."""
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    pixmap = None
    if QGuiApplication.platformName() == "xcb" and window.screen() is not None:
        pixmap = window.screen().grabWindow(window.winId())
    if pixmap is None or pixmap.isNull():
        pixmap = window.grab()
    return pixmap.save(path)


def run(args) -> int:
    app = make_application()
    settings = Settings()
    apply_overrides(settings, args)
    window = MainWindow(settings, render=render_png, score=visual_score, offer_recovery=not args.no_restore)
    window.show()
    outcome = {"code": 0}

    if args.screenshot:
        def finish_with_screenshot(reason: str) -> None:
            if reason == "error":
                outcome["code"] = 1

            def shoot() -> None:
                if window.preview.busy() and shoot.waited < SCREENSHOT_PREVIEW_WAIT_MS:
                    shoot.waited += 200
                    QTimer.singleShot(200, shoot)
                    return
                ok = save_window_screenshot(window, args.screenshot)
                if not ok:
                    outcome["code"] = 1
                window.close()
            shoot.waited = 0
            QTimer.singleShot(300, shoot)
        window.generation_finished.connect(finish_with_screenshot)

    if args.inputs:
        def on_loaded(count: int) -> None:
            window.inputs_loaded.disconnect(on_loaded)
            if args.generate and count:
                window.generate()
            elif args.screenshot:
                # Without --generate (or when nothing loaded): the screenshot shows the loaded inputs.
                if not count:
                    outcome["code"] = 1
                QTimer.singleShot(200, lambda: (save_window_screenshot(window, args.screenshot), window.close()))
        window.inputs_loaded.connect(on_loaded)
        window.load_paths(args.inputs)
    elif args.screenshot:
        QTimer.singleShot(500, lambda: (save_window_screenshot(window, args.screenshot), window.close()))
    code = app.exec()
    return outcome["code"] or code
