"""Rotary position embedding of the MLA rope dims: plain RoPE or YaRN, interleaved pairs (spec §2.4).

`rope_inv_freq(rope, dim)` gives the per-pair frequencies and the cos/sin multiplier; `RotaryEmbedding` turns
absolute positions into cos/sin tables; `apply_rope_interleaved` rotates pair j = (x[2j], x[2j+1]) by
`pos · inv_freq_j` (GPT-J / `is_neox_style=False` layout, which the checkpoint's `q_b_proj`/`kv_a_proj_with_mqa`
rows assume), keeping the interleaved layout, so a cached rope key is the rotated vector in checkpoint order.

Angles are formed in float64: at K2.5's 262,144-token context an fp32 `pos · inv_freq` is off by up to ~0.02 rad,
while float64 keeps the rotation exact to fp32 resolution for every position. The softmax scale (which also depends
on YaRN) lives on `TextConfig.softmax_scale`. This module holds no learned weights and no state-dict entries.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from model.config import RopeConfig, yarn_get_mscale


def yarn_correction_range(rope: RopeConfig, dim: int) -> tuple[float, float]:
    """`(low, high)` pair indices of the YaRN ramp (K2.5: 8, 20)."""
    def correction_dim(rotations: float) -> float:
        return dim * math.log(rope.original_max_position_embeddings / (rotations * 2 * math.pi)) \
            / (2 * math.log(rope.theta))

    low, high = correction_dim(rope.beta_fast), correction_dim(rope.beta_slow)
    if rope.truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001  # the reference's guard against a zero-width ramp
    return low, high


def rope_inv_freq(rope: RopeConfig, dim: int) -> tuple[torch.Tensor, float]:
    """Per-pair inverse frequencies `[dim/2]` (float64) and the cos/sin multiplier (`attention_factor`)."""
    j = torch.arange(dim // 2, dtype=torch.float64, device="cpu")  # never the meta default device
    theta = rope.theta ** (-2.0 * j / dim)                                   # θ_j = base^(-2j/dim)
    if rope.type == "default":
        return theta, 1.0
    low, high = yarn_correction_range(rope, dim)
    ramp = ((j - low) / (high - low)).clamp(0.0, 1.0)                        # 0: keep θ_j, 1: θ_j / factor
    inv_freq = (1.0 - ramp) * theta + ramp * theta / rope.factor
    if rope.attention_factor is not None:
        attn = rope.attention_factor
    elif rope.mscale and rope.mscale_all_dim:
        attn = yarn_get_mscale(rope.factor, rope.mscale) / yarn_get_mscale(rope.factor, rope.mscale_all_dim)
    else:
        attn = yarn_get_mscale(rope.factor)
    return inv_freq, float(attn)


class RotaryEmbedding(nn.Module):
    """Positions `[B, S]` → `(cos, sin)`, each `[B, S, R/2]` in the requested dtype.

    The frequencies are a plain attribute, not a buffer: a model built on `meta` and filled by the loader with
    `assign=True` would otherwise keep a meta tensor here, and the state dict must not contain them anyway.
    """

    def __init__(self, rope: RopeConfig, dim: int):
        super().__init__()
        self.rope, self.dim = rope, dim
        inv_freq, self.attention_factor = rope_inv_freq(rope, dim)
        self._inv_freq = {torch.device("cpu"): inv_freq}

    def _freq_on(self, device: torch.device) -> torch.Tensor:
        if device not in self._inv_freq:
            if device.type == "mps":  # no float64 there; fp32 angles are the best it can do
                self._inv_freq[device] = self._inv_freq[torch.device("cpu")].float().to(device)
            else:
                self._inv_freq[device] = self._inv_freq[torch.device("cpu")].to(device)
        return self._inv_freq[device]

    def forward(self, positions: torch.Tensor, dtype: torch.dtype = torch.float32):
        inv_freq = self._freq_on(positions.device)
        angles = positions.to(inv_freq.dtype).unsqueeze(-1) * inv_freq      # [B, S, R/2]
        cos = (angles.cos() * self.attention_factor).to(dtype)
        sin = (angles.sin() * self.attention_factor).to(dtype)
        return cos, sin


def apply_rope_interleaved(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate interleaved pairs of the last dim of `x[..., R]` by `cos/sin[..., R/2]` (broadcast over the rest).

    Pair j is `(x[2j], x[2j+1]) → (x0·cos − x1·sin, x1·cos + x0·sin)`; the output keeps the interleaved order.
    """
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = torch.stack((x0 * cos - x1 * sin, x1 * cos + x0 * sin), dim=-1)
    return out.flatten(-2)
