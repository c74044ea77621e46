"""vision/ocr.py: Tesseract reads rendered pages (also light-on-dark text), TSV parsing, the compact
serialisation, the CER metric, offline operation and clear errors."""
import shutil
import subprocess

import pytest
from PIL import Image

from uicode.errors import MediaError
from vision.ocr import (OcrError, OcrLine, character_error_rate, contrast_image, levenshtein, merge_passes,
                        normalize_polarity, ocr_image, parse_tsv, reading_order, serialize_lines, word_recall)

PAGE = """<!DOCTYPE html><html><head><style>body{margin:0;font:16px Arial,sans-serif}
header{padding:16px 32px;background:#4f46e5;color:#fff;font-size:22px;font-weight:700}
h1{margin:40px 32px 8px;font-size:36px} p{margin:0 32px;color:#475569}</style></head>
<body><header>Northwind Analytics</header><h1>Quarterly revenue report</h1>
<p>Sales grew in every region during the spring months.</p></body></html>"""


@pytest.fixture(scope="module")
def rendered():
    from app.scoring.render import Renderer

    with Renderer() as r:
        return r.render(PAGE, width=900, height=400, full_page=False)


@pytest.fixture(scope="module")
def result(rendered):
    return ocr_image(rendered.png)


def test_reads_the_heading_with_its_position(result, rendered):
    heading = next(b for b in rendered.blocks if b.text == "Quarterly revenue report")
    line = min(result.lines, key=lambda ln: character_error_rate("Quarterly revenue report", ln.text))
    assert character_error_rate("Quarterly revenue report", line.text) < 0.1
    # Its box lies on the DOM's box (within a few pixels: OCR boxes hug the ink, the DOM's the line).
    assert abs(line.x - heading.x) < 6 and abs((line.y + line.h / 2) - (heading.y + heading.h / 2)) < 8
    assert line.conf > 60 and (result.width, result.height) == (900, 400)


def test_reads_light_text_on_a_dark_band(result):
    # White on indigo: Tesseract's layout analysis drops this band without normalize_polarity.
    assert any(character_error_rate("Northwind Analytics", ln.text) < 0.15 for ln in result.lines)
    assert word_recall("Sales grew in every region during the spring months.", result.text) > 0.8


HERO = """<!DOCTYPE html><html><head><style>body{margin:0;background:#0a0a0b;font-family:Arial,sans-serif}
h1{margin:60px 0 0;text-align:center;color:#fafafa;font-size:56px;line-height:1.1;letter-spacing:-0.02em}</style>
</head><body><h1>Ship to the edge in seconds,<br>not sprints.</h1></body></html>"""


def test_a_large_white_headline_on_black_is_read_again_at_its_own_size():
    """`landing_dark`'s hero: judged over 15 px, the background inside its strokes is the letters themselves, and
    the headline came out hollowed, as "5 O UNE Saw IN SeCOnas"."""
    from app.scoring.render import Renderer

    with Renderer() as r:
        shot = r.render(HERO, width=1000, height=260, full_page=False)
    text = ocr_image(shot.png).text
    assert character_error_rate("Ship to the edge in seconds, not sprints.", text) < 0.1, text


def test_normalize_polarity_inverts_only_dark_areas():
    img = Image.new("RGB", (200, 100), "white")
    img.paste((20, 20, 60), (0, 0, 200, 50))
    out = normalize_polarity(img)
    assert out.getpixel((100, 10)) > 200 and out.getpixel((100, 80)) == 255


def test_parse_tsv_groups_words_into_lines_and_unscales():
    tsv = "\n".join([
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
        "1\t1\t0\t0\t0\t0\t0\t0\t400\t200\t-1\t",
        "5\t1\t1\t1\t1\t1\t20\t40\t60\t20\t95.0\tHello",
        "5\t1\t1\t1\t1\t2\t90\t42\t80\t20\t85.0\tworld",
        "5\t1\t2\t1\t1\t1\t20\t100\t40\t20\t5.0\t~~",   # low confidence: dropped
        "5\t1\t3\t1\t1\t1\t200\t10\t40\t20\t90.0\tTop",
    ])
    lines = parse_tsv(tsv, scale=2)
    assert [ln.text for ln in lines] == ["Top", "Hello world"]
    assert lines[1] == OcrLine("Hello world", 10, 20, 75, 11, 90.0)


def test_serialisation_is_compact_and_on_a_0_100_grid():
    lines = [OcrLine("Sign in", 100, 50, 200, 20, 90), OcrLine("Email", 0, 0, 1000, 10, 80)]
    text = serialize_lines(lines, 1000, 500)
    assert text.splitlines() == ["[0,0,100,2] Email", "[10,10,20,4] Sign in"]


def test_reading_order_rows_then_columns():
    a, b, c = OcrLine("b", 300, 12, 50, 20, 90), OcrLine("a", 10, 10, 50, 20, 90), OcrLine("c", 10, 60, 50, 20, 90)
    assert [x.text for x in reading_order([c, a, b])] == ["a", "b", "c"]


@pytest.mark.parametrize("a, b, d", [("kitten", "sitting", 3), ("", "abc", 3), ("flaw", "lawn", 2),
                                     ("same", "same", 0)])
def test_levenshtein_textbook_values(a, b, d):
    assert levenshtein(a, b) == d == levenshtein(b, a)


def test_cer_and_word_recall():
    assert character_error_rate("hello  world", "hello world") == 0
    assert character_error_rate("abcd", "abed") == 0.25
    assert word_recall("a b c d", "a c x") == 0.5


def test_errors_are_one_line(tmp_path):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(MediaError, match="x.png"):
        ocr_image(bad)
    with pytest.raises(MediaError, match="no such file"):
        ocr_image(tmp_path / "missing.png")
    with pytest.raises(OcrError, match="Tesseract not found"):
        ocr_image(Image.new("RGB", (10, 10)), executable=str(tmp_path / "nope"))


@pytest.mark.skipif(shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"]).returncode != 0,
                    reason="needs unshare -n (root)")
def test_runs_without_any_network(tmp_path, rendered):
    # The same OCR inside an empty network namespace gives the same lines: nothing is fetched.
    wrapper = tmp_path / "tesseract"
    wrapper.write_text('#!/bin/sh\nexec unshare -n /usr/bin/tesseract "$@"\n')
    wrapper.chmod(0o755)
    assert ocr_image(rendered.png, executable=str(wrapper)).lines == ocr_image(rendered.png).lines


MODAL = """<!DOCTYPE html><html lang="en"><head><style>
*{box-sizing:border-box}
body{position:relative;min-height:100vh;margin:0;font:14px/1.5 Georgia,serif;color:#fafafa;background:#18181b}
h2{margin:0 0 16px;font-size:24px;font-weight:800}
.btn{display:inline-block;padding:10px 20px;font-weight:600;color:#ffffff;background:#db2777;border-radius:16px}
.btn.alt{color:#db2777;background:none;border:1px solid #db2777}
button{font:inherit;border:0}
.overlay{display:flex;align-items:center;justify-content:center;position:absolute;inset:0;background:rgba(0,0,0,.5)}
.modal{width:400px;padding:24px;background:#27272a;border-radius:16px;box-shadow:0 20px 40px rgba(0,0,0,.25)}
.modal p{margin:0 0 20px;color:#a1a1aa}
.modal .actions{display:flex;justify-content:flex-end;gap:12px}
</style></head><body>
<div class="overlay"><div class="modal" role="dialog"><h2>Invite teammates</h2><p>Send an invite link to your colleagues.</p>
<div class="actions"><button class="btn alt">Cancel</button><button class="btn">Send invite</button></div></div></div>
</body></html>"""


def test_the_contrast_pass_reads_a_dim_dialog_that_the_gray_levels_lose():
    from app.scoring.render import Renderer

    with Renderer() as r:
        png = r.render(MODAL, width=1280, height=800, full_page=False).png
    one = ocr_image(png, second_pass=False)
    both = ocr_image(png)
    title = "Invite teammates"
    assert not any(character_error_rate(title, ln.text) < 0.15 for ln in one.lines)   # lost in one pass
    assert any(character_error_rate(title, ln.text) < 0.15 for ln in both.lines)
    assert word_recall("Invite teammates Send an invite link to your colleagues.", both.text) > 0.6
    assert any(ln.text.lower() == "send invite" for ln in both.lines)                 # the button still read


def test_contrast_image_draws_any_text_dark_on_white():
    img = Image.new("RGB", (120, 60), (219, 39, 119))                 # white text on a pink button
    img.paste((255, 255, 255), (40, 25, 80, 31))
    out = contrast_image(img)
    assert out.getpixel((60, 28)) < 60 and out.getpixel((10, 10)) > 240


def test_a_second_pass_adds_what_the_first_missed_and_replaces_only_when_surer():
    first = [OcrLine("Pricing", 10, 10, 80, 20, 90.0), OcrLine("Sion up", 300, 10, 90, 20, 40.0)]
    second = [OcrLine("Invite teammates", 10, 100, 200, 24, 95.0),   # nowhere in the first pass: added
              OcrLine("Sign up", 302, 10, 80, 20, 85.0),             # surer, as many words: replaces
              OcrLine("Pricing", 10, 10, 80, 20, 70.0),              # less sure: the first pass's kept
              OcrLine("GD", 10, 300, 30, 20, 30.0),                  # below the confidence floor
              OcrLine("(", 10, 400, 8, 20, 95.0)]                    # no letters
    got = [ln.text for ln in merge_passes(first, second)]
    assert got == ["Pricing", "Sign up", "Invite teammates"]


def test_an_unsure_first_read_gives_way_to_sure_lines_with_fewer_words():
    """Real page 11139: white links on a blue sidebar were read by the first pass as one unsure line of garbage
    joined to the heading beside them; the second pass read each link, and the heading, as a sure line of its
    own. Kept only when it held as many words, the garbage stayed and the links were lost."""
    first = [OcrLine("aAb re Tee 8)) Certificate system", 22, 40, 520, 30, 34.0)]
    second = [OcrLine("Certificate system", 280, 38, 260, 34, 93.0),
              OcrLine("Introduction", 17, 45, 95, 18, 95.0),
              OcrLine("Installation", 17, 85, 90, 18, 96.0)]
    got = [ln.text for ln in merge_passes(first, second)]
    assert got == ["Introduction", "Certificate system", "Installation"], got


def test_a_line_raised_into_a_band_moves_its_words_with_it():
    """A long page is converted band by band with the whole page's OCR lines moved into each band. Their word
    boxes stayed where they were on the page, so a band's words were read (sizes, colours) from rows outside it:
    every line of the second and third bands of a test page took its background's colour and was left out."""
    line = OcrLine("Section 1 item 0", 41, 673, 188, 30, 95.0, ((41, 673, 100, 30), (150, 675, 79, 28)))
    up = line.raised(600)
    assert (up.y, up.words) == (73, ((41, 73, 100, 30), (150, 75, 79, 28))) and up.text == line.text
