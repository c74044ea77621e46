"""CPU matmul speed of one K2.5 routed expert's projections in three layouts (the loader's rule).

Compares, on the real expert shapes (gate/up [2048, 7168], down [7168, 2048]) and a few token counts:
- `ref`:       our PyTorch reference `kernels.int4_linear` path (unpack + scale the whole weight on
               every call, then an fp32 matmul): the "packed" runtime layout on CPU;
- `int4pack`:  torch's `_weight_int4pack_mm_for_cpu` (weights repacked once by
               `_convert_weight_to_int4pack_for_cpu`, scales+zeros [K/32, N, 2]), fed fp32 and
               fed bf16 activations (its fast path, at bf16 precision);
- `dense32`:   a plain fp32 matmul on a weight dequantized once at load (the "dequantized" layout).
Prints median ms per call, the ratios and the bytes each layout keeps resident, and appends the
table to bench/RESULTS.md with `--write`. Run: `python bench/int4_cpu.py [--write]`.
"""
from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import append_results, cpu_model  # noqa: E402
from kernels.int4_linear import int4_linear_ref  # noqa: E402
from model.int4 import dequantize_int4, quantize_int4, unpack_int4  # noqa: E402

SHAPES = [("gate/up", 2048, 7168), ("down", 7168, 2048)]
TOKENS = [1, 4, 32]


def _time(fn, reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def run(reps: int = 5) -> list[str]:
    torch.manual_seed(0)
    rows = ["| proj | N×K | tokens | ref ms | int4pack fp32 ms | int4pack bf16 ms | dense fp32 ms | "
            "ref/dense | int4pack fp32/dense | int4pack bf16/dense |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for label, n, k in SHAPES:
        w = torch.randn(n, k) / k ** 0.5
        packed, scale, shape = quantize_int4(w)
        dense = dequantize_int4(packed, scale, shape)
        u = (unpack_int4(packed, k).to(torch.int32) + 8).contiguous()          # [N, K] nibbles 0..15
        wp = torch._convert_weight_to_int4pack_for_cpu(u, 1)                   # [N, K/2] uint8
        sz = torch.stack([scale.float().t(), torch.zeros(k // 32, n)], -1).contiguous()  # [K/32, N, 2]
        sz16 = sz.to(torch.bfloat16)
        for m in TOKENS:
            x = torch.randn(m, k)
            ref_y = x @ dense.T
            got = torch._weight_int4pack_mm_for_cpu(x, wp, 32, sz)
            assert (got - ref_y).norm() / ref_y.norm() < 1e-4, "int4pack disagrees with the format"
            t_ref = _time(lambda: int4_linear_ref(x, packed, scale, shape), reps)
            t_pack = _time(lambda: torch._weight_int4pack_mm_for_cpu(x, wp, 32, sz), reps)
            x16 = x.to(torch.bfloat16)
            t_pack16 = _time(lambda: torch._weight_int4pack_mm_for_cpu(x16, wp, 32, sz16), reps)
            t_dense = _time(lambda: x @ dense.T, reps)
            rows.append(f"| {label} | {n}×{k} | {m} | {t_ref:.2f} | {t_pack:.2f} | {t_pack16:.2f} | "
                        f"{t_dense:.2f} | {t_ref / t_dense:.1f}× | {t_pack / t_dense:.2f}× | "
                        f"{t_pack16 / t_dense:.2f}× |")
    n, k = SHAPES[0][1:]
    rows.append("")
    rows.append(f"Resident bytes per {n}×{k} projection: packed+scales {n * k // 2 + n * k // 32 * 2:,}; "
                f"int4pack {n * k // 2 + n * k // 32 * 8:,}; dense fp32 {n * k * 4:,} (8× packed).")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="append the table to bench/RESULTS.md")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    rows = run(args.reps)
    head = (f"## INT4 expert matmul on CPU ({cpu_model()}, {torch.get_num_threads()} threads, torch "
            f"{torch.__version__}, {datetime.date.today().isoformat()}"
            f"{', load average %.1f' % os.getloadavg()[0] if hasattr(os, 'getloadavg') else ''})")
    text = "\n".join([head, "", *rows, ""])
    print(text)
    if args.write:
        append_results(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
