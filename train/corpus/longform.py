"""Long reading pages: a magazine/blog article (headings, paragraphs, a blockquote, a code block, a
figure, a list) and a documentation page (a sticky top bar, a left sidebar with a nested, multi-level
nav, and an article with a code block, a parameter table and a note).

Long in pixels, short in bytes: text comes from short sentences in `vocab`, and the number of
paragraphs, sections and nav links goes through `ctx.fit`, so the size bound in `generator.py` can
shorten a page before it drops anything. Composing these into pages is `generator.py`'s job.
"""
from __future__ import annotations

from . import icons, vocab
from .components import Ctx, code_rule, logo_rule, t, table_rules
from .palettes import px


def _pre(ctx: Ctx) -> str:
    """A code block in the theme's monospace family; light pages pick a dark or a pale block."""
    th, rng = ctx.theme, ctx.rng
    code_rule(ctx)
    if "pre" not in ctx.css:
        inverse = not th.dark and rng.random() < 0.5
        ctx.css.add("pre", {"margin": "0 0 16px", "padding": "16px", "overflow": "auto", "font-size": "14px",
                            "line-height": "1.5", "color": "#e2e8f0" if inverse else None,
                            "background": "#0f172a" if inverse else th.surface,
                            "border": None if inverse else f"1px solid {th.border}",
                            "border-radius": px(min(th.radius, 8))})
    return "<pre><code>" + t("\n".join(rng.choice(vocab.CODE_SNIPPETS))) + "</code></pre>"


def article(ctx: Ctx) -> str:
    """`<main class="read"><article>`: title, byline, then paragraphs with subheads and extras."""
    th, rng = ctx.theme, ctx.rng
    big = not ctx.mobile and rng.random() < 0.5
    ctx.css.add(".read", {"max-width": "720px" if big else "680px", "margin": "0 auto",
                          "padding": f"{px(th.pad_y)} {px(th.pad_x)}", "font-size": "18px" if big else None})
    ctx.css.add(".byline", {"margin": "12px 0 28px", "font-size": "14px", "color": th.muted})
    ctx.css.add("article p", {"margin": "0 0 16px"})
    ctx.css.add(".read h2", {"margin": "32px 0 12px"})
    paras = vocab.sample(rng, vocab.ARTICLE_PARAS, ctx.fit(rng.randint(5, 8), 2))
    heads = vocab.sample(rng, vocab.ARTICLE_HEADS, 2)
    extras = ["h2", "h2"] + [x for x, p in (("quote", 0.7), ("code", 0.5), ("figure", 0.6), ("list", 0.4))
                             if rng.random() < p]
    rng.shuffle(extras)
    extras = extras[:ctx.fit(len(extras), 1)]
    # Each extra follows one paragraph (never the first, which leads the piece).
    slots = sorted(rng.sample(range(1, len(paras) + 1), min(len(extras), len(paras))))
    after = dict(zip(slots, extras))
    lead = rng.random() < 0.5
    if lead:
        ctx.css.add(".lead", {"font-size": "1.2em", "color": th.muted})
    out = []
    for i, para in enumerate(paras):
        out.append(f'<p class="lead">{t(para)}</p>' if i == 0 and lead else f"<p>{t(para)}</p>")
        kind = after.get(i + 1)
        if kind == "h2":
            out.append(f"<h2>{t(heads.pop())}</h2>")
        elif kind == "quote":
            ctx.css.add("blockquote", {"margin": "24px 0", "padding": "4px 0 4px 20px", "font-size": "1.25em",
                                       "font-style": "italic", "border-left": f"4px solid {th.primary}"})
            out.append(f"<blockquote>{t(rng.choice(vocab.QUOTES))}</blockquote>")
        elif kind == "code":
            out.append(_pre(ctx))
        elif kind == "figure":
            ctx.css.add("figure", {"margin": "24px 0"})
            ctx.css.add("figcaption", {"margin-top": "8px", "font-size": "14px", "color": th.muted})
            out.append(f"<figure>{icons.image(ctx, 'img', 200 if ctx.mobile else 280)}"
                       f"<figcaption>{t(rng.choice(vocab.FIGCAPTIONS))}</figcaption></figure>")
        elif kind == "list":
            ctx.css.add(".read ul", {"margin": "0 0 16px", "padding": "0 0 0 24px"})
            items = vocab.sample(rng, vocab.LIST_POINTS, 3)
            out.append("<ul>" + "".join(f"<li>{t(x)}</li>" for x in items) + "</ul>")
    byline = f"By {vocab.person(rng)} · {vocab.date(rng)} · {rng.randint(4, 14)} min read"
    return (f'<main class="read"><article><h1>{t(rng.choice(vocab.ARTICLE_TITLES))}</h1>'
            f'<p class="byline">{t(byline)}</p>{"".join(out)}</article></main>')


def docs(ctx: Ctx, body: list[str]) -> str:
    """The documentation frame: a sticky top bar, then a left sidebar nav (groups of links, the current
    page's sections one level deeper) beside `body`, the already-rendered main column."""
    th, rng = ctx.theme, ctx.rng
    ctx.css.add(".top", {"display": "flex", "align-items": "center", "gap": "24px", "position": "sticky",
                         "top": "0", "z-index": "1", "height": "56px", "padding": "0 24px",
                         "background": th.bg, "border-bottom": f"1px solid {th.border}"})
    logo_rule(ctx)
    ctx.css.add(".top nav", {"display": "flex", "gap": "20px", "color": th.muted})
    ctx.css.add(".docs", {"display": "grid", "grid-template-columns": "240px 1fr"})
    ctx.css.add(".toc", {"padding": "16px 24px", "font-size": "14px", "border-right": f"1px solid {th.border}"})
    ctx.css.add(".toc ul", {"margin": "0", "padding": "0", "list-style": "none"})
    ctx.css.add(".toc ul ul", {"padding": "0 0 0 12px"})
    ctx.css.add(".toc li", {"padding": "3px 0"})
    ctx.css.add(".toc b", {"display": "block", "margin": "12px 0 4px", "font-size": "12px",
                           "text-transform": "uppercase", "color": th.muted})
    ctx.css.add(".toc .on", {"font-weight": "600", "color": th.primary})
    # Trimmed groups and links, but never the current page (`ctx.title`, set by `doc`) or its group.
    tree = []
    for g, (name, links) in enumerate(vocab.DOC_NAV):
        mine = ctx.title in links
        if g >= ctx.fit(len(vocab.DOC_NAV), 2) and not mine:
            continue
        items = []
        for j, link in enumerate(links):
            if link == ctx.title:
                sub = "".join(f'<li><a href="#">{t(x)}</a></li>' for x in ("Overview", "Options", "Examples")[:ctx.fit(3, 2)])
                items.append(f'<li><a class="on" href="#">{t(link)}</a><ul>{sub}</ul></li>')
            elif j < ctx.fit(len(links), 2):
                items.append(f'<li><a href="#">{t(link)}</a></li>')
        tree.append(f'<li><b>{t(name)}</b><ul>{"".join(items)}</ul></li>')
    top_links = "".join(f'<a href="#">{x}</a>' for x in ("Guides", "API", "Changelog")[:rng.randint(2, 3)])
    return (f'<header class="top"><b class="logo">{t(ctx.brand)} Docs</b><nav>{top_links}</nav>'
            f'{icons.search_box(ctx, "Search docs")}</header>'
            f'\n<div class="docs"><aside class="toc"><nav><ul>{"".join(tree)}</ul></nav></aside>{"".join(body)}</div>')


def doc(ctx: Ctx) -> str:
    """A documentation article: breadcrumb, title, intro, then sections of text with a code block or a
    parameter table, an optional note and previous/next links."""
    th, rng = ctx.theme, ctx.rng
    ctx.css.add(".doc", {"max-width": "800px", "padding": f"32px {px(max(th.pad_x, 32))}"})
    ctx.css.add(".crumbs", {"font-size": "14px", "color": th.muted})
    ctx.css.add(".doc h1", {"margin": "4px 0 12px", "font-size": px(min(th.h1_size, 40))})
    ctx.css.add("article p", {"margin": "0 0 16px"})
    ctx.css.add(".doc h2", {"margin": "32px 0 12px"})
    group, links = rng.choice(vocab.DOC_NAV)
    ctx.title = title = rng.choice(links)  # the docs frame marks it as the current page
    intros = vocab.sample(rng, vocab.DOC_INTROS, 3)
    out = [f'<p class="crumbs">{t(group)} › {t(title)}</p><h1>{t(title)}</h1><p>{t(intros.pop())}</p>']
    blocks = ["code", "params"] if rng.random() < 0.5 else ["params", "code"]
    heads = vocab.sample(rng, ["Install", "Usage", "Parameters", "Example", "Response"], 2)
    for head, block in list(zip(heads, blocks))[:ctx.fit(2, 1)]:
        out.append(f"<h2>{t(head)}</h2><p>{t(intros.pop())}</p>")
        if block == "code":
            out.append(_pre(ctx))
            continue
        table_rules(ctx, "8px 12px")
        code_rule(ctx)
        rows = "".join(f"<tr><td><code>{t(n)}</code></td><td>{t(ty)}</td><td>{t(d)}</td></tr>"
                       for n, ty, d in vocab.sample(rng, vocab.DOC_PARAMS, ctx.fit(rng.randint(3, 5), 2)))
        out.append(f"<table><thead><tr><th>Name</th><th>Type</th><th>Description</th></tr></thead>"
                   f"<tbody>{rows}</tbody></table>")
    extras = ctx.optional([x for x in ("note", "pager") if rng.random() < 0.6])
    if "note" in extras:
        ctx.css.add(".note", {"margin": "24px 0", "padding": "12px 16px", "background": th.tint,
                              "border-left": f"4px solid {th.primary}"})
        out.append(f'<p class="note"><b>Note:</b> {t(rng.choice(vocab.NOTES))}</p>')
    if "pager" in extras:
        ctx.css.add(".pager", {"display": "flex", "justify-content": "space-between", "margin-top": "32px",
                               "font-weight": "600", "color": th.primary})
        prev, nxt = vocab.sample(rng, [x for _, ls in vocab.DOC_NAV for x in ls], 2)
        out.append(f'<nav class="pager"><a href="#">← {t(prev)}</a><a href="#">{t(nxt)} →</a></nav>')
    return f'<main class="doc"><article>{"".join(out)}</article></main>'
