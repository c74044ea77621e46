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

import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from bench.alternate import METHOD, alternate, conversion_args, machine_and_date, mini_pipeline, publish  # noqa: E402


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
    args = conversion_args(__doc__, argv, rounds=3)

    import app.decode.grounding
    import model.generate
    from app.pipeline import ConvertRequest

    timer = _Timer()
    model.generate.constrain = timer.wrap(model.generate.constrain)
    app.decode.grounding.HtmlTextGrounding.advance = timer.wrap(app.decode.grounding.HtmlTextGrounding.advance)
    pipe = mini_pipeline(args.image)

    def convert(grounded: bool):
        timer.seconds = 0.0
        r = pipe.convert(ConvertRequest(media=(args.image,), ground_text=grounded))
        return r.new_tokens, timer.seconds

    runs = alternate({g: (lambda g=g: convert(g)) for g in (False, True)}, args.rounds)
    med = {g: statistics.median(x[0] for x in v) for g, v in runs.items()}
    tokens = {g: runs[g][0][1][0] for g in runs}
    inside = statistics.median(x[1][1] for x in runs[True])
    text = "\n".join([
        f"## Text grounding cost on CPU: `uicode convert {args.image.name}`, free vs grounded ("
        f"{machine_and_date()})",
        "",
        f"`bench/grounding.py --rounds {args.rounds}`: greedy, the embedded mini model, {METHOD}.",
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
    return publish(text, args)


if __name__ == "__main__":
    sys.exit(main())
