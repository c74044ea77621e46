"""Code-quality measures of a generated page against its reference, both rendered by headless Chromium.

Design2Code's five scores compare screenshots and text blocks at one viewport; a page built of absolutely
placed boxes can score well there and still fall apart at another width. These measures look at the code's
layout as Chromium lays it out (`QUALITY_JS`, run by `Renderer.probe` after a render):

  abs_text_share  share of the page's visible text characters (whitespace not counted) whose element or an
                  ancestor has computed `position: absolute` or `fixed`
  overlap_share   share of visible text nodes whose line boxes (`Range.getClientRects`) intersect another text
                  node's line boxes by more than `OVERLAP_MIN` of the smaller box's area; measured with the
                  viewport at the page's width (`overlap_page`) and at `PHONE` px (`overlap_390`)
  sideways_390    the page scrolls sideways at `PHONE` px: `documentElement.scrollWidth` or `body.scrollWidth`
                  exceeds the width by more than 1 px
  height_fit      the shorter of the two full-page heights at the page's width over the longer (each at most
                  `MAX_HEIGHT`): 1 when the page is as tall as the reference. Design2Code's scores match text
                  blocks wherever they lie, so a narrow column of the right words, four times the reference's
                  height, can score 0.6 and more; this shows it
  class_reuse     share of the body's elements with a class whose class attribute another element also carries:
                  repeated parts sharing a class, as people write them (a page of one-off classes scores 0);
                  at the page's width, from the DOM (`ref_class_reuse`: the reference's)
  d2c_768, d2c_390  Design2Code's mean (`app.scoring.fidelity.score_renders(...).overall`) with the reference and the
                  candidate both rendered full page (at most `MAX_HEIGHT` px) at 768 and at 390 px wide

"Visible": the text node's parent passes `checkVisibility` (display, visibility, opacity, ancestors
included) and the node has a line box of at least 1×1 px; text inside script, style, noscript, template,
select and textarea is left out, as in `app.scoring.render`'s blocks. Text clipped by an `overflow: hidden` box
still counts. The reference's figures are measured too, and the "beyond the reference" figures count what the
candidate adds: `overlap_*_beyond` = max(0, candidate − reference), `sideways_390_beyond` = the candidate
scrolls sideways at 390 px where the reference does not.

Not here: the five fidelity scores (`app/scoring/fidelity.py`), rendering (`app/scoring/render.py`), running an evaluation
(`app/scoring/evaluate.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.scoring.render import VISIBLE_TEXT_JS

PHONE = 390  # px: the narrow viewport (a phone held upright)
TABLET = 768  # px
OVERLAP_MIN = 0.2  # intersection over the smaller box's area above which two text boxes overlap
MAX_HEIGHT = 4096  # px: full-page screenshots are cut here, as `uicode eval` does

# → {chars, abs_chars, nodes, overlapping, scroll_width}: one pass over the visible text nodes, then a sweep
# over their line boxes sorted by top edge (pairs of boxes of the same node are not compared).
QUALITY_JS = "(minShare) => {" + VISIBLE_TEXT_JS + r"""
  const out = {chars: 0, abs_chars: 0, nodes: 0, overlapping: 0, scroll_width: 0, classed: 0, shared: 0};
  if (!document.body) return out;
  out.scroll_width = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
  const byClass = new Map();
  for (const el of document.body.querySelectorAll('[class]')) {
    const c = (el.getAttribute('class') || '').trim().split(/\s+/).sort().join(' ');
    if (!c) continue;
    out.classed += 1;
    byClass.set(c, (byClass.get(c) || 0) + 1);
  }
  for (const n of byClass.values()) if (n > 1) out.shared += n;
  const absCache = new Map();
  const placed = (el) => {
    if (!el) return false;
    if (absCache.has(el)) return absCache.get(el);
    const pos = getComputedStyle(el).position;
    const v = pos === 'absolute' || pos === 'fixed' || placed(el.parentElement);
    absCache.set(el, v);
    return v;
  };
  const range = document.createRange(), boxes = [];
  let id = 0;
  for (const n of visibleTextNodes()) {
    const el = n.parentElement;
    const chars = n.textContent.replace(/\s+/g, '').length;
    if (!chars) continue;
    range.selectNodeContents(n);
    const rects = [...range.getClientRects()].filter((r) => r.width >= 1 && r.height >= 1);
    if (!rects.length) continue;
    out.nodes += 1;
    out.chars += chars;
    if (placed(el)) out.abs_chars += chars;
    for (const r of rects) boxes.push({id, l: r.left, t: r.top, r: r.right, b: r.bottom, a: r.width * r.height});
    id += 1;
  }
  boxes.sort((p, q) => p.t - q.t);
  const hit = new Uint8Array(id);
  for (let i = 0; i < boxes.length; i++) {
    const p = boxes[i];
    for (let j = i + 1; j < boxes.length && boxes[j].t < p.b; j++) {
      const q = boxes[j];
      if (q.id === p.id || (hit[p.id] && hit[q.id])) continue;
      const w = Math.min(p.r, q.r) - Math.max(p.l, q.l), h = Math.min(p.b, q.b) - Math.max(p.t, q.t);
      if (w > 0 && h > 0 && w * h > minShare * Math.min(p.a, q.a)) { hit[p.id] = 1; hit[q.id] = 1; }
    }
  }
  out.overlapping = hit.reduce((s, v) => s + v, 0);
  return out;
}
"""


@dataclass(frozen=True)
class Layout:
    """What `QUALITY_JS` read from one page at one viewport width."""

    width: int
    chars: int  # visible text characters
    abs_chars: int  # of them, under an absolutely or fixed positioned box
    nodes: int  # visible text nodes
    overlapping: int  # of them, overlapping another
    scroll_width: int  # px, the larger of the document's and the body's
    classed: int = 0  # elements of the body with a class
    shared: int = 0  # of them, those whose class another element also carries

    @property
    def class_reuse(self) -> float:
        return self.shared / self.classed if self.classed else 0.0

    @property
    def abs_text_share(self) -> float:
        return self.abs_chars / self.chars if self.chars else 0.0

    @property
    def overlap_share(self) -> float:
        return self.overlapping / self.nodes if self.nodes else 0.0

    @property
    def sideways(self) -> bool:
        return self.scroll_width > self.width + 1


def render_and_read(renderer, html: str | Path, width: int, height: int, max_height: int = MAX_HEIGHT):
    """Render `html` (a string, or a `Path` so that relative images resolve) full page at `width` and read its
    layout there → (RenderResult, Layout)."""
    res = renderer.render(html, width=width, height=height, full_page=True, max_height=max_height)
    got = renderer.probe(QUALITY_JS, OVERLAP_MIN)
    return res, Layout(width=width, **{k: int(got[k]) for k in ("chars", "abs_chars", "nodes", "overlapping",
                                                                 "scroll_width", "classed", "shared")})


@dataclass(frozen=True)
class Quality:
    """The candidate's measures, the reference's, and what the candidate adds beyond the reference.

    `page_scores` is Design2Code's five-plus-mean (`app.scoring.fidelity.FidelityScores`) at the page's own viewport
    and `candidate_render` the candidate's render there (for side-by-sides); neither is in `as_dict`."""

    abs_text_share: float
    overlap_page: float
    overlap_390: float
    sideways_390: bool
    d2c_768: float
    d2c_390: float
    ref_abs_text_share: float
    ref_overlap_page: float
    ref_overlap_390: float
    ref_sideways_390: bool
    height_fit: float
    class_reuse: float
    ref_class_reuse: float
    page_scores: object = field(default=None, repr=False, compare=False)
    candidate_render: object = field(default=None, repr=False, compare=False)

    @property
    def overlap_page_beyond(self) -> float:
        return max(0.0, self.overlap_page - self.ref_overlap_page)

    @property
    def overlap_390_beyond(self) -> float:
        return max(0.0, self.overlap_390 - self.ref_overlap_390)

    @property
    def sideways_390_beyond(self) -> bool:
        return self.sideways_390 and not self.ref_sideways_390

    def as_dict(self) -> dict:
        out = {}
        for k in ("abs_text_share", "overlap_page", "overlap_390", "overlap_page_beyond", "overlap_390_beyond",
                  "sideways_390", "sideways_390_beyond", "d2c_768", "d2c_390", "ref_abs_text_share",
                  "ref_overlap_page", "ref_overlap_390", "ref_sideways_390", "height_fit", "class_reuse",
                  "ref_class_reuse"):
            v = getattr(self, k)
            out[k] = v if isinstance(v, bool) else round(float(v), 4)
        return out


def measure(renderer, reference: str | Path, candidate: str | Path, width: int, height: int,
            max_height: int = MAX_HEIGHT) -> Quality:
    """All measures for one pair: each page rendered once at `width` (the page's viewport), at `TABLET` and at
    `PHONE` px (once where these coincide), all at viewport height `height`."""
    from app.scoring.fidelity import score_renders

    got = {}
    for w in dict.fromkeys((width, TABLET, PHONE)):
        ref = render_and_read(renderer, reference, w, height, max_height)
        cand = render_and_read(renderer, candidate, w, height, max_height)
        got[w] = (ref, cand, score_renders(ref[0], cand[0]))
    (ref_png, ref_page), (cand_png, cand_page), page_scores = got[width]
    (_, ref_phone), (_, cand_phone), phone_scores = got[PHONE]
    return Quality(abs_text_share=cand_page.abs_text_share, overlap_page=cand_page.overlap_share,
                   overlap_390=cand_phone.overlap_share, sideways_390=cand_phone.sideways,
                   d2c_768=got[TABLET][2].overall, d2c_390=phone_scores.overall,
                   ref_abs_text_share=ref_page.abs_text_share, ref_overlap_page=ref_page.overlap_share,
                   ref_overlap_390=ref_phone.overlap_share, ref_sideways_390=ref_phone.sideways,
                   height_fit=min(ref_png.height, cand_png.height) / max(1, ref_png.height, cand_png.height),
                   class_reuse=cand_page.class_reuse, ref_class_reuse=ref_page.class_reuse,
                   page_scores=page_scores, candidate_render=cand_png)
