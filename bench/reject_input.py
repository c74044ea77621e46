"""How fast `uicode convert` refuses a bad file: a fresh process each round, against the 0.5 s goal (issue 19).

    .venv/bin/python bench/reject_input.py [--rounds 5] [--no-append]

Two bad files: a zero-byte PNG and a PNG whose image-data CRC fails (it decodes; only its checksum is wrong).
Each round runs the console script as a user would, so interpreter start and imports count; the command must
exit 2 with one line. Reported: each file's median seconds and its ratio to the goal.
"""
from __future__ import annotations

import argparse
import io
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from bench.alternate import ROOT, machine_and_date, publish  # noqa: E402

GOAL_S = 0.5


def bad_files(folder: Path) -> dict[str, Path]:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 32), (10, 120, 200)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    at = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[at - 4:at])
    data[at + 4 + length] ^= 0xFF
    (folder / "zero.png").write_bytes(b"")
    (folder / "crc.png").write_bytes(bytes(data))
    return {"zero-byte PNG": folder / "zero.png", "PNG with a failing IDAT CRC": folder / "crc.png"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args(argv)
    exe = Path(sys.executable).with_name("uicode")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in bad_files(Path(tmp)).items():
            times = []
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                run = subprocess.run([str(exe), "convert", str(path), "-o", str(Path(tmp) / "out.html")],
                                     capture_output=True, text=True, cwd=ROOT, timeout=120)
                times.append(time.perf_counter() - t0)
                if run.returncode != 2 or len(run.stderr.strip().splitlines()) != 1:
                    sys.exit(f"{label}: expected one line and exit 2, got {run.returncode}: {run.stderr.strip()}")
            med = statistics.median(times)
            rows.append(f"| {label} | {', '.join(f'{t:.2f}' for t in times)} | {med:.2f} | {GOAL_S} | "
                        f"{med / GOAL_S:.2f} |")
    text = "\n".join([f"\n## Bad input refused before anything loads ({machine_and_date()})\n",
                      f"`bench/reject_input.py --rounds {args.rounds}`: `uicode convert BAD.png`, a fresh process "
                      "a round (one line, exit 2 each time).\n",
                      "| file | rounds (s) | median s | goal s | median / goal |", "|---|---|---|---|---|", *rows])
    return publish(text + "\n", args)


if __name__ == "__main__":
    raise SystemExit(main())
