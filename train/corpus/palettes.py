"""Visual themes for synthetic pages: light and dark colour palettes, font stacks (sans, serif and a
monospace accent), sizes, line heights, weights, radii, shadows and spacing, sampled as one frozen
`Theme` per page from a seeded `random.Random`.

A page uses exactly one theme, so every component on it shares colours and metrics the way real
design systems do, and the corpus covers variety *across* pages rather than noise *within* one.
Values come from small fixed menus (e.g. radius ∈ {0,4,6,8,12,16}): the OCR-prompted model learns a
handful of canonical values it can reproduce exactly. A model prompted with the layout sketch is told each
colour and text size, so from seed FREE_FROM on, FREE_SHARE of the themes (`free_theme`) draw colours, sizes,
radius and spacing from wide ranges instead: no menu lets it write them from memory, only the sketch does. The
pages of earlier seeds are as they were. Writing CSS is left to `css.py` and `components.py`.
"""
from __future__ import annotations

import colorsys
import random
from dataclasses import dataclass, replace

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


FREE_FROM = 2_000_000  # the first seed whose themes may be free
FREE_SHARE = 0.6
FREE_LIGHTS = {  # a free theme's lightness ranges (HLS), light and dark
    "light": {"bg": (0.96, 1.0), "surface": (0.93, 0.975), "text": (0.05, 0.2), "muted": (0.36, 0.46),
              "border": (0.84, 0.9), "primary": (0.22, 0.45), "accent": (0.35, 0.5)},
    "dark": {"bg": (0.04, 0.12), "surface": (0.12, 0.2), "text": (0.92, 0.98), "muted": (0.62, 0.72),
             "border": (0.22, 0.3), "primary": (0.6, 0.75), "accent": (0.6, 0.75)},
}


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two "#rrggbb" colours."""
    def lum(c):
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
               for v in (int(c[i:i + 2], 16) / 255 for i in (1, 3, 5))]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _hls(h: float, l: float, s: float) -> str:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, min(1.0, max(0.0, l)), min(1.0, max(0.0, s)))
    return "#" + "".join(f"{round(v * 255):02x}" for v in (r, g, b))


def free_theme(rng: random.Random, base: Theme, *, mobile: bool = False) -> Theme:
    """`base` with colours drawn from any hue (the neutrals tinted by one hue, the primary and accent by
    others), text sizes from 12–18 px and headings from 22–60 px, any radius up to 20 and spacing on a 4 px
    grid; as readable as the menus' themes (text ≥ 7:1 on the background and surface, muted text and the
    primary ≥ 4.5:1)."""
    lights = FREE_LIGHTS["dark" if base.dark else "light"]
    saturation = (0.5, 0.95) if base.dark else (0.45, 0.9)
    while True:
        hue, tone = rng.random(), rng.random()
        ns = rng.uniform(0.0, 0.35)  # how tinted the neutrals are
        bg, surface, text, muted, border = (
            _hls(tone, rng.uniform(*lights[k]), ns * (0.5 if k == "muted" else 1.0))
            for k in ("bg", "surface", "text", "muted", "border"))
        primary = _hls(hue, rng.uniform(*lights["primary"]), rng.uniform(*saturation))
        accent = _hls(hue + rng.uniform(0.15, 0.5), rng.uniform(*lights["accent"]), rng.uniform(*saturation))
        if base.dark:
            tint, on_primary = surface, bg
        else:
            tint, on_primary = _hls(hue, rng.uniform(0.92, 0.96), rng.uniform(0.4, 0.8)), "#ffffff"
        if (min(contrast(text, bg), contrast(text, surface)) >= 7 and contrast(muted, bg) >= 4.5
                and contrast(muted, surface) >= 4.5 and contrast(primary, bg) >= 4.5
                and contrast(on_primary, primary) >= 4.5):
            break
    base_size, h1 = rng.randint(12, 18), rng.randint(22, 60)
    pad_y, pad_x, gap = 4 * rng.randint(3, 24), 4 * rng.randint(3, 16), 4 * rng.randint(2, 12)
    if mobile:
        base_size, h1 = min(base_size, 16), min(h1, 32)
        pad_y, pad_x, gap = min(pad_y, 32), rng.choice([12, 16, 20]), min(gap, 16)
    radius = rng.randint(0, 20)
    return replace(
        base, bg=bg, surface=surface, text=text, muted=muted, border=border, primary=primary, tint=tint,
        accent=accent, on_primary=on_primary, base_size=base_size, h1_size=h1, h2_size=round(h1 * 0.7),
        h3_size=base_size + 2, radius=radius,
        button_radius=rng.choice([radius, radius, 999]) if radius else rng.choice([0, 0, 4]),
        pad_y=pad_y, pad_x=pad_x, gap=gap)


def sample_theme(rng: random.Random, *, mobile: bool = False, free: bool = False) -> Theme:
    """A page's theme from the menus; with `free`, FREE_SHARE of them made free (`free_theme`)."""
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
    theme = Theme(
        dark=dark, bg=bg, surface=surface, text=text, muted=muted, border=border,
        primary=primary, tint=tint, accent=accent, on_primary=on_primary, success=success, danger=danger,
        font=font, heading_font=heading_font, mono=rng.choice(MONO_FONTS), base_size=base,
        line_height=rng.choice(LINE_HEIGHTS), h1_size=h1, h2_size=H2_OF_H1[h1], h3_size=base + 2,
        heading_weight=rng.choice(HEADING_WEIGHTS), radius=radius,
        button_radius=rng.choice([radius, radius, 999]) if radius else rng.choice([0, 0, 4]),
        shadow=rng.choice(SHADOWS), card_style=rng.choice(CARD_STYLES),
        pad_y=pad_y, pad_x=pad_x, gap=gap, align=rng.choice(["left", "center"]),
    )
    if free and rng.random() < FREE_SHARE:
        return free_theme(rng, theme, mobile=mobile)
    return theme
