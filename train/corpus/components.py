"""The page context (`Ctx`), the shared rules other parts reuse (buttons, inputs, tables, badges,
code), and the parts of modern landing and app pages: navigation bars, heroes, feature grids, cards,
pricing tables, forms, data tables, stat cards, sidebars, article lists, call-to-action bands,
footers, modals and mobile app bars, lists and tab bars.

Each component is a function `(ctx) -> html` that writes its markup and registers the CSS rules it
needs in `ctx.css`. A component is always written the same way (same tags, same class names, same
rules); only theme values, text and a few named variants (`cols-3`, `split`, `featured`…) change.
That is what makes the pixels → code mapping learnable. The parts of the wider page kinds live in
`longform.py`, `apps.py` and `legacy.py`, icons and pictures in `icons.py`; composing parts into
pages, choosing difficulty and bounding size is `generator.py`'s job.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from html import escape

from . import vocab
from .css import Stylesheet
from .palettes import Theme, px


@dataclass
class Ctx:
    """What the parts of one page share: the seeded rng, the theme, the stylesheet being written, and
    `trim`, how many items the size bound asks every repeated list (`fit`) to give up."""

    rng: random.Random
    theme: Theme
    css: Stylesheet = field(default_factory=Stylesheet)
    mobile: bool = False
    brand: str = ""
    title: str = ""  # a page title one part sets and its frame shows (e.g. the current sidebar link)
    trim: int = 0
    shrinkable: bool = False  # set by `fit` when a larger `trim` would still shorten the page

    def cols(self, n: int) -> int:
        """Grid columns for n items: phones get one or two columns."""
        return min(n, 2 if self.rng.random() < 0.3 else 1) if self.mobile else n

    def fit(self, n: int, floor: int) -> int:
        """How many of `n` drawn items to write: `n` less `trim`, but never fewer than `floor` (nor
        more than `n`). Parts of long pages (article paragraphs, table rows, products) call this so the
        size bound can shorten them before it drops whole parts."""
        if n - self.trim > floor:
            self.shrinkable = True
        return max(min(n, floor), n - self.trim)

    def optional(self, names: list[str]) -> list[str]:
        """The optional extras of a part that the page can afford: under trim the last go first."""
        return names[:self.fit(len(names), 0)]


ON = ' class="on"'  # the current item of a sidebar or tab bar


def t(s: str) -> str:
    return escape(s, quote=False)


# ---------------------------------------------------------------- shared primitives

def base(ctx: Ctx) -> None:
    """Rules every page has: reset, body type and colours, headings, links."""
    th, css = ctx.theme, ctx.css
    css.add("*", {"box-sizing": "border-box"})
    css.add("body", {"margin": "0", "font": f"{th.base_size}px/{th.line_height} {th.font}", "color": th.text,
                     "background": th.bg})
    css.add("h1,h2,h3,p", {"margin": "0"})
    if th.heading_font:
        css.add("h1,h2,h3", {"font-family": th.heading_font})
    css.add("h1", {"font-size": px(th.h1_size), "font-weight": str(th.heading_weight),
                   "line-height": "1.2"})
    css.add("h2", {"margin": "0 0 16px", "font-size": px(th.h2_size),
                   "font-weight": str(th.heading_weight)})
    css.add("h3", {"font-size": px(th.h3_size), "font-weight": "600"})
    css.add("a", {"text-decoration": "none", "color": "inherit"})
    css.add("section", {"padding": f"{px(th.pad_y)} {px(th.pad_x)}"})


def button(ctx: Ctx, alt: bool = False) -> None:
    """The button rules; `alt` adds the outlined secondary variant (only when one is used)."""
    th = ctx.theme
    ctx.css.add(".btn", {"display": "inline-block", "padding": "10px 20px", "font-weight": "600",
                         "color": th.on_primary, "background": th.primary,
                         "border-radius": px(th.button_radius)})
    if alt:
        ctx.css.add(".btn.alt", {"color": th.primary, "background": "none",
                                 "border": f"1px solid {th.primary}"})


def _button_tag(ctx: Ctx, alt: bool = False) -> None:
    """<button> needs the UA look removed so it matches `a.btn` exactly."""
    button(ctx, alt)
    ctx.css.add("button", {"font": "inherit", "border": "0", "cursor": "pointer"})


def grid(ctx: Ctx, cols: int) -> str:
    ctx.css.add(".grid", {"display": "grid", "gap": px(ctx.theme.gap)})
    ctx.css.add(f".cols-{cols}", {"grid-template-columns": f"repeat({cols},1fr)"})
    return f"grid cols-{cols}"


def card_box(ctx: Ctx, selector: str, pad: int = 20) -> None:
    ctx.css.add(selector, {"padding": px(pad) if pad else None, **ctx.theme.card_decls})


def field_rules(ctx: Ctx, labels: bool = True) -> None:
    """The one look of every input, select and textarea, and (`labels`) labels stacked over them."""
    th = ctx.theme
    if labels:
        ctx.css.add("label", {"display": "flex", "flex-direction": "column", "gap": "6px",
                              "font-weight": "600"})
    ctx.css.add("input,select,textarea", {"padding": "10px 12px", "font": "inherit", "color": th.text,
                                          "background": th.bg, "border": f"1px solid {th.border}",
                                          "border-radius": px(min(th.radius, 8))})


def check_rule(ctx: Ctx) -> None:
    """A checkbox label: box and text on one line."""
    ctx.css.add(".check", {"flex-direction": "row", "align-items": "center", "gap": "8px",
                           "font-weight": "400"})


def table_rules(ctx: Ctx, pad: str = "12px") -> None:
    """A data table: full width, ruled rows, muted small header cells."""
    th = ctx.theme
    ctx.css.add("table", {"width": "100%", "border-collapse": "collapse"})
    ctx.css.add("th,td", {"padding": pad, "text-align": "left", "border-bottom": f"1px solid {th.border}"})
    ctx.css.add("th", {"font-size": "13px", "color": th.muted})


def badge_rule(ctx: Ctx) -> None:
    th = ctx.theme
    ctx.css.add(".badge", {"padding": "2px 10px", "font-size": "13px", "color": th.primary,
                           "background": th.tint, "border-radius": "999px"})


def logo_rule(ctx: Ctx) -> None:
    """The brand name in a header bar."""
    ctx.css.add(".logo", {"font-size": "20px", "font-weight": "700", "color": ctx.theme.primary})


def code_rule(ctx: Ctx) -> None:
    """Code and other monospace accents take the theme's monospace family."""
    ctx.css.add("code", {"font-family": ctx.theme.mono})


def _center(ctx: Ctx) -> str:
    if ctx.theme.align == "center":
        ctx.css.add(".center", {"text-align": "center"})
        return ' class="center"'
    return ""


def _title(ctx: Ctx, title: str) -> str:
    return f"<h2{_center(ctx)}>{t(title)}</h2>"


# ---------------------------------------------------------------- page parts

def nav(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    dark_bar = not th.dark and rng.random() < 0.2
    ctx.css.add(".nav", {"display": "flex", "align-items": "center", "gap": "24px",
                         "padding": f"16px {px(th.pad_x)}",
                         "color": th.bg if dark_bar else None, "background": th.text if dark_bar else None,
                         "border-bottom": None if dark_bar else f"1px solid {th.border}"})
    ctx.css.add(".logo", {"font-size": "20px", "font-weight": "700",
                          "color": None if dark_bar else th.primary})
    if ctx.mobile:
        ctx.css.add(".menu", {"margin-left": "auto", "font-size": "22px"})
        return f'<header class="nav"><b class="logo">{t(ctx.brand)}</b><span class="menu">☰</span></header>'
    links = "".join(f'<a href="#">{t(x)}</a>' for x in vocab.sample(rng, vocab.NAV_LINKS, rng.randint(3, 5)))
    ctx.css.add(".nav nav", {"display": "flex", "gap": "24px",
                             "margin-left": "auto" if rng.random() < 0.6 else None})
    cta = ""
    if rng.random() < 0.7:
        button(ctx)
        cta = f'<a class="btn" href="#">{t(rng.choice(vocab.NAV_CTAS))}</a>'
    return f'<header class="nav"><b class="logo">{t(ctx.brand)}</b><nav>{links}</nav>{cta}</header>'


def hero(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    split = not ctx.mobile and rng.random() < 0.4
    filled = rng.random() < 0.3
    has_second = rng.random() < 0.6
    button(ctx, alt=has_second)
    ctx.css.add(".hero", {"padding": f"{px(th.pad_y * 3 // 2)} {px(th.pad_x)}",
                          "text-align": "center" if th.align == "center" and not split else None,
                          "color": th.on_primary if filled else None,
                          "background": th.primary if filled else (th.tint if rng.random() < 0.4 else None)})
    ctx.css.add(".hero p", {"margin": "16px 0 24px", "font-size": "18px",
                            "color": None if filled else th.muted})
    ctx.css.add(".actions", {"display": "flex", "gap": "12px",
                             "justify-content": "center" if th.align == "center" and not split else None})
    if filled:
        # A primary button on a primary band would vanish: invert it.
        ctx.css.add(".hero .btn", {"color": th.primary, "background": th.on_primary})
        if has_second:
            ctx.css.add(".hero .btn.alt", {"color": th.on_primary, "background": "none",
                                           "border": f"1px solid {th.on_primary}"})
    second = f'<a class="btn alt" href="#">{t(rng.choice(vocab.SECONDARY_CTAS))}</a>' if has_second else ""
    text = (f"<h1>{t(rng.choice(vocab.HEADLINES))}</h1><p>{t(rng.choice(vocab.SUBLINES))}</p>"
            f'<div class="actions"><a class="btn" href="#">{t(rng.choice(vocab.NAV_CTAS))}</a>{second}</div>')
    if not split:
        return f'<section class="hero">{text}</section>'
    ctx.css.add(".split", {"display": "grid", "grid-template-columns": "1fr 1fr", "align-items": "center",
                           "gap": "40px"})
    ctx.css.add(".art", {"height": "280px", "border-radius": px(th.radius),
                         "background": f"linear-gradient(135deg,{th.primary},{th.accent})"})
    return f'<section class="hero split"><div>{text}</div><div class="art"></div></section>'


def features(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    n = rng.choice([3, 4, 6]) if not ctx.mobile else 3
    cols = ctx.cols(3 if n in (3, 6) else rng.choice([2, 4]))
    boxed = rng.random() < 0.5
    if boxed:
        card_box(ctx, ".feature", 24)
    ctx.css.add(".icon", {"display": "inline-block", "width": "40px", "height": "40px",
                          "margin": "0 0 12px", "font-size": "20px", "line-height": "40px",
                          "text-align": "center", "color": th.primary, "background": th.tint,
                          "border-radius": px(min(th.radius, 10))})
    ctx.css.add(".feature p", {"margin-top": "8px", "color": th.muted})
    items = "".join(
        f'<div class="feature"><span class="icon">{rng.choice(vocab.ICONS)}</span><h3>{t(a)}</h3><p>{t(b)}</p></div>'
        for a, b in vocab.sample(rng, vocab.FEATURES, n))
    return f'<section class="features">{_title(ctx, rng.choice(vocab.FEATURE_TITLES))}<div class="{grid(ctx, cols)}">{items}</div></section>'


def cards(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    n = rng.choice([2, 3, 4]) if not ctx.mobile else 2
    card_box(ctx, ".card", 0)
    ctx.css.add(".card", {"overflow": "hidden"})
    ctx.css.add(".thumb", {"height": "140px", "background": rng.choice(
        [th.tint, f"linear-gradient(135deg,{th.primary},{th.accent})", th.border])})
    ctx.css.add(".card h3", {"margin": "16px 16px 4px"})
    ctx.css.add(".card p", {"margin": "0 16px 16px", "color": th.muted})
    link = rng.random() < 0.5
    if link:
        ctx.css.add(".card a", {"display": "block", "margin": "0 16px 16px", "font-weight": "600",
                                "color": th.primary})
    items = "".join(
        f'<article class="card"><div class="thumb"></div><h3>{t(a)}</h3><p>{t(rng.choice(vocab.CARD_TEXTS))}</p>'
        + ('<a href="#">Read more →</a>' if link else "") + "</article>"
        for a in vocab.sample(rng, vocab.CARD_TITLES, n))
    return f'<section class="cards">{_title(ctx, rng.choice(vocab.CARD_SECTION_TITLES))}<div class="{grid(ctx, ctx.cols(n))}">{items}</div></section>'


def pricing(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    button(ctx)
    n = 3 if not ctx.mobile else 2
    start = rng.randint(0, len(vocab.PLANS) - n)
    plans = vocab.PLANS[start:start + n]
    featured = rng.randrange(n) if rng.random() < 0.7 else -1
    card_box(ctx, ".plan", 24)
    if featured >= 0:
        ctx.css.add(".featured", {"border": f"2px solid {th.primary}"})
    ctx.css.add(".price", {"margin": "8px 0 16px", "font-size": "36px", "font-weight": "700"})
    ctx.css.add(".price small", {"font-size": "16px", "color": th.muted})
    ctx.css.add(".plan ul", {"margin": "0 0 20px", "padding": "0", "list-style": "none"})
    ctx.css.add(".plan li", {"padding": "4px 0", "color": th.muted})
    out = []
    for i, (name, price) in enumerate(plans):
        perks = "".join(f"<li>✓ {t(p)}</li>" for p in vocab.sample(rng, vocab.PLAN_PERKS, rng.randint(3, 4)))
        cls = "plan featured" if i == featured else "plan"
        out.append(f'<div class="{cls}"><h3>{t(name)}</h3><p class="price">${price}<small>/mo</small></p>'
                   f'<ul>{perks}</ul><a class="btn" href="#">Choose {t(name)}</a></div>')
    return f'<section class="pricing">{_title(ctx, rng.choice(["Simple pricing", "Plans for every team", "Pricing"]))}<div class="{grid(ctx, ctx.cols(n))}">{"".join(out)}</div></section>'


def form(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    _button_tag(ctx)
    kind = rng.choice(list(vocab.FORM_FIELDS))
    boxed = rng.random() < 0.6
    ctx.css.add("form", {"display": "flex", "flex-direction": "column", "gap": "16px",
                         "max-width": "420px", "margin": "0 auto" if th.align == "center" else None})
    if boxed:
        card_box(ctx, "form", 32)
    field_rules(ctx)
    fields = []
    for label, ph in vocab.FORM_FIELDS[kind]:
        typ = ' type="password"' if label == "Password" else ""
        if label == "Message":
            fields.append(f'<label>{t(label)}<textarea rows="3" placeholder="{t(ph)}"></textarea></label>')
        else:
            fields.append(f'<label>{t(label)}<input{typ} placeholder="{t(ph) if not typ else ""}"></label>')
    if kind in ("signup", "contact", "checkout", "profile") and rng.random() < 0.6:
        name, opts = rng.choice(vocab.SELECT_FIELDS)
        fields.append(f"<label>{t(name)}<select>" + "".join(f"<option>{t(o)}</option>" for o in opts) + "</select></label>")
    if rng.random() < 0.6:
        check_rule(ctx)
        checked = " checked" if rng.random() < 0.5 else ""
        fields.append(f'<label class="check"><input type="checkbox"{checked}>{t(rng.choice(vocab.CHECKBOXES))}</label>')
    fields.append(f'<button class="btn">{t(vocab.SUBMITS[kind])}</button>')
    return f'<section class="signin"><form><h2>{t(vocab.FORM_TITLES[kind])}</h2>{"".join(fields)}</form></section>'


def table(ctx: Ctx) -> str:
    rng = ctx.rng
    table_rules(ctx)
    cols = ["Order", "Customer", "Status", "Total"] if not ctx.mobile else ["Customer", "Total"]
    badge = rng.random() < 0.6 and "Status" in cols
    if badge:
        badge_rule(ctx)
    rows = []
    for _ in range(rng.randint(3, 5) if not ctx.mobile else 3):
        cells = {"Order": f"#{rng.randint(1000, 9999)}", "Customer": vocab.person(rng),
                 "Status": rng.choice(vocab.STATUSES), "Total": vocab.money(rng)}
        tds = "".join(
            f'<td><span class="badge">{t(cells[c])}</span></td>' if c == "Status" and badge
            else f"<td>{t(cells[c])}</td>" for c in cols)
        rows.append(f"<tr>{tds}</tr>")
    head = "".join(f"<th>{c}</th>" for c in cols)
    return (f'<section class="data"><h2>{t(rng.choice(["Recent orders", "Invoices", "Latest sales"]))}</h2>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>")


def stats(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    n = 4 if not ctx.mobile else 2
    card_box(ctx, ".stat", 20)
    ctx.css.add(".stat p", {"font-size": "14px", "color": th.muted})
    ctx.css.add(".stat b", {"display": "block", "margin": "4px 0", "font-size": "28px"})
    items = []
    for label in vocab.sample(rng, vocab.STAT_LABELS, n):
        d, up = vocab.delta(rng)
        ctx.css.add(".up" if up else ".down", {"color": th.success if up else th.danger})
        items.append(f'<div class="stat"><p>{label}</p><b>{vocab.stat_value(rng, label)}</b>'
                     f'<small class="{"up" if up else "down"}">{d}</small></div>')
    return f'<section class="stats"><div class="{grid(ctx, ctx.cols(n) if not ctx.mobile else 2)}">{"".join(items)}</div></section>'


def articles(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    ctx.css.add(".post", {"padding": "20px 0", "border-bottom": f"1px solid {th.border}"})
    ctx.css.add(".meta", {"margin": "4px 0 8px", "font-size": "14px", "color": th.muted})
    posts = "".join(
        f'<article class="post"><h3>{t(title)}</h3><p class="meta">{vocab.date(rng)} · {rng.randint(3, 12)} min read</p>'
        f"<p>{t(rng.choice(vocab.ARTICLE_TEXTS))}</p></article>"
        for title in vocab.sample(rng, vocab.ARTICLE_TITLES, rng.randint(2, 4)))
    return f'<section class="posts">{_title(ctx, rng.choice(["Latest articles", "From the blog", "News"]))}{posts}</section>'


def cta(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    button(ctx)
    ctx.css.add(".cta", {"text-align": "center", "color": th.on_primary, "background": th.primary})
    ctx.css.add(".cta p", {"margin": "0 0 20px"})
    ctx.css.add(".cta .btn", {"color": th.primary, "background": th.on_primary})
    return (f'<section class="cta"><h2>{t(rng.choice(["Ready to get started?", "Start your free trial", "Join us today"]))}</h2>'
            f'<p>{t(rng.choice(vocab.SUBLINES))}</p><a class="btn" href="#">{t(rng.choice(vocab.NAV_CTAS))}</a></section>')


def footer(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    ctx.css.add(".foot", {"display": "flex", "flex-wrap": "wrap", "justify-content": "space-between", "gap": "16px",
                          "padding": f"24px {px(th.pad_x)}", "font-size": "14px", "color": th.muted,
                          "border-top": f"1px solid {th.border}"})
    ctx.css.add(".foot nav", {"display": "flex", "gap": "20px"})
    links = "".join(f'<a href="#">{x}</a>' for x in vocab.sample(rng, vocab.FOOTER_LINKS, 3 if ctx.mobile else rng.randint(3, 4)))
    return f'<footer class="foot"><p>© 2025 {t(ctx.brand)}</p><nav>{links}</nav></footer>'


def dashboard(ctx: Ctx, body: list[str], top: bool = True) -> str:
    """Sidebar + main column; `body` holds the already-rendered parts of the main column. `top` False: the frame
    as a band from the middle of its page shows it, the sidebar's lower links beside a section, no logo, title or
    current link."""
    th, rng = ctx.theme, ctx.rng
    ctx.css.add(".app", {"display": "grid", "grid-template-columns": "220px 1fr", "min-height": "100vh"})
    ctx.css.add(".side", {"display": "flex", "flex-direction": "column", "gap": "4px", "padding": "24px 16px",
                          "background": th.surface, "border-right": f"1px solid {th.border}"})
    if top:
        ctx.css.add(".side .logo", {"margin": "0 0 16px", "padding": "0 12px", "font-size": "20px",
                                    "color": th.primary})
    ctx.css.add(".side a", {"padding": "8px 12px", "color": th.muted, "border-radius": px(min(th.radius, 8))})
    if top:
        ctx.css.add(".side .on", {"color": th.primary, "background": th.tint})
        ctx.css.add("main h1", {"padding": f"{px(th.pad_y // 2)} {px(th.pad_x)} 0", "font-size": px(th.h2_size + 4)})
    links = vocab.sample(rng, vocab.SIDEBAR_LINKS, rng.randint(4, 6))
    if not top:
        side = "".join(f'<a href="#">{x}</a>' for x in links[2:])
        return f'<div class="app"><aside class="side">{side}</aside><main>{"".join(body)}</main></div>'
    side = "".join(f'<a{ON if i == 0 else ""} href="#">{x}</a>' for i, x in enumerate(links))
    return (f'<div class="app"><aside class="side"><b class="logo">{t(ctx.brand)}</b>{side}</aside>'
            f"<main><h1>{t(links[0])}</h1>{''.join(body)}</main></div>")


def modal(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    _button_tag(ctx, alt=True)
    title, text, ok = rng.choice(vocab.MODALS)
    # Absolute over a relative body, not fixed: a full-page screenshot of a tall page would show a
    # fixed overlay over the first viewport only.
    ctx.css.add("body", {"position": "relative", "min-height": "100vh"})
    ctx.css.add(".overlay", {"display": "flex", "align-items": "center", "justify-content": "center",
                             "position": "absolute", "inset": "0", "background": "rgba(0,0,0,.5)"})
    ctx.css.add(".modal", {"width": "400px" if not ctx.mobile else "320px", "padding": "24px",
                           "background": th.surface if th.dark else "#fff",
                           "border-radius": px(th.radius), "box-shadow": "0 20px 40px rgba(0,0,0,.25)"})
    ctx.css.add(".modal p", {"margin": "0 0 20px", "color": th.muted})
    ctx.css.add(".modal .actions", {"display": "flex", "justify-content": "flex-end", "gap": "12px"})
    return (f'<div class="overlay"><div class="modal" role="dialog"><h2>{t(title)}</h2><p>{t(text)}</p>'
            f'<div class="actions"><button class="btn alt">Cancel</button><button class="btn">{t(ok)}</button></div></div></div>')


def appbar(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    filled = rng.random() < 0.5
    ctx.css.add(".bar", {"display": "flex", "align-items": "center", "justify-content": "space-between",
                         "padding": "16px", "font-size": "20px",
                         "color": th.on_primary if filled else None, "background": th.primary if filled else None,
                         "border-bottom": None if filled else f"1px solid {th.border}"})
    return f'<header class="bar"><b>{t(rng.choice(vocab.APP_TITLES))}</b><span>⋯</span></header>'


def item_list(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    ctx.css.add(".list", {"margin": "0", "padding": "0", "list-style": "none"})
    ctx.css.add(".list li", {"display": "flex", "align-items": "center", "gap": "12px", "padding": "12px 16px",
                             "border-bottom": f"1px solid {th.border}"})
    ctx.css.add(".avatar", {"width": "40px", "height": "40px", "font-size": "14px", "font-weight": "700",
                            "line-height": "40px", "text-align": "center", "color": th.primary,
                            "background": th.tint, "border-radius": "999px"})
    ctx.css.add(".list p", {"font-size": "14px", "color": th.muted})
    items = []
    for _ in range(rng.randint(3, 6)):
        name = vocab.person(rng)
        initials = "".join(w[0] for w in name.split())
        items.append(f'<li><span class="avatar">{t(initials)}</span><div><b>{t(name)}</b>'
                     f"<p>{t(rng.choice(vocab.LIST_SUBTITLES))}</p></div></li>")
    return f'<ul class="list">{"".join(items)}</ul>'


def tabbar(ctx: Ctx) -> str:
    th, rng = ctx.theme, ctx.rng
    # In flow at the end of a min-height:100vh column, not fixed: the bar sits at the screen's
    # bottom on short pages and after the content on tall ones, so full-page screenshots never
    # show it floating over the content.
    ctx.css.add("body", {"display": "flex", "flex-direction": "column", "min-height": "100vh"})
    ctx.css.add(".tabs", {"display": "flex", "justify-content": "space-around", "margin-top": "auto",
                          "padding": "12px 0", "font-size": "13px",
                          "color": th.muted, "background": th.surface, "border-top": f"1px solid {th.border}"})
    ctx.css.add(".tabs .on", {"font-weight": "700", "color": th.primary})
    items = vocab.sample(rng, vocab.TAB_ITEMS, 4)
    return '<nav class="tabs">' + "".join(
        f'<a{ON if i == 0 else ""} href="#">{x}</a>' for i, x in enumerate(items)) + "</nav>"


# Content sections of this module a page body can be made of, by name (`generator.SECTIONS` adds
# those of the other part modules).
SECTIONS = {
    "hero": hero, "features": features, "cards": cards, "pricing": pricing, "form": form,
    "table": table, "stats": stats, "articles": articles, "cta": cta,
}
