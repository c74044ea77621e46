"""What converting a long page band by band costs: the same image whole and with `--bands`, side by side.

    .venv/bin/python bench/bands.py [--image assets/samples/sample_1.png] [--rounds 2] [--no-append]

With the embedded mini model (assets/mini), greedy and grounded as `uicode convert` runs by default: the image is
converted `--rounds` times each way, alternating whole / banded so that load on a shared machine falls on both
alike. Reported: the bands the page is cut into, the median wall time of each way (OCR included; process start
and model load excluded), their ratio and the tokens generated. Results are appended to bench/RESULTS.md.

Not measured here: fidelity (`uicode eval --bands` against `uicode eval`).
"""
from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench.report import append_results, cpu_model  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", type=Path, default=ROOT / "assets" / "samples" / "sample_1.png")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-append", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if not args.image.is_file():
        ap.error(f"--image {args.image}: no such file")

    from PIL import Image

    from app.pipeline import ConvertRequest, Pipeline, make_backend
    from app.sections import bands
    from vision.ocr import ocr_image

    image = Image.open(args.image).convert("RGB")
    cuts = bands(image, ocr_image(image).lines)
    backend = make_backend("local")
    backend.load()
    pipe = Pipeline(backend)
    pipe.convert(ConvertRequest(media=(args.image,), max_new_tokens=32))  # warm-up: OCR binary, caches
    runs = {False: [], True: []}
    for _ in range(args.rounds):
        for split in (False, True):
            t = time.perf_counter()
            r = pipe.convert(ConvertRequest(media=(args.image,), split=split))
            runs[split].append((time.perf_counter() - t, r.new_tokens))
    med = {s: statistics.median(x[0] for x in v) for s, v in runs.items()}
    tokens = {s: runs[s][0][1] for s in runs}
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join([
        f"## Band by band on CPU: `uicode convert {args.image.name}`, whole vs `--bands` ({cpu_model()}, {date})",
        "",
        f"`bench/bands.py --rounds {args.rounds}`: greedy and grounded, the embedded mini model, alternating the two "
        "ways in one process (median wall time of the conversion, OCR included; process start and model load "
        f"excluded). The page ({image.width}×{image.height}) is cut into {len(cuts)} band(s): "
        + ", ".join(f"rows {a}–{b}" for a, b in cuts) + ".",
        "",
        "| conversion | s (median) | new tokens |",
        "|---|---|---|",
        f"| whole page (default) | {med[False]:.2f} | {tokens[False]} |",
        f"| band by band (`--bands`) | {med[True]:.2f} | {tokens[True]} |",
        "",
        f"Bands / whole: {med[True] / med[False]:.2f}× the time, {tokens[True] / max(1, tokens[False]):.2f}× the "
        "tokens: each band writes its own stylesheet.",
        "",
    ])
    print(text)
    if not args.no_append:
        append_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
