"""Completion: the input's text that the model's page leaves out is laid out after it, from the screenshot.

A small model often stops before the page's end: on 200 held-out pages the embedded mini model wrote a
mean 643 tokens of 1,536 allowed, and the Block-Match it lost was reference text its page lacks (unmatched
reference area 0.82 of a page against 0.10 of unmatched output, over 20 pages). A converter that drops the
bottom half of a mockup loses what the user drew. The pipeline therefore finishes the page itself:

- `shown_lines(code, lines)` tells which OCR lines the code shows: the words of the code's visible text are
  aligned with the lines' words (`difflib`), and a line is shown when half its words are matched, or when
  the model wrote it out of order, whole, among the words not matched so far;
- `first_missing(shown)` is where the page's missing tail starts: the split that best separates shown lines
  (before it) from missing ones (after it). A line the model skipped above that point stays skipped (it
  would have to go inside the model's markup);
- `rest_page(arr, lines, top)` lays out the missing lines (`laid_out`) as a page of their own, positioned as
  in the screenshot: x and width in % of the page's width (so they follow the window), y in px. Each text gets
  its font size from its inked height and the letters it holds, bold when its strokes are thick, and its
  colour from the screenshot; a line whose words lie in columns (Tesseract reads a table row as one line)
  is cut into them. The boxes behind the text (sections, cards, buttons, inputs, images as gradients) are
  drawn from the screenshot's pixels (`app.boxes`), and each button's label is read again on its own
  (`app.labels`: Tesseract reads a button's outline as letters, `{ Cancel } (Exe)`, or loses its label).
  Lines Tesseract read with a confidence under MIN_CONF are left out (`F strtnow | [_seepricing`);
- `complete(code, image, lines)` joins the model's page and that page with `app.sections.join_pages`, as
  `<div class="uc-model">` and `<div class="uc-rest">`, so neither page's styles reach the other. The
  laid-out part starts at a row of one colour above the missing text; the model's part is held to the
  input's height above it. What the model draws below that is cut off (`overflow:hidden`): a small model
  spreads its part out (its sections are often taller than the input's), and otherwise everything laid out
  below would move down with it (on 200 held-out pages: Visual 0.792 → 0.848, Position 0.832 → 0.861,
  Block-Match 0.841 → 0.836).

The model's own markup is not changed: its page becomes the first band of the joined page. Measured gain
and the variants tried: bench/RESULTS.md, "Completion".

Not here: reading the lines (`vision.ocr`), deciding when a conversion is completed (`app.pipeline`).
"""
from __future__ import annotations

import difflib
import html
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
from PIL import Image

from app.perceive.boxes import find_boxes, hex_colour
from app.perceive.labels import read_buttons, relabel
from app.markup import Element, Text, parse_html
from app.sections import join_pages
from vision.ocr import reading_order

HIDDEN = {"head", "style", "script", "title", "template"}
# Arial's proportions of the em: what part of a line's box its letters fill (cap/ascender height,
# x-height, descender), to turn a box height into a font size.
CAP, X_HEIGHT, DESCENT = 0.72, 0.53, 0.21
TALL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789bdfhiklt!?$%&#@/\\|()[]{}'\"")
LOW = set("gjpqy,;()[]{}|")
# With line-height 1, an Arial glyph's top lies this part of the font size below its line's top (caps and
# ascenders; x-height letters): a text is lifted by it so its letters start where the input's do.
LEAD_TALL, LEAD_LOW = 0.13, 0.33
COLUMN_GAP = 1.2          # words further apart than this × the line's height are in different columns
BOLD = 0.15               # stroke width over font size above which letters are bold
INK = 96                  # a pixel this far from its background (summed over channels) is ink
UNIFORM = 6               # a row whose pixels differ by at most this in each channel is of one colour
GAP = 4                   # px above the first missing line where the completion starts
MIN_CONF = 50.0           # OCR lines read with less confidence are not laid out (outlines read as "| [_ |")
PARTS = ("uc-model", "uc-rest")
LAYOUT_CSS = ".uc-box,.uc-text{position:absolute;box-sizing:border-box}\n.uc-text{white-space:nowrap;line-height:1}"  # the classes of the two parts (not `uc-bandK`: a band may be completed)


@dataclass(frozen=True)
class Completion:
    code: str
    added: int  # OCR lines laid out after the model's page (0: the code is returned as it was)


def visible_words(code: str) -> list[str]:
    """The words of the text a browser would show for `code` (text nodes outside head/style/script)."""
    out: list[str] = []

    def walk(node):
        for c in node.children:
            if isinstance(c, Text):
                out.extend(c.data.split())
            elif isinstance(c, Element) and c.tag not in HIDDEN:
                walk(c)

    walk(parse_html(code))
    return out


def shown_lines(code: str, lines: Sequence) -> list[bool]:
    """For each of `lines` (OCR lines in reading order), whether `code` shows it: at least half its words
    are matched, in order, in the code's visible text; or, written out of order, all its words in a row
    among the visible words not matched so far (a model that reorders sections still shows them)."""
    words, owner = [], []
    for i, ln in enumerate(lines):
        for w in ln.text.split():
            words.append(w)
            owner.append(i)
    page = visible_words(code)
    hits, used = [0] * len(lines), [False] * len(page)
    matcher = difflib.SequenceMatcher(None, words, page, autojunk=False)
    for a, b, n in matcher.get_matching_blocks():
        for k in range(n):
            hits[owner[a + k]] += 1
            used[b + k] = True
    shown = [2 * hits[i] >= max(1, len(ln.text.split())) for i, ln in enumerate(lines)]
    for i, ln in enumerate(lines):
        want = ln.text.split()
        if shown[i] or not want:
            continue
        for j in range(len(page) - len(want) + 1):
            if page[j:j + len(want)] == want and not any(used[j:j + len(want)]):
                used[j:j + len(want)] = [True] * len(want)
                shown[i] = True
                break
    return shown


def first_missing(shown: Sequence[bool]) -> int:
    """The index f that best splits `shown` into shown lines before f and missing ones from f on (the most
    lines on the right side of the split; the latest f of equal ones). len(shown) when nothing is missing."""
    n, best, at = len(shown), -1, len(shown)
    before, after_shown = 0, sum(shown)
    for f in range(n + 1):
        fit = before + (n - f - after_shown)
        if fit >= best:
            best, at = fit, f
        if f < n:
            before += shown[f]
            after_shown -= shown[f]
    return at


def font_px(line, arr: np.ndarray | None = None) -> int:
    """A font size for an OCR line: the height its letters fill (the inked rows of its box in `arr`, else the
    box's height) over the part of the em those letters fill (caps or ascenders, x-height, descenders)."""
    fill = (CAP if any(c in TALL for c in line.text) else X_HEIGHT) + (DESCENT if any(c in LOW for c in line.text) else 0.0)
    return max(9, round((inked_height(arr, line) if arr is not None else line.h) / fill))


def _letters(arr: np.ndarray, line, pad: int = 0):
    """(`line`'s box in `arr`, `pad` px taller on each side, as int RGB; its background: the median of the
    rows 2 px above and 1 px below the box), or (None, None) for a box outside the image."""
    h, w = arr.shape[:2]
    x0, x1 = max(0, line.x), min(w, line.x + max(1, line.w))
    box = arr[max(0, line.y - pad):min(h, line.y + line.h + pad), x0:x1].astype(int)
    if box.size == 0:
        return None, None
    edge = np.concatenate([arr[max(0, line.y - 2), x0:x1], arr[min(h - 1, line.y + line.h + 1), x0:x1]])
    return box, np.median(edge, axis=0)


def inked_height(arr: np.ndarray, line) -> int:
    """Rows of `line`'s box (2 px around it) holding a pixel far from its background: its letters' height,
    which Tesseract's word boxes sometimes overstate."""
    box, bg = _letters(arr, line, pad=2)
    if box is None:
        return line.h
    rows = np.flatnonzero((np.abs(box - bg).sum(axis=2) > INK).any(axis=1))
    return int(rows[-1] - rows[0] + 1) if len(rows) else line.h


def is_bold(arr: np.ndarray, line, size: int) -> bool:
    """Whether `line`'s letters are bold: their mean stroke width (the horizontal runs of ink, pixels at least
    half as far from the background as the inkiest) is over BOLD of the font size (Arial: regular ≈ 0.12,
    bold ≈ 0.18 of it, measured on rendered pages)."""
    box, bg = _letters(arr, line)
    if box is None or size <= 0:
        return False
    far = np.abs(box - bg).sum(axis=2)
    ink = (far > 0.5 * far.max()).astype(np.int8) if far.max() > 0 else np.zeros_like(far, dtype=np.int8)
    steps = np.diff(np.pad(ink, ((0, 0), (1, 1))), axis=1)
    runs = np.count_nonzero(steps == 1)
    return bool(runs) and ink.sum() / runs > BOLD * size


def text_colour(arr: np.ndarray, line) -> str:
    """The colour of an OCR line's letters: the median of the tenth of its box's pixels farthest from the
    background."""
    box, bg = _letters(arr, line)
    if box is None:
        return hex_colour(arr[min(max(line.y, 0), arr.shape[0] - 1), min(max(line.x, 0), arr.shape[1] - 1)])
    box = box.reshape(-1, 3)
    far = np.abs(box - bg).sum(axis=1)
    return hex_colour(np.median(box[far >= np.quantile(far, 0.9)], axis=0))


def pieces(line) -> list:
    """`line` cut where its words are further apart than COLUMN_GAP × its height: Tesseract reads a table
    row or a nav bar as one line, and each column's text belongs at its own x, with its own height. Without
    word boxes, the line. (Word boxes keep their own y: a line moved to a band keeps their offsets.)"""
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


def laid_out(arr: np.ndarray, lines: Sequence, top: int, blank: Sequence = (), background=None,
             labels: bool = True) -> list[str]:
    """`lines` (OCR lines of the screenshot `arr`, H×W×3, below row `top`) and the boxes behind them
    (`app.boxes`) as elements of classes `uc-box` and `uc-text`, each at its x and width in % of `arr`'s
    width and its y in px below `top`. `blank`: every text line of the image (none is taken for a box);
    `background`: the colour the boxes are drawn on (RGB; default the pixel at `top`'s left end); `labels`:
    the words on buttons replaced by the buttons' labels read one by one (`app.labels`)."""
    width = arr.shape[1]
    page_bg = arr[min(max(top, 0), arr.shape[0] - 1), 0] if background is None else background
    region = (0, top, width, arr.shape[0])
    if labels:
        buttons = read_buttons(arr, find_boxes(arr, region, page_bg, ()))
        lines, blank = relabel(lines, buttons), relabel(blank, buttons) if blank else ()
    texts = [(ln.x, ln.y, ln.w, ln.h) for ln in (blank or lines)]
    out = []
    for b in find_boxes(arr, region, page_bg, texts):
        paint = f"background:{b.fill}" if b.fill else f"border:1px solid {b.border}"
        out.append(f'<div class="uc-box" style="left:{100 * b.x / width:.2f}%;top:{b.y - top}px;'
                   f'width:{100 * b.w / width:.2f}%;height:{b.h}px;{paint}'
                   + (f";border-radius:{b.radius}px" if b.radius else "") + '"></div>')
    for ln in (p for whole in reading_order(lines) for p in pieces(whole)):
        colour = text_colour(arr, ln)
        size = font_px(ln, arr)
        lift = round(size * (LEAD_TALL if any(c in TALL for c in ln.text) else LEAD_LOW))
        bold = ";font-weight:700" if is_bold(arr, ln, size) else ""
        out.append(f'<span class="uc-text" style="left:{100 * ln.x / width:.2f}%;top:{ln.y - top - lift}px;'
                   f'font-size:{size}px;color:{colour}{bold}">{html.escape(ln.text, quote=False)}</span>')
    return out


def rest_page(arr: np.ndarray, lines: Sequence, top: int, blank: Sequence = (), labels: bool = True) -> str:
    """An HTML page laying out `lines` (OCR lines of the screenshot `arr`, H×W×3, below row `top`) and the boxes
    behind them as in the screenshot (`laid_out`): x and width in % of the page's width (so they follow the
    window), y in px below `top`. `blank`: every text line of the image (none is taken for a box)."""
    height = arr.shape[0] - top
    page_bg = arr[min(max(top, 0), arr.shape[0] - 1), 0]
    css = (f"body{{margin:0;position:relative;height:{height}px;background:{hex_colour(page_bg)};"
           "font-family:Arial,Helvetica,sans-serif}\n" + LAYOUT_CSS)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<style>\n{css}\n</style>\n</head>\n<body>\n<!-- what the model left out, laid out from the input -->\n"
            + "\n".join(laid_out(arr, lines, top, blank, labels=labels)) + "\n</body>\n</html>\n")


def _start(arr: np.ndarray, first: int, floor: int) -> int:
    """Where the laid-out part starts: the lowest row of one colour right across the page between `floor`
    (the bottom of the text above) and the first missing line (a card or section that holds the missing
    text then starts inside it, whole), else GAP px above that line."""
    for y in range(first - GAP, max(floor, 0) - 1, -1):
        row = arr[y].astype(np.int16)
        if (row.max(axis=0) - row.min(axis=0)).max() <= UNIFORM:
            return y
    return max(0, first - GAP)


def complete(code: str, image: Image.Image, lines: Sequence, labels: bool = True) -> Completion:
    """`code` (an HTML page converted from `image`) with the text it leaves out of the page's end laid out
    after it; `lines`: the image's OCR lines (x, y, w, h in pixels); `labels`: see `laid_out`. Unchanged when
    nothing is missing."""
    order = [ln for ln in reading_order(lines) if ln.text.strip() and ln.conf >= MIN_CONF]
    shown = shown_lines(code, order)
    f = first_missing(shown)
    missing = [ln for ln, s in zip(order[f:], shown[f:]) if not s]
    if not missing:
        return Completion(code, 0)
    arr = np.asarray(image.convert("RGB"))
    first = min(ln.y for ln in missing)
    top = _start(arr, first, max((ln.y + ln.h for ln in order[:f] if ln.y + ln.h <= first), default=0))
    joined = join_pages([code, rest_page(arr, missing, top, order, labels)], [top, image.height - top], PARTS,
                        clip=(True, False))
    return Completion(joined, len(missing))
