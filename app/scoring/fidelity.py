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

from dataclasses import asdict, dataclass

import numpy as np

from app.scoring.blockmatch import block_scores

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


def image_score(input_image, cand, ocr_lines=None) -> FidelityScores:
    """Reference-free score of candidate render `cand` against the picture it should reproduce.
    Visual is SSIM; with `ocr_lines` (from `vision.ocr.ocr_image(input_image)`) the block, text and
    position metrics compare those lines to the candidate's DOM blocks (colour is None: OCR has none)."""
    visual = visual_score(input_image, cand.image())
    if ocr_lines is None:
        return FidelityScores(None, None, None, None, visual, visual)
    block, text, pos, _ = block_scores(ocr_lines, input_image.size, cand.blocks, (cand.width, cand.height))
    return _combine(block, text, pos, None, visual)
