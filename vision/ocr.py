"""Offline OCR with positions, through Debian's Tesseract 5 binary (`/usr/bin/tesseract`, TSV output).

`ocr_image(img)` returns the text lines of a screenshot with page-pixel boxes and confidences;
`serialize_lines` writes them compactly for a prompt, one `[x,y,w,h] text` per line on a 0–100 grid
(Design2Code's text-augmented prompting). `character_error_rate` is the metric used below.

Why the binary and not a binding: Tesseract's TSV output already carries block/paragraph/line ids
and word boxes, a subprocess needs no extra Python package, and `pytesseract` would only wrap the
same call. Tesseract reads its model from the local tessdata directory and has no network code;
checked with `strace -f -e trace=connect,socket` (no socket opened) and by running it inside
`unshare -n` (same output).

Accuracy and speed, measured on held-out corpus pages (data/corpus/heldout, built with
`python -m train.corpus build … --split heldout`; mixed difficulty, desktop/laptop/tablet/mobile):
  all 200 pages, defaults (scale 2, polarity on, second pass):  CER 0.076, word recall 0.90
  all 200 pages, scale 2, polarity on, no second pass:          CER 0.116, word recall 0.84
  first 40 pages:  scale 2, polarity on   CER 0.118, word recall 0.854, 1.99 s/page
                   scale 1, polarity on   CER 0.135, word recall 0.813, 1.66 s/page
                   scale 2, polarity off  CER 0.144, word recall 0.838, 1.82 s/page
Times are wall-clock on the 2-core machine while other jobs held the load average at ~15; on a
lightly loaded run (16 pages) one pass took 0.46 s/page. The second pass runs beside the first (one
Tesseract process each): 0.96 s/page against 0.54 s for one pass (20 pages, alternated, load ~1.6).
CER is the Levenshtein distance between the DOM text and the OCR text, both in reading order
(`reading_order`: rows top-to-bottom, then left-to-right), over the DOM text's length. Most of the
residual error is reading order where side-by-side cards wrap their text over several lines (OCR
reads across the columns line by line), icon glyphs (★ ◆ ☰ ✓) and text dimmed under modal overlays (which
the second pass, `contrast_image`, reads in part).

Not here: rendering (`app/scoring/render.py`), deciding how OCR text enters a prompt (the app's pipeline).
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from uicode.errors import MediaError, OcrError

TESSERACT = "/usr/bin/tesseract"
LABEL_INK = 96  # a pixel this far from a label's background (summed over channels) is ink
LARGE_H, LARGE_CONF, LARGE_PAD = 30, 75.0, 24  # px, confidence, px: large text read unsure is read again
LABEL_GAP = 16  # px between the labels' cuts stacked for one Tesseract run (and around them)
FRAME_MARKS = "|[](){}_:;'\"“”‘’!"  # a label's word of these alone is its box's edge read as text


@dataclass(frozen=True)
class OcrLine:
    """One text line: box in pixels of the image given to `ocr_image` (top-left x, y, width,
    height) and the mean word confidence, 0–100; `words`: each word's box (x, y, width, height) in pixels,
    when read by Tesseract (a line of a table row or a nav bar spans wide gaps between its words)."""

    text: str
    x: int
    y: int
    w: int
    h: int
    conf: float
    words: tuple = field(default=(), compare=False, repr=False)

    def to_json(self) -> list:
        return [self.text, self.x, self.y, self.w, self.h, round(self.conf, 1)]

    def raised(self, dy: int) -> "OcrLine":
        """The line in an image cut `dy` px lower down (a band of a long page): its box and its words' boxes."""
        return self.moved(0, -dy)

    def moved(self, dx: int, dy: int) -> "OcrLine":
        """The line, its box and its words' boxes shifted by (dx, dy) px (read in a crop, placed in its page)."""
        return replace(self, x=self.x + dx, y=self.y + dy,
                       words=tuple((x + dx, y + dy, w, h) for x, y, w, h in self.words))

    @classmethod
    def from_json(cls, row: list) -> "OcrLine":
        text, x, y, w, h, conf = row
        return cls(text, int(x), int(y), int(w), int(h), float(conf))


@dataclass
class OcrResult:
    lines: list[OcrLine]
    width: int
    height: int
    seconds: float

    @property
    def text(self) -> str:
        return " ".join(ln.text for ln in reading_order(self.lines))


def _load(image):
    """PIL.Image, path or PNG/JPEG bytes → RGB PIL.Image (MediaError on bad input)."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(image, Image.Image):
        return image.convert("RGB")
    try:
        if isinstance(image, (bytes, bytearray)):
            return Image.open(io.BytesIO(image)).convert("RGB")
        return Image.open(Path(image)).convert("RGB")
    except FileNotFoundError:
        raise MediaError(f"{image}: no such file") from None
    except (UnidentifiedImageError, OSError) as e:
        name = image if not isinstance(image, (bytes, bytearray)) else "image bytes"
        raise MediaError(f"{name}: not a readable image ({e.__class__.__name__})") from None


def normalize_polarity(img, k: int = 15):
    """Grayscale with light-on-dark areas inverted, so all text is dark on light.

    Tesseract's layout analysis drops text on dark or saturated bands (a purple hero, a dark nav, a
    filled button) as picture regions; on 40 held-out pages this lowers CER from 0.144 to 0.118.
    The local background is a k×k box mean: pixels whose neighbourhood is darker than mid-gray are
    inverted. (k=15/25/41 and a median background gave the same CER within ±0.015.)
    """
    import cv2
    import numpy as np
    from PIL import Image

    g = np.asarray(img.convert("L"), dtype=np.float32)
    bg = cv2.blur(g, (k, k))
    return Image.fromarray(np.where(bg < 128, 255 - g, g).astype(np.uint8))


def contrast_image(img, k: int = 31):
    """Grayscale of each pixel's distance from its local background, dark on white: the background is the
    k×k median of each channel (taken at half size), the distance the largest channel difference, stretched so that the
    strongest ink (99.5th percentile) is black.

    Text reads as dark on white whatever its colours: white on a pink button, gray on a dark card under a
    modal's overlay, a serif title on near-black, all of which `normalize_polarity`'s gray levels can leave
    too faint for Tesseract (see `merge_passes` for what the second pass adds)."""
    import cv2
    import numpy as np
    from PIL import Image

    a = np.asarray(img.convert("RGB"))
    h, w = a.shape[:2]
    # the median at half size (a quarter of the pixels, half the window): ~10x faster, same background
    half = cv2.resize(a, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    bg = cv2.resize(cv2.medianBlur(half, k // 2 | 1), (w, h), interpolation=cv2.INTER_LINEAR)
    d = np.abs(a.astype(np.int16) - bg.astype(np.int16)).max(-1).astype(np.float32)
    d = np.clip(d * (255.0 / max(1.0, float(np.percentile(d, 99.5)))), 0, 255)
    return Image.fromarray((255 - d).astype(np.uint8))


def _overlap(a, b) -> float:
    """Intersection of two boxes over the smaller one's area."""
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    return ix * iy / max(1, min(a.w * a.h, b.w * b.h))


def merge_passes(first: list[OcrLine], second: list[OcrLine], min_conf: float = 60.0) -> list[OcrLine]:
    """The lines of two OCR passes over one image. A line of `second` (confidence ≥ `min_conf`, two letters
    or digits at least) is added where no line of `first` lies, and replaces the lines it overlaps when
    it is more confident than all of them and holds at least as many words, or when they are all read with
    less than `min_conf` (white links on a blue sidebar, read by the first pass as one unsure line of
    garbage joined to the heading beside them, "aAb re Tee 8)) Certificate system", and by the second as
    one sure line each).

    Measured on the 200 held-out pages (DOM text as reference), `first` = the `normalize_polarity` pass,
    `second` = the `contrast_image` pass (`ocr_image`'s default): word recall 0.844 → 0.897, CER 0.116 →
    0.076, and the share of read words that are on the page 0.910 → 0.923. The contrast pass alone: 0.895 /
    0.089 / 0.880 (its box edges read as brackets, which the merge mostly leaves out)."""
    out = list(first)
    for line in second:
        if line.conf < min_conf or sum(ch.isalnum() for ch in line.text) < 2:
            continue
        hit = [ln for ln in out if _overlap(line, ln) > 0.2]
        if not hit:
            out.append(line)
        elif line.conf > max(ln.conf for ln in hit) and (
                max(ln.conf for ln in hit) < min_conf
                or len(line.text.split()) >= sum(len(ln.text.split()) for ln in hit)):
            out = [ln for ln in out if not any(ln is h for h in hit)] + [line]
    return reading_order(out)


def ocr_image(image, *, scale: int = 2, psm: int = 3, lang: str = "eng", min_conf: float = 10.0,
              polarity: bool = True, second_pass: bool = True, large: bool = True,
              executable: str = TESSERACT) -> OcrResult:
    """OCR `image` (PIL.Image, path or encoded bytes). `scale` upsamples first (screen text is
    ~12–16 px high, below what Tesseract's models were trained on; 2 cuts CER by a third, see the
    module docstring). Boxes are mapped back to the original pixels. Lines whose mean confidence
    is below `min_conf` (icons, borders read as text) are dropped. With `second_pass`, Tesseract also
    reads `contrast_image(image)` (both runs at once, one process each) and the two are merged
    (`merge_passes`). With `large`, unsure lines of large text are read again at their own size
    (`reread_large`)."""
    if not Path(executable).exists() and shutil.which(executable) is None:
        raise OcrError(f"Tesseract not found at {executable}: install the Debian package 'tesseract-ocr' "
                       "(scripts/setup.sh does it)")
    img = _load(image)
    w0, h0 = img.size
    grays = [normalize_polarity(img) if polarity else img.convert("L")]
    if second_pass:
        grays.append(contrast_image(img))
    t0 = time.perf_counter()
    cmd = [executable, "stdin", "stdout", "--psm", str(psm), "-l", lang, "tsv"]
    passes = _tesseract(grays, cmd, scale, min_conf)
    lines = merge_passes(*passes) if len(passes) == 2 else passes[0]
    if large:
        lines = reread_large(img, lines, cmd, min_conf)
    return OcrResult(lines=lines, width=w0, height=h0, seconds=time.perf_counter() - t0)


def _tesseract(grays, cmd: list[str], scale: int, min_conf: float) -> list[list[OcrLine]]:
    """Each of the gray images read by Tesseract (`cmd`), all at once (one process each), upsampled `scale`
    times first: its lines, boxes in the image's pixels."""
    from PIL import Image

    # One OpenMP thread: the machines this runs on are small and the corpus builder already runs
    # one Tesseract per worker process.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    procs = []
    for gray in grays:
        if scale != 1:
            gray = gray.resize((gray.width * scale, gray.height * scale), Image.LANCZOS)
        buf = io.BytesIO()
        gray.save(buf, format="PNG", compress_level=1)
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        procs.append((proc, buf.getvalue()))
    passes = []
    try:
        for proc, data in procs:
            try:
                out, err = proc.communicate(data, timeout=120)
            except subprocess.TimeoutExpired:
                raise OcrError("tesseract took more than 120 s on one image") from None
            if proc.returncode != 0:
                msg = err.decode(errors="replace").strip().splitlines()
                raise OcrError(f"tesseract failed (exit {proc.returncode}): {msg[-1] if msg else 'no message'}")
            passes.append(parse_tsv(out.decode("utf-8", errors="replace"), scale=scale, min_conf=min_conf))
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return passes


def reread_large(img, lines: list[OcrLine], cmd: list[str], min_conf: float = 10.0) -> list[OcrLine]:
    """`lines` with each stretch of unsure large text read again, its polarity judged at its own size.
    `normalize_polarity` judges each pixel's background over 15 px, which inside a 56 px headline's strokes is
    the letters themselves: `landing_dark`'s white "Ship to the edge in seconds, not sprints." on near-black came
    out hollowed, as "5 O UNE Saw IN SeCOnas" and "At sprints" (confidence 66 and 46). Lines at least LARGE_H px
    tall read with less than LARGE_CONF make up a region (with the lines their box, LARGE_PAD px wider, meets);
    it is read again, unscaled, its background judged over twice its tallest line ("Ship to the edge in
    seconds," 92, "not sprints." 96), and its new lines replace the old where they are surer (mean confidence
    by letters)."""
    regions = []  # [x0, y0, x1, y1, tallest line]
    for ln in lines:
        if ln.h >= LARGE_H and ln.conf < LARGE_CONF:
            box = [ln.x - LARGE_PAD, ln.y - LARGE_PAD, ln.x + ln.w + LARGE_PAD, ln.y + ln.h + LARGE_PAD, ln.h]
            for r in [r for r in regions if r[0] < box[2] and box[0] < r[2] and r[1] < box[3] and box[1] < r[3]]:
                regions.remove(r)
                box = [min(box[0], r[0]), min(box[1], r[1]), max(box[2], r[2]), max(box[3], r[3]), max(box[4], r[4])]
            regions.append(box)
    for x0, y0, x1, y1, tallest in regions:
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(img.width, x1), min(img.height, y1)
        inside = [ln for ln in lines if x0 <= ln.x + ln.w / 2 < x1 and y0 <= ln.y + ln.h / 2 < y1]
        crop = normalize_polarity(img.crop((x0, y0, x1, y1)), k=2 * tallest + 1)
        again = [ln.moved(x0, y0) for ln in _tesseract([crop], cmd, 1, min_conf)[0]]
        if again and _sureness(again) > _sureness(inside):
            lines = [ln for ln in lines if not any(ln is o for o in inside)] + again
    return reading_order(lines) if regions else lines


def _sureness(lines: list[OcrLine]) -> float:
    """Mean confidence of `lines`, by letters and digits."""
    n = [sum(c.isalnum() for c in ln.text) for ln in lines]
    return sum(k * ln.conf for k, ln in zip(n, lines)) / sum(n) if sum(n) else 0.0


def read_labels(arr, boxes, executable: str = TESSERACT) -> list[OcrLine | None]:
    """The one line of text inside each of `boxes` ((x, y, w, h), background RGB, corner radius) of the RGB
    array `arr` (H×W×3 uint8): buttons' labels. Read within a page, Tesseract takes a button's outline and
    rounded ends for brackets (`( Save )`, `{ Cancel } (Exe)`) or loses the label. Here each box is cut
    inside its border and rounding (a disc, an avatar, inside its edge: its corners are the page's) and its ink
    (pixels far from its background) drawn black on white; the
    cuts are stacked, LABEL_GAP px apart, and read in one run (3× upsampled, `--psm 6`), each read line
    going back to the box it lies in. Boxes in `arr`'s pixels; None for a box where nothing is read."""
    import numpy as np
    from PIL import Image

    cuts = []  # (index, ink, x, y of the cut in arr)
    for k, ((x, y, w, h), background, radius) in enumerate(boxes):
        disc = abs(w - h) <= 2 and 2 * radius >= w - 2  # an avatar: its initials fill the middle of the disc
        ix, iy = (3 if disc else 3 + int(0.6 * min(radius, h // 2))), 3
        sub = np.asarray(arr[y + iy:y + h - iy, x + ix:x + w - ix], dtype=np.int16)
        if sub.shape[0] < 6 or sub.shape[1] < 6:
            continue
        ink = np.abs(sub - np.asarray(background, dtype=np.int16)).sum(axis=2) > LABEL_INK
        if disc:  # what lies outside the disc (3 px in from its edge) is the page, not ink
            yy, xx = np.mgrid[:sub.shape[0], :sub.shape[1]]
            ink &= (yy + iy + 0.5 - h / 2) ** 2 + (xx + ix + 0.5 - w / 2) ** 2 <= (min(w, h) / 2 - 3) ** 2
        if ink.any():
            cuts.append((k, ink, x + ix, y + iy))
    out: list[OcrLine | None] = [None] * len(boxes)
    if not cuts:
        return out
    width = max(ink.shape[1] for _, ink, _, _ in cuts) + 2 * LABEL_GAP
    sheet = np.full((sum(ink.shape[0] + LABEL_GAP for _, ink, _, _ in cuts) + LABEL_GAP, width), 255, np.uint8)
    tops, top = [], LABEL_GAP
    for _, ink, _, _ in cuts:
        sheet[top:top + ink.shape[0], LABEL_GAP:LABEL_GAP + ink.shape[1]][ink] = 0
        tops.append(top)
        top += ink.shape[0] + LABEL_GAP
    lines = ocr_image(Image.fromarray(sheet), scale=3, psm=6, polarity=False, second_pass=False,
                      executable=executable).lines
    found: dict[int, list] = {}
    for ln in lines:
        for t, (wx, wy, ww, wh) in zip(ln.text.split(), ln.words):
            c = wy + wh / 2
            j = next((j for j, (_, ink, _, _) in enumerate(cuts) if tops[j] <= c < tops[j] + ink.shape[0]), None)
            # A border or a rounded end read as a letter of its own: "( Save )", "| +10.6%".
            if j is not None and t.strip(FRAME_MARKS):
                _, _, ox, oy = cuts[j]
                found.setdefault(j, []).append((t, (wx - LABEL_GAP + ox, wy - tops[j] + oy, ww, wh), ln.conf))
    for j, kept in found.items():
        words = tuple(w for _, w, _ in kept)
        out[cuts[j][0]] = OcrLine(" ".join(t for t, _, _ in kept), *union_box(words),
                                  sum(c for _, _, c in kept) / len(kept), words)
    return out


def union_box(boxes) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the rectangle around `boxes`, each an (x, y, w, h, …) tuple: a line's box from its
    words' boxes."""
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def parse_tsv(tsv: str, *, scale: int = 1, min_conf: float = 10.0) -> list[OcrLine]:
    """Tesseract TSV (level, page, block, par, line, word, left, top, width, height, conf, text)
    → lines: words grouped by (block, par, line), box = union of word boxes / `scale`."""
    groups: dict[tuple[int, int, int], list[tuple[int, int, int, int, float, str]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        if not text:
            continue
        key = (int(cols[2]), int(cols[3]), int(cols[4]))
        left, top, width, height = (int(c) for c in cols[6:10])
        groups.setdefault(key, []).append((left, top, width, height, float(cols[10]), text))
    lines = []
    for words in groups.values():
        x, y, w, h = union_box(words)
        conf = sum(wd[4] for wd in words) / len(words)
        if conf < min_conf:
            continue
        lines.append(OcrLine(" ".join(wd[5] for wd in words), round(x / scale), round(y / scale),
                             round(w / scale), round(h / scale), conf,
                             tuple(tuple(round(v / scale) for v in w[:4]) for w in words)))
    return reading_order(lines)


def reading_order(items):
    """Sort boxes top-to-bottom, then left-to-right; boxes whose vertical centres lie within half a
    line of each other count as one row. Works on anything with x, y, h attributes."""
    items = sorted(items, key=lambda b: (b.y + b.h / 2, b.x))
    rows, out = [], []
    for b in items:
        c = b.y + b.h / 2
        if rows and abs(c - rows[-1][0]) <= max(4.0, b.h / 2):
            rows[-1][1].append(b)
        else:
            rows.append([c, [b]])
    for _, row in rows:
        out.extend(sorted(row, key=lambda b: b.x))
    return out


def serialize_lines(lines, width: int, height: int, grid: int = 100) -> str:
    """`[x,y,w,h] text` per line, coordinates as integers on a 0–`grid` scale of the image size."""
    def q(v, total):
        return max(0, min(grid, round(v * grid / max(1, total))))

    return "\n".join(f"[{q(ln.x, width)},{q(ln.y, height)},{q(ln.w, width)},{q(ln.h, height)}] {ln.text}"
                     for ln in reading_order(lines))


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute all cost 1); O(len(a)·len(b)) time, O(len(b)) memory."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein(reference, hypothesis) / len(reference), whitespace runs collapsed first."""
    ref, hyp = " ".join(reference.split()), " ".join(hypothesis.split())
    if not ref:
        return 0.0 if not hyp else 1.0
    return levenshtein(ref, hyp) / len(ref)


def word_recall(reference: str, hypothesis: str) -> float:
    """Share of the reference's words (multiset) that also occur in the hypothesis."""
    from collections import Counter

    ref, hyp = Counter(reference.split()), Counter(hypothesis.split())
    total = sum(ref.values())
    return 1.0 if total == 0 else sum(min(n, hyp[w]) for w, n in ref.items()) / total
