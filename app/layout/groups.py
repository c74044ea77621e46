"""Grouping by alignment and repetition: the XY-cut's rows and columns regrouped as people write them.

`regroup(node)` rewrites one row or column, its children already regrouped:
- nested unpainted columns in a column (rows in a row) are spliced into it;
- a row of ≥ 3 cells of near-equal width at near-equal gaps, all of one kind, is a grid of that many columns;
- consecutive rows (or grids) in a column with the same number of cells starting at the same x are one grid;
  when every cell is one line of text and there are ≥ 3 rows, a table;
- a row of ≥ 3 items whose gaps differ a lot is cut at its wide gaps into rows pushed apart (a logo and a
  nav; a title and its links);
- a run of ≥ 2 list items (text starting with a bullet or number) in a column is a list;
- a line of text right above an input, starting where it starts, is the input's label: a field.

Not here: the XY-cut itself (`app.layout.infer`), regions and roles (`app.layout.regions`).
"""
from __future__ import annotations

from app.layout.tree import Node, bounds
from app.perceive.boxes import round_box

EQUAL = 0.15        # cells whose widths differ by at most this share are equal
ALIGNED = 10        # px: cells starting this close are in one column
TALL = 4            # a column under a heading this many times its height is the heading's (`_headed_columns`)
LABEL_GAP = 20      # px: at most this between a label and its input
LEAVES = {"text", "button", "input", "image", "icon", "divider"}


def painted(n: Node) -> bool:
    return bool(n.style.get("bg") or n.style.get("border") or n.style.get("bar"))


def disc(n: Node) -> bool:
    """A filled round box (an avatar, an unread count): about square, its corners' radius half its side."""
    return bool(n.style.get("bg")) and round_box(n.w, n.h, n.style.get("radius", 0))


def regroup(node: Node) -> Node:
    if node.kind == "column":
        node.children = _splice(node.children, "column")
        node.children = _fields(_lists(node.children))
        return _stacked_grid(node)
    if node.kind == "row":
        node.children = _splice(node.children, "row")
        for c in node.children:  # an item with a bullet beside other things is no list's item (a <li> needs one)
            if c.kind == "text" and c.role == "li":
                c.role = ""
        return _row(node)
    return node


def _splice(children: list[Node], kind: str) -> list[Node]:
    out = []
    for c in children:
        if c.kind == kind and not painted(c) and not c.role:
            out.extend(c.children)
        else:
            out.append(c)
    return out


def _gaps(children: list[Node]) -> list[int]:
    return [children[k + 1].x - (children[k].x + children[k].w) for k in range(len(children) - 1)]


def _signature(n: Node) -> tuple:
    """What a repeated item keeps from one copy to the next: its kind and its children's kinds."""
    return (n.kind, painted(n), tuple(c.kind for c in n.children))


def _row(node: Node) -> Node:
    kids = node.children
    if len(kids) < 3:
        return node
    gaps = _gaps(kids)
    widths = [k.w for k in kids]
    same_kind = len({_signature(k) for k in kids}) == 1
    if (same_kind and max(widths) <= (1 + EQUAL) * min(widths)
            and max(gaps) - min(gaps) <= max(8, 0.3 * max(gaps))):
        node.kind = "grid"
        node.style["cols"] = len(kids)
        return node
    lo, hi = min(gaps), max(gaps)
    if hi > 2 * lo + 16:
        cut = (hi + lo) / 2
        parts, cur = [], [kids[0]]
        for g, k in zip(gaps, kids[1:]):
            if g > cut:
                parts.append(cur)
                cur = []
            cur.append(k)
        parts.append(cur)
        node.children = [p[0] if len(p) == 1 else _row(Node("row", *bounds(p), children=p)) for p in parts]
    return node


def _cells(n: Node) -> list[Node] | None:
    if n.kind in ("row", "grid") and not painted(n) and len(n.children) >= 2:
        return n.children
    return None


def _headed_columns(run: list[Node]) -> bool:
    """Whether two rows of the same columns are a line of one-line texts over containers each at least TALL times
    as tall as its heading."""
    if len(run) != 2:
        return False
    heads, bodies = run[0].children, run[1].children
    return (all(h.kind == "text" and h.style.get("lines", 1) == 1 for h in heads)
            and all(b.kind in ("column", "list", "table", "grid") and b.h >= TALL * h.h for h, b in zip(heads, bodies)))


def _same_columns(a: list[Node], b: list[Node]) -> bool:
    return len(a) == len(b) and all(abs(p.x - q.x) <= ALIGNED for p, q in zip(a, b))


def _stacked_grid(node: Node) -> Node:
    """Consecutive rows of the same columns in a column merged into one grid (or table)."""
    out: list[Node] = []
    run: list[Node] = []

    def flush():
        if _headed_columns(run):
            # a line of headings over tall columns (real page 14021's "Capacity Jokes" over its jokes, "Follow Joke
            # Buddha" over its sidebar): each heading belongs to its column, and stays with it when a phone stacks them
            cols = [Node("column", *bounds(list(cells)), children=list(cells))
                    for cells in zip(*(r.children for r in run))]
            out.append(Node("row", *bounds(cols), children=cols))
        elif len(run) >= 2:
            cells = [c for r in run for c in r.children]
            cols = len(run[0].children)
            text_only = all(c.kind == "text" and c.style.get("lines", 1) <= 2 for c in cells)
            kind = "table" if text_only and len(run) >= 3 and cols >= 2 else "grid"
            gaps = [run[k + 1].y - (run[k].y + run[k].h) for k in range(len(run) - 1)]
            # each column as wide as from its start to the next column's start (the last: to the run's end)
            starts = [min(r.children[j].x for r in run) for j in range(cols)] + [max(r.right for r in run)]
            ends = [max(r.children[j].right for r in run) for j in range(cols)]
            style = {"cols": cols, "row_gap": max(0, min(gaps)),
                     "gap": max(0, min(starts[j + 1] - ends[j] for j in range(cols - 1))),
                     "widths": [max(1, starts[j + 1] - starts[j]) for j in range(cols)]}
            out.append(Node(kind, *bounds(run), children=cells, style=style))
        else:
            out.extend(run)
        run.clear()

    rules: list[Node] = []  # dividers between the rows of the run so far (a table's row lines)
    held: list[Node] = []   # a divider after the run's last row, kept until the next row says whose it is
    for c in node.children:
        cells = _cells(c)
        if c.kind == "divider" and run:
            held.append(c)
            continue
        if cells and run and _same_columns(run[-1].children, cells):
            rules.extend(held)
            run.append(c)
        else:
            flush()
            if rules and out and out[-1].kind in ("grid", "table"):
                out[-1].style["rule"] = rules[0].style.get("colour", "#e5e7eb")
            out.extend(held)
            if cells:
                run.append(c)
            else:
                out.append(c)
            rules = []
        held = []
    flush()
    if rules and out and out[-1].kind in ("grid", "table"):
        out[-1].style["rule"] = rules[0].style.get("colour", "#e5e7eb")
    out.extend(held)
    if len(out) == 1 and out[0].kind in ("grid", "table"):
        return out[0]
    node.children = out
    return node


def _lists(children: list[Node]) -> list[Node]:
    out, run = [], []

    def flush():
        if len(run) >= 2:
            out.append(Node("list", *bounds(run), children=list(run),
                            style={"marker": run[0].style.get("marker", "ul")}))
        else:
            out.extend(run)
        run.clear()

    for c in children:
        if c.kind == "text" and c.role == "li" and (not run or abs(c.x - run[0].x) <= ALIGNED):
            run.append(c)
        else:
            flush()
            if c.kind == "text" and c.role == "li":
                run.append(c)
            else:
                out.append(c)
    flush()
    for c in out:  # a lone list item is a list of one
        if c.kind == "text" and c.role == "li":
            c.role = ""
    return out


def _fields(children: list[Node]) -> list[Node]:
    out: list[Node] = []
    for c in children:
        prev = out[-1] if out else None
        if (c.kind == "input" and prev is not None and prev.kind == "text" and prev.style.get("lines", 1) == 1
                and abs(prev.x - c.x) <= ALIGNED and 0 <= c.y - (prev.y + prev.h) <= LABEL_GAP):
            out[-1] = Node("field", *bounds([prev, c]), children=[prev, c])
            prev.role = "label"
        else:
            out.append(c)
    return out
