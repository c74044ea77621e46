"""INT4 weight-only linear layer (W4A16) for the compressed-tensors `pack-quantized` layout.

Layout (spec §4.4): W[out, in] has group-32 symmetric scales. `weight_packed[out, ceil(in/8)]` int32
holds nibbles u = q + 8, element 8j+i in bits 4i..4i+3 of column j (lowest nibble first);
`weight_scale[out, ceil(in/32)]` bf16; `weight_shape = [out, in]` (int32 or int64).
Dequantised W[r, c] = (u[r, c] - 8) * scale[r, c // 32].

This file holds:
- `int4_dequantize_ref` / `int4_linear_ref`: the pure-PyTorch reference, both the CPU path and the test oracle;
- `repack_int4`: the optional one-time load-time repack. It keeps the logical shapes ([N, K/8], [N, K/32]) and
  only changes the storage order to K-major (`stride = (1, N)`), so every 8 consecutive K rows of a kernel tile
  read one contiguous, coalesced run of N words. Launchers accept both storage orders;
- `_int4_matmul_kernel`: the tensor-core kernel, a split-K GEMV for 5-16 rows and a tiled GEMM for prefill;
- the public launcher `int4_linear`, which sends 1-4 rows to the CUDA-core GEMV of `kernels/int4_gemv.py`
  and the rest to `_int4_matmul_kernel` (`kernels.dispatch.matmul_regime` decides).

It does not own the module (`model/linear.py`) or the quantiser (`model/int4.py`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from kernels import dispatch
from kernels.int4_gemv import GemvConfig, int4_gemv, int4_gemv_configs

_SHIFTS = torch.arange(0, 32, 4, dtype=torch.int32)  # [8]: nibble i lives in bits 4i..4i+3


def int4_dequantize_ref(weight_packed: torch.Tensor, weight_scale: torch.Tensor,
                        weight_shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Unpack and scale to a dense W[out, in] of `dtype`."""
    n, k = (int(v) for v in weight_shape)
    shifts = _SHIFTS.to(weight_packed.device)
    u = (weight_packed.unsqueeze(-1) >> shifts) & 0xF                 # [N, K/8, 8]
    q = u.reshape(n, -1)[:, :k].to(dtype) - 8.0                      # [N, K]
    scale = weight_scale.to(dtype).repeat_interleave(32, dim=1)[:, :k]  # [N, K]
    return q * scale


def int4_linear_ref(x: torch.Tensor, weight_packed: torch.Tensor, weight_scale: torch.Tensor,
                    weight_shape) -> torch.Tensor:
    """`x[..., in] @ W.T -> [..., out]` computed in fp32, returned in x.dtype."""
    w = int4_dequantize_ref(weight_packed, weight_scale, weight_shape, torch.float32)
    return (x.to(torch.float32) @ w.T).to(x.dtype)


def repack_int4(weight_packed: torch.Tensor, weight_scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One-time load-time repack to K-major storage: same logical shapes and values ([..., N, K/8] int32,
    [..., N, K/32] bf16), transposed storage in the last two dims. Works on a single weight or a stacked
    expert tensor [E, N, K/8]. The checkpoint format is untouched; keep the result in non-persistent buffers."""
    def kmajor(t: torch.Tensor) -> torch.Tensor:
        return t.transpose(-1, -2).contiguous().transpose(-1, -2)
    return kmajor(weight_packed), kmajor(weight_scale)


def weight_strides(t: torch.Tensor, name: str) -> tuple[int, int]:
    """(stride over N, stride over K-columns) of a packed/scale tensor in either accepted storage order:
    row-major as in the checkpoint, or K-major from `repack_int4`, each possibly a row slice of a larger such
    tensor (the decoder's per-expert views into its stacked gate/up weights: unit stride, outer stride larger
    than the slice). Anything else is a caller bug."""
    sn, sk = t.stride(-2), t.stride(-1)
    rows, cols = t.shape[-2], t.shape[-1]
    if (sk == 1 and sn >= cols) or (sn == 1 and sk >= rows) or rows == 1 or cols == 1:
        return sn, sk
    raise ValueError(f"{name}: storage must be row-major or K-major (repack_int4); got shape "
                     f"{tuple(t.shape)} strides {tuple(t.stride())}")


# --------------------------------------------------------------------------------------------------------
# Triton kernel

try:
    import triton
    import triton.language as tl
except ImportError:  # the torch backend needs none of this
    triton = None

if triton is not None:
    @triton.jit
    def _dequant_words(p, s, BLOCK_K: tl.constexpr, BLOCK_N: tl.constexpr, OUT_DTYPE: tl.constexpr):
        """Words p[BK/8, BN] int32 and their scales s[BK/8, BN] -> the W^T tile [BK, BN] in OUT_DTYPE.

        Each word is loaded once and split in registers. The nibble u becomes the float 2^23 + u by OR-ing in
        the exponent bits (no int->float convert); subtracting 2^23 + 8 is exact, then one multiply by s.
        (A single FMA v*s - (2^23+8)*s would save an instruction but is only exact as a true fused op, which
        the interpreter does not provide.) A gather formulation that loaded each word once per nibble ran at
        12-15% of copy bandwidth on an H100 (M=1, 2048x7168)."""
        shifts = tl.arange(0, 8) * 4                                            # [8]
        u = (p[:, None, :] >> shifts[None, :, None]) & 0xF                      # [BK/8, 8, BN]
        v = (u | 0x4B000000).to(tl.float32, bitcast=True)                       # 2^23 + u, exact
        w = (v - 8388616.0) * s.to(tl.float32)[:, None, :]                      # (u - 8) * s
        return tl.reshape(w, (BLOCK_K, BLOCK_N)).to(OUT_DTYPE)                  # row 8j+i = k

    @triton.jit
    def _int4_matmul_kernel(
        x_ptr,        # [M, K]      activations (bf16/fp16/fp32), row stride stride_xm
        wq_ptr,       # [N, K/8]    int32 nibbles, strides (stride_wqn, stride_wqk)
        ws_ptr,       # [N, K/32]   bf16 scales, strides (stride_wsn, stride_wsk)
        out_ptr,      # [M, N]      output; fp32 accumulated with atomics when SPLIT_K > 1
        M, N, K,
        stride_xm, stride_wqn, stride_wqk, stride_wsn, stride_wsk, stride_om,
        BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, SPLIT_K: tl.constexpr,
        DOT_F32: tl.constexpr,
    ):
        """out[m, n] (+)= sum_k x[m, k] * (u[n, k] - 8) * s[n, k // 32] over this program's K range."""
        pid_m = tl.program_id(0)
        pid_n = tl.program_id(1)
        pid_k = tl.program_id(2)
        offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)                        # [BM]
        offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)                        # [BN]
        mask_m = offs_m < M
        mask_n = offs_n < N
        k_words = tl.cdiv(K, 8)
        # Split-K: program pid_k owns a contiguous run of K blocks.
        k_blocks = tl.cdiv(K, BLOCK_K)
        per_split = tl.cdiv(k_blocks, SPLIT_K)
        kb_start = pid_k * per_split
        kb_end = tl.minimum(kb_start + per_split, k_blocks)
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        for kb in range(kb_start, kb_end):
            offs_k = kb * BLOCK_K + tl.arange(0, BLOCK_K)                       # [BK]
            offs_w = kb * (BLOCK_K // 8) + tl.arange(0, BLOCK_K // 8)           # [BK/8] word index
            wmask = (offs_w < k_words)[:, None] & mask_n[None, :]
            p = tl.load(wq_ptr + offs_w[:, None] * stride_wqk + offs_n[None, :] * stride_wqn,
                        mask=wmask, other=0)                                    # [BK/8, BN] int32
            s = tl.load(ws_ptr + (offs_w // 4)[:, None] * stride_wsk + offs_n[None, :] * stride_wsn,
                        mask=wmask, other=0.0)                                  # [BK/8, BN]
            x = tl.load(x_ptr + offs_m[:, None] * stride_xm + offs_k[None, :],
                        mask=mask_m[:, None] & (offs_k < K)[None, :], other=0.0)  # [BM, BK]
            if DOT_F32:
                w = _dequant_words(p, s, BLOCK_K, BLOCK_N, tl.float32)
                acc += tl.dot(x.to(tl.float32), w, input_precision="ieee")
            else:
                w = _dequant_words(p, s, BLOCK_K, BLOCK_N, x.dtype)
                acc += tl.dot(x, w)
        out_ptrs = out_ptr + offs_m[:, None] * stride_om + offs_n[None, :]
        omask = mask_m[:, None] & mask_n[None, :]
        if SPLIT_K == 1:
            tl.store(out_ptrs, acc.to(out_ptr.dtype.element_ty), mask=omask)
        else:
            tl.atomic_add(out_ptrs, acc, mask=omask)


@dataclass(frozen=True)
class Int4Config:
    """One launch configuration of `_int4_matmul_kernel`."""
    block_m: int
    block_n: int
    block_k: int
    split_k: int = 1
    num_warps: int = 4
    num_stages: int = 3


def int4_linear_configs(m: int, n: int, k: int) -> list[Int4Config]:
    """Autotune candidates for an [m, k] x [n, k]^T product; the first is the pinned default.

    Decode with 5-16 rows: one 16-row M tile (the smallest tensor-core tile) and split-K, offered only while
    the program count stays under ~8 waves of a 132-SM device, since each split costs an atomic pass over the
    output. Prefill (GEMM regime): large tiles, no split-K (enough M x N tiles already); (128, 256, 64, 8 warps)
    won on an H100 at 2048 x 2048 x 7168 and 2048 x 18432 x 7168."""
    if dispatch.interpreting():
        # Each interpreted program-iteration costs ~5 ms (60-120 ms on a loaded 2-core machine): cover test and
        # tiny-model shapes with few, large tiles.
        return [Int4Config(16, 64, 128)] if m <= 16 else [Int4Config(32, 64, 128)]
    if dispatch.matmul_regime(m) != "gemm":
        out = []
        for bn in (32, 64, 16):
            tiles = -(-n // bn)
            for bk in (256, 128):
                for sk in (1, 2, 4, 8):
                    if sk > 1 and (tiles * sk > 132 * 8 or k // sk < bk):
                        continue
                    out.append(Int4Config(16, bn, bk, sk, num_warps=4, num_stages=4))
        # Pinned default: the candidate closest to 2 waves of programs; the 8 closest are timed (each distinct
        # tile set is one more compile).
        out.sort(key=lambda c: abs(-(-n // c.block_n) * c.split_k - 264))
        return out[:8]
    return [Int4Config(bm, bn, bk, 1, num_warps=w, num_stages=st)
            for bm, bn, bk, w, st in ((128, 128, 64, 8, 3), (64, 128, 64, 4, 4), (128, 64, 64, 4, 4),
                                      (64, 64, 128, 4, 3), (128, 256, 64, 8, 3))]


def _launch(x2: torch.Tensor, weight_packed: torch.Tensor, weight_scale: torch.Tensor, n: int,
            cfg: Int4Config, out_dtype: torch.dtype) -> torch.Tensor:
    m, k = x2.shape
    sqn, sqk = weight_strides(weight_packed, "weight_packed")
    ssn, ssk = weight_strides(weight_scale, "weight_scale")
    if cfg.split_k > 1:
        out = torch.zeros((m, n), device=x2.device, dtype=torch.float32)
    else:
        out = torch.empty((m, n), device=x2.device, dtype=out_dtype)
    grid = (triton.cdiv(m, cfg.block_m), triton.cdiv(n, cfg.block_n), cfg.split_k)
    _int4_matmul_kernel[grid](
        x2, weight_packed, weight_scale, out, m, n, k,
        x2.stride(0), sqn, sqk, ssn, ssk, out.stride(0),
        BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n, BLOCK_K=cfg.block_k, SPLIT_K=cfg.split_k,
        DOT_F32=(x2.dtype == torch.float32 or dispatch.interpreting()),
        num_warps=cfg.num_warps, num_stages=cfg.num_stages)
    return out if out.dtype == out_dtype else out.to(out_dtype)


def _check_int4_args(x: torch.Tensor, weight_packed: torch.Tensor, weight_scale: torch.Tensor,
                     weight_shape) -> tuple[int, int]:
    """Validate shapes/dtypes; returns (N, K). K comes from x, so a weight_shape living on the GPU is never
    read back (that would synchronise every call)."""
    if weight_packed.dtype != torch.int32:
        raise ValueError(f"weight_packed must be int32, got {weight_packed.dtype}")
    if weight_packed.dim() != 2 or weight_scale.dim() != 2:
        raise ValueError(f"weight_packed/weight_scale must be 2-D, got {tuple(weight_packed.shape)} and "
                         f"{tuple(weight_scale.shape)}")
    n, k = weight_packed.shape[0], x.shape[-1]
    if weight_packed.shape[1] != -(-k // 8) or weight_scale.shape != (n, -(-k // 32)):
        raise ValueError(f"x has {k} input features but weight_packed is {tuple(weight_packed.shape)} and "
                         f"weight_scale {tuple(weight_scale.shape)} (expected [{n}, {-(-k // 8)}] and "
                         f"[{n}, {-(-k // 32)}])")
    if not (isinstance(weight_shape, torch.Tensor) and weight_shape.is_cuda):
        shape = tuple(int(v) for v in weight_shape)
        if shape != (n, k):
            raise ValueError(f"weight_shape {list(shape)} disagrees with x ({k} features) and "
                             f"weight_packed ({n} rows)")
    return n, k


def int4_linear(x: torch.Tensor, weight_packed: torch.Tensor, weight_scale: torch.Tensor,
                weight_shape, *, config: Int4Config | GemvConfig | None = None) -> torch.Tensor:
    """`x[..., K] @ W.T -> [..., N]` in x.dtype for W in the pack-quantized layout (row-major as in the
    checkpoint, or K-major from `repack_int4`). Triton when `kernels.dispatch` says so, else the reference.
    `config` pins a launch configuration (tests); by default it comes from `int4_linear_configs`."""
    n, k = _check_int4_args(x, weight_packed, weight_scale, weight_shape)
    if not dispatch.use_triton_for(x, weight_packed, weight_scale):
        return int4_linear_ref(x, weight_packed, weight_scale, (n, k))
    lead = x.shape[:-1]
    x2 = x.reshape(-1, k)
    if x2.stride(-1) != 1:
        x2 = x2.contiguous()
    m = x2.shape[0]
    if m == 0 or n == 0:
        return x.new_zeros((*lead, n))
    regime = dispatch.matmul_regime(m)
    if config is None:
        if dispatch.interpreting():
            cands = [GemvConfig(128, 32)] if regime == "gemv" else int4_linear_configs(m, n, k)
        elif regime == "gemv":
            cands = int4_gemv_configs(m, n, k, dispatch.sm_count_of(x2))
        elif regime == "gemv_tc":
            # 5-16 rows sit where CUDA-core FMAs and padded tensor-core tiles cost about the same: time both.
            cands = int4_linear_configs(m, n, k) + int4_gemv_configs(m, n, k, dispatch.sm_count_of(x2))[:3]
        else:
            cands = int4_linear_configs(m, n, k)
        key = (regime, m if m <= 16 else triton.next_power_of_2(m), n, k, x.dtype, weight_packed.stride(-1) == 1)
        config = dispatch.pick_config("int4_linear", key, cands,
                                      lambda c: _launch_any(x2, weight_packed, weight_scale, n, c, x.dtype))
    out = _launch_any(x2, weight_packed, weight_scale, n, config, x.dtype)
    return out.reshape(*lead, n)


def _launch_any(x2, weight_packed, weight_scale, n, cfg, out_dtype):
    if isinstance(cfg, GemvConfig):
        strides = (*weight_strides(weight_packed, "weight_packed"), *weight_strides(weight_scale, "weight_scale"))
        return int4_gemv(x2, weight_packed, weight_scale, n, strides, cfg, out_dtype)
    return _launch(x2, weight_packed, weight_scale, n, cfg, out_dtype)
