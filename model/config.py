"""Model configuration: the checkpoint's own config.json read into frozen dataclasses.

`load_config(path_or_dict)` returns a `TextConfig` for a text-only DeepSeek-V3-architecture checkpoint
(`model_type` `kimi_k2` or `deepseek_v3`) or a `K25Config` (`kimi_k25`: `text_config` + `vision_config` + the
multimodal token ids). Nothing is inferred from file names or dimensions; every field comes from the JSON, with the
defaults of the reference config classes where a key is optional.

Accepted spellings (spec §1.2 notes): RoPE as `rope_scaling` (`type` or `rope_type`, `rope_theta` beside it) or as
transformers-5 `rope_parameters` (which carries `rope_theta`); `q_lora_rank: null` (then the model uses `q_proj`).
`quantization_config` (compressed-tensors, spec §4.3) is parsed into `QuantizationConfig`, whose `is_quantized`
applies the ignore-list semantics; the raw dicts are kept for re-saving.

A missing or ill-typed field raises `ConfigError` naming the file and the dotted field. This module does not build
modules or read weights.
"""
from __future__ import annotations

import copy
import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from uicode.errors import ConfigError

_REQUIRED = object()
_TEXT_MODEL_TYPES = ("kimi_k2", "deepseek_v3")


class _Fields:
    """Typed access to one JSON object; errors name `source` and the dotted field path."""

    def __init__(self, data: Any, source: str, prefix: str = ""):
        if not isinstance(data, dict):
            where = prefix.rstrip(".") or "top level"
            raise ConfigError(f"{source}: {where} must be a JSON object, got {type(data).__name__}")
        self.data, self.source, self.prefix = data, source, prefix

    def _fail(self, key: str, what: str):
        raise ConfigError(f"{self.source}: field '{self.prefix}{key}' {what}")

    def get(self, key: str, kinds: tuple, default=_REQUIRED, nullable: bool = False):
        if key not in self.data:
            if default is _REQUIRED:
                self._fail(key, "is missing")
            return default
        value = self.data[key]
        if value is None:
            if nullable:
                return None
            if default is not _REQUIRED and default is None:
                return None
            self._fail(key, "must not be null")
        # bool is an int subclass in Python; a JSON `true` where a number belongs is a typo, not a 1.
        if isinstance(value, bool) and bool not in kinds:
            self._fail(key, f"must be {_kind_name(kinds)}, got bool {value!r}")
        if not isinstance(value, kinds):
            self._fail(key, f"must be {_kind_name(kinds)}, got {type(value).__name__} {value!r:.40}")
        return value

    def int(self, key, default=_REQUIRED, nullable=False, minimum=None):
        value = self.get(key, (int,), default, nullable)
        if value is not None and minimum is not None and value < minimum:
            self._fail(key, f"must be >= {minimum}, got {value}")
        return value

    def float(self, key, default=_REQUIRED, nullable=False):
        value = self.get(key, (int, float), default, nullable)
        return None if value is None else float(value)

    def bool(self, key, default=_REQUIRED):
        return self.get(key, (bool,), default)

    def str(self, key, default=_REQUIRED, choices=None):
        value = self.get(key, (str,), default)
        if choices is not None and value not in choices:
            self._fail(key, f"must be one of {list(choices)}, got {value!r}")
        return value

    def obj(self, key, default=_REQUIRED) -> "_Fields | None":
        value = self.get(key, (dict,), default, nullable=True)
        return None if value is None else _Fields(value, self.source, f"{self.prefix}{key}.")


def _kind_name(kinds: tuple) -> str:
    names = {int: "an integer", float: "a number", bool: "a boolean", str: "a string", dict: "an object",
             list: "a list"}
    if kinds == (int, float):
        return "a number"
    return " or ".join(names.get(k, k.__name__) for k in kinds)


# ----------------------------------------------------------------------------------------------------------------
# quantization


@dataclass(frozen=True)
class QuantizationConfig:
    """compressed-tensors `pack-quantized` INT4 weights (spec §4.3/§4.4).

    `targets` name module classes (`Linear`) or `re:` patterns; `ignore` entries are exact module names or `re:`
    patterns matched with `re.match` from the start of the name, as compressed-tensors does.
    """

    quant_method: str
    format: str
    num_bits: int
    group_size: int
    symmetric: bool
    strategy: str
    type: str
    targets: tuple[str, ...]
    ignore: tuple[str, ...]
    raw: dict = field(compare=False, hash=False, repr=False)

    def is_quantized(self, module_name: str) -> bool:
        """Whether the Linear module `module_name` of the text decoder is stored INT4.

        Names are taken relative to the text model (`model.layers.3.mlp.experts.7.up_proj`, `lm_head`); a
        `language_model.` prefix is stripped first so that multimodal names behave the same. The vision tower and
        projector are never quantized (the reference engines build them without the quantization config).
        Only ask about `nn.Linear`-like projections: the router `mlp.gate` is a bare parameter, never INT4.
        """
        name = module_name.removeprefix("language_model.")
        if name.startswith(("vision_tower.", "mm_projector.")):
            return False
        if any(_match(name, pattern) for pattern in self.ignore):
            return False
        return any(target == "Linear" or _match(name, target) for target in self.targets)


def _match(name: str, pattern: str) -> bool:
    if pattern.startswith("re:"):
        return re.match(pattern[3:], name) is not None
    return name == pattern


def _parse_quantization(f: _Fields | None) -> QuantizationConfig | None:
    if f is None:
        return None
    method = f.str("quant_method")
    if method != "compressed-tensors":
        f._fail("quant_method", f"is {method!r}; only 'compressed-tensors' INT4 checkpoints are supported")
    fmt = f.str("format", choices=("pack-quantized",))
    groups = f.obj("config_groups")
    if groups is None or not groups.data:
        f._fail("config_groups", "must hold at least one group")
    targets: list[str] = []
    args = None
    for name in groups.data:
        g = groups.obj(name)
        tlist = g.get("targets", (list,))
        if not all(isinstance(t, str) for t in tlist):
            g._fail("targets", "must be a list of strings")
        targets += tlist
        w = g.obj("weights")
        if w is None:
            g._fail("weights", "must not be null")
        these = (w.int("num_bits"), w.int("group_size", minimum=1), w.bool("symmetric"),
                 w.str("strategy"), w.str("type"))
        if these[0] != 4 or these[4] != "int" or not these[2] or these[3] != "group":
            w._fail("num_bits", f"with type/symmetric/strategy {these[4]}/{these[2]}/{these[3]} is not the "
                    "supported symmetric group-wise INT4 scheme")
        if args is not None and these != args:
            g._fail("weights", "differs from another group; only one weight scheme is supported")
        args = these
    ignore = f.get("ignore", (list,), default=[])
    if not all(isinstance(t, str) for t in ignore):
        f._fail("ignore", "must be a list of strings")
    for pattern in ignore:
        if pattern.startswith("re:"):
            try:
                re.compile(pattern[3:])
            except re.error as exc:
                f._fail("ignore", f"has an invalid regex {pattern!r}: {exc}")
    num_bits, group_size, symmetric, strategy, qtype = args
    return QuantizationConfig(quant_method=method, format=fmt, num_bits=num_bits, group_size=group_size,
                              symmetric=symmetric, strategy=strategy, type=qtype, targets=tuple(targets),
                              ignore=tuple(ignore), raw=copy.deepcopy(f.data))


# ----------------------------------------------------------------------------------------------------------------
# rope


@dataclass(frozen=True)
class RopeConfig:
    """RoPE on the `qk_rope_head_dim` dims: plain (`default`) or YaRN (spec §2.4)."""

    type: Literal["default", "yarn"]
    theta: float
    factor: float = 1.0
    original_max_position_embeddings: int = 4096
    beta_fast: float = 32.0
    beta_slow: float = 1.0
    mscale: float = 1.0
    mscale_all_dim: float = 0.0
    attention_factor: float | None = None  # explicit cos/sin multiplier; derived from mscales when None
    truncate: bool = True                  # floor/ceil the YaRN correction range (DeepSeek/vLLM behaviour)


def _parse_rope(f: _Fields) -> RopeConfig:
    params = f.obj("rope_parameters", default=None)
    if params is None:
        params = f.obj("rope_scaling", default=None)
    top_theta = f.float("rope_theta", default=None)
    if params is None:
        return RopeConfig(type="default", theta=top_theta if top_theta is not None else 10000.0)
    theta = params.float("rope_theta", default=None)
    theta = theta if theta is not None else (top_theta if top_theta is not None else 10000.0)
    kind = params.str("rope_type", default=None) if "rope_type" in params.data else None
    spelled = params.str("type", default=None) if "type" in params.data else None
    if kind is not None and spelled is not None and kind != spelled:
        params._fail("type", f"is {spelled!r} but rope_type is {kind!r}")
    kind = kind or spelled or "default"
    if kind == "default":
        return RopeConfig(type="default", theta=theta)
    if kind != "yarn":
        params._fail("rope_type", f"is {kind!r}; supported: 'default', 'yarn'")
    max_pos = f.int("max_position_embeddings", default=None)
    orig = params.int("original_max_position_embeddings", default=max_pos, minimum=1)
    if orig is None:
        params._fail("original_max_position_embeddings", "is missing")
    factor = params.float("factor", default=None)
    if factor is None:
        # transformers' fallback for configs that only give the two lengths
        factor = (max_pos or orig) / orig
    return RopeConfig(
        type="yarn", theta=theta, factor=factor, original_max_position_embeddings=orig,
        beta_fast=params.float("beta_fast", default=32.0), beta_slow=params.float("beta_slow", default=1.0),
        mscale=params.float("mscale", default=1.0), mscale_all_dim=params.float("mscale_all_dim", default=0.0),
        attention_factor=params.float("attention_factor", default=None),
        truncate=params.bool("truncate", default=True))


def yarn_get_mscale(scale: float, mscale: float = 1.0) -> float:
    """YaRN magnitude correction `0.1·mscale·ln(scale) + 1` (1 for scale ≤ 1), spec §2.3."""
    if scale <= 1.0:
        return 1.0
    return 0.1 * mscale * math.log(scale) + 1.0


# ----------------------------------------------------------------------------------------------------------------
# text decoder


@dataclass(frozen=True)
class TextConfig:
    """The DeepSeek-V3-architecture text decoder (K2 / K2.5 `text_config`)."""

    model_type: str
    # shape
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    intermediate_size: int  # dense SwiGLU layers
    max_position_embeddings: int
    rms_norm_eps: float = 1e-6
    hidden_act: str = "silu"
    tie_word_embeddings: bool = False
    dtype: str = "bfloat16"  # parameter dtype of the checkpoint
    # mla
    num_attention_heads: int = 64
    num_key_value_heads: int = 64
    q_lora_rank: int | None = 1536
    kv_lora_rank: int = 512
    qk_nope_head_dim: int = 128
    qk_rope_head_dim: int = 64
    v_head_dim: int = 128
    attention_bias: bool = False
    # moe
    n_routed_experts: int = 0
    num_experts_per_tok: int = 0
    moe_intermediate_size: int = 0
    n_shared_experts: int = 0
    first_k_dense_replace: int = 0
    moe_layer_freq: int = 1
    n_group: int = 1
    topk_group: int = 1
    routed_scaling_factor: float = 1.0
    norm_topk_prob: bool = True
    scoring_func: Literal["sigmoid", "softmax"] = "sigmoid"
    topk_method: Literal["noaux_tc", "greedy", "group_limited_greedy"] = "noaux_tc"
    num_nextn_predict_layers: int = 0  # MTP modules; not part of the decoder we build
    # rope
    rope: RopeConfig = field(default_factory=lambda: RopeConfig(type="default", theta=10000.0))
    # tokens
    bos_token_id: int | None = None
    eos_token_id: int | tuple[int, ...] | None = None
    pad_token_id: int | None = None
    # quantization
    quantization: QuantizationConfig | None = None
    raw: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self):
        positive = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "kv_lora_rank",
                    "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "moe_layer_freq", "n_group")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"field '{name}' must be >= 1, got {getattr(self, name)}")
        if self.qk_rope_head_dim % 2:
            raise ValueError(f"field 'qk_rope_head_dim' must be even, got {self.qk_rope_head_dim}")
        if self.hidden_act != "silu":
            raise ValueError(f"field 'hidden_act' is {self.hidden_act!r}; only 'silu' (SwiGLU) is supported")
        if self.num_key_value_heads != self.num_attention_heads:
            raise ValueError(f"field 'num_key_value_heads' must equal num_attention_heads for MLA, got "
                             f"{self.num_key_value_heads} vs {self.num_attention_heads}")
        if self.has_moe:
            if not 1 <= self.num_experts_per_tok <= self.n_routed_experts:
                raise ValueError(f"field 'num_experts_per_tok' must be in 1..n_routed_experts "
                                 f"({self.n_routed_experts}), got {self.num_experts_per_tok}")
            if self.moe_intermediate_size < 1:
                raise ValueError("field 'moe_intermediate_size' must be >= 1")
            if self.n_routed_experts % self.n_group:
                raise ValueError(f"field 'n_group' ({self.n_group}) must divide n_routed_experts "
                                 f"({self.n_routed_experts})")
            if not 1 <= self.topk_group <= self.n_group:
                raise ValueError(f"field 'topk_group' must be in 1..n_group ({self.n_group}), got {self.topk_group}")
        if self.has_dense and self.intermediate_size < 1:
            raise ValueError("field 'intermediate_size' must be >= 1")

    # derived ------------------------------------------------------------------------------------------------
    @property
    def qk_head_dim(self) -> int:
        return self.qk_nope_head_dim + self.qk_rope_head_dim

    @property
    def kv_cache_width(self) -> int:
        """Values cached per token per layer: the normalised latent then the rotated rope key (576 for K2.5)."""
        return self.kv_lora_rank + self.qk_rope_head_dim

    @property
    def softmax_scale(self) -> float:
        """`qk_head_dim^-0.5 · mscale²` with YaRN's `mscale_all_dim` correction (spec §2.3)."""
        scale = self.qk_head_dim ** -0.5
        if self.rope.type == "yarn" and self.rope.mscale_all_dim:
            m = yarn_get_mscale(self.rope.factor, self.rope.mscale_all_dim)
            scale *= m * m
        return scale

    def is_moe_layer(self, layer_idx: int) -> bool:
        return (self.n_routed_experts > 0 and layer_idx >= self.first_k_dense_replace
                and layer_idx % self.moe_layer_freq == 0)

    @property
    def has_moe(self) -> bool:
        return any(self.is_moe_layer(i) for i in range(self.num_hidden_layers)) if self.n_routed_experts else False

    @property
    def has_dense(self) -> bool:
        return not all(self.is_moe_layer(i) for i in range(self.num_hidden_layers))

    def is_quantized(self, module_name: str) -> bool:
        """Whether the Linear `module_name` (relative to the text model) is INT4 in the checkpoint."""
        return self.quantization is not None and self.quantization.is_quantized(module_name)

    @property
    def rope_theta(self) -> float:
        return self.rope.theta


def _token_ids(f: _Fields, key: str):
    value = f.get(key, (int, list), default=None, nullable=True)
    if isinstance(value, list):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            f._fail(key, "must be an integer or a list of integers")
        return tuple(value)
    return value


def _parse_text(f: _Fields, model_type: str, fallback_quant: _Fields | None = None) -> TextConfig:
    n_routed = f.int("n_routed_experts", default=0, nullable=True) or 0
    moe_required = _REQUIRED if n_routed else 0
    dtype = f.str("dtype", default=None) if "dtype" in f.data else None
    dtype = dtype or f.str("torch_dtype", default="bfloat16")
    heads = f.int("num_attention_heads", minimum=1)
    quant = f.obj("quantization_config", default=None) or fallback_quant
    values = dict(
        model_type=model_type,
        vocab_size=f.int("vocab_size", minimum=1),
        hidden_size=f.int("hidden_size", minimum=1),
        num_hidden_layers=f.int("num_hidden_layers", minimum=1),
        intermediate_size=f.int("intermediate_size", minimum=1),
        max_position_embeddings=f.int("max_position_embeddings", minimum=1),
        rms_norm_eps=f.float("rms_norm_eps", default=1e-6),
        hidden_act=f.str("hidden_act", default="silu"),
        tie_word_embeddings=f.bool("tie_word_embeddings", default=False),
        dtype=dtype,
        num_attention_heads=heads,
        num_key_value_heads=f.int("num_key_value_heads", default=heads, nullable=True) or heads,
        q_lora_rank=f.int("q_lora_rank", nullable=True, minimum=1),
        kv_lora_rank=f.int("kv_lora_rank", minimum=1),
        qk_nope_head_dim=f.int("qk_nope_head_dim", minimum=1),
        qk_rope_head_dim=f.int("qk_rope_head_dim", minimum=2),
        v_head_dim=f.int("v_head_dim", minimum=1),
        attention_bias=f.bool("attention_bias", default=False),
        n_routed_experts=n_routed,
        num_experts_per_tok=f.int("num_experts_per_tok", default=moe_required, minimum=1 if n_routed else 0),
        moe_intermediate_size=f.int("moe_intermediate_size", default=moe_required, minimum=1 if n_routed else 0),
        n_shared_experts=f.int("n_shared_experts", default=0, nullable=True, minimum=0) or 0,
        first_k_dense_replace=f.int("first_k_dense_replace", default=0, nullable=True, minimum=0) or 0,
        moe_layer_freq=f.int("moe_layer_freq", default=1, minimum=1),
        n_group=f.int("n_group", default=1, nullable=True, minimum=1) or 1,
        topk_group=f.int("topk_group", default=1, nullable=True, minimum=1) or 1,
        routed_scaling_factor=f.float("routed_scaling_factor", default=1.0),
        norm_topk_prob=f.bool("norm_topk_prob", default=True),
        scoring_func=f.str("scoring_func", default="sigmoid", choices=("sigmoid", "softmax")),
        topk_method=f.str("topk_method", default="noaux_tc",
                          choices=("noaux_tc", "greedy", "group_limited_greedy")),
        num_nextn_predict_layers=f.int("num_nextn_predict_layers", default=0, minimum=0),
        rope=_parse_rope(f),
        bos_token_id=_token_ids(f, "bos_token_id"),
        eos_token_id=_token_ids(f, "eos_token_id"),
        pad_token_id=_token_ids(f, "pad_token_id"),
        quantization=_parse_quantization(quant),
        raw=copy.deepcopy(f.data),
    )
    try:
        return TextConfig(**values)
    except ValueError as exc:
        raise ConfigError(f"{f.source}: {exc}".replace("field '", f"field '{f.prefix}", 1)) from None


# ----------------------------------------------------------------------------------------------------------------
# vision and the multimodal wrapper


@dataclass(frozen=True)
class VisionConfig:
    """MoonViT-3D tower + patch merger + projector (`vision_config`, spec §1.3); names are the checkpoint's."""

    # shape
    patch_size: int
    vt_hidden_size: int
    vt_num_hidden_layers: int
    vt_num_attention_heads: int
    vt_intermediate_size: int
    # position embeddings
    init_pos_emb_height: int = 64
    init_pos_emb_width: int = 64
    init_pos_emb_time: int = 4
    pos_emb_type: str = "divided_fixed"
    # merger / projector
    merge_kernel_size: tuple[int, int] = (2, 2)
    merge_type: str = "sd2_tpool"
    video_attn_type: str = "spatial_temporal"
    mm_projector_type: str = "patchmerger"
    mm_hidden_size: int = 1152
    text_hidden_size: int = 7168
    projector_hidden_act: str = "gelu"
    projector_ln_eps: float = 1e-5
    raw: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self):
        if self.vt_hidden_size % self.vt_num_attention_heads:
            raise ValueError(f"field 'vt_hidden_size' ({self.vt_hidden_size}) must be divisible by "
                             f"vt_num_attention_heads ({self.vt_num_attention_heads})")

    @property
    def hidden_size(self) -> int:
        return self.vt_hidden_size

    @property
    def num_attention_heads(self) -> int:
        return self.vt_num_attention_heads

    @property
    def num_hidden_layers(self) -> int:
        return self.vt_num_hidden_layers

    @property
    def intermediate_size(self) -> int:
        return self.vt_intermediate_size

    @property
    def head_dim(self) -> int:
        return self.vt_hidden_size // self.vt_num_attention_heads


def _parse_vision(f: _Fields, text_hidden: int) -> VisionConfig:
    hidden = f.int("vt_hidden_size", minimum=1)
    merge = f.get("merge_kernel_size", (list,), default=[2, 2])
    if len(merge) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in merge):
        f._fail("merge_kernel_size", f"must be two positive integers, got {merge!r}")
    values = dict(
        patch_size=f.int("patch_size", minimum=1),
        vt_hidden_size=hidden,
        vt_num_hidden_layers=f.int("vt_num_hidden_layers", minimum=1),
        vt_num_attention_heads=f.int("vt_num_attention_heads", minimum=1),
        vt_intermediate_size=f.int("vt_intermediate_size", minimum=1),
        init_pos_emb_height=f.int("init_pos_emb_height", default=64, minimum=1),
        init_pos_emb_width=f.int("init_pos_emb_width", default=64, minimum=1),
        init_pos_emb_time=f.int("init_pos_emb_time", default=4, minimum=1),
        pos_emb_type=f.str("pos_emb_type", default="divided_fixed"),
        merge_kernel_size=(merge[0], merge[1]),
        merge_type=f.str("merge_type", default="sd2_tpool"),
        video_attn_type=f.str("video_attn_type", default="spatial_temporal"),
        mm_projector_type=f.str("mm_projector_type", default="patchmerger"),
        mm_hidden_size=f.int("mm_hidden_size", default=hidden, minimum=1),
        text_hidden_size=f.int("text_hidden_size", default=text_hidden, minimum=1),
        projector_hidden_act=f.str("projector_hidden_act", default="gelu"),
        projector_ln_eps=f.float("projector_ln_eps", default=1e-5),
        raw=copy.deepcopy(f.data),
    )
    try:
        return VisionConfig(**values)
    except ValueError as exc:
        raise ConfigError(f"{f.source}: {exc}".replace("field '", f"field '{f.prefix}", 1)) from None


@dataclass(frozen=True)
class K25Config:
    """`kimi_k25`: the text decoder, the vision tower and the ids that join them (spec §1.1)."""

    text: TextConfig
    vision: VisionConfig
    # tokens
    media_placeholder_token_id: int
    bos_token_id: int | None = None
    eos_token_id: int | tuple[int, ...] | None = None
    pad_token_id: int | None = None
    ignore_index: int = -100
    use_unified_vision_chunk: bool = True
    video_placeholder: str = "<|kimi_k25_video_placeholder|>"
    tie_word_embeddings: bool = False
    # quantization
    quantization: QuantizationConfig | None = None
    raw: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    model_type = "kimi_k25"

    def is_quantized(self, module_name: str) -> bool:
        return self.text.is_quantized(module_name)


def _parse_k25(f: _Fields) -> K25Config:
    text_f = f.obj("text_config")
    if text_f is None:
        f._fail("text_config", "must not be null")
    top_quant = f.obj("quantization_config", default=None)
    text_type = text_f.str("model_type", default="deepseek_v3")
    if text_type not in _TEXT_MODEL_TYPES:
        text_f._fail("model_type", f"is {text_type!r}; supported: {list(_TEXT_MODEL_TYPES)}")
    text = _parse_text(text_f, text_type, fallback_quant=top_quant)
    vision_f = f.obj("vision_config")
    if vision_f is None:
        f._fail("vision_config", "must not be null")
    vision = _parse_vision(vision_f, text.hidden_size)
    return K25Config(
        text=text, vision=vision,
        media_placeholder_token_id=f.int("media_placeholder_token_id", minimum=0),
        bos_token_id=_token_ids(f, "bos_token_id"),
        eos_token_id=_token_ids(f, "eos_token_id"),
        pad_token_id=_token_ids(f, "pad_token_id"),
        ignore_index=f.int("ignore_index", default=-100),
        use_unified_vision_chunk=f.bool("use_unified_vision_chunk", default=True),
        video_placeholder=f.str("video_placeholder", default="<|kimi_k25_video_placeholder|>"),
        tie_word_embeddings=f.bool("tie_word_embeddings", default=False),
        quantization=_parse_quantization(top_quant) if top_quant is not None else text.quantization,
        raw=copy.deepcopy(f.data),
    )


# ----------------------------------------------------------------------------------------------------------------
# entry point

AnyConfig = Union[TextConfig, K25Config]


def load_config(path_or_dict: "str | os.PathLike | dict") -> AnyConfig:
    """Read a config.json (a file, or a checkpoint directory holding one) or an already-parsed dict."""
    if isinstance(path_or_dict, dict):
        data, source = path_or_dict, "config"
    else:
        path = os.fspath(path_or_dict)
        if os.path.isdir(path):
            path = os.path.join(path, "config.json")
        source = path
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") \
                from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read config ({exc})") from None
    f = _Fields(data, source)
    model_type = f.str("model_type")
    if model_type == "kimi_k25":
        return _parse_k25(f)
    if model_type in _TEXT_MODEL_TYPES:
        return _parse_text(f, model_type)
    f._fail("model_type", f"is {model_type!r}; supported: 'kimi_k25', {', '.join(map(repr, _TEXT_MODEL_TYPES))}")
