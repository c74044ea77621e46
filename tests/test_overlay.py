"""A dialog over a dimmed page (app.perceive.overlay): found in the screenshot, and written by the layout
engine as a true overlay over the page behind it, its content in flow.

The screenshots are drawn by Chromium from hand-written pages whose dialog sits at known pixels, and read by
Tesseract. What is found is checked against those pixels and the pages' CSS; what is written is rendered
again and its text boxes and colours compared with the drawn page's own (its DOM boxes, not our estimates).
"""
import numpy as np
import pytest
from PIL import Image

from app.compose.html import write_page
from app.layout.infer import infer
from app.perceive.overlay import find_dialog
from vision.ocr import ocr_image, read_labels

W, H = 800, 600
CARD = (200, 210, 400, 180)  # x, y, w, h of the dialog in the drawn pages


def modal_page(dark: bool = False, behind: bool = True, overlay: bool = True) -> str:
    dark_colours, light_colours = ("#111827", "#f9fafb", "#1f2937", "#9ca3af"), ("#ffffff", "#0f172a", "#ffffff", "#64748b")
    bg, fg, card, muted = dark_colours if dark else light_colours
    x, y, w, h = CARD
    page = ('<nav style="display:flex;gap:24px;padding:20px 32px;font-size:16px"><b>Acme Cloud</b>'
            '<span style="margin-left:auto">Pricing</span><span>Docs</span></nav>'
            '<h1 style="margin:60px 32px 12px;font-size:40px">Ship faster with Acme</h1>'
            f'<p style="margin:0 32px;font-size:18px;color:{muted}">Deploy in minutes and scale to millions.</p>'
            '<a style="display:inline-block;margin:24px 32px;padding:12px 24px;background:#2563eb;color:#fff;'
            'border-radius:8px">Start now</a>') if behind else ""
    dialog = (f'<div style="position:absolute;left:{x}px;top:{y}px;width:{w}px;height:{h}px;box-sizing:border-box;'
              f'padding:24px;background:{card};border-radius:12px;box-shadow:0 20px 40px rgba(0,0,0,.25)">'
              f'<h2 style="margin:0 0 12px;font-size:22px">Delete project?</h2>'
              f'<p style="margin:0 0 24px;font-size:15px;color:{muted}">This will remove all files for good.</p>'
              '<div style="display:flex;justify-content:flex-end;gap:12px">'
              '<span style="padding:10px 20px;border:1px solid #db2777;border-radius:999px;color:#db2777;'
              'font-weight:700">Cancel</span>'
              '<span style="padding:10px 20px;background:#db2777;border-radius:999px;color:#fff;font-weight:700">'
              'Delete</span></div></div>')
    shade = '<div style="position:absolute;inset:0;background:rgba(0,0,0,.5)"></div>' if overlay else ""
    return (f'<!DOCTYPE html><html><head><style>body{{margin:0;position:relative;min-height:{H}px;'
            f'font-family:Arial,Helvetica,sans-serif;color:{fg};background:{bg}}}</style></head>'
            f"<body>{page}{shade}{dialog}</body></html>")


def drawn(renderer, html: str):
    shot = renderer.render(html, width=W, height=H)
    image = shot.image().convert("RGB")
    return shot, image, np.asarray(image), ocr_image(image).lines


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_dialog_over_a_dimmed_page_is_found_where_it_is_drawn(renderer, dark):
    _, _, arr, lines = drawn(renderer, modal_page(dark=dark))
    d = find_dialog(arr, lines)
    assert d is not None
    assert max(abs(a - b) for a, b in zip((d.x, d.y, d.w, d.h), CARD)) <= 2, d
    assert abs(d.radius - 12) <= 3, d.radius
    want = (31, 41, 55) if dark else (255, 255, 255)
    assert max(abs(a - b) for a, b in zip(d.fill, want)) <= 3, d.fill
    assert not d.alone  # a page is drawn behind it


def test_a_dialog_on_nothing_but_its_backdrop_is_alone(renderer):
    _, _, arr, lines = drawn(renderer, modal_page(behind=False))
    d = find_dialog(arr, lines)
    assert d is not None and d.alone
    assert max(abs(c - 128) for c in d.backdrop) <= 2  # white under rgba(0,0,0,.5)


@pytest.mark.parametrize("page", ["card", "dark text", "dark card"])
def test_no_dialog_is_found_on_a_page_without_a_backdrop(renderer, page):
    if page == "card":  # a sign-in card in the middle of a light page, nothing dimmed
        html = modal_page(overlay=False)
    elif page == "dark text":  # a dark page with its only (bright) text in the middle: no card around it
        html = ('<html><body style="margin:0;background:#0f172a;color:#f8fafc;font-family:Arial">'
                '<h1 style="margin:250px auto 0;width:420px;text-align:center">Welcome back, Ada</h1></body></html>')
    else:  # a dark page with a card in the middle, and bright text outside it too
        html = modal_page(dark=True, overlay=False)
    _, _, arr, lines = drawn(renderer, html)
    assert find_dialog(arr, lines) is None


def test_a_buttons_label_is_read_on_its_own(renderer):
    shot, _, arr, _ = drawn(renderer, modal_page())
    want = {b.text: b for b in shot.blocks}
    # the buttons' boxes in the drawn page: 10 px above and below their text, 20 px either side
    for text, bg in (("Cancel", (255, 255, 255)), ("Delete", (0xDB, 0x27, 0x77))):
        b = want[text]
        box = (round(b.x) - 21, round(b.y) - 11, round(b.w) + 42, round(b.h) + 22)
        label = read_labels(arr, [(box, bg, box[3] // 2)])[0]
        assert label is not None and label.text == text, label
        assert abs(label.x - b.x) <= 4 and abs(label.y + label.h / 2 - (b.y + b.h / 2)) <= 4, (label, b)


@pytest.mark.parametrize("behind", [True, False], ids=["page behind", "alone"])
def test_the_dialog_is_written_over_the_page_behind_where_the_input_shows_it(renderer, behind):
    from app.markup.check import is_well_formed

    shot_in, image, arr, lines = drawn(renderer, modal_page(behind=behind))
    code = write_page(infer(arr, lines))
    assert is_well_formed(code, single_style=True) and 'role="dialog"' in code
    assert ("Acme Cloud" in code) == behind  # the page behind, if any, is written too

    shot = renderer.render(code, width=W, height=H, full_page=True)
    got = {}
    for b in shot.blocks:
        got.setdefault(b.text, []).append(b)
    want = {b.text: b for b in shot_in.blocks}
    for text in ("Delete project?", "This will remove all files for good.", "Cancel", "Delete"):
        assert len(got[text]) == 1, text                                    # written once
        g, w = got[text][0], want[text]
        assert abs(g.x - w.x) <= 12 and abs(g.y - w.y) <= 12, (text, g, w)  # where the input shows it
        assert abs(g.h - w.h) <= 0.3 * w.h, text
    placed = renderer.probe("""() => [...document.querySelectorAll('[role=dialog] *')]
        .filter(e => ['absolute', 'fixed'].includes(getComputedStyle(e).position)).length""")
    assert placed == 0  # only the backdrop is fixed: the card's content is in flow
    out = np.asarray(shot.image().convert("RGB")).astype(int)
    x, y, w, h = CARD
    for px, py in ((x + 10, y + h - 10), (20, H - 20), (W - 20, y + h // 2)):  # the card, the backdrop
        assert np.abs(out[py, px] - arr[py, px]).max() <= 16, (px, py, out[py, px], arr[py, px])
