"""A tiny stylesheet writer that makes generated CSS canonical: one rule per selector, declarations in
one fixed property order, `None` values dropped, one rule per line, no spaces.

Canonical output matters for the model that learns from the corpus: the same component must always
be written the same way, and the decoder pays for every byte. So the order of rules is the order in
which components first asked for them, and the order of properties inside a rule never depends on
who wrote it. This module knows nothing about themes or components.
"""
from __future__ import annotations

# The one property order for every rule: box model first, then type, then paint.
PROPERTY_ORDER = [
    "box-sizing", "display", "float", "clear", "flex", "flex-direction", "flex-wrap", "flex-shrink",
    "grid-template-columns", "align-items", "align-self", "justify-content", "gap", "position", "inset",
    "top", "right", "bottom", "left", "z-index", "width", "max-width", "height", "min-height", "margin",
    "margin-left", "margin-top", "padding", "overflow", "vertical-align", "font", "font-family",
    "font-size", "font-style", "font-weight", "line-height", "text-align", "text-decoration",
    "text-transform", "letter-spacing", "white-space", "color", "background", "border", "border-top",
    "border-bottom", "border-left", "border-right", "border-collapse", "border-radius", "box-shadow",
    "list-style", "cursor", "fill", "stroke", "stroke-width",
]
_RANK = {name: i for i, name in enumerate(PROPERTY_ORDER)}
# Declarations equal to the initial value on every element the corpus styles: redundant CSS.
_NO_OPS = {("border-radius", "0"), ("box-shadow", "none")}


class Stylesheet:
    """Collects rules in first-use order and renders them canonically.

    `add(sel, decls)` on a selector seen before merges declarations (later values win), so a
    component may refine a shared rule without duplicating the selector.
    """

    def __init__(self) -> None:
        self._rules: dict[str, dict[str, str]] = {}

    def add(self, selector: str, decls: dict[str, str | None]) -> None:
        unknown = [k for k in decls if k not in _RANK]
        if unknown:
            # A property outside the table would silently break the canonical order.
            raise ValueError(f"css property {unknown[0]!r} is not in PROPERTY_ORDER")
        rule = self._rules.setdefault(selector, {})
        for k, v in decls.items():
            if v is None or (k, v) in _NO_OPS:
                continue
            rule[k] = v

    def __contains__(self, selector: str) -> bool:
        return selector in self._rules

    def render(self) -> str:
        lines = []
        for sel, decls in self._rules.items():
            if not decls:
                continue
            body = ";".join(f"{k}:{decls[k]}" for k in sorted(decls, key=_RANK.__getitem__))
            lines.append(f"{sel}{{{body}}}")
        return "\n".join(lines)
