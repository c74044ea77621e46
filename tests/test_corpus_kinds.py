"""The wider page kinds of the synthetic corpus (article, docs, admin, settings, shop, table and float
layouts), dark themes and font families: the mix, the size bound, determinism, the semantic
elements each kind is made of, flow layout, contrast of dark themes and installed fonts. No
rendering: pages are checked as text."""
import random
import re
import shutil
import subprocess
from collections import Counter

import pytest

from train.corpus import DEFAULT_MAX_BYTES, generate_page
from train.corpus.components import Ctx
from train.corpus.generator import MOBILE_WIDE_KINDS, WIDE_KINDS
from train.corpus.palettes import FAMILIES, sample_theme

SEEDS = range(600)


@pytest.fixture(scope="module")
def pages():
    """Difficulty-3 pages of the first seeds, by kind."""
    by_kind = {}
    for s in SEEDS:
        p = generate_page(s, difficulty=3)
        by_kind.setdefault(p.kind, []).append(p)
    return by_kind


def _css(html):
    return re.search(r"<style>\n(.*?)\n</style>", html, re.S).group(1)


def _lum(hex_colour):
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a, b):
    hi, lo = sorted((_lum(a), _lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_wider_kinds_are_about_half_of_whole_pages(pages):
    counts = Counter({k: len(v) for k, v in pages.items()})
    assert set(WIDE_KINDS) <= set(counts), f"missing kinds: {set(WIDE_KINDS) - set(counts)}"
    wide = sum(counts[k] for k in WIDE_KINDS)
    assert 0.4 < wide / len(SEEDS) < 0.6, counts
    # The modern kinds stay.
    assert {"landing", "dashboard", "blog", "signin", "modal", "app"} <= set(counts)
    # Phones get their share of the wider kinds, desktops all of them.
    phone = {p.kind for k in MOBILE_WIDE_KINDS for p in pages[k] if p.viewport == "mobile"}
    assert phone == set(MOBILE_WIDE_KINDS)
    assert not {p.viewport for k in ("docs", "admin", "tablelayout", "floatlayout") for p in pages[k]} & {"mobile"}


def test_wider_kinds_fit_the_byte_bound_and_shrink_instead_of_dropping(pages):
    for kind in WIDE_KINDS:
        for p in pages[kind]:
            assert len(p.html.encode()) <= DEFAULT_MAX_BYTES, (kind, p.seed, len(p.html.encode()))
    # With more room the same page keeps more of its repeated items (rows, paragraphs, products),
    # and the same parts: the bound shortens lists before it drops anything.
    grew = 0
    for kind, marker in (("admin", "<tr>"), ("article", "<p"), ("shop", 'class="product"')):
        for p in pages[kind][:10]:
            roomy = generate_page(p.seed, difficulty=3, max_bytes=8192)
            assert roomy.parts == p.parts and roomy.html.count(marker) >= p.html.count(marker)
            grew += roomy.html.count(marker) > p.html.count(marker)
    assert grew >= 10
    # Admin tables are dense: several rows at the default bound, many with room.
    assert min(p.html.count("<tr>") - 1 for p in pages["admin"]) >= 4
    assert max(generate_page(p.seed, difficulty=3, max_bytes=8192).html.count("<tr>") - 1
               for p in pages["admin"][:5]) >= 8


def test_wider_kinds_are_deterministic(pages):
    for kind in WIDE_KINDS:
        p = pages[kind][0]
        again = generate_page(p.seed, difficulty=3)
        assert again == p and again.html == p.html
        small = generate_page(p.seed, difficulty=3, max_bytes=2000)
        assert small.html == generate_page(p.seed, difficulty=3, max_bytes=2000).html


def _all(pages, kind):
    return "".join(p.html for p in pages[kind])


def test_each_kind_has_its_semantic_elements(pages):
    for p in pages["article"]:
        assert re.search(r'<main class="read"><article><h1>[^<]+</h1><p class="byline">', p.html)
        assert p.html.count("<p") >= 4 and "<h2>" in p.html
    html = _all(pages, "article")
    for tag in ("<blockquote>", "<pre><code>", "<figure>", "<figcaption>", "<ul><li>", 'class="lead"'):
        assert tag in html, tag
    css = "\n".join(_css(p.html) for p in pages["article"] if "<pre>" in p.html)
    assert re.search(r"^pre\{[^}]*overflow:auto", css, re.M) and re.search(r"^code\{font-family:[^}]*monospace\}", css, re.M)

    for p in pages["docs"]:
        assert re.search(r'<header class="top">.*</header>\n<div class="docs"><aside class="toc"><nav><ul><li><b>', p.html)
        assert re.search(r"\.top\{[^}]*position:sticky;top:0", p.html)
        # Three levels: groups, their pages, and the current page's sections.
        assert re.search(r'<li><b>[^<]+</b><ul>(<li><a href="#">[^<]+</a></li>)*<li><a class="on" href="#">[^<]+</a><ul><li>', p.html)
        assert '<main class="doc"><article>' in p.html
    html = _all(pages, "docs")
    assert "<pre><code>" in html and "<thead><tr><th>Name</th>" in html and "<td><code>" in html

    for p in pages["admin"]:
        assert re.search(r'<aside class="rail"><b class="logo">[^<]+</b><nav><h4>', p.html)
        assert '<a class="on" href="#">' in p.html.split("</aside>")[0]
        assert re.search(r'<section class="records"><h1>[^<]+</h1><form class="filters"><input [^>]*><select>', p.html)
        assert "<table><thead>" in p.html and '<nav class="pages">' in p.html

    for p in pages["settings"]:
        assert '<form class="prefs">' in p.html
        assert re.search(r'<label>[^<]+<input class="bad"[^>]*><small class="error">[^<]+</small></label>', p.html)
        danger = re.search(r"\.error\{[^}]*color:(#[0-9a-f]{6})", p.html).group(1)
        assert _lum(danger) > 0.1 and int(danger[1:3], 16) > int(danger[3:5], 16) + 60  # a red
    html = _all(pages, "settings")
    for tag in ("<select>", 'type="checkbox"', 'class="switch"', 'class="switch off"', '<main class="reg">', '<main class="settings">'):
        assert tag in html, tag

    for p in pages["shop"]:
        assert '<header class="store">' in p.html and '<svg viewBox="0 0 24 24"><path d="' in p.html
        assert re.search(r'<article class="product"><div class="pic"></div><h3>', p.html)
    assert '<aside class="facets">' in _all(pages, "shop")

    for p in pages["tablelayout"]:
        assert re.search(r'<table class="page"><tr><td class="banner" colspan="[23]"><h1>', p.html)
        assert '<td class="menu"><ul><li>' in p.html and re.search(r"\.page td\{[^}]*vertical-align:top", p.html)

    for p in pages["floatlayout"]:
        css = _css(p.html)
        assert re.search(r"\.col\{float:(left|right)", css) and re.search(r"\.sidebar\{float:(left|right)", css)
        assert "clear:both" in css and ".bar li{float:left}" in css
        assert re.search(r'<header class="mast">.*<nav class="bar">.*<main class="col">.*<aside class="sidebar">.*<footer', p.html)


def test_wider_kinds_are_flow_layout_without_external_pictures(pages):
    for kind in WIDE_KINDS:
        for p in pages[kind]:
            assert "position:absolute" not in p.html and "position:fixed" not in p.html, (kind, p.seed)
            assert not re.search(r"<img|url\(|src=|href=\"http", p.html), (kind, p.seed)
            # Only the old-style kind lays the page out with a table.
            if kind != "tablelayout":
                assert 'class="page"' not in p.html and "colspan" not in p.html
    # Icons are inline SVG drawn with one shared rule.
    svg = [p for k in WIDE_KINDS for p in pages[k] if "<svg" in p.html]
    assert len(svg) > 50 and all("\nsvg{" in _css(p.html) for p in svg)


def test_dark_themes_have_light_text_on_dark_backgrounds():
    themes = [sample_theme(random.Random(i)) for i in range(800)]
    dark = [th for th in themes if th.dark]
    assert 0.2 < len(dark) / len(themes) < 0.3
    for th in dark:
        assert _lum(th.bg) < 0.05 and _lum(th.text) > 0.8
        assert _contrast(th.text, th.bg) >= 7 and _contrast(th.text, th.surface) >= 7
        assert _contrast(th.muted, th.bg) >= 4.5 and _contrast(th.muted, th.surface) >= 4.5
        assert _contrast(th.primary, th.bg) >= 4.5  # logos, links and current items in the primary
        assert _contrast(th.on_primary, th.primary) >= 4.5  # button labels
        assert _contrast(th.danger, th.bg) >= 4.5 and _contrast(th.success, th.bg) >= 4.5
    for th in themes:
        if not th.dark:
            assert _lum(th.bg) > 0.9 and _contrast(th.text, th.bg) >= 7
    # And the pages say so: a dark page's body has a dark background and light text.
    for s in range(200):
        css = _css(generate_page(s).html)
        body = re.search(r"^body\{[^}]*color:(#[0-9a-f]{6});background:(#[0-9a-f]{6})", css, re.M)
        assert _contrast(body.group(1), body.group(2)) >= 7


def _families(html):
    out = set()
    for value in re.findall(r"font(?:-family)?:([^;}]+)", _css(html)):
        if value == "inherit":
            continue
        # `font` shorthand: size/line-height come first; families are the comma list after them.
        stack = re.sub(r"^\d+px(/[\d.]+)? ", "", value)
        out |= {f.strip().strip('"') for f in stack.split(",")}
    return out


def test_fonts_are_installed_families_and_varied():
    pages = [generate_page(s) for s in range(300)]
    used = set().union(*(_families(p.html) for p in pages))
    assert used <= FAMILIES, used - FAMILIES
    assert {"serif", "sans-serif", "monospace"} <= used and {"Georgia", "Times New Roman"} & used
    sizes = {re.search(r"body\{[^}]*font:(\d+)px/([\d.]+)", p.html).groups() for p in pages}
    assert len({s for s, _ in sizes}) >= 5 and len({lh for _, lh in sizes}) >= 3
    pads = {re.search(r"section\{padding:(\d+)px", p.html).group(1) for p in pages if "section{padding:" in p.html}
    assert len(pads) >= 4


@pytest.mark.skipif(not shutil.which("fc-match"), reason="fontconfig is not installed")
def test_named_font_families_resolve_to_installed_fonts():
    for family in FAMILIES - {"serif", "sans-serif", "monospace"}:
        found = subprocess.run(["fc-match", family], capture_output=True, text=True, check=True).stdout
        assert re.search(r'"(DejaVu|Liberation) ', found), (family, found)


def test_fit_shortens_lists_down_to_their_floor():
    ctx = Ctx(rng=random.Random(0), theme=sample_theme(random.Random(0)))
    assert ctx.fit(8, 3) == 8 and ctx.shrinkable
    ctx = Ctx(rng=random.Random(0), theme=sample_theme(random.Random(0)), trim=3)
    assert ctx.fit(8, 3) == 5 and ctx.fit(4, 3) == 3 and ctx.fit(2, 3) == 2
    assert ctx.optional(["a", "b", "c", "d"]) == ["a"]
    ctx = Ctx(rng=random.Random(0), theme=sample_theme(random.Random(0)), trim=9)
    assert ctx.fit(8, 3) == 3 and not ctx.shrinkable and ctx.optional(["a"]) == []


def test_free_themes_draw_any_colour_and_size_from_their_seed_on_and_stay_readable():
    from train.corpus.palettes import DARK_PRIMARIES, FREE_FROM, LIGHT_BASES, PRIMARIES, SPACINGS

    menu = {c for base in LIGHT_BASES for c in base} | {c for p in PRIMARIES + DARK_PRIMARIES for c in p}
    free = [sample_theme(random.Random(i), free=True) for i in range(400)]
    menus = [sample_theme(random.Random(i)) for i in range(400)]
    off_menu = [th for th in free if not th.dark and th.primary not in menu]
    assert 0.3 < len(off_menu) / len(free) < 0.6  # FREE_SHARE of the light themes (3/4 of all)
    assert len({th.primary for th in off_menu}) > 0.9 * len(off_menu)  # any hue, not a new menu
    assert len({(th.pad_y, th.pad_x, th.gap) for th in free} - set(SPACINGS)) > 30
    assert all(th.primary in menu for th in menus if not th.dark)  # without `free`, the menus only
    for th in (th for th in free if th.primary not in menu):
        assert _contrast(th.text, th.bg) >= 7 and _contrast(th.text, th.surface) >= 7
        assert _contrast(th.muted, th.bg) >= 4.5 and _contrast(th.primary, th.bg) >= 4.5
        assert _contrast(th.on_primary, th.primary) >= 4.5
    # pages take them from FREE_FROM on; the seeds before it draw the pages they always drew
    def colours(seeds):
        return {re.search(r"^body\{[^}]*color:(#\w+);background:(#\w+)", _css(generate_page(s).html), re.M).groups()
                for s in seeds}
    assert len(colours(range(FREE_FROM - 60, FREE_FROM))) <= 7  # (the menus' bases)
    assert len(colours(range(FREE_FROM, FREE_FROM + 60))) > 25
