"""CUDA-core INT4 GEMV for decode (1-4 activation rows): y[m] = W x[m] with W in the pack-quantized layout.

Why a separate kernel: at batch 1 the tensor-core path of `int4_linear` pads M to 16 and must turn every
weight into a bf16 operand tile (convert + layout shuffle through shared memory), which capped it at 16-40%
of copy bandwidth on an H100. Here each int32 word is loaded once (coalesced along N in the K-major storage
of `repack_int4`) and its 8 nibbles are folded straight into fp32 FMAs against the matching 8 activations;
the group scale is applied once per word. About 3 instructions per weight, no shared memory. (The first
version shifted each nibble down before the exponent trick, 4 instructions per weight: 62-64% of copy
bandwidth on an H100 at M=1, 18432x7168.)

Split-K reduction runs in the same launch: each split adds its partial sums into a zeroed fp32 workspace and
bumps a per-tile counter; the split that arrives last writes the output in the output dtype and re-zeroes the
workspace and counter for the next call (so a decode step is one kernel, CUDA-graph friendly).

Shared by `kernels.int4_linear` (dense layers) and `kernels.fused_moe` (per-slot expert GEMV in decode).
Legend: M rows, N outputs, K inputs, KW = ceil(K/8) words, BN/BKW tile sizes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

try:
    import triton
    import triton.language as tl
except ImportError:
    triton = None

if triton is not None:
    @triton.jit
    def _gemv_words(x_row_ptr, wq_ptr, ws_ptr, offs_n, mask_n, w_start, w_end, K,
                    stride_wqn, stride_wqk, stride_wsn, stride_wsk, BLOCK_N: tl.constexpr, BLOCK_KW: tl.constexpr):
        """sum over words w in [w_start, w_end) and their 8 nibbles of x[8w+i] * (u - 8) * s -> [BN] fp32.

        x_row_ptr: one activation row [K]; wq_ptr/ws_ptr: words [N, KW] / scales [N, K/32] (any storage
        order, via strides)."""
        acc = tl.zeros((BLOCK_KW, BLOCK_N), dtype=tl.float32)             # [BKW, BN]
        for w0 in range(w_start, w_end, BLOCK_KW):
            offs_w = w0 + tl.arange(0, BLOCK_KW)                                   # [BKW]
            mask_w = offs_w < w_end
            m2 = mask_w[:, None] & mask_n[None, :]
            p = tl.load(wq_ptr + offs_w[:, None] * stride_wqk + offs_n[None, :] * stride_wqn,
                        mask=m2, other=0)                                          # [BKW, BN] int32
            s = tl.load(ws_ptr + (offs_w // 4)[:, None] * stride_wsk + offs_n[None, :] * stride_wsn,
                        mask=m2, other=0.0).to(tl.float32)                         # [BKW, BN]
            t = tl.zeros((BLOCK_KW, BLOCK_N), dtype=tl.float32)
            xsum = tl.zeros((BLOCK_KW,), dtype=tl.float32)
            p_hi = p >> 16                                                         # nibbles 4..7 at 0..12
            for i in tl.static_range(8):
                xi = tl.load(x_row_ptr + offs_w * 8 + i, mask=mask_w & (offs_w * 8 + i < K),
                             other=0.0).to(tl.float32)                             # [BKW]
                xsum += xi
                # Nibble i stays in place (no per-nibble shift): (src & 0xF << 4j) | 0x4B000000 is the float
                # 2^23 + u * 16^j (exact for j <= 3), so after subtracting 2^23 one FMA against x * 16^-j adds
                # u * x: LOP3 + FADD + FFMA per weight. The -8 offset is applied per word through xsum.
                if i < 4:
                    src = p
                else:
                    src = p_hi
                sh = 4 * (i % 4)
                v = ((src & (0xF << sh)) | 0x4B000000).to(tl.float32, bitcast=True) - 8388608.0
                t += v * (xi * (1.0 / (1 << sh)))[:, None]
            t -= 8.0 * xsum[:, None]
            acc += t * s
        return tl.sum(acc, 0)                                                      # [BN]

    @triton.jit
    def _int4_gemv_kernel(
        x_ptr,        # [M, K]   activations, row stride stride_xm
        wq_ptr,       # [N, KW]  int32 words, strides (stride_wqn, stride_wqk)
        ws_ptr,       # [N, K/32] bf16 scales, strides (stride_wsn, stride_wsk)
        out_ptr,      # [M, N]   output (x dtype), row stride stride_om
        work_ptr,     # [M, N]   fp32 split-K workspace, zero between calls (SPLIT_K > 1 only)
        count_ptr,    # [M, NB]  int32 arrival counters, zero between calls (SPLIT_K > 1 only)
        N, K, stride_xm, stride_wqn, stride_wqk, stride_wsn, stride_wsk, stride_om,
        BLOCK_N: tl.constexpr, BLOCK_KW: tl.constexpr, SPLIT_K: tl.constexpr,
    ):
        m = tl.program_id(0)
        pid_n = tl.program_id(1)
        pid_k = tl.program_id(2)
        offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)                           # [BN]
        mask_n = offs_n < N
        kw = tl.cdiv(K, 8)
        per_split = tl.cdiv(tl.cdiv(kw, SPLIT_K), BLOCK_KW) * BLOCK_KW
        w_start = pid_k * per_split
        w_end = tl.minimum(w_start + per_split, kw)
        acc = _gemv_words(x_ptr + m * stride_xm, wq_ptr, ws_ptr, offs_n, mask_n, w_start, w_end, K,
                          stride_wqn, stride_wqk, stride_wsn, stride_wsk, BLOCK_N, BLOCK_KW)
        out_ptrs = out_ptr + m * stride_om + offs_n
        if SPLIT_K == 1:
            tl.store(out_ptrs, acc.to(out_ptr.dtype.element_ty), mask=mask_n)
        else:
            work = work_ptr + m * N + offs_n
            tl.atomic_add(work, acc, mask=mask_n)
            tl.debug_barrier()  # every thread's partial sums are in before the tile is counted
            cnt = count_ptr + m * tl.num_programs(1) + pid_n
            if tl.atomic_add(cnt, 1) == SPLIT_K - 1:  # acq_rel: the last split sees all partial sums
                total = tl.load(work, mask=mask_n, other=0.0, cache_modifier=".cg")
                tl.store(out_ptrs, total.to(out_ptr.dtype.element_ty), mask=mask_n)
                tl.store(work, tl.zeros_like(total), mask=mask_n)
                tl.atomic_xchg(cnt, 0)


@dataclass(frozen=True)
class GemvConfig:
    block_n: int
    block_kw: int
    split_k: int = 1
    num_warps: int = 4
    num_stages: int = 3


def int4_gemv_configs(m: int, n: int, k: int, sms: int = 132) -> list[GemvConfig]:
    """Candidates, first = pinned default: tiles of 64-256 outputs x 16-32 words, with split-K raising the
    program count towards ~2-4 waves (N=2048 alone gives only 8-32 tiles for 132 SMs)."""
    out = []
    kw = -(-k // 8)
    for bn in (128, 64, 256):
        for bkw in (32, 16):
            tiles = m * -(-n // bn)
            for sk in (1, 2, 4, 8, 16, 32):
                if sk > 1 and (tiles * sk > sms * 8 or kw // sk < bkw):
                    continue
                out.append(GemvConfig(bn, bkw, sk, num_warps=4 if bn <= 128 else 8))
    # Order = pinned default first. On an H100 the winners (M=1, K2.5 shapes from 576x7168 to 18432x7168) had
    # 32-word K steps, mostly 128-wide N tiles, and 150-600 programs: rank by distance from ~2 waves first.
    def rank(c: GemvConfig):
        programs = m * -(-n // c.block_n) * c.split_k
        return (round(abs(math.log2(programs / (2 * sms))), 0), c.block_kw != 32, c.block_n != 128)
    out.sort(key=rank)
    return out[:8]


# Split-K workspaces per (device, rows, N): a zeroed fp32 sum buffer and zeroed counters that the kernel
# leaves zeroed after each call. A cache of scratch memory, not runtime state.
_WORKSPACES: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}


def _workspace(device: torch.device, m: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    key = (str(device), m, n)
    ws = _WORKSPACES.get(key)
    if ws is None:
        ws = (torch.zeros((m, n), device=device, dtype=torch.float32),
              torch.zeros((m, -(-n // 16)), device=device, dtype=torch.int32))
        _WORKSPACES[key] = ws
    return ws


def int4_gemv(x2: torch.Tensor, weight_packed: torch.Tensor, weight_scale: torch.Tensor, n: int,
              strides: tuple[int, int, int, int], cfg: GemvConfig, out_dtype: torch.dtype) -> torch.Tensor:
    """Launch `_int4_gemv_kernel` for x2[M, K] (row-contiguous); strides = (wq_n, wq_k, ws_n, ws_k).
    Arguments are validated by the public caller (`kernels.int4_linear`)."""
    m, k = x2.shape
    out = torch.empty((m, n), device=x2.device, dtype=out_dtype)
    work, count = _workspace(x2.device, m, n) if cfg.split_k > 1 else (out, out)
    grid = (m, triton.cdiv(n, cfg.block_n), cfg.split_k)
    _int4_gemv_kernel[grid](
        x2, weight_packed, weight_scale, out, work, count, n, k, x2.stride(0), *strides, out.stride(0),
        BLOCK_N=cfg.block_n, BLOCK_KW=cfg.block_kw, SPLIT_K=cfg.split_k,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages)
    return out
