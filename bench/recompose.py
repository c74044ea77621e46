"""An earlier `uicode eval` run's pages composed again with the layout engine as it is now, then scored.

    .venv/bin/python bench/recompose.py RUN --out NEW (--pages-dir DIR | --corpus DIR) [--pages N] [--own] [--record]

The embedded model decodes greedily from a prompt the engine does not change (the OCR lines), so its page for
an input is the same from one run to the next; what changes when the engine does is the page handed over.
For each page an earlier run kept (`RUN/pages/NAME.model.html`, the model's own page), this reads the input's
OCR lines, writes the engine's page (`app.layout.infer.infer`, `app.compose.html.write`) and composes the two
as `uicode convert` does (`app.compose.choose.compose`, after `app.markup.check.balance` as the pipeline applies it),
writes `NEW/pages/NAME.html` and the model's page beside it, and scores them with `uicode eval --rescore`
(Design2Code's five, the code-quality measures, the model's own page). The earlier rows' fields (seconds,
tokens) are kept; `model_share` and `engine_s` (engine + composition, OCR excluded) are today's. `--own`: RUN
was a `--model-only` run, its `pages/NAME.html` the model's own pages. Each row also says how far the model's
regions are from being kept (`app.compose.choose.Composed.scores`): `regions` with text, `model_matched` (those
an element of the model's page stands for) and `region_gap`, the median of the engine's score less the model's
over those (a region is kept where it is below −MARGIN); the summary pools the regions of all pages.

Not here: generation (`uicode eval` runs the whole path), the scores (`app.scoring.evaluate.rescore`).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]


def recompose(run: Path, out: Path, pages_dir: Path | None, corpus: Path | None, pages: int,
              own: bool = False) -> tuple[int, list]:
    import numpy as np
    from PIL import Image

    from app.compose.choose import compose
    from app.compose.html import write
    from app.layout.infer import infer
    from app.markup.check import balance
    from app.scoring.render import Renderer
    from app.scoring.evaluate import corpus_pages, folder_pages
    from vision.ocr import ocr_image

    items = folder_pages(pages_dir, pages) if pages_dir else corpus_pages(corpus, pages)
    earlier = {}
    for line in (run / "rows.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        earlier[f"seed_{r['seed']}" if r.get("seed") is not None else r.get("name")] = r
    (out / "pages").mkdir(parents=True, exist_ok=True)
    done, gaps = 0, []
    with Renderer() as renderer, (out / "rows.jsonl").open("w", encoding="utf-8") as rows:
        for page in items:
            kept = run / "pages" / f"{page.stem}{'' if own else '.model'}.html"
            if not kept.is_file():
                continue
            model = kept.read_text(encoding="utf-8")
            image = Image.open(page.png).convert("RGB")
            lines = ocr_image(image).lines
            t = time.perf_counter()
            written = write(infer(np.asarray(image), lines))
            got = compose(written, balance(model) if model.strip() else model, image, renderer)
            seconds = time.perf_counter() - t
            (out / "pages" / f"{page.stem}.html").write_text(got.html, encoding="utf-8")
            (out / "pages" / f"{page.stem}.model.html").write_text(model, encoding="utf-8")
            gap = [e - m for _, e, m in got.scores if m is not None]
            gaps.extend(gap)
            row = {**earlier.get(page.stem, {}), "model_share": round(got.model_share, 4),
                   "model_regions": got.model_regions, "engine_s": round(seconds, 3), "regions": len(got.scores),
                   "model_matched": len(gap), "region_gap": round(statistics.median(gap), 4) if gap else None}
            rows.write(json.dumps(row) + "\n")
            rows.flush()
            done += 1
            print(f"[{done}] {page.stem}: model_share {got.model_share:.2f} ({seconds:.1f}s)", file=sys.stderr, flush=True)
    return done, gaps


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="an earlier `uicode eval --out` folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--pages-dir", type=Path)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--own", action="store_true", help="RUN was a --model-only run: its pages are the model's own")
    ap.add_argument("--record", action="store_true", help="append the summary to bench/RESULTS.md")
    args = ap.parse_args(argv)
    if (args.pages_dir is None) == (args.corpus is None):
        ap.error("give one of --pages-dir and --corpus")
    if not (args.run / "rows.jsonl").is_file():
        ap.error(f"{args.run}: no rows.jsonl (give the --out of an earlier uicode eval)")
    from app.scoring.evaluate import record, rescore
    from uicode.errors import PagesError

    try:
        done, gaps = recompose(args.run, args.out, args.pages_dir, args.corpus, args.pages, args.own)
        if not done:
            ap.error(f"{args.run}: no pages/NAME{'' if args.own else '.model'}.html to compose again")
        report = rescore(args.out, args.corpus, args.pages, args.pages_dir)
    except PagesError as e:
        ap.error(str(e))
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}, indent=1))
    if gaps:
        from app.compose.choose import MARGIN

        q = statistics.quantiles(gaps, n=4) if len(gaps) > 1 else None
        spread = f" (quartiles {q[0]:.3f}, {q[2]:.3f})" if q else ""
        print(f"regions the model's page stands for: {len(gaps)}; engine's score less the model's: median "
              f"{statistics.median(gaps):.3f}{spread}; kept (below -{MARGIN}): {sum(g < -MARGIN for g in gaps)}",
              flush=True)
    if args.record:
        record(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
