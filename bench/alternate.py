"""What the benchmarks that convert one image several ways share (`bench/grounding.py`, `bench/bands.py`,
`bench/completion.py`):
their arguments, the embedded model's pipeline warmed up, and runs alternated so that load on a shared
machine falls on every way alike.

Scripts run as `python bench/NAME.py` with the repository root on `sys.path`, so they import this as
`bench.alternate`.
"""
from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METHOD = ("alternating the two ways in one process (median wall time of the conversion, OCR included; process start "
          "and model load excluded)")


def conversion_args(doc: str, argv=None, rounds: int = 2) -> argparse.Namespace:
    """`--image` (a readable image; default the README's sample), `--rounds` (≥ 1) and `--no-append`; a bad
    value ends the script with a one-line usage error."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--image", type=Path, default=ROOT / "assets" / "samples" / "sample_1.png")
    ap.add_argument("--rounds", type=int, default=rounds)
    ap.add_argument("--no-append", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if not args.image.is_file():
        ap.error(f"--image {args.image}: no such file")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(args.image) as im:
            im.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        ap.error(f"--image {args.image}: not a readable image")
    return args


def mini_pipeline(image: Path):
    """The embedded mini model's `Pipeline`, loaded and warmed up on `image` (OCR binary, caches)."""
    from app.pipeline import ConvertRequest, Pipeline, make_backend

    backend = make_backend("local")
    backend.load()
    pipe = Pipeline(backend)
    pipe.convert(ConvertRequest(media=(image,), max_new_tokens=32))
    return pipe


def alternate(ways: dict, rounds: int) -> dict:
    """Each of `ways` (name → function) run `rounds` times, one of each in turn: name → [(wall seconds, what
    the function returned)]."""
    runs = {name: [] for name in ways}
    for _ in range(rounds):
        for name, fn in ways.items():
            t = time.perf_counter()
            out = fn()
            runs[name].append((time.perf_counter() - t, out))
    return runs


def machine_and_date() -> str:
    """"CPU model, now in UTC" for a section heading."""
    from bench.report import cpu_model

    return f"{cpu_model()}, {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}"


def publish(text: str, args: argparse.Namespace) -> int:
    """Print a result section and, unless `--no-append`, append it to bench/RESULTS.md; the exit status."""
    from bench.report import append_results

    print(text)
    if not args.no_append:
        append_results(text)
    return 0
