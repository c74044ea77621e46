"""Design2Code-style fidelity scores between a reference page and a candidate page, both rendered.

Metrics (each in [0, 1], 1 = identical), following Design2Code's visual evaluation (Si et al. 2024):
  block_match  matched text-block area share: Σ max(area) of matched pairs / (that + the larger of the
               two pages' unmatched areas); areas in page-normalised units
  text         mean text similarity (difflib ratio) of matched block pairs
  position     mean of 1 − max(|Δcx|, |Δcy|) of matched pairs' centres, each page normalised to 1×1
  color        mean of max(0, 1 − ΔE00/100) of matched pairs' text colours (CIEDE2000 on CIELAB D65)
  visual       SSIM of the two screenshots in grayscale, both resized to a common size (Design2Code
               uses CLIP here; CLIP weights cannot be had offline)
  overall      mean of the five
Blocks are merged and matched as Design2Code's released scorer does (`app/scoring/blockmatch.py`): consecutive
blocks are joined where that improves the matching (a nav bar read as one line against four links),
then matched one-to-one by text similarity (Hungarian); pairs under 0.5 similarity are discarded.
Block-Match counts each matched pair by the larger of its two areas against that plus the larger of
the two pages' unmatched areas. When the candidate has no text at all the four block metrics are 0,
as in Design2Code, and `overall` is visual / 5.

Range, measured on held-out corpus pages (their stored DOM blocks, 2-core machine, 2026-11-23): a
page against itself scores 1.0 on every metric; 30 random pairs of *unrelated* pages average
block_match 0.14, text 0.56, position 0.46, color 0.56 (as in Design2Code, the per-match metrics
only average over what did match, so block_match is the one that separates unrelated pages); a
page's DOM blocks against its own Tesseract lines (100 pages) score block_match 0.87, text 0.94,
position 0.95 (0.76 / 0.89 / 0.92 without the merging). The block metrics of one pair take ~35 ms;
with SSIM and PNG decoding a pair takes ~0.25 s.

Also: `image_score` — a reference-free score of a candidate render against an input picture (for
`convert --best-of`: SSIM, plus the block metrics against OCR lines of the picture when given), and
`check_html` — a well-formedness check for generated HTML.

Not here: rendering (`app/scoring/render.py`), OCR (`vision/ocr.py`), running evaluations over a corpus.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from html.parser import HTMLParser

import numpy as np

from app.scoring.blockmatch import MIN_TEXT_SIMILARITY, block_scores, text_similarity  # noqa: F401  (re-exported)

VISUAL_SIZE = 512  # SSIM is computed at this width (height keeps the reference's aspect ratio)


@dataclass(frozen=True)
class FidelityScores:
    block_match: float | None  # None: not measured (image_score without OCR lines)
    text: float | None
    position: float | None
    color: float | None  # None also when the reference has no colours (OCR lines)
    visual: float
    overall: float

    def as_dict(self) -> dict:
        return {k: (None if v is None else round(v, 4)) for k, v in asdict(self).items()}


# ---------------------------------------------------------------- colour

def srgb_to_lab(rgb) -> tuple[float, float, float]:
    """sRGB (0–255) → CIELAB, D65 white, via linear RGB and XYZ (IEC 61966-2-1 matrix)."""
    lin = []
    for c in rgb:
        c = c / 255.0
        lin.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = lin
    x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b

    def f(t):
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = f(x / 0.95047), f(y / 1.0), f(z / 1.08883)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def ciede2000(lab1, lab2, kl: float = 1.0, kc: float = 1.0, kh: float = 1.0) -> float:
    """CIEDE2000 colour difference, written from Sharma, Wu & Dalal (2005), eqs. (1)–(22)."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0

    dlp = l2 - l1
    dcp = c2p - c1p
    if c1p * c2p == 0:
        dhp = 0.0
    else:
        dhp = h2p - h1p
        if dhp > 180:
            dhp -= 360
        elif dhp < -180:
            dhp += 360
    dhp_big = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))

    lp_bar = (l1 + l2) / 2
    cp_bar = (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_bar = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        hp_bar = (h1p + h2p + 360) / 2
    else:
        hp_bar = (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(hp_bar - 30)) + 0.24 * math.cos(math.radians(2 * hp_bar))
         + 0.32 * math.cos(math.radians(3 * hp_bar + 6)) - 0.20 * math.cos(math.radians(4 * hp_bar - 63)))
    d_theta = 30 * math.exp(-(((hp_bar - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25 ** 7))
    sl = 1 + 0.015 * (lp_bar - 50) ** 2 / math.sqrt(20 + (lp_bar - 50) ** 2)
    sc = 1 + 0.045 * cp_bar
    sh = 1 + 0.015 * cp_bar * t
    rt = -math.sin(math.radians(2 * d_theta)) * rc
    dl, dc, dh = dlp / (kl * sl), dcp / (kc * sc), dhp_big / (kh * sh)
    return math.sqrt(dl * dl + dc * dc + dh * dh + rt * dc * dh)


def color_similarity(rgb1, rgb2) -> float:
    return max(0.0, 1.0 - ciede2000(srgb_to_lab(rgb1), srgb_to_lab(rgb2)) / 100.0)


# ---------------------------------------------------------------- visual

def ssim(x: np.ndarray, y: np.ndarray, sigma: float = 1.5) -> float:
    """Mean SSIM (Wang et al. 2004) of two equal-size grayscale images in 0–255, Gaussian window
    σ=1.5, K1=0.01, K2=0.03."""
    import cv2

    x, y = x.astype(np.float64), y.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z):
        return cv2.GaussianBlur(z, (11, 11), sigma, borderType=cv2.BORDER_REFLECT)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    m = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(m.mean())


def visual_score(ref_image, cand_image, width: int = VISUAL_SIZE) -> float:
    """SSIM of two PIL images in grayscale, both resized to `width` × (reference aspect)."""
    from PIL import Image

    w = min(width, ref_image.width)
    h = max(8, round(ref_image.height * w / ref_image.width))
    a = np.asarray(ref_image.convert("L").resize((w, h), Image.BILINEAR))
    b = np.asarray(cand_image.convert("L").resize((w, h), Image.BILINEAR))
    return max(0.0, ssim(a, b))


# ---------------------------------------------------------------- scores

def _combine(block, text, pos, color, visual) -> FidelityScores:
    parts = [block, text, pos, visual] + ([color] if color is not None else [])
    return FidelityScores(block, text, pos, color, visual, float(sum(parts) / len(parts)))


def score_renders(ref, cand) -> FidelityScores:
    """Scores of candidate render `cand` against reference render `ref` (`app.scoring.render.RenderResult`)."""
    block, text, pos, color = block_scores(ref.blocks, (ref.width, ref.height), cand.blocks, (cand.width, cand.height))
    return _combine(block, text, pos, color, visual_score(ref.image(), cand.image()))


def score_html(ref_html: str, cand_html: str, renderer, *, width: int = 1280, height: int = 800) -> FidelityScores:
    """Render both pages with `renderer` (an open `app.scoring.render.Renderer`) and score them."""
    return score_renders(renderer.render(ref_html, width=width, height=height),
                         renderer.render(cand_html, width=width, height=height))


def image_score(input_image, cand, ocr_lines=None) -> FidelityScores:
    """Reference-free score of candidate render `cand` against the picture it should reproduce.
    Visual is SSIM; with `ocr_lines` (from `vision.ocr.ocr_image(input_image)`) the block, text and
    position metrics compare those lines to the candidate's DOM blocks (colour is None: OCR has none)."""
    visual = visual_score(input_image, cand.image())
    if ocr_lines is None:
        return FidelityScores(None, None, None, None, visual, visual)
    block, text, pos, _ = block_scores(ocr_lines, input_image.size, cand.blocks, (cand.width, cand.height))
    return _combine(block, text, pos, None, visual)


# ---------------------------------------------------------------- well-formed HTML

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, int]] = []
        self.problems: list[str] = []
        self.styles = 0
        self.doctype = False

    def handle_decl(self, decl):
        self.doctype = self.doctype or decl.lower().startswith("doctype")

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self.styles += 1
        if tag not in VOID:
            self.stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID:
            self.problems.append(f"line {self.getpos()[0]}: <{tag}/> is not a void element")

    def handle_endtag(self, tag):
        line = self.getpos()[0]
        if tag in VOID:
            self.problems.append(f"line {line}: end tag </{tag}> for a void element")
        elif not self.stack:
            self.problems.append(f"line {line}: stray </{tag}>")
        elif self.stack[-1][0] != tag:
            open_tag, open_line = self.stack[-1]
            self.problems.append(f"line {line}: </{tag}> closes <{open_tag}> opened on line {open_line}")
            if any(t == tag for t, _ in self.stack):
                while self.stack and self.stack[-1][0] != tag:
                    self.stack.pop()
                self.stack.pop()
        else:
            self.stack.pop()


def check_html(html: str, *, single_style: bool = False) -> list[str]:
    """Problems that make `html` not well-formed: a missing doctype, unclosed, mismatched or stray
    tags (every non-void element must be closed explicitly), and, with `single_style`, other than
    exactly one <style> block. Empty list = well-formed."""
    c = _Checker()
    c.feed(html)
    c.close()
    problems = list(c.problems)
    if not c.doctype:
        problems.insert(0, "missing <!DOCTYPE html>")
    problems += [f"line {line}: <{tag}> is never closed" for tag, line in c.stack]
    if single_style and c.styles != 1:
        problems.append(f"{c.styles} <style> blocks (want exactly 1)")
    return problems


def is_well_formed(html: str, **kw) -> bool:
    return not check_html(html, **kw)
