"""How much of a training step the vision tower costs, and what a smaller one would save (issue 18).

Issue 18 asks whether a smaller vision tower is the right trade now that the sketch carries the page's structure.
This measures the cost side on the machine at hand: forward + backward of one training batch of the mini model
(`train.mini`, base size, fp32) shaped like the layout-sketch packs (examples of the median length, 2,079 tokens,
each with one 1280x800 screenshot; 24k tokens a batch, as `scripts/train_mini.sh` trains on CPU), timed whole and
for the vision tower + projector alone. Variants: the shipped tower (4 layers x 192), half its layers, and the
shipped tower at half the patch budget (fewer patches, and fewer image tokens in the decoder's sequence).

    .venv/bin/python bench/vision_share.py [--rounds 3] [--length 2079] [--batch-tokens 24000] [--record]

Prints (and with --record appends to bench/RESULTS.md) one markdown table row per variant: median seconds per step, the vision part, its share, and the step time
relative to the shipped tower's.
"""
from __future__ import annotations

import argparse
import copy
import datetime
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import append_results, cpu_model  # noqa: E402
from model.build import build_model  # noqa: E402
from train.examples import normalise_pixels  # noqa: E402
from train.mini import IN_PATCH_LIMIT, mini_config, unquantized  # noqa: E402
from vision.preprocess import preprocess_image  # noqa: E402

VOCAB = 4014  # the shipped tokenizer's vocabulary (assets/mini)


def _batch(config: dict, length: int, batch_tokens: int, in_patch_limit: int, seed: int = 0):
    """Random ids of `length` per example (the image's placeholder tokens first), one 1280x800 image each."""
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 256, (800, 1280, 3), dtype=np.uint8))
    item = preprocess_image(image, in_patch_limit=in_patch_limit, normalised=False)
    n = max(1, batch_tokens // length)
    pad_id = config["media_placeholder_token_id"]
    ids = torch.as_tensor(rng.integers(0, VOCAB - 256, (n, length)), dtype=torch.long)
    ids[:, :item.num_tokens] = pad_id
    pixels = torch.cat([item.pixel_values] * n)
    grid = torch.tensor([item.grid_thw] * n, dtype=torch.long)
    return ids, pixels, grid


def _time(fn, rounds: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(vt_layers: int, in_patch_limit: int, length: int, batch_tokens: int, rounds: int) -> tuple[float, float]:
    config = unquantized(mini_config(VOCAB))
    config = copy.deepcopy(config)
    config["vision_config"]["vt_num_hidden_layers"] = vt_layers
    torch.manual_seed(0)
    model = build_model(config, device="cpu", dtype=torch.float32)
    model.train()
    ids, pixels, grid = _batch(config, length, batch_tokens, in_patch_limit)
    labels = torch.roll(ids, -1, dims=1)

    def step():
        model.zero_grad(set_to_none=True)
        logits = model(ids, pixel_values=normalise_pixels(pixels), grid_thws=grid)
        torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1)).backward()

    def vision():
        model.zero_grad(set_to_none=True)
        model.encode_media(normalise_pixels(pixels), grid).sum().backward()

    return _time(step, rounds), _time(vision, rounds)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--length", type=int, default=2079, help="tokens per example (the sketch packs' median)")
    ap.add_argument("--batch-tokens", type=int, default=24000)
    ap.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = ap.parse_args(argv)
    variants = [("shipped tower: 4 layers x 192, 1,024 patches", 4, IN_PATCH_LIMIT),
                ("2 layers x 192, 1,024 patches", 2, IN_PATCH_LIMIT),
                ("4 layers x 192, 512 patches", 4, IN_PATCH_LIMIT // 2)]
    n = max(1, args.batch_tokens // args.length)
    rows = ["| vision tower | s / step | vision + projector s | vision share | step vs shipped |", "|---|---|---|---|---|"]
    print(f"{torch.get_num_threads()} threads, {n} examples x {args.length} tokens a step", file=sys.stderr)
    print("\n".join(rows), flush=True)
    base = None
    for name, layers, limit in variants:
        step, vis = measure(layers, limit, args.length, args.batch_tokens, args.rounds)
        base = base or step
        rows.append(f"| {name} | {step:.2f} | {vis:.2f} | {vis / step:.0%} | {step / base:.2f} |")
        print(rows[-1], flush=True)
    if args.record:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        append_results(f"## The vision tower's share of a training step (issue 18) ({cpu_model()}, {when})\n\n"
                       f"`bench/vision_share.py --rounds {args.rounds}`: forward + backward of one fp32 training batch "
                       f"of {n} examples x {args.length} tokens (one 1280x800 screenshot each), median of "
                       f"{args.rounds}.\n\n" + "\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
