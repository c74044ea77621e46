"""Button labels read one button at a time (app.labels, vision.ocr.read_labels).

The buttons are drawn by Chromium at known places; what is read is compared with the text and DOM boxes of
the drawn page. How the words of the page's lines are replaced is checked on hand-made lines.
"""
import numpy as np
import pytest

from app.perceive.boxes import Box, find_boxes
from app.perceive.labels import read_buttons, relabel, words_where
from vision.ocr import OcrLine

BUTTONS = """<!DOCTYPE html><html><body style="margin:0;background:#ffffff;font-family:Arial,Helvetica,sans-serif">
<div style="position:absolute;left:40px;top:40px;display:flex;gap:16px;font-size:15px;font-weight:700">
<span style="padding:12px 22px;border:1px solid #0d9488;border-radius:999px;color:#0d9488">Cancel</span>
<span style="padding:12px 22px;background:#0d9488;border-radius:999px;color:#ffffff">Save</span>
<span style="padding:12px 22px;background:#1e293b;border-radius:6px;color:#f8fafc">Log in</span>
<span style="padding:12px 22px;border:1px solid #94a3b8;border-radius:4px;color:#334155">Get started</span>
</div>
<div style="position:absolute;left:40px;top:120px;width:120px;height:40px;
background:linear-gradient(135deg,#1e3a8a,#7c3aed)"></div>
<div style="position:absolute;left:200px;top:120px;width:40px;height:40px;border-radius:50%;background:#fce7f3;
color:#be185d;font-size:14px;font-weight:700;line-height:40px;text-align:center">NS</div>
</body></html>"""


def line(text, words):
    x0, y0 = min(w[0] for w in words), min(w[1] for w in words)
    x1, y1 = max(w[0] + w[2] for w in words), max(w[1] + w[3] for w in words)
    return OcrLine(text, x0, y0, x1 - x0, y1 - y0, 80.0, tuple(words))


def test_a_line_is_cut_to_the_words_kept():
    ln = line("Acme Pricing Docs Join", [(10, 10, 40, 12), (300, 10, 50, 12), (360, 10, 36, 12), (600, 6, 40, 20)])
    left = words_where(ln, lambda w: w[0] < 500)
    assert left.text == "Acme Pricing Docs" and (left.x, left.y, left.w, left.h) == (10, 10, 386, 12)
    assert words_where(ln, lambda w: True) is ln and words_where(ln, lambda w: False) is None
    bare = OcrLine("Acme", 10, 10, 40, 12, 90.0)  # no word boxes: its own box decides
    assert words_where(bare, lambda w: w[0] < 50) is bare and words_where(bare, lambda w: w[0] > 50) is None


def test_the_words_on_a_button_give_way_to_its_label():
    cancel, save = Box(200, 100, 90, 44, None, "#0d9488", 22), Box(300, 100, 70, 44, "#0d9488", None, 22)
    nav = line("Acme Docs id Join", [(10, 110, 40, 12), (100, 110, 36, 12), (186, 104, 8, 36), (215, 112, 30, 12)])
    braces = line("{ Cancel } (Exe)", [(201, 100, 10, 44), (220, 112, 50, 14), (280, 100, 8, 44), (305, 102, 60, 40)])
    labels = [OcrLine("Cancel", 222, 114, 48, 12, 96.0), OcrLine("Save", 318, 114, 34, 12, 96.0)]
    out = relabel([nav, braces], list(zip((cancel, save), labels)))
    assert [ln.text for ln in out] == ["Acme Docs id", "Cancel", "Save"]  # "id" lies off the button: kept
    assert relabel([nav], []) == [nav]


@pytest.fixture(scope="module")
def drawn(renderer):
    shot = renderer.render(BUTTONS, width=700, height=200)
    return shot, np.asarray(shot.image().convert("RGB"))


def test_each_buttons_label_is_read_on_its_own(drawn):
    shot, arr = drawn
    boxes = find_boxes(arr, (0, 0, arr.shape[1], arr.shape[0]), (255, 255, 255), ())
    read = read_buttons(arr, boxes)
    want = {b.text: b for b in shot.blocks}
    # every label and the avatar's initials (read inside its disc); not the gradient (a picture)
    assert sorted(label.text for _, label in read) == sorted(want)
    for box, label in read:
        w = want[label.text]
        assert box.x <= w.x < w.x + w.w <= box.x + box.w                 # the button around the text
        assert abs(label.x - w.x) <= 4 and abs(label.y + label.h / 2 - (w.y + w.h / 2)) <= 4, (label, w)


def test_a_labels_edges_read_as_letters_are_left_out(monkeypatch):
    import vision.ocr as ocr

    # what Tesseract makes of a pill's rounded ends when the cut leaves some of them: "( Save )" (the cut lies
    # LABEL_GAP px in on the sheet that is read)
    g = ocr.LABEL_GAP
    read = ocr.OcrLine("( Save )", g, g, 90, 40, 88.0, ((g, g, 8, 40), (g + 20, g + 10, 40, 20), (g + 80, g, 8, 40)))
    monkeypatch.setattr(ocr, "ocr_image", lambda *a, **k: ocr.OcrResult([read], 100, 50, 0.0))
    arr = np.full((60, 120, 3), 255, np.uint8)
    arr[20:30, 30:80] = 0  # some ink, so that the box is read at all
    label = ocr.read_labels(arr, [((10, 5, 100, 50), (255, 255, 255), 0)])[0]
    assert label.text == "Save" and label.words == ((33, 18, 40, 20),)  # the word's box, in arr's pixels
    assert (label.x, label.w) == (33, 40)
