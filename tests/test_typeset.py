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


def test_sizes_a_px_apart_in_one_face_are_the_commonest_one_and_then_share_one_pitch():
    story = [text(0, 100 * k, 700, 62, "a paragraph of a story that wraps", size=z, lh=lh, lines=2)
             for k, (z, lh) in enumerate([(18, 29), (18, 29), (17, 31), (18, 29), (17, 31)])]
    heading = text(0, 600, 700, 30, "Chapter", size=24, lh=30)
    bold = text(0, 700, 300, 22, "Byline", size=17, lh=22)
    bold.style["weight"] = 700  # another face: its size is its own
    serif = text(0, 800, 300, 22, "Standfirst", size=17, lh=22)
    serif.style["family"] = "serif"
    typeset(page(*story, heading, bold, serif))
    assert [t.style["size"] for t in story] == [18] * 5 and heading.style["size"] == 24
    assert {t.style["lh"] for t in story} == {29}  # 29, 29, 31, 29, 31 now at one size: their median
    assert bold.style["size"] == serif.style["size"] == 17


def test_one_styles_colours_a_shade_apart_are_its_inkiest_and_another_style_keeps_its_own():
    """13545's story is `#222222`; its thin serif letters read `#2f2f2f` as often (ΔE 6, 39 apart summed)."""
    story = [text(0, 100 * k, 700, 22, "a paragraph of a story", colour=c)
             for k, c in enumerate(["#2f2f2f", "#2f2f2f", "#222222", "#2f2f2f"])]
    title = text(0, 600, 700, 40, "Title", size=36, lh=40, colour="#3a3a3a")  # near the story's, but its own style
    light = [text(0, 700 + 30 * k, 300, 22, "on a dark band", size=14, colour=c) for k, c in
             enumerate(["#e6e6e6", "#f2f2f2", "#e6e6e6"])]
    typeset(page(*story, title, *light))
    assert [t.style["colour"] for t in story] == ["#222222"] * 4 and title.style["colour"] == "#3a3a3a"
    assert [t.style["colour"] for t in light] == ["#f2f2f2"] * 3  # light on dark: the lightest


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
    assert (left.style["measure"], right.style["measure"]) == (300, 500)  # each its own


def test_a_measure_holds_its_widest_line_set_in_arial_at_most_a_quarter_wider():
    """Real page 188: a footer's address in a font narrower than Arial; in a box as wide as the picture's
    lines, each line set in Arial took two. Arial's widths (`app.layout.metrics`): "[ADDRESS REDACTED]" at 13 px
    is 145.2 px; at 26 px, 290.4, past a quarter more than 120."""
    address = ["NotaryFly.com", "[ADDRESS REDACTED]", "[ADDRESS REDACTED]"]
    narrow = text(0, 0, 130, 54, " ".join(address), size=13, lh=18, lines=3)
    narrow.style["rows"] = address
    wide = text(0, 100, 120, 54, " ".join(address), size=26, lh=30, lines=3)
    wide.style["rows"] = address
    typeset(Node("page", 0, 0, 1000, 400, [Node("row", 0, 0, 1000, 400, [narrow, Node("column", 500, 0, 120, 54, [wide])])]))
    assert (narrow.style["measure"], wide.style["measure"]) == (145, 150)


def test_short_lines_far_narrower_than_the_room_they_stand_in_were_broken_by_hand():
    """Real pages 1519 and 777: an address, a byline and its date, each line at most BREAK_WORDS words, in a
    column wrapped round it; the room it is narrow against is the page's, not the wrapper's."""
    byline = text(166, 270, 214, 39, "Published: January 12, 2018 Effective: Pay Period 01, 2018", lines=2)
    byline.style["rows"], byline.style["hard"] = ["Published: January 12, 2018", "Effective: Pay Period 01, 2018"], [False]
    prose = text(166, 400, 300, 39, "a paragraph whose lines were wrapped by the column it stood in there", lines=2)
    prose.style["rows"] = ["a paragraph whose lines were wrapped by", "the column it stood in there"]
    prose.style["hard"] = [False]
    wrapper = Node("column", 166, 270, 214, 39, [byline])
    typeset(Node("page", 0, 0, 1000, 800, [Node("column", 0, 0, 1000, 800, [wrapper, prose])]))
    assert byline.style["hard"] == [True] and prose.style["hard"] == [False]
