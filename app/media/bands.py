"""Long pages cut into horizontal bands (the DCGen idea), so that each band is converted on its own.

A small model writes a short page well and a long one badly: on 200 held-out pages the embedded mini model's
Block-Match falls from 0.68 on pages of under 10 text blocks to 0.34 on pages of 30 or more, because it stops
before the page's end. A band holds few enough lines for it to finish.

`bands(image, lines)` picks the cuts: rows clear of every OCR line and of one colour in each of the page's
full-height columns (right across a plain page; on each side of a sidebar's edge on an app or docs page, which
otherwise never cut: its dashboard of 29 lines was one band, and the sketch model wrote it blank);
among the cuts that keep a band within `max_lines` lines and `max_text` characters, the one where the
background changes (a section's edge) or, failing that, the widest gap (bands of more than half the lines
allowed preferred). Where no such row fits (a header, an article and a sidebar's list beside it, or a photo
beside the text), a band ends in a gap between lines, at the row that crosses the fewest colour edges: real
pages of that kind were one band of 20 to 70 lines, and the sketch model's reply ran out of its 1,536 tokens
with text unwritten (at about two bytes a token, 12 lines of an article's width are more than it can write,
hence the character limit). A page with few lines stays whole. `crop` cuts one band out.

Each band writes its own stylesheet, so a page in three bands costs about 1.9x the time of the whole page
(`bench/bands.py`); that is why it is asked for (`uicode convert --bands`) rather than the default. Measured
gains and the variants tried: bench/RESULTS.md, "Long pages band by band".

Not here: converting a band (`app.pipeline`), joining the bands' pages (`app.compose.join`), reading the
lines (`vision.ocr`).
"""
from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np
from PIL import Image

MAX_LINES = 12        # OCR lines a band may hold (16 scored no better than whole pages on 25 held-out pages)
MAX_TEXT = 640        # characters of OCR text a band may hold (our mockups' bands hold at most 464)
UNIFORM_TOLERANCE = 6  # a cut row's pixels differ by at most this in each channel
MIN_BAND = 64         # px: no band is thinner
COLUMN_EDGE = 0.6     # a column edge: the share of the page's rows whose colour changes at that x
CLEAR_RUN = 4         # rows: the least gap between lines a band may end in when no plain row fits


def bands(image: Image.Image, lines: Sequence, max_lines: int = MAX_LINES,
          max_text: int = MAX_TEXT) -> list[tuple[int, int]]:
    """[(top, bottom)] rows of `image` to convert one by one, top to bottom, covering it; one band when the
    page has no more than `max_lines` lines and `max_text` characters, or no row to cut at. Where no cut of
    one colour keeps a band within both, the band ends at the quietest row clear of every line that does
    (`_clear_cuts`), or failing that at the first cut that holds a line. `lines`: OCR lines (x, y, w, h in
    pixels, `text`)."""
    height = image.height
    order = sorted(lines, key=lambda ln: ln.y + ln.h / 2)
    centres = [ln.y + ln.h / 2 for ln in order]
    chars = np.cumsum([0] + [len(ln.text) for ln in order])
    if len(centres) <= max_lines and chars[-1] <= max_text:
        return [(0, height)]
    arr = np.asarray(image.convert("RGB"), dtype=np.int16)
    clear = np.ones(height, dtype=bool)
    for ln in lines:
        clear[max(0, ln.y - 2):ln.y + ln.h + 2] = False
    uniform = clear.copy()
    for left, right in _columns(arr):
        seg = arr[:, left:right]
        uniform &= (seg.max(axis=1) - seg.min(axis=1)).max(axis=1) <= UNIFORM_TOLERANCE
    cuts, quiet = _cut_candidates(arr, uniform), _clear_cuts(arr, clear)

    def held(top, y):  # lines whose centre lies between two cut rows, and their characters
        a, b = bisect.bisect_right(centres, top), bisect.bisect_left(centres, y)
        return b - a, int(chars[b] - chars[a])

    def within(top, y):
        n, c = held(top, y)
        return n <= max_lines and c <= max_text

    out, top = [], 0
    while not within(top, height):
        open_ = [(y, edge, run, held(top, y)[0]) for y, edge, run in cuts
                 if y - top >= MIN_BAND and height - y >= MIN_BAND and held(top, y)[0] > 0]
        fits = [f for f in open_ if within(top, f[0])]
        clear_ = [(y, busy, run) for y, busy, run in quiet
                  if y - top >= MIN_BAND and height - y >= MIN_BAND and held(top, y)[0] > 0]
        calm = [c for c in clear_ if within(top, c[0])]
        if fits:
            full = [f for f in fits if f[3] > max_lines // 2] or fits
            y = max(full, key=lambda f: (f[1], f[2]))[0]
        elif calm:  # no plain row fits (a sidebar's lines beside the article's): a clear row, as few edges as can be
            full = [c for c in calm if held(top, c[0])[0] > max_lines // 2] or calm
            y = min(full, key=lambda f: (f[1], -f[2]))[0]
        elif open_ or clear_:  # nothing fits: the nearest row that may end a band
            y = min([f[0] for f in open_] + [c[0] for c in clear_])
        else:
            break
        out.append((top, y))
        top = y
    out.append((top, height))
    return out


def _columns(arr: np.ndarray) -> list[tuple[int, int]]:
    """[(left, right)] spans of the page between its full-height colour edges (a sidebar's, a rail's): x where
    the colour changes in at least `COLUMN_EDGE` of the rows. The whole width when there is none."""
    steps = (np.abs(arr[:, 1:] - arr[:, :-1]).max(axis=2) > UNIFORM_TOLERANCE).mean(axis=0)
    edges = [0] + [x + 1 for x in np.flatnonzero(steps >= COLUMN_EDGE)] + [arr.shape[1]]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def _clear_cuts(arr: np.ndarray, clear: np.ndarray) -> list[tuple[int, int, int]]:
    """(row, edges along it, run length) for the quietest row of each run of rows clear of every OCR line (at
    least CLEAR_RUN rows): where a band may end when no row of one colour does, crossing as few colour edges
    (an image's, a box's) as it can."""
    steps = (np.abs(arr[:, 1:] - arr[:, :-1]).max(axis=2) > UNIFORM_TOLERANCE).sum(axis=1)
    out = []
    for start, end in _inner_runs(clear):
        if end - start >= CLEAR_RUN:
            row = start + int(np.argmin(steps[start:end]))
            out.append((row, int(steps[row]), end - start))
    return out


def _cut_candidates(arr: np.ndarray, uniform: np.ndarray) -> list[tuple[int, bool, int]]:
    """(row, background changes across it, run length) for the middle of each run of uniform rows; at a
    section's edge (the colour above the run differs from the colour below) the cut is the run's top."""
    out = []
    for start, end in _inner_runs(uniform):
        above = arr[start]
        if np.abs(above - arr[end - 1]).max() > 2 * UNIFORM_TOLERANCE:  # the first row where the colour below begins
            change = start + int(np.argmax(np.abs(arr[start:end] - above).max(axis=(1, 2)) > 2 * UNIFORM_TOLERANCE))
            out.append((change, True, end - start))
        else:
            out.append(((start + end) // 2, False, end - start))
    return out


def _inner_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[(start, end)] of the runs of True rows in `mask` that touch neither the first row nor the last."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if a > 0 and b < len(mask)]


def crop(image: Image.Image, band: tuple[int, int]) -> Image.Image:
    return image.crop((0, band[0], image.width, band[1]))
