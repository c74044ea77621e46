"""`uicode quantize`: a float checkpoint → K2.5's INT4 layout, checked against compressed-tensors.

The written experts must be bit-identical to compressed-tensors' own quantization of the stored bf16
weights; everything the K2.5 ignore list excludes (attention, shared experts, the dense MLP, the router,
lm_head) and everything that is not a Linear (embeddings, norms, vision) must be copied unchanged; the
loaded result must reproduce the transformers reference with the same INT4 round trip applied.
"""
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from ckpt_factory import (K25_QUANTIZATION_CONFIG, checkpoint_tensors, ct_quantize, make_reference_model,
                          quantized_reference, text_config_dict, tiny_k25_config_dict, write_text_checkpoint)
from model import load_model
from model.checkpoint import save_checkpoint
from model.quantize import main, parse_size, quantize_checkpoint, quantize_state_dict

REPO = Path(__file__).resolve().parents[1]


def read_all(path: Path) -> dict[str, torch.Tensor]:
    """Every tensor of a checkpoint directory, through safetensors' own reader."""
    out = {}
    for shard in sorted(path.glob("*.safetensors")):
        with safe_open(str(shard), framework="pt") as f:
            out.update({k: f.get_tensor(k) for k in f.keys()})
    return out


def rel_err(a, b):
    return ((a - b).norm() / b.norm()).item()


@pytest.fixture(scope="module")
def ref():
    return make_reference_model(seed=11)


@pytest.fixture(scope="module")
def src(ref, tmp_path_factory):
    """An unquantized bf16 checkpoint of the reference, with a tokenizer file beside it."""
    path = write_text_checkpoint(ref, tmp_path_factory.mktemp("src") / "bf16", quantize=False,
                                 dtype=torch.bfloat16, shards=2)
    (path / "tiktoken.model").write_text("AA== 0\n")
    return path


@pytest.fixture(scope="module")
def dst(src, tmp_path_factory):
    return quantize_checkpoint(src, tmp_path_factory.mktemp("dst") / "int4")


def test_only_routed_experts_are_quantized(src, dst):
    before, after = read_all(src), read_all(dst)
    packed = sorted(k for k in after if k.endswith("weight_packed"))
    experts = sorted(k for k in before if ".mlp.experts." in k)
    assert packed == sorted(k.replace(".weight", ".weight_packed") for k in experts)
    assert len(packed) == 2 * 8 * 3                                  # 2 MoE layers × 8 experts × 3
    for name, t in before.items():
        if name in experts:
            assert name not in after
            continue
        # attention, shared experts, dense MLP, router (+ bias), lm_head, embeddings, norms: unchanged
        assert after[name].dtype == t.dtype and torch.equal(after[name], t), name
    kinds = {"self_attn.q_b_proj", "shared_experts.down_proj", "layers.0.mlp.gate_proj", "mlp.gate.weight",
             "e_score_correction_bias", "lm_head", "embed_tokens", "input_layernorm"}
    for kind in kinds:
        names = [k for k in after if kind in k]
        assert names and all(not k.endswith(("packed", "scale", "shape")) for k in names), kind
    assert after["model.layers.1.mlp.gate.e_score_correction_bias"].dtype == torch.float32
    assert after["model.layers.1.self_attn.o_proj.weight"].dtype == torch.bfloat16


def test_experts_bit_identical_to_compressed_tensors(src, dst):
    before, after = read_all(src), read_all(dst)
    for name in (k for k in before if ".mlp.experts." in k):
        packed, scale, shape, _ = ct_quantize(before[name].float())
        base = name[: -len("weight")]
        assert torch.equal(after[base + "weight_packed"], packed), name
        assert after[base + "weight_scale"].dtype == torch.bfloat16
        assert torch.equal(after[base + "weight_scale"], scale), name
        assert after[base + "weight_shape"].dtype == torch.int32
        assert torch.equal(after[base + "weight_shape"], shape), name


def test_config_and_other_files(src, dst):
    cfg = json.loads((dst / "config.json").read_text())
    assert cfg["quantization_config"] == K25_QUANTIZATION_CONFIG
    src_cfg = json.loads((src / "config.json").read_text())
    assert {k: v for k, v in cfg.items() if k != "quantization_config"} == src_cfg
    assert (dst / "tiktoken.model").read_text() == "AA== 0\n"
    index = json.loads((dst / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"]) == set(read_all(dst))


def test_quantized_checkpoint_loads_close_to_the_float_model(ref, dst):
    ids = torch.randint(0, ref.config.vocab_size, (2, 10), generator=torch.Generator().manual_seed(1))
    # Oracle: the reference with bf16-rounded weights (the source file) and INT4-round-tripped experts.
    bf16_ref = copy.deepcopy(ref)
    with torch.no_grad():
        for p in bf16_ref.parameters():
            p.copy_(p.bfloat16().float())
        oracle = quantized_reference(bf16_ref)(ids).logits
        unquantized = bf16_ref(ids).logits
        got = load_model(dst, expert_mode="dequantized")(ids)
    assert rel_err(got, oracle) < 2e-3
    assert rel_err(got, unquantized) < 0.1                   # close to the float model...
    assert (got.argmax(-1) == unquantized.argmax(-1)).float().mean() > 0.8


def test_quantize_state_dict_kimi_k25_layout_keeps_vision_float(ref, tmp_path):
    cfg = tiny_k25_config_dict(with_vision=True)
    del cfg["quantization_config"], cfg["text_config"]["quantization_config"]
    cfg["text_config"]["vocab_size"] = ref.config.vocab_size
    sd = checkpoint_tensors(ref, layout="kimi_k25", quantize=False, dtype=torch.bfloat16)
    sd["vision_tower.encoder.blocks.0.wqkv.weight"] = torch.randn(96, 32).bfloat16()
    sd["mm_projector.proj.0.weight"] = torch.randn(128, 128).bfloat16()
    out = quantize_state_dict(sd, cfg)
    assert "vision_tower.encoder.blocks.0.wqkv.weight" in out and "mm_projector.proj.0.weight" in out
    assert "language_model.model.layers.2.mlp.experts.7.down_proj.weight_packed" in out
    assert "language_model.lm_head.weight" in out
    assert not any(k.endswith("packed") and "experts" not in k for k in out)

    src = save_checkpoint(tmp_path / "k25", sd, cfg, num_shards=2)
    dst = quantize_checkpoint(src, tmp_path / "k25-int4")
    written = json.loads((dst / "config.json").read_text())
    assert written["quantization_config"] == K25_QUANTIZATION_CONFIG
    assert written["text_config"]["quantization_config"] == K25_QUANTIZATION_CONFIG
    assert set(read_all(dst)) == set(out)


def test_cli_exit_codes_and_one_line_errors(src, tmp_path, capsys):
    assert main([str(src), str(tmp_path / "a"), "-q"]) == 0
    assert (tmp_path / "a" / "config.json").is_file()
    capsys.readouterr()
    cases = [
        ([str(src), str(tmp_path / "a")], 2, "already exists"),             # DST exists
        ([str(tmp_path / "none"), str(tmp_path / "b")], 2, "not a checkpoint directory"),
        ([str(src)], 2, "required"),                                          # usage
        ([str(src), str(tmp_path / "c"), "--max-shard-size", "lots"], 2, "not a size"),
        ([str(tmp_path / "a"), str(tmp_path / "d"), "-q"], 3, "already has a quantization_config"),
    ]
    for argv, code, text in cases:
        assert main(argv) == code, argv
        err = capsys.readouterr().err.strip()
        assert text in err and "\n" not in err, err
    shard = next((tmp_path / "a").glob("model-*.safetensors"))
    broken = tmp_path / "broken"
    save_checkpoint(broken, {"x": torch.zeros(2)}, json.loads((src / "config.json").read_text()))
    (broken / next(broken.glob("model-*")).name).write_bytes(shard.read_bytes()[:50])
    assert main([str(broken), str(tmp_path / "e"), "-q"]) == 3
    err = capsys.readouterr().err.strip()
    assert "truncated" in err and "\n" not in err
    assert not (tmp_path / "e").exists()


def test_python_dash_m(src, tmp_path):
    out = tmp_path / "m"
    r = subprocess.run([sys.executable, "-m", "model.quantize", str(src), str(out), "--max-shard-size", "20KB"],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(list(out.glob("model-*-of-*.safetensors"))) > 1            # the byte budget split it
    assert "wrote" in r.stderr


def test_parse_size():
    assert parse_size("4GB") == 4 * 10**9 and parse_size("500MiB") == 500 * 2**20 and parse_size("12") == 12


def test_real_k25_config_quantizes_exactly_the_routed_experts():
    """On K2.5's own config (3 layers kept so the meta build is quick): the ignore list + Linear rule
    select exactly the 384 × 3 routed-expert projections of each MoE layer, under every name layout."""
    from model import build_model, load_config
    from model.loading import module_name
    from model.quantize import quantized_config_dict, to_quantize

    raw = json.loads((REPO / "assets/configs/kimi-k2.5.json").read_text())
    raw["text_config"]["num_hidden_layers"] = 3
    parsed = load_config(raw)
    sd = build_model(parsed, device="meta").state_dict()
    src = copy.deepcopy(raw)
    del src["quantization_config"]
    src["text_config"].pop("quantization_config", None)
    target = load_config(quantized_config_dict(src))
    # The float checkpoint's names: each INT4 triple is one `.weight` of the dense shape.
    float_names = {}
    for name, t in sd.items():
        if name.endswith("weight_packed"):
            n = name[: -len("_packed")]
            float_names[n] = (t.shape[0], t.shape[1] * 8)
        elif not name.endswith(("weight_scale", "weight_shape")):
            float_names[name] = tuple(t.shape)
    chosen = {n for n, shape in float_names.items() if to_quantize(n, shape, target)}
    experts = {n for n in float_names if re_expert(n)}
    assert chosen == experts and len(chosen) == 2 * 384 * 3
    # The same decision on the legacy and text-only spellings of the names.
    for n in list(float_names)[:400]:
        legacy = "language_model." + n[len("language_model.model."):] if ".model.layers." in n else n
        assert module_name(legacy, multimodal=True) == n
        assert to_quantize(legacy, float_names[n], target) == (n in chosen)


def re_expert(name):
    import re
    return re.fullmatch(r"language_model\.model\.layers\.[12]\.mlp\.experts\.\d+\.(gate|up|down)_proj\.weight",
                        name) is not None
