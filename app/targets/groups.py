"""Repeated groups, shared by the React and Vue conversions: a run of MIN_RUN = 3 or more consecutive siblings
of one shape (same tag, class, attribute names and descendants, only texts and other attribute values
differing; not inside a line of text or a `<pre>`) becomes one component (React) or one `v-for` element (Vue)
over a data array. Values alike in every item stay literal; a run is grouped only when all its items emit the
same code, so the rendering is unchanged. `REGISTRY` holds the conversion's groups while it runs (None: grouping
off, as inside a group's own items).
"""
from __future__ import annotations

import json
import re
from contextvars import ContextVar

from app.markup.parse import WS, Element, Text, collapse_ws, is_block


# ---------------------------------------------------------------------------------------- repeated groups
# A run of at least MIN_RUN consecutive siblings with one shape becomes one component (React) or one `v-for`
# element (Vue) over a data array. Three, not two: two alike siblings are as often a pair (two buttons, two
# columns, a label and its value) as a list, and a component plus an array is no shorter than two copies;
# from three on the siblings read as a list (grid cards, nav items, rows) and the code gets shorter.
MIN_RUN = 3
_NOT_GROUPED = {"script", "style", "br", "wbr", "hr", "template"}
_JS_RESERVED = set(
    "break case catch class const continue debugger default delete do else enum export extends false finally "
    "for function if import in instanceof let new null return super switch this throw true try typeof var void "
    "while with yield await implements interface package private protected public static arguments eval "
    "undefined NaN Infinity key ref children i css root App React ReactDOM Fragment Object Array String Number "
    "Boolean Symbol Map Set Date Math JSON Promise Error Image Option Audio Text Element Node Document Window "
    "Event Comment Range Request Response File Blob URL Proxy Reflect Function RegExp Intl".split())
_TAG_COMPONENT = {"a": "link", "li": "list item", "tr": "row", "td": "cell", "th": "header cell", "p": "paragraph",
                  "div": "block", "img": "picture", "option": "choice"}
_TEXT_PROP = {**{f"h{n}": "title" for n in range(1, 7)}, "p": "text", "a": "label", "button": "label",
              "label": "label", "li": "item", "td": "cell", "th": "heading", "figcaption": "caption",
              "caption": "caption", "small": "note", "time": "date", "code": "code", "blockquote": "quote",
              "q": "quote", "dt": "term", "dd": "detail", "option": "option", "strong": "strong", "b": "strong",
              "em": "emphasis", "i": "emphasis"}
REGISTRY: ContextVar[dict | None] = ContextVar("groups", default=None)


class TextSlot(Text):
    """A text that differs between a group's items: emitted as `ref`; the emitter records the value it stands for."""

    def __init__(self, data: str, name: str, ref: str):
        super().__init__(data)
        self.name, self.ref, self.value = name, ref, None


class AttrSlot(str):
    """An attribute value that differs between a group's items: emitted as a binding to `ref`."""
    name: str
    ref: str


def _words(s: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", s)


def _camel_ident(s: str) -> str:
    w = _words(s)
    if not w:
        return ""
    out = w[0][0].lower() + w[0][1:] + "".join(x[0].upper() + x[1:] for x in w[1:])
    return out if out[0].isalpha() else "n" + out


def _plural(w: str) -> str:
    if re.search(r"[^aeiou]y$", w):
        return w[:-1] + "ies"
    return w + "es" if re.search(r"(s|x|z|ch|sh)$", w) else w + "s"


def unique(base: str, taken: set[str], *alternatives: str) -> str:
    for cand in (base, *alternatives):
        if cand and cand not in taken and cand not in _JS_RESERVED:
            taken.add(cand)
            return cand
    base = base or "value"
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    taken.add(f"{base}{n}")
    return f"{base}{n}"


def _fixed_attr(k: str, v: str | None) -> bool:
    """Attributes that are part of a group's shape: never a prop."""
    return v is None or k in ("class", "style") or k.startswith("on")


def _shape(node) -> tuple:
    if isinstance(node, Text):
        return ("ws",) if not node.data.strip(WS) else ("text",)
    if not isinstance(node, Element):
        return (type(node).__name__, getattr(node, "data", ""))
    return (node.tag, tuple((k, v if _fixed_attr(k, v) else "*") for k, v in node.attrs),
            tuple(_shape(c) for c in node.children))


def find_runs(kids: list) -> dict[int, tuple[int, list[Element], bool]]:
    """Runs of ≥ MIN_RUN same-shaped elements separated only by whitespace, with the same separator throughout:
    start index → (last index, items, spaced: whether a space renders between items)."""
    shapes = [_shape(k) if isinstance(k, Element) else None for k in kids]
    runs, i = {}, 0
    while i < len(kids):
        c = kids[i]
        if not isinstance(c, Element) or c.tag in _NOT_GROUPED or not (c.attrs or c.children):
            i += 1
            continue
        items, last, spaced = [c], i, None
        while True:
            k, ws = last + 1, False
            while k < len(kids) and isinstance(kids[k], Text) and not kids[k].data.strip(WS):
                k, ws = k + 1, True
            if k >= len(kids) or shapes[k] != shapes[i] or (spaced is not None and spaced != (ws and not is_block(c))):
                break
            spaced = ws and not is_block(c)
            items.append(kids[k])
            last = k
        if len(items) >= MIN_RUN:
            runs[i] = (last, items, bool(spaced))
            i = last + 1
        else:
            i += 1
    return runs


def _slot_copies(items: list[Element], ref_prefix: str) -> tuple[list[Element], list[str]]:
    """Copies of same-shaped items whose differing texts and attribute values are slots; the slot names in
    document order. Names come from the owning element's class (less the item's class as a prefix) or tag."""
    taken: set[str] = set()
    names: list[str] = []
    root_cls = (items[0].get("class") or "").split()

    def owner_name(el: Element) -> str:
        cls = (el.get("class") or "").split()
        if not cls:
            return ""
        tok = cls[0]
        for rc in root_cls:
            for sep in ("__", "-", "_"):
                if tok.startswith(rc + sep) and len(tok) > len(rc + sep):
                    tok = tok[len(rc + sep):]
        return _camel_ident(tok)

    def slot_name(base: str, *alternatives: str) -> str:
        name = unique(base, taken, *alternatives)
        names.append(name)
        return name

    def walk(els: list[Element], is_root: bool) -> list[Element]:
        el = els[0]
        attrs = [[] for _ in els]
        for ai, (k, v) in enumerate(el.attrs):
            vals = [e.attrs[ai][1] for e in els]
            if _fixed_attr(k, v) or len(set(vals)) == 1:
                for a, e in zip(attrs, els):
                    a.append(e.attrs[ai])
                continue
            attr = _camel_ident(k) or "value"
            owner = "" if is_root else (owner_name(el) or _camel_ident(el.tag))
            name = slot_name(attr, owner + attr[0].upper() + attr[1:] if owner else "")
            for a, val in zip(attrs, vals):
                s = AttrSlot(val)
                s.name, s.ref = name, ref_prefix + name
                a.append((k, s))
        kids = [[] for _ in els]
        for ci, c in enumerate(el.children):
            same = [e.children[ci] for e in els]
            if isinstance(c, Element):
                for kk, copy in zip(kids, walk(same, False)):
                    kk.append(copy)
            elif isinstance(c, Text) and c.data.strip(WS) and len({collapse_ws(t.data) for t in same}) > 1:
                if is_root:
                    base = "label" if el.tag in ("a", "button", "label") else "text"
                else:
                    base = owner_name(el) or _TEXT_PROP.get(el.tag, "text")
                name = slot_name(base, base + "Text" if base in _JS_RESERVED else "")
                for kk, t in zip(kids, same):
                    kk.append(TextSlot(t.data, name, ref_prefix + name))
            else:
                for kk, t in zip(kids, same):
                    kk.append(t)
        return [Element(e.tag, a, k) for e, a, k in zip(els, attrs, kids)]

    return walk(items, True), names


def _slot_values(node, out: dict) -> dict:
    """name → value of the slots in an emitted copy (None for a text slot the emitter did not reach)."""
    if isinstance(node, TextSlot):
        out[node.name] = node.value
    elif isinstance(node, Element):
        for _, v in node.attrs:
            if isinstance(v, AttrSlot):
                out[v.name] = str(v)
        for c in node.children:
            _slot_values(c, out)
    return out


def group_names(item: Element, taken: set[str]) -> tuple[str, str, str]:
    """(Component name, item variable, array name) for a group, from the items' class or tag."""
    cls = (item.get("class") or "").split()
    words = _words(cls[0]) if cls else _words(_TAG_COMPONENT.get(item.tag, item.tag))
    if not words or not words[0][0].isalpha():
        words = ["item", *words]
    pascal = "".join(w[0].upper() + w[1:] for w in words)
    if pascal in _JS_RESERVED or pascal[0].lower() + pascal[1:] in _JS_RESERVED:
        pascal += "Item"
    var = pascal[0].lower() + pascal[1:]
    return pascal, var, unique(_plural(var), taken)


def emit_group(items: list[Element], emit, ref_prefix: str):
    """Emit every item's slotted copy with nested grouping off; (lines, rows) when all items emit the same code
    (else None: the items differ in a way a slot cannot carry, such as a textarea's text or a style)."""
    copies, names = _slot_copies(items, ref_prefix)
    token = REGISTRY.set(None)
    try:
        emitted = [emit(c) for c in copies]
    finally:
        REGISTRY.reset(token)
    rows = [_slot_values(c, {}) for c in copies]
    if any(e != emitted[0] for e in emitted) or any(v is None for r in rows for v in r.values()):
        return None
    return emitted[0], names, [[(n, r[n]) for n in names] for r in rows]


def js_rows(rows: list[list[tuple[str, str]]], indent: int) -> list[str]:
    """A JSON-like array literal's items, one object per line (one property per line when long)."""
    pad, out = "  " * indent, []
    for row in rows:
        # `<\/`: a value cannot end the <script> block the code may sit in (a Vue SFC, a preview page).
        props = [k + ": " + json.dumps(v, ensure_ascii=False).replace("</", "<\\/") for k, v in row]
        line = pad + ("{ " + ", ".join(props) + " }," if props else "{},")
        if len(line) <= 110:
            out.append(line)
        else:
            out += [pad + "{", *(f"{pad}  {p}," for p in props), pad + "},"]
    return out
