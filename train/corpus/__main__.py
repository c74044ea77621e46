"""CLI of the synthetic UI corpus.

  python -m train.corpus build OUT_DIR --count N --seed S --split train|heldout --workers W
         [--difficulty 1|2|3|mix] [--max-bytes B] [--no-ocr] [--max-height H]
  python -m train.corpus show SEED [--difficulty D] [--viewport NAME]     print one page's HTML
  python -m train.corpus ocr-eval OUT_DIR                                  OCR accuracy of a corpus
  python -m train.corpus samples OUT_DIR [--count 4] [--seed S]            held-out sample mockups

Errors a user can act on print one line and exit non-zero.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from uicode.errors import UicodeError

from .generator import DEFAULT_MAX_BYTES, VIEWPORTS, generate_page, split_seeds


def _difficulty(s: str) -> int | None:
    if s == "mix":
        return None
    if s in ("1", "2", "3"):
        return int(s)
    raise argparse.ArgumentTypeError("difficulty must be 1, 2, 3 or mix")


SAMPLE_VIEWPORTS = ["desktop", "mobile", "laptop", "desktop"]


def make_samples(out_dir: Path, count: int, seed: int) -> list[Path]:
    """Render held-out pages (difficulty 3, alternating desktop and mobile viewports) as sample
    mockups: `sample_N.html` + `sample_N.png`, viewport-height screenshots kept under 200 KB."""
    from app.scoring.render import Renderer

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with Renderer() as r:
        for i, s in enumerate(split_seeds("heldout", seed, count)):
            page = generate_page(s, difficulty=3, viewport=SAMPLE_VIEWPORTS[i % len(SAMPLE_VIEWPORTS)])
            res = r.render(page.html, width=page.width, height=page.height, full_page=True,
                           max_height=page.height * 2)
            stem = out_dir / f"sample_{i + 1}"
            stem.with_suffix(".html").write_text(page.html, encoding="utf-8")
            stem.with_suffix(".png").write_bytes(res.png)
            written += [stem.with_suffix(".html"), stem.with_suffix(".png")]
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m train.corpus", description="Synthetic UI corpus tools")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="generate, render and OCR pages into OUT_DIR (resumable)")
    b.add_argument("out_dir", type=Path)
    b.add_argument("--count", type=int, required=True)
    b.add_argument("--seed", type=int, default=0, help="first page seed (default 0)")
    b.add_argument("--split", choices=["train", "heldout"], default="train")
    b.add_argument("--workers", type=int, default=1)
    b.add_argument("--difficulty", type=_difficulty, default=None, help="1, 2, 3 or mix (default)")
    b.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    b.add_argument("--max-height", type=int, default=4096)
    b.add_argument("--no-ocr", action="store_true")
    s = sub.add_parser("show", help="print the HTML of one page")
    s.add_argument("seed", type=int)
    s.add_argument("--difficulty", type=_difficulty, default=None)
    s.add_argument("--viewport", choices=list(VIEWPORTS), default=None)
    s.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    e = sub.add_parser("ocr-eval", help="OCR accuracy (CER, word recall) of a built corpus")
    e.add_argument("out_dir", type=Path)
    m = sub.add_parser("samples", help="render held-out sample mockups")
    m.add_argument("out_dir", type=Path)
    m.add_argument("--count", type=int, default=4)
    m.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "build":
            if args.count < 1 or args.workers < 1:
                ap.error("--count and --workers must be at least 1")
            from .builder import build

            summary = build(args.out_dir, count=args.count, seed=args.seed, split=args.split,
                            workers=args.workers, difficulty=args.difficulty, max_bytes=args.max_bytes,
                            ocr=not args.no_ocr, max_height=args.max_height)
            print(json.dumps(summary))
        elif args.cmd == "show":
            page = generate_page(args.seed, difficulty=args.difficulty, max_bytes=args.max_bytes,
                                 viewport=args.viewport)
            print(json.dumps(page.meta), file=sys.stderr)
            sys.stdout.write(page.html)
        elif args.cmd == "ocr-eval":
            from .builder import ocr_eval

            print(json.dumps(ocr_eval(args.out_dir)))
        elif args.cmd == "samples":
            for p in make_samples(args.out_dir, args.count, args.seed):
                print(f"{p} {p.stat().st_size} bytes")
    except UicodeError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
