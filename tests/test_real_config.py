"""The full Kimi K2.5 built on `meta` from the shipped config.json: every text tensor has exactly the name, shape and
dtype of spec §4.2, the counts match (60·(384·9+14) + 12 + 3 text tensors) and the parameter totals match spec §8
(bf16 text 11.72B, routed experts 1,014.7B counted as unpacked INT4 weights). Expected values are written here from
the spec's numbers, not derived from the model code."""
import pytest
import torch

from model.build import build_model
from model.config import load_config
from model.linear import Int4Linear
from model.model import KimiK2ForCausalLM

K25 = "assets/configs/kimi-k2.5.json"
N_TEXT_TENSORS = 60 * (384 * 9 + 14) + 12 + 3            # = 208,215


def spec_text_tensors() -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """Spec §4.2 with K2.5's numbers, without the `language_model.` prefix."""
    bf16, i32, f32 = torch.bfloat16, torch.int32, torch.float32
    out = {"model.embed_tokens.weight": ((163840, 7168), bf16), "model.norm.weight": ((7168,), bf16),
           "lm_head.weight": ((163840, 7168), bf16)}
    for layer in range(61):
        p = f"model.layers.{layer}."
        out.update({
            p + "input_layernorm.weight": ((7168,), bf16),
            p + "post_attention_layernorm.weight": ((7168,), bf16),
            p + "self_attn.q_a_proj.weight": ((1536, 7168), bf16),
            p + "self_attn.q_a_layernorm.weight": ((1536,), bf16),
            p + "self_attn.q_b_proj.weight": ((12288, 1536), bf16),
            p + "self_attn.kv_a_proj_with_mqa.weight": ((576, 7168), bf16),
            p + "self_attn.kv_a_layernorm.weight": ((512,), bf16),
            p + "self_attn.kv_b_proj.weight": ((16384, 512), bf16),
            p + "self_attn.o_proj.weight": ((7168, 8192), bf16),
        })
        if layer == 0:
            out.update({p + "mlp.gate_proj.weight": ((18432, 7168), bf16),
                        p + "mlp.up_proj.weight": ((18432, 7168), bf16),
                        p + "mlp.down_proj.weight": ((7168, 18432), bf16)})
            continue
        out.update({
            p + "mlp.gate.weight": ((384, 7168), bf16),
            p + "mlp.gate.e_score_correction_bias": ((384,), f32),
            p + "mlp.shared_experts.gate_proj.weight": ((2048, 7168), bf16),
            p + "mlp.shared_experts.up_proj.weight": ((2048, 7168), bf16),
            p + "mlp.shared_experts.down_proj.weight": ((7168, 2048), bf16),
        })
        for e in range(384):
            q = f"{p}mlp.experts.{e}."
            for proj in ("gate_proj", "up_proj"):
                out[q + proj + ".weight_packed"] = ((2048, 896), i32)
                out[q + proj + ".weight_scale"] = ((2048, 224), bf16)
                out[q + proj + ".weight_shape"] = ((2,), i32)
            out[q + "down_proj.weight_packed"] = ((7168, 256), i32)
            out[q + "down_proj.weight_scale"] = ((7168, 64), bf16)
            out[q + "down_proj.weight_shape"] = ((2,), i32)
    return out


@pytest.fixture(scope="module")
def k25():
    """The full multimodal model on meta (one ~10 s CPU build shared by every test here)."""
    return build_model(load_config(K25), device="meta")


@pytest.fixture(scope="module")
def k25_sd(k25):
    return k25.state_dict()


@pytest.fixture(scope="module")
def spec():
    return spec_text_tensors()


def _check(sd: dict, spec: dict, prefix: str = ""):
    got = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
    missing = sorted(set(spec) - set(got))
    extra = sorted(set(got) - set(spec))
    assert not missing and not extra, (missing[:3], extra[:3])
    bad = [(k, tuple(got[k].shape), got[k].dtype, spec[k]) for k in spec
           if (tuple(got[k].shape), got[k].dtype) != spec[k]]
    assert not bad, bad[:3]


def test_spec_tensor_count():
    assert len(spec_text_tensors()) == N_TEXT_TENSORS == 208215


def test_text_model_tensors_exactly_spec(k25):
    """The text decoder alone (what a kimi_k2 / deepseek_v3 checkpoint builds) on the K2.5 text_config."""
    text = k25.language_model
    assert isinstance(text, KimiK2ForCausalLM) and text.config == load_config(K25).text
    sd = text.state_dict()
    assert len(sd) == N_TEXT_TENSORS
    _check(sd, spec_text_tensors())


def test_multimodal_text_tensors_carry_language_model_prefix(k25, k25_sd, spec):
    assert isinstance(k25.language_model, KimiK2ForCausalLM)
    sd = k25_sd
    text = [k for k in sd if k.startswith("language_model.")]
    assert len(text) == N_TEXT_TENSORS
    _check(sd, spec, prefix="language_model.")
    others = [k for k in sd if not k.startswith("language_model.")]
    assert all(k.startswith(("vision_tower.", "mm_projector.")) for k in others)
    assert len(sd) == 208550                                 # spec §4.2 grand total with vision + projector


def test_parameter_counts_match_spec(k25):
    text = k25.language_model
    dense = sum(p.numel() for p in text.parameters())
    routed = sum(m.in_features * m.out_features for m in text.modules() if isinstance(m, Int4Linear))
    assert routed == 60 * 384 * 3 * 2048 * 7168
    assert routed / 1e9 == pytest.approx(1014.7, abs=0.05)
    assert dense / 1e9 == pytest.approx(11.72, abs=0.005)
    assert (dense + routed) / 1e9 == pytest.approx(1026.4, abs=0.05)
    attn = sum(p.numel() for p in text.model.layers[5].self_attn.parameters())
    assert attn / 1e6 == pytest.approx(101.1, abs=0.05)
    # active per token: everything but the 376 idle experts per MoE layer and one of the two embeddings
    idle = 60 * 376 * 3 * 2048 * 7168
    active = dense + routed - idle - 163840 * 7168
    assert active / 1e9 == pytest.approx(31.7, abs=0.05)


def test_no_persistent_runtime_buffers(k25_sd):
    names = list(k25_sd)
    assert not any("inv_freq" in n or "cos" in n or "weight_dense" in n for n in names)


def test_cache_width_and_bytes():
    cfg = load_config(K25).text
    assert cfg.kv_cache_width == 576
    assert cfg.num_hidden_layers * cfg.kv_cache_width * 2 == 70272      # bf16 bytes per token, spec §2.5
