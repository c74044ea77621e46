"""Keeping the model's regions (app.compose.choose): region by region of the engine's page, the model's
element is kept where it renders closer to the input, never when it places its text absolutely."""
import numpy as np
import pytest

from app.compose.choose import MARGIN, compose
from app.compose.html import write
from app.layout.infer import infer
from vision.ocr import ocr_image

W, H = 900, 640
PAGE = """<!DOCTYPE html><html><head><style>
body{margin:0;font-family:Arial,Helvetica,sans-serif;color:#1f2937}
header{display:flex;justify-content:space-between;align-items:center;padding:18px 40px;background:#0f172a;color:#fff}
.hero{padding:48px 40px;background:#eef2ff}.hero h1{margin:0 0 12px;font-size:40px}.hero p{margin:0;font-size:18px}
.cards{display:grid;grid-template-columns:repeat(3,1fr);gap:24px;padding:32px 40px}
.card{border:1px solid #d1d5db;border-radius:8px;padding:16px}.card h3{margin:0 0 8px;font-size:20px}
.card p{margin:0;font-size:15px;color:#4b5563}
footer{padding:16px 40px;background:#e5e7eb;font-size:14px}
</style></head><body>
<header><b style="font-size:22px">Northwind</b><nav style="display:flex;gap:24px;font-size:16px">
<span>Pricing</span><span>Docs</span><span>Blog</span></nav></header>
<section class="hero"><h1>Analytics for small teams</h1><p>Dashboards your whole team understands.</p></section>
<section class="cards"><div class="card"><h3>Reports</h3><p>Weekly summaries by mail.</p></div>
<div class="card"><h3>Alerts</h3><p>Know when numbers move.</p></div>
<div class="card"><h3>Exports</h3><p>CSV and Excel in one click.</p></div></section>
<footer>Copyright Northwind Labs</footer>
</body></html>"""
# The same words, each line absolutely positioned where the page shows it: a tracer's page, not code.
TRACED = """<!DOCTYPE html><html><head><style>body{margin:0;position:relative;height:640px;font-family:Arial}
span{position:absolute;white-space:nowrap}</style></head><body>
<span style="left:40px;top:20px">Northwind</span><span style="left:620px;top:22px">Pricing Docs Blog</span>
<span style="left:40px;top:110px;font-size:40px">Analytics for small teams</span>
<span style="left:40px;top:170px">Dashboards your whole team understands.</span>
<span style="left:60px;top:280px">Reports Weekly summaries by mail.</span>
<span style="left:340px;top:280px">Alerts Know when numbers move.</span>
<span style="left:620px;top:280px">Exports CSV and Excel in one click.</span>
<span style="left:40px;top:600px">Copyright Northwind Labs</span></body></html>"""


@pytest.fixture(scope="module")
def drawn(renderer):
    image = renderer.render(PAGE, width=W, height=H).image().convert("RGB")
    return image, write(infer(np.asarray(image), ocr_image(image).lines))


def test_a_model_page_that_renders_as_the_input_is_kept_where_it_is_closer(renderer, drawn):
    from app.markup.check import is_well_formed

    image, written = drawn
    done = compose(written, PAGE, image, renderer)
    assert done.model_regions >= 2 and 0.3 <= done.model_share <= 1.0, (done.model_regions, done.model_share)
    assert is_well_formed(done.html, single_style=True) and 'class="from-model"' in done.html
    assert ".from-model .card{" in done.html  # the model's stylesheet, scoped to its regions
    # both scores of every region with text; the model's kept exactly where its score is the higher by MARGIN
    assert len(done.scores) == sum(1 for *_, band in written.regions if band.text or any(n.text for n in band.walk()))
    assert sum(m is not None and m > e + MARGIN for _, e, m in done.scores) == done.model_regions
    shot = renderer.render(done.html, width=W, height=H)
    texts = " ".join(b.text for b in shot.blocks)
    for t in ("Analytics for small teams", "Weekly summaries by mail.", "Copyright Northwind Labs"):
        assert texts.count(t) == 1, t  # each region written once, by one author


def test_a_traced_page_of_absolutely_placed_lines_is_never_kept(renderer, drawn):
    image, written = drawn
    done = compose(written, TRACED, image, renderer)
    assert done.model_regions == 0 and done.model_share == 0.0
    assert done.html == written.html() and "position:absolute" not in done.html
    assert done.scores and all(m is None for _, _, m in done.scores)  # no element of it stands for a region


def test_without_a_model_page_the_engines_page_is_handed_over(renderer, drawn):
    image, written = drawn
    for empty in (None, "", "   "):
        done = compose(written, empty, image, renderer)
        assert done.html == written.html() and done.model_share == 0.0
