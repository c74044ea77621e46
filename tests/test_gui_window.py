"""The main window with the real engine on a tiny kimi_k25 checkpoint (no pipeline mocks), offscreen.

Covers: drop of a file, of raw image data (browser drag) and of a video; paste; Generate streaming into the
editor in many steps; Stop mid-stream keeping the partial code; errors shown in the window (bad file, missing
backend); versions; save and copy. File dialogs are stubbed; the preview renderer is off here (it is exercised
by the Xvfb test and the preview test).
"""
import io
import pathlib

import pytest
from PIL import Image

pytest.importorskip("PySide6")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QGuiApplication, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.gui.main_window import MainWindow  # noqa: E402
from app.gui.settings import Settings  # noqa: E402
from test_gui_checkpoint import (PAGE, SCRIPT, looping_checkpoint, scripted_checkpoint,  # noqa: E402,F401
                                 torch_kernels_factory)


class StubDialogs:
    def __init__(self):
        self.open_result: list[str] = []
        self.save_result = ""

    def open_inputs(self, parent, directory):
        return list(self.open_result)

    def save_code(self, parent, suggested):
        return self.save_result

    def checkpoint_dir(self, parent, directory):
        return ""


def png_file(path: pathlib.Path, color=(220, 60, 40), size=(96, 64)) -> pathlib.Path:
    Image.new("RGB", size, color).save(path)
    return path


@pytest.fixture
def window(qtbot, tmp_path, scripted_checkpoint):
    settings = Settings(tmp_path / "config")
    settings.update({"backend": "checkpoint", "checkpoint_dir": str(scripted_checkpoint), "live_preview": False,
                     "max_new_tokens": 64, "autosave_ms": 300})
    w = MainWindow(settings, dialogs=StubDialogs(), render=None, offer_recovery=False,
                   backend_factory=torch_kernels_factory)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown(20000)  # stop and join every worker before the next test
    w.recovery.close()


def drop(qtbot, target, mime: QMimeData) -> None:
    pos = QPointF(target.rect().center())
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted(), "the drop target refused the drag"
    event = QDropEvent(pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, event)


def load_image(qtbot, w, path) -> None:
    with qtbot.waitSignal(w.inputs_loaded, timeout=10000):
        w.load_paths([str(path)])


def test_drop_a_file_onto_the_strip_loads_it(qtbot, window, tmp_path):
    path = png_file(tmp_path / "mock.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    with qtbot.waitSignal(window.inputs_loaded, timeout=10000) as blocker:
        drop(qtbot, window.strip.list.viewport(), mime)
    assert blocker.args == [1]
    (item,) = window.strip.items
    assert item.label == "mock.png" and item.image.size == (96, 64) and item.source == str(path)
    assert "1 of 1 will be sent" in window.strip.summary.text()


def test_drop_raw_image_data_from_a_browser_onto_the_editor(qtbot, window):
    buf = io.BytesIO()
    Image.new("RGB", (50, 40), (10, 200, 90)).save(buf, format="PNG")
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/picture.png")])  # browsers send the link and the picture
    mime.setData("image/png", buf.getvalue())
    with qtbot.waitSignal(window.inputs_loaded, timeout=10000):
        drop(qtbot, window.editor.viewport(), mime)
    (item,) = window.strip.items
    assert item.image.size == (50, 40) and item.image.getpixel((3, 3)) == (10, 200, 90)
    assert window.editor.toPlainText() == ""  # the drop went to the inputs, not into the code


def test_paste_loads_an_image(qtbot, window):
    image = QImage(30, 20, QImage.Format.Format_RGB32)
    image.fill(QColor(0, 0, 255))
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.inputs_loaded, timeout=10000):
        window.paste_action.trigger()
    (item,) = window.strip.items
    assert item.image.size == (30, 20) and item.image.getpixel((0, 0)) == (0, 0, 255)


def test_open_dialog_and_bad_file_shows_an_error_in_the_window(qtbot, window, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_text("not an image at all")
    window.dialogs.open_result = [str(bad)]
    with qtbot.waitSignal(window.error_shown, timeout=10000) as blocker:
        window.open_action.trigger()
    assert "broken.png" in blocker.args[0] and "not an image" in blocker.args[0]
    assert window.errors.isVisible() and window.strip.items == []
    qtbot.waitUntil(lambda: window.loading is None, timeout=5000)
    assert window.generate_button.isEnabled()
    # Generate with nothing loaded: a message, not a crash.
    window.generate()
    assert "add a mockup first" in window.errors.text()


def test_generate_streams_into_the_editor_in_many_steps(qtbot, window, tmp_path, looping_checkpoint):
    # A long stream (the page body repeats up to max_new_tokens), so that the editor's coalesced updates (one
    # per 40 ms) are many even when the CPU path runs a token every few milliseconds.
    window.settings.update({"checkpoint_dir": str(looping_checkpoint), "max_new_tokens": 400})
    load_image(qtbot, window, png_file(tmp_path / "mock.png"))
    lengths = []
    window.code_delta.connect(lambda _t: lengths.append(len(window.editor.toPlainText())))
    sigs = [window.generation_started, window.code_delta, window.code_delta, window.code_delta]
    with qtbot.waitSignals(sigs, order="strict", timeout=30000):
        window.generate_button.click()
        assert not window.generate_button.isEnabled() and window.stop_button.isEnabled()
        assert window.editor.isReadOnly()
    with qtbot.waitSignal(window.generation_finished, timeout=60000) as blocker:
        pass
    assert blocker.args == ["length"]  # it ran to max_new_tokens
    text = window.editor.toPlainText()
    head = "".join(SCRIPT[:SCRIPT.index("<main>\n") + 1])
    assert text.startswith(head) and text.count("<h2>Streaming</h2>") > 3
    assert len(lengths) >= 4 and lengths == sorted(lengths) and lengths[0] < lengths[-1]  # many steps, not one
    assert window.generate_button.isEnabled() and not window.stop_button.isEnabled()
    assert "tok/s" in window.speed_label.text() and window.speed_label.text() != "– tok/s"
    assert window.model_label.text() == f"model: {looping_checkpoint.name}"
    assert window.device_label.text() == "device: cpu"
    assert window.first_token_s is not None and window.first_token_s > 0
    assert len(window.history) == 1 and window.history.current.source == "generated"


def test_generate_ends_with_the_whole_page(qtbot, window, tmp_path):
    load_image(qtbot, window, png_file(tmp_path / "mock.png"))
    with qtbot.waitSignal(window.generation_finished, timeout=30000) as blocker:
        window.generate()
    assert blocker.args == ["stop"]
    assert window.editor.toPlainText().strip() == PAGE.strip() == window.last_result.code.strip()


def test_stop_mid_stream_keeps_partial_code_and_reenables_controls(qtbot, window, tmp_path, looping_checkpoint):
    window.settings.update({"checkpoint_dir": str(looping_checkpoint), "max_new_tokens": 2000})
    load_image(qtbot, window, png_file(tmp_path / "mock.png"))
    seen = []

    def on_delta(text):
        seen.append(text)
        if len(seen) == 2:
            window.stop_button.click()

    window.code_delta.connect(on_delta)
    with qtbot.waitSignal(window.generation_finished, timeout=60000) as blocker:
        window.generate()
    assert blocker.args == ["cancelled"]
    partial = window.editor.toPlainText()
    body = "".join(SCRIPT[SCRIPT.index("<main>\n"):])
    full_stream = PAGE + body * 100  # what 2000 tokens of the looping page would be
    assert partial and full_stream.startswith(partial) and len(partial) < len(full_stream) // 2
    assert partial == "".join(seen)
    assert window.generate_button.isEnabled() and window.target_box.isEnabled()
    assert not window.stop_button.isEnabled() and not window.editor.isReadOnly()
    assert window.history.current.source == "stopped" and window.history.current.code == partial
    assert "Stopped" in window.stage_label.text()


def test_backend_failure_is_a_message_and_the_window_recovers(qtbot, window, tmp_path):
    load_image(qtbot, window, png_file(tmp_path / "mock.png"))
    window.settings.set("checkpoint_dir", str(tmp_path / "no-such-checkpoint"))
    with qtbot.waitSignal(window.generation_finished, timeout=30000) as blocker:
        window.generate()
    assert blocker.args == ["error"]
    assert "no-such-checkpoint" in window.errors.text() and "no such checkpoint" in window.errors.text()
    assert window.generate_button.isEnabled() and window.backend is None


def test_versions_follow_up_save_and_copy(qtbot, window, tmp_path):
    load_image(qtbot, window, png_file(tmp_path / "mock.png"))
    with qtbot.waitSignal(window.generation_finished, timeout=30000):
        window.generate()
    window.editor.setPlainText("<p>my manual edit</p>")
    window.instruction.setText("make the header dark")
    with qtbot.waitSignal(window.generation_finished, timeout=30000):
        window.edit_button.click()  # the follow-up sends the current code back with the instruction
    assert [v.source for v in window.history.versions] == ["generated", "manual", "edit: make the header dark"]
    window.history_back()
    assert window.editor.toPlainText() == "<p>my manual edit</p>"
    window.history_back()
    assert window.editor.toPlainText().strip() == PAGE.strip()
    window.history_forward()
    assert window.editor.toPlainText() == "<p>my manual edit</p>"

    out = tmp_path / "out" / "page.html"
    out.parent.mkdir()
    window.dialogs.save_result = str(out)
    window.save_action.trigger()
    assert out.read_text() == "<p>my manual edit</p>"
    window.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == "<p>my manual edit</p>"


def test_video_filmstrip_keep_and_drop_frames(qtbot, window, tmp_path):
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    path = tmp_path / "recording.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (96, 64))
    for i in range(30):  # 3 s at 10 fps → K2.5's 2 fps rule samples 6 frames
        frame = np.full((64, 96, 3), (i * 8) % 256, np.uint8)
        writer.write(frame)
    writer.release()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    with qtbot.waitSignal(window.inputs_loaded, timeout=20000) as blocker:
        drop(qtbot, window.strip.list.viewport(), mime)
    n = blocker.args[0]
    assert n == 6 and all(it.group == str(path) and it.timestamp for it in window.strip.items)
    window.strip.set_keep(1, False)
    window.strip.set_keep(4, False)
    assert len(window.strip.kept()) == 4 and "4 of 6 video frames kept" in window.strip.summary.text()
    from app.gui.prepare import build_request

    request = build_request(window.strip.items, window.values())
    assert len(request.media) == 4 and request.best_of == 1
    # by default: OCR text copied, the page converted whole, written by the layout engine with the model's regions
    assert request.ground_text and not request.split and request.engine
    request = build_request(window.strip.items, {**window.values(), "best_of": 3, "ground_text": False, "split": True,
                                                 "engine": False})
    assert request.best_of == 3 and not request.ground_text and request.split and not request.engine


ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_uicode_gui_help_documents_the_options():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "app.cli", "gui", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for option in ("INPUT", "--checkpoint", "--backend", "--base-url", "--target", "--device", "Ctrl+V", "Esc"):
        assert option in out.stdout, option


def test_uicode_gui_with_a_file_opens_with_the_image_loaded(tmp_path):
    import os
    import subprocess
    import sys

    import numpy as np

    mock = png_file(tmp_path / "mock.png", color=(250, 20, 200), size=(160, 100))
    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-m", "app.cli", "gui", str(mock), "--config-dir", str(tmp_path / "cfg"),
                          "--screenshot", str(shot)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    # The thumbnail of the magenta mockup is in the strip.
    assert (np.abs(pixels - (250, 20, 200)).sum(axis=2) < 10).sum() > 1000


def test_captured_region_becomes_an_input(qtbot, window):
    image = QImage(80, 40, QImage.Format.Format_RGB32)
    image.fill(QColor(255, 128, 0))
    with qtbot.waitSignal(window.inputs_loaded, timeout=10000):
        window._on_captured(image)
    (item,) = window.strip.items
    assert item.label == "screen capture" and item.image.size == (80, 40)
    assert window.isVisible()


def test_settings_dialog_is_generated_from_the_schema_and_persists(qtbot, window, monkeypatch):
    import app.gui.settings as settings_mod
    from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLineEdit

    from app.gui.settings_dialog import SettingsDialog

    monkeypatch.setattr(settings_mod, "_usable_keyring", lambda: None)
    dialog = SettingsDialog(window.settings, window)
    qtbot.addWidget(dialog)
    for s in settings_mod.SCHEMA:
        if s.group != "Internal":
            assert dialog.findChild(object, f"setting-{s.key}") is not None, s.key
    dialog.findChild(QComboBox, "setting-target").setCurrentIndex(settings_mod.TARGETS.index("vue"))
    dialog.findChild(QDoubleSpinBox, "setting-temperature").setValue(0.4)
    dialog.findChild(QLineEdit, "setting-api_key").setText("sk-abc")
    assert "plain text" in dialog.key_note.text()
    dialog.accept()
    again = Settings(window.settings.directory)
    assert again.get("target") == "vue" and again.get("temperature") == pytest.approx(0.4)
    assert again.api_key() == "sk-abc"


def test_react_target_gets_the_transformed_code_and_jsx_highlighting(qtbot, window, tmp_path):
    load_image(qtbot, window, png_file(tmp_path / "mock.png"))
    window.target_box.setCurrentIndex(window.target_box.findData("react"))
    assert window.editor.highlighter.language == "jsx"
    with qtbot.waitSignal(window.generation_finished, timeout=30000) as blocker:
        window.generate()
    assert blocker.args == ["stop"]
    code = window.editor.toPlainText()
    # The tiny model writes HTML; the pipeline converts it, and the editor ends with the converted component.
    assert window.last_result.path == "transformed-from-html" and code == window.last_result.code
    assert "export default function" in code and "className=" in code
    assert window.history.current.target == "react"


def test_unreachable_remote_backend_is_a_message(qtbot, window, tmp_path):
    import socket

    load_image(qtbot, window, png_file(tmp_path / "mock.png"))
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    window.settings.update({"base_url": f"http://127.0.0.1:{port}/v1", "remote_model": "kimi-k2.5"})
    window.backend_box.setCurrentIndex(window.backend_box.findData("openai"))
    with qtbot.waitSignal(window.generation_finished, timeout=60000) as blocker:
        window.generate()
    assert blocker.args == ["error"]
    assert str(port) in window.errors.text() or "unreachable" in window.errors.text().lower() \
        or "connect" in window.errors.text().lower(), window.errors.text()
    assert window.generate_button.isEnabled() and "remote" in window.device_label.text()
