"""Facts → the layout tree: which boxes hold what, how their content flows, what each part of the page is.

`infer(arr, ocr_lines)` reads the screenshot `arr` (H×W×3 uint8) and its OCR lines and returns the page's
`Node` tree (`app.layout.tree`):

1. **Perception.** The text lines (`app.perceive.text.read_lines`: OCR reads of solid blocks dropped, columns
   cut, sizes, weights, colours, list markers; buttons' labels read again, `app.perceive.labels`), the boxes
   drawn behind them (`page_boxes`: boxes of one colour, `app.perceive.boxes.colour_boxes`, and the pictures and
   gradients no such box explains, `find_boxes`) and the thin rules between them (`dividers`; an upright bar
   beside text makes it a quote, `_quotes`). A dialog over a
   dimmed page (`app.perceive.overlay`) is read apart: the page behind it undimmed, and the card on its own.
2. **Containment.** Each box's parent is the smallest box around it; each line belongs to the smallest box
   around its centre. A box is then a leaf or a container: with nothing inside, an image (≥ ICON px) or an
   icon; with one line inside, a button (its label centred, a button's size) or an input (its placeholder at
   its left, an outline; a taller outline with its line at the top: a text area); an outlined box of an
   input's size with nothing in it, an input; an empty patch of the colour it lies on, nothing; else a painted
   container (a card, a section) whose content is laid out in turn, its padding the gap from its edges to
   its content.
3. **Flow** (`arrange`): a container's items (its leaves, child containers and text blocks, from
   `app.perceive.text.blocks`) are cut recursively, XY-cut: across the widest empty band, horizontal (a
   column) or vertical (a row), whichever direction's widest gap is wider, consecutive bands that share an
   empty vertical strip wider than the gap between them merged first (side-by-side columns come apart
   before their lines do); items that overlap both ways stay in reading order. Then regroup (`app.layout.groups`): rows of near-equal cells → grids, stacked rows
   of the same columns → a grid or a table, runs of list items → lists, a label over an input → a field,
   rows with a wide gap → two rows pushed apart.
4. **Styles** (`app.layout.typeset`): the page's text colours, line heights and measures made consistent.
5. **Regions** (`app.layout.regions`): header (with its nav), main with its sections, aside, footer.

Text nodes carry their layout box: the line boxes the letters sit in, at the line height the code will give
them, so that gaps and paddings measured here come out where the input has them.

Not here: the measures of text and boxes (`app.perceive`), writing code (`app.compose`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from app.layout import groups, regions
from app.layout.typeset import typeset
from app.layout.tree import CONTAINERS, Node, bounds
from app.perceive.boxes import Box, colour_boxes, find_boxes, hex_colour, near_colours, page_colour
from app.perceive.labels import read_buttons, relabel
from app.perceive.overlay import ALPHA, behind_pixels, card_pixels, find_dialog, on_card, split_lines
from app.perceive.pixels import distance
from app.perceive.text import Block, Line, blocks, is_text, pieces, read_lines, text_colour

ICON = 48            # px: an empty box smaller than this both ways is an icon, else an image
BUTTON_H = (18, 72)  # a button's height range, px
LINE_HEIGHT = 1.2    # of the font size, for a text of one line
RULE_MAX = 3         # px: a rule (divider) is at most this thick
RULE_MIN = 60        # px: and at least this long
UNDERLINE_GAP = 4    # px: a rule at most this far under a text, within its span, is the text's underline
BAR_MAX, BAR_MIN = 12, 20  # px: an upright bar (a quote's) is 2 px to this wide and at least this tall
QUOTE_WORDS = 4      # words a quote holds at least
QUOTE_GAP, QUOTE_SLACK = 40, 8  # px: a quote's text starts at most this far right of its bar, ends this near its ends
ICON_READ = 60.0     # OCR confidence under which a line across icons is their misreading
GLYPH_READ, GLYPH_COLOUR = 70.0, 60  # a line read this surely holds letters; a box this near their colour is one
DEPTH = 4            # levels of boxes looked for inside boxes
DARK_PAGE = 40       # a "backdrop" darker than this in every channel, with nothing behind it, is a dark page
OVERLAP = 2          # px two items may overlap and still be cut apart
WRAPPED = {"text", "button", "input", "image", "icon", "divider", "table", "list", "field"}  # kinds a box wraps
RING = 4             # px: an outline at most this far round the box inside it is that box's border
UNSEEN = 24          # summed channel distance: a "text" this near the colour it lies on cannot be seen (OCR of a picture)
SHADE = 12           # summed channel distance: an empty patch this near a larger box's colour, touching it, is its edge


def infer(arr: np.ndarray, ocr_lines: Sequence) -> Node:
    """The layout tree of the screenshot `arr` (H×W×3 uint8) whose OCR lines are `ocr_lines` (see the module
    doc). A dialog over a dimmed page (`app.perceive.overlay`) becomes the page's last child, an `overlay`
    node holding the card's own tree, over the tree of the page behind it."""
    d = find_dialog(arr, ocr_lines) if arr.size else None
    if d is not None and d.alone and max(d.backdrop) < DARK_PAGE:
        d = None  # a card alone on a black page is the page's design, not a dialog over a dimmed one
    if d is None:
        return _page(arr, ocr_lines)
    on, off = split_lines(ocr_lines, d)
    if d.alone:
        # nothing behind the dialog: the page is the backdrop's colour, undimmed
        page_colour = tuple(min(255, round(c / (1 - ALPHA))) for c in d.backdrop)
        page = Node("page", 0, 0, arr.shape[1], arr.shape[0], style={"bg": hex_colour(page_colour)})
    else:
        page = _page(behind_pixels(arr, d, ALPHA, off), off)
    card = _page(card_pixels(arr, d), [on_card(ln, d) for ln in on])
    for n in card.walk():
        n.x, n.y = n.x + d.x, n.y + d.y
        if n.role in ("header", "header-nav", "footer", "section"):
            n.role = ""
    pad = [0, 0, 0, 0]
    if card.children:
        x, y, w, h = bounds(card.children)
        pad = [y - d.y, d.x + d.w - (x + w), d.y + d.h - (y + h), x - d.x]
    page.children.append(Node("overlay", d.x, d.y, d.w, d.h, card.children, role="dialog",
                              style={"bg": hex_colour(d.fill), "radius": d.radius, "pad": pad, "alpha": ALPHA,
                                     "centred": abs(d.y + d.h / 2 - arr.shape[0] / 2) <= 0.03 * arr.shape[0]}))
    return page


def _page(arr: np.ndarray, ocr_lines: Sequence) -> Node:
    """The layout tree of a page with no overlay."""
    h, w = arr.shape[:2]
    bg = page_colour(arr) if arr.size else np.array([255, 255, 255])
    ocr_lines = [ln for ln in ocr_lines if is_text(arr, ln)]
    # each line's columns blanked, not its whole box: a line Tesseract reads across a row of cards would cut
    # the cards between its columns into strips
    blank = [(p.x, p.y, p.w, p.h) for ln in ocr_lines for p in pieces(ln)]
    found = _without_glyphs(arr, page_boxes(arr, bg, blank), ocr_lines)
    ocr_lines = [ln for ln in ocr_lines if not _reads_icons(ln, found)]
    # Tesseract reads a button's outline as letters or loses a label on a fill: each is read on its own
    lines = read_lines(arr, relabel(ocr_lines, read_buttons(arr, found)))
    rules = dividers(arr, bg, blank)
    root = _Area(None)
    areas = [_Area(b) for b in sorted(found, key=lambda b: -b.w * b.h)]
    for k, a in enumerate(areas):
        parent = next((p for p in reversed(areas[:k]) if _inside(a.box, p.box)), root)
        parent.kids.append(a)
        a.under = parent.box.fill if parent.box is not None else hex_colour(bg)
    for ln in lines:
        home = _home(root, ln)
        behind = (home.box.fill if home.box is not None else None) or home.under or hex_colour(bg)
        if not _near(ln.colour, behind, UNSEEN):  # letters of the colour they lie on: a picture's edges misread
            home.lines.append(ln)
    for r in rules:
        _home(root, r).rules.append(r)
    items = _items(root, arr)
    page = Node("page", 0, 0, w, h, style={"bg": hex_colour(bg)})
    if items:
        body = arrange(items)
        bands = body.children if body.kind == "column" and not body.style else [body]
        # a band is a container (a region holds its content)
        page.children = [b if b.kind in CONTAINERS else Node("column", b.x, b.y, b.w, b.h, [b]) for b in bands]
    typeset(page)
    regions.assign(page)
    return page


def _without_glyphs(arr: np.ndarray, boxes: list[Box], lines) -> list[Box]:
    """`boxes` without the letters of lines read surely (GLYPH_READ): a box inside such a line's box, less than
    half as wide, in its letters' colour. A 56 px headline's bold "o" and "t" are patches of one colour as large
    as a button; taken for boxes, the line fell inside its "t" and was written in white on white (`landing_dark`)."""
    sure = [ln for ln in lines if getattr(ln, "conf", 0.0) >= GLYPH_READ]
    ink: dict[int, str] = {}  # a line's letters' colour, read once

    def glyph(box: Box) -> bool:
        for ln in sure:
            if (box.w < ln.w / 2 and ln.x - 2 <= box.x and box.x + box.w <= ln.x + ln.w + 2
                    and ln.y - 2 <= box.y and box.y + box.h <= ln.y + ln.h + 2):
                if id(ln) not in ink:
                    ink[id(ln)] = text_colour(arr, ln)
                return near_colours(box.fill, ink[id(ln)], GLYPH_COLOUR)
        return False

    return [b for b in boxes if not glyph(b)]


def _reads_icons(line, found: list[Box]) -> bool:
    """Whether an unsure OCR line (under ICON_READ confidence) lies across two icons or more: Tesseract's
    reading of a row of icons ("O00 O oe jen", real page 62), written as a blue title with the icons stacked
    under it as a staircase."""
    if getattr(line, "conf", 100.0) >= ICON_READ:
        return False
    inside = [b for b in found if b.w < ICON and b.h < ICON and line.x <= b.x + b.w / 2 <= line.x + line.w
              and line.y <= b.y + b.h / 2 <= line.y + line.h]
    return len(inside) >= 2


class _Area:
    """A box found on the page, or the page itself (box None), with what lies directly in it."""

    def __init__(self, box: Box | None):
        self.box = box
        self.under: str | None = None  # the colour it lies on (its parent's fill, or the page's)
        self.kids: list[_Area] = []
        self.lines: list[Line] = []
        self.rules: list[Node] = []

    def all_lines(self) -> list[Line]:
        return self.lines + [ln for k in self.kids for ln in k.all_lines()]


def _inside(a, b, tol: int = 2) -> bool:
    return (a.x >= b.x - tol and a.y >= b.y - tol and a.x + a.w <= b.x + b.w + tol
            and a.y + a.h <= b.y + b.h + tol and (a.w * a.h) < (b.w * b.h))


def _home(area: _Area, thing) -> _Area:
    """The innermost area whose box holds the middle of `thing` (x, y, w, h)."""
    cx, cy = thing.x + thing.w / 2, thing.y + thing.h / 2
    for k in area.kids:
        b = k.box
        if b.x <= cx < b.x + b.w and b.y <= cy < b.y + b.h:
            return _home(k, thing)
    return area


def page_boxes(arr: np.ndarray, bg, blank) -> list[Box]:
    """The page's boxes: those of one colour (`colour_boxes`), and the pictures and gradients that no box of
    one colour explains (`find_boxes`' patches painted as gradients)."""
    h, w = arr.shape[:2]
    # a patch of the page's own colour that reaches the page's edge is the page showing (the content beside a
    # sidebar, a band between two coloured ones), not a box on it
    solid = [b for b in colour_boxes(arr, bg, blank) if not _page_showing(b, bg, w, h)]
    out = list(solid)
    # outlines (an input, a bordered card) of no one colour: a rounded outline's anti-aliased corners differ
    # from its sides, which leaves colour_boxes four lines and no ring; find_boxes' rings are what differs from
    # the box they are drawn on, corners and all (at full resolution: a 1 px line can fall between the rows
    # of a half-resolution read)
    for b in find_boxes(arr, (0, 0, w, h), bg, blank, depth=DEPTH):
        if b.border and not b.fill and not any(_overlap(b, o) >= 0.8 and _overlap(o, b) >= 0.8 for o in out):
            out.append(b)
    step = 2 if h * w > 600_000 else 1  # pictures are large: found at half resolution on a large page
    small = [(x // step, y // step, -(-bw // step), -(-bh // step)) for x, y, bw, bh in blank]
    for b in find_boxes(arr[::step, ::step], (0, 0, -(-w // step), -(-h // step)), bg, small, depth=1):
        b = Box(b.x * step, b.y * step, b.w * step, b.h * step, b.fill, b.border, b.radius * step)
        if not (b.fill or "").startswith("linear-gradient") or (b.w >= w - 2 and b.h >= h - 2):
            continue
        covered = max((_overlap(b, s) for s in solid), default=0.0)
        # boxes of one colour filling most of it: a shadow or a frame around them, not a picture
        held = sum(s.w * s.h for s in solid if _overlap(s, b) >= 0.95 and s.w * s.h < b.w * b.h)
        if covered < 0.6 and held < 0.5 * b.w * b.h:
            out.append(b)
    return out


def _page_showing(b: Box, bg, w: int, h: int) -> bool:
    """Whether `b` is filled with the page's colour `bg` and reaches the edge of the page (w × h px)."""
    if not (b.fill or "").startswith("#"):
        return False
    near = sum(abs(int(b.fill[i:i + 2], 16) - int(c)) for i, c in zip((1, 3, 5), bg)) <= 24
    return near and (b.x <= 1 or b.y <= 1 or b.x + b.w >= w - 1 or b.y + b.h >= h - 1)


def _overlap(a, b) -> float:
    """The share of `a`'s area that `b` covers."""
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.x + a.w, b.x + b.w), min(a.y + a.h, b.y + b.h)
    return max(0, x1 - x0) * max(0, y1 - y0) / max(1, a.w * a.h)


def dividers(arr: np.ndarray, bg, text_boxes=()) -> list[Node]:
    """Thin horizontal rules: rows of at most RULE_MAX px of one colour, other than `bg`, at least RULE_MIN
    px long, away from text and not a text's underline (at most UNDERLINE_GAP px under a text's box and within
    its span: real page 14021's underlined links became a stack of rules under their list); and upright bars
    (2 to BAR_MAX px wide, at least BAR_MIN px tall, `style["bar"]`), which only a quote beside one keeps
    (`_quotes`)."""
    import cv2

    if arr.size == 0:
        return []
    differs = (distance(arr, bg) > 24).astype(np.uint8)
    for x, y, w, h in text_boxes:
        differs[max(0, y - 1):y + h + 1, max(0, x - 1):x + w + 1] = 0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(differs, connectivity=4)
    out = []
    for k in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[k])
        if 2 <= w <= BAR_MAX and h >= max(BAR_MIN, 3 * w) and area >= 0.9 * w * h:
            colour = hex_colour(np.median(arr[y:y + h, x:x + w].reshape(-1, 3), axis=0))
            out.append(Node("divider", x, y, w, h, style={"colour": colour, "bar": True}))
            continue
        if w < RULE_MIN or h > RULE_MAX or area < 0.9 * w * h:
            continue
        g = UNDERLINE_GAP
        if not any(0 <= y - (ty + th) <= g and tx - g <= x and x + w <= tx + tw + g for tx, ty, tw, th in text_boxes):
            colour = hex_colour(np.median(arr[y:y + h, x:x + w].reshape(-1, 3), axis=0))
            out.append(Node("divider", x, y, w, h, style={"colour": colour}))
    return out[:64]


def text_node(b: Block) -> Node:
    """A text block as a leaf with its layout box: its lines at the height the code gives them."""
    first = b.first
    n = len(b.lines)
    lh = round(b.pitch) if n > 1 else round(LINE_HEIGHT * first.size)
    if b.code:  # its rows, blank ones too, at the step between its closest lines
        n, lh = b.text.count("\n") + 1, b.row_step
    top = first.y - first.lift - (lh - first.size) / 2
    style = {"size": first.size, "weight": 700 if first.bold else 400, "colour": b.colour, "lh": lh,
             "align": b.align, "lines": n}
    role = "li" if first.marker else ("pre" if b.code else "")
    if first.marker:
        style["marker"] = first.marker
    if not b.code and n > 1:  # its lines (`app.layout.typeset`), with a `<br>` where broken by hand
        style["rows"], style["hard"] = [ln.text for ln in b.lines], list(b.hard_breaks)
    serif, italic = b.face
    if serif:
        style["family"] = "serif"
    if italic:
        style["italic"] = True
    if b.colour_runs:  # words in another colour (a link's): [first word, end word, colour]
        style["runs"] = [list(run) for run in b.colour_runs]
    return Node("text", b.x, int(round(top)), b.w, n * lh, role=role, text=b.text, style=style)


def _paint(box: Box) -> dict:
    out = {}
    if box.fill:
        out["bg"] = box.fill
    if box.border:
        out["border"] = box.border
    if box.radius:
        out["radius"] = box.radius
    return out


def _items(area: _Area, arr: np.ndarray) -> list[Node]:
    """The nodes directly in `area`: its child boxes as leaves or containers, its text blocks, its rules."""
    out = [_box_node(k, arr) for k in area.kids if not _edge_shade(k, area.kids)]
    texts = _quotes([text_node(b) for b in blocks(area.lines)], [r for r in area.rules if r.style.get("bar")])
    out += texts + [r for r in area.rules if not r.style.get("bar")]
    return [n for n in out if n is not None]


def _quotes(texts: list[Node], bars: list[Node]) -> list[Node]:
    """`texts` with those beside an upright bar (starting at most QUOTE_GAP px right of it, as tall as it to
    within QUOTE_SLACK, QUOTE_WORDS words at least) put in a quote: a column with the bar as its left border
    (`style["bar"]`: width, colour), role "quote" (real page 10792's two quotes beside a 10 px grey bar lost the
    bar and read as paragraphs set in). A bar no text stands beside this way (a column's edge, a picture's, a
    divider between a nav's links) is left out."""
    out = list(texts)
    for bar in bars:
        beside = [t for t in out if t.kind == "text" and 0 <= t.x - bar.right <= QUOTE_GAP
                  and bar.y <= t.y + t.h / 2 <= bar.bottom]
        if sum(len(t.text.split()) for t in beside) < QUOTE_WORDS:
            continue  # (a nav's links, a word or two each after a divider, are no quote)
        top, bottom = min(t.y for t in beside), max(t.bottom for t in beside)
        slack = max(QUOTE_SLACK, beside[0].style.get("size", 0))
        if abs(top - bar.y) > slack or abs(bottom - bar.bottom) > slack:
            continue
        y0, y1 = min(top, bar.y), max(bottom, bar.bottom)
        right = max(t.right for t in beside)
        pad = (top - y0, 0, y1 - bottom, min(t.x for t in beside) - bar.right)
        quote = Node("column", bar.x, y0, right - bar.x, y1 - y0, sorted(beside, key=lambda t: t.y), role="quote",
                     style={"bar": [bar.w, bar.style["colour"]], "pad": pad})
        out = [t for t in out if not any(t is b for b in beside)] + [quote]
    return out


def _edge_shade(k: _Area, kids: list[_Area]) -> bool:
    """Whether `k` is an empty patch touching a larger box of nearly its colour: that box's edge (a sidebar's
    shadow, cut where its colour crosses a level of `colour_boxes`), not a picture of its own."""
    b = k.box
    if k.kids or k.lines or b.border or not b.fill:
        return False
    return any(o is not k and o.box.fill and o.box.w * o.box.h > b.w * b.h and _near(b.fill, o.box.fill, SHADE)
               and _touching(b, o.box) for o in kids)


def _touching(a, b, gap: int = 4) -> bool:
    """Whether boxes `a` and `b` meet (at most `gap` px apart) along a side they share."""
    across = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    down = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return (across > 0 and -gap <= down <= 0) or (down > 0 and -gap <= across <= 0)


def _box_node(area: _Area, arr: np.ndarray) -> Node | None:
    b = area.box
    lines = area.all_lines()
    paint = _paint(b)
    if b.h <= RULE_MAX or b.w <= RULE_MAX:
        return Node("divider", b.x, b.y, b.w, b.h, style={"colour": b.fill or b.border or "#cccccc"})
    input_sized = BUTTON_H[0] <= b.h <= 64 and b.w >= 3 * b.h
    if not lines:
        if not area.kids and not b.border and _near(b.fill, area.under):
            return None  # an empty patch of (nearly) the colour it lies on: background, not a picture
        if b.border and not b.fill and input_sized:
            return Node("input", b.x, b.y, b.w, b.h, style=paint)
        if area.kids:
            paint["inner"] = [k.box.fill for k in area.kids if k.box.fill][:1]
        kind = "icon" if b.w < ICON and b.h < ICON else "image"
        return Node(kind, b.x, b.y, b.w, b.h, style=paint)
    if len(lines) == 1 and not any(k.all_lines() for k in area.kids):
        ln = lines[0]
        centred = abs((ln.x + ln.w / 2) - (b.x + b.w / 2)) <= max(6, 0.12 * b.w)
        if BUTTON_H[0] <= b.h <= BUTTON_H[1] and b.w >= 1.5 * b.h and centred and b.w <= 480:
            t = text_node(Block((ln,), ln.x, ln.y, ln.w, ln.h, 0.0, "center"))
            return Node("button", b.x, b.y, b.w, b.h, text=ln.text, style={**paint, **_text_style(t)})
        light = b.fill and b.fill.startswith("#") and sum(int(b.fill[i:i + 2], 16) for i in (1, 3, 5)) >= 690
        if (input_sized and b.w <= 640 and ln.x - b.x <= 0.25 * b.w and not centred and (b.border or light)
                and ln.h >= 0.25 * b.h):
            t = text_node(Block((ln,), ln.x, ln.y, ln.w, ln.h, 0.0, "left"))
            return Node("input", b.x, b.y, b.w, b.h, text=ln.text,
                        style={**paint, **_text_style(t), "pad_left": ln.x - b.x})
        # a taller outline with its one line at its top left: a text area and its placeholder
        if (b.border and not b.fill and 64 < b.h <= 320 and b.w >= 2 * b.h and ln.y - b.y <= 0.35 * b.h
                and ln.x - b.x <= 0.15 * b.w):
            t = text_node(Block((ln,), ln.x, ln.y, ln.w, ln.h, 0.0, "left"))
            return Node("input", b.x, b.y, b.w, b.h, role="textarea", text=ln.text,
                        style={**paint, **_text_style(t), "pad_left": ln.x - b.x, "pad_top": ln.y - b.y})
    items = _items(area, arr)
    if not items:
        return Node("image", b.x, b.y, b.w, b.h, style=paint)
    content = arrange(items)
    inner = content.style.get("pad")  # one box of its own inside (a picture with its caption in an outline)
    if content.kind in WRAPPED or inner:
        content = Node("column", *bounds([content]), children=[content])
    cx, cy, cw, ch = content.x, content.y, content.w, content.h
    pad = [max(0, cy - b.y), max(0, b.x + b.w - (cx + cw)), max(0, b.y + b.h - (cy + ch)), max(0, cx - b.x)]
    if inner and not b.fill and max(pad) <= RING:  # an outline hugging the box inside: one box, outlined
        content = content.children[0]
        pad = [p + q for p, q in zip(pad, inner)]
        paint.pop("radius", None)
    content.x, content.y, content.w, content.h = b.x, b.y, b.w, b.h
    content.style.update(paint)
    content.style["pad"] = pad
    content.role = content.role or "card"
    return content


def _near(a: str | None, b: str | None, within: int = 40) -> bool:
    """Whether two "#rrggbb" colours differ by at most `within`, summed over channels (a white margin on a
    #f6f6f6 page)."""
    return near_colours(a, b, within)


def _text_style(t: Node) -> dict:
    return {k: t.style[k] for k in ("size", "weight", "colour", "lh")}


def _clusters(items: list[Node], axis: int) -> list[list[Node]]:
    """`items` grouped where their extents along `axis` (0: x, 1: y) overlap by more than OVERLAP px."""
    key = (lambda n: (n.x, n.x + n.w)) if axis == 0 else (lambda n: (n.y, n.y + n.h))
    out: list[list[Node]] = []
    end = None
    for n in sorted(items, key=lambda n: key(n)[0]):
        a, b = key(n)
        if out and a < end - OVERLAP:
            out[-1].append(n)
            end = max(end, b)
        else:
            out.append([n])
            end = b
    return out


def _widest_gap(groups_: list[list[Node]], axis: int) -> int:
    ends = [max((n.x + n.w) if axis == 0 else (n.y + n.h) for n in g) for g in groups_]
    starts = [min(n.x if axis == 0 else n.y for n in g) for g in groups_]
    return max((starts[k + 1] - ends[k] for k in range(len(groups_) - 1)), default=0)


def _x_gaps(band: list[Node], min_gap: int = 24) -> list[tuple[int, int]]:
    """The empty x-intervals (at least `min_gap` px) between a band's column clusters."""
    cols = _clusters(band, 0)
    out = []
    for a, b in zip(cols, cols[1:]):
        x0, x1 = max(n.x + n.w for n in a), min(n.x for n in b)
        if x1 - x0 >= min_gap:
            out.append((x0, x1))
    return out


def _table_row(band: list[Node]) -> bool:
    return len(band) >= 2 and all(n.kind == "text" and n.style.get("lines", 1) == 1 for n in band)


def _merge_columns(bands: list[list[Node]]) -> list[list[Node]]:
    """Consecutive bands that share an empty x-interval wider than the gap between them merged, so that
    side-by-side columns are cut apart before their lines are (XY-cut would first cut across both)."""
    out: list[list[Node]] = []
    for band in bands:
        if out:
            prev = out[-1]
            vgap = min(n.y for n in band) - max(n.y + n.h for n in prev)
            shared = [(max(a0, b0), min(a1, b1)) for a0, a1 in _x_gaps(prev) for b0, b1 in _x_gaps(band)]
            widest = max((b - a for a, b in shared), default=0)
            cols = _clusters(prev, 0)
            x0, x1 = min(n.x for n in band), max(n.x + n.w for n in band)
            within = len(cols) >= 2 and vgap <= 24 and any(
                min(n.x for n in c) - 8 <= x0 and x1 <= max(n.x + n.w for n in c) + 8 for c in cols)
            if within or (widest >= 24 and vgap <= widest and not (_table_row(prev) and _table_row(band))):
                out[-1] = prev + band
                continue
        out.append(list(band))
    return out


def arrange(items: list[Node]) -> Node:
    """`items` (nodes with boxes) laid out as one node: XY-cut into columns and rows (see the module doc),
    then regrouped (`app.layout.groups.regroup`)."""
    if len(items) == 1:
        return items[0]
    bands, cols = _merge_columns(_clusters(items, 1)), _clusters(items, 0)
    if len(bands) > 1 and (len(cols) < 2 or _widest_gap(bands, 1) >= _widest_gap(cols, 0)):
        node = Node("column", *bounds(items), children=[arrange(b) for b in bands])
    elif len(cols) > 1:
        node = Node("row", *bounds(items), children=[arrange(c) for c in cols])
    else:  # overlapping both ways: kept in flow, in reading order
        node = Node("column", *bounds(items), children=sorted(items, key=lambda n: (n.y, n.x)))
    return groups.regroup(node)
