"""Which face a line of text is set in, serif or sans, upright or italic: each of its words drawn in each face
and compared with the screenshot's.

A word's letters (its ink, against the median of its box's edge) are cut to their own box; the word as OCR
read it is drawn in each face (Liberation Sans and Serif, the fonts a browser without Arial and Times New Roman
uses in their place, with Arial's and Times' widths), cut the same way and scaled to the letters' box; the
correlation of the two says how alike they are. Drawn at the picture's width and height, a face's letters differ
from another's in their shapes alone: serifs, thick and thin strokes, a slant. On our blog mockup a line
scores about 0.9 a word against its own face and 0.3–0.65 against the other (`bench/RESULTS.md`, "serif and italic
texts in their face"), so a few words tell; a misread word drags every face down alike.

`votes(gray, line, bold)` sums each face's score over a line's words (at most WORDS, the longest, of letters
only); `face(votes)` says what the summed votes of a block's lines show: serif when serif beats sans by MARGIN a
word, italic when the slanted faces beat the upright ones by MARGIN a word; else the page's default, sans and
upright. `width(text, size, face)` is how wide a face sets a line (`app.layout.metrics`, for a text written in
it). Without the font files (a machine without Liberation fonts) no line votes.

Not here: reading a line's size, weight and colour (`app.perceive.text`), writing the face (`app.compose.html`).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FACES = ("sans", "sans-italic", "serif", "serif-italic")  # the order of a vote's scores
_FILES = {  # (face, bold) → Liberation file
    ("sans", False): "LiberationSans-Regular.ttf", ("sans", True): "LiberationSans-Bold.ttf",
    ("sans-italic", False): "LiberationSans-Italic.ttf", ("sans-italic", True): "LiberationSans-BoldItalic.ttf",
    ("serif", False): "LiberationSerif-Regular.ttf", ("serif", True): "LiberationSerif-Bold.ttf",
    ("serif-italic", False): "LiberationSerif-Italic.ttf", ("serif-italic", True): "LiberationSerif-BoldItalic.ttf",
}
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/usr/share/fonts/truetype")
DRAW_PX = 48      # the size words are drawn at before they are scaled to the picture's
WORDS = 4         # a line's longest words that vote
MIN_LETTERS = 3   # a word votes with at least this many letters
MIN_HEIGHT = 7    # px: a word whose letters are shorter says too little
INK = 0.3         # of a word's strongest ink: what counts as its letters' box
MARGIN = 0.12     # mean score a word by which a face must beat the default to be read


@lru_cache(maxsize=1)
def _paths() -> dict | None:
    found = {}
    for d in FONT_DIRS:
        root = Path(d)
        if root.is_dir():
            for p in root.rglob("Liberation*.ttf"):
                found.setdefault(p.name, p)
    paths = {key: found.get(name) for key, name in _FILES.items()}
    return None if any(p is None for p in paths.values()) else paths


@lru_cache(maxsize=8)
def _font(face: str, bold: bool):
    return ImageFont.truetype(str(_paths()[(face, bold)]), DRAW_PX)


def width(text: str, size: float, face: str, bold: bool = False) -> float | None:
    """Px `text` takes on one line set in `face` (one of FACES) at `size` px; None without the font files."""
    if _paths() is None:
        return None
    return _font(face, bold).getlength(text) * size / DRAW_PX


def _letters(ink: np.ndarray) -> np.ndarray | None:
    """`ink` cut to the box of its pixels at least INK of its strongest, scaled 0–1; None without any."""
    top = ink.max()
    if top <= 0:
        return None
    ys, xs = np.nonzero(ink >= INK * top)
    return ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1] / top


@lru_cache(maxsize=4096)
def _drawn(word: str, face: str, bold: bool) -> np.ndarray | None:
    im = Image.new("L", (DRAW_PX * (len(word) + 2), DRAW_PX * 2), 0)
    ImageDraw.Draw(im).text((DRAW_PX // 2, DRAW_PX // 3), word, fill=255, font=_font(face, bold))
    return _letters(np.asarray(im, dtype=np.float32))


def _likeness(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    d = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / d if d else 0.0


def votes(gray: np.ndarray, line, bold: bool) -> tuple[float, ...]:
    """Each face's summed score over `line`'s voting words, then how many voted: (sans, sans-italic, serif,
    serif-italic, n); () when none could (no word boxes, no font files, no word long enough). `gray`: the
    screenshot as H×W float32; `line`: an OCR line with its word boxes."""
    texts = line.text.split()
    if len(texts) != len(line.words) or _paths() is None:
        return ()
    words = sorted(((t, box) for t, box in zip(texts, line.words) if len(t) >= MIN_LETTERS and t.isalpha()),
                   key=lambda tb: -len(tb[0]))[:WORDS]
    sums, n = [0.0] * len(FACES), 0
    for text, (x, y, w, h) in words:
        x0, y0 = max(0, x - 1), max(0, y - 1)
        box = gray[y0:y + h + 1, x0:x + w + 1]
        if box.shape[0] < 3 or box.shape[1] < 3:
            continue
        edge = np.concatenate([box[0], box[-1], box[:, 0], box[:, -1]])
        seen = _letters(np.abs(box - np.median(edge)))
        if seen is None or seen.shape[0] < MIN_HEIGHT or seen.shape[1] < MIN_HEIGHT:
            continue
        size = (seen.shape[1], seen.shape[0])
        for k, face in enumerate(FACES):
            drawn = _drawn(text, face, bold)
            if drawn is None:
                continue
            scaled = np.asarray(Image.fromarray(drawn).resize(size, Image.BILINEAR), dtype=np.float32)
            sums[k] += _likeness(seen, scaled)
        n += 1
    return tuple(sums) + (n,) if n else ()


def face(all_votes) -> tuple[bool, bool]:
    """(serif, italic) from lines' `votes` (each a tuple, () for a line that did not vote): the summed
    scores' best family and slant where they beat sans and upright by MARGIN a word."""
    total = [0.0] * (len(FACES) + 1)
    for v in all_votes:
        if v:
            total = [a + b for a, b in zip(total, v)]
    n = total[-1]
    if not n:
        return False, False
    sans, sans_i, serif, serif_i = total[:4]
    is_serif = max(serif, serif_i) - max(sans, sans_i) >= MARGIN * n
    upright, slanted = (serif, serif_i) if is_serif else (sans, sans_i)
    return is_serif, slanted - upright >= MARGIN * n
