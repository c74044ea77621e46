"""Autosave and crash recovery across processes, and settings across restarts, with the real window.

A child process opens the window, types code, waits until autosave has written it, reports, and is killed
with SIGKILL (no clean-up code runs). The next window in this process must find the orphaned session, offer it
in the window, and restore it on request.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("PySide6")

from app.gui.autosave import RecoveryStore  # noqa: E402
from app.gui.main_window import MainWindow  # noqa: E402
from app.gui.settings import Settings  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = textwrap.dedent("""
    import sys, time
    from PySide6.QtWidgets import QApplication
    from app.gui.main_window import MainWindow
    from app.gui.settings import Settings
    app = QApplication([])
    s = Settings()
    s.set("autosave_ms", 200)
    w = MainWindow(s, offer_recovery=False)
    w.show()
    w.instruction.setText("make the header dark")
    w.editor.setPlainText(sys.argv[1])
    deadline = time.time() + 20
    while w.recovery.writes == 0 and time.time() < deadline:
        app.processEvents()
        time.sleep(0.02)
    print("SAVED", w.recovery.path, flush=True)
    while True:  # wait to be killed
        app.processEvents()
        time.sleep(0.05)
""")


@pytest.fixture
def windows():
    made = []
    yield made
    for w in made:
        w.shutdown(10000)
        w.recovery.close()
        w.deleteLater()


def test_autosave_survives_sigkill_and_is_restored(tmp_path, qtbot, windows):
    code = "<!DOCTYPE html>\n<html><body><h1>Unsaved hero</h1>\n<p>ünïcode ✓</p></body></html>"
    env = {**os.environ, "UICODE_CONFIG_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("SAVED"), child.stderr.read() if child.poll() is not None else line
        saved_path = line.split(maxsplit=1)[1].strip()
        assert json.loads(open(saved_path, encoding="utf-8").read())["code"] == code
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL

    settings = Settings(tmp_path)
    window = MainWindow(settings)
    windows.append(window)
    qtbot.addWidget(window)
    assert window.orphans, "the killed session's autosave was not found"
    assert "did not close cleanly" in window.errors.label.text()
    assert window.editor.toPlainText() == ""  # offered, not forced
    assert window.restore_orphan()
    assert window.editor.toPlainText() == code
    assert window.instruction.text() == "make the header dark"
    # Restored work is now this session's autosave; the orphan is gone for the next start.
    assert RecoveryStore(tmp_path / "recovery").orphaned_sessions() == []


def test_discarding_the_offer_removes_the_orphan(tmp_path, qtbot, windows):
    store = RecoveryStore(tmp_path / "recovery")
    from app.gui.autosave import Snapshot

    store.close(keep=Snapshot(code="<p>old</p>"))
    window = MainWindow(Settings(tmp_path))
    windows.append(window)
    qtbot.addWidget(window)
    assert "closed with unsaved code" in window.errors.label.text()
    window.discard_orphans()
    assert RecoveryStore(tmp_path / "recovery").orphaned_sessions() == []


def test_settings_and_controls_survive_a_restart(tmp_path, qtbot, windows):
    first = MainWindow(Settings(tmp_path), offer_recovery=False)
    qtbot.addWidget(first)
    first.target_box.setCurrentIndex(first.target_box.findData("react"))
    first.backend_box.setCurrentIndex(first.backend_box.findData("openai"))
    first.settings.set("base_url", "http://127.0.0.1:9999/v1")
    first.close()  # closeEvent: window state + settings written, session closed cleanly

    second = MainWindow(Settings(tmp_path), offer_recovery=False)
    windows.append(second)
    qtbot.addWidget(second)
    assert second.target_box.currentData() == "react"
    assert second.backend_box.currentData() == "openai"
    assert second.settings.get("base_url") == "http://127.0.0.1:9999/v1"
    assert second.editor.highlighter.language == "jsx"
    assert "base_url" in (tmp_path / "settings.ini").read_text()


PASTE_CHILD = textwrap.dedent("""
    import sys, time
    from PIL import Image
    from PySide6.QtWidgets import QApplication
    from app.gui.main_window import MainWindow
    from app.gui.settings import Settings
    app = QApplication([])
    w = MainWindow(Settings(), offer_recovery=False)
    w.show()
    im = Image.new("RGB", (64, 48), (200, 40, 90))
    im.paste((10, 200, 30), (0, 0, 32, 24))
    w.add_image(im, "Pasted image")
    deadline = time.time() + 20
    while not w.strip.items and time.time() < deadline:
        app.processEvents()
        time.sleep(0.02)
    w.editor.setPlainText("<p>unsaved</p>")
    w.autosave_now(wait=True)
    print("SAVED", w.recovery.path, flush=True)
    while True:  # wait to be killed
        app.processEvents()
        time.sleep(0.05)
""")


def test_pasted_image_survives_sigkill_and_is_restored(tmp_path, qtbot, windows):
    """A pasted image has no file of its own: autosave keeps a PNG of it in the session, and restoring brings
    it back into the strip pixel for pixel."""
    from PIL import Image, ImageChops

    env = {**os.environ, "UICODE_CONFIG_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen([sys.executable, "-c", PASTE_CHILD], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("SAVED"), child.stderr.read() if child.poll() is not None else line
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)

    window = MainWindow(Settings(tmp_path))
    windows.append(window)
    qtbot.addWidget(window)
    assert window.orphans and len(window.orphans[0].snapshot.inputs) == 1
    old_dir = window.orphans[0].inputs_dir
    with qtbot.waitSignal(window.inputs_loaded, timeout=20000):
        assert window.restore_orphan()
    expected = Image.new("RGB", (64, 48), (200, 40, 90))
    expected.paste((10, 200, 30), (0, 0, 32, 24))
    (item,) = window.strip.items
    assert ImageChops.difference(item.image.convert("RGB"), expected).getbbox() is None
    # The image now lives in this session; the dead session's folder is gone.
    assert item.source.startswith(str(window.recovery.inputs_dir)) and not old_dir.exists()
    window.recovery.close()
    assert not window.recovery.inputs_dir.exists()
