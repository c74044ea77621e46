"""The layout tree: the page's one description, from which code is written and which the model is shown.

A `Node` is a container (page, region, row, column, grid, table, list, field, box) or a leaf (text, button,
input, image, icon, divider), with its box on the input (x, y, w, h in px of the screenshot: the layout box,
for text the line boxes its letters sit in) and the facts measured for it in `style` (colours "#rrggbb",
lengths in px):

- containers: `bg`, `border`, `radius`, `pad` (top, right, bottom, left), `gap`, `justify`, `items`,
  `cols` (a grid's or table's column count);
- text: `size`, `weight`, `colour`, `lh` (line height), `align`, `lines` (how many it wraps to);
- leaves of a fixed size (image, icon, input): their box.

`role` names what a node is for: header, nav, main, aside, footer, section, card (containers); h1–h4, p, a,
li, label, pre (text; a pre's text is code, line by line); the code writer maps roles to elements and class names.

`sketch(node)` prints the tree as compact text with the OCR text in it (one node a line, indented): what a
person reads when debugging, and what a model is given in its prompt; `tree_texts(node)` lists its texts in that
order (what a model trained on the sketch may write, `app.decode.grounding`). `to_json`/`from_json` keep it.

Not here: how the tree is inferred (`app.layout.infer`), how code is written from it (`app.compose`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

CONTAINERS = {"page", "region", "row", "column", "grid", "table", "list", "field", "box", "overlay"}


@dataclass
class Node:
    kind: str
    x: int
    y: int
    w: int
    h: int
    children: list["Node"] = field(default_factory=list)
    role: str = ""
    text: str = ""
    style: dict = field(default_factory=dict)

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def walk(self):
        """This node and every node under it, depth first, in document order."""
        yield self
        for c in self.children:
            yield from c.walk()

    def to_json(self) -> dict:
        out = {"kind": self.kind, "box": [self.x, self.y, self.w, self.h]}
        if self.role:
            out["role"] = self.role
        if self.text:
            out["text"] = self.text
        if self.style:
            out["style"] = self.style
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out

    @classmethod
    def from_json(cls, d: dict) -> "Node":
        x, y, w, h = d["box"]
        return cls(d["kind"], x, y, w, h, [cls.from_json(c) for c in d.get("children", ())], d.get("role", ""),
                   d.get("text", ""), dict(d.get("style", {})))


def bounds(nodes) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the rectangle around `nodes` (anything with x, y, w, h)."""
    x0, y0 = min(n.x for n in nodes), min(n.y for n in nodes)
    x1, y1 = max(n.x + n.w for n in nodes), max(n.y + n.h for n in nodes)
    return x0, y0, x1 - x0, y1 - y0


def tree_texts(node: Node) -> tuple[str, ...]:
    """The texts of the tree's leaves (text, button labels, input placeholders) in document order: the order
    the sketch shows them in, which the text of a model trained on the sketch follows (`app.decode.grounding`)."""
    return tuple(n.text for n in node.walk() if n.text.strip() and n.kind not in CONTAINERS)


def _facts(n: Node) -> str:
    s, parts = n.style, []
    if n.kind == "grid" or n.kind == "table":
        parts.append(f"cols={s.get('cols')}")
    if s.get("gap"):
        parts.append(f"gap={s['gap']}")
    if s.get("justify") and s["justify"] != "start":
        parts.append(s["justify"])
    for key in ("bg", "border"):
        if s.get(key):
            parts.append(f"{key}={s[key]}")
    if s.get("radius"):
        parts.append(f"r={s['radius']}")
    if "size" in s:
        parts.append(f"{s['size']}px" + (" bold" if s.get("weight", 400) >= 600 else "") + f" {s.get('colour', '')}")
    if s.get("align") == "center":
        parts.append("center")
    return " ".join(parts)


def sketch(node: Node, grid: int | None = None, _depth: int = 0) -> str:
    """The tree as indented text: `kind[.role] [x,y,w,h] facts "text"`, one node a line. `grid`: when given,
    coordinates on a 0–grid scale of the page's width and height (as OCR lines are given to the mini model);
    else px."""
    if _depth == 0 and grid:
        scale = (grid / max(1, node.w), grid / max(1, node.h))
    else:
        scale = None
    return "\n".join(_lines(node, _depth, scale))


def _lines(node: Node, depth: int, scale) -> list[str]:
    box = (node.x, node.y, node.w, node.h)
    if scale:
        box = (round(box[0] * scale[0]), round(box[1] * scale[1]), round(box[2] * scale[0]), round(box[3] * scale[1]))
    head = node.kind + (f".{node.role}" if node.role else "")
    text = f' "{" ".join(node.text.split())}"' if node.text else ""  # (code's lines on one line)
    facts = _facts(node)
    out = ["  " * depth + f"{head} [{box[0]},{box[1]},{box[2]},{box[3]}]" + (f" {facts}" if facts else "") + text]
    for c in node.children:
        out.extend(_lines(c, depth + 1, scale))
    return out
