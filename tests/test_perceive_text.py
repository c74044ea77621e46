"""Facts read off an OCR line's pixels (`app.perceive.text`), on images drawn here with numpy: the expected
colours are the ones painted."""
import numpy as np

from app.perceive.text import inked_height, text_colour
from vision.ocr import OcrLine

PAGE, INK = (236, 236, 231), (102, 102, 102)


def underlined(x, y, w, h):
    """A page with letters in (x, y, w, h) (strokes 3 px wide, every other one rising 4 px above the box, as
    Tesseract draws a line's box at its x-height) and an underline on the row below the box."""
    arr = np.zeros((60, 200, 3), np.uint8)
    arr[:] = PAGE
    for sx in range(x, x + w, 10):
        arr[y - (4 if sx % 20 == 0 else 0):y + h, sx:sx + 3] = INK
    arr[y + h + 1, x:x + w] = INK
    return arr


def test_an_underlined_links_colour_is_its_letters_not_its_background():
    """Real page 16401: a footer link whose box Tesseract drew at its x-height, with the underline on the row
    below it and the ascenders on the row above. The background, read as the median of those two rows, came out
    grey, so the page's colour was taken for the letters' and the link was written invisible."""
    got = text_colour(underlined(20, 24, 120, 9), OcrLine("Street view", 20, 24, 120, 9, 95.0))
    assert got == "#666666", got


def test_an_underline_is_not_part_of_the_letters_height():
    """The letters' height gives the font size: with the underline counted, an underlined link was set larger
    than the links beside it (16401's footer: 15 px among 13 px)."""
    line = OcrLine("Street view", 20, 24, 120, 9, 95.0)
    assert inked_height(underlined(20, 24, 120, 9), line) == 9 + 2  # the box's rows and the 2 px of pad above it
