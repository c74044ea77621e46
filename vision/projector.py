"""From encoder patches to decoder embeddings: the "sd2_tpool" merger and the "patchmerger" projector.

`tpool_patch_merger` (spec §3.4) takes each item's encoder output `[t·h·w, D]`, averages the t frames
(temporal pooling) and groups every 2×2 block of neighbouring patches into one token `[(h/2)(w/2), 4, D]`,
sub-patches in order (0,0), (0,1), (1,0), (1,1), tokens row-major. A 4-frame video chunk therefore costs
the decoder as many tokens as one frame.

`PatchMergerProjector` (checkpoint names `mm_projector.pre_norm`, `mm_projector.proj.0`,
`mm_projector.proj.2`): LayerNorm(D) on each of the 4 sub-vectors → flatten to 4·D → Linear 4D→4D → exact
(erf) GELU → Linear 4D→text hidden. One output row per `<|media_pad|>` position.

Not here: the encoder (`vision/moonvit.py`), splicing rows into the decoder sequence (`model/multimodal.py`).

Legend: N = patches of all items, D = vision hidden, M = merged tokens of all items, K = kh·kw (4).
"""
from __future__ import annotations

import torch
from torch import nn

from vision.moonvit import MoonViTConfig


def tpool_patch_merger(x: torch.Tensor, grid_thws: torch.Tensor,
                       merge_kernel: tuple[int, int] = (2, 2)) -> torch.Tensor:
    """x [N, D] (items packed in order) → [M, K, D], M = Σ (h/kh)·(w/kw)."""
    kh, kw = merge_kernel
    d = x.shape[-1]
    outs, start = [], 0
    for t, h, w in grid_thws.tolist():
        t, h, w = int(t), int(h), int(w)
        if h % kh or w % kw:
            raise ValueError(f"grid {h}x{w} is not divisible by the merge kernel {kh}x{kw}")
        seq = x[start:start + t * h * w].view(t, h // kh, kh, w // kw, kw, d)
        seq = seq.permute(0, 1, 3, 2, 4, 5).mean(dim=0)                 # [h/kh, w/kw, kh, kw, D]
        outs.append(seq.reshape((h // kh) * (w // kw), kh * kw, d))
        start += t * h * w
    if start != x.shape[0]:
        raise ValueError(f"grid_thws cover {start} patches but the encoder output has {x.shape[0]}")
    return torch.cat(outs, dim=0)


def merged_token_counts(grid_thws: torch.Tensor, merge_kernel: tuple[int, int] = (2, 2)) -> list[int]:
    """Decoder tokens per item: (h/kh)·(w/kw), whatever t is."""
    kh, kw = merge_kernel
    return [int(h) // kh * (int(w) // kw) for _, h, w in grid_thws.tolist()]


class PatchMergerProjector(nn.Module):
    """`mm_projector`: [M, K, D] → [M, text_hidden]."""

    def __init__(self, cfg: MoonViTConfig):
        super().__init__()
        d = cfg.hidden_size
        k = cfg.merge_kernel[0] * cfg.merge_kernel[1]
        self.pre_norm = nn.LayerNorm(d, eps=cfg.projector_ln_eps)
        self.proj = nn.Sequential(nn.Linear(k * d, k * d), nn.GELU(), nn.Linear(k * d, cfg.text_hidden_size))

    def forward(self, merged: torch.Tensor) -> torch.Tensor:
        return self.proj(self.pre_norm(merged).flatten(1))
