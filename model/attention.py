"""Multi-head latent attention (MLA) of the DeepSeek-V3 / K2 decoder, in its two equivalent forms.

- Expanded ("prefill") form, spec §2.2: keys and values of every head are rebuilt from the latent with
  `kv_b_proj`, then ordinary causal attention with a 192-dim QK and a 128-dim V (K2.5 sizes).
- Absorbed form over the latent cache, spec §2.5: `W_UK` is folded into the query and `W_UV` applied after the
  attention, so the attention itself is MQA with a 576-dim QK (`[c ; k_pe]`) and V = the first 512 dims of the
  same cached vector. `mla_attend_latent` is that inner attention in PyTorch; for one new token per sequence
  (decode) on the Triton backend `kernels.mla_decode` replaces it (the dispatcher decides per call).

Which form runs: without a cache, the expanded form (training-style prefill). With a cache, `use_absorbed` compares
the multiply-adds of the two forms for S new queries over T cached keys and picks the cheaper: per head the
expanded form pays `T·C·(nope+v)` to rebuild keys/values plus `S·T·(nope+R+v)`, the absorbed one `S·T·(2C+R)` plus
`S·C·(nope+v)` for the query/output absorption. For K2.5 over a long cache (T ≫ S) the crossover is S ≈ 171 new
tokens: decode (S = 1) is ~120x cheaper absorbed; a long prefill into an empty cache (T = S) is ~3x cheaper
expanded. On CPU both are plain fp32 matmuls, so the FLOP count decides their speed. Measured on the 2-core dev CPU
(K2.5 attention dims, hidden 256, T = 1024, one layer, CPU time, busy machine so only the ratios count): S=1 absorbed
59 ms vs expanded 408 ms; S=32 262 vs 496; S=128 738 vs 737; S=256 1139 vs 1075; S=512 2268 vs 1423 — the measured
crossover sits where the rule puts it (S ≈ 146 at T = 1024).

Shapes: B batch, S new tokens, T keys (cached + new), Hn heads, C kv_lora_rank, R rope dim, Dn qk_nope_head_dim,
Dv v_head_dim, H hidden. This module holds the projections; the cache object and RoPE tables come from outside.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

import kernels
from kernels import dispatch
from model.cache import KVCache
from model.config import TextConfig
from model.linear import dense_weight, make_linear
from model.rope import apply_rope_interleaved


class RMSNorm(nn.Module):
    """`x · rsqrt(mean(x²) + eps)` in fp32, cast back, times `weight` (no bias, no +1 offset; spec §2.1)."""

    def __init__(self, dim: int, eps: float, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * xf.to(x.dtype)

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}"


def causal_mask(s: int, t: int, start: int, device) -> torch.Tensor | None:
    """Bool `[S, T]`, True where query i (absolute slot start+i) may see key j (j ≤ start+i); None if all may."""
    if s == 1 and t == start + 1:
        return None
    q_pos = torch.arange(start, start + s, device=device).unsqueeze(1)
    return torch.arange(t, device=device).unsqueeze(0) <= q_pos


def mla_attend_latent(q_lat: torch.Tensor, q_pe: torch.Tensor, latent: torch.Tensor, scale: float,
                      start: int) -> torch.Tensor:
    """Absorbed MLA attention over the latent cache.

    q_lat `[B, Hn, S, C]` (= W_UKᵀ q_nope), q_pe `[B, Hn, S, R]` (rotated), latent `[B, T, C+R]` (cached `[c ; k_pe]`,
    T = start + S), `scale` the softmax scale, `start` the cached tokens before the first query.
    Returns o_lat `[B, Hn, S, C]` = Σ_t softmax_t(scale · [q_lat;q_pe]·latent_t) · c_t, in q_lat's dtype.
    """
    b, hn, s, c = q_lat.shape
    t = latent.shape[1]
    lat = latent.to(q_lat.dtype)
    q = torch.cat((q_lat, q_pe), dim=-1).reshape(b, hn * s, -1)           # [B, Hn·S, C+R]
    # one batched matmul over all heads: the key is shared (MQA), so heads fold into the row dim
    scores = torch.bmm(q, lat.transpose(1, 2)).view(b, hn, s, t).float() * scale   # [B, Hn, S, T]
    mask = causal_mask(s, t, start, q.device)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    probs = scores.softmax(dim=-1).to(q_lat.dtype).view(b, hn * s, t)
    return torch.bmm(probs, lat[..., :c]).view(b, hn, s, c)               # [B, Hn, S, C]


class MLAttention(nn.Module):
    """MLA with checkpoint names `q_a_proj, q_a_layernorm, q_b_proj` (or `q_proj`), `kv_a_proj_with_mqa`,
    `kv_a_layernorm`, `kv_b_proj`, `o_proj`."""

    def __init__(self, config: TextConfig, layer_idx: int, dtype=None):
        super().__init__()
        cfg = config
        self.layer_idx = layer_idx
        self.n_heads, self.nope, self.rope_dim, self.v_dim = (cfg.num_attention_heads, cfg.qk_nope_head_dim,
                                                              cfg.qk_rope_head_dim, cfg.v_head_dim)
        self.kv_lora = cfg.kv_lora_rank
        self.scale = cfg.softmax_scale
        hd, hn = cfg.hidden_size, cfg.num_attention_heads
        name = f"model.layers.{layer_idx}.self_attn."

        def lin(sub, n_in, n_out):
            return make_linear(cfg, name + sub, n_in, n_out, dtype)

        if cfg.q_lora_rank is None:
            self.q_proj = lin("q_proj", hd, hn * cfg.qk_head_dim)
        else:
            self.q_a_proj = lin("q_a_proj", hd, cfg.q_lora_rank)
            # vLLM/SGLang use the config eps for the two low-rank norms (spec §2.1)
            self.q_a_layernorm = RMSNorm(cfg.q_lora_rank, cfg.rms_norm_eps, dtype)
            self.q_b_proj = lin("q_b_proj", cfg.q_lora_rank, hn * cfg.qk_head_dim)
        self.kv_a_proj_with_mqa = lin("kv_a_proj_with_mqa", hd, cfg.kv_lora_rank + cfg.qk_rope_head_dim)
        self.kv_a_layernorm = RMSNorm(cfg.kv_lora_rank, cfg.rms_norm_eps, dtype)
        self.kv_b_proj = lin("kv_b_proj", cfg.kv_lora_rank, hn * (cfg.qk_nope_head_dim + cfg.v_head_dim))
        self.o_proj = lin("o_proj", hn * cfg.v_head_dim, hd)

    # -- pieces ---------------------------------------------------------------------------------------------
    def _queries(self, x: torch.Tensor, cos, sin):
        """x `[B, S, H]` → q_nope `[B, S, Hn, Dn]`, rotated q_pe `[B, S, Hn, R]`."""
        b, s, _ = x.shape
        if hasattr(self, "q_proj"):
            q = self.q_proj(x)
        else:
            q = self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x)))
        q = q.view(b, s, self.n_heads, self.nope + self.rope_dim)
        q_nope, q_pe = q.split([self.nope, self.rope_dim], dim=-1)
        return q_nope, apply_rope_interleaved(q_pe, cos.unsqueeze(2), sin.unsqueeze(2))

    def latent(self, x: torch.Tensor, cos, sin) -> torch.Tensor:
        """x `[B, S, H]` → the cacheable `[B, S, C+R]`: normalised latent c then the rotated shared rope key."""
        c_raw, k_pe = self.kv_a_proj_with_mqa(x).split([self.kv_lora, self.rope_dim], dim=-1)
        return torch.cat((self.kv_a_layernorm(c_raw), apply_rope_interleaved(k_pe, cos, sin)), dim=-1)

    def use_absorbed(self, s: int, t: int) -> bool:
        """True when the absorbed form costs fewer multiply-adds for S queries over T keys (module docstring)."""
        c, r, dn, dv = self.kv_lora, self.rope_dim, self.nope, self.v_dim
        expanded = t * c * (dn + dv) + s * t * (dn + r + dv)
        absorbed = s * t * (2 * c + r) + s * c * (dn + dv)
        return absorbed < expanded

    def attend_expanded(self, q_nope, q_pe, latent: torch.Tensor, start: int) -> torch.Tensor:
        """Spec §2.2 form. q_nope `[B,S,Hn,Dn]`, q_pe `[B,S,Hn,R]`, latent `[B,T,C+R]` → `[B, S, Hn·Dv]`."""
        b, s = q_nope.shape[:2]
        t = latent.shape[1]
        lat = latent.to(q_nope.dtype)
        kv = self.kv_b_proj(lat[..., :self.kv_lora]).view(b, t, self.n_heads, self.nope + self.v_dim)
        k_nope, v = kv.split([self.nope, self.v_dim], dim=-1)
        k_pe = lat[..., self.kv_lora:].unsqueeze(2).expand(b, t, self.n_heads, self.rope_dim)
        q = torch.cat((q_nope, q_pe), dim=-1).transpose(1, 2)               # [B, Hn, S, Dn+R]
        k = torch.cat((k_nope, k_pe), dim=-1).transpose(1, 2)               # [B, Hn, T, Dn+R]
        v = v.transpose(1, 2)                                                # [B, Hn, T, Dv]
        if start == 0 and s == t:
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=self.scale)
        else:
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=causal_mask(s, t, start, q.device),
                                               scale=self.scale)
        return o.transpose(1, 2).reshape(b, s, self.n_heads * self.v_dim)

    def attend_absorbed(self, q_nope, q_pe, latent: torch.Tensor, start: int) -> torch.Tensor:
        """Spec §2.5 form, same arguments and result as `attend_expanded`."""
        b, s = q_nope.shape[:2]
        w = dense_weight(self.kv_b_proj, q_nope.dtype).view(self.n_heads, self.nope + self.v_dim, self.kv_lora)
        w_uk, w_uv = w[:, :self.nope], w[:, self.nope:]                      # [Hn, Dn, C], [Hn, Dv, C]
        q_lat = torch.einsum("bshd,hdc->bhsc", q_nope, w_uk)                 # [B, Hn, S, C]
        if s == 1 and dispatch.use_triton_for(q_lat, latent):
            # decode: one query per sequence sees all T = start + 1 positions (the causal mask is a no-op)
            lens = torch.full((b,), latent.shape[1], dtype=torch.int32, device=latent.device)
            o_lat = kernels.mla_decode(q_lat[:, :, 0].contiguous(), q_pe[:, 0].contiguous(), latent, lens,
                                       self.scale).to(q_lat.dtype).unsqueeze(2)   # [B, Hn, 1, C]
        else:
            o_lat = mla_attend_latent(q_lat, q_pe.transpose(1, 2), latent, self.scale, start)
        o = torch.einsum("bhsc,hvc->bshv", o_lat, w_uv)                      # [B, S, Hn, Dv]
        return o.reshape(b, s, self.n_heads * self.v_dim)

    # -- forward --------------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                cache: KVCache | None = None, form: str | None = None) -> torch.Tensor:
        """x `[B, S, H]`, cos/sin `[B, S, R/2]` for the tokens' positions → `[B, S, H]`.

        With `cache`, the new latents go to slots `cache.seq_len..` of this layer (the caller advances
        `seq_len` after the last layer). `form` forces "expanded" or "absorbed" (tests); default per
        the module docstring.
        """
        q_nope, q_pe = self._queries(x, cos, sin)
        latent = self.latent(x, cos, sin)
        start = 0
        if cache is not None:
            start = cache.seq_len
            latent = cache.write(self.layer_idx, latent)
        if form is None:
            form = "absorbed" if cache is not None and self.use_absorbed(x.shape[1], latent.shape[1]) \
                else "expanded"
        if form == "absorbed":
            o = self.attend_absorbed(q_nope, q_pe, latent, start)
        elif form == "expanded":
            o = self.attend_expanded(q_nope, q_pe, latent, start)
        else:
            raise ValueError(f"MLA form must be 'expanded' or 'absorbed', got {form!r}")
        return self.o_proj(o)
