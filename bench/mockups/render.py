"""Render the hand-drawn mockups (bench/mockups/NAME.html) into a folder `uicode eval --pages-dir` can score.

    .venv/bin/python bench/mockups/render.py --out /tmp/mockups [--src bench/mockups] [--only NAME ...]
    .venv/bin/uicode eval --pages-dir /tmp/mockups --pages 10 --out /tmp/eval_mock

For every page named in SRC/viewports.json ({NAME: {width, height}}), renders SRC/NAME.html with
`app.scoring.render.Renderer` (Debian's Chromium, network blocked, no JavaScript), full page at its viewport, to
OUT/NAME.png, copies NAME.html beside it and writes OUT/viewports.json (the pages rendered, plus those an
earlier run left in OUT). Bad arguments and a malformed source folder end with one line on stderr and exit
status 2.

Not here: conversion and scores (`app/scoring/evaluate.py`), rendering itself (`app/scoring/render.py`).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1])]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        self.exit(2, f"{self.prog}: error: {message}\n")


def load_viewports(src: Path, only: list[str] | None) -> dict[str, tuple[int, int]]:
    """{NAME: (width, height)} from SRC/viewports.json, checked; ValueError with a one-line message otherwise."""
    from app.scoring.evaluate import read_viewports

    out = read_viewports(src, "--src", (".html",))
    for name, (w, h) in out.items():
        if not (200 <= w <= 4000 and 200 <= h <= 4000):
            raise ValueError(f"--src {src}: viewports.json: {name!r} has an odd viewport {w}x{h}")
    if only:
        unknown = [n for n in only if n not in out]
        if unknown:
            raise ValueError(f"--only: not in viewports.json: {', '.join(unknown)}")
        out = {n: out[n] for n in only}
    return out


def render_all(src: Path, out: Path, viewports: dict[str, tuple[int, int]]) -> list[tuple[str, int, int]]:
    """Render each page to OUT/NAME.png, copy its HTML and write viewports.json; → [(name, png w, png h)]."""
    from app.scoring.render import Renderer

    out.mkdir(parents=True, exist_ok=True)
    done = []
    with Renderer() as renderer:
        for name, (w, h) in viewports.items():
            res = renderer.render(src / f"{name}.html", width=w, height=h, full_page=True, blocks=False)
            if res.blocked:
                print(f"warning: {name}.html tried to load {len(res.blocked)} URL(s), e.g. {res.blocked[0]}",
                      file=sys.stderr)
            (out / f"{name}.png").write_bytes(res.png)
            shutil.copyfile(src / f"{name}.html", out / f"{name}.html")
            done.append((name, res.width, res.height))
            print(f"{name}: {res.width}x{res.height} px ({res.seconds:.2f}s)", file=sys.stderr)
    table = {}
    try:  # pages rendered earlier into OUT (e.g. before an --only run) keep their entries
        earlier = json.loads((out / "viewports.json").read_text(encoding="utf-8"))
        if isinstance(earlier, dict):
            table = {n: vp for n, vp in earlier.items() if (out / f"{n}.png").is_file() and (out / f"{n}.html").is_file()}
    except (OSError, ValueError):
        pass
    table.update({n: {"width": w, "height": h} for n, (w, h) in viewports.items()})
    (out / "viewports.json").write_text(json.dumps(dict(sorted(table.items())), indent=1) + "\n", encoding="utf-8")
    return done


def main(argv=None) -> int:
    ap = _Parser(prog="render.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder to write NAME.png, NAME.html, viewports.json")
    ap.add_argument("--src", type=Path, default=HERE, help="folder of NAME.html + viewports.json (default: here)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="render only these pages")
    args = ap.parse_args(argv)
    if not args.src.is_dir():
        ap.error(f"--src {args.src}: no such folder")
    if args.out.exists() and not args.out.is_dir():
        ap.error(f"--out {args.out}: is a file, not a folder")
    if args.out.resolve() == args.src.resolve():
        ap.error("--out must not be the source folder")
    try:
        viewports = load_viewports(args.src, args.only)
    except ValueError as e:
        ap.error(str(e))
    from uicode.errors import RenderError

    try:
        done = render_all(args.src, args.out, viewports)
    except RenderError as e:
        print(f"render.py: error: {e}", file=sys.stderr)
        return 1
    print(f"{len(done)} pages in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
