"""What converting a long page band by band costs: the same image whole and with `--bands`, side by side.

    .venv/bin/python bench/bands.py [--image assets/samples/sample_1.png] [--rounds 2] [--no-append]

With the embedded mini model (assets/mini), greedy and grounded as `uicode convert` runs by default: the image is
converted `--rounds` times each way, alternating whole / banded so that load on a shared machine falls on both
alike. Reported: the bands the page is cut into, the median wall time of each way (OCR included; process start
and model load excluded), their ratio and the tokens generated. Results are appended to bench/RESULTS.md.

Not measured here: fidelity (`uicode eval --bands` against `uicode eval`).
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from bench.alternate import METHOD, alternate, conversion_args, machine_and_date, mini_pipeline, publish  # noqa: E402


def main(argv=None) -> int:
    args = conversion_args(__doc__, argv, rounds=2)

    from PIL import Image

    from app.pipeline import ConvertRequest
    from app.media.bands import bands
    from vision.ocr import ocr_image

    image = Image.open(args.image).convert("RGB")
    cuts = bands(image, ocr_image(image).lines)
    pipe = mini_pipeline(args.image)
    runs = alternate({s: (lambda s=s: pipe.convert(ConvertRequest(media=(args.image,), split=s)).new_tokens)
                      for s in (False, True)}, args.rounds)
    med = {s: statistics.median(x[0] for x in v) for s, v in runs.items()}
    tokens = {s: runs[s][0][1] for s in runs}
    text = "\n".join([
        f"## Band by band on CPU: `uicode convert {args.image.name}`, whole vs `--bands` ({machine_and_date()})",
        "",
        f"`bench/bands.py --rounds {args.rounds}`: greedy and grounded, the embedded mini model, {METHOD}. The page ({image.width}×{image.height}) is cut into {len(cuts)} band(s): "
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
    return publish(text, args)


if __name__ == "__main__":
    sys.exit(main())
