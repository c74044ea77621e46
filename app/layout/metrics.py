"""How wide a line of text is set in the page's font: Arial's advance widths (Liberation Sans, the font a
browser without Arial uses in its place, has the same ones), in thousandths of the font size.

The engine reads a paragraph's measure off the screenshot, in the page's own font. Set in Arial at the size
read, its lines may come out wider, and a box as wide as the picture's lines then breaks each of them in two
(real page 188's footer: "[ADDRESS REDACTED]" over two lines). `line_width` says how wide Arial sets a line, so
that the box can hold it (`app.layout.typeset`). A text read as serif or italic (`app.perceive.faces`) is written
in that face, and measured in it (Times' letters are narrower: measured in Arial's, a serif heading's box held
its two lines on one).
"""
from __future__ import annotations

_FIRST = 32  # the tables run from " " to "~"
_REGULAR = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667,
    556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556,
    556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722,
    500, 500, 500, 334, 260, 334, 584)
_BOLD = (
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722,
    611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556,
    611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778,
    556, 556, 500, 389, 280, 389, 584)
OTHER = 556  # a letter outside the table (accented, CJK is wider still): a digit's width


def line_width(text: str, size: float, bold: bool = False, serif: bool = False, italic: bool = False) -> float:
    """Px that `text` takes on one line set in Arial (or, `serif`, Times; `italic`, slanted) at `size` px."""
    if serif or italic:
        from app.perceive.faces import width

        face = ("serif" if serif else "sans") + ("-italic" if italic else "")
        found = width(text, size, face, bold)
        if found is not None:
            return found
    table = _BOLD if bold else _REGULAR
    units = sum(table[o - _FIRST] if _FIRST <= (o := ord(c)) < _FIRST + len(table) else OTHER for c in text)
    return units * size / 1000
