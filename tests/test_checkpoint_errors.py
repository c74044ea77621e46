"""Every way a checkpoint directory can be broken gives one line naming the file and the tensor.

A good tiny checkpoint (transformers reference, compressed-tensors INT4 experts, 3 shards) is written
once; each test copies it, breaks one thing and asserts the exact error class and the names in the
message.
"""
import json
import shutil
import struct

import pytest
import torch

from ckpt_factory import checkpoint_tensors, make_reference_model, text_config_dict
from model import load_model
from model.checkpoint import save_checkpoint
from uicode.errors import CheckpointError, ConfigError

EXPERT = "model.layers.1.mlp.experts.3.up_proj"
ATTN = "model.layers.2.self_attn.kv_b_proj.weight"


@pytest.fixture(scope="module")
def ref():
    return make_reference_model(seed=5)


@pytest.fixture(scope="module")
def good(ref, tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "ckpt"
    save_checkpoint(path, checkpoint_tensors(ref), text_config_dict(ref), num_shards=3)
    return path


@pytest.fixture
def ckpt(good, tmp_path):
    dst = tmp_path / "ckpt"
    shutil.copytree(good, dst)
    return dst


def weight_map(path):
    return json.loads((path / "model.safetensors.index.json").read_text())["weight_map"]


def shard_of(path, tensor):
    return path / weight_map(path)[tensor]


def load_error(path, kind=CheckpointError):
    with pytest.raises(kind) as info:
        load_model(path, expert_mode="packed")
    msg = str(info.value)
    assert "\n" not in msg and msg
    return msg


def rewrite_header(shard, edit):
    """Parse a shard's JSON header, let `edit` change it, write it back (data bytes unchanged)."""
    raw = shard.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    edit(header)
    new = json.dumps(header, separators=(",", ":")).encode()
    new += b" " * (n - len(new)) if len(new) <= n else b""
    assert len(new) == n, "test helper keeps the header length so offsets stay valid"
    shard.write_bytes(raw[:8] + new + raw[8 + n:])


def write_with(ref, path, change=None, drop=None, cfg=None):
    tensors = checkpoint_tensors(ref)
    if change:
        tensors.update(change)
    if drop:
        del tensors[drop]
    save_checkpoint(path, tensors, cfg or text_config_dict(ref), num_shards=3)
    return path


# --------------------------------------------------------------------------------- config.json

def test_missing_config(ckpt):
    (ckpt / "config.json").unlink()
    msg = load_error(ckpt, ConfigError)
    assert str(ckpt / "config.json") in msg and "not found" in msg


def test_config_not_json(ckpt):
    (ckpt / "config.json").write_text('{"model_type": "kimi_k2", "hidden_size": 64,,}')
    msg = load_error(ckpt, ConfigError)
    assert str(ckpt / "config.json") in msg and "line 1" in msg


def test_config_missing_field(ckpt):
    cfg = json.loads((ckpt / "config.json").read_text())
    del cfg["kv_lora_rank"]
    (ckpt / "config.json").write_text(json.dumps(cfg))
    msg = load_error(ckpt, ConfigError)
    assert "config.json" in msg and "kv_lora_rank" in msg


def test_config_ill_typed_field(ckpt):
    cfg = json.loads((ckpt / "config.json").read_text())
    cfg["hidden_size"] = "sixty-four"
    (ckpt / "config.json").write_text(json.dumps(cfg))
    msg = load_error(ckpt, ConfigError)
    assert "config.json" in msg and "hidden_size" in msg


# ------------------------------------------------------------------------------------- files

def test_directory_missing(tmp_path):
    msg = load_error(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in msg


def test_no_index_and_no_single_file(ckpt):
    (ckpt / "model.safetensors.index.json").unlink()
    msg = load_error(ckpt)
    assert "model.safetensors.index.json" in msg and "model.safetensors" in msg


def test_missing_shard(ckpt):
    shard = shard_of(ckpt, ATTN)
    shard.unlink()
    msg = load_error(ckpt)
    assert shard.name in msg and "missing" in msg
    assert "holds tensor model." in msg                    # names a tensor that lived there


def test_truncated_shard(ckpt):
    shard = shard_of(ckpt, ATTN)
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    msg = load_error(ckpt)
    assert shard.name in msg and "truncated" in msg and "tensor " in msg


def test_shard_shorter_than_its_header(ckpt):
    shard = shard_of(ckpt, ATTN)
    shard.write_bytes(shard.read_bytes()[:100])
    msg = load_error(ckpt)
    assert shard.name in msg and "truncated" in msg


def test_header_not_json(ckpt):
    shard = shard_of(ckpt, ATTN)
    raw = bytearray(shard.read_bytes())
    raw[8:12] = b"\x00{[!"
    shard.write_bytes(bytes(raw))
    msg = load_error(ckpt)
    assert shard.name in msg and "not valid JSON" in msg


def test_header_lies_about_an_offset(ckpt):
    shard = shard_of(ckpt, ATTN)

    def edit(h):
        h[ATTN]["data_offsets"][1] += 4                   # claims 4 more bytes than dtype × shape
    rewrite_header(shard, edit)
    msg = load_error(ckpt)
    assert shard.name in msg and ATTN in msg and "offset" in msg


def test_header_offset_past_the_end(ckpt):
    shard = shard_of(ckpt, ATTN)
    size = shard.stat().st_size

    def edit(h):
        b, e = h[ATTN]["data_offsets"]
        h[ATTN]["data_offsets"] = [size, size + (e - b)]
    rewrite_header(shard, edit)
    msg = load_error(ckpt)
    assert shard.name in msg and ATTN in msg


def test_overlapping_tensors(ckpt):
    shard = shard_of(ckpt, ATTN)

    def edit(h):
        others = [k for k in h if k not in ("__metadata__", ATTN)
                  and h[k]["data_offsets"][1] - h[k]["data_offsets"][0] >= 8]
        b, _ = h[others[0]]["data_offsets"]
        h[others[1]]["data_offsets"] = [b, b + h[others[1]]["data_offsets"][1] - h[others[1]]["data_offsets"][0]]
    rewrite_header(shard, edit)
    msg = load_error(ckpt)
    assert shard.name in msg and "overlaps" in msg


def test_index_points_at_shard_without_the_tensor(ckpt):
    index = json.loads((ckpt / "model.safetensors.index.json").read_text())
    wrong = next(s for s in sorted(set(index["weight_map"].values())) if s != index["weight_map"][ATTN])
    index["weight_map"][ATTN] = wrong
    (ckpt / "model.safetensors.index.json").write_text(json.dumps(index))
    msg = load_error(ckpt)
    assert wrong in msg and ATTN in msg and "not present" in msg


def test_shard_tensor_missing_from_index(ckpt):
    index = json.loads((ckpt / "model.safetensors.index.json").read_text())
    shard = index["weight_map"].pop(ATTN)
    (ckpt / "model.safetensors.index.json").write_text(json.dumps(index))
    msg = load_error(ckpt)
    assert shard in msg and ATTN in msg and "does not list it" in msg


def test_index_not_json(ckpt):
    (ckpt / "model.safetensors.index.json").write_text("{ nope")
    msg = load_error(ckpt)
    assert "model.safetensors.index.json" in msg


# ----------------------------------------------------------------------------------- tensors

def test_wrong_shape_names_tensor_expected_and_found(ref, tmp_path):
    path = write_with(ref, tmp_path / "c", change={ATTN: torch.zeros(64, 15)})
    msg = load_error(path)
    assert ATTN in msg and "[64, 15]" in msg and "expected [64, 16]" in msg
    assert ".safetensors" in msg


def test_wrong_packed_shape(ref, tmp_path):
    path = write_with(ref, tmp_path / "c", change={f"{EXPERT}.weight_packed": torch.zeros(32, 7, dtype=torch.int32)})
    msg = load_error(path)
    assert f"{EXPERT}.weight_packed" in msg and "[32, 7]" in msg and "expected [32, 8]" in msg


def test_wrong_dtype_packed(ref, tmp_path):
    path = write_with(ref, tmp_path / "c", change={f"{EXPERT}.weight_packed": torch.zeros(32, 8, dtype=torch.int64)})
    msg = load_error(path)
    assert f"{EXPERT}.weight_packed" in msg and "I64" in msg and "expected I32" in msg


def test_wrong_dtype_float_weight(ref, tmp_path):
    path = write_with(ref, tmp_path / "c", change={ATTN: torch.zeros(64, 16, dtype=torch.int32)})
    msg = load_error(path)
    assert ATTN in msg and "dtype I32" in msg


def test_weight_shape_values_checked(ref, tmp_path):
    path = write_with(ref, tmp_path / "c",
                      change={f"{EXPERT}.weight_shape": torch.tensor([32, 60], dtype=torch.int32)})
    msg = load_error(path)
    assert f"{EXPERT}.weight_shape" in msg and "[32, 60]" in msg and "[32, 64]" in msg


def test_unexpected_tensor_named(ref, tmp_path):
    path = write_with(ref, tmp_path / "c", change={"model.layers.1.mlp.experts.3.up_proj.weight": torch.zeros(32, 64)})
    msg = load_error(path)
    assert "unexpected tensor model.layers.1.mlp.experts.3.up_proj.weight" in msg


def test_unquantized_expert_with_quantized_config_is_unexpected(ref, tmp_path):
    tensors = {k: v for k, v in checkpoint_tensors(ref, quantize=False).items()}
    path = save_checkpoint(tmp_path / "c", tensors, text_config_dict(ref, quantized=True), num_shards=2)
    msg = load_error(path)
    assert "unexpected tensor model.layers.1.mlp.experts.0." in msg and "quantization_config" in msg


def test_quantized_expert_with_float_config_is_unexpected(ref, tmp_path):
    path = save_checkpoint(tmp_path / "c", checkpoint_tensors(ref), text_config_dict(ref, quantized=False),
                           num_shards=2)
    msg = load_error(path)
    assert "unexpected tensor model.layers.1.mlp.experts.0." in msg and "no quantization_config" in msg


def test_missing_tensor_named(ref, tmp_path):
    path = write_with(ref, tmp_path / "c", drop=f"{EXPERT}.weight_scale")
    msg = load_error(path)
    assert f"missing tensor {EXPERT}.weight_scale" in msg and "model.safetensors.index.json" in msg


def test_duplicate_names_across_layouts(ref, tmp_path):
    path = write_with(ref, tmp_path / "c", change={"language_model." + ATTN: torch.zeros(64, 16)})
    msg = load_error(path)
    assert ATTN in msg and "both map" in msg


def test_vision_tensor_in_text_checkpoint(ref, tmp_path):
    path = write_with(ref, tmp_path / "c", change={"vision_tower.patch_embed.proj.bias": torch.zeros(8)})
    msg = load_error(path)
    assert "unexpected tensor vision_tower.patch_embed.proj.bias" in msg


def test_inv_freq_buffers_are_skipped(ref, tmp_path):
    path = write_with(ref, tmp_path / "c",
                      change={"model.layers.0.self_attn.rotary_emb.inv_freq": torch.ones(4)})
    load_model(path, expert_mode="packed")


def test_mtp_layers_skipped_only_when_the_config_declares_them(ref, tmp_path):
    mtp = {"model.layers.3.eh_proj.weight": torch.zeros(64, 128),
           "model.layers.3.self_attn.q_a_proj.weight": torch.zeros(32, 64)}
    cfg = text_config_dict(ref)
    cfg["num_nextn_predict_layers"] = 1          # DeepSeek-V3 style: one MTP layer after the last layer
    load_model(write_with(ref, tmp_path / "mtp", change=mtp, cfg=cfg), expert_mode="packed")
    msg = load_error(write_with(ref, tmp_path / "plain", change=mtp))
    assert "unexpected tensor model.layers.3." in msg
