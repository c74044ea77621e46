"""Feed-forward blocks of the decoder: the SwiGLU MLP and the K2/DeepSeek-V3 mixture of experts (spec §2.6).

- `SwiGLU`: `down(silu(gate(x)) · up(x))` with checkpoint names `gate_proj/up_proj/down_proj`; used for the dense
  layers, the shared expert and every routed expert (each projection `Int4Linear` when the config's quantization
  covers it: the routed experts of K2.5).
- `MoEGate`: fp32 router. Scores are `sigmoid` (or `softmax`) of `W_gate x`; `e_score_correction_bias` shifts the
  scores for expert *selection* only (`noaux_tc`); group-limited selection keeps the `topk_group` best of `n_group`
  groups (a group scores the sum of its top-2 biased scores, as DeepSeek-V3) before the top-k; the chosen experts'
  un-biased scores are renormalised (`norm_topk_prob`) and multiplied by `routed_scaling_factor`.
- `MoE`: routed experts + shared expert. The CPU path sorts the (token, slot) pairs by expert once and runs each
  expert that received tokens on its rows, accumulating with `index_add_` — no work for idle experts.

Shapes: T tokens (B·S flattened), H hidden, E routed experts, K experts per token, I expert width.
Fused GPU MoE kernels (`kernels.fused_moe`) are wired in elsewhere; this module is the reference path.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.config import TextConfig
from model.linear import make_linear


class SwiGLU(nn.Module):
    """`down_proj(silu(gate_proj(x)) * up_proj(x))`; `name` is the module path used for the quantization lookup."""

    def __init__(self, config: TextConfig, name: str, hidden: int, intermediate: int, dtype=None):
        super().__init__()
        self.gate_proj = make_linear(config, name + ".gate_proj", hidden, intermediate, dtype)
        self.up_proj = make_linear(config, name + ".up_proj", hidden, intermediate, dtype)
        self.down_proj = make_linear(config, name + ".down_proj", intermediate, hidden, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class MoEGate(nn.Module):
    """Router: `weight [E, H]` (checkpoint dtype) and `e_score_correction_bias [E]` (always fp32)."""

    def __init__(self, config: TextConfig, dtype=None):
        super().__init__()
        cfg = config
        self.top_k, self.n_experts = cfg.num_experts_per_tok, cfg.n_routed_experts
        self.n_group, self.topk_group = cfg.n_group, cfg.topk_group
        self.scoring_func, self.topk_method = cfg.scoring_func, cfg.topk_method
        self.norm_topk_prob, self.scaling = cfg.norm_topk_prob, cfg.routed_scaling_factor
        self.weight = nn.Parameter(torch.empty(cfg.n_routed_experts, cfg.hidden_size, dtype=dtype))
        if cfg.topk_method == "noaux_tc":
            # fp32 in the checkpoint; kept fp32 whatever dtype the rest of the model uses
            self.e_score_correction_bias = nn.Parameter(torch.zeros(cfg.n_routed_experts, dtype=torch.float32),
                                                        requires_grad=False)
        else:
            self.e_score_correction_bias = None
        if not self.weight.is_meta:
            nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x `[T, H]` → (expert ids `[T, K]` int64, weights `[T, K]` fp32)."""
        logits = F.linear(x.float(), self.weight.float())                    # [T, E], fp32 as the reference
        scores = logits.sigmoid() if self.scoring_func == "sigmoid" else logits.softmax(dim=-1)
        choice = scores
        if self.e_score_correction_bias is not None:
            choice = scores + self.e_score_correction_bias.float()
        if self.n_group > 1 and self.topk_method in ("noaux_tc", "group_limited_greedy"):
            t = x.shape[0]
            grouped = choice.view(t, self.n_group, -1)                       # [T, G, E/G]
            if self.topk_method == "noaux_tc":
                group_scores = grouped.topk(min(2, grouped.shape[-1]), dim=-1).values.sum(-1)   # [T, G]
            else:
                group_scores = grouped.max(dim=-1).values
            keep = group_scores.topk(self.topk_group, dim=-1).indices        # [T, topk_group]
            group_mask = torch.zeros_like(group_scores, dtype=torch.bool).scatter_(1, keep, True)
            choice = grouped.masked_fill(~group_mask.unsqueeze(-1), float("-inf")).view(t, -1)
        idx = choice.topk(self.top_k, dim=-1).indices                        # [T, K]
        weights = scores.gather(1, idx)                                      # un-biased scores
        if self.norm_topk_prob:
            weights = weights / (weights.sum(dim=-1, keepdim=True) + 1e-20)
        return idx, weights * self.scaling


class MoE(nn.Module):
    """`gate`, `experts` (`nn.ModuleList` of `SwiGLU`), `shared_experts` (a `SwiGLU` of width I·n_shared)."""

    def __init__(self, config: TextConfig, layer_idx: int, dtype=None):
        super().__init__()
        cfg = config
        name = f"model.layers.{layer_idx}.mlp"
        self.gate = MoEGate(cfg, dtype)
        self.experts = nn.ModuleList(
            SwiGLU(cfg, f"{name}.experts.{e}", cfg.hidden_size, cfg.moe_intermediate_size, dtype)
            for e in range(cfg.n_routed_experts))
        self.shared_experts = None
        if cfg.n_shared_experts:
            self.shared_experts = SwiGLU(cfg, f"{name}.shared_experts", cfg.hidden_size,
                                         cfg.moe_intermediate_size * cfg.n_shared_experts, dtype)

    def routed(self, x: torch.Tensor, idx: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Σ_k weights[t,k] · expert_{idx[t,k]}(x[t]) for x `[T, H]`, idx/weights `[T, K]` → `[T, H]`."""
        t, k = idx.shape
        flat = idx.reshape(-1)                                               # [T·K] expert of each pair
        order = flat.argsort(stable=True)
        counts = torch.bincount(flat, minlength=len(self.experts)).tolist()  # one host sync per layer
        token_of = order // k                                                # [T·K] token of each sorted pair
        w_sorted = weights.reshape(-1)[order]
        out = torch.zeros_like(x)
        begin = 0
        for e, n in enumerate(counts):
            if n == 0:
                continue
            rows = token_of[begin:begin + n]
            y = self.experts[e](x[rows]) * w_sorted[begin:begin + n, None].to(x.dtype)
            out.index_add_(0, rows, y)
            begin += n
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x `[B, S, H]` → `[B, S, H]`."""
        shape = x.shape
        flat = x.reshape(-1, shape[-1])
        idx, weights = self.gate(flat)
        out = self.routed(flat, idx, weights)
        if self.shared_experts is not None:
            out = out + self.shared_experts(flat)
        return out.view(shape)
