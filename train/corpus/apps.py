"""Dense application screens: an admin frame (a sidebar of grouped links), a records view (a title,
filters, a data table of many rows, pagination), a settings or registration form with inline validation
messages, selects, checkboxes and toggles, and a shop (a store bar, filter facets and a product grid
with placeholder pictures).

Repeated items (rows, products, fields) go through `ctx.fit` so the size bound can shorten them.
Shared looks (inputs, tables, badges, buttons) come from `components`; composing pages is
`generator.py`'s job.
"""
from __future__ import annotations

from . import icons, vocab
from .components import (ON, Ctx, _button_tag, badge_rule, check_rule, code_rule, field_rules,
                         grid, logo_rule, t, table_rules)
from .palettes import px

_GOOD = {"Paid", "Active", "Shipped"}
_BAD = {"Refunded", "Overdue"}


# ---------------------------------------------------------------- admin

def admin(ctx: Ctx, body: list[str], top: bool = True) -> str:
    """Sidebar of grouped links (small uppercase group headings over their links; the link named
    `ctx.title` is the current one, else the first) beside a main column holding `body`, the already-rendered parts.
    `top` False: the frame as a band from the middle of its page shows it, no logo and the first group gone."""
    th = ctx.theme
    current = ctx.title or vocab.NAV_GROUPS[0][1][0]
    if top:
        logo_rule(ctx)
    ctx.css.add(".admin", {"display": "grid", "grid-template-columns": "200px 1fr", "min-height": "100vh"})
    ctx.css.add(".rail", {"padding": "20px 12px", "font-size": "14px", "background": th.surface,
                          "border-right": f"1px solid {th.border}"})
    ctx.css.add(".rail h4", {"margin": "16px 8px 4px", "font-size": "11px", "text-transform": "uppercase",
                             "color": th.muted})
    ctx.css.add(".rail a", {"display": "block", "padding": "6px 8px", "border-radius": px(min(th.radius, 6))})
    groups = vocab.NAV_GROUPS[:ctx.fit(len(vocab.NAV_GROUPS), 2)]
    if not top:
        groups = groups[1:]
    if any(link == current for _, links in groups for link in links[:ctx.fit(len(links), 2)]):
        ctx.css.add(".rail .on", {"color": th.primary, "background": th.tint})
    side = []
    for name, links in groups:
        side.append(f"<h4>{t(name)}</h4>" + "".join(
            f'<a{ON if link == current else ""} href="#">{t(link)}</a>' for link in links[:ctx.fit(len(links), 2)]))
    logo = f'<b class="logo">{t(ctx.brand)}</b>' if top else ""
    return (f'<div class="admin"><aside class="rail">{logo}<nav>{"".join(side)}</nav></aside>'
            f'<main>{"".join(body)}</main></div>')


def records(ctx: Ctx) -> str:
    """Filters (a search field and a select), a dense data table with status badges (and on some pages a
    monospace ID column), and pagination under it."""
    th, rng = ctx.theme, ctx.rng
    field_rules(ctx, labels=False)
    ctx.css.add(".records", {"padding": f"16px {px(th.pad_x)}", "font-size": "14px"})
    ctx.css.add(".records h1", {"margin": "0 0 12px", "font-size": px(th.h2_size)})
    # Shown as the current link by the admin frame, whose Sales group always lists these two.
    ctx.title = rng.choice(["Orders", "Customers"])
    ctx.css.add(".filters", {"display": "flex", "gap": "8px", "margin": "0 0 12px"})
    table_rules(ctx, "8px")
    mono = rng.random() < 0.5
    if mono:
        code_rule(ctx)
    badge_rule(ctx)
    cols = ["ID", "Customer"] + vocab.sample(rng, ["City", "Date"], rng.randint(0, 1)) + ["Status", "Amount"]
    cols = [c for c in vocab.TABLE_COLUMNS if c in cols]
    _, opts = rng.choice(vocab.FILTER_SELECTS)
    filters = f'<form class="filters"><input placeholder="Search"><select><option>{t(opts[0])}</option></select></form>'
    rows = []
    for _ in range(ctx.fit(rng.randint(8, 12), 4)):
        status = rng.choice(vocab.STATUSES)
        tone = " ok" if status in _GOOD else " bad" if status in _BAD else ""
        if tone:
            ctx.css.add(f".badge.{tone[1:]}", {"color": th.success if tone == " ok" else th.danger})
        rid = f"#{rng.randint(1000, 9999)}"
        cells = {"ID": f"<code>{rid}</code>" if mono else rid, "Customer": t(vocab.person(rng)),
                 "City": t(rng.choice(vocab.CITIES)), "Date": vocab.date(rng),
                 "Status": f'<span class="badge{tone}">{t(status)}</span>', "Amount": t(vocab.money(rng))}
        rows.append("<tr>" + "".join(f"<td>{cells[c]}</td>" for c in cols) + "</tr>")
    ctx.css.add(".pages", {"display": "flex", "gap": "4px", "margin-top": "12px"})
    ctx.css.add(".pages p", {"margin": "0 auto 0 0", "color": th.muted})
    ctx.css.add(".pages a", {"padding": "2px 10px", "border": f"1px solid {th.border}"})
    ctx.css.add(".pages .on", {"color": th.on_primary, "background": th.primary})
    total = rng.randint(3, 40) * 10 + len(rows)
    last = -(-total // len(rows))
    pages = "".join(f'<a{ON if i == 1 else ""} href="#">{i}</a>' for i in (1, 2, 3)) + f'<a href="#">{last}</a>'
    head = "".join(f"<th>{c}</th>" for c in cols)
    return (f'<section class="records"><h1>{t(ctx.title)}</h1>{filters}<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            f'</table><nav class="pages"><p>1–{len(rows)} of {total}</p>{pages}</nav></section>')


# ---------------------------------------------------------------- settings and registration

def _field(ctx: Ctx, label: str, value: str, error: str) -> str:
    th = ctx.theme
    typ = ' type="password"' if label == "Password" else ""
    val = f' value="{t(value)}"' if value and not typ else ""
    if not error:
        return f"<label>{t(label)}<input{typ}{val}></label>"
    ctx.css.add(".bad", {"border": f"1px solid {th.danger}"})
    ctx.css.add(".error", {"font-size": "13px", "font-weight": "400", "color": th.danger})
    return f'<label>{t(label)}<input class="bad"{typ}{val}><small class="error">{t(error)}</small></label>'


def settings(ctx: Ctx) -> str:
    """Account settings (a vertical tab list beside a form of grouped fields and toggles) or, on some
    pages and on phones, a centred registration form; both show inline validation errors."""
    th, rng = ctx.theme, ctx.rng
    register = ctx.mobile or rng.random() < 0.4
    field_rules(ctx)
    _button_tag(ctx)
    ctx.css.add(".prefs", {"display": "flex", "flex-direction": "column", "gap": "16px"})
    ctx.css.add(".prefs .btn", {"align-self": "flex-start"} if not register else {"padding": "12px 20px"})
    pool = [f for f in vocab.SETTINGS_FIELDS if not (register and f[0] == "Phone")]
    k = ctx.fit(rng.randint(4, 5), 2)
    wrong = vocab.sample(rng, [f for f in pool if f[2]], min(k, rng.randint(1, 2)))
    right = vocab.sample(rng, [f for f in pool if not f[2]], k - len(wrong))
    # At least one field shows its validation message; fields keep the form's natural order.
    out = [_field(ctx, *f) for f in pool if f in wrong or f in right]
    if ctx.optional(["select"]):
        name, opts = rng.choice(vocab.SELECT_FIELDS)
        out.append(f"<label>{t(name)}<select>" + "".join(f"<option>{t(o)}</option>" for o in opts) + "</select></label>")
    if register:
        check_rule(ctx)
        out.append('<label class="check"><input type="checkbox">I agree to the terms</label>')
        out.append('<button class="btn">Create account</button>')
        ctx.css.add(".reg", {"max-width": "440px", "margin": "0 auto", "padding": f"{px(th.pad_y)} {px(th.pad_x)}"})
        ctx.css.add(".reg h1", {"font-size": px(th.h2_size)})
        ctx.css.add(".sub", {"color": th.muted})
        ctx.css.add(".sub a", {"font-weight": "600", "color": th.primary})
        return (f'<main class="reg"><form class="prefs"><h1>Create your account</h1>'
                f'<p class="sub">Already have one? <a href="#">Log in</a></p>{"".join(out)}</form></main>')
    ctx.css.add(".toggle", {"flex-direction": "row", "align-items": "center", "gap": "12px", "font-weight": "400"})
    ctx.css.add(".switch", {"display": "flex", "justify-content": "flex-end", "width": "40px", "height": "22px",
                            "padding": "2px", "background": th.primary, "border-radius": "999px"})
    ctx.css.add(".switch i", {"width": "18px", "height": "18px", "background": "#fff", "border-radius": "999px"})
    toggles = []
    for label in vocab.sample(rng, vocab.TOGGLES, ctx.fit(3, 1)):
        on = rng.random() < 0.6
        if not on:
            ctx.css.add(".switch.off", {"justify-content": "flex-start", "background": th.border})
        toggles.append(f'<label class="toggle"><span class="switch{"" if on else " off"}"><i></i></span>{t(label)}</label>')
    ctx.css.add(".settings", {"padding": f"{px(th.pad_y)} {px(th.pad_x)}"})
    ctx.css.add(".panes", {"display": "grid", "grid-template-columns": "180px 1fr", "gap": "40px",
                           "margin-top": "24px"})
    ctx.css.add(".vtabs", {"display": "flex", "flex-direction": "column"})
    ctx.css.add(".vtabs a", {"padding": "8px 12px", "color": th.muted, "border-radius": px(min(th.radius, 6))})
    ctx.css.add(".vtabs .on", {"font-weight": "600", "color": th.text, "background": th.surface})
    ctx.css.add(".prefs h2", {"margin": "0", "padding": "8px 0", "font-size": "18px",
                              "border-bottom": f"1px solid {th.border}"})
    ctx.css.add(".settings h1", {"font-size": px(th.h2_size + 4)})
    tabs = vocab.sample(rng, [x for x in vocab.SETTINGS_TABS if x != "Notifications"], ctx.fit(4, 2))
    tabs.insert(1, "Notifications")
    tab_links = "".join(f'<a{ON if i == 0 else ""} href="#">{t(x)}</a>' for i, x in enumerate(tabs))
    two = f'<div class="{grid(ctx, 2)}">{"".join(out[:2])}</div>' if len(out) > 3 and rng.random() < 0.5 else ""
    fields_html = two + "".join(out[2:] if two else out)
    return (f'<main class="settings"><h1>Settings</h1><div class="panes"><nav class="vtabs">{tab_links}</nav>'
            f'<form class="prefs"><h2>{t(tabs[0])}</h2>{fields_html}<h2>Notifications</h2>{"".join(toggles)}'
            f'<button class="btn">Save changes</button></form></div></main>')


# ---------------------------------------------------------------- shop

def storebar(ctx: Ctx) -> str:
    """A shop's header: logo, category links, maybe a search field, and a cart icon with its count."""
    th, rng = ctx.theme, ctx.rng
    ctx.css.add(".store", {"display": "flex", "align-items": "center", "gap": "20px", "padding": f"12px {px(th.pad_x)}",
                           "border-bottom": f"1px solid {th.border}"})
    logo_rule(ctx)
    ctx.css.add(".store nav", {"display": "flex", "gap": "20px"})
    cats = "" if ctx.mobile else "<nav>" + "".join(
        f'<a href="#">{t(c)}</a>' for c in vocab.sample(rng, vocab.SHOP_CATEGORIES, ctx.fit(rng.randint(3, 4), 2))) + "</nav>"
    find = ""
    if not ctx.mobile and ctx.optional(["find"] if rng.random() < 0.6 else []):
        find = icons.search_box(ctx, "Search products")
    ctx.css.add(".cart", {"display": "flex", "gap": "4px", "margin-left": None if find else "auto"})
    cart = f'<a class="cart" href="#">{icons.icon(ctx, "cart")}{rng.randint(0, 3)}</a>'
    return f'<header class="store"><b class="logo">{t(ctx.brand)}</b>{cats}{find}{cart}</header>'


def products(ctx: Ctx) -> str:
    """A product grid: placeholder picture, name, price (maybe reduced), rating, maybe a cart button."""
    th, rng = ctx.theme, ctx.rng
    n = ctx.fit(rng.choice([4, 6, 8]), 2)
    cols = ctx.cols(min(n, 4) if n % 3 else 3)
    extras = ctx.optional([x for x, p in (("sale", 0.6), ("button", 0.3)) if rng.random() < p])
    with_button = "button" in extras
    ctx.css.add(".product h3", {"margin": "12px 0 4px", "font-size": "16px"})
    ctx.css.add(".cost", {"font-weight": "700"})
    ctx.css.add(".stars", {"font-size": "14px", "color": "#f59e0b"})
    if with_button:
        _button_tag(ctx)
        ctx.css.add(".product .btn", {"width": "100%", "margin-top": "8px", "padding": "8px 16px"})
    items = []
    for name in vocab.sample(rng, vocab.PRODUCT_NAMES, n):
        price = rng.randint(9, 129)
        was = ""
        if "sale" in extras and rng.random() < 0.4:
            ctx.css.add(".cost s", {"font-weight": "400", "color": th.muted})
            was = f" <s>${price + rng.choice([10, 20, 30])}.00</s>"
        stars = rng.randint(3, 5)
        items.append(f'<article class="product">{icons.image(ctx, "pic", 160 if ctx.mobile else 200, glyph=False)}'
                     f'<h3>{t(name)}</h3><p class="cost">${price}.00{was}</p>'
                     f'<p class="stars">{"★" * stars}{"☆" * (5 - stars)} ({rng.randint(3, 480)})</p>'
                     + ('<button class="btn">Add to cart</button>' if with_button else "") + "</article>")
    title = rng.choice(["New arrivals", "Best sellers", "Shop all", "Featured products"])
    return f'<section class="products"><h2>{t(title)}</h2><div class="{grid(ctx, cols)}">{"".join(items)}</div></section>'


def shop(ctx: Ctx) -> str:
    """A catalogue page: filter facets (checkbox categories, price ranges) beside the product grid; phones
    get the grid alone."""
    th, rng = ctx.theme, ctx.rng
    grid_html = products(ctx)
    if ctx.mobile:
        return f'<main class="shop">{grid_html}</main>'
    field_rules(ctx)
    check_rule(ctx)
    ctx.css.add(".shop", {"display": "grid", "grid-template-columns": "220px 1fr"})
    ctx.css.add(".facets", {"display": "flex", "flex-direction": "column", "gap": "8px",
                            "padding": f"{px(th.pad_y)} 0 0 {px(th.pad_x)}", "font-size": "14px"})
    ctx.css.add(".facets h3", {"margin-top": "12px", "font-size": "15px"})
    cats = vocab.sample(rng, vocab.SHOP_CATEGORIES, ctx.fit(rng.randint(4, 5), 2))
    checks = "".join(f'<label class="check"><input type="checkbox"{" checked" if i == 0 else ""}>{t(c)}</label>'
                     for i, c in enumerate(cats))
    ranges = "".join(f'<label class="check"><input type="checkbox">{r}</label>'
                     for r in ("Under $25", "$25 to $50", "Over $50")[:ctx.fit(3, 0)])
    price = f"<h3>Price</h3>{ranges}" if ranges else ""
    return f'<main class="shop"><aside class="facets"><h3>Category</h3>{checks}{price}</aside>{grid_html}</main>'
