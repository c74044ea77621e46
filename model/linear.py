"""`Int4Linear`: a bias-free linear layer whose weight is stored in compressed-tensors `pack-quantized` form.

Persistent buffers are exactly the checkpoint's tensors (spec §4.2/§4.4): `weight_packed` int32
`[out, ceil(in/8)]`, `weight_scale` bf16 `[out, ceil(in/32)]`, `weight_shape` int32 `[2] = [out, in]`.
The forward pass calls `kernels.int4_linear` (Triton on CUDA, PyTorch reference elsewhere).

Runtime layouts are chosen by whoever loads the weights, through `prepare(mode)`:
- `"packed"` (default): compute from the packed weights every call; smallest memory (0.53 B/param).
- `"dequantized"`: keep a dense copy `weight_dense` (fp32 unless told otherwise, non-persistent) and use a plain
  matmul; 8x the memory of the packed form but no unpacking per call, the fast path on CPUs where memory allows.
- `"repacked"` (Triton backend): the persistent `weight_packed`/`weight_scale` are replaced by K-major copies
  (`kernels.repack_int4`): same logical shape, dtype and values, transposed storage, 1.2-2x faster on the
  tensor-core paths (bench/RESULTS.md). Choice: the buffers themselves change storage order instead of a
  second, non-persistent copy, so memory does not double; `state_dict()` keeps the checkpoint's names, shapes,
  dtypes and values (only strides differ; `model.checkpoint.save_checkpoint` writes contiguous copies).
- `"int4pack"` (CPU, torch backend): torch's own INT4 CPU kernel (`torch._weight_int4pack_mm_for_cpu`) with bf16
  activations, from a one-time conversion kept in non-persistent buffers (~1.25x the packed bytes; the
  checkpoint's tensors stay memory-mapped). 0.35-0.75x the time of dense fp32 at ~1/5 its memory
  (bench/RESULTS.md), at bf16 rounding of the activations. Needs out % 16 == 0 and in % 32 == 0. Through this
  module on the loaded 2-core dev CPU, 2048x7168, one token: 5.8 ms vs 17 ms dense fp32 and 810 ms for the
  packed reference; the one-time conversion costs ~0.3 s per such projection.
This module does not quantize (see `model.int4` / `model.quantize`) and does not decide which mode to use.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import kernels
from kernels.int4_linear import int4_dequantize_ref

MODES = ("packed", "dequantized", "repacked", "int4pack")

GROUP_SIZE = 32
PACK = 8  # int4 values per int32
# 0x88888888 as a signed int32: every nibble is u = 8, i.e. q = 0 (an all-zero weight)
_ZERO_WORD = -0x77777778


class Int4Linear(nn.Module):
    """`y = x @ W.T` with W int4 group-32 symmetric; `in_features`/`out_features` as in `nn.Linear`."""

    def __init__(self, in_features: int, out_features: int, group_size: int = GROUP_SIZE,
                 device=None, dtype=None):
        super().__init__()
        if group_size != GROUP_SIZE:
            raise ValueError(f"Int4Linear supports group_size {GROUP_SIZE} (the K2.5 layout), got {group_size}")
        self.in_features, self.out_features, self.group_size = in_features, out_features, group_size
        # `dtype` is accepted for signature parity with nn.Linear; the stored layout has fixed dtypes
        del dtype
        self.register_buffer("weight_packed", torch.empty(out_features, math.ceil(in_features / PACK),
                                                          dtype=torch.int32, device=device))
        self.register_buffer("weight_scale", torch.empty(out_features, math.ceil(in_features / group_size),
                                                         dtype=torch.bfloat16, device=device))
        self.register_buffer("weight_shape", torch.empty(2, dtype=torch.int32, device=device))
        self.register_buffer("weight_dense", None, persistent=False)
        self.register_buffer("weight_int4pack", None, persistent=False)     # [out, in/2] uint8 (int4pack mode)
        self.register_buffer("int4pack_scales", None, persistent=False)     # [in/32, out, 2] bf16: scale, zero
        self.mode = "packed"
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Random int4 weights of roughly `nn.Linear` magnitude (a no-op on `meta`)."""
        if self.weight_packed.is_meta:  # checked before entering no_grad: the full model has 69,120 of these
            return
        with torch.no_grad():
            self._randomize()

    def _randomize(self) -> None:
        self.weight_shape.copy_(torch.tensor([self.out_features, self.in_features], dtype=torch.int32))
        nib = torch.randint(0, 16, (self.out_features, self.weight_packed.shape[1] * PACK),
                            device=self.weight_packed.device, dtype=torch.int64)
        nib[:, self.in_features:] = 8                                  # zero padding beyond `in`
        shifts = torch.arange(0, 32, 4, device=nib.device, dtype=torch.int64)
        words = (nib.view(self.out_features, -1, PACK) << shifts).sum(-1)   # [out, in/8] in 0..2^32-1
        self.weight_packed.copy_(torch.where(words >= 2**31, words - 2**32, words).to(torch.int32))
        # uniform q in [-8, 7] has std ≈ 4.6; match nn.Linear's ~1/sqrt(3·in) weight std
        self.weight_scale.fill_(1.0 / (4.6 * math.sqrt(3 * self.in_features)))
        self.weight_dense = self.weight_int4pack = self.int4pack_scales = None
        self.mode = "packed"

    def dequantized_weight(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Dense `W[out, in]` of `dtype` (the dense copy when prepared, else unpacked now)."""
        if self.weight_dense is not None:
            return self.weight_dense.to(dtype)
        return int4_dequantize_ref(self.weight_packed, self.weight_scale,
                                   (self.out_features, self.in_features), dtype)

    def int4pack_supported(self) -> bool:
        """Whether torch's CPU INT4 kernel takes this shape (it needs out % 16 == 0 and in % 32 == 0)."""
        return (self.out_features % 16 == 0 and self.in_features % GROUP_SIZE == 0
                and hasattr(torch, "_weight_int4pack_mm_for_cpu"))

    @torch.no_grad()
    def prepare(self, mode: str = "packed", dtype: torch.dtype = torch.float32) -> None:
        """Choose the runtime layout (module docstring): `"packed"`, `"dequantized"` (`dtype` is the dense
        copy's), `"repacked"` or `"int4pack"`. Any previous runtime copy is dropped first."""
        if mode not in MODES:
            raise ValueError(f"Int4Linear.prepare: mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.weight_dense = self.weight_int4pack = self.int4pack_scales = None
        if mode == "dequantized":
            self.weight_dense = self.dequantized_weight(dtype)
        elif mode == "repacked":
            self.weight_packed, self.weight_scale = kernels.repack_int4(self.weight_packed, self.weight_scale)
        elif mode == "int4pack":
            if self.weight_packed.device.type != "cpu" or not self.int4pack_supported():
                raise ValueError(f"Int4Linear.prepare('int4pack'): needs a CPU weight with out % 16 == 0 and "
                                 f"in % 32 == 0, got [{self.out_features}, {self.in_features}] on "
                                 f"{self.weight_packed.device}")
            self.weight_int4pack, self.int4pack_scales = int4pack_convert(self.weight_packed, self.weight_scale,
                                                                          self.in_features)
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.weight_dense is not None:
            return F.linear(x.to(self.weight_dense.dtype), self.weight_dense).to(x.dtype)
        if self.weight_int4pack is not None and x.device.type == "cpu":
            x2 = x.reshape(-1, self.in_features).to(torch.bfloat16)
            y = torch._weight_int4pack_mm_for_cpu(x2, self.weight_int4pack, GROUP_SIZE, self.int4pack_scales)
            return y.to(x.dtype).reshape(*x.shape[:-1], self.out_features)
        return kernels.int4_linear(x, self.weight_packed, self.weight_scale, self.weight_shape)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, group_size=32, mode={self.mode}"


def int4pack_convert(weight_packed: torch.Tensor, weight_scale: torch.Tensor,
                     in_features: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The checkpoint layout -> torch's CPU INT4 layout: weights `[out, in/2]` uint8 (nibbles u = q + 8, as
    stored; the kernel subtracts 8) and `[in/32, out, 2]` bf16 (scale, zero = 0)."""
    shifts = torch.arange(0, 32, 4, dtype=torch.int32)
    u = ((weight_packed.unsqueeze(-1) >> shifts) & 0xF).reshape(weight_packed.shape[0], -1)[:, :in_features]
    wp = torch._convert_weight_to_int4pack_for_cpu(u.to(torch.int32).contiguous(), 1)
    scale = weight_scale.to(torch.float32).t()                               # [in/32, out]
    sz = torch.stack((scale, torch.zeros_like(scale)), dim=-1).to(torch.bfloat16).contiguous()
    return wp, sz


def make_linear(config, name: str, in_features: int, out_features: int, dtype=None) -> nn.Module:
    """The projection `name` (relative to the text model) as the checkpoint stores it: `Int4Linear` when the
    config's quantization covers it, else a bias-free `nn.Linear` of `dtype`."""
    if config.is_quantized(name):
        return Int4Linear(in_features, out_features)
    return nn.Linear(in_features, out_features, bias=False, dtype=dtype)


def dense_weight(linear: nn.Module, dtype: torch.dtype) -> torch.Tensor:
    """`W[out, in]` of an `nn.Linear` or `Int4Linear` as a dense tensor of `dtype` (no copy when it already is)."""
    if isinstance(linear, Int4Linear):
        return linear.dequantized_weight(dtype)
    return linear.weight.to(dtype)
