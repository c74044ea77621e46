"""Old-style sites, written as they were around 2000–2010: a page whose columns are the cells of one
`<table>` (banner row, menu cell, content cell, maybe a right cell, footer row), and a fixed-width
page with floated main and side columns, a floated menu bar and a footer that clears them.

Both are whole pages in one part. They keep the corpus's rules (one stylesheet, shared class names,
no absolute positioning); only their layout technique and their small, dense type are old. The
number of news items, menu links and boxes goes through `ctx.fit` for the size bound.
"""
from __future__ import annotations

from . import vocab
from .components import Ctx, t

OLD_FONTS = ["Verdana,sans-serif", "Arial,sans-serif", '"Times New Roman",serif', "Georgia,serif"]


def _old_type(ctx: Ctx) -> None:
    """Old sites set small type in one of a few web-safe families: refine the page's body rule."""
    ctx.css.add("body", {"font": f"{ctx.rng.choice([13, 14])}px/1.4 {ctx.rng.choice(OLD_FONTS)}"})


def _news(ctx: Ctx, head: str, year: int) -> str:
    """Dated news items, newest first and none after `year`: the content of both old layouts."""
    th, rng = ctx.theme, ctx.rng
    ctx.css.add(".date", {"font-size": "12px", "color": th.muted})
    ctx.css.add(".item h3", {"margin": "16px 0 2px", "font-size": "16px", "color": th.primary})
    ctx.css.add(".item p", {"margin": "0 0 6px"})
    news = vocab.sample(rng, vocab.OLD_NEWS, ctx.fit(rng.randint(3, 5), 1))
    years = sorted((rng.randint(year - 4, year) for _ in news), reverse=True)
    items = "".join(
        f'<div class="item"><h3>{t(title)}</h3><p class="date">{t(vocab.date(rng).replace("2025", str(y)))}</p>'
        f"<p>{t(text)}</p></div>"
        for (title, text), y in zip(news, years))
    return f"<h2>{t(head)}</h2>{items}"


def _read_more(ctx: Ctx) -> str:
    ctx.css.add(".more", {"text-decoration": "underline", "color": ctx.theme.primary})
    return '<a class="more" href="#">Read all news »</a>'


def tablelayout(ctx: Ctx) -> str:
    """The whole page as one layout table: a banner row, a menu cell and a content cell (and on some
    pages a right cell of boxes), and a footer row."""
    th, rng = ctx.theme, ctx.rng
    _old_type(ctx)
    three = rng.random() < 0.5
    # A fixed width as old sites had, capped so that a tablet does not scroll sideways.
    ctx.css.add(".page", {"width": rng.choice(["760px", "800px", "900px"]), "max-width": "100%", "margin": "0 auto", "border": f"1px solid {th.border}",
                          "border-collapse": "collapse"})
    ctx.css.add(".page td", {"padding": "12px", "vertical-align": "top"})
    ctx.css.add(".banner", {"color": th.on_primary, "background": th.primary})
    ctx.css.add(".banner h1", {"font-size": "26px"})
    ctx.css.add(".menu", {"width": "170px", "background": th.tint, "border-right": f"1px solid {th.border}"})
    ctx.css.add(".menu ul", {"margin": "0", "padding": "0", "list-style": "none"})
    ctx.css.add(".menu li", {"padding": "4px 0", "border-bottom": f"1px dotted {th.border}"})
    ctx.css.add(".menu a", {"font-weight": "700", "color": th.primary})
    ctx.css.add(".page h2", {"margin": "0 0 8px", "font-size": "20px"})
    ctx.css.add(".bottom", {"font-size": "12px", "text-align": "center", "color": th.muted,
                            "border-top": f"1px solid {th.border}"})
    links = vocab.OLD_NAV[:ctx.fit(rng.randint(6, 8), 4)]
    menu = "<ul>" + "".join(f'<li><a href="#">{t(x)}</a></li>' for x in links) + "</ul>"
    right = ""
    if three:
        ctx.css.add(".extra", {"width": "180px", "font-size": "12px", "background": th.surface})
        ctx.css.add(".extra h4", {"margin": "0 0 4px"})
        ctx.css.add(".extra p", {"margin": "0 0 12px"})
        boxes = []
        for name, lines in vocab.OLD_BOXES[:ctx.fit(3, 1)]:
            body = "<br>".join(t(x) for x in lines) if lines else "Search this site"
            boxes.append(f"<h4>{t(name)}</h4><p>{body}</p>")
        right = f'<td class="extra">{"".join(boxes)}</td>'
    span = 3 if three else 2
    year = rng.randint(2003, 2009)
    return (f'<table class="page"><tr><td class="banner" colspan="{span}"><h1>{t(ctx.brand)}</h1>'
            f"<p>{t(rng.choice(vocab.OLD_TAGLINES))}</p></td></tr>"
            f'<tr><td class="menu">{menu}</td><td>{_news(ctx, "Latest news", year)}{_read_more(ctx)}</td>{right}</tr>'
            f'<tr><td class="bottom" colspan="{span}">© {year} {t(ctx.brand)} · Best viewed at 1024×768</td></tr></table>')


def floatlayout(ctx: Ctx) -> str:
    """A fixed-width page: masthead, a floated menu bar, a left-floated main column of posts, a
    right-floated sidebar and a footer that clears both."""
    th, rng = ctx.theme, ctx.rng
    _old_type(ctx)
    side_left = rng.random() < 0.3
    ctx.css.add(".wrap", {"max-width": rng.choice(["940px", "960px"]), "margin": "0 auto", "padding": "0 16px"})
    ctx.css.add(".mast", {"padding": "24px 0 16px"})
    ctx.css.add(".mast h1", {"font-size": "30px", "color": th.primary})
    ctx.css.add(".mast p", {"color": th.muted})
    ctx.css.add(".bar ul", {"margin": "0 0 20px", "padding": "0", "overflow": "hidden",
                            "background": th.primary, "list-style": "none"})
    ctx.css.add(".bar li", {"float": "left"})
    ctx.css.add(".bar a", {"display": "block", "padding": "8px 14px", "font-weight": "700", "color": th.on_primary})
    ctx.css.add(".col", {"float": "right" if side_left else "left", "width": "100%" if ctx.mobile else "65%"})
    ctx.css.add(".col h2", {"margin": "0 0 8px", "font-size": "20px",
                            "border-bottom": f"2px solid {th.border}"})
    ctx.css.add(".sidebar", {"float": "left" if side_left else "right", "width": "100%" if ctx.mobile else "30%",
                             "padding": "12px", "font-size": "13px", "background": th.surface,
                             "border": f"1px solid {th.border}"})
    ctx.css.add(".sidebar h3", {"margin": "0 0 6px", "font-size": "15px"})
    ctx.css.add(".sidebar ul", {"margin": "0 0 12px", "padding": "0 0 0 18px"})
    ctx.css.add(".colophon", {"clear": "both", "padding": "16px 0", "font-size": "12px", "text-align": "center",
                              "color": th.muted})
    links = vocab.OLD_NAV[:ctx.fit(rng.randint(5, 7), 3)]
    bar = "<ul>" + "".join(f'<li><a href="#">{t(x)}</a></li>' for x in links) + "</ul>"
    year = rng.randint(2004, 2009)
    months = sorted(vocab.sample(rng, range(12), ctx.fit(4, 2)), reverse=True)
    archive = "".join(f'<li><a href="#">{vocab.MONTHS[m]} {year}</a></li>' for m in months)
    about = rng.choice(vocab.OLD_TAGLINES)
    return (f'<div class="wrap"><header class="mast"><h1>{t(ctx.brand)}</h1><p>{t(about)}</p></header>'
            f'<nav class="bar">{bar}</nav><main class="col">{_news(ctx, "Blog", year)}</main>'
            f'<aside class="sidebar"><h3>About</h3><p>{t(rng.choice(vocab.ARTICLE_TEXTS))}</p>'
            f"<h3>Archives</h3><ul>{archive}</ul></aside>"
            f'<footer class="colophon">© {year} {t(ctx.brand)} · Powered by hand-written HTML</footer></div>')
