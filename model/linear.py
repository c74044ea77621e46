"""`Int4Linear`: a bias-free linear layer whose weight is stored in compressed-tensors `pack-quantized` form.

Persistent buffers are exactly the checkpoint's tensors (spec §4.2/§4.4): `weight_packed` int32
`[out, ceil(in/8)]`, `weight_scale` bf16 `[out, ceil(in/32)]`, `weight_shape` int32 `[2] = [out, in]`.
The forward pass calls `kernels.int4_linear` (Triton on CUDA, PyTorch reference elsewhere).

Runtime layouts are non-persistent and chosen by whoever loads the weights, through `prepare(mode)`:
- `"packed"` (default): compute from the packed weights every call; smallest memory (0.53 B/param).
- `"dequantized"`: keep a dense copy `weight_dense` (fp32 unless told otherwise) and use a plain matmul; 8x the
  memory of the packed form but no unpacking per call, the fast path on CPUs where memory allows.
This module does not quantize (see `model.int4` / `model.quantize`) and does not decide when to dequantize.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import kernels
from kernels.int4_linear import int4_dequantize_ref

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
        self.weight_dense = None

    def dequantized_weight(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Dense `W[out, in]` of `dtype` (the dense copy when prepared, else unpacked now)."""
        if self.weight_dense is not None:
            return self.weight_dense.to(dtype)
        return int4_dequantize_ref(self.weight_packed, self.weight_scale,
                                   (self.out_features, self.in_features), dtype)

    @torch.no_grad()
    def prepare(self, mode: str = "packed", dtype: torch.dtype = torch.float32) -> None:
        """Choose the runtime layout: `"packed"` (drop any dense copy) or `"dequantized"` (build one)."""
        if mode == "packed":
            self.weight_dense = None
        elif mode == "dequantized":
            self.weight_dense = None
            self.weight_dense = self.dequantized_weight(dtype)
        else:
            raise ValueError(f"Int4Linear.prepare: mode must be 'packed' or 'dequantized', got {mode!r}")
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.weight_dense is not None:
            return F.linear(x.to(self.weight_dense.dtype), self.weight_dense).to(x.dtype)
        return kernels.int4_linear(x, self.weight_packed, self.weight_scale, self.weight_shape)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, group_size=32, mode={self.mode}"


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
