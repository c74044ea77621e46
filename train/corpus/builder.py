"""Build a corpus directory: generate pages, render them with Chromium, OCR them, write the files.

Per page `i` of a build (`stem = page_{i:05d}`):
  stem.html   the page source
  stem.png    full-page screenshot at the page's viewport (height capped at `max_height`)
  stem.json   {"seed", "split", "difficulty", "kind", "viewport": {name, width, height}, "parts",
               "html_bytes", "png": [w, h], "blocks": [[text, x, y, w, h, [r, g, b]], …],
               "ocr": [[text, x, y, w, h, conf], …], "timing": {render_s, ocr_s}}
`corpus.json` records the build arguments; `manifest.jsonl` (one line per page, no blocks/OCR) is
rewritten at the end of every build.

Resumable: `stem.json` is written last and atomically, so a page whose json exists is complete and
is skipped; anything else of it is rewritten. Re-running with other arguments into the same folder
is refused, since indices would then name different pages.

Workers are processes, each owning one `app.scoring.render.Renderer` (Playwright objects are bound to their
thread) and running Tesseract single-threaded. Page generation itself is `generator.py`'s.
"""
from __future__ import annotations

import io
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

from .generator import DEFAULT_MAX_BYTES, generate_page, split_seeds

MAX_HEIGHT = 4096

_renderer = None  # per worker process; see _init_worker


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _init_worker(own_process: bool = True) -> None:
    global _renderer
    from app.scoring.render import Renderer

    if own_process:
        # Each worker is one process on a small machine: keep BLAS/OpenMP from oversubscribing it.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    _renderer = Renderer()
    _renderer.start()


def build_one(job: tuple) -> dict:
    """Generate, render, OCR and write one page; returns its manifest line."""
    out_dir, index, seed, difficulty, max_bytes, ocr, max_height = job
    out = Path(out_dir)
    stem = f"page_{index:05d}"
    page = generate_page(seed, difficulty=difficulty, max_bytes=max_bytes)
    res = _renderer.render(page.html, width=page.width, height=page.height, full_page=True, max_height=max_height)
    meta = page.meta | {"index": index, "png": [res.width, res.height],
                        "blocks": [b.to_json() for b in res.blocks]}
    timing = {"render_s": round(res.seconds, 3)}
    if ocr:
        from vision.ocr import ocr_image

        o = ocr_image(res.image())
        meta["ocr"] = [ln.to_json() for ln in o.lines]
        timing["ocr_s"] = round(o.seconds, 3)
    meta["timing"] = timing
    (out / f"{stem}.html").write_text(page.html, encoding="utf-8")
    _write_atomic(out / f"{stem}.png", res.png)
    _write_atomic(out / f"{stem}.json", json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode())
    return _manifest_line(meta, stem)


def _manifest_line(meta: dict, stem: str) -> dict:
    keep = ("index", "seed", "split", "difficulty", "kind", "viewport", "parts", "html_bytes", "png")
    return {"stem": stem, **{k: meta[k] for k in keep if k in meta}}


class Progress:
    """A one-line progress bar on stderr: done/total, rate and ETA; plain lines when not a tty."""

    def __init__(self, total: int, label: str, stream=sys.stderr):
        self.total, self.label, self.stream = total, label, stream
        self.done = self.skipped = 0
        self.t0 = time.perf_counter()
        self.tty = stream.isatty()
        self._last = 0.0

    def update(self, n: int = 1, skipped: bool = False) -> None:
        self.done += n
        self.skipped += n if skipped else 0
        now = time.perf_counter()
        if self.tty or now - self._last > 10 or self.done == self.total:
            self._last = now
            self.stream.write(self.line() + ("\r" if self.tty and self.done < self.total else "\n"))
            self.stream.flush()

    def rate(self) -> float:
        made = self.done - self.skipped
        return made / max(1e-9, time.perf_counter() - self.t0)

    def line(self) -> str:
        frac = self.done / max(1, self.total)
        bar = "#" * int(frac * 30)
        r = self.rate()
        eta = (self.total - self.done) / r if r > 0 else 0
        return (f"{self.label} [{bar:<30}] {self.done}/{self.total} {frac:4.0%} "
                f"{r:.2f} pages/s ETA {int(eta) // 60}m{int(eta) % 60:02d}s")


def build(out_dir: str | Path, *, count: int, seed: int = 0, split: str = "train", workers: int = 1,
          difficulty: int | None = None, max_bytes: int = DEFAULT_MAX_BYTES, ocr: bool = True,
          max_height: int = MAX_HEIGHT, progress: bool = True) -> dict:
    """Build (or resume) a corpus of `count` pages of `split` from seed `seed` on. Returns a summary
    {"pages", "made", "skipped", "seconds", "pages_per_s"}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    args = {"count": count, "seed": seed, "split": split, "difficulty": difficulty, "max_bytes": max_bytes,
            "ocr": ocr, "max_height": max_height}
    cfg_path = out / "corpus.json"
    if cfg_path.exists():
        old = json.loads(cfg_path.read_text())
        differing = [k for k in args if k != "count" and old.get(k) != args[k]]
        if differing:
            from uicode.errors import ConfigError

            k = differing[0]
            raise ConfigError(f"{cfg_path}: built with {k}={old.get(k)!r}, not {args[k]!r}; use another OUT_DIR")
    _write_atomic(cfg_path, json.dumps(args, indent=1).encode())

    seeds = split_seeds(split, seed, count)
    todo = [(str(out), i, s, difficulty, max_bytes, ocr, max_height) for i, s in enumerate(seeds)
            if not (out / f"page_{i:05d}.json").exists()]
    bar = Progress(count, f"{split}", stream=sys.stderr if progress else io.StringIO())
    bar.update(count - len(todo), skipped=True)
    bar.t0 = time.perf_counter()
    t0 = time.perf_counter()
    if todo:
        if workers <= 1:
            _init_worker(own_process=False)
            try:
                for job in todo:
                    build_one(job)
                    bar.update()
            finally:
                _renderer.close()
        else:
            ctx = mp.get_context("spawn")
            with ctx.Pool(workers, initializer=_init_worker) as pool:
                for _ in pool.imap_unordered(build_one, todo, chunksize=1):
                    bar.update()
    seconds = time.perf_counter() - t0
    write_manifest(out)
    return {"pages": count, "made": len(todo), "skipped": count - len(todo), "seconds": round(seconds, 1),
            "pages_per_s": round(len(todo) / seconds, 3) if todo and seconds > 0 else None}


def write_manifest(out_dir: str | Path) -> int:
    out = Path(out_dir)
    lines = []
    for p in sorted(out.glob("page_*.json")):
        lines.append(json.dumps(_manifest_line(json.loads(p.read_text()), p.stem), ensure_ascii=False))
    _write_atomic(out / "manifest.jsonl", ("\n".join(lines) + "\n").encode() if lines else b"")
    return len(lines)


def dom_text(meta: dict) -> str:
    """A built page's DOM text (`meta["blocks"]`) in reading order: the reference OCR is scored against."""
    from app.scoring.render import TextBlock
    from vision.ocr import reading_order

    return " ".join(b.text for b in reading_order([TextBlock.from_json(r) for r in meta["blocks"]]))


def ocr_eval(out_dir: str | Path) -> dict:
    """OCR accuracy over a built corpus: CER and word recall of the stored OCR text against the DOM
    text (both in reading order), and mean OCR seconds per page."""
    from vision.ocr import OcrLine, character_error_rate, reading_order, word_recall

    cers, recalls, secs = [], [], []
    for p in sorted(Path(out_dir).glob("page_*.json")):
        meta = json.loads(p.read_text())
        if "ocr" not in meta:
            continue
        ref = dom_text(meta)
        hyp = " ".join(ln.text for ln in reading_order([OcrLine.from_json(r) for r in meta["ocr"]]))
        cers.append(character_error_rate(ref, hyp))
        recalls.append(word_recall(ref, hyp))
        secs.append(meta["timing"].get("ocr_s", 0.0))
    n = len(cers)
    if not n:
        return {"pages": 0}
    return {"pages": n, "cer": round(sum(cers) / n, 4), "word_recall": round(sum(recalls) / n, 4),
            "ocr_s_per_page": round(sum(secs) / n, 3)}
