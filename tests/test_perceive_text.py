"""Facts read off an OCR line's pixels (`app.perceive.text`), on images drawn here with numpy: the expected
colours are the ones painted."""
import numpy as np

from app.perceive.text import Line, blocks, inked_height, monospaced, text_colour
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


def words_at(text: str, x: int, y: int, per_char) -> OcrLine:
    """An OCR line whose words are `per_char(word)` px a character wide, a space of one character between."""
    boxes, at = [], x
    for t in text.split():
        w = round(per_char(t) * len(t))
        boxes.append((at, y, w, 14))
        at += w + round(per_char(t))
    return OcrLine(text, x, y, at - x, 14, 95.0, tuple(boxes))


def test_a_line_whose_words_are_as_wide_per_character_is_monospace():
    """Code in a screenshot (real pages 11139 and 7331, our docs mockup) was written as paragraphs of a
    proportional font. A monospace font's words are as wide per character, about 0.6 of its size; Arial's vary."""
    mono = words_at("const client = new Ferrule(process.env.KEY);", 40, 40, lambda t: 8.4)
    arial = words_at("Register a webhook URL with the create call", 40, 40, lambda t: 6.0 + 2.2 * (t[0] in "Wwm"))
    short = words_at("Copy code", 40, 40, lambda t: 8.4)
    assert (monospaced(mono, 14), monospaced(arial, 14), monospaced(short, 14)) == (True, False, None)


def test_lines_of_code_are_one_block_with_their_indents_and_blank_lines():
    def line(text, x, y, mono=True):
        return Line(text, x, y, 8 * len(text), 14, 14, False, "#e2e8f0", "", mono)

    code = [line('import { Ferrule } from "ferrule";', 40, 79), line("const hook = await client.create({", 40, 100),
            line('url: "https://example.com",', 57, 121, None), line("retries: 5,", 57, 142, None),
            line("});", 40, 163, None), line("export default hook;", 40, 205, True)]
    prose = [Line("Register a URL with the create call.", 40, 40, 300, 14, 14, False, "#334155", "", False)]
    got = blocks(prose + code)
    assert [b.code for b in got] == [False, True]
    assert got[1].text == 'import { Ferrule } from "ferrule";\nconst hook = await client.create({\n  url: "https://example.com",\n  retries: 5,\n});\n\nexport default hook;'


def test_a_line_that_ends_where_the_next_lines_first_word_would_have_fitted_was_broken_by_hand():
    """Real page 14021: a dialogue whose author broke its lines, run together into one paragraph. A line is
    broken by hand when the next line's first word would have fitted after it within the block's widest line;
    a wrapped line leaves no such room."""
    def line(text, y):
        return Line(text, 40, y, 7 * len(text), 11, 15, False, "#333333")

    said = ["Picard: Have you had any success", "in finding a weakness in the Borg? And Mr. Data, have you been",
            "able to reach their command pathways?", "Geordi: Yes, Captain."]
    got = blocks([line(t, 40 + 20 * k) for k, t in enumerate(said)])
    assert len(got) == 1 and got[0].hard_breaks == (True, False, True), got


def test_a_paragraph_goes_on_past_a_line_whose_size_was_misread():
    """Real page 62: a paragraph's middle line, taller in Tesseract's box, was read at 15 px among lines of 17,
    and the paragraph was cut in two there. A line goes on in a block when its size is any of the block's."""
    def line(text, y, size):
        return Line(text, 30, y, 8 * len(text), 17, size, False, "#1d1d1d")

    para = [line("Against this backdrop, research within the project analyses the impact", 408, 17),
            line("people and measures for child protection and risk prevention. The aim is", 430, 15),
            line("rights in all aspects of life.", 454, 17)]
    title = [line("Tax Formula", 520, 24)]
    assert [len(b.lines) for b in blocks(para + title)] == [3, 1]


def test_an_icon_read_as_a_first_letter_is_not_part_of_its_label():
    """Real pages 1137 and 74: an icon and its label read as one line, "a Kyiv Tour", the icon's box taken for
    a word three times as tall as the others. The label was written in the icon's blue, after a stray "a"."""
    from app.perceive.text import read_lines

    arr = np.full((60, 200, 3), 255, np.uint8)
    arr[10:40, 20:50] = (0, 0, 254)                       # the icon
    for sx in range(60, 120, 6):                          # the label's strokes
        arr[28:40, sx:sx + 2] = (60, 60, 60)
    line = OcrLine("a Kyiv Tour", 20, 10, 100, 30, 70.0, ((20, 10, 30, 30), (60, 28, 30, 12), (95, 28, 25, 12)))
    got = read_lines(arr, [line])
    assert [(ln.text, ln.x, ln.colour) for ln in got] == [("Kyiv Tour", 60, "#3c3c3c")], got


def test_a_line_that_holds_a_link_is_in_its_texts_colour_and_its_paragraph_too():
    """Real page 10792: "I've argued before that hours are not a measure of productivity", a dark paragraph whose
    first line is mostly a red link. Read over the whole line its colour came out between the two, and the
    paragraph took the first line's colour. A line's colours are its words', the commonest first, and a
    paragraph is in the colour most of its characters are in."""
    from app.perceive.text import inks

    arr = np.full((40, 300, 3), 255, np.uint8)
    words, boxes, x = [("I've", 1), ("argued", 1), ("hours", 0), ("are", 0), ("not", 0), ("a", 0), ("measure", 0)], [], 10
    for word, dark in words:
        w = 7 * len(word)
        for sx in range(x, x + w, 4):
            arr[12:22, sx:sx + 2] = (37, 37, 37) if dark else (128, 0, 0)
        boxes.append((x, 12, w, 10))
        x += w + 5
    line = OcrLine(" ".join(w for w, _ in words), 10, 12, x - 15, 10, 95.0, tuple(boxes))
    assert inks(arr, line) == ("#800000", "#252525"), inks(arr, line)

    def text_line(text, y, colour, *more):
        return Line(text, 10, y, 7 * len(text), 10, 14, False, colour, "", None, (colour, *more))

    para = blocks([text_line("I've argued before that hours are not a measure of", 12, "#800000", "#252525"),
                   text_line("productivity, but that's not Greg's claim in this post.", 32, "#252525"),
                   text_line("He's saying, quite rightly, that working on your startup", 52, "#252525")])
    assert len(para) == 1 and para[0].colour == "#252525", para


def test_a_paragraphs_words_in_another_colour_are_its_links():
    """Words of a line in a colour far from their paragraph's are a link, as a run of words; a word a shade off
    (anti-aliasing, a bold word) is not, nor is a block in one colour."""
    from app.perceive.text import read_lines

    arr = np.full((40, 400, 3), 255, np.uint8)
    words = [("Read", 0), ("the", 0), ("Joy", 1), ("of", 1), ("Work", 1), ("today", 2), ("and", 0), ("then", 0)]
    ink = {0: (37, 37, 37), 1: (128, 0, 0), 2: (70, 70, 70)}
    boxes, x = [], 10
    for word, kind in words:
        w = 7 * len(word)
        for sx in range(x, x + w, 4):
            arr[12:22, sx:sx + 2] = ink[kind]
        boxes.append((x, 12, w, 10))
        x += w + 5
    line = OcrLine(" ".join(w for w, _ in words), 10, 12, x - 15, 10, 95.0, tuple(boxes))
    (para,) = blocks(read_lines(arr, [line]))
    assert para.colour == "#252525" and para.colour_runs == ((2, 5, "#800000"),), para.colour_runs
    plain = np.where((arr == (128, 0, 0)).all(axis=2)[..., None], np.uint8(37), arr)  # the link's words inked plain
    assert blocks(read_lines(plain, [line]))[0].colour_runs == ()


def test_without_the_font_files_no_line_votes_for_a_face(monkeypatch):
    """A machine without the Liberation fonts reads every text as the page's default face, sans and upright."""
    from app.perceive import faces

    line = words_at("Raised beds behind the station", 10, 10, lambda t: 8.0)
    arr = np.full((40, 400), 255.0, np.float32)
    arr[12:22, 10:300:3] = 0.0
    assert len(faces.votes(arr, line, False)) == len(faces.FACES) + 1  # with them, its words vote
    monkeypatch.setattr(faces, "FONT_DIRS", ())
    faces._paths.cache_clear()
    try:
        assert faces.votes(arr, line, False) == () and faces.face([()]) == (False, False)
    finally:
        monkeypatch.undo()
        faces._paths.cache_clear()
