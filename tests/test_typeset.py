"""One page's text styles made consistent (`app.layout.typeset`), on trees built by hand: the expected colours,
line heights and boxes are worked out here from the numbers given."""
from app.layout.tree import Node
from app.layout.typeset import typeset


def text(x, y, w, h, s, *, size=18, lh=22, lines=1, colour="#282828"):
    return Node("text", x, y, w, h, text=s, style={"size": size, "lh": lh, "lines": lines, "colour": colour,
                                                   "weight": 400})


def page(*kids, kind="column"):
    return Node("page", 0, 0, 1000, 2000, [Node(kind, 0, 0, 1000, 2000, list(kids))])


def test_text_colours_a_few_levels_apart_are_the_commonest_one_and_a_link_keeps_its_own():
    body = [text(0, 100 * k, 700, 22, "a paragraph of body text", colour=c)
            for k, c in enumerate(["#282828", "#282828", "#232323", "#2f2f2f", "#2b2b2b"])]
    link = text(0, 600, 200, 22, "Read more", colour="#1863a1")
    far = text(0, 700, 200, 22, "a caption in grey", colour="#888888")
    p = page(*body, link, far)
    typeset(p)
    assert [t.style["colour"] for t in body] == ["#282828"] * 5
    assert link.style["colour"] == "#1863a1" and far.style["colour"] == "#888888"


def test_paragraphs_of_one_size_take_its_pitch_and_a_one_line_text_grows_about_its_centre():
    a = text(0, 0, 700, 58, "two lines", lines=2, lh=29)
    b = text(0, 100, 700, 93, "three lines", lines=3, lh=31)
    one = text(0, 300, 300, 22, "one line")  # centre 311; the pitch 30 (median of 29, 31) → rows 296..326
    p = page(a, b, one)
    typeset(p)
    assert (a.style["lh"], b.style["lh"], one.style["lh"]) == (30, 30, 30)
    assert (one.y, one.h) == (296, 30)
    assert (a.y, a.h) == (-1, 60) and (b.y, b.h) == (102, 90)  # centres 29 and 146.5 kept (to a px)


def test_a_one_line_text_pressed_between_others_keeps_its_height():
    a = text(0, 0, 700, 58, "two lines", lines=2, lh=29)
    b = text(0, 100, 700, 62, "two lines", lines=2, lh=31)
    above = text(0, 200, 300, 22, "label")
    squeezed = text(0, 224, 300, 22, "value")  # 30 px about its centre would cover its neighbours
    below = text(0, 248, 300, 22, "note")
    typeset(page(a, b, above, squeezed, below))
    assert (squeezed.y, squeezed.h, squeezed.style["lh"]) == (224, 22, 22)


def test_pitches_that_disagree_are_left_as_read():
    a = text(0, 0, 700, 44, "tight", lines=2, lh=22)
    b = text(0, 100, 700, 72, "loose", lines=2, lh=36)
    one = text(0, 300, 300, 22, "one line")
    typeset(page(a, b, one))
    assert (a.style["lh"], b.style["lh"], one.style["lh"], one.h) == (22, 36, 22, 22)


def test_stacked_paragraphs_wrap_at_the_widest_measure_but_columns_side_by_side_keep_theirs():
    a = text(0, 0, 760, 58, "ragged", lines=2, lh=29)
    b = text(0, 100, 790, 58, "ragged", lines=2, lh=29)
    typeset(page(a, b))
    assert a.style["measure"] == b.style["measure"] == 790
    left = text(0, 0, 300, 58, "column one", lines=2, lh=29)
    right = text(400, 0, 500, 58, "column two", lines=2, lh=29)
    typeset(page(left, right, kind="row"))
    assert "measure" not in left.style and "measure" not in right.style
