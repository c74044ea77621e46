"""Headless-Chromium rendering of HTML to PNG, with the page's text blocks (text, box, colour).

One `Renderer` owns one Playwright driver, one Chromium process (Debian's `/usr/bin/chromium`; never a
browser downloaded by `playwright install`) and one reused page, so a render costs ~0.1–0.25 s
instead of the ~1.2 s of a fresh browser. It is shared by the corpus builder, the fidelity
evaluation and `convert --best-of`.

Network: every request whose URL is not `data:`, `blob:`, `file:` or `about:` is aborted by a
context-wide route, DNS is mapped to nothing (`--host-resolver-rules`), service workers are
blocked and, with JavaScript on, web sockets are closed. Aborted URLs are reported in
`RenderResult.blocked` so callers and tests can see what a page tried to fetch.

JavaScript of the rendered page is off by default (`js=False`): page scripts do not run, while the
renderer's own DOM probe (Playwright's `evaluate`) still does (tests/test_render.py checks both).

Thread-safety: Playwright's sync API binds every object to the thread that started it. A `Renderer`
must be created, used and closed on one thread, one render at a time; use one per thread or per
process (the corpus builder gives each worker process its own). Several Renderers on one thread
share that thread's Playwright driver (reference-counted), each with its own browser.

Not here: scoring (`app/scoring/fidelity.py`), OCR (`vision/ocr.py`), HTML generation (`train/corpus`).
"""
from __future__ import annotations

import io
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from uicode.errors import RenderError

CHROMIUM = "/usr/bin/chromium"
# Flags for a closed, quiet, deterministic browser (see shared/ENVIRONMENT.md pitfall 10).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
    "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--dns-prefetch-disable",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
ALLOWED_SCHEMES = ("data:", "blob:", "file:", "about:")


@dataclass(frozen=True)
class TextBlock:
    """One run of visible text: page-pixel box (x, y = top-left, CSS px of the full page) and its
    computed colour as (r, g, b) 0–255."""

    text: str
    x: float
    y: float
    w: float
    h: float
    color: tuple[int, int, int]

    def to_json(self) -> list:
        return [self.text, round(self.x, 1), round(self.y, 1), round(self.w, 1), round(self.h, 1),
                list(self.color)]

    @classmethod
    def from_json(cls, row: list) -> "TextBlock":
        text, x, y, w, h, color = row
        return cls(text, float(x), float(y), float(w), float(h), tuple(int(c) for c in color))


@dataclass
class RenderResult:
    png: bytes
    width: int  # of the PNG, px
    height: int
    viewport: tuple[int, int]
    blocks: list[TextBlock] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # URLs the page tried to load, aborted
    seconds: float = 0.0

    def image(self):
        """The screenshot as an RGB `PIL.Image`."""
        from PIL import Image

        return Image.open(io.BytesIO(self.png)).convert("RGB")


# The page's visible text nodes, walked one way by every reader of a rendered page (the text blocks here, the
# code-quality measures of `app.scoring.quality`): text under script, style, noscript, template, select or
# textarea is not shown as text, and an element hidden by display, visibility or opacity hides its text.
# A function declaration to put at the top of a script's body.
VISIBLE_TEXT_JS = r"""
  const visibleTextNodes = function* () {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = walker.nextNode())) {
      const el = n.parentElement;
      if (!el || el.closest('script,style,noscript,template,select,textarea')) continue;
      if (el.checkVisibility({opacityProperty: true, visibilityProperty: true})) yield n;
    }
  };
"""

# Text nodes → [text, x, y, w, h, css colour]; form controls contribute their shown value or
# placeholder. Coordinates are made page-absolute so they match a full-page screenshot.
_BLOCKS_JS = "() => {" + VISIBLE_TEXT_JS + r"""
  const out = [], sx = window.scrollX, sy = window.scrollY, range = document.createRange();
  const push = (text, r, color) => {
    text = text.replace(/\s+/g, ' ').trim();
    if (text && r.width >= 1 && r.height >= 1) out.push([text, r.left + sx, r.top + sy, r.width, r.height, color]);
  };
  if (!document.body) return out;
  for (const n of visibleTextNodes()) {
    range.selectNodeContents(n);
    push(n.textContent, range.getBoundingClientRect(), getComputedStyle(n.parentElement).color);
  }
  for (const el of document.body.querySelectorAll('input,textarea,select')) {
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})
        || ['checkbox', 'radio', 'hidden', 'range', 'color'].includes(el.type)) continue;
    const cs = getComputedStyle(el);
    let text = '', color = cs.color;
    if (el.tagName === 'SELECT') text = el.selectedOptions.length ? el.selectedOptions[0].text : '';
    else if (el.value) text = el.type === 'password' ? '•'.repeat(el.value.length) : el.value;
    else if (el.placeholder) { text = el.placeholder; color = getComputedStyle(el, '::placeholder').color; }
    push(text, el.getBoundingClientRect(), color);
  }
  return out;
}
"""

_NUM = re.compile(r"[-+]?\d*\.?\d+(?:e[-+]?\d+)?")


def parse_css_color(s: str) -> tuple[int, int, int]:
    """`rgb(…)`, `rgba(…)` or `color(srgb r g b)` (as Chromium reports computed colours) → 0–255 RGB."""
    nums = [float(v) for v in _NUM.findall(s)]
    if s.startswith("color(") and len(nums) >= 3:
        return tuple(int(round(max(0.0, min(1.0, v)) * 255)) for v in nums[:3])
    if len(nums) >= 3:
        return tuple(int(round(max(0.0, min(255.0, v)))) for v in nums[:3])
    return (0, 0, 0)


# Playwright's sync API allows one driver per thread: Renderers on the same thread share it
# (each keeps its own browser), counted so the last one to close stops it.
_local = threading.local()


def _acquire_driver(sync_playwright):
    if getattr(_local, "count", 0) == 0:
        _local.driver = sync_playwright().start()
    _local.count = getattr(_local, "count", 0) + 1
    return _local.driver


def _release_driver() -> None:
    _local.count -= 1
    if _local.count == 0:
        try:
            _local.driver.stop()
        finally:
            _local.driver = None


class Renderer:
    """`with Renderer() as r: res = r.render(html, width=1280, height=800)`.

    `render` takes an HTML string, or a `Path` to an .html file (loaded by file URL, so relative
    images resolve). `full_page=True` screenshots the whole document height, capped at
    `max_height` px when given; `full_page=False` screenshots the viewport only. `probe(js)` then runs a
    script of the caller's on the rendered page, at that render's viewport.
    """

    def __init__(self, *, js: bool = False, executable: str = CHROMIUM, timeout_s: float = 15.0):
        self.js = js
        self.executable = executable
        self.timeout_ms = int(timeout_s * 1000)
        self._pw = self._browser = self._context = self._page = None
        self._blocked: list[str] = []
        self._profile: str | None = None

    # -- lifecycle
    def __enter__(self) -> "Renderer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        if self._page is not None:
            return
        if not Path(self.executable).exists() and shutil.which(self.executable) is None:
            raise RenderError(f"Chromium not found at {self.executable}: install the Debian package "
                              "'chromium' (scripts/setup.sh does it)")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise RenderError(f"Playwright is not installed ({e}); run scripts/setup.sh") from None
        try:
            self._pw = _acquire_driver(sync_playwright)
            self._browser = self._pw.chromium.launch(executable_path=self.executable, args=CHROMIUM_ARGS,
                                                     headless=True, timeout=self.timeout_ms * 2)
            self._context = self._browser.new_context(java_script_enabled=self.js, service_workers="block",
                                                      device_scale_factor=1)
            self._context.route("**/*", self._route)
            if self.js and hasattr(self._context, "route_web_socket"):
                self._context.route_web_socket(re.compile(".*"), self._route_ws)
            self._page = self._context.new_page()
            self._page.set_default_timeout(self.timeout_ms)
        except RenderError:
            raise
        except Exception as e:
            self.close()
            raise RenderError(f"could not start Chromium at {self.executable}: {str(e).splitlines()[0]}") from None

    def close(self) -> None:
        for obj in (self._context, self._browser):
            if obj is not None:
                try:
                    obj.close()
                except Exception:
                    pass  # closing a half-started browser must not mask the original error
        if self._pw is not None:
            _release_driver()
        self._pw = self._browser = self._context = self._page = None

    # -- network policy
    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(ALLOWED_SCHEMES):
            route.continue_()
        else:
            self._blocked.append(url)
            route.abort("blockedbyclient")

    def _route_ws(self, ws) -> None:
        self._blocked.append(ws.url)
        ws.close()

    # -- rendering
    def render(self, html: str | Path, *, width: int = 1280, height: int = 800, full_page: bool = True,
               max_height: int | None = None, blocks: bool = True) -> RenderResult:
        if self._page is None:
            self.start()
        t0 = time.perf_counter()
        page = self._page
        self._blocked = []
        vp = page.viewport_size or {}
        if vp.get("width") != width or vp.get("height") != height:
            page.set_viewport_size({"width": int(width), "height": int(height)})
        try:
            if isinstance(html, Path):
                if not html.is_file():
                    raise RenderError(f"{html}: no such HTML file")
                page.goto(html.resolve().as_uri(), wait_until="load")
            else:
                page.set_content(html, wait_until="load")
            shot: dict = {"type": "png", "animations": "disabled", "caret": "hide"}
            if full_page:
                doc_h = int(page.evaluate("() => Math.ceil(document.documentElement.scrollHeight)"))
                shot["full_page"] = True
                if max_height and doc_h > max_height:
                    shot["clip"] = {"x": 0, "y": 0, "width": width, "height": max_height}
            png = page.screenshot(**shot)
            found = [TextBlock(t, x, y, w, h, parse_css_color(c))
                     for t, x, y, w, h, c in page.evaluate(_BLOCKS_JS)] if blocks else []
        except RenderError:
            raise
        except Exception as e:
            raise RenderError(f"rendering failed: {str(e).splitlines()[0]}") from None
        w, h = _png_size(png)
        return RenderResult(png=png, width=w, height=h, viewport=(width, height), blocks=found,
                            blocked=list(self._blocked), seconds=time.perf_counter() - t0)

    def probe(self, js: str, arg=None):
        """Evaluate `js` (a JavaScript function, given `arg`) on the page last rendered, as it stands at that
        render's viewport, and return its JSON result; for measures the text blocks do not carry."""
        if self._page is None:
            raise RenderError("nothing rendered yet: call render() before probe()")
        try:
            return self._page.evaluate(js, arg)
        except Exception as e:
            raise RenderError(f"probe failed: {str(e).splitlines()[0]}") from None


def _png_size(png: bytes) -> tuple[int, int]:
    # The IHDR chunk sits at a fixed offset in every PNG: width and height, big-endian.
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def render_html(html: str | Path, **kw) -> RenderResult:
    """One-off render with a throw-away browser (~1.5 s); prefer a `Renderer` for many pages."""
    with Renderer(js=kw.pop("js", False)) as r:
        return r.render(html, **kw)

