"""A dialog over a dimmed page: found in the screenshot and laid out from it, over the model's page.

The embedded mini model writes a page where the input shows a dialog: it spreads the dialog's title, text
and buttons over a hero or a header. On 200 held-out pages its modal pages scored lowest of every kind
(0.82 against 0.89 for all pages). A dialog is easy to see in the pixels, so the pipeline lays it out
itself (on the same pages: modal 0.82 → 0.91, all pages 0.887 → 0.897; bench/RESULTS.md, "Dialogs"):

- `find_dialog(arr, lines)` looks for the sign of a modal: a backdrop darkens everything but the dialog, so
  the screenshot's bright pixels (light text, a white card) all lie in one box near the middle. The card
  is the patch of the colour most common there, with that box inside it, horizontally centred, lighter
  than what is all round it (the backdrop and the card's shadow), and holding an OCR line. No dialog is
  found on a page whose bright pixels are spread over it, nor where that colour runs on to the page's
  edges (a dark page with its text in the middle). On 1,400 corpus pages (200 held-out, 1,200 training)
  it found every one of the 93 dialogs and nothing else;
- `card_lines` reads the card's text: the page's OCR lines on it, each button's label read on its own
  (`app.labels`), since Tesseract reads a row of buttons as their outlines;
- `with_dialog(code, image, lines, dialog)` lays the dialog over the page behind it: a backdrop
  (`rgba(0,0,0,.5)`) that centres a card of the measured size, colour, corner radius and shadow, its texts
  and buttons laid out as `app.completion` lays out what the model left out (each text at its place,
  size, weight and colour). The page behind is the model's page without the dialog's text (which would
  show through the backdrop a second time), completed (`app.completion.complete`) from the screenshot as
  it was before the backdrop darkened it, and held to the input's height so that the dialog is centred
  where the input has it. When nothing but the dialog is drawn (the backdrop is of one colour and no
  text lies outside the card), the page behind is that colour, undimmed, and the model's page is left out.

Not here: reading the lines (`vision.ocr`), the boxes and the text layout (`app.completion`, `app.boxes`),
deciding when a conversion is completed (`app.pipeline`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import cv2
import numpy as np
from PIL import Image

from app.perceive.boxes import Box, centre_within, common_colour, corner_radius, find_boxes, hex_colour
from app.completion import LAYOUT_CSS, Completion, complete, laid_out
from app.perceive.labels import read_buttons, relabel, words_where
from app.markup import Element, Text, parse_html, serialize
from app.sections import join_pages, scope_css

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
BEHIND = "uc-behind"  # the class of the page behind the dialog


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
    same = (np.abs(arr.astype(np.int16) - fill.astype(np.int16)).sum(axis=2) <= SAME).astype(np.uint8)
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


def _on_card(line, d: Dialog):
    """`line` in the card's coordinates (its word boxes too)."""
    words = tuple((x - d.x, y - d.y, w, h) for x, y, w, h in line.words)
    return replace(line, x=line.x - d.x, y=line.y - d.y, words=words)


def _card_pixels(arr: np.ndarray, d: Dialog) -> np.ndarray:
    """The card's pixels with its rounded corners painted in its colour (no box is read in them)."""
    card = arr[d.y:d.y + d.h, d.x:d.x + d.w].copy()
    r = min(d.radius + 2, d.w // 2, d.h // 2)
    if r:
        for ys in (slice(0, r), slice(d.h - r, d.h)):
            for xs in (slice(0, r), slice(d.w - r, d.w)):
                card[ys, xs] = d.fill
    return card


def drop_text(code: str, texts: Sequence[str]) -> str:
    """`code` without the text nodes that are a run of words of one of `texts` (the dialog's lines, which
    the model wrote into its page behind it)."""
    runs = [t.split() for t in texts if t.split()]

    def within(words: list[str]) -> bool:
        n = len(words)
        return any(words == r[i:i + n] for r in runs for i in range(len(r) - n + 1))

    def walk(node):
        for c in node.children:
            if isinstance(c, Text):
                if c.data.split() and within(c.data.split()):
                    c.data = ""
            elif isinstance(c, Element) and c.tag not in ("style", "script", "head", "title"):
                walk(c)

    root = parse_html(code)
    walk(root)
    return serialize(root)


def split_lines(lines: Sequence, d: Dialog) -> tuple[list, list]:
    """(the parts of `lines` on the card, the parts off it), word by word: Tesseract may read a line of the
    page behind and the dialog's title as one."""
    on, off = [], []
    for ln in lines:
        if ln.text.strip():
            on.append(words_where(ln, lambda w: d.holds_box(w)))
            off.append(words_where(ln, lambda w: not d.holds_box(w)))
    return [ln for ln in on if ln is not None], [ln for ln in off if ln is not None]


def card_lines(arr: np.ndarray, d: Dialog, lines: Sequence) -> list:
    """The text lines on the card (`lines`: those of the image on it), in the card's coordinates, its
    buttons' labels read one by one (`app.labels`)."""
    card = _card_pixels(arr, d)
    on = [_on_card(ln, d) for ln in lines]
    return relabel(on, read_buttons(card, find_boxes(card, (0, 0, d.w, d.h), d.fill, (), depth=1)))


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


def with_dialog(code: str, image: Image.Image, lines: Sequence, d: Dialog) -> Completion:
    """The page of the model (`code`, converted from `image`) behind the dialog `d` laid out from the
    screenshot (see the module doc); `added`: the lines laid out (the dialog's, and those of the page
    behind it that the model left out)."""
    arr = np.asarray(image.convert("RGB"))
    on, off = split_lines(lines, d)
    on_card = card_lines(arr, d, on)
    inner = laid_out(_card_pixels(arr, d), on_card, 0, background=d.fill, labels=False)
    added = len(on_card)
    if d.alone:
        # Nothing behind the dialog: the page is the backdrop's colour, undimmed (as rgba(0,0,0,a) over it).
        alpha = ALPHA if max(d.backdrop) <= 255 * (1 - ALPHA) else 1 - max(d.backdrop) / 255
        page = tuple(min(255, round(c / (1 - alpha))) for c in d.backdrop)
        behind = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<style>\n"
                  f"body{{margin:0;min-height:{image.height}px;background:{hex_colour(page)}}}\n</style>\n</head>\n"
                  "<body>\n</body>\n</html>\n")
    else:
        # The page behind: the model's, without the dialog's text, and what it left out laid out from the
        # screenshot as it was before the backdrop darkened it (the backdrop darkens it again).
        alpha = ALPHA
        page = Image.fromarray(behind_pixels(arr, d, alpha, off))
        done = complete(drop_text(code, [ln.text for ln in on_card]), page, off)
        behind, added = done.code, added + done.added
    centre = abs(d.y + d.h / 2 - image.height / 2) <= CENTRED * image.height
    place = "align-items:center" if centre else f"align-items:flex-start;padding-top:{d.y}px"
    css = (f"body{{position:relative}}\n"
           f".uc-backdrop{{position:absolute;inset:0;display:flex;justify-content:center;{place};"
           f"background:rgba(0,0,0,{alpha:.2f})}}\n"
           f".uc-dialog{{position:relative;width:{d.w}px;max-width:100%;height:{d.h}px;overflow:hidden;"
           f"background:{hex_colour(d.fill)};border-radius:{d.radius}px;box-shadow:0 20px 40px rgba(0,0,0,.25);"
           "font-family:Arial,Helvetica,sans-serif}\n" + scope_css(LAYOUT_CSS, ".uc-dialog"))
    layer = ('<div class="uc-backdrop">\n<div class="uc-dialog" role="dialog" aria-modal="true">\n'
             "<!-- the dialog, laid out from the input -->\n" + "\n".join(inner) + "\n</div>\n</div>\n")
    if not (d.alone or added > len(on_card)):
        # Held to the input's height, so that the backdrop centres the dialog where the input has it. (A
        # completed page is already: its parts are held to their heights, and it is not scoped again, which
        # a model's broken markup can escape: a stray `</div>` would close the outer scope.)
        behind = join_pages([behind], [image.height], (BEHIND,), clip=(True,))
    page = behind
    page = page.replace("</style>", css + "\n</style>", 1)
    at = page.rindex("</body>")
    return Completion(page[:at] + layer + page[at:], added)
