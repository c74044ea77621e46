"""Config parsing: both checkpoint forms, both RoPE spellings, null q_lora_rank, the quantization ignore list,
and one-line `ConfigError`s that name the file and the field for every missing or ill-typed value."""
import copy
import dataclasses
import json

import pytest
import torch

from model.config import K25Config, TextConfig, load_config
from uicode.errors import ConfigError, UicodeError

K25_PATH = "assets/configs/kimi-k2.5.json"


def k25_dict() -> dict:
    with open(K25_PATH) as fh:
        return json.load(fh)


def tiny_text(**over) -> dict:
    cfg = {"model_type": "kimi_k2", "vocab_size": 64, "hidden_size": 32, "num_hidden_layers": 3,
           "intermediate_size": 48, "max_position_embeddings": 8192, "num_attention_heads": 2,
           "num_key_value_heads": 2, "q_lora_rank": 16, "kv_lora_rank": 8, "qk_nope_head_dim": 8,
           "qk_rope_head_dim": 4, "v_head_dim": 8, "n_routed_experts": 4, "num_experts_per_tok": 2,
           "moe_intermediate_size": 8, "n_shared_experts": 1, "first_k_dense_replace": 1,
           "rope_theta": 50000.0,
           "rope_scaling": {"type": "yarn", "factor": 64.0, "original_max_position_embeddings": 4096,
                            "beta_fast": 32.0, "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0}}
    cfg.update(over)
    return cfg


# ---- the two forms ---------------------------------------------------------------------------------------------

def test_real_k25_config():
    cfg = load_config(K25_PATH)
    assert isinstance(cfg, K25Config) and isinstance(cfg.text, TextConfig)
    t, v = cfg.text, cfg.vision
    assert (t.hidden_size, t.num_hidden_layers, t.n_routed_experts, t.num_experts_per_tok) == (7168, 61, 384, 8)
    assert (t.q_lora_rank, t.kv_lora_rank, t.qk_nope_head_dim, t.qk_rope_head_dim, t.v_head_dim) == \
        (1536, 512, 128, 64, 128)
    assert (t.rms_norm_eps, t.routed_scaling_factor, t.vocab_size, t.dtype) == (1e-5, 2.827, 163840, "bfloat16")
    assert (t.scoring_func, t.topk_method, t.n_group, t.topk_group, t.norm_topk_prob) == \
        ("sigmoid", "noaux_tc", 1, 1, True)
    assert t.rope.type == "yarn" and (t.rope.theta, t.rope.factor, t.rope.beta_fast, t.rope.beta_slow) == \
        (50000.0, 64.0, 32.0, 1.0)
    assert t.kv_cache_width == 576
    assert [t.is_moe_layer(i) for i in (0, 1, 60)] == [False, True, True]
    assert (cfg.bos_token_id, cfg.eos_token_id, cfg.pad_token_id, cfg.media_placeholder_token_id) == \
        (163584, 163585, 163839, 163605)
    assert (v.patch_size, v.vt_hidden_size, v.vt_num_hidden_layers, v.vt_num_attention_heads,
            v.vt_intermediate_size, v.head_dim) == (14, 1152, 27, 16, 4304, 72)
    assert v.merge_kernel_size == (2, 2) and v.merge_type == "sd2_tpool" and v.text_hidden_size == 7168
    assert cfg.quantization.group_size == 32 and cfg.quantization == t.quantization
    assert cfg.raw["text_config"]["rope_parameters"]["factor"] == 64.0     # raw kept for re-saving


def test_text_form_and_directory_path(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(tiny_text()))
    cfg = load_config(tmp_path)
    assert isinstance(cfg, TextConfig) and cfg.model_type == "kimi_k2" and cfg.quantization is None
    assert load_config(tmp_path / "config.json") == cfg == load_config(tiny_text())


def test_deepseek_v3_text_config_from_transformers():
    tf = pytest.importorskip("transformers")
    d = tf.DeepseekV3Config(num_hidden_layers=2, n_routed_experts=8, num_experts_per_tok=2,
                            rope_parameters={"rope_type": "yarn", "rope_theta": 50000.0, "factor": 64.0,
                                             "original_max_position_embeddings": 4096}).to_dict()
    cfg = load_config(d)
    assert cfg.model_type == "deepseek_v3" and cfg.rope.theta == 50000.0 and cfg.rope.factor == 64.0


def test_config_is_frozen():
    cfg = load_config(tiny_text())
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.hidden_size = 1


def test_moe_layer_freq_and_dense_prefix():
    cfg = load_config(tiny_text(num_hidden_layers=6, first_k_dense_replace=2, moe_layer_freq=2))
    assert [cfg.is_moe_layer(i) for i in range(6)] == [False, False, True, False, True, False]


def test_eos_list_becomes_tuple():
    assert load_config(tiny_text(eos_token_id=[1, 2])).eos_token_id == (1, 2)


# ---- rope spellings --------------------------------------------------------------------------------------------

YARN = {"factor": 64.0, "original_max_position_embeddings": 4096, "beta_fast": 32.0, "beta_slow": 1.0,
        "mscale": 1.0, "mscale_all_dim": 1.0}


@pytest.mark.parametrize("spelling", [
    {"rope_theta": 50000.0, "rope_scaling": {"type": "yarn", **YARN}},
    {"rope_theta": 50000.0, "rope_scaling": {"rope_type": "yarn", **YARN}},
    {"rope_parameters": {"rope_type": "yarn", "rope_theta": 50000.0, **YARN}},
    {"rope_parameters": {"rope_type": "yarn", "type": "yarn", "rope_theta": 50000.0, **YARN}, "rope_theta": 1.0},
])
def test_rope_spellings_agree(spelling):
    base = {k: v for k, v in tiny_text().items() if k not in ("rope_theta", "rope_scaling")}
    cfg = load_config({**base, **spelling})
    assert cfg.rope == load_config(tiny_text()).rope
    assert cfg.rope.theta == 50000.0 and cfg.rope.mscale_all_dim == 1.0
    assert cfg.softmax_scale == pytest.approx(12 ** -0.5 * (0.1 * 4.1588830833596715 + 1) ** 2)


def test_no_rope_block_is_plain_rope():
    cfg = load_config(tiny_text(rope_scaling=None, rope_theta=10000.0))
    assert cfg.rope.type == "default" and cfg.rope.theta == 10000.0 and cfg.softmax_scale == 12 ** -0.5


def test_rope_conflicts_and_unknown_types_are_named():
    with pytest.raises(ConfigError, match=r"rope_scaling\.type"):
        load_config(tiny_text(rope_scaling={"type": "yarn", "rope_type": "linear", **YARN}))
    with pytest.raises(ConfigError, match=r"rope_scaling\.rope_type.*'dynamic'"):
        load_config(tiny_text(rope_scaling={"rope_type": "dynamic", "factor": 2.0}))


# ---- q_lora_rank null -------------------------------------------------------------------------------------------

def test_null_q_lora_rank_builds_q_proj():
    from model.build import build_model
    cfg = load_config(tiny_text(q_lora_rank=None))
    assert cfg.q_lora_rank is None
    m = build_model(cfg, device="cpu", dtype=torch.float32)
    names = set(m.state_dict())
    assert "model.layers.0.self_attn.q_proj.weight" in names
    assert not any("q_a_proj" in n or "q_b_proj" in n or "q_a_layernorm" in n for n in names)
    assert m.state_dict()["model.layers.0.self_attn.q_proj.weight"].shape == (2 * 12, 32)
    with torch.no_grad():
        assert m(torch.tensor([[1, 2, 3]])).shape == (1, 3, 64)


def test_a_model_built_on_meta_draws_no_numbers_and_on_cpu_its_embedding_is_standard_normal(monkeypatch):
    """Every conversion builds the model on meta first; torch's meta `normal_` costs 1.6 s a process."""
    from model.build import build_model

    cfg = load_config(tiny_text(vocab_size=4000, hidden_size=64))
    draw = torch.nn.init.normal_

    def no_meta(tensor, *a, **k):
        assert not tensor.is_meta, "random numbers drawn for a tensor on meta"
        return draw(tensor, *a, **k)

    monkeypatch.setattr(torch.nn.init, "normal_", no_meta)
    build_model(cfg, device="meta")
    torch.manual_seed(0)
    w = build_model(cfg, device="cpu", dtype=torch.float32).model.embed_tokens.weight.detach().double()
    assert w.shape == (4000, 64) and abs(w.mean().item()) < 0.01 and abs(w.std().item() - 1.0) < 0.01


# ---- quantization ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,quantized", [
    ("model.layers.1.mlp.experts.0.gate_proj", True),
    ("model.layers.60.mlp.experts.383.down_proj", True),
    ("language_model.model.layers.5.mlp.experts.7.up_proj", True),
    ("model.layers.0.mlp.gate_proj", False),          # dense layer-0 MLP: `mlp.` followed by gate_proj
    ("model.layers.1.mlp.shared_experts.up_proj", False),
    ("model.layers.1.self_attn.q_b_proj", False),
    ("model.layers.1.self_attn.kv_b_proj", False),
    ("lm_head", False),
    ("language_model.lm_head", False),
    ("vision_tower.encoder.blocks.0.wqkv", False),
    ("mm_projector.proj.0", False),
])
def test_is_quantized_follows_the_ignore_list(name, quantized):
    cfg = load_config(K25_PATH)
    assert cfg.is_quantized(name) is quantized
    assert cfg.text.is_quantized(name) is quantized


def test_text_inherits_top_level_quantization():
    d = k25_dict()
    del d["text_config"]["quantization_config"]
    assert load_config(d).text.is_quantized("model.layers.1.mlp.experts.0.up_proj")


def test_unsupported_quantization_is_named():
    with pytest.raises(ConfigError, match=r"'quantization_config\.quant_method'.*fp8"):
        load_config(tiny_text(quantization_config={"quant_method": "fp8", "weight_block_size": [128, 128]}))
    d = k25_dict()
    d["quantization_config"]["config_groups"]["group_0"]["weights"]["num_bits"] = 8
    with pytest.raises(ConfigError, match=r"quantization_config\.config_groups\.group_0\.weights\.num_bits"):
        load_config(d)


# ---- errors ---------------------------------------------------------------------------------------------------

REQUIRED_TEXT = ["vocab_size", "hidden_size", "num_hidden_layers", "intermediate_size", "max_position_embeddings",
                 "num_attention_heads", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim",
                 "v_head_dim", "num_experts_per_tok", "moe_intermediate_size"]


@pytest.mark.parametrize("field", REQUIRED_TEXT)
def test_missing_text_field_names_file_and_field(tmp_path, field):
    d = tiny_text()
    del d[field]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert str(path) in msg and f"'{field}'" in msg and "missing" in msg and "\n" not in msg


@pytest.mark.parametrize("field", ["hidden_size", "num_hidden_layers", "qk_rope_head_dim", "media_placeholder"])
def test_missing_k25_field_names_nested_path(tmp_path, field):
    d = k25_dict()
    if field == "media_placeholder":
        del d["media_placeholder_token_id"]
        dotted = "media_placeholder_token_id"
    else:
        del d["text_config"][field]
        dotted = f"text_config.{field}"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ConfigError, match=rf"{path}: field '{dotted}' is missing"):
        load_config(path)


@pytest.mark.parametrize("field", ["vt_hidden_size", "patch_size", "vt_num_attention_heads"])
def test_missing_vision_field(field):
    d = k25_dict()
    del d["vision_config"][field]
    with pytest.raises(ConfigError, match=rf"'vision_config\.{field}' is missing"):
        load_config(d)


@pytest.mark.parametrize("path,value,expect", [
    (("hidden_size",), "7168", "must be an integer, got str"),
    (("num_hidden_layers",), True, "must be an integer, got bool"),
    (("num_hidden_layers",), 3.0, "must be an integer, got float"),
    (("rms_norm_eps",), "1e-5", "must be a number, got str"),
    (("norm_topk_prob",), 1, "must be a boolean, got int"),
    (("scoring_func",), "relu", "must be one of"),
    (("rope_scaling", "factor"), "64", "must be a number"),
    (("rope_scaling",), [1, 2], "must be an object"),
    (("num_attention_heads",), 0, "must be >= 1"),
    (("q_lora_rank",), "1536", "must be an integer"),
])
def test_ill_typed_text_field_is_named(path, value, expect):
    d = tiny_text()
    target = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ConfigError) as err:
        load_config(d)
    msg = str(err.value)
    assert f"'{'.'.join(path)}'" in msg and expect in msg, msg


@pytest.mark.parametrize("mutate,expect", [
    (lambda d: d["text_config"].__setitem__("kv_lora_rank", "512"), "'text_config.kv_lora_rank' must be an integer"),
    (lambda d: d["vision_config"].__setitem__("merge_kernel_size", [2]), "'vision_config.merge_kernel_size'"),
    (lambda d: d["vision_config"].__setitem__("projector_ln_eps", None), "'vision_config.projector_ln_eps'"),
    (lambda d: d.__setitem__("text_config", []), "'text_config' must be an object"),
    (lambda d: d["text_config"].__setitem__("model_type", "llama"), "'text_config.model_type'"),
    (lambda d: d["text_config"].__setitem__("num_experts_per_tok", 500), "'text_config.num_experts_per_tok'"),
    (lambda d: d["text_config"].__setitem__("topk_group", 2), "'text_config.topk_group'"),
])
def test_ill_typed_k25_field_is_named(mutate, expect):
    d = copy.deepcopy(k25_dict())
    mutate(d)
    with pytest.raises(ConfigError) as err:
        load_config(d)
    assert expect in str(err.value)


def test_bad_files_and_model_types(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text('{"model_type": "kimi_k2",')
    with pytest.raises(ConfigError, match=rf"{bad}: not valid JSON"):
        load_config(bad)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.json")
    with pytest.raises(ConfigError, match=r"'model_type' is missing"):
        load_config({k: v for k, v in tiny_text().items() if k != "model_type"})
    with pytest.raises(ConfigError, match=r"'model_type' is 'llama'"):
        load_config(tiny_text(model_type="llama"))
    bad.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="top level must be a JSON object"):
        load_config(bad)
    assert issubclass(ConfigError, UicodeError)
