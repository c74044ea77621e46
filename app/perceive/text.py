"""Text lines as facts: each OCR line cut into its columns, with its font size, weight, colour, bullet and
list number read from the screenshot's pixels; then lines joined into the blocks a page is written in.

- `read_lines(arr, lines)` → `Line`s: a Tesseract line whose words lie in columns (a table row, a nav bar)
  is cut into them (`pieces`), less a first "word" that is an icon read as a letter (`_without_icon`); each
  piece gets a font size from the height its letters fill (`font_px`), bold when its strokes are thick
  (`is_bold`), the colour of its letters (`text_colour`), and a list marker when one starts it: a bullet
  Tesseract read as a glyph ("•", "e", "«"…) or left out (a small blob of ink left of the line), or a number
  ("1.", "2)"), whether it is set in a monospace font (`monospaced`), and its words' votes for a serif or
  sans, upright or italic face (`app.perceive.faces.votes`; a block's face is its lines' votes summed,
  `Block.face`).
- `blocks(lines)` → `Block`s: lines that share a left edge (or a centre), size (any of the block's lines'),
  weight and colour, each less than a line's height below the one before, are one paragraph that wraps, broken
  by hand where a line ends short of the next line's first word (`Block.hard_breaks`); a list marker starts a
  new block (a list item), and the lines under it that start where its text starts continue it. Lines of
  code (monospace) are one block with their indents, blank lines and highlighted words (`Block.code`), and
  neither runs on into prose nor prose into them.

Font metrics here are Arial's (Liberation Sans here), the face the pages are written in unless a block's votes say
otherwise.

Not here: reading the text (`vision.ocr`), deciding what a block is on the page (`app.layout`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Sequence

import numpy as np

from app.perceive import faces
from app.perceive.boxes import common_colour, hex_colour
from app.perceive.pixels import distance
from vision.ocr import union_box

# Arial's proportions of the em: what part of a line's box its letters fill (cap/ascender height,
# x-height, descender), to turn a box height into a font size.
CAP, X_HEIGHT, DESCENT = 0.72, 0.53, 0.21
TALL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789bdfhiklt!?$%&#@/\\|()[]{}'\"")
LOW = set("gjpqy,;()[]{}|")
# With line-height 1, an Arial glyph's top lies this part of the font size below its line's top (caps and
# ascenders; x-height letters).
LEAD_TALL, LEAD_LOW = 0.13, 0.33
COLUMN_GAP = 1.0          # words further apart than this × the line's height are in different columns
                          # (a word space is about 0.3 of it; a nav's items or a table's cells are further apart)
BOLD = 0.15               # stroke width over font size above which letters are bold
INK = 96                  # a pixel this far from its background (summed over channels) is ink
MIN_CONF = 30.0           # lines read with less confidence are outlines or icons read as letters
BULLET_GLYPHS = {"•", "·", "●", "○", "◦", "▪", "■", "□", "-", "–", "—", "*", "e", "o", "«", "»", "¢", "°",
                 ">", "›", "+"}
NUMBER = re.compile(r"^(\d{1,2}|[a-hA-H])[.)]$")
SOLID_INK = 0.6           # a "line" whose box is inked more than this is a picture or a block of colour
SAME_COLOUR = 80          # summed channel distance under which two texts are of one colour
LINK_DISTANCE = 120       # a word this far from its paragraph's colour (summed over channels) is set apart
RUN_LETTERS = 3           # letters and digits a run of words set apart in colour holds at least
# A monospace line: its words' widths per character agree (Arial's vary by a tenth or more between words) at
# about 0.6 of the font size (DejaVu Sans Mono, Liberation Mono, Courier: 0.6; Arial's lower case: about 0.47).
MONO_ADVANCE, MONO_MIN, MONO_EVEN, MONO_WORDS = 0.6, 0.53, 0.06, 4
CODE_STEP = 3.4  # a line of code goes on at most this many × its line's step (or size) below the last: a blank line
UNDERLINE = 0.8           # a row of a line's box inked across more than this share is an underline, not letters
EDGE_ROWS = (-3, -2, 1, 3)  # rows a text's background is read from: above its box's top, below its bottom
SPACE_EM, SLACK_EM = 0.28, 0.5  # a space, and the room a hand-broken line leaves to spare, in font sizes
ICON_WORD = 1.8           # a first "word" this many times as tall as the line's others is an icon read as one


@dataclass(frozen=True)
class Line:
    """One line of text on the page: ink box x, y, w, h (px of the screenshot); size: font size in px;
    colour "#rrggbb"; marker: "" / "ul" / "ol" when a list marker starts it (not in `text`)."""

    text: str
    x: int
    y: int
    w: int
    h: int
    size: int
    bold: bool
    colour: str
    marker: str = ""
    mono: bool | None = None  # set in a monospace font (`monospaced`); None: too few words to tell
    inks: tuple[str, ...] = ()  # its words' colours, `colour` first (a link's too: `inks`)
    word_inks: tuple[str, ...] = ()  # each word's colour, in order (`word_colours`); () when not known
    faces: tuple[float, ...] = ()  # its words' votes for each face (`app.perceive.faces.votes`); () none voted

    @property
    def lift(self) -> float:
        """Px between the top of a 1-line-high line box and the top of this line's letters."""
        return self.size * (LEAD_TALL if any(c in TALL for c in self.text) else LEAD_LOW)


@dataclass(frozen=True)
class Block:
    """Lines that read as one element (a paragraph, a heading, a list item, a label): box x, y, w, h of
    their ink; pitch: px from one line's top to the next (0 for one line); align: "left" or "center"."""

    lines: tuple[Line, ...]
    x: int
    y: int
    w: int
    h: int
    pitch: float
    align: str

    @cached_property
    def code(self) -> bool:
        """Whether the block is code: lines of a monospace font and none of another, two of them told by their
        words or one among three lines or more (a command's continued lines are too short to tell), half of
        them at least flush with its left edge."""
        told = sum(ln.mono is True for ln in self.lines)
        flush = sum(ln.x - self.x <= max(4, 0.3 * ln.size) for ln in self.lines)  # (not a centred tag cloud)
        return (len(self.lines) >= 2 and (told >= 2 or (told and len(self.lines) >= 3))
                and not any(ln.mono is False for ln in self.lines) and 2 * flush >= len(self.lines))

    @cached_property
    def face(self) -> tuple[bool, bool]:
        """(serif, italic): what its lines' words show (`app.perceive.faces.face`); code is neither."""
        return (False, False) if self.code else faces.face(ln.faces for ln in self.lines)

    @cached_property
    def colour(self) -> str:
        """The colour most of its characters are in, line by line (a line mostly a link does not colour its
        paragraph)."""
        weight = [sum(len(o.text) for o in self.lines if _colour_distance(o.colour, ln.colour) <= SAME_COLOUR)
                  for ln in self.lines]
        return self.lines[weight.index(max(weight))].colour

    @cached_property
    def colour_runs(self) -> tuple[tuple[int, int, str], ...]:
        """Runs of its words set in another colour than the block's (words `first`..`end - 1` of `text`, and
        their colour): a paragraph's links (real page 10792's "follow me on twitter here" in #500002 in text of
        #393939) or a muted aside (14021's "by Anonym" in grey after each headline). Only runs of at least
        RUN_LETTERS letters or digits (a lone "a" or ":" comes out lighter than its line, anti-aliased); none
        where its words' colours are not known, in code, or where all but a word are in runs (the block's
        colour is then a guess)."""
        if self.code:
            return ()
        words = self.text.split()
        colours = [c for ln in self.lines for c in (ln.word_inks or [None] * len(ln.text.split()))]
        base, out, k = self.colour, [], 0
        while k < len(colours):
            c = colours[k]
            if c is None or _colour_distance(c, base) <= LINK_DISTANCE:
                k += 1
                continue
            end = k + 1
            while end < len(colours) and colours[end] is not None and _colour_distance(colours[end], c) <= SAME_COLOUR:
                end += 1
            if sum(ch.isalnum() for w in words[k:end] for ch in w) >= RUN_LETTERS:
                out.append((k, end, c))
            k = end
        plain = len(colours) - sum(b - a for a, b, _ in out)
        return tuple(out) if plain >= 2 else ()

    @cached_property
    def hard_breaks(self) -> tuple[bool, ...]:
        """Per break between its lines, whether it was made by hand rather than by wrapping: the line ends so
        short that the next line's first word would have fitted after it, within the block's widest line
        (real page 14021's dialogue and its list of links, run together into one paragraph, lost their lines).
        Code's rows are its own; a line's first word is as wide as its share of the line's letters."""
        if self.code or len(self.lines) < 2:
            return ()
        measure = max(ln.w for ln in self.lines)
        out = []
        for ln, nxt in zip(self.lines, self.lines[1:]):
            first = nxt.text.split()[0] if nxt.text.split() else ""
            word = len(first) * nxt.w / max(1, len(nxt.text))
            out.append(ln.w + SPACE_EM * ln.size + word <= measure - SLACK_EM * ln.size)
        return tuple(out)

    @property
    def row_step(self) -> int:
        """Px between the tops of its closest rows (pieces of one row, cut apart as columns, are one row)."""
        return _row_step(self.lines) or 1

    @cached_property
    def text(self) -> str:
        """The lines' texts joined by spaces, or for code line by line, each indented as in the picture and
        the blank lines between them kept."""
        if not self.code:
            return " ".join(ln.text for ln in self.lines)
        rows: list[list[Line]] = []  # a row's pieces (cut where its words stand apart) side by side
        for ln in self.lines:
            if rows and abs(ln.y - rows[-1][0].y) <= 3:
                rows[-1].append(ln)
            else:
                rows.append([ln])
        step = self.row_step
        out = []
        for k, row in enumerate(rows):
            if k:
                out += [""] * max(0, round((row[0].y - rows[k - 1][0].y) / step) - 1)
            text, end = "", self.x
            for ln in sorted(row, key=lambda l: l.x):
                text += " " * max(1 if text else 0, round((ln.x - end) / (MONO_ADVANCE * ln.size))) + ln.text
                end = ln.x + ln.w
            out.append(text)
        return "\n".join(out)

    @property
    def first(self) -> Line:
        return self.lines[0]


def _letters(arr: np.ndarray, line, pad: int = 0):
    """(`line`'s box in `arr`, `pad` px taller on each side, as int RGB; its background), or (None, None) for a
    box outside the image. The background is the commonest colour of rows just above and below the box
    (EDGE_ROWS), which an underline fills only one of: the median of two rows took an underlined link's grey
    for its background, and the page's colour for its letters'."""
    h, w = arr.shape[:2]
    x0, x1 = max(0, line.x), min(w, line.x + max(1, line.w))
    box = arr[max(0, line.y - pad):min(h, line.y + line.h + pad), x0:x1].astype(int)
    if box.size == 0:
        return None, None
    rows = [min(max(line.y + d, 0), h - 1) for d in EDGE_ROWS[:2]]
    rows += [min(max(line.y + line.h + d, 0), h - 1) for d in EDGE_ROWS[2:]]
    return box, common_colour(arr[rows, x0:x1]).astype(float)


def inked_height(arr: np.ndarray, line) -> int:
    """Rows of `line`'s box (2 px around it) holding a pixel far from its background, but not inked across
    (an underline): its letters' height, which Tesseract's word boxes sometimes overstate."""
    box, bg = _letters(arr, line, pad=2)
    if box is None:
        return line.h
    ink = distance(box, bg) > INK
    rows = np.flatnonzero(ink.any(axis=1) & (ink.mean(axis=1) < UNDERLINE))
    return int(rows[-1] - rows[0] + 1) if len(rows) else line.h


def font_px(line, arr: np.ndarray | None = None) -> int:
    """A font size for an OCR line: the height its letters fill (the inked rows of its box in `arr`, else the
    box's height) over the part of the em those letters fill (caps or ascenders, x-height, descenders)."""
    fill = (CAP if any(c in TALL for c in line.text) else X_HEIGHT) + (DESCENT if any(c in LOW for c in line.text) else 0.0)
    return max(9, round((inked_height(arr, line) if arr is not None else line.h) / fill))


def is_bold(arr: np.ndarray, line, size: int) -> bool:
    """Whether `line`'s letters are bold: their mean stroke width (the horizontal runs of ink, pixels at least
    half as far from the background as the inkiest) is over BOLD of the font size (Arial: regular ≈ 0.12,
    bold ≈ 0.18 of it, measured on rendered pages)."""
    box, bg = _letters(arr, line)
    if box is None or size <= 0:
        return False
    far = distance(box, bg)
    ink = (far > 0.5 * far.max()).astype(np.int8) if far.max() > 0 else np.zeros_like(far, dtype=np.int8)
    steps = np.diff(np.pad(ink, ((0, 0), (1, 1))), axis=1)
    runs = np.count_nonzero(steps == 1)
    return bool(runs) and ink.sum() / runs > BOLD * size


def text_colour(arr: np.ndarray, line) -> str:
    """The colour of an OCR line's letters: the one most of its characters are in (`inks`)."""
    return inks(arr, line)[0]


def inks(arr: np.ndarray, line, words: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The colours of an OCR line's words (`ink_colour`; colours within SAME_COLOUR as one), the one most of
    its characters are in first. Read over the whole line, a line that holds a link came out between the two
    (real page 10792: "I've argued before that hours are not a measure of" in #501d1e, between its text's
    #252525 and its link's #800000). `words`: the line's `word_colours`, when read already."""
    words = word_colours(arr, line) if words is None else words
    if not words:
        return (ink_colour(arr, line),)
    out: list[list] = []  # [colour, characters]
    for c, t in zip(words, line.text.split()):
        near = next((o for o in out if _colour_distance(o[0], c) <= SAME_COLOUR), None)
        if near is None:
            out.append([c, len(t)])
        else:
            near[1] += len(t)
    return tuple(c for c, _ in sorted(out, key=lambda o: -o[1]))


def word_colours(arr: np.ndarray, line) -> tuple[str, ...]:
    """Each of `line`'s words' colour (`ink_colour` of its box), in order; () when Tesseract's word boxes do
    not match its words, or the line has one word."""
    texts, boxes = line.text.split(), line.words
    if len(boxes) != len(texts) or len(texts) < 2:
        return ()
    return tuple(ink_colour(arr, replace(line, text=t, x=b[0], y=b[1], w=b[2], h=b[3], words=()))
                 for t, b in zip(texts, boxes))


def ink_colour(arr: np.ndarray, line) -> str:
    """The colour of the letters in `line`'s box: the median of the tenth of its pixels farthest from the
    background."""
    box, bg = _letters(arr, line)
    if box is None:
        return hex_colour(arr[min(max(line.y, 0), arr.shape[0] - 1), min(max(line.x, 0), arr.shape[1] - 1)])
    box = box.reshape(-1, 3)
    far = np.abs(box - bg).sum(axis=1)
    return hex_colour(np.median(box[far >= np.quantile(far, 0.9)], axis=0))


def pieces(line) -> list:
    """`line` cut where its words are further apart than COLUMN_GAP × its height: Tesseract reads a table
    row or a nav bar as one line, and each column's text is its own element. Without word boxes, the line."""
    texts, boxes = line.text.split(), line.words
    if len(boxes) != len(texts) or len(texts) < 2:
        return [line]
    top = min(b[1] for b in boxes)
    out, start = [], 0
    for k in range(1, len(texts) + 1):
        if k == len(texts) or boxes[k][0] - (boxes[k - 1][0] + boxes[k - 1][2]) > COLUMN_GAP * line.h:
            part = boxes[start:k]
            x0, y0 = part[0][0], min(b[1] for b in part)
            x1, y1 = part[-1][0] + part[-1][2], max(b[1] + b[3] for b in part)
            out.append(replace(line, text=" ".join(texts[start:k]), x=x0, y=line.y + y0 - top, w=x1 - x0,
                               h=y1 - y0, words=part))
            start = k
    return out if len(out) > 1 else [line]


def _size(arr: np.ndarray, line) -> int:
    """`font_px` of a line, or of its typical word when it has three or more: an icon or an avatar Tesseract
    took for a word makes the line's box, not its letters, tall."""
    texts, boxes = line.text.split(), line.words
    if len(texts) < 3 or len(boxes) != len(texts):
        return font_px(line, arr)
    sizes = sorted(font_px(replace(line, text=t, x=b[0], y=b[1], w=b[2], h=b[3], words=()), arr)
                   for t, b in zip(texts, boxes))
    return min(font_px(line, arr), sizes[len(sizes) // 2])


def _without_icon(line):
    """`line` without a first "word" of at most 3 characters whose box is ICON_WORD times as tall as its other
    words': an icon Tesseract read as a letter ("a Kyiv Tour", "is Chernobyl Helicopter", "Si Tutorials" on real
    pages 1137 and 74), which set the label in the icon's colour, beside a stray letter. Its box is then the
    words' own."""
    texts, boxes = line.text.split(), line.words
    if len(boxes) != len(texts) or len(texts) < 2 or len(texts[0]) > 3:
        return line
    rest = boxes[1:]
    if boxes[0][3] < ICON_WORD * sorted(b[3] for b in rest)[len(rest) // 2]:
        return line
    x0, y0 = rest[0][0], min(b[1] for b in rest)
    x1, y1 = max(b[0] + b[2] for b in rest), max(b[1] + b[3] for b in rest)
    return replace(line, text=" ".join(texts[1:]), x=x0, y=y0, w=x1 - x0, h=y1 - y0, words=rest)


def _drop_first_word(line):
    """`line` without its first word (a list marker), its box starting at the second word."""
    texts, boxes = line.text.split(), line.words
    if len(boxes) == len(texts) and len(texts) > 1:
        x0 = boxes[1][0]
        return replace(line, text=" ".join(texts[1:]), x=x0, w=line.x + line.w - x0, words=boxes[1:])
    return replace(line, text=" ".join(texts[1:]))


def _blob_left(arr: np.ndarray, line) -> bool:
    """Whether a small round or square blob of ink (a bullet Tesseract left out) lies just left of `line`:
    within 2.2 line heights of its start, at most 0.6 of its height across, centred on its letters."""
    h, w = arr.shape[:2]
    x0, x1 = max(0, int(line.x - 2.2 * line.h)), max(0, line.x - 2)
    y0, y1 = max(0, line.y), min(h, line.y + line.h)
    if x1 - x0 < 3 or y1 - y0 < 4:
        return False
    region = arr[y0:y1, x0:x1].astype(int)
    bg = np.median(region.reshape(-1, 3), axis=0)
    ink = distance(region, bg) > INK
    cols, rows = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
    if not len(cols):
        return False
    bw, bh = cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1
    if cols[0] <= 1 or (x1 - x0) - cols[-1] < 0.25 * line.h:  # ink running on from the left, or no gap
        return False
    return (bw <= 0.6 * line.h and bh <= 0.6 * line.h and bw >= 2 and bh >= 2
            and abs(bw - bh) <= max(2, 0.4 * max(bw, bh)) and ink.sum() >= 0.4 * bw * bh)


def marker_of(arr: np.ndarray, line) -> tuple[str, object]:
    """("ul" | "ol" | "", the line without its marker)."""
    words = line.text.split()
    if len(words) >= 2:
        first = words[0]
        narrow = not line.words or len(line.words) != len(words) or line.words[0][2] <= 0.8 * line.h
        if first in BULLET_GLYPHS and narrow:
            return "ul", _drop_first_word(line)
        if NUMBER.match(first):
            return "ol", _drop_first_word(line)
    if _blob_left(arr, line):
        return "ul", line
    return "", line


def _clean(line):
    """`line` without the words of two or more characters and no letter or digit in them (an icon, an
    underline, a box's edge read as `~—_`), or None when nothing is left."""
    texts = line.text.split()
    keep = [k for k, t in enumerate(texts) if len(t) == 1 or any(c.isalnum() for c in t)]
    if not any(any(c.isalnum() for c in texts[k]) for k in keep):
        return None
    if len(keep) == len(texts):
        return line
    words = tuple(line.words[k] for k in keep) if len(line.words) == len(texts) else ()
    if words:
        x, _, w, _ = union_box(words)
        return replace(line, text=" ".join(texts[k] for k in keep), x=x, w=w, words=words)
    return replace(line, text=" ".join(texts[k] for k in keep))


def monospaced(line, size: int) -> bool | None:
    """Whether an OCR line is set in a monospace font, from its word boxes: the width per character of its
    words of three characters or more, not capitals, agrees within MONO_EVEN (relative deviation) at MONO_MIN of
    `size` or more. None when fewer than MONO_WORDS such words tell (a capitalised title, a short label)."""
    texts = line.text.split()
    if len(texts) != len(line.words) or size <= 0:
        return None
    per = [box[2] / len(t) for t, box in zip(texts, line.words) if len(t) >= 3 and not t.isupper()]
    if len(per) < MONO_WORDS:
        return None
    mean = sum(per) / len(per)
    spread = (sum((v - mean) ** 2 for v in per) / len(per)) ** 0.5 / mean
    return mean >= MONO_MIN * size and spread <= MONO_EVEN


def is_text(arr: np.ndarray, line) -> bool:
    """Whether `line`'s box holds letters, not a block of colour Tesseract read as glyphs ("oS", "6 6" on a
    picture): letters ink at most SOLID_INK of their box."""
    box, _ = _letters(arr, line)
    if box is None:
        return False
    # (against the median of the rows round it: a whole OCR line may run over several backgrounds, a sidebar's
    # and a table's, and against one of them the rest of its box reads as ink)
    h, x0, x1 = arr.shape[0], max(0, line.x), line.x + max(1, line.w)
    edge = np.concatenate([arr[max(0, line.y - 2), x0:x1], arr[min(h - 1, line.y + line.h + 1), x0:x1]])
    return float((distance(box, np.median(edge, axis=0)) > INK).mean()) <= SOLID_INK


def read_lines(arr: np.ndarray, ocr_lines: Sequence) -> list[Line]:
    """The page's text as `Line`s (see the module doc): `ocr_lines` (vision.ocr lines of the screenshot `arr`,
    H×W×3 uint8) cut into columns, unsure reads and lines of no letter or digit left out."""
    out = []
    gray = arr.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    for whole in ocr_lines:
        whole = _clean(whole)
        if whole is None or whole.conf < MIN_CONF:
            continue
        for p in pieces(whole):
            p = _without_icon(p)
            if not any(c.isalnum() for c in p.text):
                continue
            marker, p = marker_of(arr, p)
            size = _size(arr, p)
            words = word_colours(arr, p)
            colours = inks(arr, p, words)
            bold, mono = is_bold(arr, p, size), monospaced(p, size)
            out.append(Line(p.text, p.x, p.y, max(1, p.w), max(1, p.h), size, bold, colours[0], marker, mono,
                            colours, words, () if mono else faces.votes(gray, p, bold)))
    return sorted(out, key=lambda ln: (ln.y, ln.x))


def _colour_distance(a: str, b: str) -> int:
    return sum(abs(int(a[i:i + 2], 16) - int(b[i:i + 2], 16)) for i in (1, 3, 5))


def _row_step(lines: Sequence[Line]) -> int | None:
    """Px between the tops of the closest of `lines`' rows, in order (pieces of one row, within 3 px, are one
    row), or None for a single row."""
    return min((b.y - a.y for a, b in zip(lines, lines[1:]) if b.y - a.y > 3), default=None)


def _continues(block: list[Line], ln: Line) -> str | None:
    """How `ln` continues the block whose lines are `block` ("left", "center"), or None."""
    last, first = block[-1], block[0]
    # one size: of any of its lines (one misread size, 15 px among 17, cut real page 62's paragraph in two)
    if ln.marker or not any(abs(ln.size - b.size) <= max(1, 0.12 * b.size) for b in block):
        return None
    if ln.mono is not None and any(b.mono is (not ln.mono) for b in block):
        return None  # code does not run on into prose
    told = sum(b.mono is True for b in block)
    if told >= 2 or (told and ln.mono):  # code: indented lines, blank lines, highlighted (bold, coloured) words
        step = ln.y - last.y
        if abs(step) <= 3 and ln.x > last.x + last.w:  # the rest of its row (a comment cut off as a column)
            return "left"
        pitch = _row_step(block)
        ratio = max(step, pitch) / max(1, min(step, pitch)) if pitch else 1.0  # whole rows, blank ones between
        if (ln.x >= first.x - max(4, 0.6 * last.size) and 0 < step <= CODE_STEP * min(pitch or ln.size, ln.size * 2)
                and abs(ratio - round(ratio)) <= 0.25):
            return "left"
    if ln.bold != last.bold or not any(_colour_distance(a, b) <= SAME_COLOUR for a in ln.inks or (ln.colour,)
                                       for b in last.inks or (last.colour,)):
        return None  # (a colour of any of its words: a line that is mostly a link goes on in its paragraph)
    gap = ln.y - (last.y + last.h)
    if gap < -2 or gap > 0.9 * last.size:
        return None
    if len(block) >= 2:  # a paragraph's lines come at one pitch
        pitch = last.y - block[-2].y
        if abs((ln.y - last.y) - pitch) > max(3, 0.25 * pitch):
            return None
    tol = max(4, 0.6 * last.size)
    if abs(ln.x - first.x) <= tol and ln.x < last.x + last.w:
        return "left"
    if abs((ln.x + ln.w / 2) - (last.x + last.w / 2)) <= tol and len(block) <= 6:
        return "center"
    return None


def blocks(lines: Sequence[Line]) -> list[Block]:
    """`lines` (of one container, any order) joined into blocks (see the module doc), top to bottom."""
    open_: list[list[Line]] = []
    done: list[list[Line]] = []
    for ln in sorted(lines, key=lambda l: (l.y, l.x)):
        home = None
        for b in open_:
            if _continues(b, ln):
                home = b
                break
        if home is None:
            open_.append([ln])
        else:
            home.append(ln)
        # a block whose last line is well above this one can no longer grow
        still = []
        for b in open_:
            (still if b[-1].y + b[-1].h + 1.2 * b[-1].size >= ln.y else done).append(b)
        open_ = still
    done += open_
    out = []
    for b in done:
        x0, y0, bw, bh = union_box([(ln.x, ln.y, ln.w, ln.h) for ln in b])
        pitch = (b[-1].y - b[0].y) / (len(b) - 1) if len(b) > 1 else 0.0
        align = "left"
        if len(b) > 1 and _continues(b[:1], b[1]) == "center" and abs(b[1].x - b[0].x) > 4:
            align = "center"
        out.append(Block(tuple(b), x0, y0, bw, bh, pitch, align))
    return sorted(out, key=lambda k: (k.y, k.x))
