"""What the layout engine costs: perception + layout tree + code per page, against its 1 s goal, and a whole
conversion with the engine against the model's page alone, side by side.

    .venv/bin/python bench/engine.py [--pages-dir ../shared/realpages] [--pages 40] [--rounds 2] [--no-append]
        [--write OUT] [--ocr-cache DIR]
   --write: each engine page to OUT/pages/NAME.html, for `uicode eval --pages-dir … --rescore OUT`;
   --ocr-cache: each page's OCR lines kept in DIR (pickled) and read from there again, to compare engines on one
   reading (the timings' OCR column is then the cache's)

1. For each page of the folder (`NAME.png`): OCR once (`vision.ocr.ocr_image`, not counted: the conversion
   reads it for the prompt anyway), then the engine (`app.layout.infer.infer` + `app.compose.html.write_page`)
   timed on it, twice, the faster kept. Reported: median, 90th percentile and worst seconds a page, the
   median against the goal (≤ 1 s on 2 CPU cores, issue 17), and the median over the OCR's own time.
2. On the README's sample, `uicode convert` with the engine (the default) and `--model-only` (the model's page
   as it wrote it, no engine, no composition), alternated in one process (`bench.alternate.METHOD`): the
   ratio of their medians is what the engine and the region-by-region comparison add to a conversion.

Not measured here: what the engine's pages score (`uicode eval`), the README's job in a fresh process
(`bench/readme_job.py`).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from bench.alternate import METHOD, ROOT, alternate, machine_and_date, mini_pipeline, publish  # noqa: E402

GOAL_S = 1.0


def engine_times(folder: Path, pages: int, write: Path | None = None,
                 ocr_cache: Path | None = None) -> list[tuple[str, float, float]]:
    """[(page, engine seconds, OCR seconds)] for the first `pages` PNGs of `folder`; with `write`, each page the
    engine wrote is saved as `write/pages/NAME.html`; with `ocr_cache`, OCR lines are read from and kept there."""
    import pickle

    import numpy as np
    from PIL import Image

    from app.compose.html import write_page
    from app.layout.infer import infer
    from vision.ocr import ocr_image

    out = []
    for png in sorted(folder.glob("*.png"))[:pages]:
        image = Image.open(png).convert("RGB")
        t = time.perf_counter()
        cached = ocr_cache / f"{png.stem}.pkl" if ocr_cache is not None else None
        if cached is not None and cached.is_file():
            lines = pickle.loads(cached.read_bytes())
        else:
            lines = ocr_image(image).lines
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_bytes(pickle.dumps(lines))
        ocr_s = time.perf_counter() - t
        arr = np.asarray(image)
        best = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            page = write_page(infer(arr, lines))
            best = min(best, time.perf_counter() - t)
        if write is not None:
            (write / "pages").mkdir(parents=True, exist_ok=True)
            (write / "pages" / f"{png.stem}.html").write_text(page, encoding="utf-8")
        out.append((png.stem, best, ocr_s))
        print(f"{png.stem}: engine {best:.3f} s, OCR {ocr_s:.2f} s", file=sys.stderr, flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages-dir", type=Path, default=ROOT.parent / "shared" / "realpages")
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--image", type=Path, default=ROOT / "assets" / "samples" / "sample_1.png")
    ap.add_argument("--rounds", type=int, default=2, help="conversions each way (0: skip the side by side)")
    ap.add_argument("--no-append", action="store_true", help="print only; do not append to bench/RESULTS.md")
    ap.add_argument("--write", type=Path, metavar="OUT",
                    help="save each engine page as OUT/pages/NAME.html (score: uicode eval --pages-dir … --rescore OUT)")
    ap.add_argument("--ocr-cache", type=Path, metavar="DIR", help="keep each page's OCR lines in DIR and reuse them")
    args = ap.parse_args(argv)
    if args.pages < 1 or args.rounds < 0:
        ap.error("--pages must be at least 1 and --rounds at least 0")
    if not args.pages_dir.is_dir() or not any(args.pages_dir.glob("*.png")):
        ap.error(f"--pages-dir {args.pages_dir}: no folder of NAME.png pages")
    for flag, path in (("--write", args.write), ("--ocr-cache", args.ocr_cache)):
        if path is not None and path.exists() and not path.is_dir():
            ap.error(f"{flag} {path}: not a folder")
    if not args.image.is_file():
        ap.error(f"--image {args.image}: no such file")
    rows = engine_times(args.pages_dir, args.pages, args.write, args.ocr_cache)
    eng = sorted(r[1] for r in rows)
    med, p90 = statistics.median(eng), eng[min(len(eng) - 1, int(0.9 * len(eng)))]
    ocr_med = statistics.median(r[2] for r in rows)
    lines = [
        "", f"## The layout engine's cost ({machine_and_date()})", "",
        f"Perception + layout tree + code on {len(rows)} pages of `{args.pages_dir.name}` (OCR read once before, not "
        "counted; the faster of two runs a page):", "",
        "| median s/page | 90th pct | worst | median / goal (1 s) | median / OCR's own median |",
        "|---|---|---|---|---|",
        f"| {med:.3f} | {p90:.3f} | {eng[-1]:.3f} | {med / GOAL_S:.2f} | {med / ocr_med:.2f} (OCR {ocr_med:.2f} s) |",
    ]
    if args.rounds:
        from app.pipeline import ConvertRequest

        pipe = mini_pipeline(args.image)
        runs = alternate({e: (lambda e=e: pipe.convert(ConvertRequest(media=(args.image,), engine=e)))
                          for e in (True, False)}, args.rounds)
        t = {e: statistics.median(s for s, _ in runs[e]) for e in runs}
        share = runs[True][-1][1].model_share
        lines += ["", f"`uicode convert {args.image.relative_to(ROOT)}`, {METHOD}, {args.rounds} rounds:", "",
                  "| with the engine (default) s | `--model-only` s | ratio | model_share |", "|---|---|---|---|",
                  f"| {t[True]:.2f} | {t[False]:.2f} | {t[True] / t[False]:.3f} | {share:.2f} |"]
    return publish("\n".join(lines), args)


if __name__ == "__main__":
    sys.exit(main())
