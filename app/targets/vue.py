"""HTML → a Vue 3 single-file component (`<template>`, `<script>`, `<style>`) with `{{` escaped and inline
content kept on one line (Vue's default `condense` mode drops newline whitespace between elements). A repeated
group (`app.targets.groups`) becomes one `v-for` element over an array returned by `data()`.
"""
from __future__ import annotations

import json
import re
from html import escape as _html_escape

from app.markup.parse import (
    VOID, Comment, Decl, Element, Text, collapse_ws, has_text, is_block, serialize, split_page,
)
from app.targets.groups import AttrSlot, TextSlot, emit_group, group_names, js_rows, find_runs, unique, REGISTRY
from app.targets.react import JSX_ATTR, SVG_TAGS


def _vue_group(items: list[Element], spaced: bool, indent: int) -> list[str] | None:
    """The template lines of a run as one `v-for` element over an array in the component's data()."""
    reg = REGISTRY.get()
    _, var, array = group_names(items[0], set(reg["taken"]))
    loop = [("v-for", f"({var}, i) in {array}"), (":key", "i")]

    def emit(copy: Element) -> list[str]:
        if not spaced:
            copy = Element(copy.tag, loop + copy.attrs, copy.children)
        return _vue_nodes(Element("#wrap", [], [copy]), indent)

    got = emit_group(items, emit, var + ".")
    if got is None:
        return None
    lines, _, rows = got
    unique(array, reg["taken"])
    reg["data"].append((array, rows))
    if spaced:  # the space between items rendered by the loop itself, on the item's line (Vue condenses it)
        pad = "  " * indent
        lines = [f'{pad}<template v-for="({var}, i) in {array}" :key="i">{{{{ i ? \' \' : \'\' }}}}'
                 + lines[0].strip(), *lines[1:]]
        lines[-1] += "</template>"
    return lines


# SVG attribute names whose case html.parser folded (a browser's HTML parser restores it; Vue's does not).
_SVG_ATTR_CASE = {k: v for k, v in JSX_ATTR.items() if k == v.lower() and k in {
    "viewbox", "preserveaspectratio", "gradientunits", "gradienttransform", "patternunits", "markerwidth",
    "markerheight", "refx", "refy", "stddeviation", "textlength", "lengthadjust", "pathlength"}}


def _vue_attrs(el: Element) -> str:
    return "".join(f" {_SVG_ATTR_CASE.get(k, k)}" if v is None
                   else f' :{_SVG_ATTR_CASE.get(k, k)}="{v.ref}"' if isinstance(v, AttrSlot)
                   else f' {_SVG_ATTR_CASE.get(k, k)}="{_html_escape(v, quote=True)}"'
                   for k, v in el.attrs if not k.startswith("on"))


def _vue_inline(node) -> str:
    """Mixed text-and-element content on one line: Vue's `condense` mode drops whitespace-only text that
    contains a newline, so inline content must not be broken across lines."""
    if isinstance(node, TextSlot):
        node.value = collapse_ws(node.data)
        return "{{ " + node.ref + " }}"
    if isinstance(node, Text):
        return _html_escape(collapse_ws(node.data), quote=False).replace("{{", "{{ '{{' }}")
    if isinstance(node, (Comment, Decl)):
        return ""
    if node.tag in ("pre", "textarea"):
        return serialize(node).replace("{{", "{{ '{{' }}")
    tag = SVG_TAGS.get(node.tag, node.tag)
    if node.tag in VOID:
        return f"<{tag}{_vue_attrs(node)} />"
    return f"<{tag}{_vue_attrs(node)}>" + "".join(_vue_inline(c) for c in node.children) + f"</{tag}>"



def _vue_nodes(el: Element, indent: int) -> list[str]:
    pad = "  " * indent
    out: list[str] = []
    kids = [c for c in el.children if not isinstance(c, Decl)]
    runs = find_runs(kids) if REGISTRY.get() is not None else {}
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
            if isinstance(c, TextSlot):
                c.value, text = s.strip(" "), "{{ " + c.ref + " }}"
            lead = s[0] == " " and prev_el is not None and not is_block(prev_el)
            trail = s[-1] == " " and next_el is not None and not is_block(next_el)
            out.append(pad + ("{{ ' ' }}" if lead else "") + text + ("{{ ' ' }}" if trail else ""))
        elif c.tag in ("script", "style"):
            continue
        elif c.tag in ("pre", "textarea") or has_text(c):
            out.append(pad + _vue_inline(c).strip() if c.tag not in ("pre", "textarea") else pad + _vue_inline(c))
        else:
            attrs = _vue_attrs(c)
            tag = SVG_TAGS.get(c.tag, c.tag)
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
    token = REGISTRY.set(groups)
    try:
        if body.attrs:
            inner = _vue_nodes(Element("#wrap", [], [Element("div", body.attrs, body.children)]), 1)
        else:
            inner = _vue_nodes(body, 1)
    finally:
        REGISTRY.reset(token)
    name = re.sub(r"[^A-Za-z0-9]+", " ", page.title or "").title().replace(" ", "") or "App"
    options = [f"  name: {json.dumps(name[:40] if name[0].isalpha() else 'App')},"]
    if groups["data"]:
        options += ["  data() {", "    return {"]
        for array, rows in groups["data"]:
            options += [f"      {array}: [", *js_rows(rows, 4), "      ],"]
        options += ["    };", "  },"]
    parts = ["<template>", *inner, "</template>", "", "<script>", "export default {", *options, "};",
             "</script>", ""]
    if page.css.strip():
        parts += ["<style>", page.css.strip("\n"), "</style>", ""]
    return "\n".join(parts)
