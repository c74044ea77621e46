"""The page handed over: the engine's code, with each region the model wrote closer to the input kept.

`compose(written, model_html, image, renderer)` renders the engine's page (`app.compose.html.Written`) and
the model's page at the input's width in headless Chromium and, region by region of the engine's page (its
bands: header, sections, footer):

1. finds the model's element for the region: the element whose visible text matches the region's text best
   (word F1 ≥ MATCH; of equal ones the innermost), and which has no absolutely positioned text in it — the
   model's part is flow-layout code too, or it is not kept;
2. scores both against the input's rows of that region: SSIM of the rendered element against the input's
   crop (`app.scoring.fidelity.visual_score`), and the word F1 of its text against the region's text;
3. keeps the model's element where it scores more than MARGIN higher: written in the region's element in
   place of the engine's content, with the model's stylesheet scoped to it (`app.compose.join.scope_css`).

Nothing is painted over anything: each region is one author's code. When the engine reads no text at all (an
icon-only mockup, a picture), the model's page is handed over whole, if its text is in flow. `model_share` is the
share of the visible text characters of the page handed over that lie in regions the model wrote;
`Composed.scores` keeps both scores of each region, so a run can say how far the model's regions are from being
kept (`bench/recompose.py`).

Not here: writing the engine's code (`app.compose.html`), rendering (`app.scoring.render`).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from PIL import Image

MATCH = 0.5     # word F1 a model element needs with a region's text to stand for it
MARGIN = 0.02   # the model's element is kept when it scores this much more than the engine's region
SCOPE = "from-model"
MAX_ELEMENTS = 600

_REGIONS_JS = r"""
(n) => {
  const out = [], kids = [];
  for (const el of document.body.children) {
    if (el.tagName === 'MAIN') kids.push(...el.children); else kids.push(el);
  }
  for (const el of kids.slice(0, n)) {
    const r = el.getBoundingClientRect();
    out.push([r.left + scrollX, r.top + scrollY, r.width, r.height, el.innerText || '']);
  }
  return out;
}
"""

_ELEMENTS_JS = r"""
(limit) => {
  const out = [];
  const placed = (el) => { const p = getComputedStyle(el).position; return p === 'absolute' || p === 'fixed'; };
  const walk = (el, depth) => {
    if (out.length >= limit) return;
    const text = (el.innerText || '').trim();
    if (!text) return;
    const r = el.getBoundingClientRect();
    let abs = placed(el);
    for (const d of el.querySelectorAll('*')) { if (abs) break; abs = placed(d) && (d.innerText || '').trim(); }
    out.push([r.left + scrollX, r.top + scrollY, r.width, r.height, text, depth, !!abs, el.outerHTML]);
    for (const c of el.children) walk(c, depth + 1);
  };
  if (document.body) for (const c of document.body.children) walk(c, 1);
  return out;
}
"""


@dataclass
class Composed:
    html: str
    model_share: float
    model_regions: int  # regions of the page the model's code fills
    # each region with text, in page order: (its tag, the engine's score, the model's element's score), both
    # None where no element of the model's page matches its text (not scored) — how far the model is from being kept
    scores: tuple = ()


def words(text: str) -> Counter:
    return Counter(w.lower() for w in re.findall(r"\w+", text))


def f1(a: Counter, b: Counter) -> float:
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(b.values()), common / sum(a.values())
    return 2 * p * r / (p + r)


def _crop(image: Image.Image, box) -> Image.Image | None:
    x, y, w, h = (int(round(v)) for v in box[:4])
    x, y = max(0, x), max(0, y)
    w, h = min(w, image.width - x), min(h, image.height - y)
    if w < 8 or h < 8:
        return None
    return image.crop((x, y, x + w, y + h))


def _score(reference: Image.Image, shot: Image.Image | None, text: str, want: Counter) -> float:
    from app.scoring.fidelity import visual_score

    if shot is None:
        return 0.0
    return 0.6 * visual_score(reference, shot) + 0.4 * f1(want, words(text))


def compose(written, model_html: str | None, image: Image.Image, renderer) -> Composed:
    """The page handed over (see the module doc). `written`: the engine's page; `model_html`: the model's
    page, or None; `image`: the input screenshot; `renderer`: an `app.scoring.render.Renderer`."""
    engine_html = written.html()
    total = sum(len(_text(b)) for _, _, _, b in written.regions)
    if not model_html or not model_html.strip():
        return Composed(engine_html, 0.0, 0)
    from app.markup.parse import split_page
    from app.compose.join import scope_css

    image = image.convert("RGB")
    width, height = image.width, max(240, min(image.height, 4000))
    if not total:
        # the engine read no text (an icon-only mockup, a picture): the model's page, if it is flow-layout text
        renderer.render(model_html, width=width, height=height, full_page=True, max_height=4000)
        theirs = renderer.probe(_ELEMENTS_JS, MAX_ELEMENTS)
        if theirs and not any(el[6] for el in theirs):
            return Composed(model_html, 1.0, 0)
        return Composed(engine_html, 0.0, 0)
    shot_e = renderer.render(engine_html, width=width, height=height, full_page=True, max_height=4000)
    ours = renderer.probe(_REGIONS_JS, len(written.regions))
    shot_m = renderer.render(model_html, width=width, height=height, full_page=True, max_height=4000)
    theirs = renderer.probe(_ELEMENTS_JS, MAX_ELEMENTS)
    img_e, img_m = shot_e.image(), shot_m.image()
    parts = list(written.parts)
    kept, model_chars = 0, 0
    used: list[tuple] = []
    scores = []
    for (at, tag, cls, band), region in zip(written.regions, ours):
        want = words(_text(band))
        if not want:
            continue
        ref = _crop(image, (0, band.y, width, band.h))
        if ref is None:
            continue
        best = None
        for el in theirs:
            if el[6] or any(_within(el, u) or _within(u, el) for u in used):
                continue
            s = f1(want, words(el[4]))
            if s >= MATCH and (best is None or s > best[0] + 1e-9 or (abs(s - best[0]) <= 1e-9 and el[5] > best[1][5])):
                best = (s, el)
        if best is None:
            scores.append((tag, None, None))
            continue
        el = best[1]
        engine_score = _score(ref, _crop(img_e, (0, region[1], width, region[3])), region[4], want)
        model_score = _score(ref, _crop(img_m, (0, el[1], width, el[3])), el[4], want)
        scores.append((tag, engine_score, model_score))
        if model_score > engine_score + MARGIN:
            parts[at] = f'<{tag} class="{SCOPE}">\n{el[7]}\n</{tag}>'
            used.append(el)
            kept += 1
            model_chars += len(el[4].replace("\n", " ").strip())
            total += len(el[4].replace("\n", " ").strip()) - len(_text(band))
    if not kept:
        return Composed(engine_html, 0.0, 0, tuple(scores))
    model_css = scope_css(split_page(model_html).css, f".{SCOPE}")
    return Composed(written.html(parts, model_css), model_chars / max(1, total), kept, tuple(scores))


def _within(a, b) -> bool:
    """Whether element `a`'s box lies inside element `b`'s (both [x, y, w, h, …])."""
    return a[0] >= b[0] - 1 and a[1] >= b[1] - 1 and a[0] + a[2] <= b[0] + b[2] + 1 and a[1] + a[3] <= b[1] + b[3] + 1


def _text(band) -> str:
    return " ".join(n.text for n in band.walk() if n.text)
