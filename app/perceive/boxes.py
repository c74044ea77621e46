"""Boxes of a screenshot: the filled and outlined rectangles behind text (sections, cards, buttons, inputs,
badges, pictures), for the layout engine (`app.layout.infer`).

`colour_boxes(arr, background, text_boxes)` finds boxes of one colour each (see its doc): the page's bands,
cards, buttons and outlines. `find_boxes`, below, finds patches that differ from a background, and is what
finds pictures and gradients (many colours, one patch):

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

`page_colour(arr)` is the colour boxes are found against: the page's sides' when both are one colour (a framed
page), else its commonest.

Not here: what a box is for (`app.layout.infer`), the text on it (`app.perceive.text`).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.perceive.pixels import distance

DIFFERS = 12      # a pixel this far from the background (summed over channels) belongs to a box
MIN_W, MIN_H = 16, 12
FILLED = 0.55     # share of its rectangle a filled box's pixels cover
RING = 3.0        # an outline's pixels: at most this many px of thickness around its rectangle
OUTLINE_W, OUTLINE_H = 40, 20  # smaller rings are glyphs (an "O" a line's box missed) or checkboxes
DEPTH = 2
MAX_BOXES = 300
MAX_COLOURS = 32    # the commonest colours looked at for boxes of one colour
SOLID_COVER = 0.85  # share of its rectangle a box of one colour covers, holes filled
EDGE_COVER = 0.25   # a box's sides are where at least this share of its rows (columns) reach: a tab on its side
DISC_MATCH = 0.9   # a disc's patch and the disc its rectangle holds share this much of their union
DISC_OWN = 0.6     # and its own colour covers this much of that disc (an avatar's initials take less)
JUT = 8             # px: is not the box when it juts out this far or more (a rounded or frayed edge is the box's)


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


def near_colours(a: str | None, b: str | None, within: int) -> bool:
    """Whether two "#rrggbb" colours differ by at most `within`, summed over channels (False for anything else:
    a gradient, None)."""
    if not (isinstance(a, str) and isinstance(b, str) and a.startswith("#") and b.startswith("#")
            and len(a) == len(b) == 7):
        return False
    return sum(abs(int(a[i:i + 2], 16) - int(b[i:i + 2], 16)) for i in (1, 3, 5)) <= within


def common_colour(pixels: np.ndarray) -> np.ndarray:
    """The most common colour of `pixels [..., 3]` (uint8), to 4 levels per channel, as its members' median."""
    flat = pixels.reshape(-1, 3)
    q = (flat >> 2).astype(np.int32)
    keys = (q[:, 0] << 12) | (q[:, 1] << 6) | q[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    return np.median(flat[keys == values[np.argmax(counts)]], axis=0)


EDGE_STRIP, EDGE_SHARE = 4, 0.8  # px of each side looked at; how much of its height one colour must fill
EDGE_MIN = 0.2  # the least share of the sides the commonest colour fills when it is the page's


def page_colour(pixels: np.ndarray) -> np.ndarray:
    """The page's own colour in a screenshot `pixels [h, w, 3]` (uint8): the colour of both of its sides where
    one colour fills EDGE_SHARE of each side's height (a framed page: a white column on a dark page, whose white
    is the commoner colour), else its commonest colour, unless that fills less than EDGE_MIN of its sides (a
    picture larger than any band, real page 1519's: the page is the sides' commonest colour)."""
    common = common_colour(pixels)
    if pixels.shape[1] < 8 * EDGE_STRIP:
        return common
    sides = [pixels[:, :EDGE_STRIP].reshape(-1, 3), pixels[:, -EDGE_STRIP:].reshape(-1, 3)]
    colours = [np.median(s, axis=0) for s in sides]
    if (distance(colours[0], colours[1]) <= 24 < distance(colours[0], common)
            and all((distance(s, c) <= 24).mean() >= EDGE_SHARE for s, c in zip(sides, colours))):
        return colours[0]
    edges = np.concatenate(sides)
    if (distance(edges, common) <= 24).mean() < EDGE_MIN:
        return common_colour(edges)
    return common


def round_box(w: int, h: int, radius: int) -> bool:
    """Whether a box of that size and corner radius is a disc: about square, its corners' radius half its side."""
    return abs(w - h) <= 2 and 2 * radius >= w - 2


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
    differs = distance(sub, background) > DIFFERS
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
        cover = differs[by:by + bh, bx:bx + bw].mean()
        colour = _edge_colour(sub[by:by + bh, bx:bx + bw], own)
        ring = (bw >= OUTLINE_W and bh >= OUTLINE_H and area <= RING * 2 * (bw + bh)
                and own[0].any() and own[-1].any() and own[:, 0].any() and own[:, -1].any())
        if ring:  # before the fill test: a small outlined button's bold label would pass for a fill
            out.append(Box(x0 + bx, y0 + by, bw, bh, None, hex_colour(colour), corner_radius(own)))
        elif cover >= FILLED:
            radius = corner_radius(own)
            ends = _ends(sub[by:by + bh, bx:bx + bw], radius)
            if np.abs(ends[0] - ends[1]).sum() > 2 * DIFFERS:  # an image or a gradient: drawn as a gradient
                paint = f"linear-gradient(135deg,{hex_colour(ends[0])},{hex_colour(ends[1])})"
            else:
                paint = hex_colour(colour)
            box = Box(x0 + bx, y0 + by, bw, bh, paint, None, radius)
            out.append(box)
            if paint.startswith("#") and depth > 1 and bw > 2 * MIN_W and bh > 2 * MIN_H:
                inner = (box.x + 1, box.y + 1, box.x + bw - 1, box.y + bh - 1)
                out.extend(find_boxes(arr, inner, colour, text_boxes, depth - 1))
        if len(out) >= MAX_BOXES:
            break
    return out


def _edge_colour(pixels: np.ndarray, own: np.ndarray) -> np.ndarray:
    """A box's own colour: the median of its pixels 2–4 px inside its edges (what lies inside a card, a
    picture or a button, can outweigh the card's own colour), else of all its pixels."""
    h, w = own.shape
    ring = np.zeros_like(own)
    if h > 8 and w > 8:
        ring[2:4, :] = ring[h - 4:h - 2, :] = True
        ring[:, 2:4] = ring[:, w - 4:w - 2] = True
    ring &= own
    return np.median(pixels[ring] if ring.sum() >= 8 else pixels[own], axis=0)


def _fill_holes(own: np.ndarray) -> np.ndarray:
    """`own` with every hole it encloses filled."""
    contours, _ = cv2.findContours(own.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = np.zeros(own.shape, np.uint8)
    cv2.drawContours(out, contours, -1, 1, thickness=cv2.FILLED)
    return out.astype(bool)


def colour_boxes(arr: np.ndarray, background, text_boxes=()) -> list[Box]:
    """The boxes of one colour each in `arr` (H×W×3 uint8), largest first: for each of the page's commonest
    colours (to 32 levels a channel), each connected patch of it of at least MIN_W × MIN_H px that, with
    the holes it encloses filled (its text, the cards and pictures on it), covers SOLID_COVER of its
    rectangle — a band, a card, a button, a picture of one colour — or that is a disc (an avatar: one round
    box, where a rectangle's rows would cut it into slices), or a thin ring (an outline: an input, a bordered
    card). The page itself (`background` over nearly all of it) is left out. Unlike
    `find_boxes`, boxes of different colours that touch (a header over a nav bar, a picture on a band) come
    apart, and a band holding a card of the page's colour stays one box."""
    full_h, full_w = arr.shape[:2]
    if full_h < MIN_H or full_w < MIN_W:
        return []
    # a large page is read at half resolution (4× fewer pixels; boxes to ±1 px)
    step = 2 if full_h * full_w > 600_000 else 1
    if step > 1:
        arr = arr[::step, ::step]
        text_boxes = [(tx // step, ty // step, -(-tw // step), -(-th // step)) for tx, ty, tw, th in text_boxes]
    h, w = arr.shape[:2]
    min_w, min_h = MIN_W // step, MIN_H // step
    q = (arr >> 3).astype(np.int32)
    key = (q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]
    text = np.zeros((h, w), bool)
    for tx, ty, tw, th in text_boxes:
        text[max(0, ty - 1):ty + th + 1, max(0, tx - 1):tx + tw + 1] = True
    values, counts = np.unique(key[~text], return_counts=True)
    bg_key = (int(background[0]) >> 3 << 10) | (int(background[1]) >> 3 << 5) | (int(background[2]) >> 3)
    out: list[tuple[int, Box]] = []
    for k in np.argsort(-counts)[:MAX_COLOURS]:
        if counts[k] < min_w * min_h:
            break
        mask = (key == values[k]).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
        for i in range(1, n):
            x, y, bw, bh, area = (int(v) for v in stats[i])
            if bw < min_w or bh < min_h:
                continue
            if values[k] == bg_key and bw >= 0.9 * w and bh >= 0.9 * h:
                continue  # the page
            own = labels[y:y + bh, x:x + bw] == i
            # an outline runs along all four sides (most of each: its corners may be rounded)
            ring = (bw >= OUTLINE_W // 2 // step and bh >= OUTLINE_H // 2 // step and area <= RING * 2 * (bw + bh)
                    and min(own[0].mean(), own[-1].mean(), own[:, 0].mean(), own[:, -1].mean()) >= 0.6)
            colour = hex_colour(np.median(arr[y:y + bh, x:x + bw][own], axis=0))
            if ring:
                out.append((bw * bh, Box(x * step, y * step, bw * step, bh * step, None, colour,
                                         corner_radius(_fill_holes(own)) * step)))
                continue
            solid = _fill_holes(own)
            trimmed = False
            if _disc(own, solid):  # an avatar, a round icon button: one box, as round as it is
                out.append((bw * bh, Box(x * step, y * step, bw * step, bh * step, colour, None, bw * step // 2)))
                continue
            if solid.mean() >= SOLID_COVER:
                parts = [_body(solid, -(-JUT // step))]
                trimmed = parts[0] != (0, bh, 0, bw)
            else:  # an L or a T (a content card running into a sidebar): the rectangles it is made of
                parts = _rectangles(solid)
            for y0, y1, x0, x1 in parts:
                part = solid[y0:y1, x0:x1]
                # (a body cut from its patch has its corners where something jutted or frayed: read square)
                radius = 0 if trimmed else corner_radius(part)
                out.append(((y1 - y0) * (x1 - x0), Box((x + x0) * step, (y + y0) * step, (x1 - x0) * step,
                                                       (y1 - y0) * step, colour, None, radius * step)))
        if len(out) >= MAX_BOXES:
            break
    return [b for _, b in sorted(out, key=lambda t: -t[0])][:MAX_BOXES]


def _disc(own: np.ndarray, solid: np.ndarray) -> bool:
    """Whether a patch (`own`; `solid`: its holes filled) is a disc: about square, within DISC_MATCH of the disc
    its rectangle holds (a rectangle's rows would cut it into slices), and mostly its own colour (an "O" of a
    large heading, its hole filled, is a disc too, but a ring)."""
    h, w = solid.shape
    if abs(h - w) > max(2, 0.08 * w):
        return False
    yy, xx = np.mgrid[:h, :w]
    disc = ((yy + 0.5 - h / 2) / (h / 2)) ** 2 + ((xx + 0.5 - w / 2) / (w / 2)) ** 2 <= 1
    return ((disc & solid).sum() >= DISC_MATCH * (disc | solid).sum()
            and (disc & own).sum() >= DISC_OWN * disc.sum())


def _body(solid: np.ndarray, jut: int) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1): the rectangle of a solid patch without what juts `jut` or more from its sides, each side
    then the outermost column (row) that at least EDGE_COVER of its rows (columns) reach. A blog's main panel
    with a tab 20 px into the sidebar beside it ("»", page 13545) is the panel alone, so that the two stand side
    by side."""
    h, w = solid.shape
    cols = np.flatnonzero(solid.mean(axis=0) >= EDGE_COVER)
    rows = np.flatnonzero(solid.mean(axis=1) >= EDGE_COVER)
    if not len(cols) or not len(rows):
        return 0, h, 0, w
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return (y0 if y0 >= jut else 0, y1 if h - y1 >= jut else h, x0 if x0 >= jut else 0, x1 if w - x1 >= jut else w)


def _rectangles(solid: np.ndarray) -> list[tuple[int, int, int, int]]:
    """A patch cut into the runs of rows whose extent (leftmost, rightmost pixel) stays within 4 px: each
    run's rectangle (y0, y1, x0, x1), when there are 1–8 once slivers are left out, each at least SOLID_COVER
    covered and together most of the patch, else []."""
    any_row = solid.any(axis=1)
    lefts = np.where(any_row, solid.argmax(axis=1), -1)
    rights = np.where(any_row, solid.shape[1] - 1 - solid[:, ::-1].argmax(axis=1), -1)
    out, start = [], None
    for y in range(solid.shape[0] + 1):
        same = (start is not None and y < solid.shape[0] and lefts[y] >= 0
                and abs(lefts[y] - lefts[start]) <= 4 and abs(rights[y] - rights[start]) <= 4)
        if start is not None and not same:
            out.append((start, y, int(lefts[start]), int(rights[start]) + 1))
            start = None
        if start is None and y < solid.shape[0] and lefts[y] >= 0:
            start = y
    out = [r for r in out if r[1] - r[0] >= 4 and r[3] - r[2] >= 4]  # slivers (a 1 px gap between pictures) go
    if not 1 <= len(out) <= 8 or any(solid[y0:y1, x0:x1].mean() < SOLID_COVER for y0, y1, x0, x1 in out):
        return []
    if sum((y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in out) < 0.7 * solid.sum():
        return []
    return out


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
    r = min(n, int(round(gap / (1 - 2 ** -0.5))))
    # a large round corner's top edge starts about r in; a notch (a tab laid over the corner) leaves the
    # diagonal's gap but starts its edge just past the notch (small corners are too few pixels to tell)
    notch = r >= 8 and (not own[0].any() or own[0].argmax() < r / 2)
    return 0 if notch else r
