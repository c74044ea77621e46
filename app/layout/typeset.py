"""One page's text styles made consistent: what a screenshot shows as one style is read as several.

A text's colour is the median of its letters' pixels, and anti-aliasing moves it by a few levels from line to
line; a paragraph's line height is its lines' pitch, which OCR's line boxes move by a few px; a one-line text has
no pitch and is given 1.2 × its size. Written as read, the 28 paragraphs of a blog post (real page 13545) took 20
classes, `#232323` to `#2f2f2f`, line heights 22 to 33 px, each with its own `margin-top` making up for the
difference. A designer set them as one style. `typeset(page)`, on the finished tree:

- **colours**: the page's text colours, commonest first (by characters), each taking the first commoner one
  within COLOUR_NEAR (summed over channels);
- **line heights**: the texts of one size whose lines wrap give that size's pitch (their median, when they agree
  within PITCH_SPREAD); each text of that size takes it (its box kept centred), a one-line text only where its
  taller box meets no other leaf;
- **measures**: a wrapping paragraph's measure (`style["measure"]`, the width the code gives it) is its
  widest line as the face it is written in sets it (Arial, or the serif or italic face read;
  `app.layout.metrics`), within MEASURE_GROWTH of the width read either way, so that its lines break where the
  picture's do; and the wrapping paragraphs of one size stacked in one container wrap at one measure, the
  widest of theirs.
- **line breaks**: a text of short lines (at most BREAK_WORDS words each, `style["rows"]`) at most BROKEN of
  the room it stands in (its column's, or past a column wrapped round it, that column's parent's) was broken by
  hand, not wrapped (an address: "NotaryFly.com / [ADDRESS REDACTED] / [ADDRESS REDACTED]" in a card 948 px
  wide), though no line ends short enough to show it (`app.perceive.text.Block.hard_breaks`): each of its
  breaks is kept (`style["hard"]`). Wrapped at its widest line's measure, a browser's wider letters broke each
  address line in two (real page 1519).

Not here: reading the styles (`app.perceive.text`), writing them (`app.compose.html`).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from statistics import median

from app.layout.groups import painted
from app.layout.metrics import line_width
from app.layout.tree import Node
from app.perceive.boxes import near_colours

COLOUR_NEAR = 30     # summed over channels: colours this close are one
PITCH_SPREAD = 0.2   # the pitches of one size agree when all lie within this share of their median
PITCH_RANGE = (1.0, 2.2)  # a pitch, in font sizes, that a one-line text may take
BROKEN = 0.6         # a text of short lines at most this share of its room's width was broken by hand
BREAK_WORDS = 5      # a short line: at most this many words (an address's, a contact's)
MEASURE_GROWTH = 1.25  # a paragraph's measure, set in its face, differs from the width read by at most this factor


def typeset(page: Node) -> None:
    """Make `page`'s text styles consistent, in place (see the module doc)."""
    texts = [n for n in page.walk() if n.kind == "text" and "size" in n.style]
    if not texts:
        return
    _colours(texts)
    _line_heights(page, texts)
    _measures(page)
    _breaks(page, page.w)


def _colours(texts: list[Node]) -> None:
    weight = Counter()
    for t in texts:
        weight[t.style.get("colour")] += max(1, len(t.text))
    reps: list[str] = []
    to: dict[str, str] = {}
    for colour, _ in weight.most_common():
        near = next((c for c in reps if near_colours(colour, c, COLOUR_NEAR)), None)
        if near is not None:
            to[colour] = near
        elif near_colours(colour, colour, 0):  # a "#rrggbb" colour: a representative of its own
            reps.append(colour)
    for t in texts:
        t.style["colour"] = to.get(t.style.get("colour"), t.style.get("colour"))


def _line_heights(page: Node, texts: list[Node]) -> None:
    pitches = defaultdict(list)
    for t in texts:
        if t.style.get("lines", 1) > 1:
            pitches[t.style["size"]].append(t.style["lh"])
    leaves = [n for n in page.walk() if not n.children and n.kind != "page"]
    for size, seen in pitches.items():
        pitch = median(seen)
        if max(abs(p - pitch) for p in seen) > PITCH_SPREAD * pitch:
            continue  # texts of one size set at different line heights: leave each its own
        pitch = round(pitch)
        for t in (t for t in texts if t.style["size"] == size and t.style["lh"] != pitch):
            lines = t.style.get("lines", 1)
            if lines == 1 and not PITCH_RANGE[0] * size <= pitch <= PITCH_RANGE[1] * size:
                continue
            centre, h = t.y + t.h / 2, lines * pitch
            y = int(round(centre - h / 2))
            if lines == 1 and h > t.h and any(_meets(y, h, t, o) for o in leaves if o is not t):
                continue
            t.y, t.h, t.style["lh"] = y, h, pitch


def _meets(y: int, h: int, t: Node, o: Node) -> bool:
    """Whether `t`, moved to rows y..y+h, overlaps the leaf `o`."""
    return t.x < o.right and o.x < t.right and y < o.bottom and o.y < y + h


def _measure(t: Node) -> int:
    """The width `t`'s lines need: as its face (Arial unless read otherwise) sets its widest line, within
    MEASURE_GROWTH of the width read either way (a face narrower than the page's would fit more words to a line
    than the picture has, and the paragraph's lines would break elsewhere)."""
    rows = t.style.get("rows") or ()
    s = t.style
    bold, serif, italic = s.get("weight", 400) >= 600, s.get("family") == "serif", bool(s.get("italic"))
    set_in_face = max((line_width(r, s["size"], bold, serif, italic) for r in rows), default=0)
    if not set_in_face:
        return t.w
    return int(round(min(max(t.w / MEASURE_GROWTH, set_in_face), MEASURE_GROWTH * t.w)))


def _measures(node: Node) -> None:
    by_size = defaultdict(list)
    for c in node.children:
        if c.kind == "text" and c.style.get("lines", 1) > 1 and c.role != "pre":
            c.style["measure"] = _measure(c)
            if node.kind not in ("row", "grid", "table"):
                by_size[c.style["size"]].append(c)
    for group in by_size.values():
        measure = max(c.style["measure"] for c in group)
        for c in group:
            c.style["measure"] = measure
    for c in node.children:
        _measures(c)


def _breaks(node: Node, room: int) -> None:
    """`room`: how wide `node`'s content may grow: its own width, or an unpainted column's parent's room (a
    column wrapped round one address is not what the address is narrow against)."""
    in_flow = node.kind not in ("row", "grid", "table")
    for c in node.children if in_flow else ():
        rows = c.style.get("rows") if c.kind == "text" else None
        if rows and c.w < BROKEN * room and all(len(r.split()) <= BREAK_WORDS for r in rows):
            c.style["hard"] = [True] * (len(rows) - 1)
    for c in node.children:
        _breaks(c, max(c.w, room) if in_flow and c.kind == "column" and not painted(c) else c.w)
