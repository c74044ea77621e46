"""One page's text styles made consistent: what a screenshot shows as one style is read as several.

A text's colour is the median of its letters' pixels, and anti-aliasing moves it by a few levels from line to
line; a paragraph's line height is its lines' pitch, which OCR's line boxes move by a few px; a one-line text has
no pitch and is given 1.2 × its size. Written as read, the 28 paragraphs of a blog post (real page 13545) took 20
classes, `#232323` to `#2f2f2f`, line heights 22 to 33 px, each with its own `margin-top` making up for the
difference. A designer set them as one style. `typeset(page)`, on the finished tree:

- **sizes**: a text's size is read from its letters' height to the px, and one style's texts read a px apart
  (`13545`'s story: 17 and 18 px, each size with its own line height); among texts of one weight and face
  stacked in columns, the sizes, commonest first (by characters), each take the first commoner one within
  SIZE_NEAR px (a text in a row keeps its own: a px more would wrap a toggle's label in its tight row);
- **colours**: the page's text colours, commonest first (by characters), each taking the first commoner one
  within COLOUR_NEAR (summed over channels); then, among texts of one size, weight and face, the colours within
  NEAR_DELTA_E (CIE76) of a commoner one are one, the inkiest of them (`13545`'s story, `#222222`, read as
  `#222222` and `#2f2f2f`: a thin serif's letters read lighter, as anti-aliasing pulls them to the background);
- **line heights**: the texts of one size whose lines wrap give that size's pitch (their median, when they agree
  within PITCH_SPREAD); each text of that size takes it (its box kept centred), a one-line text only where its
  taller box meets no other leaf;
- **measures**: a wrapping paragraph's measure (`style["measure"]`, the width the code gives it) is its
  widest line as the face it is written in sets it (Arial, or the serif or italic face read;
  `app.layout.metrics`), within MEASURE_GROWTH of the width read either way, so that its lines break where the
  picture's do; and the wrapping paragraphs of one size stacked in one container wrap at one measure, the
  widest of theirs, which a one-line paragraph of theirs that it holds is given too (one story, one class).
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
from app.scoring.colour import srgb_to_lab

COLOUR_NEAR = 30     # summed over channels: colours this close are one
NEAR_DELTA_E = 7     # CIE76: and colours this close (2.3 is a just-noticeable difference)
SIZE_NEAR = 1        # px: sizes of one weight and face this close are one
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
    in_rows = {id(c) for n in page.walk() if n.kind in ("row", "grid", "table") for c in n.children}
    _sizes([t for t in texts if id(t) not in in_rows])
    _colours(texts)
    _line_heights(page, texts)
    _measures(page)
    _breaks(page, page.w)


def _sizes(texts: list[Node]) -> None:
    faces = defaultdict(list)
    for t in texts:
        if t.role != "pre":  # code keeps its own: its size is read from a monospace grid
            s = t.style
            faces[s.get("weight", 400) >= 600, s.get("family"), bool(s.get("italic"))].append(t)
    for group in faces.values():
        to = {v: rep for rep, vs in _clusters(group, "size", lambda a, b: abs(a - b) <= SIZE_NEAR).items() for v in vs}
        for t in group:
            t.style["size"] = to[t.style["size"]]


def _colours(texts: list[Node]) -> None:
    _merge_colours(texts, lambda a, b: near_colours(a, b, COLOUR_NEAR))
    styles = defaultdict(list)
    for t in texts:
        s = t.style
        styles[s["size"], s.get("weight", 400) >= 600, s.get("family"), bool(s.get("italic"))].append(t)
    for group in styles.values():
        _merge_colours(group, lambda a, b: _delta_e(a, b) <= NEAR_DELTA_E, inkiest=True)


def _merge_colours(texts: list[Node], alike, inkiest: bool = False) -> None:
    """`texts`' colours clustered (`_clusters`; only "#rrggbb" ones); each cluster takes its commonest colour or,
    `inkiest`, the one furthest from mid-grey in lightness (anti-aliasing pulls a text's letters towards its
    background, the more so the thinner its strokes)."""
    hex_only = [t for t in texts if near_colours(t.style.get("colour"), t.style.get("colour"), 0)]
    to = {c: max(group, key=lambda m: abs(_lab(m)[0] - 50)) if inkiest else rep
          for rep, group in _clusters(hex_only, "colour", alike).items() for c in group}
    for t in hex_only:
        t.style["colour"] = to[t.style["colour"]]


def _clusters(texts: list[Node], key: str, alike) -> dict:
    """{representative: its members}: the values of `texts`' `style[key]`, commonest first (by characters), each
    joining the first commoner representative `alike` it, else a representative of its own."""
    weight = Counter()
    for t in texts:
        weight[t.style[key]] += max(1, len(t.text))
    members: dict = {}
    for value, _ in weight.most_common():
        rep = next((r for r in members if alike(value, r)), None)
        members.setdefault(value if rep is None else rep, []).append(value)
    return members


def _lab(colour: str) -> tuple[float, float, float]:
    return srgb_to_lab(tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)))


def _delta_e(a, b) -> float:
    """CIE76 distance of two "#rrggbb" colours; infinite for anything else (a gradient, None)."""
    if not near_colours(a, a, 0) or not near_colours(b, b, 0):
        return float("inf")
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b))) ** 0.5


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
    set_in_face = max((_set_width(t, r) for r in t.style.get("rows") or ()), default=0)
    if not set_in_face:
        return t.w
    return int(round(min(max(t.w / MEASURE_GROWTH, set_in_face), MEASURE_GROWTH * t.w)))


def _set_width(t: Node, line: str) -> float:
    """How wide `line` is set in `t`'s face and size."""
    s = t.style
    return line_width(line, s["size"], s.get("weight", 400) >= 600, s.get("family") == "serif", bool(s.get("italic")))


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
    for c in node.children:  # a one-line paragraph among them is one of them, where its line fits their measure
        group = by_size.get(c.style.get("size")) if c.kind == "text" and not c.role else None
        if group and c.style.get("lines", 1) == 1 and _set_width(c, c.text) <= group[0].style["measure"]:
            c.style["measure"] = group[0].style["measure"]
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
