"""Data preparation verbs of the mini-model recipe (`scripts/train_mini.sh`).

    python -m train.prepare tokenizer-corpus OUT_DIR [--pages N]   generated HTML + prompt texts for BPE
    python -m train.prepare pack CORPUS_DIR… OUT.pack [--workers W] [--skip N] [--limit N] [--sketch]
                                                   screenshots + OCR (+ layout sketch) + HTML in one file

The tokenizer corpus is pure generation (no rendering): pages from training seeds far from the ones the
model trains on, fenced the way the assistant writes them, plus the system prompts and OCR-line syntax
the prompts use, so the BPE learns every string the model reads or writes.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from app.prompt.plan import OCR_HEADER
from app.targets.registry import REGISTRY
from train.corpus.generator import generate_page, split_seeds
from train.examples import build_pack, target_text
from train.mini import IN_PATCH_LIMIT


def tokenizer_corpus(out_dir: Path, pages: int = 6000, seed: int = 100000) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "pages.txt"
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for s in split_seeds("train", seed, pages):
            f.write(target_text(generate_page(s).html) + "\n")
        for text in (t.system_prompt for t in REGISTRY.values()):
            f.write(text + "\n")
        for _ in range(3000):
            f.write(OCR_HEADER + f"[{rng.randint(0, 100)},{rng.randint(0, 100)},{rng.randint(0, 100)},"
                    f"{rng.randint(0, 9)}] Sign in\n")
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m train.prepare")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tokenizer-corpus")
    t.add_argument("out_dir", type=Path)
    t.add_argument("--pages", type=int, default=6000)
    p = sub.add_parser("pack")
    p.add_argument("paths", nargs="+", type=Path, help="corpus directories, then the output .pack")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--in-patch-limit", type=int, default=IN_PATCH_LIMIT)
    p.add_argument("--skip", type=int, default=0, help="leave out the first N pages (in directory order)")
    p.add_argument("--limit", type=int, default=None, help="pack at most N pages")
    p.add_argument("--quality", type=int, default=80, help="WebP quality of the screenshots")
    p.add_argument("--sketch", action="store_true",
                   help="also compute each page's layout sketch from its screenshot (train --prompt sketch)")
    args = ap.parse_args(argv)
    if args.cmd == "tokenizer-corpus":
        print(tokenizer_corpus(args.out_dir, args.pages))
    else:
        if len(args.paths) < 2:
            ap.error("pack needs at least one corpus directory and the output file")
        if args.skip < 0 or (args.limit is not None and args.limit < 0) or not 0 <= args.quality <= 100:
            ap.error("--skip and --limit must be ≥ 0 and --quality within 0..100")
        missing = [str(d) for d in args.paths[:-1] if not d.is_dir()]
        if missing:
            ap.error(f"no corpus directory at {', '.join(missing)}")
        n = build_pack(args.paths[:-1], args.paths[-1], args.in_patch_limit, workers=args.workers,
                       skip=args.skip, limit=args.limit, quality=args.quality, sketch=args.sketch)
        print(f"{n} pages → {args.paths[-1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
