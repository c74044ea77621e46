"""app/scoring/render.py: PNG rendering, text blocks with boxes and colours, the network block, JS switch,
full-page vs viewport screenshots, and clear errors."""
import http.server
import io
import threading

import numpy as np
import pytest
from PIL import Image

from app.scoring.render import Renderer, parse_css_color
from uicode.errors import RenderError


@pytest.fixture(scope="module")
def renderer():
    with Renderer() as r:
        yield r


@pytest.fixture
def server():
    """A local HTTP server counting the requests that reach it."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"body{background:red}")

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", hits
    srv.shutdown()
    srv.server_close()


PAGE = """<!DOCTYPE html><html><head><style>body{margin:0;font:16px sans-serif}
h1{margin:20px;color:#ff0000;font-size:32px} .pad{height:1500px}</style></head>
<body><h1>Hello uicode</h1><p style="color:rgb(0,0,255);margin:20px">Blue text</p>
<input placeholder="Email" style="margin:20px"><div class="pad"></div></body></html>"""


def test_png_and_text_blocks(renderer):
    res = renderer.render(PAGE, width=800, height=600, full_page=False)
    img = Image.open(io.BytesIO(res.png))
    assert img.size == (800, 600) == (res.width, res.height)
    by_text = {b.text: b for b in res.blocks}
    h1 = by_text["Hello uicode"]
    assert h1.color == (255, 0, 0) and by_text["Blue text"].color == (0, 0, 255)
    assert 18 <= h1.x <= 22 and 15 <= h1.y <= 25 and h1.w > 100 and 30 <= h1.h <= 45
    assert "Email" in by_text  # placeholders count as text
    # The block's box really holds red pixels in the screenshot.
    crop = img.convert("RGB").crop((int(h1.x), int(h1.y), int(h1.x + h1.w), int(h1.y + h1.h)))
    px = np.asarray(crop)
    assert ((px[..., 0] > 200) & (px[..., 1] < 60) & (px[..., 2] < 60)).any()


def test_full_page_viewport_and_cap(renderer):
    full = renderer.render(PAGE, width=640, height=480)
    assert full.width == 640 and full.height > 1500
    assert renderer.render(PAGE, width=640, height=480, full_page=False).height == 480
    assert renderer.render(PAGE, width=640, height=480, max_height=1000).height == 1000
    mobile = renderer.render(PAGE, width=390, height=844, full_page=False)
    assert (mobile.width, mobile.height) == (390, 844)


def test_network_is_blocked(renderer, server):
    url, hits = server
    html = (f'<!DOCTYPE html><html><head><link rel="stylesheet" href="{url}/a.css">'
            f'<link rel="stylesheet" href="http://example.com/b.css"></head>'
            f'<body><img src="{url}/i.png"><iframe src="{url}/frame"></iframe>'
            f'<p style="background-image:url({url}/bg.png)">x</p></body></html>')
    res = renderer.render(html, width=400, height=300)
    assert hits == []
    assert any(u.startswith(url) for u in res.blocked) and "http://example.com/b.css" in res.blocked
    # The stylesheet never applied: the page background is not red.
    assert res.image().getpixel((200, 280)) == (255, 255, 255)


def test_javascript_off_by_default_and_blocked_when_on(server):
    url, hits = server
    html = (f"<!DOCTYPE html><html><body><p id=t>static</p><script>document.getElementById('t')"
            f".textContent='scripted';fetch('{url}/x').catch(()=>{{}});</script></body></html>")
    with Renderer() as r:
        assert [b.text for b in r.render(html, width=300, height=200).blocks] == ["static"]
    with Renderer(js=True) as r:
        res = r.render(html, width=300, height=200)
        assert [b.text for b in res.blocks] == ["scripted"]
    assert hits == []


def test_render_file_path(renderer, tmp_path):
    (tmp_path / "p.html").write_text(PAGE)
    res = renderer.render(tmp_path / "p.html", width=500, height=400, full_page=False)
    assert "Hello uicode" in [b.text for b in res.blocks]
    with pytest.raises(RenderError, match="no such HTML file"):
        renderer.render(tmp_path / "missing.html")


def test_missing_chromium_is_one_line_error(tmp_path):
    with pytest.raises(RenderError) as ei:
        Renderer(executable=str(tmp_path / "no-chromium")).start()
    msg = str(ei.value)
    assert "Chromium not found" in msg and "\n" not in msg


def test_render_speed_reuses_the_page(renderer):
    renderer.render(PAGE, width=800, height=600)
    times = [renderer.render(PAGE, width=800, height=600).seconds for _ in range(3)]
    # ~0.1–0.25 s on an idle 2-core machine; generous for a loaded CI box.
    assert min(times) < 2.0


@pytest.mark.parametrize("css, rgb", [
    ("rgb(255, 0, 0)", (255, 0, 0)),
    ("rgba(10, 20, 30, 0.5)", (10, 20, 30)),
    ("color(srgb 1 0.5 0)", (255, 128, 0)),
])
def test_parse_css_color(css, rgb):
    assert parse_css_color(css) == rgb
