"""HTML → one React file: `export default function App()`, the page CSS in a `css` string rendered by a
`<style>` element; attributes renamed (class→className, for→htmlFor, SVG camelCase), `style` strings →
objects, form values → `defaultValue`/`defaultChecked`, inline whitespace kept as `{" "}` where HTML would
render a space (JSX drops whitespace lines that HTML keeps). A repeated group (`app.targets.groups`) becomes one
component per shape, named from the class (`.card` → `function Card({ title, text })`, props named from the
descendants' classes or tags), rendered from a `const` data array (`{cards.map((card, i) => <Card key={i}
{...card} />)}`).
"""
from __future__ import annotations

import json
import re

from app.markup.parse import (
    VOID, WS, Comment, Decl, Element, Text, collapse_ws, find_all, has_text, is_block, parse_declarations,
    split_page, text_of,
)
from app.targets.groups import AttrSlot, TextSlot, emit_group, group_names, js_rows, find_runs, unique, REGISTRY


def _jsx_group(items: list[Element], spaced: bool, pad: str) -> str | None:
    """The JSX line that renders a run from a data array; the component and the array go to the registry."""
    reg = REGISTRY.get()
    got = emit_group(items, lambda c: _jsx_element(c, 2), "")
    if got is None:
        return None
    lines, names, rows = got
    pascal, var, array = group_names(items[0], reg["taken"])
    key = (tuple(names), tuple(lines))
    if key not in reg["components"]:
        name = unique(pascal, reg["taken"])
        head = f"function {name}({{ {', '.join(names)} }}) {{" if names else f"function {name}() {{"
        body = [f"  return {lines[0].strip()};"] if len(lines) == 1 else ["  return (", *lines, "  );"]
        reg["components"][key] = name
        reg["defs"] += [head, *body, "}", ""]
    name = reg["components"][key]
    reg["data"] += [f"const {array} = [", *js_rows(rows, 1), "];", ""]
    if spaced:
        return (f'{pad}{{{array}.map(({var}, i) => <React.Fragment key={{i}}>{{i > 0 && " "}}'
                f"<{name} {{...{var}}} /></React.Fragment>)}}")
    return f"{pad}{{{array}.map(({var}, i) => <{name} key={{i}} {{...{var}}} />)}}"


JSX_ATTR = {
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
SVG_TAGS = {"lineargradient": "linearGradient", "radialgradient": "radialGradient", "clippath": "clipPath",
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
        elif k in JSX_ATTR:
            k = JSX_ATTR[k]
        elif "-" in k and el.tag not in ("svg",) and not k.startswith("--"):
            k = _camel(k)  # stroke-width → strokeWidth (SVG presentation attributes)
        elif "-" in k:
            k = _camel(k)
        if v is None:
            parts.append(k)
        elif isinstance(v, AttrSlot):
            parts.append(f"{k}={{{v.ref}}}")
        else:
            parts.append(f"{k}={_jsx_string(v)}")
    return "".join(" " + p for p in parts)


def _jsx_children(el: Element, indent: int, pre: bool) -> list[str]:
    lines: list[str] = []
    kids = [c for c in el.children if not isinstance(c, Decl)]
    pad = "  " * indent
    runs = find_runs(kids) if not pre and REGISTRY.get() is not None else {}
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
                if isinstance(c, TextSlot):
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
            if isinstance(c, TextSlot):
                c.value, text = s.strip(" "), "{" + c.ref + "}"
            lines.append(pad + ('{" "}' if lead else "") + text + ('{" "}' if trail else ""))
        else:
            lines.extend(_jsx_element(c, indent, pre))
    return lines


def _jsx_inline(node) -> str:
    """Mixed content on one line: JSX keeps spaces inside a line, so the text nodes match the HTML's."""
    if isinstance(node, TextSlot):
        node.value = collapse_ws(node.data)
        return "{" + node.ref + "}"
    if isinstance(node, Text):
        return _jsx_text(collapse_ws(node.data))
    if isinstance(node, (Comment, Decl)):
        return ""
    token = REGISTRY.set(None)  # no groups inside a line of text (this emission may be discarded below)
    try:
        lines = _jsx_element(node, 0)
    finally:
        REGISTRY.reset(token)
    if len(lines) == 1:
        return lines[0]
    return f"<{SVG_TAGS.get(node.tag, node.tag)}{_jsx_attrs(node)}>" + "".join(
        _jsx_inline(c) for c in node.children) + f"</{SVG_TAGS.get(node.tag, node.tag)}>"


def _jsx_element(el: Element, indent: int, pre: bool = False) -> list[str]:
    pad = "  " * indent
    tag = SVG_TAGS.get(el.tag, el.tag)
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
    if not is_pre and has_text(el):
        pieces = [_jsx_inline(c) for c in el.children]
        # The line is stripped of edge spaces: a slot at an edge stands for its text stripped the same way.
        for order, strip in ((1, str.lstrip), (-1, str.rstrip)):
            for c, piece in list(zip(el.children, pieces))[::order]:
                if isinstance(c, TextSlot):
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
    token = REGISTRY.set(groups)
    try:
        jsx = _jsx_element(root, 3) if root is not None else _jsx_children(body, 3, False)
    finally:
        REGISTRY.reset(token)
    lines += groups["defs"] + groups["data"]
    lines += ["export default function App() {", "  return (", "    <>"]
    if page.css.strip():
        lines.append("      <style>{css}</style>")
    lines += jsx
    lines += ["    </>", "  );", "}", ""]
    return "\n".join(lines)
