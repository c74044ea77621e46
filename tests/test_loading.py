"""load_model on checkpoints written from transformers' DeepseekV3 with compressed-tensors INT4 experts.

The oracle is the transformers reference model with its routed-expert weights replaced by
compressed-tensors' dequantized INT4 values (fp32); our loaded model must reproduce its logits in every
layout (text-only `kimi_k2`, the kimi_k25 `language_model.` prefix, the legacy `language_model.layers.`
prefix), sharded or single-file, packed or dequantized experts. The files themselves are checked with
safetensors' own reader.
"""
import json
import re

import pytest
import torch

from ckpt_factory import (checkpoint_tensors, make_reference_model, quantized_reference, text_config_dict,
                          write_text_checkpoint)
from model import load_model
from model import loading
from model.checkpoint import Deferred, save_checkpoint
from model.linear import Int4Linear
from uicode.errors import CheckpointError

REL_TOL = 2e-3


def rel_err(a, b):
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


@pytest.fixture(scope="module")
def ref():
    return make_reference_model(seed=3)


@pytest.fixture(scope="module")
def oracle(ref):
    """(input ids, logits of the INT4-dequantized reference, logits of the unquantized reference)."""
    ids = torch.randint(0, ref.config.vocab_size, (2, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return ids, quantized_reference(ref)(ids).logits, ref(ids).logits


@pytest.fixture(scope="module")
def k2_dir(ref, tmp_path_factory):
    return write_text_checkpoint(ref, tmp_path_factory.mktemp("ckpt") / "k2", layout="kimi_k2", shards=3)


def logits_of(path, ids, **kw):
    m = load_model(path, **kw)
    with torch.no_grad():
        return m(ids)


def test_sharded_kimi_k2_matches_int4_reference(k2_dir, oracle):
    ids, want, unquantized = oracle
    got = logits_of(k2_dir, ids, expert_mode="dequantized")
    assert got.shape == want.shape and got.dtype == torch.float32
    assert rel_err(got, want) < REL_TOL
    # The INT4 round trip matters at this scale, so matching `want` really tests the INT4 path.
    assert rel_err(unquantized, want) > 10 * REL_TOL


def test_shard_files_follow_k25_naming_and_index(k2_dir):
    from safetensors import safe_open

    names = sorted(p.name for p in k2_dir.glob("*.safetensors"))
    assert names == [f"model-0000{i}-of-000003.safetensors" for i in (1, 2, 3)]
    index = json.loads((k2_dir / "model.safetensors.index.json").read_text())
    total = 0
    for shard in names:
        with safe_open(str(k2_dir / shard), framework="pt") as f:    # the reference reader
            keys = set(f.keys())
            assert keys == {k for k, v in index["weight_map"].items() if v == shard}
            total += sum(f.get_tensor(k).numel() * f.get_tensor(k).element_size() for k in keys)
    assert index["metadata"]["total_size"] == total
    with safe_open(str(k2_dir / names[1]), framework="pt") as f:
        packed = [k for k in f.keys() if k.endswith("weight_packed")]
        assert packed and f.get_tensor(packed[0]).dtype == torch.int32
        assert f.get_tensor(packed[0].replace("packed", "shape")).dtype == torch.int32
        assert f.get_tensor(packed[0].replace("packed", "scale")).dtype == torch.bfloat16


@pytest.mark.parametrize("layout", ["kimi_k25", "legacy"])
def test_prefixed_layouts_give_the_same_logits(ref, oracle, k2_dir, layout, tmp_path):
    ids, want, _ = oracle
    path = write_text_checkpoint(ref, tmp_path / layout, layout=layout, shards=2)
    names = json.loads((path / "model.safetensors.index.json").read_text())["weight_map"]
    prefix = "language_model.layers.0." if layout == "legacy" else "language_model.model.layers.0."
    assert any(n.startswith(prefix) for n in names)
    got = logits_of(path, ids, expert_mode="dequantized")
    assert torch.allclose(got, logits_of(k2_dir, ids, expert_mode="dequantized"), rtol=0, atol=1e-6)
    assert rel_err(got, want) < REL_TOL


def test_single_file_checkpoint(ref, oracle, tmp_path):
    ids, want, _ = oracle
    path = write_text_checkpoint(ref, tmp_path / "single", single_file=True)
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors"]
    assert rel_err(logits_of(path, ids, expert_mode="dequantized"), want) < REL_TOL


def test_packed_experts_give_the_same_logits(k2_dir, oracle):
    ids, want, _ = oracle
    m = load_model(k2_dir, expert_mode="packed")
    experts = [x for x in m.modules() if isinstance(x, Int4Linear)]
    assert experts and all(x.weight_dense is None for x in experts)
    with torch.no_grad():
        got = m(ids[:, :4])
    assert rel_err(got, want[:, :4]) < REL_TOL


def test_bf16_checkpoint_loads_in_fp32_on_cpu(ref, tmp_path):
    path = write_text_checkpoint(ref, tmp_path / "bf16", dtype=torch.bfloat16, shards=2)
    m = load_model(path, expert_mode="packed")
    sd = m.state_dict()
    assert sd["model.embed_tokens.weight"].dtype == torch.float32
    assert sd["model.layers.1.self_attn.q_b_proj.weight"].dtype == torch.float32
    assert sd["model.layers.1.mlp.gate.e_score_correction_bias"].dtype == torch.float32
    assert sd["model.layers.1.mlp.experts.0.up_proj.weight_scale"].dtype == torch.bfloat16
    assert sd["model.layers.1.mlp.experts.0.up_proj.weight_packed"].dtype == torch.int32
    # The cast is exact: fp32 values equal the stored bf16 ones.
    want = ref.model.layers[1].self_attn.q_b_proj.weight.detach().bfloat16().float()
    assert torch.equal(sd["model.layers.1.self_attn.q_b_proj.weight"], want)


def test_int64_weight_shape_is_accepted(ref, oracle, tmp_path):
    ids, want, _ = oracle
    tensors = checkpoint_tensors(ref)
    tensors = {k: (v.long() if k.endswith("weight_shape") else v) for k, v in tensors.items()}
    path = save_checkpoint(tmp_path / "i64", tensors, text_config_dict(ref), num_shards=2)
    m = load_model(path, expert_mode="dequantized")
    assert m.state_dict()["model.layers.2.mlp.experts.5.down_proj.weight_shape"].dtype == torch.int32
    with torch.no_grad():
        assert rel_err(m(ids), want) < REL_TOL


def test_progress_reports_bytes_up_to_total(k2_dir):
    calls = []
    load_model(k2_dir, expert_mode="packed", progress=lambda d, t: calls.append((d, t)))
    total = loading.checkpoint_size(k2_dir)
    assert calls and calls[-1] == (total, total)
    assert all(b[0] >= a[0] for a, b in zip(calls, calls[1:]))


def test_tensors_stay_memory_mapped(k2_dir):
    """Tensors stored in the dtype they run in are views of the mapped shard file, not copies."""
    m = load_model(k2_dir, expert_mode="packed")
    packed = m.model.layers[1].mlp.experts[0].gate_proj.weight_packed
    embed = m.model.embed_tokens.weight            # fp32 checkpoint, fp32 model: no cast either
    ranges = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5].startswith(str(k2_dir)):
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                ranges.append((lo, hi))
    assert ranges, "no shard of the checkpoint is mapped"
    for t in (packed, embed):
        assert any(lo <= t.data_ptr() < hi for lo, hi in ranges)


def test_expert_mode_follows_available_memory(k2_dir, monkeypatch):
    monkeypatch.setattr(loading, "_available_memory", lambda: 1 << 40)
    assert load_model(k2_dir).expert_mode == "dequantized"
    monkeypatch.setattr(loading, "_available_memory", lambda: 1000)
    m = load_model(k2_dir)
    assert m.expert_mode == "packed"
    assert all(x.weight_dense is None for x in m.modules() if isinstance(x, Int4Linear))
    monkeypatch.setenv("UICODE_EXPERT_MODE", "dequantized")
    assert load_model(k2_dir).expert_mode == "dequantized"


def test_writer_is_atomic(tmp_path):
    def boom():
        raise RuntimeError("disk full")

    tensors = {"a": torch.zeros(4), "b": Deferred((4,), torch.float32, boom)}
    with pytest.raises(RuntimeError, match="disk full"):
        save_checkpoint(tmp_path / "out", tensors, {"model_type": "kimi_k2"}, num_shards=2)
    assert list(tmp_path.iterdir()) == []          # neither the target nor a temp dir is left
    save_checkpoint(tmp_path / "out", {"a": torch.ones(4)}, {"model_type": "kimi_k2"})
    with pytest.raises(CheckpointError, match="already exists"):
        save_checkpoint(tmp_path / "out", {"a": torch.ones(4)}, {"model_type": "kimi_k2"})


def test_writer_byte_budget(tmp_path):
    tensors = {f"t{i}": torch.zeros(256) for i in range(10)}          # 1 KiB each
    path = save_checkpoint(tmp_path / "b", tensors, {"model_type": "kimi_k2"}, max_shard_bytes=3072)   # 3 per shard
    shards = sorted(p.name for p in path.glob("*.safetensors"))
    assert len(shards) == 4 and all(re.fullmatch(r"model-\d{5}-of-000004\.safetensors", s) for s in shards)


def test_tiny_k25_multimodal_checkpoint_round_trip(tmp_path):
    from safetensors import safe_open

    from ckpt_factory import write_tiny_k25_checkpoint
    from model import Tokenizer

    path = write_tiny_k25_checkpoint(tmp_path / "k25", seed=1)
    m = load_model(path)
    assert type(m).__name__ == "KimiK25ForConditionalGeneration"
    sd = m.state_dict()
    stored = {}
    for shard in path.glob("model-*.safetensors"):
        with safe_open(str(shard), framework="pt") as f:
            stored.update({k: f.get_tensor(k) for k in f.keys()})
    assert set(sd) == set(stored)
    assert any(k.startswith("vision_tower.") for k in sd) and any(k.startswith("mm_projector.") for k in sd)
    assert any(k.startswith("language_model.model.layers.1.mlp.experts.") for k in sd)
    for k, v in stored.items():
        assert torch.equal(sd[k], v.to(sd[k].dtype)), k
    tok = Tokenizer.from_dir(path)
    pad = m.config.media_placeholder_token_id
    assert tok.encode("<|media_pad|>") == [pad]
    ids = torch.tensor([tok.encode("hi <|media_begin|>image<|media_content|>") + [pad] * 4 + tok.encode("<|media_end|>")])
    with torch.no_grad():
        logits = m(ids, pixel_values=torch.randn(16, 3, 14, 14), grid_thws=torch.tensor([[1, 4, 4]]))
    assert logits.shape == (1, ids.shape[1], m.config.text.vocab_size) and torch.isfinite(logits).all()


@pytest.mark.gpu
@pytest.mark.parametrize("mode", ["packed", "dequantized"])
def test_load_on_cuda_matches_cpu(tmp_path, mode):
    """device="cuda": bf16 weights by default, INT4 experts through the Triton kernel when packed."""
    from ckpt_factory import write_tiny_k25_checkpoint

    path = write_tiny_k25_checkpoint(tmp_path / "k25", seed=2, with_vision=False)
    ids = torch.randint(0, 300, (2, 9), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = load_model(path, expert_mode="dequantized")(ids)
        m32 = load_model(path, device="cuda", dtype=torch.float32, expert_mode=mode)
        assert m32.model.embed_tokens.weight.is_cuda
        got32 = m32(ids.cuda()).cpu()
        default = load_model(path, device="cuda", expert_mode=mode)
        assert default.model.embed_tokens.weight.dtype == torch.float32   # the config's dtype off CPU
        m16 = load_model(path, device="cuda", dtype=torch.bfloat16, expert_mode=mode)
        assert m16.model.layers[0].self_attn.kv_b_proj.weight.dtype == torch.bfloat16
        got16 = m16(ids.cuda()).float().cpu()
    assert rel_err(got32, want) < 1e-3
    assert rel_err(got16, want) < 5e-2
