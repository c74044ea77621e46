"""Completion (app.completion): the input's text that the model's page leaves out is laid out after it.

Which lines a page shows and where its missing tail starts are checked on hand-worked cases. The laid-out
text is checked in Chromium against a page drawn by Chromium: the screenshot is read by Tesseract, a
"model page" that stops after the header is completed, and the completed page's text boxes, colours and
backgrounds are compared with the drawn page's own (its DOM boxes and CSS colours, not our estimates).
"""
import numpy as np
import pytest
from PIL import Image

from app.completion import complete, first_missing, font_px, is_bold, shown_lines
from vision.ocr import OcrLine, ocr_image

DRAWN = """<!DOCTYPE html><html><head><style>
body{margin:0;font-family:Arial,Helvetica,sans-serif;background:#ffffff}
header{height:80px;background:#e2e8f0;color:#0f172a;font-size:28px}
header span{position:absolute;left:40px;top:22px}
p{position:absolute;margin:0;white-space:nowrap}
footer{position:absolute;top:420px;left:0;right:0;height:180px;background:#0f172a}
</style></head><body>
<header><span>Acme Cloud</span></header>
<p style="left:40px;top:140px;font-size:32px;color:#111827">Pricing plans for teams</p>
<p style="left:40px;top:250px;font-size:20px;color:#2563eb">Starter</p>
<p style="left:330px;top:250px;font-size:20px;color:#2563eb">Growth</p>
<p style="left:560px;top:250px;font-size:20px;color:#2563eb">Enterprise</p>
<footer><p style="left:40px;top:70px;font-size:16px;color:#cbd5e1">Copyright 2025 Acme Cloud</p></footer>
</body></html>"""

MODEL_PAGE = """<!DOCTYPE html><html><head><style>body{margin:0;font-family:Arial}
.top{padding:22px 40px;background:#e2e8f0;color:#0f172a;font-size:28px}</style></head>
<body><header class="top"><b>Acme Cloud</b></header></body></html>"""


def line(text, x=0, y=0, w=10, h=10):
    return OcrLine(text, x, y, w, h, 90.0)


def test_a_line_is_shown_when_half_its_words_are_in_the_page_in_order():
    lines = [line("Acme Cloud"), line("Pricing plans for teams"), line("Starter Growth Enterprise"),
             line("Fish & Chips"), line("Copyright 2025 Acme Inc")]
    code = ("<html><head><title>Copyright 2025 Acme Inc</title><style>p{}</style></head><body><nav><a>Acme</a> <a>Cloud</a>"
            "</nav><h1>Pricing plans</h1><ul><li>Starter</li></ul><p>Fish &amp; Chips</p></body></html>")
    # "Pricing plans" is 2 of 4 words; "Starter" 1 of 3; the title is not shown on the page
    assert shown_lines(code, lines) == [True, True, False, True, False]
    assert shown_lines("", lines) == [False] * 5
    # written out of order: "Fish & Chips" before the rest is still shown, whole; a part of a line is not
    code = "<body><p>Fish &amp; Chips</p><p>Acme Cloud</p><h1>Pricing plans for teams</h1><i>Copyright</i></body>"
    assert shown_lines(code, lines) == [True, True, False, True, False]


@pytest.mark.parametrize("shown,expected", [
    ([True, True, False, False], 2),
    ([True, True, True], 3),                            # nothing missing
    ([False, False], 0),                                # the model showed nothing: all of it is laid out
    ([True, False, True, False, False, False], 3),      # a skipped line above the tail stays the model's
    ([True, False, False, True, False, False, False], 1),  # two skipped lines outweigh one shown
    ([], 0),
])
def test_the_missing_tail_starts_where_shown_and_missing_lines_split_best(shown, expected):
    assert first_missing(shown) == expected


def test_a_page_that_shows_every_line_is_left_as_it_is():
    lines = [line("Acme Cloud", 40, 20), line("Pricing", 40, 140)]
    code = "<html><body><b>Acme Cloud</b><h1>Pricing</h1></body></html>"
    done = complete(code, Image.new("RGB", (200, 200), "white"), lines)
    assert done.code == code and done.added == 0


def test_a_line_read_with_little_confidence_is_not_laid_out():
    # Tesseract reads a row of outlined buttons under a backdrop as "F strtnow | [_seepricing | “_" (31.5)
    image = Image.new("RGB", (300, 200), "white")
    code = "<html><body><b>Acme Cloud</b></body></html>"
    garbled = OcrLine("F strtnow | [_seepricing", 20, 120, 200, 40, 31.5)
    assert complete(code, image, [line("Acme Cloud", 20, 20), garbled]).added == 0
    assert complete(code, image, [line("Acme Cloud", 20, 20), line("Start now", 20, 120)]).added == 1


def test_font_sizes_and_weights_are_read_from_the_screenshot(renderer):
    rows = [(14, 400, "Sign in to your account"), (20, 400, "Monthly billing"), (32, 400, "Team plan"),
            (48, 400, "HELLO 2025"), (16, 700, "Security settings"), (24, 700, "Audit log")]
    page = "".join(f'<p style="position:absolute;left:20px;top:{20 + 80 * k}px;margin:0;font:{w} {s}px Arial">{t}</p>'
                   for k, (s, w, t) in enumerate(rows))
    shot = renderer.render(f"<html><body>{page}</body></html>", width=700, height=520)
    arr = np.asarray(shot.image().convert("RGB"))
    lines = sorted(ocr_image(shot.image().convert("RGB")).lines, key=lambda ln: ln.y)
    assert [ln.text for ln in lines] == [t for _, _, t in rows]
    for ln, (size, weight, _) in zip(lines, rows):
        assert abs(font_px(ln, arr) - size) <= 0.15 * size, (ln, font_px(ln, arr))
        assert is_bold(arr, ln, size) == (weight == 700), ln


def test_the_text_a_page_leaves_out_is_laid_out_where_the_input_shows_it(renderer):
    from app.fidelity import is_well_formed

    drawn = renderer.render(DRAWN, width=800, height=600)
    image = drawn.image().convert("RGB")
    lines = ocr_image(image).lines
    done = complete(MODEL_PAGE, image, lines)
    # three OCR lines: Tesseract reads the row of three plans as one line, cut back into its columns here
    assert done.added == 3 and is_well_formed(done.code, single_style=True)
    assert '<div class="uc-model">' in done.code and "<b>Acme Cloud</b>" in done.code  # the model's markup kept

    shot = renderer.render(done.code, width=800, height=600, full_page=True)
    got = {b.text: b for b in shot.blocks}
    want = {b.text: b for b in drawn.blocks}
    assert sum(b.text == "Acme Cloud" for b in shot.blocks) == 1          # not written twice
    for text in ("Pricing plans for teams", "Starter", "Growth", "Enterprise", "Copyright 2025 Acme Cloud"):
        g, w = got[text], want[text]
        assert abs(g.x - w.x) <= 8 and abs(g.y - w.y) <= 12, text          # where the input shows it
        assert abs(g.h - w.h) <= 0.25 * w.h, text                          # about its size
        assert max(abs(a - b) for a, b in zip(g.color, w.color)) <= 40, (text, g.color, w.color)
    out = shot.image().convert("RGB")
    assert max(abs(a - b) for a, b in zip(out.getpixel((5, 500)), (15, 23, 42))) <= 8   # the footer's background
    assert max(abs(a - b) for a, b in zip(out.getpixel((5, 300)), (255, 255, 255))) <= 8


def test_a_model_page_taller_than_its_part_of_the_input_is_cut_where_the_laid_out_part_starts(renderer):
    drawn = renderer.render(DRAWN, width=800, height=600)
    image = drawn.image().convert("RGB")
    # the model spread its header over 700 px, where the input has 80 px before the missing text
    tall = MODEL_PAGE.replace("</body>", '<section style="height:700px;background:#fde68a"></section></body>')
    done = complete(tall, image, ocr_image(image).lines)
    shot = renderer.render(done.code, width=800, height=600, full_page=True)
    got = {b.text: b for b in shot.blocks}
    want = {b.text: b for b in drawn.blocks}
    assert abs(got["Acme Cloud"].y - want["Acme Cloud"].y) <= 12               # the model's part still shows
    for text in ("Pricing plans for teams", "Enterprise", "Copyright 2025 Acme Cloud"):
        assert abs(got[text].y - want[text].y) <= 12, text                     # not pushed down by it
    assert shot.height <= 620
