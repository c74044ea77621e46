"""MLA decode attention over the latent KV cache, weight-absorbed form (K2.5 spec §2.5).

For each sequence b and head h, with L = seq_lens[b] cached positions:

    score[t] = scale * (q_lat[b, h] . cache[b, t, :C] + q_pe[b, h] . cache[b, t, C:])     t < L
    o_lat[b, h] = sum_t softmax(score)[t] * cache[b, t, :C]

i.e. MQA with a 576-wide key and the first C = 512 dims of the same cached vector as value. A sequence with
L = 0 yields zeros.

Legend: B sequences, Hn heads, C latent (kv_lora_rank), R rope dims, Tmax cache capacity, NS KV splits,
BH heads per program, BT cache rows per iteration.

Triton path (flash-decoding): `_mla_decode_split_kernel` runs one program per (sequence, head block, KV split),
keeping an online softmax; each split writes its normalised partial output and log-sum-exp, and
`_mla_combine_kernel` merges the splits. With one split the first kernel writes the final output directly.
The split count is sized from Tmax (not from seq_lens, which stays on the device), so short sequences leave
surplus programs that exit at once. Absorbing W_UK / W_UV into q / o is the decoder's job, as are RoPE and
writing the cache. `mla_decode_ref` is the CPU path and the test oracle.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from kernels import dispatch

try:
    import triton
    import triton.language as tl
except ImportError:
    triton = None


def mla_decode_ref(q_lat: torch.Tensor, q_pe: torch.Tensor, kv_cache: torch.Tensor, seq_lens: torch.Tensor,
                   scale: float) -> torch.Tensor:
    """Plain PyTorch in fp32 over the whole cache with positions >= seq_lens[b] masked; o_lat[B, Hn, C] fp32."""
    c = q_lat.shape[-1]
    kv = kv_cache.to(torch.float32)                                              # [B, Tmax, C+R]
    scores = (torch.einsum("bhc,btc->bht", q_lat.float(), kv[..., :c])
              + torch.einsum("bhr,btr->bht", q_pe.float(), kv[..., c:])) * scale  # [B, Hn, Tmax]
    pos = torch.arange(kv.shape[1], device=kv.device)
    live = pos[None, :] < seq_lens.to(kv.device).long()[:, None]                # [B, Tmax]
    scores = scores.masked_fill(~live[:, None, :], float("-inf"))
    p = torch.softmax(scores, dim=-1).nan_to_num(0.0)                           # all-masked rows -> 0
    return torch.einsum("bht,btc->bhc", p, kv[..., :c])


if triton is not None:
    @triton.jit
    def _mla_decode_split_kernel(
        ql_ptr,       # [B, Hn, C]      q_lat
        qp_ptr,       # [B, Hn, R]      q_pe (rotated)
        kv_ptr,       # [B, Tmax, C+R]  latent cache (bf16 or fp32)
        lens_ptr,     # [B]             int32 cached positions per sequence
        o_ptr,        # [B, NS, Hn, C]  fp32 partial outputs (normalised), or [B, Hn, C] when NS == 1
        lse_ptr,      # [B, NS, Hn]     fp32 log2-sum-exp of each partial (unused when NS == 1)
        Hn, C, R, chunk, qk_scale,
        stride_qb, stride_qh, stride_pb, stride_ph, stride_kb, stride_kt,
        stride_ob, stride_os, stride_oh, stride_lb, stride_ls,
        BLOCK_C: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_H: tl.constexpr, BLOCK_T: tl.constexpr,
        NS: tl.constexpr, DOT_F32: tl.constexpr,
    ):
        b = tl.program_id(0)
        pid_h = tl.program_id(1)
        split = tl.program_id(2)
        seq_len = tl.load(lens_ptr + b)
        t_start = split * chunk
        t_end = tl.minimum(t_start + chunk, seq_len)
        offs_h = pid_h * BLOCK_H + tl.arange(0, BLOCK_H)                         # [BH]
        offs_c = tl.arange(0, BLOCK_C)                                           # [BC]
        offs_r = tl.arange(0, BLOCK_R)                                           # [BR]
        mask_h = offs_h < Hn
        mask_c = offs_c < C
        mask_r = offs_r < R
        q_lat = tl.load(ql_ptr + b * stride_qb + offs_h[:, None] * stride_qh + offs_c[None, :],
                        mask=mask_h[:, None] & mask_c[None, :], other=0.0)       # [BH, BC]
        q_pe = tl.load(qp_ptr + b * stride_pb + offs_h[:, None] * stride_ph + offs_r[None, :],
                       mask=mask_h[:, None] & mask_r[None, :], other=0.0)        # [BH, BR]
        kv_b = kv_ptr + b.to(tl.int64) * stride_kb
        if DOT_F32:
            q_lat = q_lat.to(tl.float32)
            q_pe = q_pe.to(tl.float32)
        else:
            q_lat = q_lat.to(kv_ptr.dtype.element_ty)
            q_pe = q_pe.to(kv_ptr.dtype.element_ty)
        m_i = tl.full((BLOCK_H,), float("-inf"), dtype=tl.float32)
        l_i = tl.zeros((BLOCK_H,), dtype=tl.float32)
        acc = tl.zeros((BLOCK_H, BLOCK_C), dtype=tl.float32)
        for t0 in range(t_start, t_end, BLOCK_T):
            offs_t = t0 + tl.arange(0, BLOCK_T)                                  # [BT]
            mask_t = offs_t < t_end
            rows = kv_b + offs_t.to(tl.int64)[:, None] * stride_kt
            c = tl.load(rows + offs_c[None, :], mask=mask_t[:, None] & mask_c[None, :], other=0.0)     # [BT, BC]
            kpe = tl.load(rows + C + offs_r[None, :], mask=mask_t[:, None] & mask_r[None, :], other=0.0)  # [BT, BR]
            if DOT_F32:
                c = c.to(tl.float32)
                kpe = kpe.to(tl.float32)
                s = tl.dot(q_lat, tl.trans(c), input_precision="ieee")
                s += tl.dot(q_pe, tl.trans(kpe), input_precision="ieee")
            else:
                s = tl.dot(q_lat, tl.trans(c))
                s += tl.dot(q_pe, tl.trans(kpe))                                 # [BH, BT]
            s = tl.where(mask_t[None, :], s * qk_scale, float("-inf"))           # log2 domain
            m_new = tl.maximum(m_i, tl.max(s, 1))
            alpha = tl.exp2(m_i - m_new)
            p = tl.exp2(s - m_new[:, None])                                      # [BH, BT]
            l_i = l_i * alpha + tl.sum(p, 1)
            if DOT_F32:
                acc = acc * alpha[:, None] + tl.dot(p, c, input_precision="ieee")
            else:
                acc = acc * alpha[:, None] + tl.dot(p.to(c.dtype), c)            # [BH, BC]
            m_i = m_new
        empty = l_i == 0.0                                                       # no positions in this split
        o = acc / tl.where(empty, 1.0, l_i)[:, None]
        o_ptrs = o_ptr + b * stride_ob + split * stride_os + offs_h[:, None] * stride_oh + offs_c[None, :]
        tl.store(o_ptrs, o, mask=mask_h[:, None] & mask_c[None, :])
        if NS > 1:
            lse = tl.where(empty, float("-inf"), m_i + tl.log2(tl.where(empty, 1.0, l_i)))
            tl.store(lse_ptr + b * stride_lb + split * stride_ls + offs_h, lse, mask=mask_h)

    @triton.jit
    def _mla_combine_kernel(
        part_ptr,     # [B, NS, Hn, C]  fp32 normalised partial outputs
        lse_ptr,      # [B, NS, Hn]     fp32 log2-sum-exp per partial (-inf: empty split)
        o_ptr,        # [B, Hn, C]      fp32 output
        Hn, C, NS,
        stride_pb, stride_ps, stride_ph, stride_lb, stride_ls, stride_ob, stride_oh,
        BLOCK_S: tl.constexpr, BLOCK_C: tl.constexpr,
    ):
        b = tl.program_id(0)
        h = tl.program_id(1)
        offs_s = tl.arange(0, BLOCK_S)                                           # [BS]
        offs_c = tl.arange(0, BLOCK_C)                                           # [BC]
        mask_s = offs_s < NS
        lse = tl.load(lse_ptr + b * stride_lb + offs_s * stride_ls + h, mask=mask_s, other=float("-inf"))
        m = tl.max(lse, 0)
        w = tl.where(lse == float("-inf"), 0.0, tl.exp2(lse - tl.where(m == float("-inf"), 0.0, m)))  # [BS]
        denom = tl.sum(w, 0)
        w = w / tl.where(denom == 0.0, 1.0, denom)
        part = tl.load(part_ptr + b * stride_pb + offs_s[:, None] * stride_ps + h * stride_ph + offs_c[None, :],
                       mask=mask_s[:, None] & (offs_c < C)[None, :], other=0.0)  # [BS, BC]
        tl.store(o_ptr + b * stride_ob + h * stride_oh + offs_c, tl.sum(part * w[:, None], 0), mask=offs_c < C)


@dataclass(frozen=True)
class MlaConfig:
    """Heads per program, cache rows per iteration, and the minimum cache rows per KV split."""
    block_h: int
    block_t: int
    min_chunk: int = 256
    num_warps: int = 4
    num_stages: int = 2


def mla_decode_configs(batch: int, heads: int, tmax: int) -> list[MlaConfig]:
    """Candidates; the first is the pinned default. 16 heads per program is the smallest tensor-core M tile
    and keeps the [BH, 512] fp32 accumulator in registers; larger head blocks read each cache tile fewer
    times (the rest come from L2) but risk spilling, so they are tried, not assumed."""
    if dispatch.interpreting():
        return [MlaConfig(16, 32, 64)]
    # H100, 64 heads: (64 heads, 64 rows, 8 warps) won at 64 x 32K (73% of copy bandwidth), (32, 128) at
    # 64 x 4K (56%), (16, 64) at 1 x 128K (40%). Each split writes a [heads, 512] fp32 partial, which at 4K
    # context is ~14% extra traffic: larger min_chunk values (fewer splits) are offered for that reason.
    return [MlaConfig(64, 64, 512, 8, 2), MlaConfig(32, 128, 512, 8, 2), MlaConfig(16, 64, 512, 4, 2),
            MlaConfig(64, 64, 2048, 8, 2), MlaConfig(32, 128, 2048, 8, 2), MlaConfig(64, 64, 1024, 8, 2),
            MlaConfig(32, 64, 1024, 4, 2), MlaConfig(16, 64, 1024, 4, 2), MlaConfig(32, 64, 512, 8, 3)]


def _num_splits(batch: int, head_blocks: int, tmax: int, cfg: MlaConfig, sms: int) -> int:
    """Enough KV splits for ~2 waves of programs, each split at least `min_chunk` rows."""
    want = max(1, -(-2 * sms // (batch * head_blocks)))
    return max(1, min(want, -(-tmax // cfg.min_chunk)))


def _launch(q_lat, q_pe, kv_cache, seq_lens, scale, cfg: MlaConfig) -> torch.Tensor:
    b, hn, c = q_lat.shape
    r = q_pe.shape[-1]
    tmax = kv_cache.shape[1]
    head_blocks = triton.cdiv(hn, cfg.block_h)
    ns = _num_splits(b, head_blocks, tmax, cfg, dispatch.sm_count_of(q_lat))
    chunk = triton.cdiv(triton.cdiv(tmax, ns), cfg.block_t) * cfg.block_t
    ns = triton.cdiv(tmax, chunk)
    out = torch.empty((b, hn, c), device=q_lat.device, dtype=torch.float32)
    if ns == 1:
        part, lse = out.unsqueeze(1), out  # lse unused when NS == 1
    else:
        part = torch.empty((b, ns, hn, c), device=q_lat.device, dtype=torch.float32)
        lse = torch.empty((b, ns, hn), device=q_lat.device, dtype=torch.float32)
    dot_f32 = kv_cache.dtype == torch.float32 or dispatch.interpreting()
    block_c = max(16, triton.next_power_of_2(c))
    _mla_decode_split_kernel[(b, head_blocks, ns)](
        q_lat, q_pe, kv_cache, seq_lens, part, lse, hn, c, r, chunk, scale * math.log2(math.e),
        q_lat.stride(0), q_lat.stride(1), q_pe.stride(0), q_pe.stride(1), kv_cache.stride(0), kv_cache.stride(1),
        part.stride(0), part.stride(1), part.stride(2), lse.stride(0), lse.stride(1) if ns > 1 else 0,
        BLOCK_C=block_c, BLOCK_R=max(16, triton.next_power_of_2(r)), BLOCK_H=cfg.block_h,
        BLOCK_T=cfg.block_t, NS=ns, DOT_F32=dot_f32, num_warps=cfg.num_warps, num_stages=cfg.num_stages)
    if ns > 1:
        _mla_combine_kernel[(b, hn)](
            part, lse, out, hn, c, ns, part.stride(0), part.stride(1), part.stride(2), lse.stride(0),
            lse.stride(1), out.stride(0), out.stride(1),
            BLOCK_S=max(2, triton.next_power_of_2(ns)), BLOCK_C=block_c, num_warps=4)
    return out


def _check_mla_args(q_lat, q_pe, kv_cache, seq_lens):
    if q_lat.dim() != 3 or q_pe.dim() != 3 or kv_cache.dim() != 3:
        raise ValueError(f"expected q_lat[B,Hn,C], q_pe[B,Hn,R], kv_cache[B,Tmax,C+R]; got {tuple(q_lat.shape)}, "
                         f"{tuple(q_pe.shape)}, {tuple(kv_cache.shape)}")
    b, hn, c = q_lat.shape
    r = q_pe.shape[-1]
    if q_pe.shape[:2] != (b, hn) or kv_cache.shape[0] != b or kv_cache.shape[2] != c + r:
        raise ValueError(f"shapes disagree: q_lat {tuple(q_lat.shape)}, q_pe {tuple(q_pe.shape)}, kv_cache "
                         f"{tuple(kv_cache.shape)} (expected [B={b}, Tmax, {c + r}])")
    if seq_lens.shape != (b,) or seq_lens.dtype != torch.int32:
        raise ValueError(f"seq_lens must be int32 [{b}], got {seq_lens.dtype} {tuple(seq_lens.shape)}")
    for name, t in (("q_lat", q_lat), ("q_pe", q_pe), ("kv_cache", kv_cache)):
        if t.stride(-1) != 1:
            raise ValueError(f"{name} must be contiguous in its last dim, strides {tuple(t.stride())}")


def mla_decode(q_lat: torch.Tensor, q_pe: torch.Tensor, kv_cache: torch.Tensor, seq_lens: torch.Tensor,
               scale: float, *, config: MlaConfig | None = None) -> torch.Tensor:
    """o_lat[B, Hn, C] fp32 (see the module docstring). q_lat[B, Hn, C], q_pe[B, Hn, R] any float dtype;
    kv_cache[B, Tmax, C+R] bf16 (fp32 accepted); seq_lens[B] int32 <= Tmax; `scale` the softmax scale."""
    _check_mla_args(q_lat, q_pe, kv_cache, seq_lens)
    b, hn, c = q_lat.shape
    if b == 0 or hn == 0 or kv_cache.shape[1] == 0:
        return torch.zeros((b, hn, c), device=q_lat.device, dtype=torch.float32)
    if not dispatch.use_triton_for(q_lat, q_pe, kv_cache, seq_lens):
        return mla_decode_ref(q_lat, q_pe, kv_cache, seq_lens, scale)
    args = (q_lat, q_pe, kv_cache, seq_lens, float(scale))
    if config is None:
        cands = mla_decode_configs(b, hn, kv_cache.shape[1])
        key = (b, hn, c, q_pe.shape[-1], triton.next_power_of_2(kv_cache.shape[1]), kv_cache.dtype)
        config = dispatch.pick_config("mla_decode", key, cands, lambda cfg: _launch(*args, cfg))
    return _launch(*args, config)
