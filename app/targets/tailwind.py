"""HTML → the same page in Tailwind: rules whose selector is one class (optionally with a pseudo-class and/or
inside a min/max-width media query) become utilities on the elements carrying the class, merged in cascade
order; every other rule is kept in a style block, in Tailwind's `base` layer when it is weaker than a class
(type/universal selectors) and unlayered when stronger, so the cascade is unchanged. Preflight is not loaded,
because the original page was styled against browser defaults.
"""
from __future__ import annotations

import re

from app.markup.parse import (
    Element, Rule, Text, find_all, find_first, parse_css, parse_html, rule_css, serialize, specificity,
    text_of,
)

TAILWIND_CDN = "https://cdn.jsdelivr.net/npm/@tailwindcss/browser@4.3.3"


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
