"""Training examples: a rendered corpus page → (prompt + target token ids, loss mask, encoder inputs).

The prompt is built by the production path (`app.prompt.plan.plan_prompt` → `app.prompt.plan.chat_messages` →
`model.chat.encode_chat`), so the model is trained on exactly what `uicode convert` sends it; the target is
the page's HTML in the fenced block the system prompt asks for, closed by `<|im_end|>`.

A *pack* is the compact, self-contained form of a corpus split that travels to a training machine: per page
the screenshot already resized by the navit rule to the mini model's patch budget (WebP bytes; resizing again
with the same budget is the identity, so training sees what inference sees), the OCR lines serialised for the
prompt, optionally the layout sketch, and the HTML. `build_pack` writes one, `load_pack` reads it.

The prompt carries the page's text one of two ways (`PROMPTS`): "ocr", the OCR lines on a 0-100 grid (the
embedded model's training so far); or "sketch", the layout tree `uicode convert` computes from the screenshot
(`app.layout.infer.infer` on the full-size picture and the same OCR lines, printed by `app.layout.tree.sketch`
on the 0-100 grid) — the noisy sketch inference sees, never one read from the source HTML. "none" trains
without either.

Not here: the corpus itself (`train/corpus`), the optimisation loop (`train/train.py`).
"""
from __future__ import annotations

import gzip
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from PIL import Image

from app.prompt.plan import MediaSlot, chat_messages, plan_prompt
from model.chat import encode_chat
from vision.ocr import OcrLine, serialize_lines
from vision.preprocess import navit_resize, normalise, preprocess_image

PACK_VERSION = 2  # 2: a layout sketch per page ("" when not computed); version 1 packs load without it
PROMPTS = ("ocr", "sketch", "none")


@dataclass
class Example:
    seed: int
    png: bytes     # the screenshot resized by the navit rule (not padded), WebP
    ocr: str       # `vision.ocr.serialize_lines` of the page's OCR, "" if none
    html: str
    sketch: str = ""  # `app.layout.tree.sketch(tree, grid=100)` of the engine's tree of the screenshot, or ""


@dataclass
class Encoded:
    ids: list[int]          # prompt + target
    loss_start: int         # first target position (the prompt is not trained on)
    item: object            # vision.preprocess.MediaItem, pixel_values kept as uint8 (see `collate`)


def target_text(html: str) -> str:
    """What the assistant writes for a page: the HTML in one ```html block."""
    return "```html\n" + html.strip() + "\n```"


def encode_example(ex: Example, tokenizer, in_patch_limit: int, prompt: str = "ocr") -> Encoded:
    """The example's prompt (`prompt`: "ocr", "sketch" or "none", see the module doc) and target as ids."""
    if prompt not in PROMPTS:
        raise ValueError(f"prompt must be one of {PROMPTS}, got {prompt!r}")
    if prompt == "sketch" and not ex.sketch:
        raise ValueError(f"page {ex.seed}: no layout sketch in its pack (pack it with --sketch)")
    image = Image.open(io.BytesIO(ex.png)).convert("RGB")
    # uint8 patches (4x smaller, so ~10k pages fit in memory); `collate` or the trainer normalises them
    item = preprocess_image(image, in_patch_limit=in_patch_limit, normalised=False)
    plan = plan_prompt("html", [MediaSlot("image")], ocr_text=ex.ocr if prompt == "ocr" and ex.ocr else None,
                       sketch=ex.sketch if prompt == "sketch" else None)
    prompt = encode_chat(tokenizer, chat_messages(plan), [item.num_tokens], thinking=plan.thinking)
    target = tokenizer.encode(target_text(ex.html), allow_special=False) + [tokenizer.im_end_id]
    return Encoded(prompt + target, len(prompt), item)


_WORKER_STATE: tuple = ()


def _init_worker(state: tuple) -> None:
    global _WORKER_STATE
    _WORKER_STATE = state
    torch.set_num_threads(1)


def _encode_one(ex: Example) -> Encoded:
    return encode_example(ex, *_WORKER_STATE)


def encode_examples(examples: Sequence[Example], tokenizer, in_patch_limit: int, prompt: str = "ocr",
                    workers: int = 1) -> list[Encoded]:
    """`encode_example` over a pack, in `workers` spawned processes when > 1 (results in order). Spawned, not
    forked: a fork of a process whose torch thread pool has run can hang in the child."""
    if workers <= 1 or len(examples) < 64:
        return [encode_example(e, tokenizer, in_patch_limit, prompt) for e in examples]
    import multiprocessing

    state = (tokenizer, in_patch_limit, prompt)
    with multiprocessing.get_context("spawn").Pool(workers, initializer=_init_worker, initargs=(state,)) as pool:
        return pool.map(_encode_one, examples, chunksize=32)


def _page_files(corpus_dir: Path) -> list[Path]:
    return sorted(corpus_dir.glob("page_*.html"))


def ocr_like_lines(blocks: Sequence[list], rng: random.Random) -> list[OcrLine]:
    """Tesseract-like lines from a render's DOM text blocks `[text, x, y, w, h, rgb]`, for pages rendered
    without OCR (Tesseract costs ~0.7 s a page; rendering ~0.2 s).

    What Tesseract does to screenshots, measured on corpus pages (`vision/ocr.py`) and imitated here: words
    closer than ~1.5 character heights on one row come out as one line, and mostly so do words far apart on one
    row (Tesseract reads a nav bar, a table row or a footer as one line); icon glyphs are mostly missed; some
    small or faint text is missed; ~2 % of characters are wrong (diacritics dropped, look-alikes swapped).
    """
    keep = []
    for text, x, y, w, h, _rgb in blocks:
        text = " ".join(str(text).split())
        if not text:
            continue
        if not any(c.isalnum() for c in text) and rng.random() < 0.85:
            continue
        if rng.random() < 0.05:
            continue
        keep.append([text, float(x), float(y), float(w), float(h)])
    keep.sort(key=lambda b: (round((b[2] + b[4] / 2) / 8), b[1]))
    lines: list[list] = []
    for b in keep:
        last = lines[-1] if lines else None
        gap = b[1] - (last[1] + last[3]) if last is not None else -1
        if (last is not None and abs((last[2] + last[4] / 2) - (b[2] + b[4] / 2)) < 0.5 * max(b[4], last[4])
                and gap >= 0 and (gap < 1.5 * b[4] or rng.random() < 0.95)):
            right = b[1] + b[3]
            top, bottom = min(last[2], b[2]), max(last[2] + last[4], b[2] + b[4])
            last[0] += " " + b[0]
            last[2], last[3], last[4] = top, right - last[1], bottom - top
        else:
            lines.append(list(b))
    return [OcrLine(_char_noise(t, rng), round(x + rng.uniform(-2, 2)), round(y + rng.uniform(-2, 2)),
                    round(w), round(h), 90.0) for t, x, y, w, h in lines]


_LOOKALIKE = {"l": "1", "I": "l", "O": "0", "0": "O", "rn": "m", "e": "c", "i": "l", "S": "5"}


def _char_noise(text: str, rng: random.Random, p: float = 0.015) -> str:
    import unicodedata

    if rng.random() < 0.7:  # Tesseract's eng model mostly drops diacritics
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    out = []
    for c in text:
        r = rng.random()
        if r < p / 3:
            continue
        if r < 2 * p / 3 and c in _LOOKALIKE:
            out.append(_LOOKALIKE[c])
            continue
        out.append(c)
    return "".join(out) or text


def _ocr_lines(meta: dict) -> list[OcrLine]:
    """The page's OCR lines: Tesseract's when the corpus ran it, else imitated from the DOM."""
    if meta.get("ocr"):
        return [OcrLine.from_json(r) for r in meta["ocr"]]
    return ocr_like_lines(meta.get("blocks") or [], random.Random(int(meta["seed"])))


def page_sketch(image: Image.Image, lines: Sequence[OcrLine]) -> str:
    """The layout sketch `uicode convert` puts in the prompt for this screenshot and these OCR lines."""
    import numpy as np

    from app.layout.infer import infer
    from app.layout.tree import sketch

    return sketch(infer(np.asarray(image.convert("RGB")), list(lines)), grid=100)


def _pack_page(html_path: Path, in_patch_limit: int, quality: int = 80, with_sketch: bool = False) -> dict | None:
    stem = html_path.with_suffix("")
    png_path, meta_path = stem.with_suffix(".png"), stem.with_suffix(".json")
    if not (png_path.is_file() and meta_path.is_file()):
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    lines = _ocr_lines(meta)
    with Image.open(png_path) as im:
        im = im.convert("RGB")
        w, h = im.size
        nw, nh, _, _ = navit_resize(w, h, in_patch_limit)
        small = im.resize((nw, nh), Image.BICUBIC)
        drawn = page_sketch(im, lines) if with_sketch else ""
    buf = io.BytesIO()
    # WebP: at q80 7.4 KB a page (q90 9.8 KB, PNG 45 KB) at 41.6 dB PSNR (q90 43.4; 30 train pages), so
    # ~6,000 pages travel to a GPU machine in one 64 MiB call
    small.save(buf, format="WEBP", quality=quality)
    return {"seed": int(meta["seed"]), "png": buf.getvalue(), "ocr": serialize_lines(lines, w, h),
            "html": html_path.read_text(encoding="utf-8"), "sketch": drawn}


def build_pack(corpus_dirs, out_path: str | Path, in_patch_limit: int, limit: int | None = None,
               workers: int = 1, quality: int = 80, skip: int = 0, sketch: bool = False) -> int:
    """Pack rendered corpus directories (`train/corpus/builder.py`: `page_N.html`, `page_N.png`, `page_N.json`
    with the OCR lines) into one file; with `sketch`, each page's layout sketch too (the engine on the
    screenshot, ~0.2-1 s a page). Pages without their json (not finished) are skipped."""
    import functools
    from multiprocessing import Pool

    dirs = [corpus_dirs] if isinstance(corpus_dirs, (str, Path)) else list(corpus_dirs)
    pages = [p for d in dirs for p in _page_files(Path(d))][skip:]
    pages = pages[:limit] if limit is not None else pages
    job = functools.partial(_pack_page, in_patch_limit=in_patch_limit, quality=quality, with_sketch=sketch)
    if workers > 1:
        with Pool(workers) as pool:
            examples = [e for e in pool.imap(job, pages, chunksize=16) if e is not None]
    else:
        examples = [e for e in map(job, pages) if e is not None]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".tmp")
    with gzip.open(tmp, "wb", compresslevel=6) as fh:
        torch.save({"version": PACK_VERSION, "in_patch_limit": in_patch_limit, "examples": examples}, fh)
    tmp.replace(out_path)
    return len(examples)


def load_pack(path: str | Path) -> tuple[list[Example], int]:
    with gzip.open(path, "rb") as fh:
        data = torch.load(io.BytesIO(fh.read()), weights_only=False)
    if data.get("version") not in (1, PACK_VERSION):
        raise ValueError(f"{path}: pack version {data.get('version')} is not one this trainer reads (1, {PACK_VERSION})")
    return [Example(**e) for e in data["examples"]], int(data["in_patch_limit"])


class Batcher:
    """Shuffled batches under a token budget: examples sorted into length buckets so padding stays small."""

    def __init__(self, encoded: Sequence[Encoded], max_tokens: int, seed: int):
        self.encoded = list(encoded)
        self.max_tokens = max_tokens
        self.rng = random.Random(seed)

    def epoch(self) -> list[list[int]]:
        order = sorted(range(len(self.encoded)), key=lambda i: (len(self.encoded[i].ids), self.rng.random()))
        batches, cur, cur_max = [], [], 0
        for i in order:
            n = len(self.encoded[i].ids)
            if cur and max(cur_max, n) * (len(cur) + 1) > self.max_tokens:
                batches.append(cur)
                cur, cur_max = [], 0
            cur.append(i)
            cur_max = max(cur_max, n)
        if cur:
            batches.append(cur)
        self.rng.shuffle(batches)
        return batches


def normalise_pixels(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 patches → `vision.preprocess.normalise`d float32 values (float inputs pass through)."""
    return normalise(pixels) if pixels.dtype == torch.uint8 else pixels


def collate(encoded: Sequence[Encoded], pad_id: int, ignore_index: int = -100,
            normalise: bool = True) -> dict[str, torch.Tensor]:
    """Right-padded ids `[B, S]`, next-token labels `[B, S]` (prompt and padding ignored), packed media
    (float32 pixel values; with `normalise=False` still uint8, for `normalise_pixels` on the device)."""
    s = max(len(e.ids) for e in encoded)
    pixels = torch.cat([e.item.pixel_values for e in encoded])
    ids = torch.full((len(encoded), s), pad_id, dtype=torch.long)
    labels = torch.full((len(encoded), s), ignore_index, dtype=torch.long)
    for b, e in enumerate(encoded):
        t = torch.tensor(e.ids, dtype=torch.long)
        ids[b, :len(t)] = t
        labels[b, e.loss_start - 1:len(t) - 1] = t[e.loss_start:]
    return {
        "input_ids": ids,
        "labels": labels,
        "pixel_values": pixels if not normalise else normalise_pixels(pixels),
        "grid_thws": torch.tensor([e.item.grid_thw for e in encoded], dtype=torch.long),
    }
