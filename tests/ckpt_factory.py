"""Builders of tiny K2.5-format checkpoints for tests (used across the suite).

- `make_reference_model(seed)`: a tiny transformers `DeepseekV3ForCausalLM` shaped like K2.5 (YaRN
  factor 64 / beta_fast 32, sigmoid noaux_tc routing with a non-zero random correction bias, 8 routed
  experts top-2, one shared expert, one dense first layer, rms_norm_eps 1e-6), fp32, eval mode. It is
  the independent oracle for our decoder and loader.
- `write_text_checkpoint(ref, dir, layout, shards)`: that model written in the K2.5 on-disk layout,
  routed experts INT4 packed with **compressed-tensors' own** observer maths, quantizer and packer
  (not `model.int4`), so loading it tests our format code against the reference implementation.
  `quantized_reference(ref)` returns a copy of the reference whose expert weights are exactly the
  dequantized INT4 values (compressed-tensors' `dequantize`), the model whose logits a loaded
  checkpoint must reproduce.
- `write_tiny_k25_checkpoint(dir, seed, with_vision)`: a tiny random *multimodal* (`kimi_k25`)
  checkpoint built with `model.build_model` and written with our writer, plus a byte-level
  `tiktoken.model` and `tokenizer_config.json` in K2.5's special-token scheme.

Sizes are chosen so that building, writing and loading one checkpoint takes well under a second.
"""
from __future__ import annotations

import copy
import math
from pathlib import Path

import torch

from model.checkpoint import save_checkpoint

ROUTED_LINEARS = ("gate_proj", "up_proj", "down_proj")

# The K2.5 quantization_config (spec §4.3), verbatim.
K25_QUANTIZATION_CONFIG = {
    "config_groups": {
        "group_0": {
            "input_activations": None,
            "output_activations": None,
            "targets": ["Linear"],
            "weights": {
                "actorder": None, "block_structure": None, "dynamic": False, "group_size": 32,
                "num_bits": 4, "observer": "minmax", "observer_kwargs": {}, "strategy": "group",
                "symmetric": True, "type": "int",
            },
        }
    },
    "format": "pack-quantized",
    "ignore": ["lm_head", "re:.*self_attn.*", "re:.*shared_experts.*",
               "re:.*mlp\\.(gate|up|gate_up|down)_proj.*"],
    "kv_cache_scheme": None,
    "quant_method": "compressed-tensors",
    "quantization_status": "compressed",
}

TINY_TEXT = dict(
    vocab_size=320, hidden_size=64, intermediate_size=96, moe_intermediate_size=32,
    num_hidden_layers=3, num_attention_heads=2, num_key_value_heads=2,
    n_shared_experts=1, n_routed_experts=8, num_experts_per_tok=2, routed_scaling_factor=2.827,
    kv_lora_rank=16, q_lora_rank=32, qk_rope_head_dim=8, v_head_dim=16, qk_nope_head_dim=16,
    n_group=1, topk_group=1, first_k_dense_replace=1, norm_topk_prob=True,
    max_position_embeddings=8192, rms_norm_eps=1e-6, tie_word_embeddings=False,
    num_nextn_predict_layers=0,
)
# YaRN as K2.5 (factor 64, beta_fast 32), with a short original context so that test positions
# in the thousands exercise the ramp.
TINY_ROPE = {"rope_type": "yarn", "rope_theta": 50000.0, "factor": 64.0,
             "original_max_position_embeddings": 128, "beta_fast": 32.0, "beta_slow": 1.0,
             "mscale": 1.0, "mscale_all_dim": 1.0}


# ------------------------------------------------------------------------------- reference model

def make_reference_model(seed: int = 0, **overrides):
    """A tiny fp32 transformers DeepseekV3ForCausalLM with K2.5's routing and RoPE settings.

    Norm weights and the router correction bias are randomised (they default to ones/zeros), so a
    loader that dropped or mis-assigned them would change the logits."""
    from transformers import DeepseekV3Config, DeepseekV3ForCausalLM

    kw = {**TINY_TEXT, "rope_parameters": dict(TINY_ROPE), **overrides}
    cfg = DeepseekV3Config(**kw)
    torch.manual_seed(seed)
    ref = DeepseekV3ForCausalLM(cfg).to(torch.float32).eval()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
        for mod in ref.modules():
            if hasattr(mod, "e_score_correction_bias"):
                mod.e_score_correction_bias.copy_(0.5 * torch.randn(mod.e_score_correction_bias.shape,
                                                                    generator=g))
    return ref


def reference_state_dict(ref) -> dict[str, torch.Tensor]:
    """The reference's weights under the checkpoint's names: transformers 5 fuses the routed
    experts into 3-D `gate_up_proj [E, 2I, H]` / `down_proj [E, H, I]`; K2.5 stores one Linear per
    expert (`mlp.experts.E.{gate,up,down}_proj.weight`)."""
    out = {}
    for name, t in ref.state_dict().items():
        if name.endswith("mlp.experts.gate_up_proj"):
            base = name[: -len("gate_up_proj")]
            gate, up = t.chunk(2, dim=1)
            for e in range(t.shape[0]):
                out[f"{base}{e}.gate_proj.weight"] = gate[e].clone()
                out[f"{base}{e}.up_proj.weight"] = up[e].clone()
        elif name.endswith("mlp.experts.down_proj"):
            base = name[: -len("down_proj")]
            for e in range(t.shape[0]):
                out[f"{base}{e}.down_proj.weight"] = t[e].clone()
        elif "rotary_emb" in name:
            continue
        else:
            out[name] = t.detach().clone()
    return out


def is_routed_expert(name: str) -> bool:
    return ".mlp.experts." in name and name.endswith(tuple(f"{p}.weight" for p in ROUTED_LINEARS))


# ------------------------------------------------------------- compressed-tensors INT4 (the oracle)

def _ct_args():
    from compressed_tensors.quantization import QuantizationArgs
    return QuantizationArgs(num_bits=4, type="int", symmetric=True, strategy="group", group_size=32,
                            observer="minmax")


def ct_quantize(w: torch.Tensor):
    """w[N, K] (K % 32 == 0) → (weight_packed, weight_scale bf16, weight_shape int32, dequantized fp32),
    computed only with compressed-tensors: minmax observer maths (`calculate_qparams`), `quantize`,
    `pack_to_int32`, `dequantize`."""
    from compressed_tensors.compressors.pack_quantized.helpers import pack_to_int32
    from compressed_tensors.quantization.lifecycle.forward import dequantize, quantize
    from compressed_tensors.quantization.utils import calculate_qparams

    args = _ct_args()
    w = w.detach().to(torch.float32)
    groups = w.reshape(w.shape[0], -1, args.group_size)
    scale, _ = calculate_qparams(groups.amin(-1), groups.amax(-1), args)
    scale = scale.to(torch.bfloat16)                   # K2.5 stores bf16 scales
    q = quantize(w, scale.float(), None, args, dtype=torch.int8)
    deq = dequantize(q, scale.float(), None, args, dtype=torch.float32)
    return pack_to_int32(q, 4), scale, torch.tensor(list(w.shape), dtype=torch.int32), deq


def quantized_reference(ref):
    """A deep copy of `ref` whose routed-expert weights are replaced by their INT4 round trip."""
    out = copy.deepcopy(ref)
    with torch.no_grad():
        for name, p in out.named_parameters():
            if name.endswith("mlp.experts.gate_up_proj") or name.endswith("mlp.experts.down_proj"):
                for e in range(p.shape[0]):
                    p[e].copy_(ct_quantize(p[e])[3])
    return out


# ----------------------------------------------------------------------------------- text writer

def text_config_dict(ref, *, quantized: bool = True, model_type: str = "kimi_k2",
                     dtype: torch.dtype = torch.float32) -> dict:
    """config.json for the reference model in the checkpoint's own spelling (HF `rope_scaling`)."""
    c = ref.config
    rope = dict(c.rope_parameters)
    theta = rope.pop("rope_theta")
    rope["type"] = rope.pop("rope_type")
    keys = ("vocab_size", "hidden_size", "intermediate_size", "moe_intermediate_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "n_shared_experts", "n_routed_experts",
            "num_experts_per_tok", "routed_scaling_factor", "kv_lora_rank", "q_lora_rank",
            "qk_rope_head_dim", "v_head_dim", "qk_nope_head_dim", "n_group", "topk_group",
            "first_k_dense_replace", "norm_topk_prob", "max_position_embeddings", "rms_norm_eps",
            "tie_word_embeddings", "num_nextn_predict_layers", "hidden_act", "attention_bias")
    cfg = {"architectures": ["DeepseekV3ForCausalLM"], "model_type": model_type,
           **{k: getattr(c, k) for k in keys},
           "moe_layer_freq": 1, "scoring_func": "sigmoid", "topk_method": "noaux_tc",
           "rope_theta": theta, "rope_scaling": rope,
           "bos_token_id": 0, "eos_token_id": 1, "dtype": str(dtype).removeprefix("torch.")}
    if quantized:
        cfg["quantization_config"] = copy.deepcopy(K25_QUANTIZATION_CONFIG)
    return cfg


def _layout_name(name: str, layout: str) -> str:
    if layout == "kimi_k2":
        return name
    if layout == "kimi_k25":
        return "language_model." + name
    if layout == "legacy":   # nvidia/Kimi-K2.5-NVFP4: `language_model.layers.` without `model.`
        return "language_model." + name.removeprefix("model.") if name.startswith("model.layers.") \
            else "language_model." + name
    raise ValueError(f"unknown layout {layout!r}")


def checkpoint_tensors(ref, *, layout: str = "kimi_k2", quantize: bool = True,
                       dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """The tensors a checkpoint of `ref` holds, by checkpoint name: floats in `dtype` (the router
    correction bias stays fp32, as in K2.5), routed experts INT4 via compressed-tensors."""
    out = {}
    for name, t in reference_state_dict(ref).items():
        if quantize and is_routed_expert(name):
            packed, scale, shape, _ = ct_quantize(t)
            base = _layout_name(name[: -len(".weight")], layout)
            out[f"{base}.weight_packed"] = packed
            out[f"{base}.weight_scale"] = scale
            out[f"{base}.weight_shape"] = shape
        elif name.endswith("e_score_correction_bias"):
            out[_layout_name(name, layout)] = t.to(torch.float32)
        else:
            out[_layout_name(name, layout)] = t.to(dtype)
    return out


def write_text_checkpoint(ref, directory, layout: str = "kimi_k2", shards: int = 3, *,
                          single_file: bool = False, quantize: bool = True,
                          dtype: torch.dtype = torch.float32) -> Path:
    """Write `ref` as a text-only K2.5-format checkpoint (config.json `kimi_k2`) in `layout`:
    `kimi_k2` (`model.…`, `lm_head.weight`), `kimi_k25` (the multimodal checkpoint's text part,
    `language_model.` prefix) or `legacy` (`language_model.layers.…`). Returns the directory."""
    tensors = checkpoint_tensors(ref, layout=layout, quantize=quantize, dtype=dtype)
    cfg = text_config_dict(ref, quantized=quantize, dtype=dtype)
    return save_checkpoint(directory, tensors, cfg, num_shards=None if single_file else shards,
                           single_file=single_file, overwrite=True)


# ------------------------------------------------------------------------------ tiny multimodal

TINY_BASE_TOKENS = 256   # byte-level vocabulary: rank i is the single byte i


def tiny_k25_config_dict(with_vision: bool = True) -> dict:
    """A tiny `kimi_k25` config.json: K2.5's structure and ids scheme at toy sizes."""
    from model.tokenizer import K25_SPECIAL_OFFSETS, NUM_RESERVED_SPECIAL_TOKENS

    n = TINY_BASE_TOKENS
    text = {**{k: v for k, v in TINY_TEXT.items()}, "vocab_size": n + NUM_RESERVED_SPECIAL_TOKENS,
            "model_type": "deepseek_v3", "architectures": ["DeepseekV3ForCausalLM"],
            "hidden_act": "silu", "attention_bias": False, "moe_layer_freq": 1,
            "scoring_func": "sigmoid", "topk_method": "noaux_tc", "rope_theta": 50000.0,
            "rope_scaling": {**{k: v for k, v in TINY_ROPE.items() if k not in ("rope_type", "rope_theta")},
                             "type": "yarn"},
            "bos_token_id": n + K25_SPECIAL_OFFSETS["[BOS]"], "eos_token_id": n + K25_SPECIAL_OFFSETS["[EOS]"],
            "pad_token_id": n + K25_SPECIAL_OFFSETS["[PAD]"], "dtype": "float32",
            "quantization_config": copy.deepcopy(K25_QUANTIZATION_CONFIG)}
    vision = {"patch_size": 14, "vt_hidden_size": 32, "vt_num_hidden_layers": 2,
              "vt_num_attention_heads": 2, "vt_intermediate_size": 64, "init_pos_emb_height": 8,
              "init_pos_emb_width": 8, "init_pos_emb_time": 4, "pos_emb_type": "divided_fixed",
              "merge_kernel_size": [2, 2], "merge_type": "sd2_tpool", "video_attn_type": "spatial_temporal",
              "mm_projector_type": "patchmerger", "mm_hidden_size": 32, "text_hidden_size": TINY_TEXT["hidden_size"],
              "projector_hidden_act": "gelu", "projector_ln_eps": 1e-5}
    cfg = {"architectures": ["KimiK25ForConditionalGeneration"], "model_type": "kimi_k25",
           "bos_token_id": text["bos_token_id"], "eos_token_id": text["eos_token_id"],
           "pad_token_id": text["pad_token_id"],
           "media_placeholder_token_id": n + K25_SPECIAL_OFFSETS["<|media_pad|>"],
           "ignore_index": -100, "use_unified_vision_chunk": True,
           "video_placeholder": "<|kimi_k25_video_placeholder|>", "tie_word_embeddings": False,
           "dtype": "float32", "text_config": text, "vision_config": vision,
           "quantization_config": copy.deepcopy(K25_QUANTIZATION_CONFIG)}
    if not with_vision:
        return {**text, "model_type": "kimi_k2"}
    return cfg


def tiny_tokenizer_files() -> dict[str, str]:
    """`tiktoken.model` (256 single-byte ranks) and `tokenizer_config.json` in K2.5's scheme."""
    import base64
    import json

    from model.tokenizer import k25_tokenizer_config

    lines = "".join(f"{base64.b64encode(bytes([i])).decode('ascii')} {i}\n" for i in range(TINY_BASE_TOKENS))
    return {"tiktoken.model": lines,
            "tokenizer_config.json": json.dumps(k25_tokenizer_config(TINY_BASE_TOKENS), indent=2) + "\n"}


NORM_SUFFIXES = ("norm.weight", "norm0.weight", "norm1.weight", "final_layernorm.weight", "pre_norm.weight")


def random_tensors(model, seed: int, norm=lambda name, shape, g: 1.0 + 0.05 * torch.randn(shape, generator=g)):
    """Random checkpoint tensors for every entry of `model.state_dict()` (a meta-device model): INT4 triples
    for `Int4Linear`s (quantized from a fan-in-scaled normal weight), a small random correction bias, norm
    weights from `norm(name, shape, generator)`, 0.02-scaled vectors, fan-in-scaled matrices."""
    from model.int4 import quantize_int4

    g = torch.Generator().manual_seed(seed)
    tensors = {}
    for name, t in model.state_dict().items():
        if name.endswith("weight_packed"):
            base = name[: -len("weight_packed")]
            lin = model.get_submodule(base.rstrip("."))
            w = torch.randn(lin.out_features, lin.in_features, generator=g) / math.sqrt(lin.in_features)
            tensors[base + "weight_packed"], tensors[base + "weight_scale"], tensors[base + "weight_shape"] = \
                quantize_int4(w)
        elif name.endswith(("weight_scale", "weight_shape")):
            continue
        elif name.endswith("e_score_correction_bias"):
            tensors[name] = 0.1 * torch.randn(t.shape, generator=g)
        elif not t.is_floating_point():
            raise ValueError(f"tiny checkpoint: no initialiser for {t.dtype} tensor {name}")
        elif name.endswith(NORM_SUFFIXES):
            tensors[name] = norm(name, t.shape, g)
        elif t.ndim == 1:
            tensors[name] = 0.02 * torch.randn(t.shape, generator=g)
        else:
            tensors[name] = torch.randn(t.shape, generator=g) / math.sqrt(math.prod(t.shape[1:]))
    return tensors


@torch.no_grad()
def write_tiny_k25_checkpoint(directory, seed: int = 0, with_vision: bool = True, *, shards: int = 2) -> Path:
    """A tiny random checkpoint in the real K2.5 layout: `kimi_k25` config with text + vision
    (or a text-only `kimi_k2` one), INT4 routed experts, sharded, with tokenizer files."""
    from model import build_model, load_config

    cfg_dict = tiny_k25_config_dict(with_vision)
    m = build_model(load_config(cfg_dict), device="meta")   # names and shapes only
    tensors = random_tensors(m, seed)
    return save_checkpoint(directory, tensors, cfg_dict, num_shards=shards, overwrite=True,
                           extra_files=tiny_tokenizer_files())
