"""What completion costs: the same image converted with and without it, side by side, and `complete()` alone.

    .venv/bin/python bench/completion.py [--image assets/samples/sample_1.png] [--rounds 2] [--no-append]

With the embedded mini model (assets/mini), greedy and grounded as `uicode convert` runs by default: the image is
converted `--rounds` times each way, alternating completed / model's page only (`--no-complete`) so that load on a
shared machine falls on both alike. Reported: the median wall time of each way (OCR included; process start and
model load excluded), their ratio, the lines laid out, and the median time of `app.completion.complete` on the
model's page (10 calls with the buttons' labels read again, `app.labels`, 10 without, alternated). Results
are appended to bench/RESULTS.md.

Not measured here: fidelity (`uicode eval` against `uicode eval --no-complete`).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from bench.alternate import METHOD, alternate, conversion_args, machine_and_date, mini_pipeline, publish  # noqa: E402


def main(argv=None) -> int:
    args = conversion_args(__doc__, argv, rounds=2)

    from PIL import Image

    from app.completion import complete
    from app.pipeline import ConvertRequest
    from vision.ocr import ocr_image

    pipe = mini_pipeline(args.image)
    runs = alternate({c: (lambda c=c: pipe.convert(ConvertRequest(media=(args.image,), complete=c)))
                      for c in (False, True)}, args.rounds)
    med = {c: statistics.median(x[0] for x in v) for c, v in runs.items()}
    model_page, done = runs[False][0][1], runs[True][0][1]
    image = Image.open(args.image).convert("RGB")
    lines = ocr_image(image).lines
    alone = {True: [], False: []}  # with and without the buttons' labels read again (app.labels), alternated
    for k in range(20):
        t = time.perf_counter()
        complete(model_page.code, image, lines, labels=k % 2 == 0)
        alone[k % 2 == 0].append(time.perf_counter() - t)
    text = "\n".join([
        f"## Completion on CPU: `uicode convert {args.image.name}`, with and without ({machine_and_date()})",
        "",
        f"`bench/completion.py --rounds {args.rounds}`: greedy and grounded, the embedded mini model, {METHOD}.",
        "",
        "| conversion | s (median) | new tokens | text lines laid out |",
        "|---|---|---|---|",
        f"| the model's page (`--no-complete`) | {med[False]:.2f} | {model_page.new_tokens} | 0 |",
        f"| completed (default) | {med[True]:.2f} | {done.new_tokens} | {done.completed_lines} |",
        "",
        f"Completed / model's page: {med[True] / med[False]:.3f}× the time. `complete()` alone on the model's page: "
        f"{1000 * statistics.median(alone[True]):.0f} ms, of which the buttons' labels (one Tesseract run) "
        f"{1000 * (statistics.median(alone[True]) - statistics.median(alone[False])):.0f} ms "
        f"(medians of 10 each, alternated).",
        "",
    ])
    return publish(text, args)


if __name__ == "__main__":
    sys.exit(main())
