"""Button labels, read again one button at a time, for the text laid out from a screenshot.

Tesseract reads a page's buttons badly: it takes an outline or a pill's rounded ends for letters or
brackets (`( Save )`, `{ Cancel } (Exe)`, `id Log in`), or loses a label on a coloured fill. When the
pipeline lays out text from the screenshot (`app.completion`, `app.dialog`), it knows the boxes behind the
text (`app.boxes`), so each box of a button's size (or a disc of an avatar's size: its initials) is read on its
own (`vision.ocr.read_labels`: cut inside its border, its ink black on white, the cuts of a page stacked and read
in one Tesseract run, ~0.2 s), and the words of the page's lines that fall on it are replaced by what that read
gives (a label the page's read lost is added).

`read_buttons(arr, boxes)` reads them; `relabel(lines, buttons)` puts the labels in the lines' place
(a line with no word on a button is kept as it is).

Not here: finding the boxes (`app.boxes`), the OCR itself (`vision.ocr`).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from app.perceive.boxes import centre_within, common_colour, round_box
from vision.ocr import read_labels, union_box

BUTTON_H = (18, 72)  # px: a box this tall, BUTTON_W wide or more and at most MAX_SHARE of the region wide,
BUTTON_W = 36        # is a button (or an input: its placeholder is read the same way)
MAX_SHARE = 0.6
DISC_H = 28          # px: a disc this tall or more is read (an avatar); a smaller one is a tick's or a dot's circle
WIDER = 1.5          # a button is this many times as wide as it is tall, at least
MAX_READS = 32       # buttons read on one page, at most
MIN_CONF = 50.0      # a label read with less confidence is not kept


def is_button(box, width: int) -> bool:
    """A box of a button's size: not a square (an icon), or a disc of an avatar's size (its initials, which
    Tesseract reads from the page as a garble of the row's discs: "@2oeo0o")."""
    disc = round_box(box.w, box.h, box.radius) and box.h >= DISC_H
    return (BUTTON_H[0] <= box.h <= BUTTON_H[1] and (disc or BUTTON_W <= box.w <= MAX_SHARE * width)
            and (disc or box.w >= WIDER * box.h))


def words_where(line, keep):
    """`line` cut to its words whose boxes (x, y, w, h) `keep` accepts, its box fitted to them (None when
    none is left). Without word boxes, the line's own box decides for all of it."""
    if not line.words or len(line.words) != len(line.text.split()):
        return line if keep((line.x, line.y, line.w, line.h)) else None
    kept = [(t, w) for t, w in zip(line.text.split(), line.words) if keep(w)]
    if len(kept) == len(line.words):
        return line
    if not kept:
        return None
    words = tuple(w for _, w in kept)
    x, y, w, h = union_box(words)
    return replace(line, text=" ".join(t for t, _ in kept), x=x, y=y, w=w, h=h, words=words)


def read_buttons(arr: np.ndarray, boxes: Sequence) -> list[tuple]:
    """[(button, label)]: each button of `boxes` (one colour: a gradient is a picture; the first MAX_READS)
    in the screenshot `arr` (H×W×3 uint8) with its label read on its own, all in one Tesseract run (see the
    module doc); a button whose read is empty or unsure (an icon, an empty input) is left out."""
    width = arr.shape[1]
    buttons = [b for b in boxes if is_button(b, width) and not (b.fill or "").startswith("linear-gradient")
               and b.w > 6 and b.h > 6][:MAX_READS]
    asks = [((b.x, b.y, b.w, b.h), common_colour(arr[b.y + 3:b.y + b.h - 3, b.x + 3:b.x + b.w - 3]), b.radius)
            for b in buttons]
    return [(b, label) for b, label in zip(buttons, read_labels(arr, asks) if asks else [])
            if label is not None and label.conf >= MIN_CONF and any(c.isalnum() for c in label.text)]


def relabel(lines: Sequence, buttons: Sequence[tuple]) -> list:
    """`lines` with their words on each of `buttons` (from `read_buttons`) replaced by its label."""
    out = list(lines)
    for b, label in buttons:
        rest = (words_where(ln, lambda w: not centre_within(w, b)) for ln in out)
        # what is left of a line beside a button may be its edge alone ("|"): not text
        out = [m for m in rest if m is not None and any(c.isalnum() for c in m.text)] + [label]
    return out
