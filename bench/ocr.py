"""What the second OCR pass brings and costs: `vision.ocr.ocr_image` with one pass and with two, on held-out pages.

    .venv/bin/python bench/ocr.py [--corpus data/mini/heldout] [--pages 20] [--no-append]

For each page both ways run one after the other (alternating, so that load on a shared machine falls on both
alike). Reported per way: word recall, CER and precision (the share of read words that are on the page) of the
OCR text against the page's DOM text, both in reading order (`vision.ocr.reading_order`), and the median
seconds per page. Results are appended to bench/RESULTS.md.

Not measured here: what the lines do to a conversion (`uicode eval`).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from bench.alternate import ROOT, machine_and_date, publish  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "mini" / "heldout")
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--no-append", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args(argv)
    if args.pages < 1:
        ap.error("--pages must be at least 1")
    if not any(args.corpus.glob("page_*.json")):
        ap.error(f"--corpus {args.corpus}: no held-out pages (build them with `python -m train.corpus build "
                 f"{args.corpus} --count 200 --seed 0 --split heldout`)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from PIL import Image

    from train.corpus.builder import dom_text
    from vision.ocr import character_error_rate, ocr_image, reading_order, word_recall

    ways = {"one pass": False, "two passes, merged (default)": True}
    stats = {name: [] for name in ways}
    metas = sorted(args.corpus.glob("page_*.json"))[:args.pages]
    for mp in metas:
        meta = json.loads(mp.read_text())
        ref = dom_text(meta)
        try:
            image = Image.open(mp.with_suffix(".png")).convert("RGB")
        except OSError as e:  # a page the corpus builder left half-written
            sys.exit(f"bench/ocr.py: {mp.with_suffix('.png')}: not a readable image ({e.__class__.__name__})")
        for name, second in ways.items():
            t = time.perf_counter()
            lines = ocr_image(image, second_pass=second).lines
            seconds = time.perf_counter() - t
            hyp = " ".join(ln.text for ln in reading_order(lines))
            # precision: the share of the read words that are on the page, i.e. recall the other way round
            stats[name].append((word_recall(ref, hyp), character_error_rate(ref, hyp), word_recall(hyp, ref), seconds))
    rows = [f"| {name} | {statistics.mean(s[0] for s in v):.3f} | {statistics.mean(s[1] for s in v):.3f} | "
            f"{statistics.mean(s[2] for s in v):.3f} | {statistics.median(s[3] for s in v):.2f} |"
            for name, v in stats.items()]
    text = "\n".join([
        f"## OCR passes on held-out pages ({machine_and_date()})",
        "",
        f"`bench/ocr.py --pages {len(metas)}`: `vision.ocr.ocr_image` one pass and two, alternating page by page; "
        "text against the page's DOM text in reading order.",
        "",
        "| OCR | word recall | CER | precision | s/page (median) |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ])
    return publish(text, args)


if __name__ == "__main__":
    sys.exit(main())
