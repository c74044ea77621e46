"""Fidelity evaluation on held-out pages, through the production path: `uicode eval`.

    uicode eval [--corpus data/mini/heldout | --pages-dir DIR] [--pages 200] [--checkpoint DIR] [--out bench/eval]
                [--record] [--best-of N] [--no-ocr] [--free-text] [--bands] [--model-only] [--resume]
                [--rescore OUT]

For each held-out page (rendered with Tesseract OCR by `train.corpus build ... --split heldout`):
its screenshot goes through `app.pipeline.Pipeline` exactly as `uicode convert` sends it (OCR, prompt,
generation, code extraction); the generated HTML and the page's own HTML are rendered at the page's viewport by
headless Chromium (network blocked) and scored with `app.scoring.fidelity.score_renders` — Design2Code's Block-Match,
Text, Position, Colour (CIEDE2000) plus Visual (SSIM) and their mean. Also: the share of well-formed outputs
(`app.markup.check.is_well_formed`; `raw_well_formed`: the model's own code, before `app.markup.check.balance`; of the
first band for a page converted band by band) and
seconds per page. Held-out seeds are never generated for training (`train.corpus.generator.split_of`).

Writes `OUT/eval.json` (per page and mean; `OUT/rows.jsonl` grows page by page meanwhile), `OUT/pages/seed_S.html`
(each generated page, so that it can be scored again; with completion on, the model's own page beside it as
`seed_S.model.html`), `OUT/side_by_side_N.png` for the first pages (input | output), and with `--record` appends the
summary table to `bench/RESULTS.md` with the device and date. `--best-of N` converts as `uicode convert
--best-of N` does (N candidates, the best by the reference-free score); `--no-ocr` withholds the OCR lines from
the prompt, to measure what they bring to a model trained with them; `--free-text` turns off text grounding
(`app.decode.grounding`), to measure what it brings; `--bands` converts long pages band by band (`app.media.bands`), as
`uicode convert --bands` does.

Every row also carries the code-quality measures of `app.scoring.quality` (absolutely positioned text, overlapping
text at the page's width and at 390 px, sideways scrolling at 390 px beyond the reference's, Design2Code's mean at
768 and 390 px) and `model_share` (the conversion's, where the pipeline reports it); the summary averages them
(booleans as the share of pages) and `--record` writes them as a second table. `--pages-dir DIR` scores a folder of
`NAME.png` + `NAME.html` + `viewports.json` ({NAME: {width, height}}), such as the shared real pages, instead of the
corpus; references are rendered from their file so that images beside them resolve, and pages are saved as
`pages/NAME.html`. `--resume` goes on with an interrupted run into the same `--out`: the pages its `rows.jsonl`
already holds are kept, not converted again. `--rescore OUT` converts nothing: it scores again the pages an earlier run left under `OUT/pages`
(and, where present, the model's own `.model.html` page, as `model_page`) against the same corpus or folder,
keeps that run's other fields (seconds, tokens, …) and writes `OUT/rescore.json`.

Not here: the scores themselves (`app/scoring/fidelity.py`, `app/scoring/quality.py`), rendering (`app/scoring/render.py`).
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from uicode.errors import BackendError, PagesError

METRICS = ("block_match", "text", "position", "color", "visual", "overall")
# The quality measures of each row (app.scoring.quality.Quality.as_dict), booleans averaged as shares.
QUALITY = ("abs_text_share", "overlap_page", "overlap_390", "overlap_page_beyond", "overlap_390_beyond",
           "sideways_390", "sideways_390_beyond", "d2c_768", "d2c_390", "ref_abs_text_share", "ref_overlap_page",
           "ref_overlap_390", "ref_sideways_390", "height_fit", "class_reuse", "ref_class_reuse")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Page:
    """One page to convert and score: `stem` names its files under OUT/pages, `png` is the input picture,
    `reference` its HTML (a string, or a `Path` so that relative images resolve), `viewport` (width, height) the
    viewport to render both at, `info` the fields that name it in its row."""

    stem: str
    png: Path
    reference: str | Path
    viewport: tuple[int, int]
    info: dict


def corpus_pages(corpus: Path, pages: int) -> list[Page]:
    """The first `pages` pages of a held-out corpus folder, named by seed."""
    out = []
    for meta_path in sorted(corpus.glob("page_*.json"))[:pages]:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        vp = meta["viewport"]
        out.append(Page(f"seed_{meta['seed']}", meta_path.with_suffix(".png"),
                        meta_path.with_suffix(".html").read_text(encoding="utf-8"), (vp["width"], vp["height"]),
                        {"seed": meta["seed"], "kind": meta.get("kind"), "difficulty": meta.get("difficulty")}))
    return out


def read_viewports(folder: Path, flag: str, files: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """{NAME: (width, height)} from `folder`/viewports.json, each NAME with its `files` (suffixes) beside it;
    `PagesError` naming `flag` when the file is missing or malformed or a page's files are not there."""
    try:
        viewports = json.loads((folder / "viewports.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PagesError(f"{flag} {folder}: no viewports.json") from None
    except (OSError, ValueError) as e:
        raise PagesError(f"{flag} {folder}: viewports.json cannot be read ({str(e).splitlines()[0]})") from None
    out = {}
    for name in sorted(viewports) if isinstance(viewports, dict) else ():
        vp = viewports[name]
        try:
            w, h = int(vp["width"]), int(vp["height"])
        except (TypeError, KeyError, ValueError):
            raise PagesError(f"{flag} {folder}: viewports.json: {name!r} is not {{width, height}}") from None
        for suffix in files:
            if not (folder / f"{name}{suffix}").is_file():
                raise PagesError(f"{flag} {folder}: {name}{suffix} is missing")
        out[name] = (w, h)
    if not out:
        raise PagesError(f"{flag} {folder}: viewports.json names no pages ({{NAME: {{width, height}}}})")
    return out


def folder_pages(folder: Path, pages: int) -> list[Page]:
    """The first `pages` pages (by name) of a folder of NAME.png + NAME.html + viewports.json; `PagesError` when
    viewports.json is missing or malformed or names a page whose files are not there."""
    found = read_viewports(folder, "--pages-dir", (".png", ".html"))
    return [Page(name, folder / f"{name}.png", (folder / f"{name}.html").resolve(), vp, {"name": name})
            for name, vp in found.items()][:pages]


def score_page(renderer, page: Page, code: str):
    """Design2Code's scores at the page's viewport and the quality measures of `code` against the page's
    reference → (row fields, the candidate's render at the page's viewport)."""
    from app.scoring.quality import measure

    q = measure(renderer, page.reference, code or "<html></html>", *page.viewport)
    return {**q.page_scores.as_dict(), **q.as_dict()}, q.candidate_render


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


def _progress(i: int, n: int, page: Page, row: dict, seconds: float | None = None) -> None:
    took = f" ({seconds:.1f}s)" if seconds is not None else ""
    label = page.info["name"] if "name" in page.info else f"seed {page.info['seed']}"
    print(f"[{i + 1}/{n}] {label}: overall {row['overall']:.3f}, 390 px {row['d2c_390']:.3f}, "
          f"overlap {row['overlap_page']:.2f}/{row['overlap_390']:.2f}{took}", file=sys.stderr, flush=True)


def evaluate(corpus: Path | None, pages: int, checkpoint, device: str, out: Path, max_new_tokens: int,
             examples: int = 4, best_of: int = 1, ocr: bool = True, ground: bool = True, split: bool = False,
             complete: bool = True, pages_dir: Path | None = None, resume: bool = False) -> dict:
    """Convert and score the first `pages` pages of `corpus` (a held-out corpus folder, `train.corpus build`) or of
    `pages_dir`."""
    from app.decode.extract import extract_code, extract_each
    from app.markup.check import is_well_formed
    from app.pipeline import ConvertRequest, Pipeline, make_backend
    from app.scoring.render import Renderer

    if pages_dir is not None:
        items = folder_pages(pages_dir, pages)
    else:
        if not (corpus / "corpus.json").is_file():
            raise PagesError(f"--corpus {corpus}: no corpus there; build the held-out pages first: python -m "
                             f"train.corpus build {corpus} --count {pages} --seed 0 --split heldout --workers 2")
        items = corpus_pages(corpus, pages)
    backend = make_backend("local", checkpoint=checkpoint, device=device)
    backend.load()
    if not ocr:
        backend.ocr_prompt = False
    pipeline = Pipeline(backend)
    (out / "pages").mkdir(parents=True, exist_ok=True)
    done = _earlier_rows(out) if resume else {}
    rows = []
    with Renderer() as renderer:
        for i, page in enumerate(items):
            if page.stem in done:  # converted and scored by the run being resumed
                rows.append(done[page.stem])
                _progress(i, len(items), page, rows[-1])
                continue
            t0 = time.perf_counter()
            try:
                result = pipeline.convert(ConvertRequest(media=(page.png,), max_new_tokens=max_new_tokens,
                                                         best_of=best_of, ground_text=ground, split=split,
                                                         engine=complete))
                code, raw, new_tokens, error = result.code or "", result.raw_text, result.new_tokens, None
                model_share = getattr(result, "model_share", None)
            except BackendError as e:  # one page's failure is scored as an empty page; the run goes on
                code, raw, new_tokens, error, model_share = "", "", 0, str(e), None
            seconds = time.perf_counter() - t0
            (out / "pages" / f"{page.stem}.html").write_text(code, encoding="utf-8")
            own = getattr(result, "model_code", None) if error is None else None
            if complete and raw:  # the model's own page too (its bands' joined), to compare with what was handed over
                (out / "pages" / f"{page.stem}.model.html").write_text(own or extract_code(raw, "html") or "",
                                                                       encoding="utf-8")
            scores, cand = score_page(renderer, page, code)
            rows.append({**page.info, "well_formed": bool(is_well_formed(code)),
                         "raw_well_formed": all(is_well_formed(c or "") for c in extract_each(raw, "html")),
                         "seconds": round(seconds, 2), "new_tokens": new_tokens,
                         "model_share": None if model_share is None else round(float(model_share), 4), **scores,
                         **({"error": error} if error else {})})
            if i < examples:
                side_by_side(Image.open(page.png), cand.image()).save(out / f"side_by_side_{i + 1}.png", optimize=True)
            with (out / "rows.jsonl").open("a" if i or done else "w", encoding="utf-8") as f:  # page by page
                f.write(json.dumps(rows[-1]) + "\n")
            _progress(i, len(items), page, rows[-1], seconds)
    report = {"pages": len(rows), "source": _source(corpus, pages_dir), "checkpoint": str(checkpoint or "assets/mini"),
              "device": device, "best_of": best_of, "ocr": ocr, "grounded": ground and ocr, "split": split and ocr,
              "completed": complete and ocr, **_summary(rows)}
    (out / "eval.json").write_text(json.dumps(report, indent=1))
    return report


def _earlier_rows(run: Path) -> dict[str, dict]:
    """The rows an earlier run into `run` wrote, by their page's stem (`seed_S` or the page's name): its
    `rows.jsonl` line by line (a torn last line is left), then its `eval.json` when the run finished."""
    out = {}
    for path in (run / "rows.jsonl", run / "eval.json"):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        if path.suffix == ".json":
            try:
                found = json.loads(text)["rows"]
            except (ValueError, KeyError, TypeError):
                continue
        else:
            found = []
            for line in text.splitlines():
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
        for r in found:
            if isinstance(r, dict) and (r.get("seed") is not None or r.get("name")):
                out[f"seed_{r['seed']}" if r.get("seed") is not None else r["name"]] = r
    return out


def rescore(run: Path, corpus: Path | None, pages: int, pages_dir: Path | None = None) -> dict:
    """Score again, without converting, the pages an earlier run left under `run/pages` (and the model's own
    `.model.html` pages beside them) against `corpus` or `pages_dir`; the earlier rows' other fields are kept.
    Writes `run/rescore.json`; `PagesError` when no page there belongs to the corpus or folder."""
    from app.markup.check import is_well_formed
    from app.scoring.render import Renderer

    if pages_dir is not None:
        items = folder_pages(pages_dir, 10 ** 9)
    else:
        if not (corpus / "corpus.json").is_file():
            raise PagesError(f"--corpus {corpus}: no corpus.json (--rescore needs the corpus the pages came from)")
        items = corpus_pages(corpus, 10 ** 9)
    items = [p for p in items if (run / "pages" / f"{p.stem}.html").is_file()][:pages]
    if not items:
        raise PagesError(f"--rescore {run}: no page under {run / 'pages'} belongs to {_source(corpus, pages_dir)}")
    earlier = _earlier_rows(run)
    rows = []
    with Renderer() as renderer:
        for i, page in enumerate(items):
            code = (run / "pages" / f"{page.stem}.html").read_text(encoding="utf-8")
            scores, _ = score_page(renderer, page, code)
            row = {**earlier.get(page.stem, {}), **page.info, "well_formed": bool(is_well_formed(code)), **scores}
            row.setdefault("model_share", None)
            own = run / "pages" / f"{page.stem}.model.html"
            if own.is_file():
                row["model_page"] = score_page(renderer, page, own.read_text(encoding="utf-8"))[0]
            rows.append(row)
            _progress(i, len(items), page, row)
    report = {"pages": len(rows), "source": _source(corpus, pages_dir), "rescored": str(run), **_summary(rows)}
    earlier_report = run / "eval.json"
    if earlier_report.is_file():
        try:
            old = json.loads(earlier_report.read_text(encoding="utf-8"))
            report.update({k: old[k] for k in ("checkpoint", "device") if k in old})
        except (OSError, ValueError):
            pass
    (run / "rescore.json").write_text(json.dumps(report, indent=1))
    return report


def _source(corpus: Path | None, pages_dir: Path | None) -> str:
    return f"pages {pages_dir}" if pages_dir is not None else f"corpus {corpus}"


def _summary(rows: list[dict]) -> dict:
    """The report's means (overall, by kind, and of the model's own pages where scored), date and CPU."""
    summary = _means(rows)
    for key in ("well_formed", "raw_well_formed"):
        have = [r[key] for r in rows if key in r]
        summary[key] = round(sum(have) / len(have), 4) if have else None
    seconds = [r["seconds"] for r in rows if r.get("seconds") is not None]
    summary["seconds_per_page"] = round(sum(seconds) / len(seconds), 2) if seconds else None
    shares = [r["model_share"] for r in rows if r.get("model_share") is not None]
    summary["model_share"] = round(sum(shares) / len(shares), 4) if shares else None
    by_kind = {k: {"pages": sum(r.get("kind") == k for r in rows), **_means([r for r in rows if r.get("kind") == k])}
               for k in sorted({r.get("kind") for r in rows if r.get("kind")})}
    out = {"scorer": "Design2Code block merging (app/scoring/blockmatch.py)", "date": datetime.date.today().isoformat(),
           "cpu": _cpu_name(), "mean": summary, "by_kind": by_kind}
    own = [r["model_page"] for r in rows if "model_page" in r]
    if own:
        out["model_page"] = {"pages": len(own), **_means(own)}
    return {**out, "rows": rows}


def _means(rows: list[dict]) -> dict:
    """Mean of each metric and quality measure over `rows` (a missing metric counts as 0; booleans as shares)."""
    return {m: round(sum(float(r.get(m) or 0.0) for r in rows) / max(1, len(rows)), 4) for m in METRICS + QUALITY}


def _num(v, fmt: str = "{:.3f}") -> str:
    return "—" if v is None else fmt.format(v)


def record(report: dict, results: Path = ROOT / "bench" / "RESULTS.md") -> None:
    """Append the report's two tables (Design2Code's scores; the code-quality measures) to `results`."""
    s = report["mean"]
    source = report.get("source", "")
    what = f"real pages ({source[len('pages '):]})" if source.startswith("pages ") else "held-out pages"
    how = (f"`uicode eval --rescore {report['rescored']}` — the pages of an earlier run scored again"
           if "rescored" in report else
           "`uicode eval` — production path (OCR + prompt + generation + extraction)")
    lines = [
        "",
        f"## Fidelity on {what} ({report['pages']} pages, {report.get('checkpoint', '?')}, "
        f"{report.get('device', '?')}: {report['cpu']}, {report['date']})",
        "",
        f"{how}, both pages rendered by Chromium.",
        "",
        "| Block-Match | Text | Position | Colour | Visual (SSIM) | mean | well-formed | s/page |",
        "|---|---|---|---|---|---|---|---|",
        f"| {s['block_match']:.3f} | {s['text']:.3f} | {s['position']:.3f} | {s['color']:.3f} | {s['visual']:.3f} "
        f"| {s['overall']:.3f} | {_num(s['well_formed'] and 100 * s['well_formed'], '{:.0f}%')} "
        f"| {_num(s['seconds_per_page'], '{:.1f}')} |",
        "",
        "Targets (issue 5): Block-Match ≥ 0.85, Text ≥ 0.85, Position ≥ 0.80, Colour ≥ 0.80, Visual ≥ 0.80, 100% "
        "well-formed.",
        "",
        "Code quality (`app/scoring/quality.py`; \"beyond\": what the page adds to its reference's own):",
        "",
        "| page | abs. positioned text | overlap, page width | overlap, 390 px | overlap beyond ref., page "
        "| overlap beyond ref., 390 px | scrolls sideways at 390 px beyond ref. | D2C mean, 768 px "
        "| D2C mean, 390 px | height fit | class reuse (ref.) | model share |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        _quality_row("handed over", s, s.get("model_share")),
    ]
    if "model_page" in report:
        lines.append(_quality_row(f"the model's own ({report['model_page']['pages']})", report["model_page"], None))
    with results.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def _quality_row(label: str, s: dict, model_share) -> str:
    return (f"| {label} | {s['abs_text_share']:.3f} | {s['overlap_page']:.3f} | {s['overlap_390']:.3f} "
            f"| {s['overlap_page_beyond']:.3f} | {s['overlap_390_beyond']:.3f} | {100 * s['sideways_390_beyond']:.0f}% "
            f"| {s['d2c_768']:.3f} | {s['d2c_390']:.3f} | {s['height_fit']:.3f} "
            f"| {s['class_reuse']:.2f} ({s['ref_class_reuse']:.2f}) | {_num(model_share)} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="uicode eval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=None,
                    help="held-out corpus folder (`python -m train.corpus build`; default data/mini/heldout)")
    ap.add_argument("--pages-dir", type=Path, default=None, metavar="DIR",
                    help="score a folder of NAME.png + NAME.html + viewports.json instead of the corpus")
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
    ap.add_argument("--model-only", "--no-complete", dest="model_only", action="store_true",
                    help="score the model's page as it wrote it (as convert --model-only)")
    ap.add_argument("--resume", action="store_true",
                    help="keep the pages an interrupted run into the same --out already scored (rows.jsonl)")
    ap.add_argument("--rescore", type=Path, default=None, metavar="OUT",
                    help="convert nothing: score again the pages an earlier run wrote under OUT/pages")
    ap.add_argument("--record", action="store_true", help="append the summary to bench/RESULTS.md")
    args = ap.parse_args(argv)
    if args.pages < 1:
        ap.error("--pages must be at least 1")
    from app.pipeline import MAX_BEST_OF

    if not 1 <= args.best_of <= MAX_BEST_OF:
        ap.error(f"--best-of must be between 1 and {MAX_BEST_OF}")
    if args.corpus is not None and args.pages_dir is not None:
        ap.error("--corpus and --pages-dir: give one or the other")
    corpus = args.corpus if args.corpus is not None else ROOT / "data" / "mini" / "heldout"
    for name, path in (("--corpus", corpus), ("--out", args.out), ("--rescore", args.rescore)):
        if path is not None and path.exists() and not path.is_dir():
            ap.error(f"{name} {path}: is a file, not a folder")
    if args.pages_dir is not None and not args.pages_dir.is_dir():
        ap.error(f"--pages-dir {args.pages_dir}: no such folder")
    if args.rescore is not None and not (args.rescore / "pages").is_dir():
        ap.error(f"--rescore {args.rescore}: no pages/ folder in it (give the --out of an earlier uicode eval)")
    try:
        if args.pages_dir is not None:
            folder_pages(args.pages_dir, args.pages)  # its errors before any model is loaded
        if args.rescore is not None:
            report = rescore(args.rescore, corpus, args.pages, pages_dir=args.pages_dir)
        else:
            report = evaluate(corpus, args.pages, args.checkpoint, args.device, args.out, args.max_new_tokens,
                              best_of=args.best_of, ocr=not args.no_ocr, ground=not args.free_text,
                              split=args.bands, complete=not args.model_only, pages_dir=args.pages_dir,
                              resume=args.resume)
    except PagesError as e:
        ap.error(str(e))
    print(json.dumps(report["mean"], indent=1))
    if args.record:
        record(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
