"""Overlays: a dialog over a dimmed page, found in the screenshot by its backdrop.

`find_dialog(arr, lines)` finds a dialog by its backdrop: every bright pixel of the screenshot lies on one
centred card, lighter than what is around it, holding text (on 1,400 corpus pages it found all 93 dialogs
and nothing else, 31 ms a page). `split_lines` parts the OCR lines into the card's and the page's (word by
word: Tesseract reads a line across both); `card_pixels` is the card, its corners painted in its colour;
`behind_pixels` is the page behind as it was before the backdrop darkened it, the card and its shadow
painted over. The layout engine lays out the card and the page behind each in flow, and writes the card in
a fixed backdrop (`app.layout.infer`, `app.compose.html`): a true overlay, the one place for fixed
positioning.

Not here: reading the lines (`vision.ocr`), laying either part out (`app.layout`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import cv2
import numpy as np

from app.perceive.boxes import Box, centre_within, common_colour, corner_radius
from app.perceive.labels import words_where
from app.perceive.pixels import distance

BRIGHT = 150        # a pixel whose brightest channel passes this is not under the backdrop (which halves it)
MIN_BRIGHT = 200    # fewer bright pixels than this: nothing to find
SAME = 24           # a pixel this close to the card's colour (summed over channels) belongs to the card
CENTRED = 0.03      # the card's centre is this part of the page's width from its centre, at most (and of its
                    # height from the middle, to be centred by the backdrop; else it is placed at its top)
MAX_WIDTH = 0.9     # a card is at most this part of the page wide (wider: a page, not a dialog)
MIN_CARD = (120, 60)
RING = 6            # px around the card that must be darker than it
EMPTY = 0.97        # the part of the page outside the card (and its shadow) in the backdrop's colour: no page
SHADOW = 48         # px around the card left out of that count
SHADOW_SIDE, SHADOW_BELOW = 16, 44  # px a dialog's shadow reaches beside and below it (0 20px 40px is common)
ALPHA = 0.5         # the backdrop's darkening over a page the model drew


@dataclass(frozen=True)
class Dialog:
    """The card: x, y, w, h in pixels; fill: its colour (RGB); radius in px; backdrop: the colour most
    common outside it (RGB); alone: whether nothing is drawn behind it."""

    x: int
    y: int
    w: int
    h: int
    fill: tuple[int, int, int]
    radius: int
    backdrop: tuple[int, int, int]
    alone: bool

    def holds_box(self, box) -> bool:
        """Whether the middle of `box` (x, y, w, h) lies on the card."""
        return centre_within(box, self)


def find_dialog(arr: np.ndarray, lines: Sequence = ()) -> Dialog | None:
    """The dialog card of screenshot `arr` (H×W×3 uint8), or None (see the module doc). `lines`: its OCR
    lines; a card must hold one."""
    h, w = arr.shape[:2]
    bright = arr.max(axis=2) > BRIGHT
    if bright.sum() < MIN_BRIGHT:
        return None
    rows = np.flatnonzero(bright.sum(axis=1) >= 2)
    cols = np.flatnonzero(bright.sum(axis=0) >= 2)
    if not len(rows) or not len(cols):
        return None
    bx0, bx1, by0, by1 = cols[0], cols[-1] + 1, rows[0], rows[-1] + 1
    if bx1 - bx0 > MAX_WIDTH * w or (bx1 - bx0) * (by1 - by0) > 0.6 * w * h:
        return None
    fill = common_colour(arr[by0:by1, bx0:bx1])
    same = (distance(arr, fill) <= SAME).astype(np.uint8)
    # Letters and buttons leave holes in the card: closing them makes the card one patch.
    same = cv2.morphologyEx(same, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(same, connectivity=4)
    inside = labels[by0:by1, bx0:bx1]
    k = int(np.bincount(inside.ravel(), minlength=n)[1:].argmax()) + 1 if n > 1 else 0
    if k == 0:
        return None
    own = labels == k
    # The card's rows and columns are those the patch fills at least half of: a few pixels of the card's
    # colour next to it (antialiased letters behind the backdrop) join the patch but not the rectangle.
    cols = np.flatnonzero(own.sum(axis=0) >= 0.5 * own.sum(axis=0).max())
    rows = np.flatnonzero(own.sum(axis=1) >= 0.5 * own.sum(axis=1).max())
    x, y, cw, ch = int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)
    area = int(own[y:y + ch, x:x + cw].sum())
    if (cw > MAX_WIDTH * w or cw < MIN_CARD[0] or ch < MIN_CARD[1] or area < 0.6 * cw * ch
            or x > bx0 + 2 or y > by0 + 2 or x + cw < bx1 - 2 or y + ch < by1 - 2
            or x < RING or y < RING or x + cw > w - RING or y + ch > h - RING
            or abs(x + cw / 2 - w / 2) > CENTRED * w):
        return None
    ring = np.concatenate([arr[y - RING:y - 2, x:x + cw].reshape(-1, 3),
                           arr[y + ch + 2:y + ch + RING, x:x + cw].reshape(-1, 3),
                           arr[y:y + ch, x - RING:x - 2].reshape(-1, 3),
                           arr[y:y + ch, x + cw + 2:x + cw + RING].reshape(-1, 3)])
    if np.median(ring.astype(int).sum(axis=1)) >= int(fill.astype(int).sum()):
        return None  # the card is not lighter than what is around it: no backdrop

    card = Box(x, y, cw, ch, None, None, 0)

    def on_card(ln) -> bool:
        return centre_within((ln.x, ln.y, ln.w, ln.h), card)

    texts = [ln for ln in lines if ln.text.strip()]
    if not any(on_card(ln) for ln in texts):
        return None
    outside = np.ones((h, w), bool)
    outside[max(0, y - SHADOW):y + ch + SHADOW, max(0, x - SHADOW):x + cw + SHADOW] = False
    back, near = np.asarray(ring[0], float), 1.0
    if outside.any():
        back = common_colour(arr[outside])
        near = (np.abs(arr[outside].astype(np.int16) - back.astype(np.int16)).max(axis=1) <= 6).mean()
    alone = near >= EMPTY and all(on_card(ln) for ln in texts)
    radius = corner_radius(own[y:y + ch, x:x + cw])
    return Dialog(x, y, cw, ch, tuple(int(v) for v in fill), radius, tuple(int(v) for v in back), bool(alone))


def on_card(line, d: Dialog):
    """`line` in the card's coordinates (its word boxes too)."""
    words = tuple((x - d.x, y - d.y, w, h) for x, y, w, h in line.words)
    return replace(line, x=line.x - d.x, y=line.y - d.y, words=words)


def card_pixels(arr: np.ndarray, d: Dialog) -> np.ndarray:
    """The card's pixels with its rounded corners painted in its colour (no box is read in them)."""
    card = arr[d.y:d.y + d.h, d.x:d.x + d.w].copy()
    r = min(d.radius + 2, d.w // 2, d.h // 2)
    if r:
        for ys in (slice(0, r), slice(d.h - r, d.h)):
            for xs in (slice(0, r), slice(d.w - r, d.w)):
                card[ys, xs] = d.fill
    return card


def split_lines(lines: Sequence, d: Dialog) -> tuple[list, list]:
    """(the parts of `lines` on the card, the parts off it), word by word: Tesseract may read a line of the
    page behind and the dialog's title as one."""
    on, off = [], []
    for ln in lines:
        if ln.text.strip():
            on.append(words_where(ln, lambda w: d.holds_box(w)))
            off.append(words_where(ln, lambda w: not d.holds_box(w)))
    return [ln for ln in on if ln is not None], [ln for ln in off if ln is not None]


def behind_pixels(arr: np.ndarray, d: Dialog, alpha: float, keep: Sequence = ()) -> np.ndarray:
    """The page behind the dialog as the screenshot shows it before a backdrop of black at `alpha` darkened
    it (each channel ÷ (1 − alpha), clipped), the card and its shadow painted over in the page's most
    common colour: what lies under the card is not seen, the card's buttons are not the page's, and its
    shadow would be taken for a box. The boxes of the lines `keep` (the page's text beside the card) are
    not painted."""
    out = np.clip(arr.astype(np.float32) / (1 - alpha), 0, 255).round().astype(np.uint8)
    h, w = out.shape[:2]
    y0, y1 = max(0, d.y - SHADOW_SIDE), min(h, d.y + d.h + SHADOW_BELOW)
    x0, x1 = max(0, d.x - SHADOW_SIDE), min(w, d.x + d.w + SHADOW_SIDE)
    paint = np.zeros((h, w), bool)
    paint[y0:y1, x0:x1] = True
    for ln in keep:
        paint[max(0, ln.y - 3):ln.y + ln.h + 3, max(0, ln.x - 3):ln.x + ln.w + 3] = False
    paint[max(0, d.y - 2):d.y + d.h + 2, max(0, d.x - 2):d.x + d.w + 2] = True
    rest = out[~paint]
    out[paint] = common_colour(rest) if len(rest) else 255  # the page's background, most likely
    return out


