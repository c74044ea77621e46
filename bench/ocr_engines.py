"""Tesseract (`vision.ocr.ocr_image`, two passes) against RapidOCR's ONNX PP-OCR models, on held-out synthetic pages
and on real web pages.

    .venv/bin/python bench/ocr_engines.py [--pages 40] [--corpus data/mini/heldout] [--realpages ../shared/realpages]
        [--no-realpages] [--engines tesseract,rapidocr,rapidocr_onnxruntime] [--record] [--json PAGES.json]

RapidOCR is not a dependency of the project: `.venv/bin/pip install rapidocr==3.10.0 onnxruntime==1.32.0 -c
requirements.txt` (its wheel holds the PP-OCRv6 models); `rapidocr_onnxruntime` 1.4.4 wants `opencv-python` beside the
project's headless OpenCV, so install it with `--no-deps` after `onnxruntime pyclipper shapely six`.

Two sets of pages: the first N held-out corpus pages (reference: the page's DOM text, `train.corpus.builder.dom_text`)
and the first N real pages of `--realpages` (NAME.png, 1280 px wide; reference: the visible text blocks of NAME.html
rendered with `app.scoring.render.Renderer` at the viewport in viewports.json, the blocks that lie on the screenshot, in
reading order). All references are rendered before any OCR runs, so Chromium does not load the machine while the
engines are timed.

For each page every engine reads the screenshot in turn, the order rotated page by page (`bench.alternate.alternate`),
so that load on a shared machine falls on all alike; each engine is loaded and warmed up on one page before timing.
Reported per engine and set: word recall (share of the reference's words read), precision (share of the read words
that are on the page), CER (both texts in reading order, `vision.ocr.reading_order`), seconds per page (median and
mean wall time of the engine's call, model load excluded; mean CPU seconds, user + system of this process and of
Tesseract's processes, which a loaded machine inflates less) and whether the engine gives each word's box; then each
RapidOCR engine's figures over Tesseract's. `--record` appends the section to bench/RESULTS.md, `--json` writes each
page's figures.

RapidOCR runs with its bundled models (no download), no angle classifier (screenshots are upright), `max_side_len`
4096 (its default, 2000, shrinks pages taller than 2000 px before detection and recognition) and word boxes on (what
the layout would use); the ONNX runtime uses its default threads (all cores), as Tesseract's two passes run as two
processes at once. Its lines become `vision.ocr.OcrLine`s (conf 0-100) with the engine's word boxes, or the line's box
split by character counts where they do not match the line's words (`split_words`).

Not measured here: what the lines do to a conversion (`uicode eval`).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from bench.alternate import ROOT, alternate, machine_and_date, publish  # noqa: E402

REALPAGES = ROOT.parent / "shared" / "realpages"
ENGINES = ("tesseract", "rapidocr", "rapidocr_onnxruntime")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=40, help="pages of each set (default 40)")
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "mini" / "heldout")
    ap.add_argument("--realpages", type=Path, default=REALPAGES if REALPAGES.is_dir() else None,
                    help=f"folder of NAME.png, NAME.html and viewports.json (default {REALPAGES} when present)")
    ap.add_argument("--no-realpages", action="store_true", help="held-out pages only")
    ap.add_argument("--engines", default=None,
                    help=f"comma-separated, from {', '.join(ENGINES)} (default: tesseract and the RapidOCR "
                         "packages that are installed)")
    ap.add_argument("--record", action="store_true", help="append the section to bench/RESULTS.md")
    ap.add_argument("--json", type=Path, default=None, help="also write each page's figures to this file")
    args = ap.parse_args(argv)
    if args.pages < 1:
        ap.error("--pages must be at least 1")
    if not any(args.corpus.glob("page_*.json")):
        ap.error(f"--corpus {args.corpus}: no held-out pages (build them with `python -m train.corpus build "
                 f"{args.corpus} --count 40 --seed 0 --split heldout`)")
    if args.no_realpages:
        args.realpages = None
    elif args.realpages is not None and not (args.realpages / "viewports.json").is_file():
        ap.error(f"--realpages {args.realpages}: no viewports.json there")
    import importlib.util

    if args.engines is None:
        args.engines = ["tesseract"] + [e for e in ENGINES[1:] if importlib.util.find_spec(e) is not None]
    else:
        args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
        bad = [e for e in args.engines if e not in ENGINES]
        if bad or not args.engines:
            ap.error(f"--engines: unknown {', '.join(bad) or '(none)'}; choose from {', '.join(ENGINES)}")
        missing = [e for e in args.engines[1:] if e in ENGINES[1:] and importlib.util.find_spec(e) is None]
        if missing:
            ap.error(f"--engines: {', '.join(missing)} not installed (see this script's docstring)")
    if len(args.engines) < 2 or args.engines[0] != "tesseract":
        ap.error("--engines: tesseract first and at least one RapidOCR package (pip install rapidocr)")
    args.no_append = not args.record
    return args


# -- engines: each a function PIL.Image → list[vision.ocr.OcrLine], plus its name and version and what boxes it gives

RAPID_PARAMS = {"Global.log_level": "warning", "Global.use_cls": False, "Global.max_side_len": 4096}


def make_engine(name: str):
    """(read, "name version", word boxes) for `name`; the model is loaded here, not in `read`."""
    if name == "tesseract":
        import subprocess

        from vision.ocr import TESSERACT, ocr_image

        first = subprocess.run([TESSERACT, "--version"], capture_output=True, text=True).stdout.splitlines()
        return (lambda img: ocr_image(img).lines), (first[0] if first else "tesseract"), "yes"
    # onnxruntime ≥ 1.2x queues a usage event ("ProcessInfo") in ~/.cache/Microsoft/DeveloperTools/.onnxruntime at
    # import unless this is set first (onnxruntime.disable_telemetry_events() comes too late for that one)
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    if name == "rapidocr":
        from rapidocr import RapidOCR

        engine = RapidOCR(params=RAPID_PARAMS)

        def read(img):
            out = engine(_bgr(img), return_word_box=True)
            if not out.txts:
                return []
            words = [(t, b) for line in (out.word_results or ()) for t, _, b in line]
            return _to_lines([(b, t, s) for b, t, s in zip(out.boxes, out.txts, out.scores)], words)

        return read, f"rapidocr {_dist_version('rapidocr')} (PP-OCRv6 small)", "yes"
    if name == "rapidocr_onnxruntime":
        from rapidocr_onnxruntime import RapidOCR

        engine = RapidOCR()
        engine.max_side_len = RAPID_PARAMS["Global.max_side_len"]

        def read(img):
            res, _ = engine(_bgr(img), use_cls=False, return_word_box=True)
            words = []
            for row in res or ():  # [box, text, score, character boxes, characters, character scores]
                if len(row) >= 5 and row[3] and len(row[3]) == len(row[4]):
                    word = []
                    for box, ch in [*zip(row[3], row[4]), (None, " ")]:
                        if ch.strip():
                            word.append((ch, box))
                        elif word:
                            words.append(("".join(c for c, _ in word), [p for _, b in word for p in b]))
                            word = []
            return _to_lines([(r[0], r[1], r[2]) for r in res or ()], words)

        version = f"rapidocr_onnxruntime {_dist_version('rapidocr_onnxruntime')} (PP-OCRv4 ch)"
        return read, version, "yes (its characters' boxes)"
    raise ValueError(name)


def _bgr(img):
    import numpy as np

    return np.ascontiguousarray(np.asarray(img.convert("RGB"))[:, :, ::-1])


def _to_lines(items, words) -> list:
    """OcrLines from RapidOCR's (polygon, text, score 0-1) lines and (text, polygon) words: a line takes the words whose
    centres lie in its box when their letters are the line's, else its box split by character counts
    (`split_words`)."""
    from vision.ocr import OcrLine, reading_order

    def rect(poly):
        xs, ys = [p[0] for p in poly], [p[1] for p in poly]
        return round(min(xs)), round(min(ys)), round(max(xs) - min(xs)), round(max(ys) - min(ys))

    wboxes = [(t, rect(b)) for t, b in words]
    taken, lines = set(), []
    for poly, text, score in items:
        text = " ".join(str(text).split())
        if not text:
            continue
        x, y, w, h = rect(poly)
        mine = [k for k, (_, (wx, wy, ww, wh)) in enumerate(wboxes) if k not in taken
                and x <= wx + ww / 2 <= x + w and y <= wy + wh / 2 <= y + h]
        if mine and "".join(wboxes[k][0] for k in mine) == text.replace(" ", "") and len(mine) == len(text.split()):
            taken.update(mine)
            boxes = tuple(wboxes[k][1] for k in sorted(mine, key=lambda k: wboxes[k][1][0]))
        else:
            boxes = split_words(text, x, y, w, h)
        lines.append(OcrLine(text, x, y, w, h, 100.0 * float(score), boxes))
    return reading_order(lines)


def split_words(text: str, x: int, y: int, w: int, h: int) -> tuple:
    """Each word's box when only the line's is known: the line's width shared in proportion to character counts
    (a space counts as one)."""
    out, pos, n = [], 0, max(1, len(text))
    for word in text.split(" "):
        if word:
            out.append((x + round(w * pos / n), y, max(1, round(w * len(word) / n)), h))
        pos += len(word) + 1
    return tuple(out)


def _dist_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


# -- pages: (name, image path, reference text)

def heldout_pages(corpus: Path, n: int) -> list[tuple[str, Path, str]]:
    from train.corpus.builder import dom_text

    return [(mp.stem, mp.with_suffix(".png"), dom_text(json.loads(mp.read_text())))
            for mp in sorted(corpus.glob("page_*.json"))[:n]]


def real_pages(folder: Path, n: int) -> list[tuple[str, Path, str]]:
    """The first `n` pages by name; the reference is NAME.html's visible text blocks that lie on NAME.png."""
    from PIL import Image

    from app.scoring.render import Renderer
    from vision.ocr import reading_order

    viewports = json.loads((folder / "viewports.json").read_text())
    out = []
    with Renderer() as r:
        for name in sorted(viewports, key=lambda s: (len(s), s))[:n]:
            png = folder / f"{name}.png"
            with Image.open(png) as im:
                w, h = im.size
            vp = viewports[name]
            res = r.render(folder / f"{name}.html", width=int(vp["width"]), height=int(vp["height"]))
            blocks = [b for b in res.blocks if b.x < w and b.y < h and b.x + b.w > 0 and b.y + b.h > 0]
            out.append((name, png, " ".join(b.text for b in reading_order(blocks))))
    return out


def measure(pages, engines: dict) -> dict:
    """engine → [(recall, precision, CER, wall seconds, CPU seconds)] over `pages`, the engines' order rotated page by
    page. CPU seconds: this process's and its finished children's (Tesseract's processes) user + system time."""
    import resource

    from PIL import Image

    from vision.ocr import character_error_rate, reading_order, word_recall

    def cpu() -> float:
        return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                     resource.getrusage(resource.RUSAGE_CHILDREN)))

    def timed(fn, img):
        c = cpu()
        lines = fn(img)
        return lines, cpu() - c

    names = list(engines)
    texts = {name: [] for name in names}
    for k, (_, png, _) in enumerate(pages):
        with Image.open(png) as im:
            img = im.convert("RGB")
        order = names[k % len(names):] + names[:k % len(names)]
        runs = alternate({name: (lambda f=engines[name]: timed(f, img)) for name in order}, 1)
        for name, [(seconds, (lines, cpu_s))] in runs.items():
            texts[name].append((" ".join(ln.text for ln in reading_order(lines)), seconds, cpu_s))
    # scored after all engines ran (the pure-Python Levenshtein is slow on long pages and is not timed)
    return {name: [(word_recall(ref, hyp), word_recall(hyp, ref), character_error_rate(ref, hyp), seconds, cpu_s)
                   for (_, _, ref), (hyp, seconds, cpu_s) in zip(pages, texts[name])] for name in names}


def table(title: str, stats: dict, facts: dict) -> list[str]:
    rows = [f"**{title}** ({len(next(iter(stats.values())))} pages)", "",
            "| engine | word recall | precision | CER | s/page (median) | s/page (mean) | CPU s/page (mean) "
            "| word boxes |",
            "|---|---|---|---|---|---|---|---|"]
    mean = {name: [statistics.mean(s[i] for s in v) for i in range(5)] + [statistics.median(s[3] for s in v)]
            for name, v in stats.items()}
    for name, m in mean.items():
        rows.append(f"| {facts[name][0]} | {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} | {m[5]:.2f} | {m[3]:.2f} | "
                    f"{m[4]:.2f} | {facts[name][1]} |")
    base, tess = mean["tesseract"], stats["tesseract"]
    for name, m in mean.items():
        if name == "tesseract":
            continue
        better = sum(s[2] < t[2] - 1e-9 for s, t in zip(stats[name], tess))
        worse = sum(s[2] > t[2] + 1e-9 for s, t in zip(stats[name], tess))
        ratios = " | ".join(f"{m[i] / max(base[i], 1e-9):.2f}×" for i in (0, 1, 2, 5, 3, 4))
        rows.append(f"| {name} / tesseract | {ratios} | CER lower on {better} pages, higher on {worse} |")
    return rows + [""]


def main(argv=None) -> int:
    args = parse_args(argv)
    corpus = args.corpus.relative_to(ROOT) if args.corpus.is_relative_to(ROOT) else args.corpus
    sets = [("held-out synthetic pages", f"`{corpus}`, DOM text", heldout_pages(args.corpus, args.pages))]
    if args.realpages is not None:
        sets.append(("real pages", f"`{args.realpages}`, visible text of NAME.html rendered at its viewport",
                     real_pages(args.realpages, args.pages)))
    built = {name: make_engine(name) for name in args.engines}
    engines = {name: b[0] for name, b in built.items()}
    facts = {name: (b[1], b[2]) for name, b in built.items()}
    from PIL import Image

    with Image.open(sets[0][2][0][1]) as im:  # warm-up: lazy model loads, first-run allocations, page cache
        warm = im.convert("RGB")
    for fn in engines.values():
        fn(warm)
    load0 = os.getloadavg()[0]
    results = [(title, ref, measure(pages, engines)) for title, ref, pages in sets]
    load1 = os.getloadavg()[0]
    if args.json is not None:
        keys = ("recall", "precision", "cer", "seconds", "cpu_seconds")
        args.json.write_text(json.dumps({title: {name: [dict(zip(("page",) + keys, (page[0], *row)))
                                                        for page, row in zip(pages, rows)]
                                                 for name, rows in stats.items()}
                                         for (title, _, stats), (_, _, pages) in zip(results, sets)}, indent=1))
    lines = [f"## OCR engines: Tesseract against RapidOCR ({machine_and_date()})", "",
             f"`bench/ocr_engines.py --pages {args.pages}`: {', '.join(f[0] for f in facts.values())}; the engines "
             "alternate page by page (order rotated), each warmed up first; s/page is the engine's call alone (wall "
             "time; CPU: user + system of this process and Tesseract's). "
             f"Load average before, after: {load0:.1f}, {load1:.1f}. References: "
             + "; ".join(f"{title}: {ref}" for title, ref, _ in results) + ".", ""]
    for title, _, stats in results:
        lines += table(title, stats, facts)
    return publish("\n".join(lines), args)


if __name__ == "__main__":
    sys.exit(main())
