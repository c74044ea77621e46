"""HTML → Tailwind/React/Vue: structure of the generated code, and pixel-identical rendering in Chromium.

The rendering test is the faithfulness proof: each page is rendered as written and as each target's
offline preview (vendored React/Vue/Babel/Tailwind inlined, network blocked), and the screenshots must be
identical, with no page errors and no request leaving the page.
"""
import io
import os
import re
import shutil

import pytest

from app.markup.parse import parse_css, specificity
from app.targets.react import html_to_react
from app.targets.registry import preview_html, transform
from app.targets.tailwind import _merge, html_to_tailwind, utility_for
from app.targets.vue import html_to_vue

TRICKY = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Acme dashboard</title>
<style>
*{box-sizing:border-box;margin:0;padding:0}
body{font-family:"DejaVu Sans",Arial,sans-serif;background:#f1f5f9;color:#0f172a}
.nav{display:flex;align-items:center;justify-content:space-between;padding:16px 32px;background:#1e293b;color:#fff}
.nav a{color:#cbd5e1;text-decoration:none;margin-left:20px;font-size:14px}
.logo{font-weight:700;font-size:20px}
.hero{padding:48px 32px;text-align:center}
.hero h1{font-size:36px;margin-bottom:12px}
h1{color:#334155}
.title{color:#2563eb}
.btn{display:inline-block;padding:10px 18px;border-radius:8px;background:#2563eb;color:#fff;font-weight:600}
.btn-outline{background:transparent;color:#2563eb;border:2px solid #2563eb}
.pad{padding-top:30px}
.pad2{padding:4px}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:16px;padding:0 32px}
.card{background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.card p{color:#64748b;font-size:14px;line-height:1.5}
.tag{font-size:12px;padding:2px 8px;border-radius:999px;background:#e0e7ff;color:#3730a3}
@media (max-width: 600px){.grid{grid-template-columns:1fr}}
.btn:hover{background:#1d4ed8}
</style></head>
<body>
<nav class="nav"><span class="logo">Acme</span><div><a href="#">Home</a><a href="#">Pricing</a><a href="#">Docs &amp; help</a></div></nav>
<header class="hero">
  <h1 class="title">Build {faster} &lt;today&gt; {{ now }}</h1>
  <p class="pad2 pad">Ship <strong>beautiful</strong> pages <em>in minutes</em>, not days.</p>
  <p style="margin-top:16px; font-size: 15px">
    <a class="btn" href="#">Start</a>
    <a class="btn btn-outline" href="#" onclick="go()">Learn more</a>
  </p>
</header>
<section class="grid">
  <article class="card"><h3>Fast</h3><p>Renders in <b>0.2 s</b>. <span class="tag">new</span> <span class="tag">beta</span></p></article>
  <article class="card"><h3>Safe</h3><p>No network at run time.</p>
    <form><label for="e">Email</label> <input id="e" type="email" value="a@b.c" readonly> <input type="checkbox" checked>
    <select><option>One</option><option selected>Two</option></select></form></article>
  <article class="card"><h3>Open</h3><p>MIT licensed &copy; 2026.</p><textarea rows="2">hello</textarea>
    <svg viewBox="0 0 10 10" width="20" height="20"><circle cx="5" cy="5" r="4" stroke-width="2" stroke="#111" fill="none"/></svg>
  </article>
</section>
</body></html>
"""


# A flow-layout page as the layout engine writes it: repeated siblings share one class (a 3-card grid) or one
# shape (a nav of 4 links separated by spaces, which render between inline elements).
GROUPS = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Groups</title>
<style>
*{box-sizing:border-box;margin:0;padding:0}
body{font-family:"DejaVu Sans",Arial,sans-serif;background:#f8fafc;color:#0f172a}
.menu{padding:16px 32px;background:#1e293b}
.menu a{color:#e2e8f0;text-decoration:none;font-size:15px}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:16px;padding:24px 32px}
.card{background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.card-badge{font-size:12px;padding:2px 8px;border-radius:999px;background:#e0e7ff;color:#3730a3}
.card h3{margin:12px 0 6px;font-size:20px}
.card p{color:#64748b;font-size:14px;line-height:1.5}
.thumb{display:block;width:48px;height:48px}
.more{color:#2563eb;font-size:14px}
</style></head>
<body>
<nav class="menu"><a href="#home">Home</a> <a href="#pricing">Pricing</a> <a href="#docs">Docs &amp; help</a> <a href="#blog">Blog</a></nav>
<section class="grid">
  <article class="card">
    <img class="thumb" src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='48' height='48'%3E%3Crect width='48' height='48' fill='%232563eb'/%3E%3C/svg%3E" alt="Blue square">
    <span class="card-badge">New</span>
    <h3>Fast</h3>
    <p>Renders in <b>0.2 s</b> on a laptop.</p>
    <a class="more" href="/fast">Read more</a>
  </article>
  <article class="card">
    <img class="thumb" src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='48' height='48'%3E%3Crect width='48' height='48' fill='%2316a34a'/%3E%3C/svg%3E" alt="Green square">
    <span class="card-badge">New</span>
    <h3>Safe {not} {{ a template }}</h3>
    <p>No network at <b>run time</b>, ever.</p>
    <a class="more" href="/safe">Read more</a>
  </article>
  <article class="card">
    <img class="thumb" src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='48' height='48'%3E%3Crect width='48' height='48' fill='%23dc2626'/%3E%3C/svg%3E" alt="Red square">
    <span class="card-badge">New</span>
    <h3>Open &lt;source&gt;</h3>
    <p>MIT licensed <b>&copy; 2026</b> "quoted".</p>
    <a class="more" href="/open">Read more</a>
  </article>
</section>
</body></html>
"""
GRID = re.sub(r"<nav.*</nav>\n", "", GROUPS)

# Siblings alike in class but not in shape, a pair (below the 3-item threshold), alike but for a style, and
# alike but for a textarea's text (a value no slot can carry): none of them becomes a group.
UNGROUPED = """<!DOCTYPE html><html><head><style>.box{padding:8px;border:1px solid #ccc}</style></head><body>
<div class="box"><h3>One</h3></div><div class="box"><h3>Two</h3><p>extra</p></div><div class="box"><p>Three</p></div>
<a class="pair" href="#a">A</a><a class="pair" href="#b">B</a>
<p class="tone" style="color:red">x</p><p class="tone" style="color:blue">y</p><p class="tone" style="color:green">z</p>
<label class="field"><textarea>a</textarea></label><label class="field"><textarea>b</textarea></label><label class="field"><textarea>c</textarea></label>
</body></html>
"""


# --------------------------------------------------------------------------------------------- structure
def test_react_structure():
    jsx = html_to_react(TRICKY)
    assert jsx.startswith('import React from "react";')
    assert "export default function App()" in jsx and "<style>{css}</style>" in jsx
    assert 'className="nav"' in jsx and 'htmlFor="e"' in jsx and "class=" not in jsx
    assert 'style={{ marginTop: "16px", fontSize: "15px" }}' in jsx
    assert 'defaultValue="a@b.c"' in jsx and "readOnly" in jsx and "defaultChecked" in jsx
    assert '<select defaultValue="Two">' in jsx and "selected" not in jsx.replace("defaultValue", "")
    assert 'viewBox="0 0 10 10"' in jsx and 'strokeWidth="2"' in jsx
    assert "onclick" not in jsx.lower() or "onClick" not in jsx  # string handlers are dropped
    assert "Build &#123;faster&#125; &lt;today&gt;" in jsx
    # Inline content stays on one line (JSX would drop newline whitespace that HTML renders as a space).
    assert "<p className=\"pad2 pad\">Ship <strong>beautiful</strong> pages <em>in minutes</em>, not days.</p>" in jsx
    assert '{" "}' in jsx  # the space between the two buttons


def test_react_groups_become_components():
    grid = html_to_react(GRID)
    assert grid.count("function Card") == 1 and grid.count(".map(") == 1
    assert "{cards.map((card, i) => <Card key={i} {...card} />)}" in grid
    assert "function Card({ src, alt, title, text, strong, text2, href }) {" in grid
    # Values alike in every card stay literal in the component; the others are props read from the array.
    assert grid.count("Read more") == 1 and grid.count(">New<") == 1
    assert '<a className="more" href={href}>Read more</a>' in grid and "<h3>{title}</h3>" in grid
    data = grid.split("const cards = [")[1].split("];")[0]
    assert 'title: "Fast"' in data and 'title: "Open <source>"' in data and 'href: "/safe"' in data
    assert grid.index("const cards") < grid.index("export default function App")
    jsx = html_to_react(GROUPS)
    assert jsx.count("function Card") == 1 and jsx.count("function Link({ href, label })") == 1
    assert jsx.count(".map(") == 2 and 'label: "Docs & help"' in jsx
    # The spaces between the inline links are rendered by the loop (JSX would drop the source's whitespace).
    assert '{links.map((link, i) => <React.Fragment key={i}>{i > 0 && " "}<Link {...link} /></React.Fragment>)}' in jsx
    for sig in re.findall(r"function \w+\(\{ ([^}]*) \}\)", jsx):
        assert all(re.fullmatch(r"[A-Za-z_$][\w$]*", name) for name in sig.split(", ")), sig


def test_vue_groups_become_v_for():
    grid = html_to_vue(GRID)
    assert grid.count("v-for=") == 1 and grid.count("<article") == 1
    assert '<article v-for="(card, i) in cards" :key="i" class="card">' in grid
    assert "<h3>{{ card.title }}</h3>" in grid and ':href="card.href"' in grid and grid.count("Read more") == 1
    assert "data() {" in grid and 'title: "Safe {not} {{ a template }}"' in grid
    vue = html_to_vue(GROUPS)
    assert vue.count("v-for=") == 2
    assert ('<template v-for="(link, i) in links" :key="i">{{ i ? \' \' : \'\' }}<a :href="link.href">'
            "{{ link.label }}</a></template>") in vue


def test_differently_shaped_siblings_are_not_grouped():
    jsx, vue = html_to_react(UNGROUPED), html_to_vue(UNGROUPED)
    assert ".map(" not in jsx and jsx.count("function ") == 1  # App only
    assert "v-for" not in vue and "data()" not in vue
    assert jsx.count("<textarea") == 3 and 'style={{ color: "green" }}' in jsx and 'href="#b"' in jsx


def test_vue_structure():
    vue = html_to_vue(TRICKY)
    assert vue.startswith("<template>") and "<script>" in vue and "<style>" in vue
    assert 'name: "AcmeDashboard"' in vue
    assert "{{ '{{' }} now }}" in vue  # a literal "{{" is not an interpolation
    assert "onclick" not in vue
    assert "{{ ' ' }}" in vue  # the space between the two buttons survives Vue's whitespace condensing


def test_tailwind_structure():
    tw = html_to_tailwind(TRICKY)
    assert '<style type="text/tailwindcss">' in tw and "tailwindcss/utilities.css" in tw
    assert "preflight" not in tw  # the page was styled against browser defaults, not Tailwind's reset
    nav = re.search(r'<nav class="([^"]+)"', tw).group(1).split()
    assert {"flex", "items-center", "justify-between", "[padding:16px_32px]", "text-[#fff]"} <= set(nav)
    assert "nav" in nav  # still named by the kept rule `.nav a`
    # btn + btn-outline merged in cascade order: the later background/colour win, the earlier are gone.
    outline = re.search(r'<a class="([^"]+)" href="#" onclick', tw).group(1).split()
    assert "[background:transparent]" in outline and "[background:#2563eb]" not in outline
    assert "text-[#2563eb]" in outline and "text-[#fff]" not in outline
    assert "hover:[background:#1d4ed8]" in outline
    grid = re.search(r'<section class="([^"]+)"', tw).group(1).split()
    assert "max-[600px]:[grid-template-columns:1fr]" in grid
    # A later shorthand resets an earlier longhand: .pad2{padding:4px} comes after .pad{padding-top:30px}.
    pad = re.search(r'<p class="([^"]+)">Ship', tw).group(1).split()
    assert "p-1" in pad and not any(c.startswith("pt-") for c in pad)
    # `h1{...}` is weaker than a class: it goes to the base layer; `.hero h1` is stronger: unlayered.
    base = tw.split("@layer base {")[1].split("}\n</style>")[0]
    assert "h1{color:#334155}" in base and ".hero h1" not in base
    assert ".hero h1{" in tw.split("</style>")[1]


@pytest.mark.parametrize("prop,value,expected", [
    ("padding", "12px", "p-3"), ("margin-top", "-8px", "-mt-2"), ("gap", "10px", "gap-[10px]"),
    ("display", "none", "hidden"), ("color", "#fff", "text-[#fff]"), ("font-size", "14px", "text-[14px]"),
    ("font-family", "'Inter', sans-serif", "[font-family:'Inter',_sans-serif]"),
    ("grid-template-columns", "repeat(3, 1fr)", "[grid-template-columns:repeat(3,_1fr)]"),
    ("content", "'a_b'", "[content:'a\\_b']"),
])
def test_utility_for(prop, value, expected):
    assert utility_for(prop, value) == expected


def test_merge_and_specificity():
    assert _merge([("padding-top", "1px"), ("padding", "2px")]) == [("padding", "2px")]
    assert _merge([("padding", "2px"), ("padding-top", "1px")]) == [("padding", "2px"), ("padding-top", "1px")]
    assert _merge([("border-radius", "4px"), ("border", "1px solid red")]) == [
        ("border-radius", "4px"), ("border", "1px solid red")]  # border does not reset the radius
    assert specificity("h1") == (0, 0, 1) and specificity(".a b") == (0, 1, 1)
    assert specificity("#x .y:hover::before") == (1, 2, 1) and specificity("*") == (0, 0, 0)
    rules = parse_css("/* c */ a{color:red} @media (max-width:600px){.g{gap:1px}} @font-face{font-family:x}")
    assert [r.selector for r in rules][:2] == ["a", ".g"] and rules[1].media == "(max-width:600px)"
    assert rules[2].raw.startswith("@font-face")


def test_transform_html_is_identity_and_unknown_target():
    assert transform(TRICKY, "html") == TRICKY
    with pytest.raises(ValueError):
        transform(TRICKY, "svelte")


# --------------------------------------------------------------------------------------------- rendering
def _pages():
    pages = [("tricky", TRICKY, 1024, 700), ("groups", GROUPS, 1024, 600), ("ungrouped", UNGROUPED, 800, 400)]
    from train.corpus.generator import generate_page

    for seed in (4, 18):  # a mobile app page with a list, a desktop section with a table
        p = generate_page(seed)
        pages.append((f"corpus-{seed}", p.html, p.width, p.height))
    samples = os.path.join(os.path.dirname(__file__), "..", "assets", "samples")
    if os.path.isdir(samples):
        for name in sorted(os.listdir(samples))[:8]:
            if name.endswith(".html"):
                with open(os.path.join(samples, name), encoding="utf-8") as f:
                    pages.append((name, f.read(), 1280, 800))
    return pages


# Each preview is ready when its runtime has produced the page (React renders asynchronously; the
# Tailwind runtime compiles its stylesheet after load).
READY = {
    "html": "() => true",
    "react": "() => document.body.children.length > 0",
    "vue": "() => document.body.children.length > 0",
    "tailwind": "() => [...document.querySelectorAll('style')].some(s => !s.type && "
                "s.textContent.includes('tailwindcss v'))",
}


@pytest.fixture(scope="module")
def browser_page():
    if not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    from app.scoring.render import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        state = {"errors": [], "requests": []}

        def route(r):
            if r.request.url.startswith(("data:", "about:", "blob:")):
                r.continue_()
            else:
                state["requests"].append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda e: state["errors"].append(str(e)))
        page.on("console", lambda m: state["errors"].append(m.text) if m.type == "error" else None)
        yield page, state
        browser.close()


def _shot(page, html, target):
    from PIL import Image

    page.set_content(html, wait_until="load")
    page.wait_for_function(READY[target], timeout=15000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return Image.open(io.BytesIO(page.screenshot(full_page=True, animations="disabled", caret="hide"))).convert("RGB")


@pytest.mark.parametrize("target", ["tailwind", "react", "vue"])
def test_targets_render_identically(browser_page, target):
    from PIL import ImageChops

    page, state = browser_page
    for name, html, width, height in _pages():
        page.set_viewport_size({"width": width, "height": height})
        state["errors"].clear()
        state["requests"].clear()
        ref = _shot(page, html, "html")
        got = _shot(page, preview_html(transform(html, target), target), target)
        assert not state["errors"], f"{name} as {target}: page errors {state['errors']}"
        assert not state["requests"], f"{name} as {target}: the preview tried to fetch {state['requests']}"
        assert got.size == ref.size, f"{name} as {target}: page size {got.size} != {ref.size}"
        assert ImageChops.difference(ref, got).getbbox() is None, f"{name} as {target}: pixels differ"

