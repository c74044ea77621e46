"""Speed benchmark of the INT4 engine's kernels at Kimi K2.5 shapes, on one CUDA GPU.

    python bench/kernels.py [--append bench/RESULTS.md] [--quick]

First measures, in the same run, the device's copy bandwidth (device-to-device copy, bytes read + written)
and its bf16 torch.matmul rate; then times, as ratios to those ceilings or to torch.matmul on the same shape:
- `int4_linear` at batch 1 and 16 (both weight storage orders: checkpoint row-major and `repack_int4`'s
  K-major) vs bf16 torch.matmul, and at a 2048-token prefill;
- one MoE layer (router + `fused_moe` over 384 INT4 experts + the bf16 shared expert) at batch 1, 64 and a
  2048-token prefill, against the floor set by the bytes of the experts it must read once;
- `mla_decode` at 64 x 4K, 64 x 32K and 1 x 128K against the floor set by the cache bytes.
Every kernel output is checked against a fp32 reference before it is timed. Small operations are timed as
CUDA-graph replays of many back-to-back calls over rotating weight copies larger than L2, so the numbers are
device time from DRAM, not Python launch overhead or L2 hits. It prints a table and appends it, with device
and date, to the markdown file given by --append. It does not run on CPU. `UICODE_AUTOTUNE_VERBOSE=1` prints
each autotune candidate's time; `UICODE_AUTOTUNE_PIN=kernel=index[,…]` times one candidate instead.
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from kernels import dispatch  # noqa: E402
from kernels.fused_moe import fused_moe  # noqa: E402
from kernels.int4_linear import int4_dequantize_ref, int4_linear, repack_int4  # noqa: E402
from kernels.mla_decode import mla_decode, mla_decode_ref  # noqa: E402

L2_FLUSH_BYTES = 256 << 20   # rotate over weight copies totalling more than this (H100 L2: 50 MB)
H, I_EXPERT, I_DENSE, E, TOPK = 7168, 2048, 18432, 384, 8
C_LAT, R_ROPE, HEADS = 512, 64, 64
LINEAR_SHAPES = [  # (name, N out, K in)
    ("expert gate/up", 2048, 7168), ("expert down", 7168, 2048), ("dense gate/up", 18432, 7168),
    ("dense down", 7168, 18432), ("attn q_a", 1536, 7168), ("attn q_b", 12288, 1536),
    ("attn kv_a", 576, 7168), ("attn o", 7168, 8192)]


def time_ms(fn, reps: int = 20, graph_calls: int = 1) -> float:
    """Mean device time of one `fn()` call: `fn` is warmed up, then `graph_calls` calls are captured in a
    CUDA graph (fn may rotate its inputs per call) and the graph is replayed `reps` times."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        fn()  # first call on the side stream outside capture (allocator warm-up)
        with torch.cuda.graph(g, stream=stream):
            for _ in range(graph_calls):
                fn()
    torch.cuda.current_stream().wait_stream(stream)
    g.replay()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        g.replay()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / (reps * graph_calls)


def rel_err(out: torch.Tensor, ref: torch.Tensor) -> float:
    out, ref = out.double(), ref.double()
    if not torch.isfinite(out).all():
        return float("inf")
    return float((out - ref).norm() / ref.norm().clamp_min(1e-30))


def rand_int4(*lead_n_k: int, device="cuda"):
    """Random packed nibbles and positive bf16 scales of the pack-quantized layout."""
    *lead, n, k = lead_n_k
    packed = torch.randint(-2**31, 2**31 - 1, (*lead, n, k // 8), dtype=torch.int32, device=device)
    scale = (torch.rand((*lead, n, k // 32), device=device) * 0.02 + 0.005).to(torch.bfloat16)
    return packed, scale


def measure_ceilings() -> tuple[float, float]:
    """(copy bandwidth in GB/s counting read + write, bf16 matmul TFLOP/s), both on random data."""
    src = torch.randn(1 << 29, device="cuda", dtype=torch.bfloat16)   # 1 GiB
    dst = torch.empty_like(src)
    ms = time_ms(lambda: dst.copy_(src), reps=10)
    bw = 2 * src.numel() * 2 / ms / 1e6
    del src, dst
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    ms = time_ms(lambda: a @ b, reps=10)
    return bw, 2 * 8192**3 / ms / 1e9


def bench_linear(rows: list, bw: float, quick: bool) -> None:
    shapes = LINEAR_SHAPES[:3] if quick else LINEAR_SHAPES
    for name, n, k in shapes:
        wbytes = n * k // 2 + n * (k // 32) * 2
        copies = max(2, -(-L2_FLUSH_BYTES // wbytes))
        weights = [rand_int4(n, k) for _ in range(copies)]
        dense = [int4_dequantize_ref(p, s, (n, k), torch.bfloat16) for p, s in weights[:max(2, -(-L2_FLUSH_BYTES // (2 * n * k)))]]
        repacked = [repack_int4(p, s) for p, s in weights]
        for m in (1, 16):
            x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
            ref = x.float() @ dense[0].float().T
            err = max(rel_err(int4_linear(x, *weights[0], (n, k)), ref),
                      rel_err(int4_linear(x, *repacked[0], (n, k)), ref))
            it = {"i": 0}

            def run(ws):
                def f():
                    it["i"] = (it["i"] + 1) % len(ws)
                    return int4_linear(x, *ws[it["i"]], (n, k))
                return f

            def run_bf16():
                it["i"] = (it["i"] + 1) % len(dense)
                return x @ dense[it["i"]].T
            t_row = time_ms(run(weights), graph_calls=len(weights))
            t_rep = time_ms(run(repacked), graph_calls=len(repacked))
            t_bf = time_ms(run_bf16, graph_calls=len(dense))
            best = min(t_row, t_rep)
            gbs = wbytes / best / 1e6
            target = 3.5 if m == 1 else 2.5
            rows.append((f"int4_linear {name} {n}x{k} M={m}",
                         f"{best * 1e3:.1f} us (row-major {t_row * 1e3:.1f}, repacked {t_rep * 1e3:.1f}, "
                     f"repacked + shared expert beside {t_side * 1e3:.1f})",
                         f"{gbs / bw:.0%} of copy BW; {t_bf / best:.2f}x bf16 ({t_bf * 1e3:.1f} us)",
                         f">=85% BW, >={target}x", "ok" if (m > 1 or gbs / bw >= 0.85) and t_bf / best >= target else "MISS",
                         f"{err:.1e}"))
        if name in ("dense gate/up", "expert gate/up"):
            m = 2048
            x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
            ref = x.float() @ dense[0].float().T
            err = rel_err(int4_linear(x, *repacked[0], (n, k)), ref)
            t_int4 = time_ms(lambda: int4_linear(x, *repacked[0], (n, k)))
            t_bf = time_ms(lambda: x @ dense[0].T)
            tf = 2 * m * n * k / t_int4 / 1e9
            rows.append((f"int4_linear {name} prefill M={m}", f"{t_int4 * 1e3:.1f} us ({tf:.0f} TFLOP/s)",
                         f"{t_bf / t_int4:.2f}x bf16 ({t_bf * 1e3:.1f} us)", "report", "-", f"{err:.1e}"))
        del weights, dense, repacked
        torch.cuda.empty_cache()


def bench_moe(rows: list, bw: float, tflops: float, quick: bool) -> None:
    w13 = rand_int4(E, 2 * I_EXPERT, H)
    w2 = rand_int4(E, H, I_EXPERT)
    w13r, w2r = repack_int4(*w13), repack_int4(*w2)
    gate_w = torch.randn(E, H, device="cuda") * 0.02                  # router weight kept in fp32 (spec §2.6)
    bias = torch.randn(E, device="cuda") * 0.1
    sh13 = torch.randn(2 * I_EXPERT, H, device="cuda", dtype=torch.bfloat16) * 0.02   # shared expert, bf16
    sh2 = torch.randn(H, I_EXPERT, device="cuda", dtype=torch.bfloat16) * 0.02
    expert_bytes = (2 * I_EXPERT * H + H * I_EXPERT) // 2 + (2 * I_EXPERT * H // 32 + H * I_EXPERT // 32) * 2
    dense_bytes = gate_w.numel() * 4 + (sh13.numel() + sh2.numel()) * 2

    def route(x):
        sig = torch.sigmoid(x.float() @ gate_w.T)
        idx = torch.topk(sig + bias, TOPK, dim=-1).indices
        w = sig.gather(1, idx)
        return idx, w / (w.sum(-1, keepdim=True) + 1e-20) * 2.827

    def shared_expert(x):
        gu = x @ sh13.T
        return (torch.nn.functional.silu(gu[:, :I_EXPERT]) * gu[:, I_EXPERT:]) @ sh2.T

    def layer(x, w13_, w2_):
        idx, w = route(x)
        shared = shared_expert(x)
        return fused_moe(x, idx, w, *w13_, *w2_) + shared

    def layer_beside(x, w13_, w2_):  # as model.moe.MoE.forward at decode: the shared expert on a side stream
        main, side = torch.cuda.current_stream(), dispatch.side_stream(x.device)
        side.wait_stream(main)
        with torch.cuda.stream(side):
            shared = shared_expert(x)
        idx, w = route(x)
        out = fused_moe(x, idx, w, *w13_, *w2_)
        main.wait_stream(side)
        return out + shared

    for t in ((1, 64) if quick else (1, 64, 2048)):
        xs = [torch.randn(t, H, device="cuda", dtype=torch.bfloat16) for _ in range(8)]
        # Correctness of the routed part against the fp32 reference over the experts actually hit.
        idx, w = route(xs[0])
        ref = torch.zeros(t, H, device="cuda")
        for e in torch.unique(idx).tolist():
            tok, ch = (idx == e).nonzero(as_tuple=True)
            a13 = int4_dequantize_ref(w13[0][e], w13[1][e], (2 * I_EXPERT, H))
            a2 = int4_dequantize_ref(w2[0][e], w2[1][e], (H, I_EXPERT))
            gu = xs[0][tok].float() @ a13.T
            ref.index_add_(0, tok, (torch.nn.functional.silu(gu[:, :I_EXPERT]) * gu[:, I_EXPERT:]) @ a2.T
                           * w[tok, ch][:, None])
        err = max(rel_err(fused_moe(xs[0], idx, w, *w13, *w2), ref), rel_err(fused_moe(xs[0], idx, w, *w13r, *w2r), ref))
        hit = sum(len(torch.unique(route(x)[0])) for x in xs) / len(xs)
        floor_ms = (hit * expert_bytes + dense_bytes) / bw / 1e6   # bytes at the measured DRAM traffic rate
        it = {"i": 0}

        def run(w13_, w2_, fn=layer):
            def f():
                it["i"] = (it["i"] + 1) % len(xs)
                return fn(xs[it["i"]], w13_, w2_)
            return f
        t_row = time_ms(run(w13, w2), reps=5, graph_calls=len(xs))
        t_rep = time_ms(run(w13r, w2r), reps=5, graph_calls=len(xs))
        t_side = time_ms(run(w13r, w2r, layer_beside), reps=5, graph_calls=len(xs))
        best = min(t_row, t_rep, t_side)
        flops = 2 * t * (TOPK * 3 + 3) * I_EXPERT * H
        ratio = best / floor_ms
        target = "<=1.5x floor" if t == 1 else "report"
        if t == 1:  # the routed experts alone, against the bytes of the 8 experts they read
            routed = [route(x) for x in xs]
            it2 = {"i": 0}

            def run_routed():
                it2["i"] = (it2["i"] + 1) % len(xs)
                return fused_moe(xs[it2["i"]], *routed[it2["i"]], *w13r, *w2r)
            t_routed = time_ms(run_routed, reps=5, graph_calls=len(xs))
            floor_routed = hit * expert_bytes / bw / 1e6
            rows.append((f"fused_moe alone T=1 ({hit:.0f} experts)", f"{t_routed * 1e3:.1f} us",
                         f"{t_routed / floor_routed:.2f}x byte floor ({floor_routed * 1e3:.1f} us)", "report", "-",
                         f"{err:.1e}"))
        rows.append((f"MoE layer T={t} ({hit:.0f} experts hit)",
                     f"{best * 1e3:.1f} us (row-major {t_row * 1e3:.1f}, repacked {t_rep * 1e3:.1f}, "
                     f"repacked + shared expert beside {t_side * 1e3:.1f})",
                     f"{ratio:.2f}x byte floor ({floor_ms * 1e3:.1f} us); {flops / best / 1e9:.0f} TFLOP/s "
                     f"({flops / best / 1e9 / tflops:.0%} of bf16 mm)",
                     target, ("ok" if ratio <= 1.5 else "MISS") if t == 1 else "-", f"{err:.1e}"))
    del w13, w2, w13r, w2r
    torch.cuda.empty_cache()


def bench_mla(rows: list, bw: float, quick: bool) -> None:
    scale = 0.1446796
    cases = [(64, 4096), (1, 131072)] if quick else [(64, 4096), (64, 32768), (1, 131072)]
    for b, ctx in cases:
        kv = torch.randn(b, ctx, C_LAT + R_ROPE, device="cuda", dtype=torch.bfloat16)
        q_lat = torch.randn(b, HEADS, C_LAT, device="cuda", dtype=torch.bfloat16)
        q_pe = torch.randn(b, HEADS, R_ROPE, device="cuda", dtype=torch.bfloat16)
        lens = torch.full((b,), ctx, dtype=torch.int32, device="cuda")
        nb = min(b, 4)
        ref = mla_decode_ref(q_lat[:nb], q_pe[:nb], kv[:nb], lens[:nb], scale)
        err = rel_err(mla_decode(q_lat, q_pe, kv, lens, scale)[:nb], ref)
        t = time_ms(lambda: mla_decode(q_lat, q_pe, kv, lens, scale), reps=10)
        cache_bytes = b * ctx * (C_LAT + R_ROPE) * 2
        frac = cache_bytes / t / 1e6 / bw
        rows.append((f"mla_decode B={b} ctx={ctx // 1024}K, {HEADS} heads", f"{t * 1e3:.1f} us",
                     f"{frac:.0%} of copy BW on cache bytes ({cache_bytes / 1e6:.0f} MB)", ">=75% BW",
                     "ok" if frac >= 0.75 else "MISS", f"{err:.1e}"))
        del kv
        torch.cuda.empty_cache()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--append", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"))
    ap.add_argument("--quick", action="store_true", help="fewer shapes")
    ap.add_argument("--only", default="linear,moe,mla")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("bench/kernels.py needs a CUDA GPU", file=sys.stderr)
        return 2
    assert dispatch.backend() == "triton", "Triton backend not selected"
    torch.manual_seed(0)
    dev = torch.cuda.get_device_name()
    import triton
    bw, tflops = measure_ceilings()
    print(f"device {dev}; torch {torch.__version__}, triton {triton.__version__}; copy {bw:.0f} GB/s, "
          f"bf16 matmul {tflops:.0f} TFLOP/s", flush=True)
    rows: list[tuple] = []
    only = args.only.split(",")
    if "linear" in only:
        bench_linear(rows, bw, args.quick)
    if "moe" in only:
        bench_moe(rows, bw, tflops, args.quick)
    if "mla" in only:
        bench_mla(rows, bw, args.quick)
    head = ("case", "time", "ratio", "target", "met", "rel err")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = (f"\n## Kernels (bench/kernels.py) — {dev}, {stamp}\n\n"
               f"torch {torch.__version__}, triton {triton.__version__}; measured ceilings in the same run: "
               f"copy {bw:.0f} GB/s (read + write), bf16 torch.matmul {tflops:.0f} TFLOP/s (8192^3). "
               f"Times are CUDA-graph replays over weights rotated past L2.\n\n" + "\n".join(lines) + "\n")
    print(section, flush=True)
    for key, cfg in dispatch._TUNED.items():
        print("tuned", key, cfg)
    with open(args.append, "a") as f:
        f.write(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
