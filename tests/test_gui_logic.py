"""GUI logic without the model: worker pattern, settings schema, autosave files, history, input parsing, editor.

Most of these run without showing a widget; the worker tests use qtbot to run the event loop.
"""
import io
import os
import stat
import threading

import pytest
from PIL import Image

pytest.importorskip("PySide6")

from PySide6.QtCore import QMimeData, QUrl  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402

from app.gui.autosave import RecoveryStore, Snapshot  # noqa: E402
from app.gui.history import Version, VersionHistory  # noqa: E402
from app.gui.prepare import describe_backend  # noqa: E402
from app.gui.inputs import Payload, load_payloads, offers_input, payloads_from_mime  # noqa: E402
from app.gui.settings import SCHEMA, Settings, coerce  # noqa: E402
from app.gui.worker import Worker, WorkerPool  # noqa: E402
from uicode.errors import MediaError  # noqa: E402


def png_bytes(color=(200, 30, 30), size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------- worker ----
@pytest.fixture
def pool():
    p = WorkerPool()
    yield p
    p.shutdown(10000)


def test_worker_streams_items_then_returns_in_order(qtbot, pool):
    def job(cancel):
        for i in range(3):
            yield i
        return "done"

    w = Worker(job)
    got = []
    w.signals.yielded.connect(got.append)
    sigs = [w.signals.started, w.signals.yielded, w.signals.yielded, w.signals.yielded, w.signals.returned,
            w.signals.finished]
    with qtbot.waitSignals(sigs, order="strict", timeout=5000):
        pool.start(w)
    assert got == [0, 1, 2]


def test_worker_abort_stops_between_items_and_runs_finally(qtbot, pool):
    gate = threading.Event()
    closed = threading.Event()

    def job(cancel):
        try:
            i = 0
            while True:
                yield i
                i += 1
                gate.wait(5)
        finally:
            closed.set()

    w = Worker(job)
    got = []
    w.signals.yielded.connect(got.append)
    with qtbot.waitSignal(w.signals.yielded, timeout=5000):
        pool.start(w)
    with qtbot.waitSignal(w.signals.finished, timeout=5000):
        w.abort()
        gate.set()
    assert closed.is_set()  # the generator was closed, its finally ran
    assert got[0] == 0 and len(got) <= 2


def test_worker_error_is_delivered_not_raised(qtbot, pool):
    def job(cancel):
        yield 1
        raise MediaError("x.png: not an image")

    w = Worker(job)
    errors = []
    w.signals.errored.connect(errors.append)
    with qtbot.waitSignals([w.signals.started, w.signals.yielded, w.signals.errored, w.signals.finished],
                           order="strict", timeout=5000):
        pool.start(w)
    assert isinstance(errors[0], MediaError) and "x.png" in str(errors[0])


def test_plain_function_job_returns_value(qtbot, pool):
    w = Worker(lambda cancel: 42)
    with qtbot.waitSignal(w.signals.returned, timeout=5000) as blocker:
        pool.start(w)
    assert blocker.args == [42]


# ---------------------------------------------------------------------------------------------------- settings ---
def test_settings_typed_roundtrip_survives_restart(tmp_path, qapp):
    s = Settings(tmp_path)
    s.set("target", "vue")
    s.set("temperature", 0.7)
    s.set("max_new_tokens", 321)
    s.set("live_preview", False)
    s.set("checkpoint_dir", "/models/k25")
    s.sync()
    del s
    again = Settings(tmp_path)  # a new QSettings object reading the INI file, as at the next start
    assert again.get("target") == "vue"
    assert again.get("temperature") == pytest.approx(0.7)
    assert again.get("max_new_tokens") == 321 and isinstance(again.get("max_new_tokens"), int)
    assert again.get("live_preview") is False
    assert again.get("checkpoint_dir") == "/models/k25"


def test_settings_bad_values_fall_back_to_defaults(tmp_path, qapp):
    (tmp_path / "settings.ini").write_text("[General]\ntarget=cobol\nmax_new_tokens=lots\ntemperature=9\n"
                                           "live_preview=maybe\n")
    s = Settings(tmp_path)
    defaults = {x.key: x.default for x in SCHEMA}
    for key in ("target", "max_new_tokens", "temperature", "live_preview"):
        assert s.get(key) == defaults[key], key


def test_coerce_parses_bools_explicitly():
    setting = next(x for x in SCHEMA if x.key == "live_preview")
    assert coerce(setting, "false") is False and coerce(setting, "1") is True and coerce(setting, "no") is False


def test_api_key_without_keyring_is_plaintext_owner_only(tmp_path, qapp, monkeypatch):
    import app.gui.settings as settings_mod

    monkeypatch.setattr(settings_mod, "_usable_keyring", lambda: None)
    s = Settings(tmp_path)
    assert s.api_key_storage() == "plaintext"
    assert s.set_api_key("sk-test-123") == "plaintext"
    assert Settings(tmp_path).api_key() == "sk-test-123"
    assert stat.S_IMODE(os.stat(s.path).st_mode) == 0o600


def test_api_key_goes_to_keyring_and_not_to_the_file(tmp_path, qapp, monkeypatch):
    import app.gui.settings as settings_mod

    class MemoryKeyring:
        store = {}

        def get_password(self, service, user):
            return self.store.get((service, user))

        def set_password(self, service, user, value):
            self.store[(service, user)] = value

        def delete_password(self, service, user):
            self.store.pop((service, user), None)

    kr = MemoryKeyring()
    monkeypatch.setattr(settings_mod, "_usable_keyring", lambda: kr)
    s = Settings(tmp_path)
    assert s.set_api_key("sk-secret-999") == "keyring"
    s.set("base_url", "http://10.0.0.5:8000/v1")
    s.sync()
    assert "sk-secret-999" not in s.path.read_text() and s.api_key() == "sk-secret-999"


# ---------------------------------------------------------------------------------------------------- autosave ---
def test_recovery_store_ignores_live_sessions_and_cleanly_closed_ones(tmp_path, qapp):
    a = RecoveryStore(tmp_path)
    assert a.save(Snapshot(code="<h1>a</h1>"))
    b = RecoveryStore(tmp_path)
    assert b.orphaned_sessions() == []  # a is alive (its lock is held by this process)
    a.close()
    assert not a.path.exists()
    assert b.orphaned_sessions() == []


def test_recovery_store_offers_unsaved_code_after_a_normal_close(tmp_path, qapp):
    a = RecoveryStore(tmp_path)
    a.close(keep=Snapshot(code="<p>unsaved</p>", target="vue"))
    b = RecoveryStore(tmp_path)
    orphans = b.orphaned_sessions()
    assert [o.snapshot.code for o in orphans] == ["<p>unsaved</p>"] and orphans[0].snapshot.clean_exit
    orphans[0].discard()
    assert RecoveryStore(tmp_path).orphaned_sessions() == []


def test_snapshot_rejects_foreign_json():
    with pytest.raises(ValueError):
        Snapshot.from_json('{"code": 1}')


# ---------------------------------------------------------------------------------------------------- history ----
def test_history_push_back_forward_and_branching():
    h = VersionHistory()
    assert h.push(Version("a", "html", "generated"))
    assert not h.push(Version("a", "html", "generated"))  # identical code is not a new version
    h.push(Version("b", "html", "edit: dark header"))
    h.push(Version("c", "html", "generated"))
    assert h.back().code == "b" and h.back().code == "a" and h.back().code == "a"
    assert h.forward().code == "b"
    h.push(Version("d", "html", "manual"))  # a new version after stepping back drops "c"
    assert [v.code for v in h.versions] == ["a", "b", "d"] and not h.can_forward()
    again = VersionHistory.from_list(h.to_list(), 1)
    assert again.current.code == "b" and len(again) == 3


def test_history_load_restores_in_place_and_skips_malformed_versions():
    h = VersionHistory()
    h.push(Version("a", "html", "generated"))
    shared = h  # the window, the session and autosave hold this one object
    h.load([{"code": "x", "target": "react", "source": "manual"}, {"target": "html"}, {"code": "y"}], 0)
    assert shared is h and [(v.code, v.target) for v in h.versions] == [("x", "react"), ("y", "html")]
    assert h.current.code == "x" and h.can_forward()
    h.load([], 3)
    assert len(h) == 0 and h.index == -1 and h.current is None


def test_describe_backend_names_the_model_and_device():
    assert describe_backend({"backend": "mini", "checkpoint_dir": "", "device": "cpu"}) == ("embedded mini", "cpu")
    assert describe_backend({"backend": "checkpoint", "checkpoint_dir": "/m/k25-tiny", "device": "cuda"}) \
        == ("k25-tiny", "cuda")
    assert describe_backend({"backend": "openai", "remote_model": "", "base_url": "http://h/v1"}) \
        == ("default @ http://h/v1", "remote")


# ---------------------------------------------------------------------------------------------------- inputs -----
def test_mime_local_files_become_paths(tmp_path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.png")), QUrl.fromLocalFile(str(tmp_path / "b.mp4"))])
    payloads = payloads_from_mime(mime)
    assert [p.kind for p in payloads] == ["path", "path"]
    assert payloads[1].path.endswith("b.mp4")


def test_a_drag_is_accepted_only_with_files_or_image_data(qapp, tmp_path):
    text = QMimeData()
    text.setText("just words")
    assert not offers_input(text)
    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.png"))])
    picture = QMimeData()
    picture.setData("image/png", png_bytes())
    assert offers_input(files) and offers_input(picture)


def test_mime_image_bytes_from_a_browser_drag(qapp):
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/hero.png")])  # the browser also sends the link…
    mime.setData("image/png", png_bytes())  # …and the picture itself
    (payload,) = payloads_from_mime(mime)
    assert payload.kind == "bytes" and Image.open(io.BytesIO(payload.data)).size == (40, 30)


def test_mime_qimage_and_html_data_uri(qapp):
    mime = QMimeData()
    img = QImage(16, 8, QImage.Format.Format_RGB32)
    img.fill(QColor(0, 128, 255))
    mime.setImageData(img)
    (payload,) = payloads_from_mime(mime)
    assert Image.open(io.BytesIO(payload.data)).size == (16, 8)
    import base64

    html = QMimeData()
    html.setHtml(f'<img src="data:image/png;base64,{base64.b64encode(png_bytes()).decode()}">')
    (payload,) = payloads_from_mime(html)
    assert Image.open(io.BytesIO(payload.data)).size == (40, 30)


def test_mime_remote_link_only_is_refused_with_a_message():
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/hero.png")])
    with pytest.raises(MediaError, match="never downloads"):
        payloads_from_mime(mime)
    with pytest.raises(MediaError, match="no image"):
        payloads_from_mime(QMimeData())


def test_load_payloads_decodes_and_names_bad_files(tmp_path):
    good = tmp_path / "mock.png"
    good.write_bytes(png_bytes((10, 200, 10), (64, 48)))
    bad = tmp_path / "notes.png"
    bad.write_text("this is not a picture")
    items = list(load_payloads([Payload("path", path=str(good)), Payload("bytes", data=png_bytes(), label="x")]))
    assert [it.image.size for it in items] == [(64, 48), (40, 30)] and items[0].source == str(good)
    with pytest.raises(MediaError, match="notes.png"):
        list(load_payloads([Payload("path", path=str(bad))]))


# ---------------------------------------------------------------------------------------------------- editor -----
def _format_at(editor, line: int, column: int):
    block = editor.document().findBlockByNumber(line)
    for r in block.layout().formats():
        if r.start <= column < r.start + r.length:
            return r.format.foreground().color().name()
    return None


def test_highlighter_html_css_js_states(qapp):
    from app.gui.editor import FORMATS, CodeEditor

    e = CodeEditor()
    e.setPlainText("<style>\n.hero { color: #fff; }\n/* a\nlong comment */\n</style>\n<script>\nconst x = 1;\n"
                   "</script>\n<div class=\"a\">hi</div>")
    tag, prop, comment, kw = (FORMATS[k].foreground().color().name() for k in ("tag", "property", "comment",
                                                                                "keyword"))
    assert _format_at(e, 0, 1) == tag  # <style
    assert _format_at(e, 1, 8) == prop  # color inside <style>
    assert _format_at(e, 3, 2) == comment  # second line of a CSS comment: a state carried across lines
    assert _format_at(e, 6, 0) == kw  # const inside <script>
    assert _format_at(e, 8, 1) == tag  # back in HTML after </script>


def test_editor_append_stream_keeps_the_user_cursor(qapp):
    from PySide6.QtGui import QTextCursor

    from app.gui.editor import CodeEditor

    e = CodeEditor()
    e.setPlainText("<div>")
    c = e.textCursor()
    c.setPosition(2)
    e.setTextCursor(c)
    for piece in ("\n  <p>", "hi</p>", "\n</div>"):
        e.append_stream(piece)
    assert e.toPlainText() == "<div>\n  <p>hi</p>\n</div>"
    assert e.textCursor().position() == 2
    assert e.textCursor().position() != e.document().characterCount() - 1
    del QTextCursor
