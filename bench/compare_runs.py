"""Two `uicode eval` runs side by side on the pages both scored: the page handed over, the model's own page,
`model_share` (median and mean) and the model's code well-formed before repair.

    python bench/compare_runs.py BEFORE_OUT AFTER_OUT [--label before --label after]

Each OUT is the `--out` of an earlier `uicode eval` that `uicode eval --rescore OUT` has scored again (its
`rescore.json` holds the model's own page as `model_page`; without it, `eval.json`, or the rows as they grew,
are read and the model's page is left out). Prints a Markdown table to paste into RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

SCORES = ("block_match", "text", "position", "color", "visual", "overall")


def rows_of(run: Path) -> dict[str, dict]:
    """The run's rows by page (`name` for a folder of pages, `seed` for the corpus)."""
    for name in ("rescore.json", "eval.json"):
        if (run / name).is_file():
            rows = json.loads((run / name).read_text(encoding="utf-8"))["rows"]
            break
    else:
        rows = [json.loads(line) for line in (run / "rows.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return {str(r.get("name", r.get("seed"))): r for r in rows}


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def summary(rows: list[dict]) -> dict:
    own = [r["model_page"] for r in rows if "model_page" in r]
    shares = [r["model_share"] for r in rows if r.get("model_share") is not None]
    return {
        "handed": {k: _mean(r.get(k) for r in rows) for k in SCORES},
        "own": {k: _mean(o.get(k) for o in own) for k in SCORES} if len(own) == len(rows) else None,
        "share_median": statistics.median(shares) if shares else None,
        "share_mean": _mean(shares),
        "share_pages": sum(s > 0 for s in shares),
        "raw_well_formed": _mean(float(r["raw_well_formed"]) for r in rows if "raw_well_formed" in r),
        "seconds_median": statistics.median(r["seconds"] for r in rows if r.get("seconds")) if rows else None,
    }


def _f(v, fmt="{:.3f}") -> str:
    return "—" if v is None else fmt.format(v)


def table(runs: list[tuple[str, dict]], pages: int) -> str:
    out = [f"| {pages} pages | handed over: Block-Match / mean | the model's own page: Block-Match / mean "
           "| `model_share` median / mean (pages with any) | model's code well-formed before repair | s/page, median |",
           "|---|---|---|---|---|---|"]
    for label, s in runs:
        h, o = s["handed"], s["own"]
        own = f"{_f(o['block_match'])} / {_f(o['overall'])}" if o else "—"
        out.append(f"| {label} | {_f(h['block_match'])} / {_f(h['overall'])} | {own} | {_f(s['share_median'])} / "
                   f"{_f(s['share_mean'])} ({s['share_pages']}) | {_f(s['raw_well_formed'], '{:.0%}')} | "
                   f"{_f(s['seconds_median'], '{:.1f}')} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--label", action="append", default=[])
    args = ap.parse_args(argv)
    try:
        tables = [rows_of(r) for r in args.runs]
    except (OSError, ValueError, KeyError) as e:
        print(f"compare_runs: cannot read a run: {e}", file=sys.stderr)
        return 2
    shared = set.intersection(*(set(t) for t in tables))
    if not shared:
        print("compare_runs: the runs share no page", file=sys.stderr)
        return 2
    labels = args.label + [str(r) for r in args.runs[len(args.label):]]
    print(table([(lab, summary([t[p] for p in sorted(shared)])) for lab, t in zip(labels, tables)], len(shared)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
