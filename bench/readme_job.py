"""The README's main job as a user runs it: `uicode convert assets/samples/sample_1.png -o out.html`, timed whole.

    .venv/bin/python bench/readme_job.py [--image assets/samples/sample_1.png] [--rounds 3] [--no-append]

Each round runs the console script in a fresh process (interpreter start, model load, OCR, generation,
the layout engine and composition, writing the file), so the time is what the user waits. Reported: every round's wall time, their
median against the goal of 20 s on 2 CPU cores (issue 5), the load average before and after (the machine is
shared), and the tokens of the last round (`--json`). Results are appended to bench/RESULTS.md.

Not measured here: where the time goes (`bench/engine.py`, `bench/ocr.py`, `bench/cpu_decode.py`).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from bench.alternate import ROOT, conversion_args, machine_and_date, publish  # noqa: E402

GOAL_S = 20.0


def main(argv=None) -> int:
    args = conversion_args(__doc__, argv, rounds=3)
    exe = Path(sys.executable).with_name("uicode")
    cmd = [str(exe) if exe.exists() else "uicode", "convert", str(args.image)]
    load = [os.getloadavg()[0]]
    times, last = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.rounds):
            out = Path(tmp) / f"out{k}.html"
            t = time.perf_counter()
            proc = subprocess.run(cmd + ["-o", str(out), "--json", "-q"], capture_output=True, text=True, cwd=ROOT)
            times.append(time.perf_counter() - t)
            if proc.returncode != 0 or not out.is_file():
                msg = (proc.stderr.strip().splitlines() or ["no message"])[-1]
                sys.exit(f"bench/readme_job.py: uicode convert failed (exit {proc.returncode}): {msg}")
            last = json.loads(proc.stdout.strip().splitlines()[-1])
    load.append(os.getloadavg()[0])
    med = statistics.median(times)
    text = "\n".join([
        f"## README job: `uicode convert {args.image.name} -o out.html`, whole command ({machine_and_date()})",
        "",
        f"`bench/readme_job.py --rounds {args.rounds}`: a fresh process each round (start, model load, OCR, "
        "generation, the layout engine, file written).",
        "",
        "| rounds (s) | median s | goal s | median / goal | new tokens | model_share | load average before, after |",
        "|---|---|---|---|---|---|---|",
        f"| {', '.join(f'{t:.1f}' for t in times)} | {med:.1f} | {GOAL_S:.0f} | {med / GOAL_S:.2f} | "
        f"{last.get('new_tokens')} | {last.get('model_share')} | {load[0]:.1f}, {load[1]:.1f} |",
        "",
    ])
    return publish(text, args)


if __name__ == "__main__":
    sys.exit(main())
