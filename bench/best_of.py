"""Best-of-N on CPU: candidates decoded side by side (`model.generate.generate_batch`) vs one after another.

    .venv/bin/python bench/best_of.py [--image assets/samples/sample_1.png] [--n 3] [--no-append]

What it measures, with the embedded mini model (assets/mini) on this machine, in one run:
1. one decode step of B rows (B = 1..4) at a 600-token context, median of 40 steps after 5 warm-up steps:
   ms per step and tokens/s, and the cost of B rows relative to one row;
2. the same image prompt sampled N times (temperature 0.6, seeds 0..N−1, up to 1,536 new tokens): once with
   `generate_batch` (one prefill, one batched step per token) and once with `generate` per candidate,
   wall time of each and their ratio; the candidates' tokens are checked to be the same both ways.

Results are appended to bench/RESULTS.md. Not measured: rendering and scoring the candidates (the pipeline
does that after generation; `uicode eval --best-of N` reports the whole conversion time).
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


def step_times(model, batches=(1, 2, 3, 4), context: int = 600, steps: int = 40) -> dict[int, float]:
    import torch

    out = {}
    for b in batches:
        cache = model.make_cache(b, context + steps + 16)
        with torch.inference_mode():
            model(torch.randint(0, 1000, (b, context)), cache=cache, logits_to_keep=1)
            tok = torch.randint(0, 1000, (b, 1))
            times = []
            for i in range(steps + 5):
                t = time.perf_counter()
                model(tok, cache=cache)
                if i >= 5:
                    times.append(time.perf_counter() - t)
        out[b] = statistics.median(times)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", type=Path, default=ROOT / "assets" / "samples" / "sample_1.png")
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args(argv)
    if not args.image.is_file():
        ap.error(f"--image {args.image}: no such file")

    import torch

    from app.media.inputs import load_media, slot_of
    from app.pipeline import make_backend, ocr_prompt_text
    from app.prompt.plan import plan_prompt
    from model.generate import SamplingParams, generate_batch, generate_text

    torch.set_num_threads(1)  # what the decode loop picks for this model on 2 cores (model/generate.py)
    backend = make_backend("local")
    backend.load()
    steps = step_times(backend.model)

    media = [load_media(args.image)]
    plan = plan_prompt("html", [slot_of(m) for m in media], native_targets=backend.native_targets,
                       ocr_text=ocr_prompt_text(media) if backend.ocr_prompt else None)
    ids, media_kw = backend.encode(plan, media)
    params = [SamplingParams(max_new_tokens=1536, temperature=0.6, top_p=0.95, seed=k) for k in range(args.n)]
    t = time.perf_counter()
    batched = {k: ev for k, ev in generate_batch(backend.model, backend.tokenizer, ids, params, media=media_kw)
               if hasattr(ev, "finish_reason")}
    t_batched = time.perf_counter() - t
    t = time.perf_counter()
    one_by_one = [generate_text(backend.model, backend.tokenizer, ids, p, media=media_kw) for p in params]
    t_seq = time.perf_counter() - t
    same = all(batched[k].token_ids == one_by_one[k].token_ids for k in range(args.n))
    tokens = [r.new_tokens for r in one_by_one]

    day = datetime.date.today().isoformat()
    lines = [f"## Best-of-{args.n} sampling on CPU: side by side vs one after another ({cpu_model()}, {day})", "",
             "`python bench/best_of.py` — embedded mini model, fp32, 1 thread. Decode step at a 600-token context "
             "(median of 40):", "",
             "| rows | ms per step | tokens/s | cost vs 1 row |", "|---|---|---|---|"]
    for b, s in steps.items():
        lines.append(f"| {b} | {1000 * s:.2f} | {b / s:.0f} | {s / steps[1]:.2f}× |")
    lines += ["", f"{args.n} candidates of `{args.image.relative_to(ROOT) if args.image.is_relative_to(ROOT) else args.image}` "
              f"(prompt {len(ids)} tokens, {'/'.join(map(str, tokens))} new tokens, temperature 0.6): "
              f"side by side {t_batched:.1f} s, one after another {t_seq:.1f} s — "
              f"{t_seq / t_batched:.2f}× faster; candidates identical both ways: {'yes' if same else 'NO'}."]
    text = "\n".join(lines)
    print(text)
    if not args.no_append:
        append_results(text)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
