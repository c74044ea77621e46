"""Fidelity evaluation on held-out pages, through the production path: `uicode eval`.

    uicode eval [--corpus data/mini/heldout] [--pages 200] [--checkpoint DIR] [--out bench/eval] [--record]
                [--best-of N] [--no-ocr] [--free-text] [--bands]

For each held-out page (rendered with Tesseract OCR by `train.corpus`; built first if the folder is absent):
its screenshot goes through `app.pipeline.Pipeline` exactly as `uicode convert` sends it (OCR, prompt,
generation, code extraction); the generated HTML and the page's own HTML are rendered at the page's viewport by
headless Chromium (network blocked) and scored with `app.fidelity.score_renders` — Design2Code's Block-Match,
Text, Position, Colour (CIEDE2000) plus Visual (SSIM) and their mean. Also: the share of well-formed outputs
(`app.fidelity.is_well_formed`; `raw_well_formed`: the model's own code, before `app.markup.balance`; of the
first band for a page converted band by band) and
seconds per page. Held-out seeds are never generated for training (`train.corpus.generator.split_of`).

Writes `OUT/eval.json` (per page and mean; `OUT/rows.jsonl` grows page by page meanwhile), `OUT/pages/seed_S.html`
(each generated page, so that it can be scored again; with completion on, the model's own page beside it as
`seed_S.model.html`), `OUT/side_by_side_N.png` for the first pages (input | output), and with `--record` appends the
summary table to `bench/RESULTS.md` with the device and date. `--best-of N` converts as `uicode convert
--best-of N` does (N candidates, the best by the reference-free score); `--no-ocr` withholds the OCR lines from
the prompt, to measure what they bring to a model trained with them; `--free-text` turns off text grounding
(`app.grounding`), to measure what it brings; `--bands` converts long pages band by band (`app.sections`), as
`uicode convert --bands` does.

Not here: the scores themselves (`app/fidelity.py`), rendering (`app/render.py`).
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path

from PIL import Image

METRICS = ("block_match", "text", "position", "color", "visual", "overall")
ROOT = Path(__file__).resolve().parents[1]


def side_by_side(left: Image.Image, right: Image.Image, width: int = 640) -> Image.Image:
    """Two screenshots scaled to one width, placed side by side on white (input | output)."""
    def fit(im):
        im = im.convert("RGB")
        return im.resize((width, max(1, round(im.height * width / im.width))))

    a, b = fit(left), fit(right)
    out = Image.new("RGB", (2 * width + 16, max(a.height, b.height)), "white")
    out.paste(a, (0, 0))
    out.paste(b, (width + 16, 0))
    return out


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def evaluate(corpus: Path, pages: int, checkpoint, device: str, out: Path, max_new_tokens: int,
             examples: int = 4, best_of: int = 1, ocr: bool = True, ground: bool = True, split: bool = False,
             complete: bool = True) -> dict:
    from app.backends.base import BackendError
    from app.extract import extract_code
    from app.fidelity import is_well_formed, score_renders
    from app.pipeline import ConvertRequest, Pipeline, make_backend
    from app.render import Renderer

    if not (corpus / "corpus.json").is_file():
        from train.corpus.builder import build

        build(corpus, count=pages, seed=0, split="heldout", workers=2)
    metas = sorted(corpus.glob("page_*.json"))[:pages]
    backend = make_backend("local", checkpoint=checkpoint, device=device)
    backend.load()
    if not ocr:
        backend.ocr_prompt = False
    pipeline = Pipeline(backend)
    (out / "pages").mkdir(parents=True, exist_ok=True)
    rows = []
    with Renderer() as renderer:
        for i, meta_path in enumerate(metas):
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            png = meta_path.with_suffix(".png")
            ref_html = meta_path.with_suffix(".html").read_text(encoding="utf-8")
            t0 = time.perf_counter()
            try:
                result = pipeline.convert(ConvertRequest(media=(png,), max_new_tokens=max_new_tokens,
                                                         best_of=best_of, ground_text=ground, split=split,
                                                         complete=complete))
                code, raw, new_tokens, error = result.code or "", result.raw_text, result.new_tokens, None
                added = result.completed_lines
            except BackendError as e:  # one page's failure is scored as an empty page; the run goes on
                code, raw, new_tokens, error, added = "", "", 0, str(e), 0
            seconds = time.perf_counter() - t0
            (out / "pages" / f"seed_{meta['seed']}.html").write_text(code, encoding="utf-8")
            if complete and raw:  # the model's own page too, to compare with what completion made of it
                (out / "pages" / f"seed_{meta['seed']}.model.html").write_text(extract_code(raw, "html") or "",
                                                                             encoding="utf-8")
            vp = meta["viewport"]
            kw = dict(width=vp["width"], height=vp["height"], full_page=True, max_height=4096)
            ref = renderer.render(ref_html, **kw)
            cand = renderer.render(code or "<html></html>", **kw)
            scores = score_renders(ref, cand).as_dict()
            rows.append({"seed": meta["seed"], "kind": meta.get("kind"), "difficulty": meta.get("difficulty"),
                         "well_formed": bool(is_well_formed(code)),
                         "raw_well_formed": bool(is_well_formed(extract_code(raw, "html") or "")),
                         "seconds": round(seconds, 2), "new_tokens": new_tokens, "completed_lines": added, **scores,
                         **({"error": error} if error else {})})
            if i < examples:
                side_by_side(Image.open(png), cand.image()).save(out / f"side_by_side_{i + 1}.png", optimize=True)
            with (out / "rows.jsonl").open("a" if i else "w", encoding="utf-8") as f:  # progress, page by page
                f.write(json.dumps(rows[-1]) + "\n")
            print(f"[{i + 1}/{len(metas)}] seed {meta['seed']}: overall {scores['overall']:.3f} "
                  f"({seconds:.1f}s)", file=sys.stderr, flush=True)
    summary = _means(rows)
    for key in ("well_formed", "raw_well_formed"):
        summary[key] = round(sum(r[key] for r in rows) / max(1, len(rows)), 4)
    summary["seconds_per_page"] = round(sum(r["seconds"] for r in rows) / max(1, len(rows)), 2)
    by_kind = {k: {"pages": sum(r["kind"] == k for r in rows), **_means([r for r in rows if r["kind"] == k])}
               for k in sorted({r["kind"] for r in rows if r["kind"]})}
    report = {"pages": len(rows), "checkpoint": str(checkpoint or "assets/mini"), "device": device,
              "best_of": best_of, "ocr": ocr, "grounded": ground and ocr, "split": split and ocr,
              "completed": complete and ocr, "scorer": "Design2Code block merging (app/blockmatch.py)",
              "date": datetime.date.today().isoformat(), "cpu": _cpu_name(), "mean": summary, "by_kind": by_kind,
              "rows": rows}
    (out / "eval.json").write_text(json.dumps(report, indent=1))
    return report


def _means(rows: list[dict]) -> dict:
    """Mean of each metric over `rows` (a missing metric counts as 0)."""
    return {m: round(sum((r[m] or 0.0) for r in rows) / max(1, len(rows)), 4) for m in METRICS}


def record(report: dict, results: Path = ROOT / "bench" / "RESULTS.md") -> None:
    s = report["mean"]
    lines = [
        "",
        f"## Fidelity on held-out pages ({report['pages']} pages, {report['checkpoint']}, {report['device']}: "
        f"{report['cpu']}, {report['date']})",
        "",
        "`uicode eval` — production path (OCR + prompt + generation + extraction), both pages rendered by Chromium.",
        "",
        "| Block-Match | Text | Position | Colour | Visual (SSIM) | mean | well-formed | s/page |",
        "|---|---|---|---|---|---|---|---|",
        f"| {s['block_match']:.3f} | {s['text']:.3f} | {s['position']:.3f} | {s['color']:.3f} | {s['visual']:.3f} "
        f"| {s['overall']:.3f} | {100 * s['well_formed']:.0f}% | {s['seconds_per_page']:.1f} |",
        "",
        "Targets (issue 5): Block-Match ≥ 0.85, Text ≥ 0.85, Position ≥ 0.80, Colour ≥ 0.80, Visual ≥ 0.80, 100% "
        "well-formed.",
    ]
    with results.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="uicode eval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "mini" / "heldout",
                    help="held-out corpus folder (built if absent)")
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--checkpoint", default=None, help="checkpoint (default: the embedded mini model)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--max-new-tokens", type=int, default=1536)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "eval")
    ap.add_argument("--best-of", type=int, default=1, metavar="N",
                    help="candidates per page, the best kept by the reference-free score (as convert --best-of)")
    ap.add_argument("--no-ocr", action="store_true", help="withhold the OCR lines from the prompt")
    ap.add_argument("--free-text", action="store_true", help="let the model write text freely (no grounding)")
    ap.add_argument("--bands", action="store_true", help="convert long pages band by band (as convert --bands)")
    ap.add_argument("--no-complete", action="store_true",
                    help="score the model's page as it wrote it (as convert --no-complete)")
    ap.add_argument("--record", action="store_true", help="append the summary to bench/RESULTS.md")
    args = ap.parse_args(argv)
    if args.pages < 1:
        ap.error("--pages must be at least 1")
    from app.pipeline import MAX_BEST_OF

    if not 1 <= args.best_of <= MAX_BEST_OF:
        ap.error(f"--best-of must be between 1 and {MAX_BEST_OF}")
    for name, path in (("--corpus", args.corpus), ("--out", args.out)):
        if path.exists() and not path.is_dir():
            ap.error(f"{name} {path}: is a file, not a folder")
    report = evaluate(args.corpus, args.pages, args.checkpoint, args.device, args.out, args.max_new_tokens,
                      best_of=args.best_of, ocr=not args.no_ocr, ground=not args.free_text, split=args.bands,
                      complete=not args.no_complete)
    print(json.dumps(report["mean"], indent=1))
    if args.record:
        record(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
