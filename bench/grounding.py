"""What text grounding costs: one conversion with free text and one grounded, side by side, on this machine.

    .venv/bin/python bench/grounding.py [--image assets/samples/sample_1.png] [--rounds 3] [--no-append]

With the embedded mini model (assets/mini), greedy, the README's main job without the process start: the
same image converted `--rounds` times each way, alternating free / grounded so that load on a shared machine
falls on both alike. Reported: the median wall time of each, their ratio, the tokens generated, and the time
spent inside the decoding constraint itself (`model.generate.constrain` plus the constraint's `advance`,
timed by wrapping them). Results are appended to bench/RESULTS.md.

Not measured here: fidelity (`uicode eval` and `uicode eval --free-text`).
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


class _Timer:
    """Adds up the seconds spent in wrapped functions."""

    def __init__(self):
        self.seconds = 0.0

    def wrap(self, fn):
        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds += time.perf_counter() - t
        return timed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", type=Path, default=ROOT / "assets" / "samples" / "sample_1.png")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-append", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if not args.image.is_file():
        ap.error(f"--image {args.image}: no such file")

    import app.grounding
    import model.generate
    from app.pipeline import ConvertRequest, Pipeline, make_backend

    timer = _Timer()
    model.generate.constrain = timer.wrap(model.generate.constrain)
    app.grounding.HtmlTextGrounding.advance = timer.wrap(app.grounding.HtmlTextGrounding.advance)
    backend = make_backend("local")
    backend.load()
    pipe = Pipeline(backend)
    pipe.convert(ConvertRequest(media=(args.image,), max_new_tokens=32))  # warm-up: OCR binary, caches
    runs = {False: [], True: []}
    for _ in range(args.rounds):
        for grounded in (False, True):
            timer.seconds = 0.0
            t = time.perf_counter()
            r = pipe.convert(ConvertRequest(media=(args.image,), ground_text=grounded))
            runs[grounded].append((time.perf_counter() - t, r.new_tokens, timer.seconds))
    med = {g: statistics.median(x[0] for x in v) for g, v in runs.items()}
    tokens = {g: runs[g][0][1] for g in runs}
    inside = statistics.median(x[2] for x in runs[True])
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join([
        f"## Text grounding cost on CPU: `uicode convert {args.image.name}`, free vs grounded ({cpu_model()}, "
        f"{date})",
        "",
        f"`bench/grounding.py --rounds {args.rounds}`: greedy, the embedded mini model, alternating the two ways in "
        "one process (median wall time of the conversion, OCR included; process start and model load excluded).",
        "",
        "| conversion | s (median) | new tokens | s inside the constraint |",
        "|---|---|---|---|",
        f"| free text (`--free-text`) | {med[False]:.2f} | {tokens[False]} | — |",
        f"| grounded (default) | {med[True]:.2f} | {tokens[True]} | {inside:.2f} |",
        "",
        f"Grounded / free: {med[True] / med[False]:.2f}×. The constraint itself takes "
        f"{100 * inside / med[True]:.1f}% of the grounded conversion; the two differ otherwise by the tokens "
        "each writes and by load.",
        "",
    ])
    print(text)
    if not args.no_append:
        append_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
