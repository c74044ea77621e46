"""The live preview with the real renderer (headless Chromium via app/scoring/render.py): both widths, the visual
score, debouncing/coalescing, and no network access from the previewed page."""
import http.server
import shutil
import threading

import pytest
from PIL import Image

pytest.importorskip("PySide6")
pytest.importorskip("playwright")
if shutil.which("chromium") is None and not __import__("os").path.exists("/usr/bin/chromium"):
    pytest.skip("Chromium is not installed", allow_module_level=True)

from app.gui.preview import DESKTOP, MOBILE, PreviewPane  # noqa: E402
from app.gui.render_lane import close_thread_renderer, render_png, visual_score  # noqa: E402
from app.gui.worker import Worker, WorkerPool  # noqa: E402


@pytest.fixture(scope="module")
def pane(qapp):
    # One pane and one lane for the module: Chromium starts once (~1-2 s) and is reused, as in the app.
    lane = WorkerPool(max_threads=1, keep_thread=True)
    p = PreviewPane(lane, render_png, visual_score, debounce_ms=150)
    p.resize(900, 700)
    p.show()
    yield p
    p.timer.stop()
    lane.wait(20000)
    lane.start(Worker(lambda cancel: close_thread_renderer(), name="close-renderer"))
    lane.wait(20000)
    # Delete the widget now, while the application exists; a module-scoped widget left to interpreter exit
    # would be destroyed after QApplication.
    import shiboken6

    p.close()
    shiboken6.delete(p)


def page(color: str, extra: str = "") -> str:
    return (f"<!DOCTYPE html><html><head><style>body{{margin:0;background:{color}}}"
            f"h1{{color:#fff;padding:40px}}</style></head><body><h1>Preview</h1>{extra}</body></html>")


def center_rgb(view) -> tuple[int, int, int]:
    image = view.pixmap.toImage()
    c = image.pixelColor(image.width() // 2, image.height() // 2)
    return c.red(), c.green(), c.blue()


def test_renders_desktop_and_mobile_and_scores(qtbot, pane):
    reference = Image.new("RGB", (1280, 800), (0, 128, 0))
    with qtbot.waitSignal(pane.rendered, timeout=60000) as blocker:
        pane.request(page("rgb(0,128,0)"), "html", reference, immediate=True)
    out = blocker.args[0]
    assert pane.desktop.image.width == DESKTOP[0] and pane.mobile.image.width == MOBILE[0]
    assert pane.desktop.pixmap.width() <= pane.desktop.fit_width()  # shown scaled to the pane
    assert center_rgb(pane.desktop) == (0, 128, 0)
    assert out.score > 0.9 and "Visual score" in pane.score_label.text()  # a flat green page vs flat green
    with qtbot.waitSignal(pane.rendered, timeout=60000) as blocker:
        pane.request(page("rgb(250,250,250)"), "html", reference, immediate=True)
    assert blocker.args[0].score < out.score


def test_rapid_changes_are_coalesced_and_the_last_code_wins(qtbot, pane):
    before = pane.renders
    colors = ["rgb(200,0,0)", "rgb(0,0,200)", "rgb(200,200,0)", "rgb(0,200,200)", "rgb(90,20,140)"]
    for color in colors:  # like tokens arriving: many changes within the debounce interval
        pane.request(page(color), "html", None)
    qtbot.waitUntil(lambda: pane.renders > before and not pane.busy(), timeout=60000)
    assert pane.renders - before <= 2  # five changes, at most two renders
    assert center_rgb(pane.desktop) == (90, 20, 140)


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802 -- http.server API
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_previewed_page_cannot_reach_the_network(qtbot, pane):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        extra = (f"<img src='{url}/img.png'><link rel='stylesheet' href='{url}/x.css'>"
                 f"<script>fetch('{url}/api').catch(()=>{{}});</script>")
        with qtbot.waitSignal(pane.rendered, timeout=60000):
            pane.request(page("rgb(10,10,10)", extra), "html", None, immediate=True)
        # Sanity: the server does answer when asked directly, so zero hits means the page was blocked.
        import urllib.request

        urllib.request.urlopen(f"{url}/direct", timeout=5).read()
        assert _Counter.hits == ["/direct"]
    finally:
        server.shutdown()
