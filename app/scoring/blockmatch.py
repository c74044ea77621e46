"""Design2Code's text-block matching: merge split blocks, match one-to-one, score the matched pairs.

Follows the procedure of Design2Code's released scorer (Si et al. 2024, `visual_eval_v3_multi`), written
from its description and checked by hand-worked cases in tests/test_fidelity.py:

1. blocks are normalised to a 1×1 page (x, y, w, h as fractions of the page's width and height); blocks
   with the same box are joined into one (texts joined by a space, colours averaged);
2. *merging*: a page's two consecutive blocks (in document order) are joined when that improves the
   matching — "Home About Pricing" in one page and three blocks in the other become one pair. Each pass
   tries every consecutive pair of one page against the other page's blocks, keeps the merges whose
   `difference_of_means` gain exceeds 0.05 (best first, no block merged twice in a pass), then does the
   same for the other page, until neither changes;
3. blocks are matched one-to-one (Hungarian, cost = −text similarity, with Design2Code's context bonus:
   0.1 × the two best similarities among each candidate pair's neighbours); pairs under 0.5 similarity
   are dropped;
4. Block-Match = Σ max(area_ref, area_cand) over matched pairs / (that sum + max(unmatched area of the
   reference, unmatched area of the candidate)); Text, Position (1 − max(|Δcx|, |Δcy|)) and Colour
   (1 − ΔE00/100 of the text colours) are plain means over matched pairs.

Text similarity is `difflib.SequenceMatcher(None, a, b).ratio()`, as Design2Code computes it.

Not here: colour science and the screenshot score (`app/scoring/fidelity.py`), extracting blocks from a page
(`app/scoring/render.py`), OCR lines (`vision/ocr.py`).
"""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from app.scoring.colour import color_similarity

MIN_TEXT_SIMILARITY = 0.5
MERGE_GAIN = 0.05           # a merge is kept when it improves the matching by more than this
CONTEXT_BONUS, CONTEXT_WINDOW = 0.1, 1


@dataclass(frozen=True)
class Box:
    """A text block on a 1×1 page: top-left (x, y), size (w, h); colour is an RGB triple or None (OCR)."""
    text: str
    x: float
    y: float
    w: float
    h: float
    color: tuple | None

    @property
    def area(self) -> float:
        return self.w * self.h

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


def text_similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def normalise(blocks, width: float, height: float) -> list[Box]:
    """Page blocks (objects with text, x, y, w, h and optionally color, in pixels) → `Box`es on a 1×1
    page, blank texts dropped, blocks sharing one box joined."""
    w, h = max(1.0, float(width)), max(1.0, float(height))
    boxes: dict[tuple, Box] = {}
    for b in blocks:
        if not b.text.strip():
            continue
        color = getattr(b, "color", None)
        box = Box(b.text, b.x / w, b.y / h, b.w / w, b.h / h, tuple(color) if color is not None else None)
        key = (box.x, box.y, box.w, box.h)
        boxes[key] = join(boxes[key], box) if key in boxes else box
    return list(boxes.values())


def join(a: Box, b: Box) -> Box:
    """Two blocks as one: texts joined by a space, the enclosing box, the mean colour."""
    x0, y0 = min(a.x, b.x), min(a.y, b.y)
    x1, y1 = max(a.x + a.w, b.x + b.w), max(a.y + a.h, b.y + b.h)
    color = None
    if a.color is not None and b.color is not None:
        color = tuple((p + q) / 2 for p, q in zip(a.color, b.color))
    return Box(a.text + " " + b.text, x0, y0, x1 - x0, y1 - y0, color)


class _Similarity:
    """Text similarities, memoised: merging re-asks the same pairs many times."""

    def __init__(self):
        self.cache: dict[tuple[str, str], float] = {}

    def __call__(self, a: str, b: str) -> float:
        key = (a, b)
        if key not in self.cache:
            self.cache[key] = text_similarity(a, b)
        return self.cache[key]

    def matrix(self, rows: list[Box], cols: list[Box]) -> np.ndarray:
        return np.array([[self(r.text, c.text) for c in cols] for r in rows], dtype=np.float64).reshape(
            len(rows), len(cols))


def _with_context(cost: np.ndarray, bonus: float, window: int) -> np.ndarray:
    """Design2Code's context adjustment: a pair that already matches (cost < −0.5) gets `bonus` × the sum
    of the 2·window best costs in its (2·window+1)² neighbourhood, itself left out once."""
    if bonus == 0 or window <= 0:
        return cost
    n, m = cost.shape
    out = cost.copy()
    for i in range(n):
        for j in range(m):
            if cost[i, j] >= -0.5:
                continue
            near = cost[max(0, i - window):i + window + 1, max(0, j - window):j + window + 1].flatten()
            near = np.sort(near)[::-1]
            near = np.delete(near, np.where(near == cost[i, j])[0][0])
            out[i, j] += bonus * near[-2 * window:].sum()
    return out


def _assign(sim: np.ndarray, bonus: float = 0.0, window: int = 0):
    """Hungarian assignment on cost −sim (with the context bonus): (pairs, their costs)."""
    from scipy.optimize import linear_sum_assignment

    if sim.size == 0:
        return [], []
    cost = _with_context(-sim, bonus, window)
    rows, cols = linear_sum_assignment(cost)
    return list(zip(rows.tolist(), cols.tolist())), cost[rows, cols].tolist()


def difference_of_means(before: list[float], after: list[float]) -> float:
    """Design2Code's merge gain: the costs common to both matchings are set aside; the gain is the mean of
    what is left of `before` minus that of `after`, counted only when `after`'s best pair beats `before`'s
    (costs are negative similarities, so lower is better)."""
    c1, c2 = Counter(before), Counter(after)
    for v in set(before) & set(after):
        k = min(c1[v], c2[v])
        c1[v] -= k
        c2[v] -= k
    u1, u2 = list(c1.elements()), list(c2.elements())
    m1 = sum(u1) / len(u1) if u1 else 0.0
    m2 = sum(u2) / len(u2) if u2 else 0.0
    if m1 - m2 > 0:
        return m1 - m2 if u1 and u2 and min(u1) > min(u2) else 0.0
    return m1 - m2


def _merge_pass(side: list[Box], other: list[Box], sim: _Similarity, side_is_rows: bool) -> list[Box] | None:
    """One pass of merges on `side` against `other`; None when nothing was merged."""
    if len(side) < 2:
        return None

    def costs(blocks):
        s = sim.matrix(blocks, other) if side_is_rows else sim.matrix(other, blocks)
        return _assign(s)[1]

    current = costs(side)
    gains = []
    for i in range(len(side) - 1):
        trial = side[:i] + [join(side[i], side[i + 1])] + side[i + 2:]
        gain = difference_of_means(current, costs(trial))
        if gain > MERGE_GAIN:
            gains.append((gain, i))
    if not gains:
        return None
    gains.sort(key=lambda g: -g[0])  # stable: equal gains keep document order
    merged, used = list(side), set()
    drop = []
    for _, i in gains:
        if i in used or i + 1 in used:
            continue
        merged[i] = join(merged[i], merged[i + 1])
        used.update((i, i + 1))
        drop.append(i + 1)
    return [b for k, b in enumerate(merged) if k not in set(drop)]


def merge_and_match(ref: list[Box], cand: list[Box]) -> tuple[list[Box], list[Box], list[tuple[int, int, float]]]:
    """Design2Code's merging then matching: (merged ref, merged cand, [(i, j, similarity)] with
    similarity ≥ MIN_TEXT_SIMILARITY)."""
    sim = _Similarity()
    while True:
        changed = False
        new_cand = _merge_pass(cand, ref, sim, side_is_rows=True)
        if new_cand is not None:
            cand, changed = new_cand, True
        new_ref = _merge_pass(ref, cand, sim, side_is_rows=False)
        if new_ref is not None:
            ref, changed = new_ref, True
        if not changed:
            break
    s = sim.matrix(ref, cand)
    pairs, _ = _assign(s, CONTEXT_BONUS, CONTEXT_WINDOW)
    return ref, cand, [(i, j, float(s[i, j])) for i, j in pairs if s[i, j] >= MIN_TEXT_SIMILARITY]


def block_scores(ref_blocks, ref_size, cand_blocks, cand_size):
    """(block_match, text, position, color) of candidate blocks against reference blocks (pixels, with the
    pages' sizes); color is None when either side carries no colours (OCR lines)."""
    ref, cand = normalise(ref_blocks, *ref_size), normalise(cand_blocks, *cand_size)
    has_color = bool(ref) and ref[0].color is not None and (not cand or cand[0].color is not None)
    if not ref and not cand:
        return 1.0, 1.0, 1.0, (1.0 if has_color else None)
    zero = (0.0, 0.0, 0.0, 0.0 if has_color else None)
    if not ref or not cand:
        return zero
    ref, cand, matches = merge_and_match(ref, cand)
    if not matches:
        return zero
    matched_area = sum(max(ref[i].area, cand[j].area) for i, j, _ in matches)
    mi, mj = {i for i, _, _ in matches}, {j for _, j, _ in matches}
    unmatched = max(sum(b.area for k, b in enumerate(ref) if k not in mi),
                    sum(b.area for k, b in enumerate(cand) if k not in mj))
    text = float(np.mean([s for _, _, s in matches]))
    pos = float(np.mean([1 - max(abs(ref[i].centre[0] - cand[j].centre[0]), abs(ref[i].centre[1] - cand[j].centre[1]))
                         for i, j, _ in matches]))
    color = float(np.mean([color_similarity(ref[i].color, cand[j].color) for i, j, _ in matches])) if has_color else None
    total = matched_area + unmatched
    return (matched_area / total if total > 0 else 0.0), text, max(0.0, pos), color
