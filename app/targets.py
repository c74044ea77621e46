"""HTML → Tailwind / React / Vue, and standalone offline previews of every target.

The mini model writes HTML+CSS only; the other targets are produced from its page by transformations that
keep the rendering identical (tests render both in Chromium and compare pixels):

- `html_to_react`: one JSX file, `export default function App()`, the page CSS in a `css` string rendered by
  a `<style>` element; attributes renamed (class→className, for→htmlFor, SVG camelCase), `style` strings →
  objects, form values → `defaultValue`/`defaultChecked`, inline whitespace kept as `{" "}` where HTML
  would render a space (JSX drops whitespace lines that HTML keeps).
- `html_to_vue`: a Vue 3 SFC (`<template>`, `<script>`, `<style>`) with `{{` escaped and the same
  whitespace rule (Vue's default `condense` mode drops newline whitespace between elements).
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
from html import escape as _html_escape
from pathlib import Path

from app.markup import (VOID, WS, Comment, Decl, Element, Rule, Text, collapse_ws, find_all, find_first, is_block,
                        parse_css, parse_declarations, parse_html, rule_css, serialize, specificity, split_page,
                        text_of)

VENDOR_DIR = Path(__file__).resolve().parent.parent / "assets" / "vendor"
TAILWIND_CDN = "https://cdn.jsdelivr.net/npm/@tailwindcss/browser@4.3.3"



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
        else:
            parts.append(f"{k}={_jsx_string(v)}")
    return "".join(" " + p for p in parts)


def _jsx_children(el: Element, indent: int, pre: bool) -> list[str]:
    lines: list[str] = []
    kids = [c for c in el.children if not isinstance(c, Decl)]
    pad = "  " * indent
    for i, c in enumerate(kids):
        if isinstance(c, Comment):
            body = c.data.strip().replace("*/", "* /")
            lines.append(f"{pad}{{/* {body} */}}")
        elif isinstance(c, Text):
            if pre:
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
            lines.append(pad + ('{" "}' if lead else "") + text + ('{" "}' if trail else ""))
        else:
            lines.extend(_jsx_element(c, indent, pre))
    return lines


def _jsx_inline(node) -> str:
    """Mixed content on one line: JSX keeps spaces inside a line, so the text nodes match the HTML's."""
    if isinstance(node, Text):
        return _jsx_text(collapse_ws(node.data))
    if isinstance(node, (Comment, Decl)):
        return ""
    lines = _jsx_element(node, 0)
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
        return [f"{pad}<{tag}{attrs}>" + "".join(_jsx_inline(c) for c in el.children).strip(" ") + f"</{tag}>"]
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
    lines += ["export default function App() {", "  return (", "    <>"]
    if page.css.strip():
        lines.append("      <style>{css}</style>")
    lines += _jsx_element(root, 3) if root is not None else _jsx_children(body, 3, False)
    lines += ["    </>", "  );", "}", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------- Vue
# SVG attribute names whose case html.parser folded (a browser's HTML parser restores it; Vue's does not).
_SVG_ATTR_CASE = {k: v for k, v in _JSX_ATTR.items() if k == v.lower() and k in {
    "viewbox", "preserveaspectratio", "gradientunits", "gradienttransform", "patternunits", "markerwidth",
    "markerheight", "refx", "refy", "stddeviation", "textlength", "lengthadjust", "pathlength"}}


def _vue_attrs(el: Element) -> str:
    return "".join(f" {_SVG_ATTR_CASE.get(k, k)}" if v is None
                   else f' {_SVG_ATTR_CASE.get(k, k)}="{_html_escape(v, quote=True)}"'
                   for k, v in el.attrs if not k.startswith("on"))


def _vue_inline(node) -> str:
    """Mixed text-and-element content on one line: Vue's `condense` mode drops whitespace-only text that
    contains a newline, so inline content must not be broken across lines."""
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
    for i, c in enumerate(kids):
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
    if body.attrs:
        inner = _vue_nodes(Element("#wrap", [], [Element("div", body.attrs, body.children)]), 1)
    else:
        inner = _vue_nodes(body, 1)
    name = re.sub(r"[^A-Za-z0-9]+", " ", page.title or "").title().replace(" ", "") or "App"
    parts = ["<template>", *inner, "</template>", "", "<script>",
             f"export default {{\n  name: {json.dumps(name[:40] if name[0].isalpha() else 'App')},\n}};",
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
        m = re.search(r"function\s+([A-Z]\w*)\s*\(", src)
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
