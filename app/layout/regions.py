"""What each part of the page is for: regions (header, nav, main, aside, footer) and text roles.

`assign(page)` works on the page's top-level bands (its children, top to bottom):
- the **header** is the first band when it lies in the page's top fifth and holds a nav, or is a painted
  band or a band of one line; a nav bar right under it joins it;
- a **nav** is a row of ≥ 3 short texts (≤ 4 words, one line each) of one size: its texts are links;
- the **footer** is the last band when it lies at the page's bottom, is at most a third of the page tall
  and its text is no larger than the body's;
- an **aside** is a narrow (≤ 32% of the width), tall cell of a two-cell row: the row holds aside + main;
- everything else is a **section** of main.
Text roles: headings h1–h4 by size rank (sizes ≥ 1.25× the body size, or bold and ≥ 1.1× it, in short
lines), links (a nav's texts; short text in a clearly blue colour), labels and list items as grouping set
them, paragraphs otherwise. The body size is the size most characters have.

Not here: the tree's shape (`app.layout.infer`, `app.layout.groups`).
"""
from __future__ import annotations

from collections import Counter

from app.layout.groups import disc, painted
from app.layout.tree import CONTAINERS, Node

HEADING = 1.25
NAV_WORDS = 4


def assign(page: Node) -> None:
    _navs(page)
    if not page.children:
        _text_roles(page)
        return
    top = page.children[0]
    # a band of one line: a row, or a leaf (wrapped in a column here or by app.layout.infer)
    lone = top.kind != "column" or (len(top.children) == 1 and top.children[0].kind not in CONTAINERS
                                    and not painted(top))
    # a band that is one leaf (a heading, a paragraph) is wrapped in a column: the band's role is the
    # region's, the leaf keeps its own (h1, p, button…)
    page.children = [b if b.kind in CONTAINERS else Node("column", b.x, b.y, b.w, b.h, [b]) for b in page.children]
    bands = page.children
    body = _body_size(page)
    H, W = page.h, page.w
    first, last = bands[0], bands[-1]
    if first.y <= 0.2 * H and first.h <= 0.35 * H and (_has_nav(first) or painted(first) or lone):
        first.role = "header"
        if len(bands) > 1 and bands[1].role == "nav" and bands[1].y - first.bottom <= 24:
            bands[1].role = "header-nav"
    if (len(bands) > 1 and last.role != "header" and last.bottom >= H - 0.08 * H and last.h <= H / 3
            and all(n.style.get("size", 0) <= body + 1 for n in last.walk() if n.kind == "text")):
        last.role = "footer"
    for b in bands:
        if b.kind == "row" and len(b.children) == 2 and b.h >= 0.35 * H:
            a, m = b.children
            narrow = [c for c in (a, m) if c.w <= 0.32 * W]
            if len(narrow) == 1:
                narrow[0].role, b.role = "aside", "layout"
                _side_links(narrow[0])
                other = m if narrow[0] is a else a
                other.role = other.role or "main-column"
        if not b.role:
            b.role = "section"
    _text_roles(page, body)


def _short(n: Node) -> bool:
    return n.kind == "text" and n.style.get("lines", 1) == 1 and len(n.text.split()) <= NAV_WORDS


def _navs(node: Node) -> None:
    for n in node.walk():
        if n.kind in ("row", "grid") and len(n.children) >= 3 and n.role in ("", "card"):
            kids = n.children
            sizes = {k.style.get("size") for k in kids}
            if all(_short(k) for k in kids) and max(sizes) - min(sizes) <= 2 and n.h <= 3 * max(sizes):
                n.role = "nav"
                for k in kids:
                    k.role = "a"


def _side_links(aside: Node) -> None:
    """A sidebar's stacks of ≥ 3 short one-line texts are its links."""
    for n in aside.walk():
        if n.kind == "column":
            short = [c for c in n.children if _short(c) and not c.role]
            if len(short) >= 3:
                for c in short:
                    c.role = "a"


def _has_nav(n: Node) -> bool:
    return any(m.role == "nav" for m in n.walk())


def _body_size(page: Node) -> int:
    weights = Counter()
    for n in page.walk():
        if n.kind == "text":
            weights[n.style["size"]] += len(n.text)
    return weights.most_common(1)[0][0] if weights else 16


def link_blue(colour: str) -> bool:
    """Whether `colour` is clearly blue, as a link's text is (a short text in it is a link, and so is a run of
    a paragraph's words: `app.compose.html`)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return b >= r + 60 and b >= g + 20


def _text_roles(page: Node, body: int | None = None) -> None:
    body = body or _body_size(page)
    texts = [n for n in page.walk() if n.kind == "text" and not n.role]
    on_discs = {id(c) for n in page.walk() if disc(n) for c in n.children}  # initials, counts: never headings
    heads = [n for n in texts if id(n) not in on_discs
             and len(n.text.split()) <= 14 * n.style.get("lines", 1) and n.style.get("lines", 1) <= 3
             and (n.style["size"] >= HEADING * body
                  or (n.style.get("weight", 400) >= 600 and n.style["size"] >= 1.1 * body
                      and n.style.get("lines", 1) == 1))]
    ranks = sorted({_bucket(n.style["size"]) for n in heads}, reverse=True)
    for n in heads:
        n.role = f"h{min(4, ranks.index(_bucket(n.style['size'])) + 1)}"
    for n in texts:
        if not n.role:
            short = len(n.text.split()) <= 6 and n.style.get("lines", 1) == 1
            n.role = "a" if short and link_blue(n.style["colour"]) else "p"


def _bucket(size: int) -> int:
    return size // 3
