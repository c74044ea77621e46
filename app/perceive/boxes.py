"""Boxes of a screenshot region: the filled and outlined rectangles behind text (sections, cards, buttons,
inputs, badges), for laying out the part of a page the model left out (`app.completion`).

`find_boxes(arr, region, background, text_boxes)` looks at the pixels that differ from the region's
background: with the text lines' boxes blanked out (so that text alone makes no box), each connected patch
of at least MIN_W × MIN_H px is
- a filled box when its pixels cover most of its bounding rectangle (a section, a card, a button): its
  colour is its pixels' median, its corner radius read from the diagonal gap at its top-left corner, and the
  boxes inside it are found the same way against its colour (DEPTH levels); when its opposite corners
  differ (an image, a gradient) it is painted as a gradient between them, with nothing looked for inside;
- an outlined box when its pixels are a thin ring along its rectangle's edges (a white card's border, an
  input): its border colour is the ring's median;
anything else (icons, illustrations, glyphs of a line Tesseract missed) is left out.

Not here: which text is missing, composing the HTML (`app.completion`).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DIFFERS = 12      # a pixel this far from the background (summed over channels) belongs to a box
MIN_W, MIN_H = 16, 12
FILLED = 0.55     # share of its rectangle a filled box's pixels cover
RING = 3.0        # an outline's pixels: at most this many px of thickness around its rectangle
OUTLINE_W, OUTLINE_H = 40, 20  # smaller rings are glyphs (an "O" a line's box missed) or checkboxes
DEPTH = 2
MAX_BOXES = 300


@dataclass(frozen=True)
class Box:
    """x, y, w, h in pixels of the image; fill: a CSS background ("#rrggbb" or a linear-gradient) or None;
    border: "#rrggbb" or None; radius in px."""

    x: int
    y: int
    w: int
    h: int
    fill: str | None
    border: str | None
    radius: int


def hex_colour(rgb) -> str:
    """An RGB triple (0–255) as #rrggbb."""
    return "#%02x%02x%02x" % tuple(int(v) for v in rgb)


def common_colour(pixels: np.ndarray) -> np.ndarray:
    """The most common colour of `pixels [..., 3]` (uint8), to 4 levels per channel, as its members' median."""
    flat = pixels.reshape(-1, 3)
    q = (flat >> 2).astype(np.int32)
    keys = (q[:, 0] << 12) | (q[:, 1] << 6) | q[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    return np.median(flat[keys == values[np.argmax(counts)]], axis=0)


def centre_within(xywh, box) -> bool:
    """Whether the middle of the rectangle `xywh` (x, y, w, h) lies in `box` (anything with x, y, w, h)."""
    cx, cy = xywh[0] + xywh[2] / 2, xywh[1] + xywh[3] / 2
    return box.x <= cx < box.x + box.w and box.y <= cy < box.y + box.h


def find_boxes(arr: np.ndarray, region: tuple[int, int, int, int], background, text_boxes=(),
               depth: int = DEPTH) -> list[Box]:
    """Boxes inside `region` (x0, y0, x1, y1) of `arr` (H×W×3 uint8) drawn on `background` (RGB), outer
    boxes before the boxes inside them; `text_boxes`: (x, y, w, h) of text lines, ignored as boxes."""
    x0, y0, x1, y1 = region
    sub = arr[y0:y1, x0:x1].astype(np.int16)
    if sub.size == 0:
        return []
    differs = np.abs(sub - np.asarray(background, dtype=np.int16)).sum(axis=2) > DIFFERS
    shapes = differs.copy()
    for tx, ty, tw, th in text_boxes:
        shapes[max(0, ty - y0 - 1):max(0, ty + th - y0 + 1), max(0, tx - x0 - 1):max(0, tx + tw - x0 + 1)] = False
    n, labels, stats, _ = cv2.connectedComponentsWithStats(shapes.astype(np.uint8), connectivity=8)
    out: list[Box] = []
    for k in np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:MAX_BOXES] + 1:
        bx, by, bw, bh, area = (int(v) for v in stats[k])
        if bw < MIN_W or bh < MIN_H:
            continue
        own = labels[by:by + bh, bx:bx + bw] == k
        _shape(arr, sub, differs, own, (x0, y0), (bx, by), text_boxes, depth, out)
        if len(out) >= MAX_BOXES:
            break
    return out


def _shape(arr, sub, differs, own, origin, at, text_boxes, depth, out, split: bool = True) -> None:
    """One connected patch `own` (a mask at `at` in `sub`) as a box appended to `out` (with the boxes inside
    it), or as several when it is bands of different colours touching (a dark header over a grey nav)."""
    (x0, y0), (bx, by) = origin, at
    bh, bw = own.shape
    area = int(own.sum())
    if bw < MIN_W or bh < MIN_H:
        return
    cover = differs[by:by + bh, bx:bx + bw].mean()
    pixels = sub[by:by + bh, bx:bx + bw][own]
    colour = np.median(pixels, axis=0)
    ring = (bw >= OUTLINE_W and bh >= OUTLINE_H and area <= RING * 2 * (bw + bh)
            and own[0].any() and own[-1].any() and own[:, 0].any() and own[:, -1].any())
    if ring:  # before the fill test: a small outlined button's bold label would pass for a fill
        out.append(Box(x0 + bx, y0 + by, bw, bh, None, hex_colour(colour), corner_radius(own)))
    elif cover >= FILLED:
        radius = corner_radius(own)
        ends = _ends(sub[by:by + bh, bx:bx + bw], radius)
        if np.abs(ends[0] - ends[1]).sum() > 2 * DIFFERS:
            parts = _bands(sub[by:by + bh, bx:bx + bw], own) if split else []
            if len(parts) > 1:
                for a, b, axis in parts:
                    part = np.zeros_like(own)
                    if axis == 0:
                        part[a:b] = own[a:b]
                    else:
                        part[:, a:b] = own[:, a:b]
                    ys, xs = np.nonzero(part)
                    if len(ys):
                        py, px = int(ys.min()), int(xs.min())
                        sub_own = part[py:int(ys.max()) + 1, px:int(xs.max()) + 1]
                        _shape(arr, sub, differs, sub_own, origin, (bx + px, by + py), text_boxes, depth, out, False)
                return
            paint = f"linear-gradient(135deg,{hex_colour(ends[0])},{hex_colour(ends[1])})"
        else:
            paint = hex_colour(colour)
        box = Box(x0 + bx, y0 + by, bw, bh, paint, None, radius)
        out.append(box)
        if paint.startswith("#") and depth > 1 and bw > 2 * MIN_W and bh > 2 * MIN_H:
            inner = (box.x + 1, box.y + 1, box.x + bw - 1, box.y + bh - 1)
            out.extend(find_boxes(arr, inner, colour, text_boxes, depth - 1))


def _bands(pixels: np.ndarray, own: np.ndarray) -> list[tuple[int, int, int]]:
    """Where a patch is bands of one colour each, stacked or side by side: [(start, end, axis)] (axis 0:
    rows), cut where the median colour of the patch's pixels jumps from one row (column) to the next;
    [] when it is not (a picture, a gradient)."""
    for axis in (0, 1):
        n = own.shape[axis]
        med = np.zeros((n, 3))
        for i in range(n):
            line = pixels[i][own[i]] if axis == 0 else pixels[:, i][own[:, i]]
            med[i] = np.median(line, axis=0) if len(line) else np.nan
        jumps = np.flatnonzero(np.nansum(np.abs(np.diff(med, axis=0)), axis=1) > 3 * DIFFERS) + 1
        cuts = [0] + [int(j) for j in jumps] + [n]
        parts = [(a, b) for a, b in zip(cuts, cuts[1:]) if b - a >= MIN_H]
        if len(parts) < 2 or len(parts) > 8:
            continue
        # each band must be of one colour, or this is a picture
        flat = all(np.nanmax(np.abs(med[a:b] - np.nanmedian(med[a:b], axis=0)).sum(axis=1)) <= 3 * DIFFERS
                   for a, b in parts)
        if flat:
            return [(a, b, axis) for a, b in parts]
    return []


def _ends(pixels: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Median colours of a box's top-left and bottom-right corners (inside its rounding)."""
    h, w = pixels.shape[:2]
    k, m = max(2, min(h, w) // 8), radius // 3 + 1
    return (np.median(pixels[m:m + k, m:m + k].reshape(-1, 3), axis=0),
            np.median(pixels[h - m - k:h - m, w - m - k:w - m].reshape(-1, 3), axis=0))


def corner_radius(own: np.ndarray) -> int:
    """A rounded corner leaves a gap along the diagonal from the rectangle's corner: r = gap / (1 − 1/√2)."""
    n = min(own.shape) // 2
    gap = next((i for i in range(n) if own[i, i]), None)
    if not gap:  # square, or the diagonal never meets the shape (a broken outline): no rounding read
        return 0
    return min(n, int(round(gap / (1 - 2 ** -0.5))))
