"""Visual themes for synthetic pages: light and dark colour palettes, font stacks (sans, serif and a
monospace accent), sizes, line heights, weights, radii, shadows and spacing, sampled as one frozen
`Theme` per page from a seeded `random.Random`.

A page uses exactly one theme, so every component on it shares colours and metrics the way real
design systems do, and the corpus covers variety *across* pages rather than noise *within* one.
Values come from small fixed menus (e.g. radius ∈ {0,4,6,8,12,16}) rather than continuous ranges:
the model learns a handful of canonical values it can reproduce exactly. Writing CSS is left to
`css.py` and `components.py`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

# Tailwind-like primaries (600 shades) with a lighter tint (100) and a second accent for gradients.
PRIMARIES = [
    # (primary, tint, accent)
    ("#2563eb", "#dbeafe", "#7c3aed"),  # blue
    ("#4f46e5", "#e0e7ff", "#db2777"),  # indigo
    ("#7c3aed", "#ede9fe", "#2563eb"),  # violet
    ("#db2777", "#fce7f3", "#f59e0b"),  # pink
    ("#dc2626", "#fee2e2", "#ea580c"),  # red
    ("#ea580c", "#ffedd5", "#dc2626"),  # orange
    ("#16a34a", "#dcfce7", "#0d9488"),  # green
    ("#0d9488", "#ccfbf1", "#2563eb"),  # teal
    ("#0891b2", "#cffafe", "#4f46e5"),  # cyan
    ("#334155", "#e2e8f0", "#0891b2"),  # slate
]

# Neutral bases: (background, surface, text, muted, border)
LIGHT_BASES = [
    ("#ffffff", "#f8fafc", "#0f172a", "#64748b", "#e2e8f0"),  # slate
    ("#ffffff", "#f9fafb", "#111827", "#6b7280", "#e5e7eb"),  # gray
    ("#fafaf9", "#f5f5f4", "#1c1917", "#78716c", "#e7e5e4"),  # warm stone
    ("#f8fafc", "#ffffff", "#1e293b", "#64748b", "#cbd5e1"),  # tinted page, white cards
]
# Dark pages (about a quarter of all) take a 400 shade that reads on the dark background, with the
# background's own colour as the text on it: white on a 400 shade is under 3:1.
DARK_PRIMARIES = [
    # (primary, accent)
    ("#60a5fa", "#a78bfa"),  # blue
    ("#818cf8", "#f472b6"),  # indigo
    ("#a78bfa", "#60a5fa"),  # violet
    ("#f472b6", "#fbbf24"),  # pink
    ("#f87171", "#fb923c"),  # red
    ("#fb923c", "#f87171"),  # orange
    ("#4ade80", "#2dd4bf"),  # green
    ("#2dd4bf", "#60a5fa"),  # teal
    ("#22d3ee", "#818cf8"),  # cyan
    ("#fbbf24", "#fb923c"),  # amber
]
DARK_SHARE = 0.25
DARK_BASES = [
    ("#0f172a", "#1e293b", "#f1f5f9", "#94a3b8", "#334155"),  # slate night
    ("#111827", "#1f2937", "#f9fafb", "#9ca3af", "#374151"),  # gray night
    ("#18181b", "#27272a", "#fafafa", "#a1a1aa", "#3f3f46"),  # zinc
]

# (success, danger) text colours: validation errors, stat deltas, status badges.
LIGHT_STATUS = ("#16a34a", "#dc2626")
DARK_STATUS = ("#4ade80", "#f87171")

# Only families that resolve to installed fonts on a Debian machine with Chromium (fc-match: Arial and
# Helvetica -> Liberation Sans, "Times New Roman" -> Liberation Serif, "Courier New" -> Liberation
# Mono, Georgia -> DejaVu Serif, Verdana -> DejaVu Sans), so renders are stable.
SANS_FONTS = ["Arial,sans-serif", "sans-serif", "Verdana,sans-serif", "Helvetica,Arial,sans-serif"]
SERIF_FONTS = ["Georgia,serif", '"Times New Roman",serif', "serif"]
MONO_FONTS = ['"Courier New",monospace', "monospace", '"DejaVu Sans Mono",monospace']
FAMILIES = {"Arial", "Helvetica", "Verdana", "Georgia", "Times New Roman", "Courier New", "DejaVu Sans Mono",
            "sans-serif", "serif", "monospace"}
BASE_SIZES = [13, 14, 15, 16, 17, 18]
LINE_HEIGHTS = ["1.4", "1.5", "1.6", "1.7"]
H1_SIZES = [28, 32, 36, 40, 48, 56]
H2_OF_H1 = {28: 22, 32: 24, 36: 26, 40: 28, 48: 32, 56: 36}
HEADING_WEIGHTS = [600, 700, 800]
RADII = [0, 4, 6, 8, 12, 16]
SHADOWS = ["none", "0 1px 3px rgba(0,0,0,.12)", "0 4px 16px rgba(0,0,0,.08)"]
CARD_STYLES = ["border", "shadow", "fill"]
SPACINGS = [  # (section padding y, section padding x, gap): compact to airy
    (24, 16, 12),
    (32, 24, 16),
    (48, 32, 24),
    (64, 40, 32),
    (80, 48, 40),
]


@dataclass(frozen=True)
class Theme:
    """Every visual decision a page shares. Colours are lower-case `#rrggbb`; sizes are px."""

    dark: bool
    bg: str
    surface: str
    text: str
    muted: str
    border: str
    primary: str
    tint: str
    accent: str
    on_primary: str
    success: str
    danger: str
    font: str
    heading_font: str | None  # None: headings use `font`
    mono: str  # code blocks and monospace accents
    base_size: int
    line_height: str
    h1_size: int
    h2_size: int
    h3_size: int
    heading_weight: int
    radius: int
    button_radius: int
    shadow: str
    card_style: str
    pad_y: int
    pad_x: int
    gap: int
    align: str  # "left" | "center": how heroes and section titles align

    @property
    def card_decls(self) -> dict[str, str | None]:
        """The declarations shared by every boxed item (card, plan, stat, feature box)."""
        if self.card_style == "border":
            return {"background": self.bg if self.bg != self.surface else None,
                    "border": f"1px solid {self.border}", "border-radius": px(self.radius)}
        if self.card_style == "shadow":
            shadow = self.shadow if self.shadow != "none" else SHADOWS[1]
            return {"background": self.surface if self.dark else "#fff",
                    "border-radius": px(self.radius), "box-shadow": shadow}
        return {"background": self.surface, "border-radius": px(self.radius)}


def px(v: int) -> str:
    """CSS length in canonical form: `0` without a unit, else `Npx`."""
    return "0" if v == 0 else f"{v}px"


def sample_theme(rng: random.Random, *, mobile: bool = False) -> Theme:
    dark = rng.random() < DARK_SHARE
    bg, surface, text, muted, border = rng.choice(DARK_BASES if dark else LIGHT_BASES)
    if dark:
        primary, accent = rng.choice(DARK_PRIMARIES)
        # A light tint on a dark page would glare; use the surface for tinted areas instead.
        tint, on_primary = surface, bg
    else:
        primary, tint, accent = rng.choice(PRIMARIES)
        on_primary = "#ffffff"
    success, danger = DARK_STATUS if dark else LIGHT_STATUS
    font = rng.choice(SANS_FONTS if rng.random() < 0.65 else SERIF_FONTS)
    heading_font = None
    if rng.random() < 0.25:
        heading_font = rng.choice(SERIF_FONTS if font in SANS_FONTS else SANS_FONTS)
    base = rng.choice(BASE_SIZES)
    h1 = rng.choice(H1_SIZES)
    if mobile:
        base, h1 = min(base, 16), min(h1, 32)
    pad_y, pad_x, gap = rng.choice(SPACINGS)
    if mobile:
        pad_y, pad_x, gap = min(pad_y, 32), 16, min(gap, 16)
    radius = rng.choice(RADII)
    return Theme(
        dark=dark, bg=bg, surface=surface, text=text, muted=muted, border=border,
        primary=primary, tint=tint, accent=accent, on_primary=on_primary, success=success, danger=danger,
        font=font, heading_font=heading_font, mono=rng.choice(MONO_FONTS), base_size=base,
        line_height=rng.choice(LINE_HEIGHTS), h1_size=h1, h2_size=H2_OF_H1[h1], h3_size=base + 2,
        heading_weight=rng.choice(HEADING_WEIGHTS), radius=radius,
        button_radius=rng.choice([radius, radius, 999]) if radius else rng.choice([0, 0, 4]),
        shadow=rng.choice(SHADOWS), card_style=rng.choice(CARD_STYLES),
        pad_y=pad_y, pad_x=pad_x, gap=gap, align=rng.choice(["left", "center"]),
    )
