"""app/scoring/quality.py and `uicode eval --pages-dir / --rescore`: each code-quality measure on small pages drawn
by Chromium whose answer is known, the "beyond the reference" figures, and a rescore of a folder of two pages."""
import json

import pytest

from app.scoring.quality import PHONE, measure, render_and_read
from app.scoring.render import Renderer
from uicode.errors import RenderError

HEAD = '<!doctype html><html><head><meta charset="utf-8"><style>body{margin:8px;font:16px sans-serif}</style></head>'

# Four labels a quarter of the viewport apart: clear of each other at 1280 px, on top of each other at 390 px.
ABSOLUTE = HEAD + "<body>" + "".join(
    f'<span style="position:absolute;top:20px;left:{25 * i}%">Quarterly revenue {i}</span>' for i in range(4)
) + "</body></html>"
FLOWING = HEAD + """<body>
<div style="display:flex;flex-wrap:wrap;gap:12px"><p style="flex:1 1 160px">Alpha beta gamma delta</p>
<p style="flex:1 1 160px">Epsilon zeta eta theta</p><p style="flex:1 1 160px">Iota kappa lambda mu</p></div>
<div style="display:grid;grid-template-columns:repeat(auto-fit,minmax(110px,1fr));gap:8px">
<span>One</span><span>Two</span><span>Three</span><span>Four</span></div></body></html>"""
WIDE_TABLE = HEAD + """<body><table style="width:1200px"><tr><td>Name</td><td>Price</td><td>Stock</td></tr>
<tr><td>Lamp</td><td>12</td><td>4</td></tr></table></body></html>"""


def layout(renderer, html, width):
    return render_and_read(renderer, html, width, 600)[1]


def test_absolutely_placed_spans_are_all_absolute_text_and_overlap_only_when_narrow(renderer):
    wide, narrow = layout(renderer, ABSOLUTE, 1280), layout(renderer, ABSOLUTE, PHONE)
    assert wide.abs_text_share == 1.0 and narrow.abs_text_share == 1.0
    assert wide.nodes == 4 and wide.overlap_share == 0.0
    assert narrow.overlap_share > 0


def test_a_flex_and_grid_page_has_no_absolute_text_no_overlap_and_no_sideways_scroll(renderer):
    for width in (1280, PHONE):
        got = layout(renderer, FLOWING, width)
        assert got.nodes == 7 and got.abs_text_share == 0.0 and got.overlap_share == 0.0 and not got.sideways


def test_a_1200px_table_scrolls_sideways_at_390_but_not_at_1280(renderer):
    assert layout(renderer, WIDE_TABLE, PHONE).sideways
    assert not layout(renderer, WIDE_TABLE, 1280).sideways


def test_absolute_share_counts_visible_characters_under_a_positioned_ancestor(renderer):
    page = HEAD + """<body><div style="position:fixed;top:0;right:0"><b>0123456789</b></div>
    <p style="margin-top:60px">abcdefghij klmnopqrst uvwxyzabcd</p>
    <p style="display:none">hidden hidden hidden</p><p style="visibility:hidden">gone gone gone</p>
    <div style="opacity:0"><p>transparent words</p></div></body></html>"""
    got = layout(renderer, page, 800)
    assert (got.chars, got.abs_chars) == (40, 10)  # 10 fixed + 30 in flow; hidden text not counted
    assert got.abs_text_share == pytest.approx(0.25)


def test_text_boxes_overlap_only_above_a_fifth_of_the_smaller_box(renderer):
    def pair(dx):
        return HEAD + ('<body><span style="position:absolute;left:100px;top:50px">WWWWWWWWWW</span>'
                       f'<span style="position:absolute;left:{100 + dx}px;top:50px">WWWWWWWWWW</span></body></html>')

    assert layout(renderer, pair(1000), 1280).overlap_share == 0.0  # far apart; then one label's width:
    w = renderer.probe("() => document.querySelector('span').getBoundingClientRect().width")
    assert layout(renderer, pair(round(w * 0.9)), 1280).overlap_share == 0.0  # 10% of the box shared
    assert layout(renderer, pair(round(w * 0.5)), 1280).overlap_share == 1.0  # half of it shared


def test_lines_of_one_text_node_do_not_overlap_themselves(renderer):
    page = HEAD + ('<body><p style="width:120px;line-height:0.6">' + "word " * 40 + "</p></body></html>")
    assert layout(renderer, page, 800).overlap_share == 0.0


def test_measure_counts_only_what_the_candidate_adds_beyond_the_reference(renderer):
    same = measure(renderer, WIDE_TABLE, WIDE_TABLE, 1280, 600)
    assert same.sideways_390 and same.ref_sideways_390 and not same.sideways_390_beyond
    assert same.d2c_768 == pytest.approx(1.0) and same.d2c_390 == pytest.approx(1.0)
    assert same.page_scores.overall == pytest.approx(1.0)
    pinned = FLOWING.replace("<body>", '<body style="width:1264px">')  # as FLOWING at 1280 px, and no narrower
    worse = measure(renderer, FLOWING, pinned, 1280, 600)
    assert worse.page_scores.overall == pytest.approx(1.0) and worse.sideways_390_beyond
    assert worse.d2c_390 < worse.d2c_768 < 0.999
    placed = measure(renderer, FLOWING, ABSOLUTE, 1280, 600)
    assert placed.abs_text_share == 1.0 and placed.ref_abs_text_share == 0.0
    assert placed.overlap_390 > 0 and placed.overlap_390_beyond == pytest.approx(placed.overlap_390)
    back = measure(renderer, ABSOLUTE, FLOWING, 1280, 600)  # the candidate overlaps less: nothing beyond
    assert back.ref_overlap_390 > 0 and back.overlap_390_beyond == 0.0
    assert same.height_fit == 1.0
    tall = measure(renderer, FLOWING, FLOWING.replace("<body>", '<body style="min-height:2400px">'), 1280, 600)
    assert tall.height_fit == pytest.approx(600 / 2400, abs=0.01)  # FLOWING is shorter than its viewport
    row = placed.as_dict()
    assert isinstance(row["sideways_390_beyond"], bool) and "page_scores" not in row
    assert json.loads(json.dumps(row)) == row


def test_probe_before_any_render_is_a_render_error():
    r = Renderer()
    with pytest.raises(RenderError, match="render"):
        r.probe("() => 1")


# ------------------------------------------------------------------------------------ uicode eval --rescore
@pytest.fixture
def pages_dir(renderer, tmp_path):
    """Two tiny real-like pages: NAME.html (with an image beside it), NAME.png and viewports.json."""
    d = tmp_path / "pages_in"
    d.mkdir()
    from PIL import Image

    Image.new("RGB", (200, 150), (200, 30, 30)).save(d / "pic.png")
    pages = {"flow": FLOWING.replace("<body>", '<body><img src="pic.png" width="200" height="150">'),
             "table": WIDE_TABLE}
    for name, html in pages.items():
        (d / f"{name}.html").write_text(html)
        (d / f"{name}.png").write_bytes(renderer.render(d / f"{name}.html", width=800, height=600).png)
    (d / "viewports.json").write_text(json.dumps({n: {"width": 800, "height": 600} for n in pages}))
    return d


def test_rescore_scores_an_earlier_runs_pages_with_the_new_measures(pages_dir, tmp_path, capsys):
    from app.scoring.evaluate import main

    run = tmp_path / "run"
    (run / "pages").mkdir(parents=True)
    (run / "pages" / "flow.html").write_text(ABSOLUTE)  # a converted page that placed everything absolutely
    (run / "pages" / "flow.model.html").write_text(FLOWING)
    (run / "pages" / "table.html").write_text(WIDE_TABLE)
    (run / "eval.json").write_text(json.dumps({"checkpoint": "ck", "device": "cpu", "rows": [
        {"name": "flow", "seconds": 3.0, "new_tokens": 7, "overall": 0.0},
        {"name": "table", "seconds": 5.0, "new_tokens": 9, "overall": 0.0}]}))
    assert main(["--pages-dir", str(pages_dir), "--rescore", str(run)]) == 0
    err = capsys.readouterr().err
    assert "[1/2] flow:" in err and "[2/2] table:" in err
    report = json.loads((run / "rescore.json").read_text())
    rows = {r["name"]: r for r in report["rows"]}
    assert rows["table"]["overall"] == pytest.approx(1.0) and rows["table"]["sideways_390"]
    assert not rows["table"]["sideways_390_beyond"]  # the reference scrolls sideways too
    assert rows["flow"]["abs_text_share"] == 1.0 and rows["flow"]["overall"] < 0.9
    assert rows["flow"]["seconds"] == 3.0 and rows["flow"]["new_tokens"] == 7  # kept from the earlier run
    assert rows["flow"]["model_share"] is None and report["mean"]["model_share"] is None
    assert rows["flow"]["model_page"]["overall"] > rows["flow"]["overall"]  # the model's own page, scored too
    assert "model_page" not in rows["table"] and report["model_page"]["pages"] == 1
    mean = report["mean"]
    assert mean["abs_text_share"] == pytest.approx(0.5) and mean["sideways_390"] == pytest.approx(0.5)
    assert mean["seconds_per_page"] == pytest.approx(4.0) and report["checkpoint"] == "ck"
    for key in ("overlap_page", "overlap_390", "overlap_page_beyond", "overlap_390_beyond",
                "sideways_390_beyond", "d2c_768", "d2c_390"):
        assert key in mean and key in rows["flow"]


def test_record_writes_the_quality_table(pages_dir, tmp_path):
    from app.scoring.evaluate import record, rescore

    run = tmp_path / "run"
    (run / "pages").mkdir(parents=True)
    (run / "pages" / "table.html").write_text(WIDE_TABLE)
    (run / "pages" / "flow.html").write_text(WIDE_TABLE)
    report = rescore(run, None, 10, pages_dir=pages_dir)
    results = tmp_path / "RESULTS.md"
    record(report, results)
    text = results.read_text()
    assert "real pages" in text and "--rescore" in text and "abs. positioned text" in text
    row = next(l for l in text.splitlines() if l.startswith("| handed over"))
    assert "| 50% |" in row  # the table page on top of the flowing one scrolls sideways beyond its reference


@pytest.mark.parametrize("make, args, message", [
    (lambda d: None, ["--pages-dir", "{d}/absent"], "no such folder"),
    (lambda d: (d / "p").mkdir(), ["--pages-dir", "{d}/p"], "no viewports.json"),
    (lambda d: ((d / "p").mkdir(), (d / "p" / "viewports.json").write_text('{"a": {"width": 800, "height": 600}}')),
     ["--pages-dir", "{d}/p"], "a.png is missing"),
    (lambda d: ((d / "p").mkdir(), (d / "p" / "viewports.json").write_text("[1")), ["--pages-dir", "{d}/p"],
     "viewports.json cannot be read"),
    (lambda d: (d / "p").mkdir(), ["--pages-dir", "{d}/p", "--corpus", "{d}/c"], "give one or the other"),
    (lambda d: (d / "run").mkdir(), ["--rescore", "{d}/run"], "no pages/ folder"),
])
def test_eval_pages_arguments_are_one_line_errors(make, args, message, tmp_path, capsys):
    from app.scoring.evaluate import main

    make(tmp_path)
    with pytest.raises(SystemExit) as e:
        main([a.format(d=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert e.value.code == 2 and message in err and "Traceback" not in err


def test_rescore_of_a_run_with_none_of_the_folders_pages_is_a_one_line_error(pages_dir, tmp_path, capsys):
    from app.scoring.evaluate import main

    (tmp_path / "run" / "pages").mkdir(parents=True)
    (tmp_path / "run" / "pages" / "seed_3.html").write_text(FLOWING)
    with pytest.raises(SystemExit) as e:
        main(["--pages-dir", str(pages_dir), "--rescore", str(tmp_path / "run")])
    assert e.value.code == 2 and "no page under" in capsys.readouterr().err


def test_eval_pages_dir_converts_each_page_and_scores_it_against_its_file(pages_dir, tmp_path, monkeypatch, capsys):
    """The conversion is stubbed (the pipeline's own tests cover it): the page handed over is the reference with
    its image inlined, so it scores 1.0 only if the reference was rendered from its file, image and all."""
    import base64
    import types

    import app.pipeline
    from app.scoring.evaluate import evaluate

    inline = "data:image/png;base64," + base64.b64encode((pages_dir / "pic.png").read_bytes()).decode()
    seen = []

    def convert(self, request, cancel=None):
        name = request.media[0].stem
        seen.append(name)
        code = (pages_dir / f"{name}.html").read_text().replace('src="pic.png"', f'src="{inline}"')
        return types.SimpleNamespace(code=code, raw_text=f"```html\n{code}\n```", new_tokens=3, completed_lines=0,
                                     **({"model_share": 0.75} if name == "flow" else {}))

    monkeypatch.setattr(app.pipeline.Pipeline, "convert", convert)
    report = evaluate(None, 5, None, "cpu", tmp_path / "out", max_new_tokens=8, examples=1, pages_dir=pages_dir)
    assert seen == ["flow", "table"] and report["source"] == f"pages {pages_dir}"
    rows = {r["name"]: r for r in report["rows"]}
    assert rows["flow"]["overall"] == pytest.approx(1.0, abs=1e-4)
    assert rows["flow"]["model_share"] == 0.75 and rows["table"]["model_share"] is None
    assert report["mean"]["model_share"] == 0.75  # the mean of the pages that report one
    assert rows["table"]["sideways_390"] and not rows["table"]["sideways_390_beyond"]
    assert (tmp_path / "out" / "pages" / "flow.html").read_text().startswith("<!doctype html>")
    assert (tmp_path / "out" / "pages" / "table.model.html").is_file()
    assert (tmp_path / "out" / "side_by_side_1.png").is_file()
    assert "[2/2] table: overall 1.000" in capsys.readouterr().err


def test_a_page_converted_band_by_band_is_judged_on_all_its_bands(pages_dir, tmp_path, monkeypatch):
    """The model's own page of a banded conversion is its bands' pages joined, and its code is well-formed
    before repair only if every band's is (the longest band alone was judged before)."""
    import types

    import app.pipeline
    from app.scoring.evaluate import evaluate

    good, cut = "<html><body><p>Band one, a longer band than the other</p></body></html>", "<html><body><p>Band two"
    joined = "<html><body><p>Band one</p><p>Band two</p></body></html>"

    def convert(self, request, cancel=None):
        raw = f"```html\n{good}\n```\n```html\n{cut}"
        return types.SimpleNamespace(code=joined, raw_text=raw, new_tokens=3, model_code=joined)

    monkeypatch.setattr(app.pipeline.Pipeline, "convert", convert)
    report = evaluate(None, 5, None, "cpu", tmp_path / "out", max_new_tokens=8, examples=0, pages_dir=pages_dir)
    assert not any(r["raw_well_formed"] for r in report["rows"])
    assert (tmp_path / "out" / "pages" / "flow.model.html").read_text() == joined


def test_the_scored_text_blocks_and_the_quality_measures_read_the_same_visible_text(renderer):
    """One walk of the visible text for both readers of a rendered page: text under a transparent ancestor,
    a hidden one, a script or a select is neither scored nor counted."""
    page = ("<!DOCTYPE html><html><body><p>Seen here</p><div style='opacity:0'><p>ghost words</p></div>"
            "<div style='visibility:hidden'><span>hidden words</span></div><script>var x = 'code';</script>"
            "<select><option>Choice</option></select></body></html>")
    shot, got = render_and_read(renderer, page, 800, 600)
    texts = [b.text for b in shot.blocks]
    assert "Seen here" in texts and not any("ghost" in t or "hidden" in t or "code" in t for t in texts)
    assert got.chars == len("Seenhere")


def test_class_reuse_is_the_share_of_classed_elements_whose_class_another_also_carries(renderer):
    # 6 classed elements: "card" ×3 and "b a" / "a b" (one class list, in either order) share; "lone" does not
    page = HEAD + ('<body><div class="card">1</div><div class="card">2</div><div class="card">3</div>'
                   '<p class="a b">x</p><p class="b a">y</p><p class="lone">z</p><p>no class</p></body></html>')
    assert layout(renderer, page, 800).class_reuse == pytest.approx(5 / 6)
    one_off = HEAD + '<body><p class="t1">a</p><p class="t2">b</p></body></html>'
    assert layout(renderer, one_off, 800).class_reuse == 0.0
    got = measure(renderer, one_off, page, 800, 600)
    assert got.class_reuse == pytest.approx(5 / 6) and got.ref_class_reuse == 0.0
    assert got.as_dict()["class_reuse"] == pytest.approx(0.8333, abs=1e-4)
