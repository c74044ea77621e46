"""The synthetic UI corpus: determinism by seed, the held-out split, well-formed canonical HTML,
grammar coverage, the size bound, rendering, and the resumable builder CLI."""
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.markup.check import check_html
from train.corpus import VIEWPORTS, generate_page, split_of, split_seeds
from train.corpus.css import PROPERTY_ORDER, Stylesheet
from train.corpus.generator import FIXED
from uicode.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(150)


def _css(html):
    return re.search(r"<style>\n(.*?)\n</style>", html, re.S).group(1)


def test_same_seed_same_page_across_processes():
    # A fresh interpreter with a different hash seed must produce byte-identical pages:
    # catches any use of hash(), set iteration order or the clock in the generator.
    code = ("import hashlib;from train.corpus import generate_page;"
            "print(hashlib.sha256(''.join(generate_page(s).html for s in range(40)).encode()).hexdigest())")
    outs = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                           env={"PYTHONHASHSEED": h, "PATH": "/usr/bin"}, check=True).stdout.strip()
            for h in ("1", "2")}
    here = hashlib.sha256("".join(generate_page(s).html for s in range(40)).encode()).hexdigest()
    assert outs == {here}
    assert generate_page(5).html != generate_page(6).html


def test_heldout_split_is_disjoint_and_stable():
    train = split_seeds("train", 0, 600)
    held = split_seeds("heldout", 0, 30)
    assert not set(train) & set(held)
    assert all(split_of(s) == "heldout" for s in held) and all(split_of(s) == "train" for s in train)
    # Roughly the documented 5 % share, and the pages themselves differ.
    assert 0.02 < len([s for s in range(2000) if split_of(s) == "heldout"]) / 2000 < 0.08
    train_html = {generate_page(s).html for s in train}
    assert not train_html & {generate_page(s).html for s in held}
    assert generate_page(held[0]).split == "heldout"
    with pytest.raises(ValueError):
        split_seeds("test", 0, 1)


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_pages_are_well_formed_canonical_and_bounded(difficulty):
    order = {p: i for i, p in enumerate(PROPERTY_ORDER)}
    for s in SEEDS:
        page = generate_page(s, difficulty=difficulty)
        assert check_html(page.html, single_style=True) == [], (s, check_html(page.html, single_style=True))
        css = _css(page.html)
        selectors = [line.split("{")[0] for line in css.splitlines()]
        assert len(selectors) == len(set(selectors)), f"seed {s}: duplicate selector"
        body = page.html.split("<body>")[1]
        for line in css.splitlines():
            sel, decls = line[:-1].split("{")
            props = [d.split(":")[0] for d in decls.split(";")]
            assert props == sorted(props, key=order.__getitem__), f"seed {s}: {line}"
            # No redundant rules: every class a rule names occurs in the markup.
            for cls in re.findall(r"\.([a-z][\w-]*)", sel):
                assert re.search(rf'class="[^"]*\b{cls}\b', body), f"seed {s}: unused .{cls}"
        nbytes = len(page.html.encode())
        assert nbytes == page.meta["html_bytes"]
        if len(page.parts) > 1 and difficulty > 1:
            assert nbytes <= 3072 + 512, f"seed {s}: {nbytes} bytes"


def test_max_bytes_knob_drops_sections():
    big = [generate_page(s, difficulty=3) for s in range(40)]
    small = [generate_page(s, difficulty=3, max_bytes=1800) for s in range(40)]
    assert sum(len(p.html) for p in small) < sum(len(p.html) for p in big)
    for b, s in zip(big, small):
        assert set(s.parts) <= set(b.parts)
        # Over the bound only when nothing droppable is left: the frame parts and the whole-page parts
        # of the wider kinds (article, records, …, which shorten their lists instead) are never dropped.
        assert len(s.html.encode()) <= 1800 or all(p in FIXED or p == s.parts[-1] for p in s.parts)


def test_grammar_covers_every_part_and_viewport():
    pages = [generate_page(s) for s in range(400)]
    parts = {p for page in pages for p in page.parts}
    assert parts >= {"nav", "hero", "features", "cards", "pricing", "form", "table", "stats", "articles",
                     "cta", "footer", "modal", "appbar", "list", "tabbar", "dashboard"}
    assert {p.viewport for p in pages} == set(VIEWPORTS)
    assert {p.difficulty for p in pages} == {1, 2, 3}
    assert {p.kind for p in pages} >= {"landing", "dashboard", "blog", "signin", "modal", "app", "section", "band", "slice"}
    html = "".join(p.html for p in pages)
    for tag in ("<nav>", "<header", "<footer", "<section", "<article", "<aside", "<main>", "<form>",
                "<select>", 'type="checkbox"', "<table>", "<button"):
        assert tag in html
    # Varied styling: several fonts, radii and both light and dark themes.
    assert len(set(re.findall(r"body\{[^}]*font:[^;]*", html))) >= 8
    assert "#0f172a" in html and "#ffffff" in html


def test_same_component_written_the_same_way():
    # The nav bar's markup skeleton is identical across pages (only text and theme values vary).
    shapes = set()
    for s in range(200):
        page = generate_page(s)
        m = re.search(r'<header class="nav">.*?</header>', page.html)
        if m and page.viewport != "mobile":
            links = re.sub(r"(<a/>)+", "<a/>", re.sub(r'<a href="#">[^<]*</a>', "<a/>", m.group(0)))
            shapes.add(re.sub(r">[^<]+<", "><", links))
    assert len(shapes) == 2  # with and without the call-to-action button


def test_stylesheet_is_canonical():
    css = Stylesheet()
    css.add(".a", {"color": "#fff", "display": "flex", "border-radius": "0", "padding": None})
    css.add(".a", {"gap": "8px"})
    assert css.render() == ".a{display:flex;gap:8px;color:#fff}"
    with pytest.raises(ValueError):
        css.add(".b", {"colour": "red"})


@pytest.fixture(scope="module")
def renderer():
    from app.scoring.render import Renderer

    with Renderer() as r:
        yield r


def test_generated_pages_render(renderer):
    from PIL import Image
    import io

    picked = {}
    for s in range(60):
        p = generate_page(s)
        picked.setdefault((p.viewport, p.difficulty), p)
    for page in list(picked.values())[:8]:
        res = renderer.render(page.html, width=page.width, height=page.height)
        assert res.width == page.width and res.height >= page.height
        assert res.blocks, f"seed {page.seed}: no text rendered"
        assert not res.blocked
        img = Image.open(io.BytesIO(res.png)).convert("L")
        assert img.getextrema()[0] < img.getextrema()[1]  # not a blank picture


def test_a_header_or_footer_alone_is_a_page_as_thin_as_a_band(renderer):
    """`uicode convert --bands` hands the model a page's header alone (a band 60 to 100 px tall); the corpus
    has such pages, rendered as thin."""
    bands = [p for p in (generate_page(s, difficulty=1) for s in range(300)) if p.kind == "band"]
    assert {p.parts for p in bands} >= {("nav",), ("footer",), ("appbar",)}
    for page in bands[:4]:
        shot = renderer.render(page.html, width=page.width, height=page.height, full_page=True)
        assert 30 <= shot.height <= 200, (page.seed, page.parts, shot.height)


def test_a_sidebar_frame_around_one_section_is_a_page_as_tall_as_its_band(renderer):
    """`uicode convert --bands` hands the model the top band of an app page: the sidebar's top beside one section
    of the main column. The corpus has such pages, rendered no taller than their content."""
    slices = [p for p in (generate_page(s, difficulty=2) for s in range(200)) if p.kind == "slice"]
    assert {p.parts[0] for p in slices} == {"dashboard", "admin", "dashboard-mid", "admin-mid"}
    assert all(len(p.parts) == 2 for p in slices)
    for page in slices:  # a band from the middle of a page shows no logo
        assert "<aside" in page.html and "<main>" in page.html
        assert ('class="logo"' in page.html) == (not page.parts[0].endswith("-mid")), page.seed
        shot = renderer.render(page.html, width=page.width, height=page.height, full_page=True)
        assert 200 <= shot.height < 1000, (page.seed, page.parts, shot.height)


def test_builder_cli_writes_and_resumes(tmp_path, capsys):
    from train.corpus.__main__ import main

    out = tmp_path / "c"
    assert main(["build", str(out), "--count", "2", "--seed", "3", "--split", "heldout", "--no-ocr"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["made"] == 2
    for i in range(2):
        meta = json.loads((out / f"page_{i:05d}.json").read_text())
        assert meta["split"] == "heldout" and meta["blocks"] and meta["png"][0] == meta["viewport"]["width"]
        assert (out / f"page_{i:05d}.html").read_text() == generate_page(meta["seed"]).html
        assert (out / f"page_{i:05d}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 2
    # Resume: nothing is redone; a changed argument is refused with a one-line error.
    assert main(["build", str(out), "--count", "2", "--seed", "3", "--split", "heldout", "--no-ocr"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["made"] == 0
    assert main(["build", str(out), "--count", "2", "--seed", "4", "--split", "heldout", "--no-ocr"]) == ConfigError.exit_code
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "seed" in err and "\n" not in err


def test_cli_show_prints_the_page(capsys):
    from train.corpus.__main__ import main

    assert main(["show", "11", "--difficulty", "2", "--viewport", "mobile"]) == 0
    assert capsys.readouterr().out == generate_page(11, difficulty=2, viewport="mobile").html


def test_shipped_samples_are_current_heldout_pages():
    from train.corpus.__main__ import SAMPLE_VIEWPORTS

    samples = ROOT / "assets" / "samples"
    seeds = split_seeds("heldout", 0, 4)
    for i, seed in enumerate(seeds):
        html = (samples / f"sample_{i + 1}.html").read_text()
        page = generate_page(seed, difficulty=3, viewport=SAMPLE_VIEWPORTS[i])
        assert html == page.html, "regenerate: python -m train.corpus samples assets/samples"
        png = samples / f"sample_{i + 1}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size < 200_000
