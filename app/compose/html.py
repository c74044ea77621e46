"""Code from the layout tree: one semantic HTML page with one stylesheet, in flow layout.

`write_page(page)` turns a `Node` tree (`app.layout.tree`) into a standalone HTML document:

- **Elements.** Regions become header / nav / main > section / aside / footer; text by role h1–h4, p, a,
  label, li in ul/ol, code a `<pre><code>` in a monospace font; buttons `<button>`, inputs `<input>` with their `<label for>`, tables `<table>`,
  images a `role="img"` box of the measured size and aspect ratio, rules `<hr>`; a text's words in another
  colour an inline `<a>` (a link's blue) or `<span>`, a quote beside a bar a `<blockquote>` with it as its border;
  a text read as serif (`app.perceive.faces`) in Georgia or Times, one read as italic in italics.
- **Flow.** Columns are flex columns with a gap (a child whose gap differs gets a margin); rows are wrapping
  flex rows, pushed apart (`space-between`), centred or started where the input has them; grids are CSS
  grids of equal `fr` columns that fall to one column on a phone. The page's content sits in a max-width
  frame (centred, or at its measured left in %), full-width bands keep their backgrounds edge to edge.
  Nothing is positioned absolutely and no text gets a fixed height, so the page reflows at tablet and
  phone widths; long words break rather than scroll the page sideways.
- **Classes.** Each element's declarations make its class, named by its role (`card`, `nav`, `title`,
  `btn`…); elements with the same declarations share one. Repeated siblings (a grid's cards, a list's
  items, a nav's links) are written from the first one's classes, so they share them whole.

`write(page)` gives the page by region (`Written`: its stylesheet, its body's parts, each band's element), so
that `app.compose.choose` can put the model's element in a region's place; `write_page` the whole document.

Not here: inferring the tree (`app.layout`), other targets (`app.targets` transforms this HTML).
"""
from __future__ import annotations

import html
from dataclasses import replace
from collections import Counter

from app.layout.groups import disc, painted
from app.layout.regions import link_blue
from app.layout.tree import Node
from app.perceive.boxes import near_colours

BASE_CSS = """*,*::before,*::after{box-sizing:border-box}
body{margin:0;font-family:Arial,Helvetica,sans-serif;overflow-wrap:anywhere}
h1,h2,h3,h4,p,ul,ol,figure,blockquote{margin:0}
a{color:inherit;text-decoration:none}
button,input,select,textarea{font:inherit}
img{max-width:100%}"""
MONO = '"DejaVu Sans Mono",Menlo,Consolas,monospace'
SERIF = 'Georgia,"Times New Roman",serif'
NAMES = {"h1": "title", "h2": "heading", "h3": "subheading", "h4": "minor", "p": "text", "a": "link",
         "label": "label", "li": "item"}
EQUAL = 0.15  # grid columns whose widths differ by at most this share are written equal
PHONE = 640  # px: at most this wide, grids fall to one column and rows wrap
NEAR = 6     # px: placements this close count as aligned
PHONE_TYPE, PHONE_TYPE_MIN = 0.6, 28  # on a phone, text larger than 28 px is set at 60% of its size (≥ 28 px)
PHONE_SIDE = 16  # px: on a phone, a container's side padding is at most this
PHONE_SHOWN, PHONE_COLUMN = 390, 120  # px: a phone's width, and the narrowest grid column kept on it
SIDE = 64  # px: a container's side padding at most (the rest of a wide card's room is its content's)
PHONE_BLOCK = 200  # px: a painted block of a row at least this wide takes a phone's full width when its row wraps
PHONE_TAIL = 120  # px: on a phone, a container's room below its content beyond this (and twice its top) goes
RUN_COLOUR = 24  # summed channel distance within which runs of words in colour share their colour and class
STRETCH = 48  # px: a block in a row padded this much more below its content than its neighbour is stretched instead


class _Sheet:
    """Classes by declarations: `name(base, decls)` gives one class per distinct (base, declarations)."""

    def __init__(self):
        self.by_decls: dict[tuple, str] = {}
        self.count: Counter = Counter()
        self.rules: list[str] = []
        self.media: list[str] = []

    def name(self, base: str, decls: list[str], phone: list[str] = ()) -> str:
        key = (base, tuple(decls), tuple(phone))
        if key not in self.by_decls:
            self.count[base] += 1
            cls = base if self.count[base] == 1 else f"{base}-{self.count[base]}"
            self.by_decls[key] = cls
            if decls:
                self.rules.append(f".{cls}{{{';'.join(decls)}}}")
            if phone:
                self.media.append(f".{cls}{{{';'.join(phone)}}}")
        return self.by_decls[key]

    def css(self) -> str:
        out = "\n".join(self.rules)
        if self.media:
            out += f"\n@media (max-width:{PHONE}px){{\n" + "\n".join(self.media) + "\n}"
        return out


def _px(v) -> str:
    v = int(round(v))
    return "0" if v == 0 else f"{v}px"


def _paint(s: dict) -> list[str]:
    out = []
    if s.get("bg"):
        out.append(f"background:{s['bg']}")
    if s.get("border"):
        out.append(f"border:1px solid {s['border']}")
    if s.get("radius"):
        out.append(f"border-radius:{s['radius']}px")
    return out


def _phone_type(s: dict) -> list[str]:
    """A large text's size on a phone: scaled down (PHONE_TYPE), at least PHONE_TYPE_MIN px, so that a title's
    word fits a phone's width instead of breaking inside it."""
    if s["size"] <= PHONE_TYPE_MIN:
        return []
    size = max(PHONE_TYPE_MIN, round(s["size"] * PHONE_TYPE))
    return [f"font-size:{size}px", f"line-height:{round(s['lh'] * size / s['size'])}px"]


def _broken(n: Node, run_tag=None) -> str:
    """A text's HTML: its lines run together, with a `<br>` at each break made by hand (`style["hard"]`), and
    its runs of words in another colour (`style["runs"]`) each in the element `run_tag(colour)` opens."""
    rows, hard = n.style.get("rows"), n.style.get("hard") or ()
    runs = n.style.get("runs") if run_tag is not None else None
    if not runs and (not rows or not any(hard)):
        return html.escape(n.text, quote=False)
    rows = rows or [n.text]
    words, after = [], []  # each word, and what follows it: " ", "<br>", or "" after the last
    for r, row in enumerate(rows):
        ws = row.split()
        last = "" if r == len(rows) - 1 else "<br>" if r < len(hard) and hard[r] else " "
        words += ws
        after += [" "] * (len(ws) - 1) + [last] * bool(ws)
    starts = {a: (b, c) for a, b, c in runs or () if 0 <= a < b <= len(words)}
    out, k = [], 0
    while k < len(words):
        if k not in starts:
            out.append(html.escape(words[k], quote=False) + after[k])
            k += 1
            continue
        end, colour = starts[k]
        inner = "".join(html.escape(w, quote=False) + (after[j] if j < end - 1 else "")
                        for j, w in enumerate(words[k:end], k))
        tag, attrs = run_tag(colour)
        out.append(f"<{tag}{attrs}>{inner}</{tag}>{after[end - 1]}")
        k = end
    return "".join(out)


def _type(s: dict, role: str = "") -> list[str]:
    out = [f"font-size:{s['size']}px", f"line-height:{s['lh']}px", f"color:{s['colour']}"]
    bold = s.get("weight", 400) >= 600
    if bold or role.startswith("h"):
        out.append(f"font-weight:{700 if bold else 400}")
    if s.get("family") == "serif":
        out.append(f"font-family:{SERIF}")
    if s.get("italic"):
        out.append("font-style:italic")
    if s.get("align") == "center":
        out.append("text-align:center")
    return out


class _Writer:
    def __init__(self, page: Node):
        self.page_node = page
        self.sheet = _Sheet()
        self.ids = 0
        self._record: dict | None = None      # path → class, while the first of repeated siblings is written
        self._templates: dict[tuple, dict] = {}  # (container, shape) → the first sibling's classes
        self.run_colours: list[str] = []  # the colours runs of words inside texts were written in (`_run`)

    # -- placement of a child in its parent's frame
    def _in_column(self, c: Node, frame: tuple[int, int]) -> list[str]:
        x0, x1 = frame
        fw = max(1, x1 - x0)
        out = []
        if c.w >= fw - NEAR or (c.x - x0 <= NEAR and c.kind == "text" and not c.role
                                and c.style.get("align") != "center"):
            # (a paragraph set from the frame's left stretches as one that fills it does: its text lies where it
            # would, and the paragraphs of one story share a class whatever their lines' lengths)
            return self._width(c) if c.kind == "text" else out
        if c.kind == "row" and not painted(c) and _spread(c):
            # a row whose items stand apart (`_row` pushes them apart in its own box) keeps its span: shrunk to its
            # content, its items would close up (a search field beside a page's nav links, 700 px apart)
            left, right = 100 * max(0, c.x - x0) / fw, 100 * max(0, x1 - c.right) / fw
            return ([f"margin-left:{left:.1f}%"] if left >= 0.5 else []) + (
                [f"margin-right:{right:.1f}%"] if right >= 0.5 else [])
        if c.x - x0 <= NEAR:  # at the frame's left: the common case, and the safe one when a child nearly fills it
            out.append("align-self:flex-start")
        elif abs((c.x + c.w / 2) - (x0 + x1) / 2) <= NEAR:
            out.append("align-self:center")
        elif abs(c.right - x1) <= NEAR:
            out.append("align-self:flex-end")
        else:
            margin = 100 * (c.x - x0) / fw
            out += ["align-self:flex-start", f"margin-left:{margin:.1f}%"]
            # what is left of the frame beside the margin, at most: nothing pushed past its edge; a text's measure
            # too (a second max-width would replace it: a two-line heading set on one line)
            room = f"calc(100% - {margin:.1f}%)"
            width = [d for d in self._width(c) if d != "max-width:100%"]
            limit = next((d for d in width if d.startswith("max-width:")), None)
            if limit is not None:
                return out + [d for d in width if d != limit] + [f"max-width:min({limit[10:]},{room})"]
            return out + width + [f"max-width:{room}"]
        width = self._width(c)
        if "align-self:flex-start" not in out and not any(d.startswith("max-width") for d in width):
            # centred or at the right, a box wider than a phone would overflow past the screen's left edge, where
            # no scrolling reaches (real page 10824's article and sidebar): at most its column's width
            width.append("max-width:100%")
        return out + width

    def _width(self, c: Node) -> list[str]:
        if c.kind == "text":
            if c.style.get("hard") and all(c.style["hard"]):  # every line broken by hand: as wide as they are
                return []
            measure = c.style.get("measure", c.w)  # (`app.layout.typeset`: one column's paragraphs wrap alike)
            return [f"max-width:{measure + c.style['size'] // 4}px"] if c.style.get("lines", 1) > 1 or (
                "measure" in c.style) else []
        if c.kind in ("button", "icon") or (c.kind in ("row", "column", "grid", "list", "field", "table")
                                            and not painted(c)):
            return []
        return [f"width:{c.w}px", "max-width:100%"]

    def _in_row(self, c: Node) -> list[str]:
        if c.kind == "text":
            if c.style.get("lines", 1) > 1:
                return [f"flex:0 1 {c.style.get('measure', c.w) + c.style['size'] // 4}px", "min-width:0"]
            return ["flex:0 1 auto"]
        if c.kind in ("button", "icon"):
            return ["flex:0 0 auto"]
        if c.kind in ("image", "input") or painted(c):  # a painted box's width is seen (a sidebar, a card)
            # the width too: an item's basis alone does not count in its row's own max-content width
            return [f"flex:0 1 {c.w}px", "min-width:0", f"width:{c.w}px", "max-width:100%"]
        return ["flex:0 1 auto", "min-width:0"]

    # -- containers
    def _inner(self, n: Node) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) of `n`'s content box: its box less its padding as written (sides at most SIDE: a card
        728 px wide whose text ends 479 px from its right edge has its children placed in the room that is left)."""
        t, r, b, l = _written_pad(n)
        return n.x + l + _bar(n), n.y + t, n.right - r, n.bottom - b

    def _layout(self, n: Node, frame: tuple[int, int, int, int]) -> tuple[list[str], list[str], list[list[str]]]:
        """(declarations of `n` as a container, its phone declarations, each child's placement)."""
        x0, y0, x1, y1 = frame
        kids = n.children
        if n.kind in ("grid",):
            cols = max(1, n.style.get("cols", len(kids)))
            gap = n.style.get("gap", _median([kids[k + 1].x - kids[k].right for k in range(min(cols, len(kids)) - 1)]))
            widths = n.style.get("widths")
            unequal = bool(widths) and len(widths) == cols and max(widths) > (1 + EQUAL) * min(widths)
            if unequal:
                template = " ".join(f"minmax(0,{w}fr)" for w in widths)  # columns of the measured proportions
            else:
                template = f"repeat({cols},minmax(0,1fr))"
            decls = ["display:grid", f"grid-template-columns:{template}",
                     f"column-gap:{_px(max(0, gap))}", f"row-gap:{_px(max(0, n.style.get('row_gap', gap)))}"]
            # on a 390 px phone the narrowest column of measured proportions (3847's 230 : 922) is too narrow for
            # its words ("Newslett/er"): one column; not where it is about as narrow in the picture (a phone's tab bar)
            shown = min(widths) / sum(widths) * (PHONE_SHOWN - 2 * PHONE_SIDE - gap) if unequal else 0
            narrow = unequal and shown < PHONE_COLUMN and shown < min(widths) / 2
            one = cols > 1 and (min(k.w for k in kids) >= 200 or narrow)
            phone = ["grid-template-columns:minmax(0,1fr)"] if one else (  # (minmax: no cell widens it past the screen)
                ["grid-template-columns:repeat(2,minmax(0,1fr))"] if cols > 2 else [])
            if self.page_node.w <= PHONE_SHOWN and n.w <= PHONE_SHOWN - 2 * PHONE_SIDE:
                phone = []  # a phone's own screen: its grids fit it as they are (a row of avatars, its messages)
            return decls, phone, [[] for _ in kids]
        if n.kind == "row":
            return self._row(n, frame)
        # column (and page wraps, lists' items)
        gaps = [max(0, kids[k + 1].y - kids[k].bottom) for k in range(len(kids) - 1)]
        # the median spacing, or the least where some are closer (a rule under its text): what differs is a
        # child's margin-top, never a negative one
        gap = _median(gaps)
        gap = gap if gap - min(gaps, default=0) <= 3 else min(gaps)
        # the spacing most of the others keep, for each child near it (paragraphs 17 to 22 px apart share one)
        wide = _median([g for g in gaps if g - gap > 3])
        decls = ["display:flex", "flex-direction:column"] + ([f"gap:{_px(gap)}"] if gap else [])
        places = []
        for k, c in enumerate(kids):
            p = self._in_column(c, (x0, x1))
            if k and abs(gaps[k - 1] - gap) > 3:
                p.append(f"margin-top:{_px((wide if abs(gaps[k - 1] - wide) <= 3 else gaps[k - 1]) - gap)}")
            places.append(p)
        if kids and kids[0].y - y0 > 3 and not n.style.get("pad"):
            places[0].append(f"margin-top:{_px(kids[0].y - y0)}")
        return decls, [], places

    def _row(self, n: Node, frame) -> tuple[list[str], list[str], list[list[str]]]:
        x0, y0, x1, y1 = frame
        kids = n.children
        gaps = [kids[k + 1].x - kids[k].right for k in range(len(kids) - 1)]
        # a row of blocks (columns, cards, pictures) keeps to one line and its blocks shrink, down to a phone's
        # width, where they stack; a row of small things (links, buttons) wraps as soon as it must
        blocks = any(c.kind not in ("text", "button", "icon") for c in kids)
        decls = ["display:flex"] + ([] if blocks else ["flex-wrap:wrap"])
        phone = ["flex-wrap:wrap"] if blocks else []
        places = [self._in_row(c) for c in kids]
        left, right = kids[0].x - x0, x1 - kids[-1].right
        if len(kids) >= 2 and left <= NEAR and right <= NEAR and (x1 - x0) > 0:
            decls.append("justify-content:space-between")
            gap = min(min(gaps), 24)  # the least the items keep apart; space-between spreads them
        else:
            gap = _median(gaps)
            if abs(left - right) <= NEAR and left > NEAR:
                decls.append("justify-content:center")
            elif right <= NEAR < left:
                decls.append("justify-content:flex-end")
            elif left > NEAR:
                places[0].append(f"margin-left:{100 * left / max(1, x1 - x0):.1f}%")
            for k, g in enumerate(gaps):
                if abs(g - gap) > NEAR:
                    places[k + 1].append(f"margin-left:{_px(g - gap)}")
        # a column of content gets its measured width as its basis, with some of the row's spare room (our
        # text may set a little wider than the input's): its content does not decide it (a long line would
        # squeeze its neighbours)
        holders = [k for k, c in enumerate(kids) if c.kind in ("row", "column", "grid", "list", "field", "table")
                   and not painted(c)]
        spare = (x1 - x0) - sum(c.w for c in kids) - max(0, gap) * (len(kids) - 1)
        for k in holders:
            c = kids[k]
            basis = c.w + max(0, min(spare / len(holders), 0.1 * c.w + 16))
            places[k] = [f"flex:0 1 {basis:.0f}px", "min-width:0"] + [p for p in places[k] if not p.startswith(("flex:", "min-width"))]
        decls.append(f"column-gap:{_px(max(0, gap))}")
        decls.append(f"row-gap:{_px(min(16, max(4, gap // 2)))}")
        centres = [c.y + c.h / 2 for c in kids]
        tops = [c.y for c in kids]
        if max(centres) - min(centres) <= 4:
            decls.append("align-items:center")
        elif max(tops) - min(tops) <= 4:
            decls.append("align-items:flex-start")
        elif max(c.bottom for c in kids) - min(c.bottom for c in kids) <= 4:
            decls.append("align-items:flex-end")
        else:
            decls.append("align-items:flex-start")
            top = min(tops)
            for k, c in enumerate(kids):
                if c.y - top > 3:
                    places[k].append(f"margin-top:{_px(c.y - top)}")
        # a painted block that ends with the row's tallest but holds far less (a sidebar beside an article) is
        # stretched to the row's height, not padded down to it: on a phone, stacked, it is as tall as its content
        def excess(c: Node) -> int:  # how much more a box is padded below its content than above it
            t, _, b, _ = c.style.get("pad", (0, 0, 0, 0))
            return b - t if painted(c) and c.children else 0

        low = max(c.bottom for c in kids)
        held = min(excess(c) for c in kids if c.bottom >= low - NEAR)  # the end nearest its content holds the row
        for k, c in enumerate(kids):
            if c.bottom >= low - NEAR and excess(c) >= held + STRETCH:
                places[k] = [p for p in places[k] if not p.startswith("margin-top")] + ["align-self:stretch"]
        return decls, phone, places

    # -- elements
    def element(self, n: Node, place: list[str], template: dict | None = None, path: str = "") -> str:
        """`n` as HTML, with `place` (its placement in its parent) among its declarations. `template`: path →
        class of a repeated sibling already written (the classes are reused)."""
        k = n.kind
        if k == "text":
            return self._text(n, place, template, path)
        if k == "button":
            return self._button(n, place, template, path)
        if k == "input":
            return self._input(n, place, template, path)
        if k in ("image", "icon"):
            s = n.style
            decls = place + _paint(s)
            if not s.get("bg"):  # a picture's placeholder grey, or the flat colour seen inside its outline
                decls.append(f"background:{(s.get('inner') or ['#d9d9d9'])[0]}")
            if k == "icon":
                decls += [f"width:{n.w}px", f"height:{n.h}px", "display:inline-block", "flex-shrink:0"]
                cls = self._cls("icon", decls, template, path)
                return f'<span class="{cls}" aria-hidden="true"></span>'
            if "width:" not in " ".join(place):
                decls += [f"width:{n.w}px", "max-width:100%"]
            decls.append(f"aspect-ratio:{n.w}/{max(1, n.h)}")
            cls = self._cls("img", decls, template, path)
            return f'<div class="{cls}" role="img" aria-label="image"></div>'
        if k == "divider":
            # (its margin reset first: a placement's margin-top after it holds)
            decls = ["border:0", f"border-top:{max(1, n.h)}px solid {n.style.get('colour', '#ccc')}", "margin:0",
                     *(d for d in place if not d.startswith("align-self")), "align-self:stretch"]
            return f'<hr class="{self._cls("rule", decls, template, path)}">'
        if k == "table":
            return self._table(n, place, template, path)
        if k == "list":
            return self._list(n, place, template, path)
        if k == "field":
            return self._field(n, place, template, path)
        return self._container(n, place, template, path)

    def _cls(self, base: str, decls: list[str], template, path: str, phone: list[str] = ()) -> str:
        if template is not None and path in template:
            return template[path]
        cls = self.sheet.name(base, decls, phone)
        if self._record is not None:
            self._record[path] = cls
        return cls

    def _text(self, n: Node, place, template, path) -> str:
        role = n.role or "p"
        if role == "pre":  # code: its lines as set, in a monospace font, as wide as its column (long lines wrap)
            decls = [d for d in place if not d.startswith(("max-width:", "width:", "align-self:"))]
            decls += _type(n.style) + ["margin:0", "font-family:" + MONO, "white-space:pre-wrap"]
            cls = self._cls("code", decls, template, path, _phone_type(n.style))
            return f'<pre class="{cls}"><code>{html.escape(n.text, quote=False)}</code></pre>'

        tag = {"a": "a", "label": "label", "li": "li"}.get(role, role if role in ("h1", "h2", "h3", "h4") else "p")
        decls = place + _type(n.style, role)
        cls = self._cls(NAMES.get(role, "text"), decls, template, path, _phone_type(n.style))
        attrs = ' href="#"' if tag == "a" else ""
        if tag == "label" and n.style.get("for"):
            attrs = f' for="{n.style["for"]}"'
        return f'<{tag} class="{cls}"{attrs}>{_broken(n, None if tag in ("a", "label") else self._run)}</{tag}>'

    def _run(self, colour: str) -> tuple[str, str]:
        """The element for a run of a text's words in `colour`, of one class per colour: a link where it is a
        link's blue, else a span (a muted aside, a figure's change in green or red, a coloured "Note:"); a colour
        within RUN_COLOUR of one used before is that one (14021's "by Anonym" read as #999999 and #9b9b9b)."""
        colour = next((c for c in self.run_colours if near_colours(c, colour, RUN_COLOUR)), colour)
        if colour not in self.run_colours:
            self.run_colours.append(colour)
        if link_blue(colour):
            return "a", f' href="#" class="{self.sheet.name("inline-link", [f"color:{colour}"])}"'
        return "span", f' class="{self.sheet.name("tint", [f"color:{colour}"])}"'

    def _button(self, n: Node, place, template, path) -> str:
        s = n.style
        text_w = max(1, len(n.text)) * s["size"] * 0.55
        pad_v, pad_h = max(0, (n.h - s["lh"]) / 2), max(4, (n.w - text_w) / 2)
        decls = place + _paint(s) + _type(s) + [f"padding:{_px(pad_v)} {_px(pad_h)}"]
        if not s.get("bg"):
            decls.append("background:transparent")
        if not s.get("border"):
            decls.append("border:0")
        decls.append("cursor:pointer")
        cls = self._cls("btn", decls, template, path)
        return f'<button type="button" class="{cls}">{html.escape(n.text, quote=False)}</button>'

    def _input(self, n: Node, place, template, path) -> str:
        s = n.style
        decls = place + _paint(s)
        if not s.get("border"):
            decls.append("border:1px solid #cccccc")
        if "width:" not in " ".join(place):
            decls += [f"width:{n.w}px", "max-width:100%"]
        area = n.role == "textarea"
        pad_top = f"{_px(s.get('pad_top', 8))} " if area else "0 "
        decls += [f"height:{n.h}px", f"padding:{pad_top}{_px(s.get('pad_left', 8))}"]
        if "size" in s:
            decls += [f"font-size:{s['size']}px", f"color:{s['colour']}"]
        if area:
            decls.append("resize:vertical")
        cls = self._cls("textarea" if area else "input", decls, template, path)
        self.ids += 1
        ident = f"field-{self.ids}"
        s["id"] = ident
        ph = f' placeholder="{html.escape(n.text)}"' if n.text else ""
        if area:
            return f'<textarea id="{ident}" class="{cls}"{ph}></textarea>'
        return f'<input type="text" id="{ident}" class="{cls}"{ph}>'

    def _field(self, n: Node, place, template, path) -> str:
        label, box = n.children
        gap = max(0, box.y - label.bottom)
        cls = self._cls("field", place + ["display:flex", "flex-direction:column", f"gap:{_px(gap)}"], template, path)
        inp = self.element(box, self._in_column(box, (n.x, n.right)), template, path + ".1")
        label.style["for"] = box.style.get("id", "")
        lab = self.element(label, [], template, path + ".0")
        return f'<div class="{cls}">\n{lab}\n{inp}\n</div>'

    def _list(self, n: Node, place, template, path) -> str:
        tag = "ol" if n.style.get("marker") == "ol" else "ul"
        kids = n.children
        gaps = [max(0, kids[k + 1].y - kids[k].bottom) for k in range(len(kids) - 1)]
        gap = _median(gaps)
        decls = place + ["padding-left:20px", "display:flex", "flex-direction:column"] + ([f"gap:{_px(gap)}"] if gap else [])
        cls = self._cls("list", decls, template, path)
        first = self.element(kids[0], [], template, path + ".0")
        items = [first] + [self.element(c, [], template, path + ".0") for c in kids[1:]]
        return f'<{tag} class="{cls}">\n' + "\n".join(items) + f"\n</{tag}>"

    def _table(self, n: Node, place, template, path) -> str:
        cols = n.style.get("cols", 2)
        kids = n.children
        rows = [kids[k:k + cols] for k in range(0, len(kids), cols)]
        rgap = n.style.get("row_gap", 4)
        starts = [min(r[j].x for r in rows if j < len(r)) for j in range(cols)] + [n.right]
        widths = [max(1, starts[j + 1] - starts[j]) for j in range(cols)]
        wrap = self._cls("table-wrap", place + ["overflow-x:auto", "max-width:100%", "align-self:stretch"],
                         template, path)
        tcls = self._cls("table", ["border-collapse:collapse", "width:100%"], template, path + ".t")
        head = rows[0] and all(c.style.get("weight", 400) >= 600 for c in rows[0]) and len(rows) > 1
        out = [f'<div class="{wrap}">', f'<table class="{tcls}">', "<colgroup>"]
        out += [f'<col style="width:{100 * w / sum(widths):.1f}%">' for w in widths]
        out.append("</colgroup>")
        for r, row in enumerate(rows):
            tag = "th" if head and r == 0 else "td"
            cells = []
            for j, c in enumerate(row):
                decls = _type(c.style) + ["text-align:left", "vertical-align:top", "overflow-wrap:normal",
                                          f"padding:{_px(rgap / 2)} 12px {_px(rgap / 2)} 0"]
                if n.style.get("rule"):
                    decls.append(f"border-bottom:1px solid {n.style['rule']}")
                cls = self._cls("cell", decls, template, f"{path}.c{r == 0 and head}{j}")
                cells.append(f'<{tag} class="{cls}">{html.escape(c.text, quote=False)}</{tag}>')
            out.append("<tr>" + "".join(cells) + "</tr>")
        out += ["</table>", "</div>"]
        return "\n".join(out)

    def _container(self, n: Node, place, template, path, tag: str | None = None) -> str:
        frame = self._inner(n)
        decls, phone, places = self._layout(n, frame)
        if disc(n):  # an avatar, an unread count: its size whatever its cell or row, its content in its middle
            place = [d for d in place if not d.startswith(("width:", "max-width:", "flex:", "min-width:"))]
            place += [f"width:{n.w}px", f"height:{n.h}px", "flex:none", "justify-self:start"]
            decls += ["justify-content:center", "align-items:center"]
            places = [[] for _ in places]
            n = replace(n, style={k: v for k, v in n.style.items() if k != "pad"})  # centred: no padding
        own = list(place) + decls + _paint(n.style)
        if n.style.get("bar"):  # a quote's bar is its left border
            own.append(f"border-left:{_bar(n)}px solid {n.style['bar'][1]}")
        pad = n.style.get("pad")
        if pad and any(pad):
            t, r, b, l = _written_pad(n)
            if "align-self:stretch" in place:  # stretched to its row (`_row`): below its content, as above it
                b = min(b, t)
            own.append(f"padding:{_px(t)} {_px(r)} {_px(b)} {_px(l)}")
            if max(r, l) > PHONE_SIDE:  # a phone's width is not spent on a card's sides
                phone = phone + [f"padding-right:{_px(min(r, PHONE_SIDE))}", f"padding-left:{_px(min(l, PHONE_SIDE))}"]
            if b > PHONE_TAIL and b > 2 * t:  # the room a tall column had below its content (a sidebar as tall as
                phone = phone + [f"padding-bottom:{_px(t)}"]  # its page) is not kept once a phone stacks it
        if any(p.startswith("flex:0 1") for p in place) and f"width:{n.w}px" in place and n.w >= PHONE_BLOCK:
            phone = phone + ["flex-basis:100%", "width:100%"]  # a block of a row (a sidebar, a card): stacked, full width
        base = "quote" if n.style.get("bar") else (
            {"nav": "nav", "card": "card", "aside": "sidebar", "main-column": "content", "dialog": "dialog"}.get(n.role)
            or {"grid": "grid", "row": "row"}.get(n.kind, "stack"))
        cls = self._cls(base, own, template, path, phone)
        tag = tag or ("blockquote" if n.style.get("bar") else
                      {"nav": "nav", "aside": "aside", "main-column": "main"}.get(n.role, "div"))
        body = self._children(n, places, template, path)
        return f'<{tag} class="{cls}">\n{body}\n</{tag}>'

    def _children(self, n: Node, places: list[list[str]], template, path) -> str:
        out = []
        first_of: dict[tuple, int] = {}
        repeat = n.kind == "grid" or n.role in ("nav", "header-nav")
        for k, (c, p) in enumerate(zip(n.children, places)):
            # (placed alike too: a nav's first link, set in from the row's start, gave its margin to the rest)
            sig = (_shape(c), tuple(p))
            if template is not None:
                out.append(self.element(c, p, template, f"{path}.{k}"))
            elif repeat and sig in first_of:
                # a repeated sibling: the first one's classes, path by path
                rec = self._templates[(id(n), sig)]
                out.append(self.element(c, p, rec, f"{path}.{first_of[sig]}"))
            elif repeat:
                first_of[sig] = k
                saved, self._record = self._record, {}
                out.append(self.element(c, p, None, f"{path}.{k}"))
                self._templates[(id(n), sig)] = self._record
                if saved is not None:
                    saved.update(self._record)
                self._record = saved
            else:
                out.append(self.element(c, p, None, f"{path}.{k}"))
        return "\n".join(out)

    def _overlay(self, o: Node, path: str) -> str:
        """A dialog over a dimmed page: a fixed backdrop centring the card, the card's content in flow."""
        backdrop = self.sheet.name("backdrop", _overlay_css(o) + ([] if o.style.get("centred", True)
                                                                   else [f"padding-top:{o.y}px"]))
        card = Node("column", o.x, o.y, o.w, o.h, o.children, "dialog", "", {k: v for k, v in o.style.items()
                                                                       if k in ("bg", "radius", "pad")})
        inner = self._container(card, [f"width:{o.w}px", "max-width:100%", "box-shadow:0 20px 40px rgba(0,0,0,.25)"],
                                None, path, tag="div")
        inner = inner.replace("<div ", '<div role="dialog" aria-modal="true" ', 1)
        return f'<div class="{backdrop}">\n{inner}\n</div>'

    # -- the page
    def page(self) -> "Written":
        p = self.page_node
        bands = p.children
        fx0, fx1 = _frame(p)
        centred = abs(fx0 - (p.w - fx1)) <= 0.03 * p.w
        wrap_decls = [f"max-width:{fx1 - fx0}px"] + (["margin:0 auto"] if centred else
                                                     [f"margin-left:{100 * fx0 / max(1, p.w):.1f}%"])
        parts, regions, prev_bottom, main_open = [], [], 0, False
        side = min(16, fx0, p.w - fx1)  # a gutter at the page's sides, where the content leaves room for one
        has_layout = any(b.role == "layout" for b in bands)
        overlays = [b for b in bands if b.kind == "overlay"]
        bands = [b for b in bands if b.kind != "overlay"]
        for k, b in enumerate(bands):
            role = b.role or "section"
            tag = {"header": "header", "header-nav": "nav", "footer": "footer", "layout": "div"}.get(role, "section")
            in_main = tag == "section" and not has_layout
            if in_main != main_open:
                parts.append("<main>" if in_main else "</main>")
                main_open = in_main
            gap = max(0, b.y - prev_bottom)
            prev_bottom = max(prev_bottom, b.bottom)
            region = [f"margin-top:{_px(gap)}"] if gap else []
            if painted(b) and b.w >= 0.97 * p.w:  # a full-width band: its paint edge to edge, its content framed
                t, _, bt, _ = b.style.get("pad", (0, 0, 0, 0))
                region += _paint(b.style) + [f"padding:{_px(t)} {_px(side)} {_px(bt)}"]
                style = {k2: v for k2, v in b.style.items() if k2 not in ("pad", "bg", "border", "radius")}
                inner = Node(b.kind, fx0, b.y + t, fx1 - fx0, b.h - t - bt, b.children, b.role, "", style)
            else:
                region.append(f"padding:0 {_px(side)}")
                # a band that is one leaf wrapped (app.layout.regions) is written as the leaf
                kids = b.children if b.kind == "column" and not painted(b) and len(b.children) == 1 else [b]
                inner = Node("column", fx0, b.y, fx1 - fx0, b.h, kids)
            content = self._container(inner, wrap_decls, None, f"b{k}")
            name = {"header": "site-header", "footer": "site-footer", "header-nav": "site-nav"}.get(role, role)
            cls = self.sheet.name(name if name not in ("main-column", "quote") else "section", region)
            regions.append((len(parts), tag, cls, b))
            parts.append(f'<{tag} class="{cls}">\n{content}\n</{tag}>')
        if main_open:
            parts.append("</main>")
        if not bands:
            parts.append("<main></main>")
        for k, o in enumerate(overlays):
            regions.append((len(parts), "div", "backdrop", o))
            parts.append(self._overlay(o, f"o{k}"))
        body = f"body{{background:{p.style.get('bg', '#ffffff')}}}"
        return Written("\n".join([BASE_CSS, body, self.sheet.css()]), parts, regions, _title(p))


def _overlay_css(o: Node) -> list[str]:
    place = "center" if o.style.get("centred", True) else "flex-start"
    return ["position:fixed", "inset:0", "display:flex", "justify-content:center", f"align-items:{place}",
            "padding:16px", f"background:rgba(0,0,0,{o.style.get('alpha', 0.5):.2f})", "overflow:auto"]


class Written:
    """A page written from a tree: its stylesheet, its body's parts (region elements and the `<main>`
    tags between them) and, for each band of the tree, (index in parts, tag, class, band node)."""

    def __init__(self, css: str, parts: list[str], regions: list[tuple], title: str):
        self.css, self.parts, self.regions, self.title = css, parts, regions, title

    def html(self, parts: list[str] | None = None, extra_css: str = "") -> str:
        css = self.css + ("\n" + extra_css if extra_css else "")
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                f"<title>{html.escape(self.title)}</title>\n<style>\n{css}\n</style>\n</head>\n<body>\n"
                + "\n".join(self.parts if parts is None else parts) + "\n</body>\n</html>\n")


def _spread(row: Node) -> bool:
    """Whether some of a row's items stand further apart than a row keeps them (`_row`'s least gap, 24 px)."""
    kids = row.children
    return len(kids) >= 2 and max(kids[k + 1].x - kids[k].right for k in range(len(kids) - 1)) > 24


def _median(values) -> int:
    v = sorted(values)
    return int(v[len(v) // 2]) if v else 0


def _shape(n: Node) -> tuple:
    """What repeated siblings share to share their classes: kind, role, paint and fill (five avatars of five
    colours were written in the first one's), and their children's shapes."""
    return (n.kind, n.role, painted(n), n.style.get("bg"), tuple(_shape(c) for c in n.children))


def _frame(page: Node) -> tuple[int, int]:
    """The x-range the page's content sits in: from the leftmost to the rightmost edge of its bands' content.
    A painted box that reaches both of the page's edges (a full-width band), or one edge over half the page (a
    header's background running off to the right), counts by what it holds, not by its paint; a narrow box
    at one edge (a sidebar) counts by its paint, and stays there."""
    def parts(n: Node, depth: int = 0) -> list[Node]:
        left, right = n.x <= 1, n.right >= page.w - 1
        bleeds = painted(n) and ((left and right) or ((left or right) and n.w >= 0.5 * page.w))
        if (bleeds or not painted(n) and n.kind in ("row", "column")) and n.children and depth < 3:
            return [p for c in n.children for p in parts(c, depth + 1)]
        return [n]

    spans = [p for b in page.children if b.kind != "overlay" for p in parts(b)]
    if not spans:
        return 0, page.w
    x0, x1 = min(c.x for c in spans), max(c.right for c in spans)
    return max(0, x0), min(page.w, max(x1, x0 + 1))


def _bar(n: Node) -> int:
    """The width of a quote's bar (its left border), 0 for any other container."""
    return int(n.style["bar"][0]) if n.style.get("bar") else 0


def _written_pad(n: Node) -> tuple[int, int, int, int]:
    """`n`'s padding (top, right, bottom, left) as the stylesheet writes it: its sides at most SIDE."""
    t, r, b, l = n.style.get("pad", (0, 0, 0, 0))
    return t, min(r, SIDE), b, min(l, SIDE)


def _title(page: Node) -> str:
    for n in page.walk():
        if n.kind == "text" and n.role in ("h1", "h2"):
            return n.text
    return "Page"


def write(page: Node) -> Written:
    """The layout tree `page` written as HTML (see the module doc), by region."""
    return _Writer(page).page()


def write_page(page: Node) -> str:
    """The standalone HTML document of the layout tree `page` (see the module doc)."""
    return write(page).html()
