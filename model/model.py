"""The K2 / K2.5 text decoder (`KimiK2ForCausalLM`); `model.build.build_model` builds it or its multimodal wrapper.

Block layout (spec §2.1): embedding (no scaling) → N pre-norm blocks `h = x + MLA(norm_in(x))`,
`y = h + FFN(norm_post(h))` with a dense SwiGLU for the first `first_k_dense_replace` layers (and layers off the
`moe_layer_freq` grid) and the MoE elsewhere → final RMSNorm → untied `lm_head` → fp32 logits.

Parameter names and shapes are the checkpoint's own (spec §4.2): `model.embed_tokens.weight`,
`model.layers.N.{input_layernorm,post_attention_layernorm,self_attn.*,mlp.*}`, `model.norm.weight`,
`lm_head.weight`; INT4 projections carry `weight_packed/weight_scale/weight_shape`. Nothing else is persistent
(RoPE tables are computed from the config). Parameters default to the checkpoint dtype (bf16 for K2.5); on CPU the
loader builds or casts in fp32, since bf16 matmuls are ~100x slower there.

This module does not load weights (`model.loading`), sample (`model.generate`) or handle media
(`model.multimodal`, which wraps this class for `kimi_k25` configs).
"""
from __future__ import annotations

import torch
from torch import nn

from model.attention import MLAttention, RMSNorm
from model.cache import KVCache
from model.config import TextConfig
from model.linear import make_linear
from model.moe import MoE, SwiGLU
from model.rope import RotaryEmbedding

__all__ = ["RMSNorm", "DecoderLayer", "KimiK2Model", "KimiK2ForCausalLM", "torch_dtype"]

_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}


def torch_dtype(name: str) -> torch.dtype:
    """The torch dtype of a config `dtype`/`torch_dtype` string."""
    try:
        return _DTYPES[name]
    except KeyError:
        raise ValueError(f"unsupported parameter dtype {name!r}; expected one of {sorted(_DTYPES)}") from None


class DecoderLayer(nn.Module):
    """`input_layernorm`, `self_attn` (MLA), `post_attention_layernorm`, `mlp` (SwiGLU or MoE)."""

    def __init__(self, config: TextConfig, layer_idx: int, dtype=None):
        super().__init__()
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps, dtype)
        self.self_attn = MLAttention(config, layer_idx, dtype)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps, dtype)
        if config.is_moe_layer(layer_idx):
            self.mlp = MoE(config, layer_idx, dtype)
        else:
            self.mlp = SwiGLU(config, f"model.layers.{layer_idx}.mlp", config.hidden_size,
                              config.intermediate_size, dtype)

    def forward(self, x, cos, sin, cache: KVCache | None = None, mla_form: str | None = None):
        """x `[B, S, H]` → `[B, S, H]`."""
        h = x + self.self_attn(self.input_layernorm(x), cos, sin, cache, mla_form)
        return h + self.mlp(self.post_attention_layernorm(h))


class KimiK2Model(nn.Module):
    """`embed_tokens`, `layers`, `norm`: the decoder body without the output head."""

    def __init__(self, config: TextConfig, dtype=None):
        super().__init__()
        # N(0, 1) as nn.Embedding draws it, but not on meta: torch's meta `normal_` costs 1.6 s a process
        weight = torch.empty(config.vocab_size, config.hidden_size, dtype=dtype)
        if not weight.is_meta:
            nn.init.normal_(weight)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size, _weight=weight)
        self.layers = nn.ModuleList(DecoderLayer(config, i, dtype) for i in range(config.num_hidden_layers))
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps, dtype)
        self.rotary_emb = RotaryEmbedding(config.rope, config.qk_rope_head_dim)

    def forward(self, hidden: torch.Tensor, positions: torch.Tensor, cache: KVCache | None = None,
                mla_form: str | None = None) -> torch.Tensor:
        """hidden `[B, S, H]` (embeddings), positions `[B, S]` → final-normed hidden `[B, S, H]`."""
        cos, sin = self.rotary_emb(positions, hidden.dtype)                  # [B, S, R/2] each
        for layer in self.layers:
            hidden = layer(hidden, cos, sin, cache, mla_form)
        return self.norm(hidden)


class KimiK2ForCausalLM(nn.Module):
    """The text decoder with its LM head. `forward(input_ids, cache=None)` → fp32 logits `[B, S, vocab]`."""

    def __init__(self, config: TextConfig, dtype=None):
        super().__init__()
        if dtype is None:
            dtype = torch_dtype(config.dtype)
        self.config = config
        self.model = KimiK2Model(config, dtype)
        self.lm_head = make_linear(config, "lm_head", config.hidden_size, config.vocab_size, dtype)
        if config.tie_word_embeddings and isinstance(self.lm_head, nn.Linear):
            self.lm_head.weight = self.model.embed_tokens.weight          # K2/K2.5 are untied; kept for tiny configs

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.embed_tokens

    def make_cache(self, batch_size: int, max_seq_len: int, dtype: torch.dtype | None = None) -> KVCache:
        """An empty latent cache for `batch_size` sequences of up to `max_seq_len` tokens, on the model's device,
        in the embedding dtype unless `dtype` is given."""
        ref = self.model.embed_tokens.weight
        cfg = self.config
        return KVCache.allocate(cfg.num_hidden_layers, batch_size, max_seq_len, cfg.kv_lora_rank,
                                cfg.qk_rope_head_dim, dtype=dtype or ref.dtype, device=ref.device)

    def forward(self, input_ids: torch.Tensor | None = None, cache: KVCache | None = None, *,
                inputs_embeds: torch.Tensor | None = None, position_ids: torch.Tensor | None = None,
                logits_to_keep: int = 0, mla_form: str | None = None) -> torch.Tensor:
        """Logits for the S new tokens.

        input_ids `[B, S]` (or `inputs_embeds [B, S, H]`, as the multimodal wrapper passes). With `cache`, the
        tokens sit at positions `cache.seq_len..` and the cache is advanced by S; without, positions 0..S-1.
        `position_ids [B, S]` overrides the RoPE positions only (cache slots stay sequential).
        `logits_to_keep = n > 0` returns only the last n positions' logits (`[B, n, vocab]`, saves memory in
        prefill). `mla_form` forces "expanded" or "absorbed" attention (tests); default: see `model.attention`.
        """
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids and inputs_embeds")
        hidden = self.model.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds
        b, s = hidden.shape[:2]
        start = 0
        if cache is not None:
            cache.check_room(b, s)
            start = cache.seq_len
        if position_ids is None:
            position_ids = torch.arange(start, start + s, device=hidden.device).expand(b, s)
        hidden = self.model(hidden, position_ids, cache, mla_form)
        if cache is not None:
            cache.advance(s)
        if logits_to_keep:
            hidden = hidden[:, -logits_to_keep:]
        return self.lm_head(hidden).float()
