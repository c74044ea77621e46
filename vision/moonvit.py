"""MoonViT-3D, the K2.5 vision encoder: patches of several media items → one hidden vector per patch.

What it computes (spec §3.3), for packed items `grid_thws[n] = (t, h, w)`:
  patch embed (Conv2d 14×14 = a linear map of the flattened patch)
  + learnable 64×64 position grid, resampled bicubically to (h, w) per item (identity at 64×64)
  + for t > 1 only, a fixed sin-cos time embedding of the frame index (0..t−1), computed, not stored
  → 27 pre-LN blocks: h += wo(Attn(norm0 h)); h += fc1(gelu_tanh(fc0(norm1 h)))
    attention bidirectional and block-diagonal per item (all frames of a chunk attend jointly, items
    never see each other), 2-D RoPE on the 72-dim heads (pair 2k by column·f_k, pair 2k+1 by row·f_k)
  → final LayerNorm.
Parameter names are the checkpoint's (`patch_embed.proj`, `patch_embed.pos_emb.weight`,
`encoder.blocks.k.{norm0,norm1,wqkv,wo,mlp.fc0,mlp.fc1}`, `encoder.final_layernorm`), so a strict
`load_state_dict` of the `vision_tower.*` tensors works.

What it does not do: the 2×2 merge, temporal pooling and projection into the decoder's width
(`vision/projector.py`), preprocessing (`vision/preprocess.py`). CPU speed comes from running every matmul
on all packed patches at once and calling SDPA once per item (no block-diagonal mask is materialised); on a
GPU all items go through one padded SDPA call with the padding keys masked (`Varlen`).

Legend: N = patches of all items, D = hidden (1152), H = heads (16), Dh = head dim (72), L = patches of one item.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class MoonViTConfig:
    """The encoder/projector dimensions. Built from the checkpoint's `vision_config` by `from_vision_config`."""

    patch_size: int = 14
    hidden_size: int = 1152
    num_layers: int = 27
    num_heads: int = 16
    intermediate_size: int = 4304
    pos_emb_height: int = 64
    pos_emb_width: int = 64
    pos_emb_time: int = 4
    merge_kernel: tuple[int, int] = (2, 2)
    text_hidden_size: int = 7168
    projector_ln_eps: float = 1e-5
    rope_theta: float = 10000.0
    ln_eps: float = 1e-5

    def __post_init__(self):
        if self.hidden_size % self.num_heads:
            raise ValueError(f"vt_hidden_size {self.hidden_size} not divisible by heads {self.num_heads}")
        if (self.hidden_size // self.num_heads) % 4:
            raise ValueError(f"head dim {self.hidden_size // self.num_heads} must be a multiple of 4 for 2-D RoPE")
        if self.hidden_size % 2:
            raise ValueError("vt_hidden_size must be even for the sin-cos time embedding")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads

    @classmethod
    def from_vision_config(cls, vc: Any, text_hidden_size: int | None = None) -> "MoonViTConfig":
        """From `model.config.VisionConfig`, or a plain `vision_config` dict, using the checkpoint's key names."""
        def get(key, default=None):
            if isinstance(vc, Mapping):
                return vc.get(key, default)
            return getattr(vc, key, default)

        def first(*keys, default=None):
            for k in keys:
                v = get(k)
                if v is not None:
                    return v
            return default

        merge = first("merge_kernel_size", "merge_kernel", default=(2, 2))
        return cls(
            patch_size=int(first("patch_size", default=14)),
            hidden_size=int(first("vt_hidden_size", "hidden_size", default=1152)),
            num_layers=int(first("vt_num_hidden_layers", "num_hidden_layers", "num_layers", default=27)),
            num_heads=int(first("vt_num_attention_heads", "num_attention_heads", "num_heads", default=16)),
            intermediate_size=int(first("vt_intermediate_size", "intermediate_size", default=4304)),
            pos_emb_height=int(first("init_pos_emb_height", "pos_emb_height", default=64)),
            pos_emb_width=int(first("init_pos_emb_width", "pos_emb_width", default=64)),
            pos_emb_time=int(first("init_pos_emb_time", "pos_emb_time", default=4)),
            merge_kernel=tuple(int(m) for m in merge),
            text_hidden_size=int(text_hidden_size if text_hidden_size is not None
                                 else first("text_hidden_size", default=7168)),
            projector_ln_eps=float(first("projector_ln_eps", default=1e-5)),
        )


def _grid_list(grid_thws: torch.Tensor) -> list[tuple[int, int, int]]:
    return [(int(t), int(h), int(w)) for t, h, w in grid_thws.tolist()]


# --------------------------------------------------------------------------------------------------
# embeddings

def sincos_time_table(num_frames: int, dim: int) -> torch.Tensor:
    """[num_frames, dim] fp32: row m = [sin(m·ω_d) for d] ++ [cos(m·ω_d)], ω_d = 10000^(−2d/dim), d < dim/2."""
    omega = 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) * 2.0 / dim)
    ang = torch.arange(num_frames, dtype=torch.float64)[:, None] * omega[None]
    return torch.cat([ang.sin(), ang.cos()], dim=1).float()


_BICUBIC: dict[tuple[int, int, str], torch.Tensor] = {}


def bicubic_matrix(n_out: int, n_in: int, device) -> torch.Tensor:
    """fp32 `[n_out, n_in]`: row y holds the weights 1-D bicubic resampling (align_corners=False, A=−0.75,
    clamped borders: `F.interpolate`'s rule) gives the input samples for output y. Cached per size and device."""
    key = (n_out, n_in, str(device))
    if key not in _BICUBIC:
        with torch.inference_mode(False):     # cached: must stay usable by autograd after an inference call
            _BICUBIC[key] = _bicubic_matrix(n_out, n_in, device)
    return _BICUBIC[key]


def _bicubic_matrix(n_out: int, n_in: int, device) -> torch.Tensor:
    eye = torch.eye(n_in, dtype=torch.float64).view(n_in, 1, n_in, 1)        # each input sample as an image
    cols = F.interpolate(eye, size=(n_out, 1), mode="bicubic", align_corners=False)   # [n_in, 1, n_out, 1]
    return cols.view(n_in, n_out).t().float().to(device)


class PosEmbDividedFixed(nn.Module):
    """Learnable spatial grid `weight [H0, W0, D]` resized per item + fixed temporal sin-cos (computed)."""

    def __init__(self, cfg: MoonViTConfig):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cfg.pos_emb_height, cfg.pos_emb_width, cfg.hidden_size))
        if not self.weight.is_meta:  # every other parameter gets torch's default init; never leave garbage
            nn.init.normal_(self.weight, std=0.02)
        # The time table is not in the checkpoint (spec §3.3) and is tiny (t ≤ 4 rows), so it is computed
        # when used rather than kept as a buffer that a meta-device build would leave unmaterialised.
        self.num_frames = cfg.pos_emb_time

    def spatial(self, h: int, w: int) -> torch.Tensor:
        """[h·w, D] row-major; bicubic (align_corners=False) resample of the grid, identity at its own size.

        Bicubic resampling is separable — each output is Σ_ij a_h[y,i]·a_w[x,j]·grid[i,j] — so it is computed
        as two small matmuls with the 1-D weight matrices (`bicubic_matrix`), the same values as
        `F.interpolate(mode="bicubic")` up to summation order, at a fraction of its GPU time (that kernel,
        forward and backward, was 40 % of a mini-model training step)."""
        if (h, w) == tuple(self.weight.shape[:2]):
            return self.weight.reshape(h * w, -1)
        a_h = bicubic_matrix(h, self.weight.shape[0], self.weight.device)      # [h, H0]
        a_w = bicubic_matrix(w, self.weight.shape[1], self.weight.device)      # [w, W0]
        grid = self.weight.float()
        out = torch.einsum("yi,ijd->yjd", a_h, grid)                            # [h, W0, D]
        out = torch.einsum("xj,yjd->yxd", a_w, out)                             # [h, w, D]
        return out.reshape(h * w, -1).to(self.weight.dtype)

    def forward(self, x: torch.Tensor, grids: list[tuple[int, int, int]]) -> torch.Tensor:
        """x [N, D] → x + position embedding of every patch."""
        parts = []
        for t, h, w in grids:
            pos = self.spatial(h, w)                                        # [h·w, D]
            if t == 1:
                parts.append(pos)   # images get no time term
            else:
                if t > self.num_frames:
                    raise ValueError(f"chunk of {t} frames exceeds init_pos_emb_time {self.num_frames}")
                tw = sincos_time_table(t, pos.shape[-1]).to(device=pos.device, dtype=pos.dtype)   # [t, D]
                parts.append((pos[None] + tw[:, None]).reshape(t * h * w, -1))
        return x + torch.cat(parts, dim=0).to(x.dtype)


class PatchEmbed(nn.Module):
    """`proj` = Conv2d(3 → D, 14, stride 14) on each [3, 14, 14] patch, then `pos_emb`."""

    def __init__(self, cfg: MoonViTConfig):
        super().__init__()
        p = cfg.patch_size
        self.proj = nn.Conv2d(3, cfg.hidden_size, kernel_size=p, stride=p, bias=True)
        self.pos_emb = PosEmbDividedFixed(cfg)

    def forward(self, pixel_values: torch.Tensor, grids: list[tuple[int, int, int]]) -> torch.Tensor:
        """pixel_values [N, 3, p, p] → [N, D]. A 14×14 conv with stride 14 on a 14×14 input is exactly
        a linear map of the flattened patch; F.linear is one GEMM instead of N tiny convolutions."""
        x = F.linear(pixel_values.flatten(1).to(self.proj.weight.dtype),
                     self.proj.weight.flatten(1), self.proj.bias)
        return self.pos_emb(x, grids)


# --------------------------------------------------------------------------------------------------
# 2-D rotary embedding

def rope_2d_angles(h: int, w: int, head_dim: int, theta: float = 10000.0) -> torch.Tensor:
    """[h·w, head_dim/2] fp32 rotation angles, patches row-major.

    Frequencies f_k = theta^(−4k/head_dim), k < head_dim/4. Complex pair 2k turns by col·f_k and
    pair 2k+1 by row·f_k (x first, then y, as the reference code builds it).
    """
    n_freq = head_dim // 4
    f = 1.0 / theta ** (torch.arange(n_freq, dtype=torch.float32) * 4.0 / head_dim)   # [F]
    rows = torch.arange(h, dtype=torch.float32).repeat_interleave(w)                  # [h·w]
    cols = torch.arange(w, dtype=torch.float32).repeat(h)
    ang = torch.stack([cols[:, None] * f, rows[:, None] * f], dim=-1)                   # [h·w, F, 2]
    return ang.reshape(h * w, 2 * n_freq)


def rope_rotations(angles: torch.Tensor) -> torch.Tensor:
    """Angles [L, Dh/2] → unit complex rotations e^{i·angle} [L, Dh/2] (complex64)."""
    return torch.polar(torch.ones_like(angles), angles)


def apply_rope_interleaved(x: torch.Tensor, rot: torch.Tensor) -> torch.Tensor:
    """x [..., L, H, Dh] with pairs (x[2i], x[2i+1]) as complex numbers; rot [L, Dh/2] complex.

    One complex multiply per pair (x0 + i·x1)·e^{iθ} = (x0 cosθ − x1 sinθ) + i(x0 sinθ + x1 cosθ), in fp32:
    a single elementwise kernel instead of the six of the real-valued form.
    """
    xc = torch.view_as_complex(x.float().unflatten(-1, (-1, 2)).contiguous())  # [..., L, H, Dh/2]
    return torch.view_as_real(xc * rot[:, None, :]).flatten(-2).to(x.dtype)


# --------------------------------------------------------------------------------------------------
# blocks

class MLP(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc0 = nn.Linear(dim, hidden)
        self.fc1 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc1(F.gelu(self.fc0(x), approximate="tanh"))


class Varlen:
    """The items' patch counts, and (built once per forward, on first use) the padded layout that runs
    all items' attention as one SDPA call: rows scattered into `[n, L_max]`, padding keys masked out.
    Many small per-item calls each copy their strided q/k/v; on a GPU those copies and launches, not the
    arithmetic, set the time."""

    def __init__(self, lengths: list[int]):
        self.lengths = lengths
        self._pad = None

    def _layout(self, device) -> tuple[torch.Tensor, torch.Tensor]:
        if self._pad is None:
            n, longest = len(self.lengths), max(self.lengths)
            lens = torch.tensor(self.lengths)
            valid = torch.arange(longest)[None] < lens[:, None]                # [n, L_max]
            rows = valid.flatten().nonzero().squeeze(1)                        # padded slot of each patch
            self._pad = (rows.to(device), valid.view(n, 1, 1, longest).to(device))
        return self._pad

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """q, k, v [N, H, Dh] → [N, H·Dh], each item attending to its own patches only."""
        rows, mask = self._layout(q.device)
        n, longest = mask.shape[0], mask.shape[-1]
        hd = q.shape[1:]

        def padded(t):
            out = t.new_zeros(n * longest, *hd).index_copy(0, rows, t)
            return out.view(n, longest, *hd).transpose(1, 2)                  # [n, H, L_max, Dh]

        o = F.scaled_dot_product_attention(padded(q), padded(k), padded(v), attn_mask=mask)
        return o.transpose(1, 2).reshape(n * longest, -1)[rows]


class EncoderBlock(nn.Module):
    """Pre-LN block with fused `wqkv` ([q | k | v], head-major inside each) and output `wo`."""

    def __init__(self, cfg: MoonViTConfig):
        super().__init__()
        d = cfg.hidden_size
        self.num_heads, self.head_dim = cfg.num_heads, cfg.head_dim
        self.norm0 = nn.LayerNorm(d, eps=cfg.ln_eps)
        self.norm1 = nn.LayerNorm(d, eps=cfg.ln_eps)
        self.wqkv = nn.Linear(d, 3 * d)
        self.wo = nn.Linear(d, d)
        self.mlp = MLP(d, cfg.intermediate_size)

    def attention(self, x: torch.Tensor, rot: torch.Tensor, lengths) -> torch.Tensor:
        """x [N, D]; rot [N, Dh/2] complex RoPE rotations; lengths: patches per item (sum N), a list or a
        `Varlen`. Block-diagonal attention: per item on CPU, all items in one padded call elsewhere."""
        n = x.shape[0]
        qkv = self.wqkv(x).view(n, 3, self.num_heads, self.head_dim)         # [N, 3, H, Dh]
        q = apply_rope_interleaved(qkv[:, 0], rot)                             # [N, H, Dh]
        k = apply_rope_interleaved(qkv[:, 1], rot)
        v = qkv[:, 2]
        layout = lengths if isinstance(lengths, Varlen) else Varlen(list(lengths))
        if len(layout.lengths) > 1 and x.device.type != "cpu":
            return self.wo(layout.attend(q, k, v))
        outs, start = [], 0
        for length in layout.lengths:
            sl = slice(start, start + length)
            # [1, H, L, Dh]; scale defaults to Dh^-0.5
            o = F.scaled_dot_product_attention(q[sl].transpose(0, 1)[None], k[sl].transpose(0, 1)[None],
                                               v[sl].transpose(0, 1)[None])
            outs.append(o[0].transpose(0, 1).reshape(length, -1))
            start += length
        return self.wo(torch.cat(outs, dim=0) if len(outs) > 1 else outs[0])

    def forward(self, x, rot, lengths):
        x = x + self.attention(self.norm0(x), rot, lengths)
        return x + self.mlp(self.norm1(x))


class Encoder(nn.Module):
    def __init__(self, cfg: MoonViTConfig):
        super().__init__()
        self.blocks = nn.ModuleList(EncoderBlock(cfg) for _ in range(cfg.num_layers))
        self.final_layernorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.ln_eps)


class MoonViT(nn.Module):
    """The `vision_tower` module: `forward(pixel_values[N,3,14,14], grid_thws[n,3]) → [N, D]`."""

    def __init__(self, cfg: MoonViTConfig):
        super().__init__()
        self.cfg = cfg
        self.patch_embed = PatchEmbed(cfg)
        self.encoder = Encoder(cfg)

    def rope_table(self, grids: list[tuple[int, int, int]], device) -> torch.Tensor:
        """Complex rotations [N, Dh/2]: each item's own (row, col) grid, repeated for every frame
        (no temporal RoPE)."""
        angs = [rope_2d_angles(h, w, self.cfg.head_dim, self.cfg.rope_theta).repeat(t, 1) for t, h, w in grids]
        return rope_rotations(torch.cat(angs, dim=0).to(device))

    def forward(self, pixel_values: torch.Tensor, grid_thws: torch.Tensor) -> torch.Tensor:
        grids = _grid_list(grid_thws)
        lengths = [t * h * w for t, h, w in grids]
        if sum(lengths) != pixel_values.shape[0]:
            raise ValueError(f"grid_thws {grids} describe {sum(lengths)} patches but pixel_values has "
                             f"{pixel_values.shape[0]}")
        x = self.patch_embed(pixel_values, grids)                              # [N, D]
        rot = self.rope_table(grids, x.device)
        layout = Varlen(lengths)
        for block in self.encoder.blocks:
            x = block(x, rot, layout)
        return self.encoder.final_layernorm(x)


def init_moonvit_weights(module: nn.Module, std: float = 0.02, generator: torch.Generator | None = None) -> None:
    """Random weights for tests and benchmarks: normal(0, std) matrices and grid, zero biases, unit norms."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.device.type == "meta":
                continue
            owner = name.rsplit(".", 2)[-2] if name.count(".") else ""
            if name.endswith("bias"):
                p.zero_()
            elif "norm" in owner:          # LayerNorm weights
                p.fill_(1.0)
            else:
                p.normal_(0.0, std, generator=generator)


def count_flops(grids: list[tuple[int, int, int]], cfg: MoonViTConfig) -> float:
    """Multiply-add FLOPs (2 per MAC) of one encoder pass: GEMMs, attention scores and values, and the
    position grid's two resampling matmuls per item."""
    d, i, p = cfg.hidden_size, cfg.intermediate_size, cfg.patch_size
    n = sum(t * h * w for t, h, w in grids)
    patch_embed = 2 * (3 * p * p) * d                                        # per patch, once
    blocks = 2 * cfg.num_layers * (3 * d * d + d * d + 2 * d * i)            # wqkv, wo, fc0, fc1 per patch
    attn = 4 * d * cfg.num_layers * sum((t * h * w) ** 2 for t, h, w in grids)  # QKᵀ and PV per item
    h0, w0 = cfg.pos_emb_height, cfg.pos_emb_width
    pos = sum(2 * d * w0 * (h * h0 + h * w) for _, h, w in grids if (h, w) != (h0, w0))  # separable resample
    return float(n * (patch_embed + blocks) + attn + pos)


__all__ = ["MoonViTConfig", "MoonViT", "rope_2d_angles", "rope_rotations", "apply_rope_interleaved",
           "sincos_time_table", "init_moonvit_weights", "count_flops"]
