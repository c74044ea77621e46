"""Pictures without files: small inline-SVG line icons, image placeholders (solid or gradient blocks
with a picture glyph) and the search box drawn with one, so pages have icons and images yet never
load an external URL.

Every icon is one `<svg viewBox="0 0 24 24">` holding one `<path>`, drawn in the current text colour
by one shared `svg` rule; a placeholder is a `<div>` of a named class whose rule gives its height and
fill. Where icons and images go is the business of the parts that use them.
"""
from __future__ import annotations

from .components import Ctx, t
from .palettes import px

# 24×24 line icons, one path each (stroke only, no fill), kept short: every byte is in the target.
PATHS = {
    "search": "M11 4a7 7 0 1 0 0 14a7 7 0 1 0 0-14zM20 20l-4-4",
    "cart": "M3 4h2l3 11h10l3-8H7M9 20h1M17 20h1",
    "heart": "M12 20s-8-5-8-11a4 4 0 0 1 8-1a4 4 0 0 1 8 1c0 6-8 11-8 11z",
    "star": "M12 3l3 6 6 1-4.5 4 1 6-5.5-3-5.5 3 1-6L3 10l6-1z",
    "user": "M12 12a4 4 0 1 0 0-8a4 4 0 0 0 0 8zM4 21c0-4 4-6 8-6s8 2 8 6",
    "bell": "M6 16v-5a6 6 0 0 1 12 0v5l2 2H4zM10 21h4",
    "home": "M3 11l9-7 9 7M5 10v10h14V10",
    "mail": "M3 6h18v12H3zM3 6l9 7 9-7",
    "file": "M6 3h8l4 4v14H6zM14 3v4h4",
    "chart": "M4 20V10M10 20V4M16 20v-7",
    "check": "M5 12l5 5 9-10",
    "plus": "M12 5v14M5 12h14",
    "filter": "M3 5h18l-7 8v6l-4-2v-4z",
    "download": "M12 4v12M7 11l5 5 5-5M4 20h16",
    "folder": "M3 6h6l2 2h10v11H3z",
    "image": "M3 5h18v14H3zM3 17l6-6 5 5 2-2 5 5",
}


def icon(ctx: Ctx, name: str) -> str:
    """One inline icon sized to sit in a line of text, in the text's colour."""
    ctx.css.add("svg", {"flex-shrink": "0", "width": "18px", "height": "18px", "vertical-align": "middle",
                        "fill": "none", "stroke": "currentColor", "stroke-width": "2"})
    return f'<svg viewBox="0 0 24 24"><path d="{PATHS[name]}"></path></svg>'


def image(ctx: Ctx, cls: str, height: int, glyph: bool = True) -> str:
    """A placeholder picture `<div class=cls>`: a block of the theme's colours (a gradient, the tint or
    the border grey, drawn once per page) of `height` px, with a faint picture glyph in the middle."""
    th, rng = ctx.theme, ctx.rng
    if f".{cls}" not in ctx.css:
        fill = rng.choice([f"linear-gradient(135deg,{th.primary},{th.accent})", th.tint, th.border])
        ctx.css.add(f".{cls}", {"display": "flex", "align-items": "center", "justify-content": "center",
                                "height": px(height), "color": th.bg if fill.startswith("linear") else th.muted,
                                "background": fill, "border-radius": px(min(th.radius, 8))})
        if glyph:
            ctx.css.add(f".{cls} svg", {"width": "40px", "height": "40px", "stroke-width": "1"})
    return f'<div class="{cls}">{icon(ctx, "image") if glyph else ""}</div>'


def search_box(ctx: Ctx, label: str) -> str:
    """A header's search field as sites draw it: a pale box with a magnifier and a muted prompt."""
    th = ctx.theme
    ctx.css.add(".find", {"display": "flex", "align-items": "center", "gap": "8px", "margin-left": "auto",
                          "width": "220px", "padding": "6px 12px", "color": th.muted,
                          "background": th.surface, "border": f"1px solid {th.border}",
                          "border-radius": px(min(th.radius, 8))})
    return f'<span class="find">{icon(ctx, "search")}{t(label)}</span>'
