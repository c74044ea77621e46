"""The mini model's architecture: a `kimi_k25` config of the real K2.5's classes at laptop size.

Same families and formats as K2.5 (MoonViT-3D with 2-D RoPE + sd2_tpool merger + patch-merger projector;
MLA with YaRN RoPE; sigmoid noaux_tc MoE with a shared expert and a dense first layer; INT4 routed
experts), only narrower and shallower, and a preprocessor that keeps fewer patches per image: page text is
read by OCR and given in the prompt, so the vision tower needs layout and colour, not glyphs.

Sizes are chosen for the compute at hand (see `train/README.md`): about 40M parameters, ~10M active per
token, so a page of ~700 tokens decodes in seconds on two CPU cores, and the exported checkpoint (INT4
experts, bf16 elsewhere) stays under 60 MB.

`mini_config(vocab_size)` → the config.json dict; `unquantized(config)` → the same without the
quantization block (what training builds: plain `nn.Linear` experts); `MEDIA_PROC_CFG` → the
`preprocessor_config.json` the app reads the patch budget from.
"""
from __future__ import annotations

import copy

from model.quantize import k25_quantization_config

# A 1280×800 desktop screenshot becomes 40×25 patches → 260 decoder tokens; a full-page 1280×2400
# page 22×70 → 385 tokens. Enough to see boxes, alignment and colours; OCR supplies the words.
IN_PATCH_LIMIT = 1024

MEDIA_PROC_CFG = {
    "in_patch_limit": IN_PATCH_LIMIT,
    "patch_size": 14,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "merge_kernel_size": 2,
    "fixed_output_tokens": None,
    "patch_limit_on_one_side": 512,
    "in_patch_limit_each_frame": 1024,
    "in_patch_limit_video": None,
    "sample_fps": 2.0,
    "max_num_frames_each_video": None,
    "temporal_merge_kernel_size": 4,
    "timestamp_mode": "hh:mm:ss.fff",
}

def mini_config(vocab_size: int, size: str = "base") -> dict:
    """The kimi_k25 config.json of the mini model for a tokenizer of `vocab_size` ids (ranks + 256 specials)."""
    n = vocab_size - 256  # first special id, as in K2.5 (163584 = [BOS])
    dims = {
        # hidden, layers, heads, q_lora, kv_lora, nope, rope, v, dense I, experts, top-k, expert I, vit dims
        "tiny": (64, 2, 2, 32, 32, 16, 8, 16, 128, 4, 2, 64, (32, 1, 2, 64)),  # tests only
        "small": (256, 4, 4, 128, 96, 32, 16, 32, 768, 8, 2, 256, (128, 3, 4, 512)),
        "base": (384, 6, 6, 192, 128, 32, 16, 32, 1024, 16, 2, 256, (192, 4, 4, 768)),
    }[size]
    h, layers, heads, q_lora, kv_lora, nope, rope, v, dense_i, experts, topk, expert_i, vit = dims
    vt_hidden, vt_layers, vt_heads, vt_inter = vit
    text = {
        "model_type": "kimi_k2",
        "architectures": ["DeepseekV3ForCausalLM"],
        "vocab_size": vocab_size,
        "hidden_size": h,
        "num_hidden_layers": layers,
        "intermediate_size": dense_i,
        "moe_intermediate_size": expert_i,
        "num_attention_heads": heads,
        "num_key_value_heads": heads,
        "q_lora_rank": q_lora,
        "kv_lora_rank": kv_lora,
        "qk_nope_head_dim": nope,
        "qk_rope_head_dim": rope,
        "v_head_dim": v,
        "n_routed_experts": experts,
        "num_experts_per_tok": topk,
        "n_shared_experts": 1,
        "first_k_dense_replace": 1,
        "moe_layer_freq": 1,
        "routed_scaling_factor": 2.827,
        "scoring_func": "sigmoid",
        "topk_method": "noaux_tc",
        "n_group": 1,
        "topk_group": 1,
        "norm_topk_prob": True,
        "hidden_act": "silu",
        "attention_bias": False,
        "max_position_embeddings": 16384,
        "rope_theta": 50000.0,
        "rope_scaling": {
            "type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096,
            "beta_fast": 32.0, "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0,
        },
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False,
        "num_nextn_predict_layers": 0,
        "bos_token_id": n,
        "eos_token_id": n + 1,
        "pad_token_id": n + 255,
        "torch_dtype": "bfloat16",
        "quantization_config": k25_quantization_config(),
    }
    vision = {
        "patch_size": 14,
        "vt_hidden_size": vt_hidden,
        "vt_num_hidden_layers": vt_layers,
        "vt_num_attention_heads": vt_heads,
        "vt_intermediate_size": vt_inter,
        "init_pos_emb_height": 64,
        "init_pos_emb_width": 64,
        "init_pos_emb_time": 4,
        "pos_emb_type": "divided_fixed",
        "merge_kernel_size": [2, 2],
        "merge_type": "sd2_tpool",
        "video_attn_type": "spatial_temporal",
        "mm_projector_type": "patchmerger",
        "mm_hidden_size": vt_hidden,
        "text_hidden_size": h,
        "projector_hidden_act": "gelu",
        "projector_ln_eps": 1e-5,
    }
    return {
        "model_type": "kimi_k25",
        "architectures": ["KimiK25ForConditionalGeneration"],
        "text_config": text,
        "vision_config": vision,
        "bos_token_id": n,
        "eos_token_id": n + 1,
        "pad_token_id": n + 255,
        "media_placeholder_token_id": n + 21,
        "ignore_index": -100,
        "use_unified_vision_chunk": True,
        "video_placeholder": "<|kimi_k25_video_placeholder|>",
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
        "quantization_config": k25_quantization_config(),
    }


def unquantized(config: dict) -> dict:
    """The same config without `quantization_config` (training builds dense experts; export quantizes)."""
    out = copy.deepcopy(config)
    out.pop("quantization_config", None)
    out["text_config"].pop("quantization_config", None)
    return out
