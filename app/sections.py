"""Divide and conquer for long pages (the DCGen idea): cut a screenshot into horizontal bands, convert each
band on its own, join the bands' pages into one.

A small model writes a short page well and a long one badly: on 200 held-out pages the embedded mini model's
Block-Match falls from 0.68 on pages of under 10 text blocks to 0.34 on pages of 30 or more, because it stops
before the page's end. A band holds few enough lines for it to finish.

- `bands(image, lines)` picks the cuts: rows of one colour right across the page and clear of every OCR
  line; among the cuts that keep a band within `max_lines` lines, the one where the background changes (a
  section's edge) or, failing that, the widest gap (bands of more than half the lines allowed preferred).
  A page with few lines stays whole.
- `join_pages(pages, heights)` makes one page of the bands' pages: each band's body becomes a
  `<div class="uc-bandK">` at least as tall as its band was, and its stylesheet is scoped to that div (`body`
  and `html` rules style the div, every other selector is prefixed), so that the bands' class names cannot
  clash; the first band's `body` rules also style the page. One `<style>` block, as the model writes it.

Each band writes its own stylesheet, so a page in three bands costs about 1.9x the time of the whole page
(`bench/bands.py`); that is why it is asked for (`uicode convert --bands`) rather than the default. Measured
gains and the variants tried: bench/RESULTS.md, "Long pages band by band".

Not here: converting a band (`app.pipeline`), reading the lines (`vision.ocr`).
"""
from __future__ import annotations

import bisect
import re
from typing import Sequence

import numpy as np
from PIL import Image

MAX_LINES = 12        # OCR lines a band may hold (16 scored no better than whole pages on 25 held-out pages)
UNIFORM_TOLERANCE = 6  # a cut row's pixels differ by at most this in each channel
MIN_BAND = 64         # px: no band is thinner


def bands(image: Image.Image, lines: Sequence, max_lines: int = MAX_LINES) -> list[tuple[int, int]]:
    """[(top, bottom)] rows of `image` to convert one by one, top to bottom, covering it; one band when the
    page has no more than `max_lines` lines or no row to cut at. `lines`: OCR lines (x, y, w, h in pixels)."""
    height = image.height
    centres = sorted(ln.y + ln.h / 2 for ln in lines)
    if len(centres) <= max_lines:
        return [(0, height)]
    arr = np.asarray(image.convert("RGB"), dtype=np.int16)
    uniform = (arr.max(axis=1) - arr.min(axis=1)).max(axis=1) <= UNIFORM_TOLERANCE
    for ln in lines:
        uniform[max(0, ln.y - 2):ln.y + ln.h + 2] = False
    cuts = _cut_candidates(arr, uniform)
    def held(top, y):  # lines whose centre lies between two cut rows
        return bisect.bisect_left(centres, y) - bisect.bisect_right(centres, top)

    out, top = [], 0
    while held(top, height) > max_lines:
        fits = [(y, edge, run, held(top, y)) for y, edge, run in cuts
                if y - top >= MIN_BAND and height - y >= MIN_BAND and 0 < held(top, y) <= max_lines]
        if not fits:
            break
        full = [f for f in fits if f[3] > max_lines // 2] or fits
        y = max(full, key=lambda f: (f[1], f[2]))[0]
        out.append((top, y))
        top = y
    out.append((top, height))
    return out


def _cut_candidates(arr: np.ndarray, uniform: np.ndarray) -> list[tuple[int, bool, int]]:
    """(row, background changes across it, run length) for the middle of each run of uniform rows; at a
    section's edge (the colour above the run differs from the colour below) the cut is the run's top."""
    out, y, height = [], 0, len(uniform)
    while y < height:
        if not uniform[y]:
            y += 1
            continue
        start = y
        while y < height and uniform[y]:
            y += 1
        above, below = arr[start, 0], arr[y - 1, 0]
        edge = bool(np.abs(above - below).max() > 2 * UNIFORM_TOLERANCE)
        if start > 0 and y < height:
            if edge:  # the first row where the colour below begins
                change = next(k for k in range(start, y) if np.abs(arr[k, 0] - above).max() > 2 * UNIFORM_TOLERANCE)
                out.append((change, True, y - start))
            else:
                out.append(((start + y) // 2, False, y - start))
    return out


def crop(image: Image.Image, band: tuple[int, int]) -> Image.Image:
    return image.crop((0, band[0], image.width, band[1]))


# ---- joining the bands' pages -------------------------------------------------------------------------------

_STYLE = re.compile(r"<style[^>]*>(.*?)</style\s*>", re.S | re.I)
_BODY = re.compile(r"<body([^>]*)>(.*?)(?:</body\s*>|$)", re.S | re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.S | re.I)
_CLASS = re.compile(r"""\bclass\s*=\s*(["'])(.*?)\1""", re.S | re.I)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_ROOT = re.compile(r"(?:html|body|:root)\b", re.I)


def join_pages(pages: Sequence[str], heights: Sequence[int] | None = None) -> str:
    """One HTML page from the bands' pages, in order (see the module doc); `heights`: each band's height in
    the input (px), kept as the band's least height so that each starts where it did. The first band's
    `html`/`body` rules also style the page itself (its background runs on below the last band). A single
    page is returned as is."""
    if len(pages) == 1:
        return pages[0]
    css, bodies, title = [], [], None
    for k, page in enumerate(pages, 1):
        scope = f"uc-band{k}"
        sheets = _STYLE.findall(page)
        if k == 1:
            css.extend(root_rules(s) for s in sheets)
        css.extend(scope_css(s, "." + scope) for s in sheets)
        if heights:
            css.append(f".{scope}{{min-height:{int(heights[k - 1])}px}}")
        title = title or next(iter(_TITLE.findall(page)), None)
        body = _BODY.search(page)
        attrs, inner = (body.group(1), body.group(2)) if body else ("", _STYLE.sub("", page))
        cls = _CLASS.search(attrs)
        classes = scope + (" " + cls.group(2) if cls else "")
        inner = _STYLE.sub("", inner)  # a stray body stylesheet: its rules are scoped into the head already
        bodies.append(f'<div class="{classes}">\n{inner.strip()}\n</div>')
    style = "body{margin:0}\n" + "\n".join(c.strip() for c in css if c.strip())
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            + (f"<title>{title.strip()}</title>\n" if title else "")
            + f"<style>\n{style}\n</style>\n</head>\n<body>\n" + "\n".join(bodies) + "\n</body>\n</html>\n")


def root_rules(css: str) -> str:
    """The rules of `css` that style the page itself (`html`, `body`, `:root` alone), as they are."""
    css = _COMMENT.sub("", css)
    out = []
    for head, inner in re.findall(r"([^{}]*)\{([^{}]*)\}", css):
        if head.strip() and all(_ROOT.fullmatch(h.strip()) for h in head.split(",")):
            out.append(f"{head.strip()}{{{inner.strip()}}}")
    return "\n".join(out)


def scope_css(css: str, scope: str) -> str:
    """`css` with every rule limited to the element `scope` selects: `html`/`body`/`:root` stand for it,
    other selectors are prefixed with it; `@media`/`@supports` blocks are scoped inside, other at-rules
    (`@keyframes`, `@font-face`) kept as they are."""
    css = _COMMENT.sub("", css)
    out, i = [], 0
    while True:
        j = css.find("{", i)
        if j < 0:
            break
        head = css[i:j].strip()
        k = _block_end(css, j)
        inner = css[j + 1:k]
        if head.startswith("@"):
            scoped = scope_css(inner, scope) if head.lower().startswith(("@media", "@supports")) else inner
            out.append(f"{head}{{{scoped}}}")
        elif head:
            out.append(",".join(_scope_selector(s, scope) for s in head.split(",")) + "{" + inner.strip() + "}")
        i = k + 1
    return "\n".join(out)


def _block_end(css: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(css)):
        depth += {"{": 1, "}": -1}.get(css[k], 0)
        if depth == 0:
            return k
    return len(css)


def _scope_selector(sel: str, scope: str) -> str:
    sel = " ".join(sel.split())
    rest, root = sel, False
    while _ROOT.match(rest):  # "html body .x" → ".scope .x"
        rest, root = _ROOT.sub("", rest, count=1).strip(), True
    if root:
        return f"{scope} {rest}" if rest else scope
    return f"{scope} {sel}"
