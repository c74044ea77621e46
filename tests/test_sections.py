"""Long pages band by band (app.media.bands): where a page is cut, and how the bands' pages are joined.

Cuts are checked against the drawn page itself (colour edges found here with numpy, line boxes known from
the drawing); the joined page is checked in Chromium: each band keeps its own styles although the two use
one class name, and each band starts where it did in the input.
"""
from collections import namedtuple

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.compose.join import join_pages, scope_css
from app.media.bands import bands

Line = namedtuple("Line", "text x y w h")
SECTIONS = [(0, 300, (255, 255, 255)), (300, 620, (241, 245, 249)), (620, 900, (15, 23, 42))]


def page_with_lines(per_section: int = 4):
    im = Image.new("RGB", (640, 900))
    d = ImageDraw.Draw(im)
    lines = []
    for top, bottom, colour in SECTIONS:
        d.rectangle((0, top, 639, bottom - 1), fill=colour)
        ink = (200, 200, 200) if sum(colour) < 200 else (20, 20, 20)
        for k in range(per_section):
            y = top + 40 + 55 * k
            d.rectangle((40, y, 400, y + 18), fill=ink)  # a line of text, as OCR would box it
            lines.append(Line(f"line {len(lines)}", 40, y, 361, 19))
    return im, lines


def test_a_long_page_is_cut_at_its_section_edges_and_never_through_a_line():
    im, lines = page_with_lines()
    cuts = bands(im, lines, max_lines=5)
    arr = np.asarray(im, dtype=np.int16)
    edges = [y for y in range(1, im.height) if np.abs(arr[y, 0] - arr[y - 1, 0]).max() > 0]
    assert [a for a, _ in cuts[1:]] == edges == [300, 620]
    assert cuts[0][0] == 0 and cuts[-1][1] == im.height
    assert all(a == prev_b for (_, prev_b), (a, _) in zip(cuts, cuts[1:]))   # contiguous
    for ln in lines:  # each line lies wholly in one band
        assert sum(a <= ln.y and ln.y + ln.h <= b for a, b in cuts) == 1


def test_a_page_with_few_lines_stays_whole():
    im, lines = page_with_lines(per_section=1)
    assert bands(im, lines, max_lines=5) == [(0, 900)]
    im, lines = page_with_lines()
    assert bands(im, lines, max_lines=12) == [(0, 900)]


def test_a_band_holds_no_more_lines_than_allowed_when_cuts_allow():
    im, lines = page_with_lines(per_section=4)
    for a, b in bands(im, lines, max_lines=2):
        assert sum(a <= ln.y < b for ln in lines) <= 2


def test_stylesheets_are_scoped_to_their_band():
    css = ("/* c */ html, body{margin:0;background:#111} *{box-sizing:border-box} .btn, nav > a{color:red}"
           "@media (max-width: 600px){ .btn{color:blue} } @keyframes pulse{from{opacity:0}to{opacity:1}}")
    assert scope_css(css, ".b1").split("\n") == [
        ".b1,.b1{margin:0;background:#111}",
        ".b1 *{box-sizing:border-box}",
        ".b1 .btn,.b1 nav > a{color:red}",
        "@media (max-width: 600px){.b1 .btn{color:blue}}",
        "@keyframes pulse{from{opacity:0}to{opacity:1}}",
    ]


def test_a_stylesheet_a_band_wrote_in_its_body_joins_the_head():
    from app.markup.check import check_html

    stray = "<html><head><style>p{color:red}</style></head><body><p>A</p><style>.x{color:blue}</style></body></html>"
    page = join_pages([stray, "<html><body><p>B</p></body></html>"])
    assert check_html(page, single_style=True) == []
    assert ".uc-band1 .x{color:blue}" in page and ".uc-band1 p{color:red}" in page


def test_one_page_is_returned_as_it_is():
    assert join_pages(["<html><body><p>x</p></body></html>"]) == "<html><body><p>x</p></body></html>"


def band_page(colour: str, background: str, text: str) -> str:
    return (f"<!DOCTYPE html><html><head><style>body{{margin:0;background:{background}}}"
            f".btn{{color:{colour};font-size:20px}}</style></head><body><p class=\"btn\">{text}</p></body></html>")


def test_joined_bands_keep_their_own_styles_and_places():
    from app.markup.check import is_well_formed
    from app.scoring.render import Renderer

    page = join_pages([band_page("rgb(255, 0, 0)", "rgb(0, 0, 80)", "First band"),
                       band_page("rgb(0, 0, 255)", "rgb(250, 250, 250)", "Second band")], heights=[300, 200])
    assert is_well_formed(page, single_style=True)
    try:
        with Renderer() as r:
            shot = r.render(page, width=640, height=800, full_page=True)
    except Exception as e:  # pragma: no cover - no Chromium on this machine
        pytest.skip(f"no Chromium: {e}")
    blocks = {b.text: b for b in shot.blocks}
    assert tuple(blocks["First band"].color) == (255, 0, 0)
    assert tuple(blocks["Second band"].color) == (0, 0, 255)       # same class name, its own rule
    assert blocks["Second band"].y >= 300                             # the first band keeps its height
    img = shot.image().convert("RGB")
    assert img.getpixel((5, 150)) == (0, 0, 80)                      # band 1's body rule styles band 1
    assert img.getpixel((5, 400)) == (250, 250, 250)                 # and band 2's styles band 2
    assert img.getpixel((5, 700)) == (0, 0, 80)                      # the page below: the first band's body


def test_a_page_with_a_sidebar_is_cut_between_the_main_columns_sections():
    """A sidebar of another colour runs down the whole page, so no row is one colour right across it; the
    page is still cut where both columns are plain (an app or docs page was one band, and written blank)."""
    im, lines = page_with_lines()
    ImageDraw.Draw(im).rectangle((500, 0, 639, 899), fill=(30, 41, 59))  # the sidebar, right of the lines
    cuts = bands(im, lines, max_lines=5)
    assert len(cuts) == 3
    for ln in lines:
        assert sum(a <= ln.y and ln.y + ln.h <= b for a, b in cuts) == 1


def test_where_no_plain_row_fits_a_band_ends_at_the_quietest_row_between_lines():
    """Each section's lines sit beside a bar that no row of one colour crosses (as a sidebar's lines beside an
    article's), so no plain cut keeps a band within the limit; a band then ends in a gap between lines, where
    the row crosses the plain bar rather than a photo's many edges (the real pages of a header, an article and
    a sidebar were one band, longer than the model's tokens could write)."""
    im, lines = page_with_lines()
    d = ImageDraw.Draw(im)
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 255, (80, 120, 3), dtype=np.uint8))
    for k, (top, bottom, _) in enumerate(SECTIONS):  # (at another x in each section: no column's edge)
        d.rectangle((460 + 50 * k, top + 30, 480 + 50 * k, top + 40 + 55 * 3 + 25), fill=(200, 30, 30))
    im.paste(photo, (500, 40 + 55 * 2 - 20))  # beside section 1's gap between its 2nd and 3rd lines
    cuts = bands(im, lines, max_lines=3)
    for a, b in cuts:
        assert sum(a <= ln.y + ln.h / 2 < b for ln in lines) <= 3
    for ln in lines:  # each line lies wholly in one band
        assert sum(a <= ln.y and ln.y + ln.h <= b for a, b in cuts) == 1
    arr = np.asarray(im, dtype=np.int16)
    for a, _ in cuts[1:]:  # no cut crosses the photo
        assert not (40 + 55 * 2 - 20 <= a < 40 + 55 * 2 + 60), a
    assert any(30 < a - top < bottom - top - 30 for a, _ in cuts[1:] for top, bottom, _ in SECTIONS)


def test_a_band_holds_no_more_text_than_allowed():
    """Twelve lines of an article's width are more words than a band's tokens write: the page is cut."""
    im, lines = page_with_lines(per_section=2)
    assert bands(im, lines, max_lines=12) == [(0, 900)]
    long = [ln._replace(text="word " * 30) for ln in lines]
    cuts = bands(im, long, max_lines=12, max_text=300)
    assert len(cuts) > 1
    for a, b in cuts:
        assert sum(len(ln.text) for ln in long if a <= ln.y + ln.h / 2 < b) <= 300
