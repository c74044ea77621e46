"""Feed-forward blocks of the decoder: the SwiGLU MLP and the K2/DeepSeek-V3 mixture of experts (spec §2.6).

- `SwiGLU`: `down(silu(gate(x)) · up(x))` with checkpoint names `gate_proj/up_proj/down_proj`; used for the dense
  layers, the shared expert and every routed expert (each projection `Int4Linear` when the config's quantization
  covers it: the routed experts of K2.5).
- `MoEGate`: fp32 router. Scores are `sigmoid` (or `softmax`) of `W_gate x`; `e_score_correction_bias` shifts the
  scores for expert *selection* only (`noaux_tc`); group-limited selection keeps the `topk_group` best of `n_group`
  groups (a group scores the sum of its top-2 biased scores, as DeepSeek-V3) before the top-k; the chosen experts'
  un-biased scores are renormalised (`norm_topk_prob`) and multiplied by `routed_scaling_factor`.
- `MoE`: routed experts + shared expert. The reference path (`routed`, the CPU path) sorts the (token, slot) pairs
  by expert once and runs each expert that received tokens on its rows, accumulating with `index_add_` — no work
  for idle experts. The fused path (Triton backend, after `prepare_fused()` at load) calls `kernels.fused_moe`
  once per layer on the experts stacked as `w13_packed [E, 2I, H/8]` (gate rows then up rows), `w13_scale
  [E, 2I, H/32]`, `w2_packed [E, H, I/8]`, `w2_scale [E, H, I/32]`, K-major storage (`kernels.repack_int4`).
  Those are non-persistent buffers; each expert's persistent `weight_packed`/`weight_scale` becomes a view into
  them, so the weights are held once and `state_dict()` keeps the checkpoint's names, shapes and values.
  `kernels.dispatch` decides per call which path runs (never an import-time swap). On CUDA at decode (≤ 16
  tokens) the shared expert runs on a side stream beside the router and the routed experts.

Shapes: T tokens (B·S flattened), H hidden, E routed experts, K experts per token, I expert width.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import kernels
from kernels import dispatch
from model.config import TextConfig
from model.linear import Int4Linear, make_linear

FUSED_BUFFERS = ("w13_packed", "w13_scale", "w2_packed", "w2_scale")


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
        for buf in FUSED_BUFFERS:                                             # set by prepare_fused()
            self.register_buffer(buf, None, persistent=False)

    def _expert_linears(self) -> list[tuple[nn.Module, nn.Module, nn.Module]]:
        return [(e.gate_proj, e.up_proj, e.down_proj) for e in self.experts]

    @torch.no_grad()
    def prepare_fused(self) -> bool:
        """Stack the routed experts into the fused kernel's layout (module docstring), once, and make each
        expert's INT4 buffers views into it. Returns False (and drops any fused layout) when the experts are
        not plain packed `Int4Linear`s (float experts, or a dense/int4pack runtime copy), which then keep the
        reference path."""
        lins = self._expert_linears()
        if not all(isinstance(m, Int4Linear) and m.weight_dense is None and m.weight_int4pack is None
                   for trio in lins for m in trio):
            for buf in FUSED_BUFFERS:
                setattr(self, buf, None)
            return False
        gate, _, down = lins[0]
        n_exp, inter, hidden = len(lins), gate.out_features, down.out_features

        def kmajor(like: torch.Tensor, rows: int) -> torch.Tensor:
            # [E, rows, cols] with storage [E, cols, rows]: K-major per expert, as `kernels.repack_int4` makes
            return torch.empty(n_exp, like.shape[1], rows, dtype=like.dtype, device=like.device).transpose(1, 2)

        w13p, w13s = kmajor(gate.weight_packed, 2 * inter), kmajor(gate.weight_scale, 2 * inter)
        w2p, w2s = kmajor(down.weight_packed, hidden), kmajor(down.weight_scale, hidden)
        for e, (g, u, d) in enumerate(lins):
            w13p[e, :inter].copy_(g.weight_packed)
            w13p[e, inter:].copy_(u.weight_packed)
            w13s[e, :inter].copy_(g.weight_scale)
            w13s[e, inter:].copy_(u.weight_scale)
            w2p[e].copy_(d.weight_packed)
            w2s[e].copy_(d.weight_scale)
            # the originals are released here: every expert now reads (and state_dict() returns) the views
            g.weight_packed, g.weight_scale = w13p[e, :inter], w13s[e, :inter]
            u.weight_packed, u.weight_scale = w13p[e, inter:], w13s[e, inter:]
            d.weight_packed, d.weight_scale = w2p[e], w2s[e]
            for m in (g, u, d):
                m.mode = "repacked"
        self.w13_packed, self.w13_scale, self.w2_packed, self.w2_scale = w13p, w13s, w2p, w2s
        return True

    def _fused_views_intact(self) -> bool:
        """True while the experts' buffers still alias the stacked ones. `load_state_dict(assign=True)`,
        `.to(...)` or a dtype cast replace them with separate tensors; the caller then re-stacks."""
        g, d = self.experts[0].gate_proj, self.experts[-1].down_proj
        return (g.weight_packed.data_ptr() == self.w13_packed.data_ptr()
                and g.weight_scale.data_ptr() == self.w13_scale.data_ptr()
                and d.weight_packed.data_ptr() == self.w2_packed[-1].data_ptr()
                and d.weight_scale.data_ptr() == self.w2_scale[-1].data_ptr())

    def use_fused(self, x: torch.Tensor) -> bool:
        """Whether this call takes `kernels.fused_moe`: a fused layout exists and the dispatcher sends these
        tensors to Triton (CUDA, or the interpreter in tests)."""
        if self.w13_packed is None or not dispatch.use_triton_for(x, self.w13_packed):
            return False
        return self._fused_views_intact() or self.prepare_fused()

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
        """x `[B, S, H]` → `[B, S, H]`. On CUDA at decode (≤ 16 tokens, fused path) the shared expert runs on
        a side stream while the router and the routed experts run on the current one: at decode both read
        weights at a fraction of DRAM bandwidth (small GEMVs spend much of their time ramping up and
        draining), so side by side they take less time than one after the other (`bench/kernels.py`: 209 →
        197 µs for a K2.5 layer at T=1 on an H100). From 64 tokens on the routed experts keep the GPU busy
        and the overlap costs 2-4%, so prefill keeps the serial order."""
        shape = x.shape
        flat = x.reshape(-1, shape[-1])
        fused = self.use_fused(flat)
        beside = (fused and self.shared_experts is not None and flat.is_cuda
                  and flat.shape[0] <= dispatch.GEMV_MAX_M)
        if beside:
            main, side = torch.cuda.current_stream(flat.device), dispatch.side_stream(flat.device)
            side.wait_stream(main)                   # flat is ready
            with torch.cuda.stream(side):
                shared = self.shared_experts(flat)
        idx, weights = self.gate(flat)
        if fused:
            out = kernels.fused_moe(flat, idx, weights, self.w13_packed, self.w13_scale,
                                    self.w2_packed, self.w2_scale)
        else:
            out = self.routed(flat, idx, weights)
        if beside:
            main.wait_stream(side)                   # shared is ready
            if not torch.cuda.is_current_stream_capturing():
                shared.record_stream(main)           # freed only after the main stream is done with it
            out = out + shared
        elif self.shared_experts is not None:
            out = out + self.shared_experts(flat)
        return out.view(shape)
