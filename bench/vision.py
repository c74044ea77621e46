"""Speed of the full-size MoonViT encoder (K2.5's 400M vision tower, random weights) against this machine's
matmul rate, both measured in the same run.

For each image size the encoder runs on one preprocessed image (224×224 → 256 patches, 640×480 → 1656
patches); the table gives the median ms per image, the achieved GFLOP/s (GEMMs + attention, counted by
`vision.moonvit.count_flops`) and that rate as a fraction of the measured fp32 (or `--dtype`) matmul peak:
the best of a square 2048³ matmul and the encoder's own largest GEMM shape (patches × 1152 → 4304),
re-measured right before every encoder pass so that a shared machine's load affects both alike. The
merger + projector (54M parameters) is timed separately. Appends the table to bench/RESULTS.md with the
device and date unless `--no-append`.

Run: `python bench/vision.py [--reps 3] [--sizes 224x224,640x480] [--device cpu|cuda] [--dtype float32|bfloat16]`.
"""
from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import append_results  # noqa: E402
from vision.moonvit import MoonViT, MoonViTConfig, count_flops, init_moonvit_weights  # noqa: E402
from vision.preprocess import pack_media, preprocess_image  # noqa: E402
from vision.projector import PatchMergerProjector, tpool_patch_merger  # noqa: E402


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _median_s(fn, reps: int, device: str, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def matmul_peak(device: str, dtype: torch.dtype, shapes, reps: int) -> tuple[float, str]:
    """Best GFLOP/s of plain `a @ b` over `shapes` [(M, K, N)], and the shape that gave it."""
    best, best_shape = 0.0, ""
    for m, k, n in shapes:
        a = torch.randn(m, k, device=device, dtype=dtype)
        b = torch.randn(k, n, device=device, dtype=dtype)
        s = _median_s(lambda: a @ b, reps, device, warmup=2)
        rate = 2 * m * k * n / s / 1e9
        if rate > best:
            best, best_shape = rate, f"{m}x{k}x{n}"
    return best, best_shape


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(0)
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        name = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name:")),
                    platform.processor())
    except (OSError, subprocess.CalledProcessError):
        name = platform.processor() or "CPU"
    return f"{name}, {torch.get_num_threads()} threads"


def run(sizes, reps: int, device: str, dtype: torch.dtype) -> tuple[list[str], dict]:
    """Time the encoder per size. The matmul reference is re-measured right before every encoder pass and
    the fraction is the median of per-pass ratios, so a shared machine's changing load hits both alike."""
    from PIL import Image

    torch.manual_seed(0)
    cfg = MoonViTConfig()
    tower = MoonViT(cfg)
    proj = PatchMergerProjector(cfg)
    init_moonvit_weights(tower)
    init_moonvit_weights(proj)
    tower = tower.to(device=device, dtype=dtype).eval()
    proj = proj.to(device=device, dtype=dtype).eval()
    n_params = sum(p.numel() for p in tower.parameters())

    items = {}
    for w, h in sizes:
        img = Image.fromarray(torch.randint(0, 256, (h, w, 3), dtype=torch.uint8).numpy())
        items[(w, h)] = pack_media([preprocess_image(img)])

    rows = ["| image | patches → tokens | encoder ms/image | GFLOP/image | encoder GFLOP/s | matmul GFLOP/s "
            "(same run) | fraction of matmul peak | merger+projector ms |", "|---|---|---|---|---|---|---|---|"]
    stats = {"params": n_params}
    with torch.inference_mode():
        for (w, h), media in items.items():
            pv = media["pixel_values"].to(device=device, dtype=dtype)
            gt = media["grid_thws"]
            grids = [tuple(int(v) for v in g) for g in gt.tolist()]
            flops = count_flops(grids, cfg)
            n = pv.shape[0]
            shapes = [(2048, 2048, 2048), (n, cfg.hidden_size, cfg.intermediate_size)]
            tower(pv, gt)                                                     # warm-up
            enc_s, peaks, ratios = [], [], []
            for _ in range(reps):
                peak, _ = matmul_peak(device, dtype, shapes, reps=3)
                s = _median_s(lambda: tower(pv, gt), 1, device, warmup=0)
                enc_s.append(s)
                peaks.append(peak)
                ratios.append(flops / s / 1e9 / peak)
            s, peak, frac = statistics.median(enc_s), statistics.median(peaks), statistics.median(ratios)
            hidden = tower(pv, gt)
            s_proj = _median_s(lambda: proj(tpool_patch_merger(hidden, gt)), reps, device)
            tokens = int(proj(tpool_patch_merger(hidden, gt)).shape[0])
            rate = flops / s / 1e9
            stats[f"{w}x{h}"] = {"ms": s * 1e3, "gflops": rate, "peak": peak, "fraction": frac}
            rows.append(f"| {w}×{h} | {n} → {tokens} | {s * 1e3:.0f} | {flops / 1e9:.1f} | {rate:.1f} | "
                        f"{peak:.1f} | {frac:.0%} | {s_proj * 1e3:.1f} |")
    return rows, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sizes", default="224x224,640x480")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    ap.add_argument("--no-append", action="store_true", help="print only, do not touch bench/RESULTS.md")
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    dtype = getattr(torch, args.dtype)
    rows, stats = run(sizes, args.reps, args.device, dtype)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = [f"## MoonViT encoder (vision tower, {stats['params'] / 1e6:.1f}M params, random weights) — "
            f"{_device_name(args.device)}, {args.dtype}, {stamp}",
            "",
            f"`python bench/vision.py --device {args.device} --dtype {args.dtype} --reps {args.reps}`. Before each "
            f"encoder pass the matmul rate is re-measured (best of a 2048³ matmul and the encoder's own largest "
            f"GEMM, patches×1152×4304); the fraction is the median of the per-pass ratios. FLOPs = GEMMs + "
            f"attention (QKᵀ, PV), 2 per multiply-add; times are medians over {args.reps} passes.",
            ""]
    text = "\n".join(head + rows) + "\n"
    print(text)
    if not args.no_append:
        append_results(text)


if __name__ == "__main__":
    main()
