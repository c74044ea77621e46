"""Boxes of a screenshot region (app.boxes), checked against the rectangles drawn with PIL."""
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.perceive.boxes import find_boxes, page_colour

WHITE = (255, 255, 255)


def drawn():
    im = Image.new("RGB", (640, 480), WHITE)
    d = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=22)
    d.text((30, 20), "Plain heading text", fill=(17, 24, 39), font=font)             # text alone: no box
    d.rounded_rectangle((30, 80, 330, 280), radius=16, fill=(30, 41, 59))              # a dark card
    d.rounded_rectangle((60, 200, 180, 244), radius=8, fill=(37, 99, 235))             # its button
    d.text((76, 210), "Sign up", fill=WHITE, font=font)
    d.rectangle((360, 80, 600, 140), outline=(203, 213, 225), width=1)                 # an outlined input
    d.text((372, 98), "Email address", fill=(100, 116, 139), font=font)
    d.rectangle((0, 360, 639, 479), fill=(15, 23, 42))                                 # a footer section
    texts = [(30, 20, 200, 24), (76, 210, 80, 24), (372, 98, 150, 24)]
    return np.asarray(im), texts


def near(box, x, y, w, h, tol=2):
    return max(abs(box.x - x), abs(box.y - y), abs(box.w - w), abs(box.h - h)) <= tol


def test_filled_outlined_and_nested_boxes_are_found_where_they_were_drawn():
    arr, texts = drawn()
    boxes = find_boxes(arr, (0, 0, 640, 480), WHITE, texts)
    card = [b for b in boxes if b.fill == "#1e293b"]
    button = [b for b in boxes if b.fill == "#2563eb"]
    field = [b for b in boxes if b.border == "#cbd5e1"]
    footer = [b for b in boxes if b.fill == "#0f172a"]
    assert len(card) == len(button) == len(field) == len(footer) == 1 and len(boxes) == 4, boxes
    assert near(card[0], 30, 80, 301, 201) and abs(card[0].radius - 16) <= 4
    assert near(button[0], 60, 200, 121, 45) and abs(button[0].radius - 8) <= 3
    assert near(field[0], 360, 80, 241, 61) and field[0].radius == 0 and field[0].fill is None
    assert near(footer[0], 0, 360, 640, 120) and footer[0].radius == 0
    assert boxes.index(card[0]) < boxes.index(button[0])  # the box inside is painted after its container


def test_a_region_of_its_background_colour_or_only_text_has_no_boxes():
    arr, texts = drawn()
    assert find_boxes(arr, (0, 0, 640, 60), WHITE, texts) == []
    assert find_boxes(arr, (0, 400, 640, 480), (15, 23, 42), texts) == []
    assert find_boxes(arr, (10, 10, 10, 10), WHITE) == []


def test_a_framed_pages_colour_is_its_sides_not_its_commoner_white_column():
    """Real page 13545: a white column 1200 px wide on a dark page 1280 px wide. White is the commoner colour,
    but the page's colour is the dark at both its sides; a page whose sides differ (a dark sidebar at the left
    only) or that has no sides of its own keeps its commonest colour."""
    dark, white = (37, 37, 37), (248, 248, 248)
    page = np.full((600, 1280, 3), dark, np.uint8)
    page[:560, 40:1240] = white
    assert tuple(page_colour(page).astype(int)) == dark
    page[:40, :] = (51, 51, 51)  # a header band from edge to edge: the sides are still the page's for 87% of them
    assert tuple(page_colour(page).astype(int)) == dark
    sidebar = np.full((600, 1280, 3), white, np.uint8)
    sidebar[:, :240] = dark
    assert tuple(page_colour(sidebar).astype(int)) == white
    assert tuple(page_colour(np.full((600, 1280, 3), white, np.uint8)).astype(int)) == white


def test_a_picture_larger_than_any_band_is_not_the_pages_colour():
    """Real page 1519: a blue picture 980 x 1080 px on a dark top band, a white band under it. Blue was the
    commonest colour, so the page was read as blue and the picture vanished into it; the page is the colour
    its sides show most (dark), the picture a box on it."""
    dark, white, blue = (37, 36, 34), (255, 255, 255), (0, 0, 254)
    page = np.full((1530, 1280, 3), white, np.uint8)
    page[:1116] = dark
    page[16:1096, 150:1130] = blue
    assert tuple(page_colour(page).astype(int)) == dark
    boxes = find_boxes(page, (0, 0, 1280, 1530), page_colour(page))
    assert any(b.w == 980 and b.h == 1080 for b in boxes), boxes
