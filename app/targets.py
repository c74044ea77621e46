"""HTML → Tailwind / React / Vue, and standalone offline previews of every target.

The mini model writes HTML+CSS only; the other targets are produced from its page by transformations that
keep the rendering identical (tests render both in Chromium and compare pixels):

- `html_to_react`: one JSX file, `export default function App()`, the page CSS in a `css` string rendered by
  a `<style>` element; attributes renamed (class→className, for→htmlFor, SVG camelCase), `style` strings →
  objects, form values → `defaultValue`/`defaultChecked`, inline whitespace kept as `{" "}` where HTML
  would render a space (JSX drops whitespace lines that HTML keeps). A repeated group (a run of
  MIN_RUN = 3 or more consecutive siblings of one shape: same tag, class, attribute names and descendants,
  only texts and other attribute values differing; not inside a line of text or a `<pre>`) becomes one
  component per shape, named from the class (`.card` → `function Card({ title, text })`, props named from the
  descendants' classes or tags), rendered from a `const` data array (`{cards.map((card, i) => <Card key={i}
  {...card} />)}`); values alike in every item stay literal in the component. A run is grouped only when all
  its items emit the same component code, so the rendering is unchanged.
- `html_to_vue`: a Vue 3 SFC (`<template>`, `<script>`, `<style>`) with `{{` escaped and the same
  whitespace rule (Vue's default `condense` mode drops newline whitespace between elements). The same
  repeated groups become one `v-for` element over an array returned by `data()`.
- `html_to_tailwind`: rules whose selector is one class (optionally with a pseudo-class and/or inside a
  min/max-width media query) become utilities on the elements carrying the class, merged in cascade order;
  every other rule is kept in a style block, in Tailwind's `base` layer when it is weaker than a class
  (type/universal selectors) and unlayered when stronger, so the cascade is unchanged. Preflight is not
  loaded, because the original page was styled against browser defaults.

`preview_html(code, target)` returns a standalone page for any target with the vendored builds from
`assets/vendor/` inlined (React/ReactDOM 18 UMD + Babel standalone for JSX, Vue 3 global build, Tailwind's
browser runtime), so nothing is fetched when it renders. HTML and CSS parsing live in `app/markup.py`.
"""
from __future__ import annotations

import json
import re
from contextvars import ContextVar
from html import escape as _html_escape
from pathlib import Path

from app.markup import (VOID, WS, Comment, Decl, Element, Rule, Text, collapse_ws, find_all, find_first, is_block,
                        parse_css, parse_declarations, parse_html, rule_css, serialize, specificity, split_page,
                        text_of)

VENDOR_DIR = Path(__file__).resolve().parent.parent / "assets" / "vendor"
TAILWIND_CDN = "https://cdn.jsdelivr.net/npm/@tailwindcss/browser@4.3.3"


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
_REACT_GROUPS: ContextVar[dict | None] = ContextVar("react_groups", default=None)
_VUE_GROUPS: ContextVar[dict | None] = ContextVar("vue_groups", default=None)


class _TextSlot(Text):
    """A text that differs between a group's items: emitted as `ref`; the emitter records the value it stands for."""

    def __init__(self, data: str, name: str, ref: str):
        super().__init__(data)
        self.name, self.ref, self.value = name, ref, None


class _AttrSlot(str):
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


def _unique(base: str, taken: set[str], *alternatives: str) -> str:
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


def _runs(kids: list) -> dict[int, tuple[int, list[Element], bool]]:
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
        name = _unique(base, taken, *alternatives)
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
                s = _AttrSlot(val)
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
                    kk.append(_TextSlot(t.data, name, ref_prefix + name))
            else:
                for kk, t in zip(kids, same):
                    kk.append(t)
        return [Element(e.tag, a, k) for e, a, k in zip(els, attrs, kids)]

    return walk(items, True), names


def _slot_values(node, out: dict) -> dict:
    """name → value of the slots in an emitted copy (None for a text slot the emitter did not reach)."""
    if isinstance(node, _TextSlot):
        out[node.name] = node.value
    elif isinstance(node, Element):
        for _, v in node.attrs:
            if isinstance(v, _AttrSlot):
                out[v.name] = str(v)
        for c in node.children:
            _slot_values(c, out)
    return out


def _group_names(item: Element, taken: set[str]) -> tuple[str, str, str]:
    """(Component name, item variable, array name) for a group, from the items' class or tag."""
    cls = (item.get("class") or "").split()
    words = _words(cls[0]) if cls else _words(_TAG_COMPONENT.get(item.tag, item.tag))
    if not words or not words[0][0].isalpha():
        words = ["item", *words]
    pascal = "".join(w[0].upper() + w[1:] for w in words)
    if pascal in _JS_RESERVED or pascal[0].lower() + pascal[1:] in _JS_RESERVED:
        pascal += "Item"
    var = pascal[0].lower() + pascal[1:]
    return pascal, var, _unique(_plural(var), taken)


def _emit_group(items: list[Element], emit, ref_prefix: str):
    """Emit every item's slotted copy with nested grouping off; (lines, rows) when all items emit the same code
    (else None: the items differ in a way a slot cannot carry, such as a textarea's text or a style)."""
    copies, names = _slot_copies(items, ref_prefix)
    tokens = _REACT_GROUPS.set(None), _VUE_GROUPS.set(None)
    try:
        emitted = [emit(c) for c in copies]
    finally:
        _REACT_GROUPS.reset(tokens[0])
        _VUE_GROUPS.reset(tokens[1])
    rows = [_slot_values(c, {}) for c in copies]
    if any(e != emitted[0] for e in emitted) or any(v is None for r in rows for v in r.values()):
        return None
    return emitted[0], names, [[(n, r[n]) for n in names] for r in rows]


def _js_rows(rows: list[list[tuple[str, str]]], indent: int) -> list[str]:
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


def _jsx_group(items: list[Element], spaced: bool, pad: str) -> str | None:
    """The JSX line that renders a run from a data array; the component and the array go to the registry."""
    reg = _REACT_GROUPS.get()
    got = _emit_group(items, lambda c: _jsx_element(c, 2), "")
    if got is None:
        return None
    lines, names, rows = got
    pascal, var, array = _group_names(items[0], reg["taken"])
    key = (tuple(names), tuple(lines))
    if key not in reg["components"]:
        name = _unique(pascal, reg["taken"])
        head = f"function {name}({{ {', '.join(names)} }}) {{" if names else f"function {name}() {{"
        body = [f"  return {lines[0].strip()};"] if len(lines) == 1 else ["  return (", *lines, "  );"]
        reg["components"][key] = name
        reg["defs"] += [head, *body, "}", ""]
    name = reg["components"][key]
    reg["data"] += [f"const {array} = [", *_js_rows(rows, 1), "];", ""]
    if spaced:
        return (f'{pad}{{{array}.map(({var}, i) => <React.Fragment key={{i}}>{{i > 0 && " "}}'
                f"<{name} {{...{var}}} /></React.Fragment>)}}")
    return f"{pad}{{{array}.map(({var}, i) => <{name} key={{i}} {{...{var}}} />)}}"


def _vue_group(items: list[Element], spaced: bool, indent: int) -> list[str] | None:
    """The template lines of a run as one `v-for` element over an array in the component's data()."""
    reg = _VUE_GROUPS.get()
    _, var, array = _group_names(items[0], set(reg["taken"]))
    loop = [("v-for", f"({var}, i) in {array}"), (":key", "i")]

    def emit(copy: Element) -> list[str]:
        if not spaced:
            copy = Element(copy.tag, loop + copy.attrs, copy.children)
        return _vue_nodes(Element("#wrap", [], [copy]), indent)

    got = _emit_group(items, emit, var + ".")
    if got is None:
        return None
    lines, _, rows = got
    _unique(array, reg["taken"])
    reg["data"].append((array, rows))
    if spaced:  # the space between items rendered by the loop itself, on the item's line (Vue condenses it)
        pad = "  " * indent
        lines = [f'{pad}<template v-for="({var}, i) in {array}" :key="i">{{{{ i ? \' \' : \'\' }}}}'
                 + lines[0].strip(), *lines[1:]]
        lines[-1] += "</template>"
    return lines


# -------------------------------------------------------------------------------------------------- React
_JSX_ATTR = {
    "class": "className", "for": "htmlFor", "tabindex": "tabIndex", "readonly": "readOnly",
    "maxlength": "maxLength", "minlength": "minLength", "colspan": "colSpan", "rowspan": "rowSpan",
    "autocomplete": "autoComplete", "autofocus": "autoFocus", "contenteditable": "contentEditable",
    "crossorigin": "crossOrigin", "datetime": "dateTime", "enctype": "encType", "inputmode": "inputMode",
    "novalidate": "noValidate", "srcset": "srcSet", "usemap": "useMap", "accesskey": "accessKey",
    "spellcheck": "spellCheck", "accept-charset": "acceptCharset", "http-equiv": "httpEquiv",
    "cellpadding": "cellPadding", "cellspacing": "cellSpacing", "frameborder": "frameBorder",
    "allowfullscreen": "allowFullScreen", "formaction": "formAction", "hreflang": "hrefLang",
    "referrerpolicy": "referrerPolicy", "playsinline": "playsInline", "xlink:href": "xlinkHref",
    # SVG attributes whose case html.parser folded
    "viewbox": "viewBox", "preserveaspectratio": "preserveAspectRatio", "gradientunits": "gradientUnits",
    "gradienttransform": "gradientTransform", "patternunits": "patternUnits", "markerwidth": "markerWidth",
    "markerheight": "markerHeight", "refx": "refX", "refy": "refY", "stddeviation": "stdDeviation",
    "textlength": "textLength", "lengthadjust": "lengthAdjust", "pathlength": "pathLength",
}
# SVG tags whose case html.parser folded.
_SVG_TAGS = {"lineargradient": "linearGradient", "radialgradient": "radialGradient", "clippath": "clipPath",
             "textpath": "textPath", "foreignobject": "foreignObject", "fegaussianblur": "feGaussianBlur"}
_INLINE_PARENTS_KEEP_EDGE_SPACE = {"a", "span", "strong", "em", "b", "i", "label", "button", "small", "code"}


def _camel(prop: str) -> str:
    if prop.startswith("--"):
        return prop
    if prop.startswith("-ms-"):
        prop = prop[1:]
    parts = prop.lstrip("-").split("-")
    head = parts[0] if not prop.startswith("-") else parts[0].capitalize()
    return head + "".join(p.capitalize() for p in parts[1:])


def _jsx_string(value: str) -> str:
    """An attribute value: a plain "..." when JSX would read it back unchanged, else a JS expression."""
    if any(c in value for c in '"&\\\n{}') or value != value.strip(WS):
        return "{" + json.dumps(value, ensure_ascii=False) + "}"
    return f'"{value}"'


def _jsx_text(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("{", "&#123;").replace("}", "&#125;"))


def _jsx_attrs(el: Element) -> str:
    parts = []
    attrs = list(el.attrs)
    if el.tag == "select":
        chosen = [o for o in find_all(el, "option") if o.has("selected")]
        if chosen:
            o = chosen[0]
            attrs.append(("value", o.get("value") if o.get("value") is not None else collapse_ws(text_of(o)).strip()))
    for k, v in attrs:
        if k.startswith("on"):
            continue  # string event handlers have no JSX meaning
        if el.tag == "option" and k == "selected":
            continue  # React selects through the <select>'s defaultValue
        if k == "style" and v:
            decls = parse_declarations(v)
            body = ", ".join(f"{json.dumps(_camel(p))}: {json.dumps(val)}" if p.startswith("--")
                             or not re.fullmatch(r"[a-zA-Z]+", _camel(p)) else f"{_camel(p)}: {json.dumps(val)}"
                             for p, val in decls)
            parts.append(f"style={{{{ {body} }}}}")
            continue
        if k == "value" and el.tag in ("input", "select", "textarea"):
            k = "defaultValue"
        elif k == "checked" and el.tag == "input":
            k = "defaultChecked"
        elif k.startswith(("data-", "aria-")):
            pass
        elif k in _JSX_ATTR:
            k = _JSX_ATTR[k]
        elif "-" in k and el.tag not in ("svg",) and not k.startswith("--"):
            k = _camel(k)  # stroke-width → strokeWidth (SVG presentation attributes)
        elif "-" in k:
            k = _camel(k)
        if v is None:
            parts.append(k)
        elif isinstance(v, _AttrSlot):
            parts.append(f"{k}={{{v.ref}}}")
        else:
            parts.append(f"{k}={_jsx_string(v)}")
    return "".join(" " + p for p in parts)


def _jsx_children(el: Element, indent: int, pre: bool) -> list[str]:
    lines: list[str] = []
    kids = [c for c in el.children if not isinstance(c, Decl)]
    pad = "  " * indent
    runs = _runs(kids) if not pre and _REACT_GROUPS.get() is not None else {}
    skip = -1
    for i, c in enumerate(kids):
        if i <= skip:
            continue
        if i in runs:
            line = _jsx_group(runs[i][1], runs[i][2], pad)
            if line is not None:
                lines.append(line)
                skip = runs[i][0]
                continue
        if isinstance(c, Comment):
            body = c.data.strip().replace("*/", "* /")
            lines.append(f"{pad}{{/* {body} */}}")
        elif isinstance(c, Text):
            if pre:
                if isinstance(c, _TextSlot):
                    c.value = c.data
                    lines.append(pad + "{" + c.ref + "}")
                else:
                    lines.append(pad + "{" + json.dumps(c.data, ensure_ascii=False) + "}")
                continue
            s = collapse_ws(c.data)
            prev_el = kids[i - 1] if i > 0 else None
            next_el = kids[i + 1] if i + 1 < len(kids) else None
            if s.strip() == "":
                # Whitespace between two siblings renders as a space unless both are blocks.
                if prev_el is not None and next_el is not None and not (is_block(prev_el) and is_block(next_el)):
                    lines.append(pad + '{" "}')
                elif (prev_el is None or next_el is None) and el.tag in _INLINE_PARENTS_KEEP_EDGE_SPACE \
                        and (prev_el is not None or next_el is not None):
                    lines.append(pad + '{" "}')
                continue
            lead = s[0] == " " and prev_el is not None and not is_block(prev_el)
            trail = s[-1] == " " and next_el is not None and not is_block(next_el)
            text = _jsx_text(s.strip(" "))
            if isinstance(c, _TextSlot):
                c.value, text = s.strip(" "), "{" + c.ref + "}"
            lines.append(pad + ('{" "}' if lead else "") + text + ('{" "}' if trail else ""))
        else:
            lines.extend(_jsx_element(c, indent, pre))
    return lines


def _jsx_inline(node) -> str:
    """Mixed content on one line: JSX keeps spaces inside a line, so the text nodes match the HTML's."""
    if isinstance(node, _TextSlot):
        node.value = collapse_ws(node.data)
        return "{" + node.ref + "}"
    if isinstance(node, Text):
        return _jsx_text(collapse_ws(node.data))
    if isinstance(node, (Comment, Decl)):
        return ""
    token = _REACT_GROUPS.set(None)  # no groups inside a line of text (this emission may be discarded below)
    try:
        lines = _jsx_element(node, 0)
    finally:
        _REACT_GROUPS.reset(token)
    if len(lines) == 1:
        return lines[0]
    return f"<{_SVG_TAGS.get(node.tag, node.tag)}{_jsx_attrs(node)}>" + "".join(
        _jsx_inline(c) for c in node.children) + f"</{_SVG_TAGS.get(node.tag, node.tag)}>"


def _jsx_element(el: Element, indent: int, pre: bool = False) -> list[str]:
    pad = "  " * indent
    tag = _SVG_TAGS.get(el.tag, el.tag)
    attrs = _jsx_attrs(el)
    if el.tag in ("script",):
        return []
    if el.tag == "textarea":
        text = text_of(el)
        if text:
            attrs += " defaultValue=" + "{" + json.dumps(text.removeprefix("\n"), ensure_ascii=False) + "}"
        return [f"{pad}<{tag}{attrs} />"]
    if el.tag == "style":
        return [f"{pad}<style>{{{json.dumps(text_of(el), ensure_ascii=False)}}}</style>"]
    if el.tag in VOID or not el.children:
        return [f"{pad}<{tag}{attrs} />"]
    is_pre = pre or el.tag in ("pre",)
    if not is_pre and _mixed(el):
        pieces = [_jsx_inline(c) for c in el.children]
        # The line is stripped of edge spaces: a slot at an edge stands for its text stripped the same way.
        for order, strip in ((1, str.lstrip), (-1, str.rstrip)):
            for c, piece in list(zip(el.children, pieces))[::order]:
                if isinstance(c, _TextSlot):
                    c.value = strip(c.value, " ")
                if piece.strip(" "):
                    break
        return [f"{pad}<{tag}{attrs}>" + "".join(pieces).strip(" ") + f"</{tag}>"]
    inner = _jsx_children(el, indent + 1, is_pre)
    if not inner:
        return [f"{pad}<{tag}{attrs} />"]
    if len(inner) == 1 and len(inner[0].strip()) + len(pad) + len(tag) * 2 + len(attrs) < 100:
        return [f"{pad}<{tag}{attrs}>{inner[0].strip()}</{tag}>"]
    return [f"{pad}<{tag}{attrs}>", *inner, f"{pad}</{tag}>"]


def _js_template(s: str) -> str:
    return s.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


def html_to_react(html: str) -> str:
    """A single-file React function component rendering the same page."""
    page = split_page(html)
    body = page.body
    wrapper_attrs = [(k, v) for k, v in body.attrs]
    root = Element("div", wrapper_attrs, body.children) if wrapper_attrs else None
    lines = ['import React from "react";', ""]
    if page.css.strip():
        lines += ["const css = `", _js_template(page.css.strip("\n")), "`;", ""]
    groups = {"taken": set(), "components": {}, "defs": [], "data": []}
    token = _REACT_GROUPS.set(groups)
    try:
        jsx = _jsx_element(root, 3) if root is not None else _jsx_children(body, 3, False)
    finally:
        _REACT_GROUPS.reset(token)
    lines += groups["defs"] + groups["data"]
    lines += ["export default function App() {", "  return (", "    <>"]
    if page.css.strip():
        lines.append("      <style>{css}</style>")
    lines += jsx
    lines += ["    </>", "  );", "}", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------- Vue
# SVG attribute names whose case html.parser folded (a browser's HTML parser restores it; Vue's does not).
_SVG_ATTR_CASE = {k: v for k, v in _JSX_ATTR.items() if k == v.lower() and k in {
    "viewbox", "preserveaspectratio", "gradientunits", "gradienttransform", "patternunits", "markerwidth",
    "markerheight", "refx", "refy", "stddeviation", "textlength", "lengthadjust", "pathlength"}}


def _vue_attrs(el: Element) -> str:
    return "".join(f" {_SVG_ATTR_CASE.get(k, k)}" if v is None
                   else f' :{_SVG_ATTR_CASE.get(k, k)}="{v.ref}"' if isinstance(v, _AttrSlot)
                   else f' {_SVG_ATTR_CASE.get(k, k)}="{_html_escape(v, quote=True)}"'
                   for k, v in el.attrs if not k.startswith("on"))


def _vue_inline(node) -> str:
    """Mixed text-and-element content on one line: Vue's `condense` mode drops whitespace-only text that
    contains a newline, so inline content must not be broken across lines."""
    if isinstance(node, _TextSlot):
        node.value = collapse_ws(node.data)
        return "{{ " + node.ref + " }}"
    if isinstance(node, Text):
        return _html_escape(collapse_ws(node.data), quote=False).replace("{{", "{{ '{{' }}")
    if isinstance(node, (Comment, Decl)):
        return ""
    if node.tag in ("pre", "textarea"):
        return serialize(node).replace("{{", "{{ '{{' }}")
    tag = _SVG_TAGS.get(node.tag, node.tag)
    if node.tag in VOID:
        return f"<{tag}{_vue_attrs(node)} />"
    return f"<{tag}{_vue_attrs(node)}>" + "".join(_vue_inline(c) for c in node.children) + f"</{tag}>"


def _mixed(el: Element) -> bool:
    return any(isinstance(c, Text) and c.data.strip(WS) for c in el.children)


def _vue_nodes(el: Element, indent: int) -> list[str]:
    pad = "  " * indent
    out: list[str] = []
    kids = [c for c in el.children if not isinstance(c, Decl)]
    runs = _runs(kids) if _VUE_GROUPS.get() is not None else {}
    skip = -1
    for i, c in enumerate(kids):
        if i <= skip:
            continue
        if i in runs:
            group = _vue_group(runs[i][1], runs[i][2], indent)
            if group is not None:
                out += group
                skip = runs[i][0]
                continue
        if isinstance(c, Comment):
            out.append(f"{pad}<!--{c.data}-->")
        elif isinstance(c, Text):
            s = collapse_ws(c.data)
            prev_el = kids[i - 1] if i > 0 else None
            next_el = kids[i + 1] if i + 1 < len(kids) else None
            if s.strip() == "":
                if prev_el is not None and next_el is not None and not (is_block(prev_el) and is_block(next_el)):
                    out.append(pad + "{{ ' ' }}")
                continue
            text = _html_escape(s.strip(" "), quote=False).replace("{{", "{{ '{{' }}")
            if isinstance(c, _TextSlot):
                c.value, text = s.strip(" "), "{{ " + c.ref + " }}"
            lead = s[0] == " " and prev_el is not None and not is_block(prev_el)
            trail = s[-1] == " " and next_el is not None and not is_block(next_el)
            out.append(pad + ("{{ ' ' }}" if lead else "") + text + ("{{ ' ' }}" if trail else ""))
        elif c.tag in ("script", "style"):
            continue
        elif c.tag in ("pre", "textarea") or _mixed(c):
            out.append(pad + _vue_inline(c).strip() if c.tag not in ("pre", "textarea") else pad + _vue_inline(c))
        else:
            attrs = _vue_attrs(c)
            tag = _SVG_TAGS.get(c.tag, c.tag)
            if c.tag in VOID:
                out.append(f"{pad}<{tag}{attrs} />")
                continue
            inner = _vue_nodes(c, indent + 1)
            if not inner:
                out.append(f"{pad}<{tag}{attrs}></{tag}>")
            elif len(inner) == 1 and len(inner[0].strip()) + len(pad) + len(attrs) < 100:
                out.append(f"{pad}<{tag}{attrs}>{inner[0].strip()}</{tag}>")
            else:
                out += [f"{pad}<{tag}{attrs}>", *inner, f"{pad}</{tag}>"]
    return out


def html_to_vue(html: str) -> str:
    """A Vue 3 single-file component rendering the same page (global styles: `body` rules must still apply)."""
    page = split_page(html)
    body = page.body
    groups = {"taken": set(), "data": []}
    token = _VUE_GROUPS.set(groups)
    try:
        if body.attrs:
            inner = _vue_nodes(Element("#wrap", [], [Element("div", body.attrs, body.children)]), 1)
        else:
            inner = _vue_nodes(body, 1)
    finally:
        _VUE_GROUPS.reset(token)
    name = re.sub(r"[^A-Za-z0-9]+", " ", page.title or "").title().replace(" ", "") or "App"
    options = [f"  name: {json.dumps(name[:40] if name[0].isalpha() else 'App')},"]
    if groups["data"]:
        options += ["  data() {", "    return {"]
        for array, rows in groups["data"]:
            options += [f"      {array}: [", *_js_rows(rows, 4), "      ],"]
        options += ["    };", "  },"]
    parts = ["<template>", *inner, "</template>", "", "<script>", "export default {", *options, "};",
             "</script>", ""]
    if page.css.strip():
        parts += ["<style>", page.css.strip("\n"), "</style>", ""]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------- Tailwind
_SINGLE_CLASS = re.compile(r"^\.(-?[_a-zA-Z][\w-]*)(:hover|:focus|:active|:focus-visible|:disabled|:first-child"
                           r"|:last-child)?$")
_VARIANT = {None: "", ":hover": "hover:", ":focus": "focus:", ":active": "active:",
            ":focus-visible": "focus-visible:", ":disabled": "disabled:", ":first-child": "first:",
            ":last-child": "last:"}
_MEDIA = re.compile(r"^\(\s*(min|max)-width\s*:\s*(\d+(?:\.\d+)?px)\s*\)$")

_KEYWORDS = {
    ("display", "flex"): "flex", ("display", "grid"): "grid", ("display", "block"): "block",
    ("display", "inline-block"): "inline-block", ("display", "inline"): "inline", ("display", "none"): "hidden",
    ("display", "inline-flex"): "inline-flex", ("flex-direction", "column"): "flex-col",
    ("flex-direction", "row"): "flex-row", ("flex-wrap", "wrap"): "flex-wrap",
    ("align-items", "center"): "items-center", ("align-items", "flex-start"): "items-start",
    ("align-items", "flex-end"): "items-end", ("align-items", "stretch"): "items-stretch",
    ("align-items", "baseline"): "items-baseline", ("justify-content", "center"): "justify-center",
    ("justify-content", "space-between"): "justify-between", ("justify-content", "flex-start"): "justify-start",
    ("justify-content", "flex-end"): "justify-end", ("justify-content", "space-around"): "justify-around",
    ("text-align", "center"): "text-center", ("text-align", "left"): "text-left",
    ("text-align", "right"): "text-right", ("font-weight", "400"): "font-normal",
    ("font-weight", "500"): "font-medium", ("font-weight", "600"): "font-semibold",
    ("font-weight", "700"): "font-bold", ("font-weight", "bold"): "font-bold",
    ("position", "relative"): "relative", ("position", "absolute"): "absolute", ("position", "fixed"): "fixed",
    ("position", "sticky"): "sticky", ("font-style", "italic"): "italic",
    ("text-decoration", "none"): "no-underline", ("text-decoration", "underline"): "underline",
    ("overflow", "hidden"): "overflow-hidden", ("flex", "1"): "flex-1", ("cursor", "pointer"): "cursor-pointer",
    ("list-style", "none"): "list-none", ("text-transform", "uppercase"): "uppercase",
    ("box-sizing", "border-box"): "box-border", ("white-space", "nowrap"): "whitespace-nowrap",
    ("width", "100%"): "w-full", ("height", "100%"): "h-full",
}
# Spacing-scale utilities (Tailwind v4: n × 0.25rem = n × 4px at the default 16px root).
_SPACING = {"padding": "p", "padding-top": "pt", "padding-right": "pr", "padding-bottom": "pb",
            "padding-left": "pl", "margin": "m", "margin-top": "mt", "margin-right": "mr",
            "margin-bottom": "mb", "margin-left": "ml", "gap": "gap", "row-gap": "gap-y", "column-gap": "gap-x"}
# Single-value utilities with an arbitrary value whose type Tailwind infers unambiguously.
_ARBITRARY = {"font-size": ("text", "length"), "color": ("text", "color"), "background-color": ("bg", "color"),
              "border-radius": ("rounded", "length"), "line-height": ("leading", "any"),
              "width": ("w", "length"), "height": ("h", "length"), "max-width": ("max-w", "length"),
              "min-height": ("min-h", "length"), "letter-spacing": ("tracking", "length")}
_SHORTHANDS = {
    "padding": ("padding-",), "margin": ("margin-",), "background": ("background-",),
    "border": tuple(f"border{side}{part}" for side in ("", "-top", "-right", "-bottom", "-left")
                    for part in ("", "-width", "-style", "-color") if side or part),
    "font": ("font-", "line-height"), "flex": ("flex-grow", "flex-shrink", "flex-basis"),
    "gap": ("row-gap", "column-gap"), "inset": ("top", "right", "bottom", "left"),
    "overflow": ("overflow-x", "overflow-y"), "border-radius": ("border-top-left-radius",
                                                               "border-top-right-radius",
                                                               "border-bottom-left-radius",
                                                               "border-bottom-right-radius"),
    "list-style": ("list-style-",), "text-decoration": ("text-decoration-",), "outline": ("outline-",),
    "grid-template": ("grid-template-",), "transition": ("transition-",),
    "border-width": ("border-top-width", "border-right-width", "border-bottom-width", "border-left-width"),
}
_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|rgba?\([^)]*\)|hsla?\([^)]*\))$")
_LENGTH = re.compile(r"^-?\d*\.?\d+(px|rem|em|%|vh|vw)$|^0$")


def _overrides(short: str, long: str) -> bool:
    return any(long == p or (p.endswith("-") and long.startswith(p)) for p in _SHORTHANDS.get(short, ()))


def _arb(value: str) -> str:
    """A CSS value as Tailwind arbitrary-value text: spaces become `_`, literal underscores are escaped."""
    return value.replace("_", "\\_").replace(" ", "_")


def utility_for(prop: str, value: str) -> str:
    """One Tailwind v4 class that sets exactly `prop: value`."""
    v = " ".join(value.split())
    if (prop, v) in _KEYWORDS:
        return _KEYWORDS[(prop, v)]
    if prop in _SPACING and " " not in v:
        m = re.fullmatch(r"(-?)(\d+)px", v)
        if m and int(m.group(2)) % 4 == 0:
            return f"{m.group(1)}{_SPACING[prop]}-{int(m.group(2)) // 4}"
        if v == "0":
            return f"{_SPACING[prop]}-0"
        if _LENGTH.match(v) and not v.startswith("-"):
            return f"{_SPACING[prop]}-[{v}]"
    if prop in _ARBITRARY and " " not in v:
        prefix, kind = _ARBITRARY[prop]
        if kind == "color" and _COLOR.match(v.replace(" ", "")):
            return f"{prefix}-[{_arb(v)}]"
        if kind == "length" and _LENGTH.match(v) and not v.startswith("-"):
            return f"{prefix}-[{v}]"
        if kind == "any" and re.fullmatch(r"\d*\.?\d+(px|rem|em)?", v):
            return f"{prefix}-[{v}]"
    return f"[{prop}:{_arb(v)}]"


def _merge(decls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Cascade-merge declarations given in source order: a later value wins, a later shorthand removes the
    longhands it resets (Tailwind orders its own utilities, so the source order itself is lost)."""
    merged: dict[str, str] = {}
    for p, v in decls:
        for q in [q for q in merged if _overrides(p, q)]:
            del merged[q]
        merged.pop(p, None)
        merged[p] = v
    return list(merged.items())


def _variant_of(rule: Rule) -> tuple[str, str] | None:
    """(class name, variant prefix) when the rule can become utilities, else None."""
    if rule.raw is not None or "," in rule.selector:
        return None
    m = _SINGLE_CLASS.match(rule.selector.strip())
    if not m or any("!important" in v for _, v in rule.decls):
        return None
    prefix = _VARIANT[m.group(2)]
    if rule.media:
        mm = _MEDIA.match(rule.media.strip())
        if not mm:
            return None
        prefix = (f"min-[{mm.group(2)}]:" if mm.group(1) == "min" else f"max-[{mm.group(2)}]:") + prefix
    return m.group(1), prefix


def html_to_tailwind(html: str) -> str:
    """The same page with its class rules turned into Tailwind utilities (see the module docstring)."""
    doc = parse_html(html)
    rules = parse_css("\n".join(text_of(s) for s in find_all(doc, "style")))
    by_class: dict[str, list[tuple[str, list[tuple[str, str]]]]] = {}
    leftover: list[Rule] = []
    for r in rules:
        v = _variant_of(r)
        if v is None:
            leftover.append(r)
        else:
            by_class.setdefault(v[0], []).append((v[1], r.decls))
    # A class still named by a kept rule (`.card h3`) stays on its elements too.
    kept_names = set()
    for r in leftover:
        kept_names.update(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", r.selector))

    for el in list(find_all(doc, "style")):
        parent = _parent_of(doc, el)
        if parent is not None:
            parent.children.remove(el)
    for el in _elements(doc):
        cls = el.get("class")
        if not cls:
            continue
        names = cls.split()
        per_variant: dict[str, list[tuple[str, str]]] = {}
        # All single-class rules share one specificity, so source order decides: walk rules, not names.
        for r in rules:
            v = _variant_of(r)
            if v is not None and v[0] in names:
                per_variant.setdefault(v[1], []).extend(r.decls)
        utils = [n for n in names if n not in by_class or n in kept_names]
        for prefix in sorted(per_variant, key=lambda p: (p.count(":"), p)):
            utils += [prefix + utility_for(p, val) for p, val in _merge(per_variant[prefix])]
        el.set("class", " ".join(dict.fromkeys(utils)))

    weak = [r for r in leftover if r.raw is None and specificity(r.selector) < (0, 1, 0)]
    strong = [r for r in leftover if r not in weak]
    head = find_first(doc, "head")
    if head is None:
        head = Element("head", [])
        html_el = find_first(doc, "html")
        (html_el.children if html_el is not None else doc.children).insert(0, head)
    tw = ['@layer theme, base, components, utilities;',
          '@import "tailwindcss/theme.css" layer(theme);',
          '@import "tailwindcss/utilities.css" layer(utilities);']
    if weak:
        tw += ["@layer base {", *("  " + rule_css(r) for r in weak), "}"]
    head.children.append(Text("\n"))
    head.children.append(Element("script", [("src", TAILWIND_CDN)]))
    head.children.append(Text("\n"))
    head.children.append(Element("style", [("type", "text/tailwindcss")], [Text("\n" + "\n".join(tw) + "\n")]))
    if strong:
        head.children.append(Text("\n"))
        head.children.append(Element("style", [], [Text("\n" + "\n".join(rule_css(r) for r in strong) + "\n")]))
    head.children.append(Text("\n"))
    return serialize(doc)


def _elements(node):
    if isinstance(node, Element):
        if node.tag != "#document":
            yield node
        for c in node.children:
            yield from _elements(c)


def _parent_of(root: Element, target: Element) -> Element | None:
    for el in [root, *_elements(root)]:
        if any(c is target for c in el.children):
            return el
    return None


# ------------------------------------------------------------------------------------------------ public
def transform(html: str, target: str) -> str:
    """The model's HTML page as `target` code ("html" returns it unchanged)."""
    if target == "html":
        return html
    if target == "tailwind":
        return html_to_tailwind(html)
    if target == "react":
        return html_to_react(html)
    if target == "vue":
        return html_to_vue(html)
    raise ValueError(f"unknown target {target!r}")


def _vendor(name: str) -> str:
    path = VENDOR_DIR / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:  # a broken install, not user input
        raise RuntimeError(f"{path}: vendored front-end build missing ({e.strerror})") from None
    return text.replace("</script", "<\\/script")


def _script(js: str, attrs: str = "") -> str:
    return f"<script{attrs}>{js}</script>"


def preview_html(code: str, target: str) -> str:
    """A standalone page showing `code` of `target`, with every library inlined (renders without network)."""
    if target == "html":
        return code
    if target == "tailwind":
        code = re.sub(r"<script\b[^>]*\bsrc=[\"'][^\"']*tailwindcss[^\"']*[\"'][^>]*>\s*</script>", "", code,
                      flags=re.I)
        tag = _script(_vendor("tailwindcss-browser.js"))
        m = re.search(r"<head\b[^>]*>", code, re.I)
        return code[:m.end()] + tag + code[m.end():] if m else tag + code
    if target == "react":
        src = re.sub(r"^\s*import\s+[^;]*;?\s*$", "", code, flags=re.M)
        src = re.sub(r"export\s+default\s+function\s+(\w+)", r"function \1", src)
        # The default export is the page; the other functions are the components of its repeated groups.
        m = re.search(r"export\s+default\s+function\s+(\w+)", code) or re.search(r"function\s+([A-Z]\w*)\s*\(", src)
        comp = m.group(1) if m else "App"
        src = src.replace("</script", "<\\/script")
        return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                + _script(_vendor("react.production.min.js")) + _script(_vendor("react-dom.production.min.js"))
                + _script(_vendor("babel.min.js"))
                # Mounted on <body> itself so body-level CSS (flex bodies, `body > x`) applies as in the page.
                # One function scope: top-level `const`s must not clash when a renderer reuses its page.
                + _script(f"(() => {{\n{src}\nconst root = ReactDOM.createRoot(document.body);\n"
                          # flushSync: the page is complete when the load event fires (screenshots wait for it).
                          f"ReactDOM.flushSync(() => root.render(React.createElement({comp})));\n}})();", ' type="text/babel" data-presets="react"')
                + "</head><body></body></html>")
    if target == "vue":
        tpl = re.search(r"<template>(.*)</template>", code, re.S)
        style = "".join(m.group(1) for m in re.finditer(r"<style\b[^>]*>(.*?)</style>", code, re.S))
        script = re.search(r"<script\b[^>]*>(.*?)</script>", code, re.S)
        options = "{}"
        if script:
            body = script.group(1).strip()
            mm = re.search(r"export\s+default\s*(\{.*\})\s*;?\s*$", body, re.S)
            options = mm.group(1) if mm else "{}"
        template = tpl.group(1) if tpl else ""
        return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>" + style + "</style>"
                + _script(_vendor("vue.global.prod.js")) + "</head><body>"
                + _script("(() => {\nconst options = " + options.replace("</script", "<\\/script") + ";\n"
                          + "options.template = " + json.dumps(template).replace("</", "<\\/") + ";\n"
                          + "Vue.createApp(options).mount(document.body);\n})();")
                + "</body></html>")
    raise ValueError(f"unknown target {target!r}")
