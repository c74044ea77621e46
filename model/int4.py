"""INT4 weight format of K2.5's routed experts: compressed-tensors `pack-quantized` primitives.

What this module does: pure tensor functions (no modules, no I/O) to quantize a dense weight to
group-wise symmetric INT4, pack the 4-bit values into int32 words, and undo both. They are shared by
the offline `model/quantize.py` verb, the loader's checks and the runtime dequantized layout.
What it does not do: matmuls (that is `kernels.int4_linear`) or deciding which modules are INT4
(that is the checkpoint's `quantization_config`, read by `model/config.py` and `model/quantize.py`).

Format (spec §4.4, compressed-tensors 0.20 `pack_to_int32` with num_bits=4):
- q ∈ [-8, 7] (int8) is stored as the nibble u = q + 8 ("uint4b8").
- Packing runs along the last (input) dim, 8 nibbles per int32, lowest nibble first:
  packed[r, j] = Σ_i u[r, 8j+i] << 4i. The int32 is signed (bit 31 may be set). Input columns are
  zero-padded to a multiple of 8 (the padding nibble is u = 0, as in the reference packer, which adds
  the offset before padding); `weight_shape` crops on unpack.
- One scale per row and group of 32 inputs, bf16: scale = absmax / 7.5 (compressed-tensors' minmax
  observer, symmetric: max(|min|, |max|) / ((qmax - qmin) / 2)); q = clamp(x / scale, -8, 7) rounded
  half-to-even. A group that is all zero gets scale = eps(bf16) so nothing divides by zero.
- weight_shape = [out, in] as int32 (the K2.5 files); int64 (what the reference compressor writes) is
  accepted wherever a shape is read.

Shape legend: N = out features (rows), K = in features, G = ceil(K / 32) groups, P = ceil(K / 8) words.
"""
from __future__ import annotations

import math

import torch

NUM_BITS = 4
GROUP_SIZE = 32
PACK_FACTOR = 32 // NUM_BITS            # 8 nibbles per int32 word
OFFSET = 1 << (NUM_BITS - 1)            # 8: q = u - 8
QMIN, QMAX = -OFFSET, OFFSET - 1        # [-8, 7]
SCALE_DTYPE = torch.bfloat16

# [8] bit offsets of the nibbles inside one int32: element 8j+i lives in bits 4i..4i+3.
_SHIFTS = torch.arange(0, 32, NUM_BITS, dtype=torch.int32)


def packed_cols(k: int) -> int:
    """Number of int32 words holding `k` nibbles: ceil(k / 8)."""
    return math.ceil(k / PACK_FACTOR)


def scale_cols(k: int, group_size: int = GROUP_SIZE) -> int:
    """Number of scale groups for `k` inputs: ceil(k / group_size)."""
    return math.ceil(k / group_size)


def shape_of(weight_shape) -> tuple[int, int]:
    """`weight_shape` tensor (int32 or int64, [2]) or sequence → (N, K) as Python ints."""
    if isinstance(weight_shape, torch.Tensor):
        weight_shape = weight_shape.tolist()
    n, k = (int(v) for v in weight_shape)
    return n, k


def pack_int4(q: torch.Tensor) -> torch.Tensor:
    """q int8[..., K] with values in [-8, 7] → packed int32[..., ceil(K/8)], lowest nibble first."""
    if q.dtype != torch.int8:
        raise TypeError(f"pack_int4 expects int8 values, got {q.dtype}")
    k = q.shape[-1]
    pad = packed_cols(k) * PACK_FACTOR - k
    u = (q.to(torch.int32) + OFFSET) & 0xF                           # [..., K] nibbles 0..15
    if pad:
        u = torch.nn.functional.pad(u, (0, pad))                     # zero nibbles, cropped on unpack
    u = u.reshape(*q.shape[:-1], -1, PACK_FACTOR)                    # [..., P, 8]
    shifts = _SHIFTS.to(q.device)
    # Disjoint bit fields, so a sum is an OR; int32 wrap-around sets bit 31 exactly as the
    # reference packer's scatter_add does.
    return (u << shifts).sum(dim=-1, dtype=torch.int32)              # [..., P]


def unpack_int4(packed: torch.Tensor, k: int) -> torch.Tensor:
    """packed int32[..., P] → q int8[..., k] in [-8, 7] (padding nibbles dropped)."""
    if packed.dtype != torch.int32:
        raise TypeError(f"unpack_int4 expects int32 words, got {packed.dtype}")
    if packed.shape[-1] != packed_cols(k):
        raise ValueError(f"{packed.shape[-1]} packed columns cannot hold k={k} (need {packed_cols(k)})")
    shifts = _SHIFTS.to(packed.device)
    u = (packed.unsqueeze(-1) >> shifts) & 0xF                       # [..., P, 8] arithmetic shift, masked
    u = u.reshape(*packed.shape[:-1], -1)[..., :k]                   # [..., K]
    return (u - OFFSET).to(torch.int8)


def compute_scales(w: torch.Tensor, group_size: int = GROUP_SIZE) -> torch.Tensor:
    """w float[N, K] → bf16 scales [N, ceil(K/group_size)] = absmax / 7.5 per row and group.

    The statistics are taken in fp32; a partial last group (K not a multiple of the group size)
    uses only its real columns.
    """
    n, k = w.shape
    g = scale_cols(k, group_size)
    wf = w.detach().to(torch.float32)
    pad = g * group_size - k
    if pad:
        wf = torch.nn.functional.pad(wf, (0, pad))                   # zeros never raise an absmax
    absmax = wf.reshape(n, g, group_size).abs().amax(dim=-1)         # [N, G]
    scale = (absmax / ((QMAX - QMIN) / 2)).to(SCALE_DTYPE)
    eps = torch.tensor(torch.finfo(SCALE_DTYPE).eps, dtype=SCALE_DTYPE, device=w.device)
    return torch.where(scale == 0, eps, scale)


def _expand_scales(scale: torch.Tensor, k: int, group_size: int) -> torch.Tensor:
    """scale [N, G] → fp32 [N, K], one value per input column."""
    return scale.to(torch.float32).repeat_interleave(group_size, dim=-1)[..., :k]


def quantize_values(w: torch.Tensor, scale: torch.Tensor, group_size: int = GROUP_SIZE) -> torch.Tensor:
    """w float[N, K] and scale [N, G] → q int8[N, K] = round_half_even(clamp(w / scale, -8, 7))."""
    k = w.shape[-1]
    x = w.detach().to(torch.float32) / _expand_scales(scale, k, group_size)
    return torch.round(torch.clamp(x, QMIN, QMAX)).to(torch.int8)


def quantize_int4(w: torch.Tensor, group_size: int = GROUP_SIZE
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Dense w[N, K] → (weight_packed int32[N, ceil(K/8)], weight_scale bf16[N, ceil(K/G)],
    weight_shape int32[2] = [N, K]).

    q is computed against the bf16-rounded scale that is stored, so dequantizing the stored triple
    gives exactly the values the quantizer chose.
    """
    if w.ndim != 2:
        raise ValueError(f"quantize_int4 expects a 2-D weight, got shape {list(w.shape)}")
    if not w.is_floating_point():
        raise TypeError(f"quantize_int4 expects a float weight, got {w.dtype}")
    n, k = w.shape
    scale = compute_scales(w, group_size)                            # [N, G] bf16
    q = quantize_values(w, scale, group_size)                        # [N, K] int8
    shape = torch.tensor([n, k], dtype=torch.int32)
    return pack_int4(q), scale, shape


def dequantize_int4(packed: torch.Tensor, scale: torch.Tensor, shape,
                    dtype: torch.dtype = torch.float32, group_size: int = GROUP_SIZE) -> torch.Tensor:
    """(weight_packed, weight_scale, weight_shape) → dense W[N, K] of `dtype`:
    W[r, c] = (u[r, c] - 8) * scale[r, c // group_size], computed in fp32."""
    n, k = shape_of(shape)
    if packed.shape != (n, packed_cols(k)):
        raise ValueError(f"weight_packed has shape {list(packed.shape)}, expected {[n, packed_cols(k)]}")
    if scale.shape != (n, scale_cols(k, group_size)):
        raise ValueError(f"weight_scale has shape {list(scale.shape)}, "
                         f"expected {[n, scale_cols(k, group_size)]}")
    q = unpack_int4(packed, k).to(torch.float32)                     # [N, K]
    return (q * _expand_scales(scale, k, group_size)).to(dtype)
