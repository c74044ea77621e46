"""Fused MoE over INT4 routed experts (K2.5 spec §2.6, step 5 without the shared expert).

    y[t] = sum_j topk_weights[t, j] * W2[e] (silu(W13[e][:I] x[t]) * W13[e][I:] x[t]),   e = topk_ids[t, j]

Legend: T tokens, H hidden size, I expert intermediate size, E experts, k = top-k, S = T*k (token, choice)
slots, BM the M tile, P the padded slot count, NB = P / BM blocks.

Decode (at most MOE_GEMV_MAX_SLOTS slots) takes a per-slot path: `_moe_gemv_gate_up_kernel` and
`_moe_gemv_down_kernel` run one CUDA-core GEMV (kernels/int4_gemv.py) per (slot, N tile), reading the expert
id straight from topk_ids. Larger batches take the grouped tensor-core path:
1. `moe_align_block_size`: the S slots sorted by expert, each expert's run padded to a multiple of BM with a
   sentinel slot S, so every M tile of the grouped GEMMs belongs to one expert. Pure torch ops, no host
   synchronisation (the grid is sized by an upper bound and surplus programs exit at once).
2. `_moe_gate_up_kernel`: one grouped GEMM over w13 with SiLU(gate) * up fused, writing inter[S, I].
3. `_moe_down_kernel`: one grouped GEMM over w2 scaled by each slot's routing weight, writing out[S, H] fp32;
   the k slots of each token are summed afterwards (deterministic, unlike atomics).

The INT4 weights use the compressed-tensors layout (see kernels/int4_linear.py), row-major as stacked from the
checkpoint or K-major from `repack_int4`. Routing (sigmoid + bias + top-k) and the shared expert are the
decoder's: this module takes the router's top-k and returns the routed experts' sum only.
`fused_moe_ref` is the CPU path and the test oracle.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from kernels import dispatch
from kernels.int4_linear import int4_dequantize_ref, weight_strides

if dispatch.has_triton():
    from kernels.int4_gemv import _gemv_words
    from kernels.int4_linear import _dequant_words

try:
    import triton
    import triton.language as tl
except ImportError:
    triton = None


def fused_moe_ref(x: torch.Tensor, topk_ids: torch.Tensor, topk_weights: torch.Tensor,
                  w13_packed: torch.Tensor, w13_scale: torch.Tensor,
                  w2_packed: torch.Tensor, w2_scale: torch.Tensor) -> torch.Tensor:
    """Plain PyTorch, fp32 compute, one dequantised expert at a time (only experts that received tokens)."""
    t, h = x.shape
    e_count, two_i = w13_packed.shape[0], w13_packed.shape[1]
    i_size = two_i // 2
    out = torch.zeros((t, h), dtype=torch.float32, device=x.device)
    xf = x.to(torch.float32)
    flat = topk_ids.reshape(-1)
    for e in torch.unique(flat).tolist():
        tok, choice = (topk_ids == e).nonzero(as_tuple=True)                   # [n_e], [n_e]
        w13 = int4_dequantize_ref(w13_packed[e], w13_scale[e], (two_i, h))      # [2I, H]
        w2 = int4_dequantize_ref(w2_packed[e], w2_scale[e], (h, i_size))        # [H, I]
        gu = xf[tok] @ w13.T                                                    # [n_e, 2I]
        act = torch.nn.functional.silu(gu[:, :i_size]) * gu[:, i_size:]       # [n_e, I]
        y = (act @ w2.T) * topk_weights[tok, choice].to(torch.float32)[:, None]
        out.index_add_(0, tok, y)
    return out.to(x.dtype)


def moe_align_block_size(topk_ids: torch.Tensor, num_experts: int, block_m: int):
    """Sort the S = T*k slots by expert with per-expert padding to a multiple of `block_m`.

    Returns (sorted_slots[P] int32 with sentinel S in padding, block_expert[NB] int32, num_padded[1] int32).
    P is an upper bound (S + min(E, S) * (block_m - 1), rounded up to block_m) so nothing is read back to the
    host; blocks at or past num_padded are to be skipped."""
    flat = topk_ids.reshape(-1)                                                 # [S]
    s = flat.numel()
    dev = flat.device
    # scatter_add rather than bincount: bincount reads max(flat) back to the host, which would break
    # CUDA-graph capture and stall the decode loop.
    counts = torch.zeros(num_experts, dtype=torch.int64, device=dev).scatter_add_(
        0, flat, torch.ones_like(flat))                                         # [E]
    padded = (counts + block_m - 1) // block_m * block_m                        # [E]
    pad_end = torch.cumsum(padded, 0)                                           # [E]
    pad_start = pad_end - padded
    cnt_start = torch.cumsum(counts, 0) - counts
    order = torch.argsort(flat, stable=True)                                    # [S] slot ids by expert
    sorted_e = flat[order]
    rank = torch.arange(s, device=dev) - cnt_start[sorted_e]
    dest = pad_start[sorted_e] + rank                                           # [S] position in padded list
    p_max = s + min(num_experts, s) * (block_m - 1)
    p_max = (p_max + block_m - 1) // block_m * block_m
    sorted_slots = torch.full((p_max,), s, dtype=torch.int32, device=dev)
    sorted_slots[dest] = order.to(torch.int32)
    starts = torch.arange(0, p_max, block_m, device=dev)
    block_expert = torch.searchsorted(pad_end, starts, right=True).to(torch.int32)  # [NB]; E past the end
    num_padded = pad_end[-1:].to(torch.int32)
    return sorted_slots, block_expert, num_padded


if triton is not None:
    @triton.jit
    def _moe_gate_up_kernel(
        x_ptr,        # [T, H]        activations
        w_ptr,        # [E, 2I, H/8]  int32 nibbles, strides (stride_we, stride_wn, stride_wk)
        s_ptr,        # [E, 2I, H/32] bf16 scales, strides (stride_se, stride_sn, stride_sk)
        slots_ptr,    # [P]           int32 slot ids sorted by expert, sentinel S
        bexp_ptr,     # [NB]          int32 expert of each BM block
        npad_ptr,     # [1]           int32 number of valid padded slots
        inter_ptr,    # [S, I]        silu(gate) * up, row per slot
        H, I, TOP_K, S,
        stride_xt, stride_we, stride_wn, stride_wk, stride_se, stride_sn, stride_sk, stride_it,
        BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, DOT_F32: tl.constexpr,
    ):
        pid_b = tl.program_id(0)
        pid_n = tl.program_id(1)
        if pid_b * BLOCK_M >= tl.load(npad_ptr):
            return
        e = tl.load(bexp_ptr + pid_b).to(tl.int64)
        slots = tl.load(slots_ptr + pid_b * BLOCK_M + tl.arange(0, BLOCK_M))   # [BM]
        valid = slots < S
        tok = slots // TOP_K
        offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)                      # [BN] rows of gate; +I for up
        mask_n = offs_n < I
        wq = w_ptr + e * stride_we
        ws = s_ptr + e * stride_se
        acc_g = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        acc_u = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        k_words = tl.cdiv(H, 8)
        for k0 in range(0, H, BLOCK_K):
            offs_k = k0 + tl.arange(0, BLOCK_K)                               # [BK]
            offs_w = k0 // 8 + tl.arange(0, BLOCK_K // 8)                     # [BK/8] word index
            x = tl.load(x_ptr + tok[:, None] * stride_xt + offs_k[None, :],
                        mask=valid[:, None] & (offs_k < H)[None, :], other=0.0)   # [BM, BK]
            wmask = (offs_w < k_words)[:, None] & mask_n[None, :]
            qk = offs_w[:, None] * stride_wk
            sk = (offs_w // 4)[:, None] * stride_sk
            pg = tl.load(wq + qk + offs_n[None, :] * stride_wn, mask=wmask, other=0)          # [BK/8, BN]
            pu = tl.load(wq + qk + (offs_n + I)[None, :] * stride_wn, mask=wmask, other=0)    # [BK/8, BN]
            sg = tl.load(ws + sk + offs_n[None, :] * stride_sn, mask=wmask, other=0.0)
            su = tl.load(ws + sk + (offs_n + I)[None, :] * stride_sn, mask=wmask, other=0.0)
            if DOT_F32:
                xf = x.to(tl.float32)
                acc_g += tl.dot(xf, _dequant_words(pg, sg, BLOCK_K, BLOCK_N, tl.float32), input_precision="ieee")
                acc_u += tl.dot(xf, _dequant_words(pu, su, BLOCK_K, BLOCK_N, tl.float32), input_precision="ieee")
            else:
                acc_g += tl.dot(x, _dequant_words(pg, sg, BLOCK_K, BLOCK_N, x.dtype))
                acc_u += tl.dot(x, _dequant_words(pu, su, BLOCK_K, BLOCK_N, x.dtype))
        h = acc_g * tl.sigmoid(acc_g) * acc_u
        tl.store(inter_ptr + slots[:, None] * stride_it + offs_n[None, :],
                 h.to(inter_ptr.dtype.element_ty), mask=valid[:, None] & mask_n[None, :])

    @triton.jit
    def _moe_down_kernel(
        inter_ptr,    # [S, I]        silu(gate) * up
        w_ptr,        # [E, H, I/8]   int32 nibbles
        s_ptr,        # [E, H, I/32]  bf16 scales
        slots_ptr,    # [P]           int32 slot ids sorted by expert, sentinel S
        bexp_ptr,     # [NB]          int32 expert of each block
        npad_ptr,     # [1]           int32
        tw_ptr,       # [S]           fp32 routing weight of each slot
        out_ptr,      # [S, H]        fp32 weighted expert output per slot
        H, I, S,
        stride_it, stride_we, stride_wn, stride_wk, stride_se, stride_sn, stride_sk, stride_ot,
        BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, DOT_F32: tl.constexpr,
    ):
        pid_b = tl.program_id(0)
        pid_n = tl.program_id(1)
        if pid_b * BLOCK_M >= tl.load(npad_ptr):
            return
        e = tl.load(bexp_ptr + pid_b).to(tl.int64)
        slots = tl.load(slots_ptr + pid_b * BLOCK_M + tl.arange(0, BLOCK_M))   # [BM]
        valid = slots < S
        offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)                      # [BN] output features
        mask_n = offs_n < H
        wq = w_ptr + e * stride_we
        ws = s_ptr + e * stride_se
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        k_words = tl.cdiv(I, 8)
        for k0 in range(0, I, BLOCK_K):
            offs_k = k0 + tl.arange(0, BLOCK_K)                               # [BK]
            offs_w = k0 // 8 + tl.arange(0, BLOCK_K // 8)                     # [BK/8]
            a = tl.load(inter_ptr + slots[:, None] * stride_it + offs_k[None, :],
                        mask=valid[:, None] & (offs_k < I)[None, :], other=0.0)   # [BM, BK]
            wmask = (offs_w < k_words)[:, None] & mask_n[None, :]
            p = tl.load(wq + offs_w[:, None] * stride_wk + offs_n[None, :] * stride_wn,
                        mask=wmask, other=0)                                  # [BK/8, BN]
            s = tl.load(ws + (offs_w // 4)[:, None] * stride_sk + offs_n[None, :] * stride_sn,
                        mask=wmask, other=0.0)
            if DOT_F32:
                acc += tl.dot(a.to(tl.float32), _dequant_words(p, s, BLOCK_K, BLOCK_N, tl.float32),
                              input_precision="ieee")
            else:
                acc += tl.dot(a, _dequant_words(p, s, BLOCK_K, BLOCK_N, a.dtype))
        tw = tl.load(tw_ptr + slots, mask=valid, other=0.0)                   # [BM]
        tl.store(out_ptr + slots[:, None] * stride_ot + offs_n[None, :], acc * tw[:, None],
                 mask=valid[:, None] & mask_n[None, :])


if triton is not None:
    @triton.jit
    def _moe_gemv_gate_up_kernel(
        x_ptr,        # [T, H]        activations
        ids_ptr,      # [S]           int64 expert of each slot
        w_ptr,        # [E, 2I, H/8]  int32 nibbles
        s_ptr,        # [E, 2I, H/32] bf16 scales
        inter_ptr,    # [S, I]        silu(gate) * up, row per slot
        H, I, TOP_K,
        stride_xt, stride_we, stride_wn, stride_wk, stride_se, stride_sn, stride_sk, stride_it,
        BLOCK_N: tl.constexpr, BLOCK_KW: tl.constexpr,
    ):
        slot = tl.program_id(0)
        offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)          # [BN] gate rows; +I for up
        mask_n = offs_n < I
        e = tl.load(ids_ptr + slot)
        x_row = x_ptr + (slot // TOP_K) * stride_xt
        wq = w_ptr + e * stride_we
        ws = s_ptr + e * stride_se
        kw = tl.cdiv(H, 8)
        g = _gemv_words(x_row, wq, ws, offs_n, mask_n, 0, kw, H,
                        stride_wn, stride_wk, stride_sn, stride_sk, BLOCK_N, BLOCK_KW)
        u = _gemv_words(x_row, wq + I * stride_wn, ws + I * stride_sn, offs_n, mask_n, 0, kw, H,
                        stride_wn, stride_wk, stride_sn, stride_sk, BLOCK_N, BLOCK_KW)
        h = g * tl.sigmoid(g) * u
        tl.store(inter_ptr + slot * stride_it + offs_n, h.to(inter_ptr.dtype.element_ty), mask=mask_n)

    @triton.jit
    def _moe_gemv_down_kernel(
        inter_ptr,    # [S, I]        silu(gate) * up
        ids_ptr,      # [S]           int64 expert of each slot
        w_ptr,        # [E, H, I/8]   int32 nibbles
        s_ptr,        # [E, H, I/32]  bf16 scales
        tw_ptr,       # [S]           fp32 routing weight of each slot
        out_ptr,      # [S, H]        fp32 weighted expert output per slot
        H, I,
        stride_it, stride_we, stride_wn, stride_wk, stride_se, stride_sn, stride_sk, stride_ot,
        BLOCK_N: tl.constexpr, BLOCK_KW: tl.constexpr,
    ):
        slot = tl.program_id(0)
        offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)          # [BN] output features
        mask_n = offs_n < H
        e = tl.load(ids_ptr + slot)
        acc = _gemv_words(inter_ptr + slot * stride_it, w_ptr + e * stride_we, s_ptr + e * stride_se,
                          offs_n, mask_n, 0, tl.cdiv(I, 8), I,
                          stride_wn, stride_wk, stride_sn, stride_sk, BLOCK_N, BLOCK_KW)
        tl.store(out_ptr + slot * stride_ot + offs_n, acc * tl.load(tw_ptr + slot), mask=mask_n)


@dataclass(frozen=True)
class MoeConfig:
    """Tiles of both grouped GEMMs; block_m is also the per-expert padding of the slot list."""
    block_m: int
    block_n: int
    block_k: int
    num_warps: int = 4
    num_stages: int = 3


@dataclass(frozen=True)
class MoeGemvConfig:
    """Tiles of the per-slot GEMV path (decode: a handful of (token, expert) slots)."""
    block_n: int
    block_kw: int
    num_warps: int = 4
    num_stages: int = 3


# (token, expert) slots up to which decode uses the per-slot CUDA-core GEMV: every slot streams its expert's
# weights once with no padding, sorting or tensor-core tile (4 tokens at top-8). On an H100 the K2.5 MoE layer
# at T=1 (router + 8 experts + bf16 shared expert) took 317 us through the grouped path and 223 us this way.
MOE_GEMV_MAX_SLOTS = 32


def fused_moe_configs(num_slots: int, num_experts: int) -> list[MoeConfig | MoeGemvConfig]:
    """Candidates keyed on the mean slots per expert; the first is the pinned default. Few slots per expert
    (decode) want the smallest tensor-core M tile (16) so padding wastes little, and narrow N tiles so the few
    active experts still spread over every SM; prefill wants large tiles for tensor-core throughput."""
    # Interpreted programs cost ~5 ms per iteration: there only the smallest batches take the per-slot path
    # (tests pin each path explicitly through `config=`).
    if num_slots <= (4 if dispatch.interpreting() else MOE_GEMV_MAX_SLOTS):
        if dispatch.interpreting():
            return [MoeGemvConfig(64, 32)]
        return [MoeGemvConfig(64, 32), MoeGemvConfig(128, 32), MoeGemvConfig(32, 32), MoeGemvConfig(64, 16),
                MoeGemvConfig(128, 16, 8)]
    if dispatch.interpreting():
        return [MoeConfig(16, 64, 128)]
    per_expert = num_slots / max(num_experts, 1)
    if per_expert <= 4:
        return [MoeConfig(16, 32, 256, 4, 4), MoeConfig(16, 64, 128, 4, 4), MoeConfig(16, 32, 128, 4, 4),
                MoeConfig(16, 16, 256, 4, 4), MoeConfig(16, 64, 256, 4, 3)]
    if per_expert <= 32:
        return [MoeConfig(32, 64, 128, 4, 4), MoeConfig(16, 64, 128, 4, 4), MoeConfig(64, 64, 64, 4, 4),
                MoeConfig(32, 128, 64, 4, 4)]
    return [MoeConfig(64, 128, 64, 4, 4), MoeConfig(128, 128, 64, 8, 3), MoeConfig(64, 64, 64, 4, 4),
            MoeConfig(128, 64, 64, 4, 4)]


def _check_moe_args(x, topk_ids, topk_weights, w13_packed, w13_scale, w2_packed, w2_scale):
    if x.dim() != 2:
        raise ValueError(f"x must be [T, H], got {tuple(x.shape)}")
    t, h = x.shape
    if topk_ids.dtype != torch.int64 or topk_ids.dim() != 2 or topk_ids.shape[0] != t:
        raise ValueError(f"topk_ids must be int64 [T={t}, k], got {topk_ids.dtype} {tuple(topk_ids.shape)}")
    if topk_weights.shape != topk_ids.shape or topk_weights.dtype != torch.float32:
        raise ValueError(f"topk_weights must be fp32 {tuple(topk_ids.shape)}, got {topk_weights.dtype} "
                         f"{tuple(topk_weights.shape)}")
    if w13_packed.dtype != torch.int32 or w2_packed.dtype != torch.int32:
        raise ValueError(f"w13_packed/w2_packed must be int32, got {w13_packed.dtype}/{w2_packed.dtype}")
    e, two_i = w13_packed.shape[0], w13_packed.shape[1]
    i = two_i // 2
    expect = {"w13_packed": (w13_packed, (e, two_i, -(-h // 8))), "w13_scale": (w13_scale, (e, two_i, -(-h // 32))),
              "w2_packed": (w2_packed, (e, h, -(-i // 8))), "w2_scale": (w2_scale, (e, h, -(-i // 32)))}
    if two_i % 2:
        raise ValueError(f"w13_packed has {two_i} rows; expected 2*I (gate rows then up rows)")
    for name, (tensor, shape) in expect.items():
        if tuple(tensor.shape) != shape:
            raise ValueError(f"{name} is {tuple(tensor.shape)}, expected {shape} for x {tuple(x.shape)}, I={i}")
    if not topk_ids.is_cuda and topk_ids.numel() and (int(topk_ids.min()) < 0 or int(topk_ids.max()) >= e):
        raise ValueError(f"topk_ids out of range [0, {e})")
    return t, h, e, i


def _launch_gemv(x, topk_ids, topk_weights, w13_packed, w13_scale, w2_packed, w2_scale, e, i,
                 cfg: MoeGemvConfig):
    t, h = x.shape
    k = topk_ids.shape[1]
    s = t * k
    ids = topk_ids.reshape(-1)
    q_ = [weight_strides(w13_packed, "w13_packed"), weight_strides(w13_scale, "w13_scale"),
          weight_strides(w2_packed, "w2_packed"), weight_strides(w2_scale, "w2_scale")]
    inter = torch.empty((s, i), device=x.device, dtype=x.dtype)
    _moe_gemv_gate_up_kernel[(s, triton.cdiv(i, cfg.block_n))](
        x, ids, w13_packed, w13_scale, inter, h, i, k,
        x.stride(0), w13_packed.stride(0), *q_[0], w13_scale.stride(0), *q_[1], inter.stride(0),
        BLOCK_N=cfg.block_n, BLOCK_KW=cfg.block_kw, num_warps=cfg.num_warps, num_stages=cfg.num_stages)
    out_slots = torch.empty((s, h), device=x.device, dtype=torch.float32)
    _moe_gemv_down_kernel[(s, triton.cdiv(h, cfg.block_n))](
        inter, ids, w2_packed, w2_scale, topk_weights.reshape(-1), out_slots, h, i,
        inter.stride(0), w2_packed.stride(0), *q_[2], w2_scale.stride(0), *q_[3], out_slots.stride(0),
        BLOCK_N=cfg.block_n, BLOCK_KW=cfg.block_kw, num_warps=cfg.num_warps, num_stages=cfg.num_stages)
    if k == 1:
        return out_slots.to(x.dtype)
    return out_slots.view(t, k, h).sum(1).to(x.dtype)


def _launch(x, topk_ids, topk_weights, w13_packed, w13_scale, w2_packed, w2_scale, e, i,
            cfg: MoeConfig | MoeGemvConfig):
    if isinstance(cfg, MoeGemvConfig):
        return _launch_gemv(x, topk_ids, topk_weights, w13_packed, w13_scale, w2_packed, w2_scale, e, i, cfg)
    t, h = x.shape
    k = topk_ids.shape[1]
    s = t * k
    slots, bexp, npad = moe_align_block_size(topk_ids, e, cfg.block_m)
    nb = bexp.numel()
    dot_f32 = x.dtype == torch.float32 or dispatch.interpreting()
    inter = torch.empty((s, i), device=x.device, dtype=x.dtype)
    q_ = [weight_strides(w13_packed, "w13_packed"), weight_strides(w13_scale, "w13_scale"),
          weight_strides(w2_packed, "w2_packed"), weight_strides(w2_scale, "w2_scale")]
    _moe_gate_up_kernel[(nb, triton.cdiv(i, cfg.block_n))](
        x, w13_packed, w13_scale, slots, bexp, npad, inter, h, i, k, s,
        x.stride(0), w13_packed.stride(0), *q_[0], w13_scale.stride(0), *q_[1], inter.stride(0),
        BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n, BLOCK_K=cfg.block_k, DOT_F32=dot_f32,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages)
    out_slots = torch.empty((s, h), device=x.device, dtype=torch.float32)
    _moe_down_kernel[(nb, triton.cdiv(h, cfg.block_n))](
        inter, w2_packed, w2_scale, slots, bexp, npad, topk_weights.reshape(-1), out_slots, h, i, s,
        inter.stride(0), w2_packed.stride(0), *q_[2], w2_scale.stride(0), *q_[3], out_slots.stride(0),
        BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n, BLOCK_K=cfg.block_k, DOT_F32=dot_f32,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages)
    if k == 1:
        return out_slots.to(x.dtype)
    return out_slots.view(t, k, h).sum(1).to(x.dtype)


def fused_moe(x: torch.Tensor, topk_ids: torch.Tensor, topk_weights: torch.Tensor,
              w13_packed: torch.Tensor, w13_scale: torch.Tensor,
              w2_packed: torch.Tensor, w2_scale: torch.Tensor, *,
              config: MoeConfig | MoeGemvConfig | None = None) -> torch.Tensor:
    """Routed-expert MoE output [T, H] in x.dtype, routing weights applied (see the module docstring).

    x[T, H]; topk_ids[T, k] int64; topk_weights[T, k] fp32; w13_packed[E, 2I, H/8] int32 (rows 0..I-1 gate_proj,
    I..2I-1 up_proj); w13_scale[E, 2I, H/32] bf16; w2_packed[E, H, I/8] int32; w2_scale[E, H, I/32] bf16.
    Any T (0 included), any k in 1..E; experts with no tokens cost nothing."""
    t, h, e, i = _check_moe_args(x, topk_ids, topk_weights, w13_packed, w13_scale, w2_packed, w2_scale)
    if t == 0 or topk_ids.shape[1] == 0:
        return x.new_zeros((t, h))
    if not dispatch.use_triton_for(x, w13_packed, w2_packed):
        return fused_moe_ref(x, topk_ids, topk_weights, w13_packed, w13_scale, w2_packed, w2_scale)
    if x.stride(1) != 1:
        x = x.contiguous()
    topk_weights = topk_weights.contiguous()
    args = (x, topk_ids, topk_weights, w13_packed, w13_scale, w2_packed, w2_scale, e, i)
    if config is None:
        s = topk_ids.numel()
        cands = fused_moe_configs(s, e)
        key = (triton.next_power_of_2(s), e, h, i, x.dtype, w13_packed.stride(-1) == 1)
        config = dispatch.pick_config("fused_moe", key, cands, lambda c: _launch(*args, c))
    return _launch(*args, config)
