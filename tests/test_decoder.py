"""The text decoder against independent references.

- transformers' `DeepseekV3ForCausalLM` (tiny K2.5-like config: YaRN factor 64 / beta_fast 32, interleaved RoPE,
  sigmoid `noaux_tc` routing with a random non-zero correction bias, 8 experts top-2, one dense layer, one shared
  expert) with its weights copied into `build_model`: logits at positions 0.. and at random positions ≥ 4096.
- Sensitivity: the same comparison fails when RoPE pairs are split-half instead of interleaved or the YaRN
  mscale² is dropped from the softmax scale, so the agreement above is not luck.
- YaRN frequencies vs float64 math written here from spec §2.4 and vs transformers' `_compute_yarn_parameters`.
- Decode with the latent cache token by token equals full recomputation (batch 2, INT4 experts too); the
  absorbed MLA form equals the expanded form; the router with n_group > 1 vs transformers' router.
- `Int4Linear`: buffers as in the checkpoint, forward vs float64 dequantisation from spec §4.4, prepare modes.
"""
import math

import pytest
import torch

transformers = pytest.importorskip("transformers")
from transformers import DeepseekV3Config, DeepseekV3ForCausalLM  # noqa: E402
from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3TopkRouter  # noqa: E402

import kernels  # noqa: E402
import model.attention as attention_mod  # noqa: E402
import model.rope as rope_mod  # noqa: E402
from model.build import build_model  # noqa: E402
from model.config import load_config  # noqa: E402
from model.linear import Int4Linear  # noqa: E402
from model.model import KimiK2ForCausalLM  # noqa: E402
from model.moe import MoEGate  # noqa: E402

ROPE = {"rope_type": "yarn", "rope_theta": 50000.0, "factor": 64.0, "original_max_position_embeddings": 4096,
        "beta_fast": 32.0, "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0}
TINY = dict(vocab_size=160, hidden_size=64, intermediate_size=96, moe_intermediate_size=32, num_hidden_layers=3,
            num_attention_heads=4, num_key_value_heads=4, n_shared_experts=1, n_routed_experts=8,
            routed_scaling_factor=2.827, kv_lora_rank=16, q_lora_rank=24, qk_rope_head_dim=8, v_head_dim=12,
            qk_nope_head_dim=16, n_group=1, topk_group=1, num_experts_per_tok=2, first_k_dense_replace=1,
            norm_topk_prob=True, max_position_embeddings=262144, rms_norm_eps=1e-6, rope_interleave=True,
            num_nextn_predict_layers=0, rope_parameters=ROPE, tie_word_embeddings=False)


@pytest.fixture(autouse=True)
def torch_kernels():
    """Decoder maths on the PyTorch kernel path: the Triton interpreter would only make these tests slow; the
    INT4 kernels are tested against their reference in the kernels' own tests, and below on both backends."""
    with kernels.use_backend("torch"):
        yield


def rel_l2(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.double(), b.double()
    return float((a - b).norm() / b.norm())


def _to_ours(ref_sd: dict, n_experts: int, inter: int) -> dict:
    """transformers 5.x fuses experts into 3-D params; ours are per-expert SwiGLU modules (checkpoint names)."""
    out = {}
    for name, t in ref_sd.items():
        if name.endswith("mlp.experts.gate_up_proj"):          # [E, 2I, H]: rows 0..I-1 gate, I..2I-1 up
            base = name[: -len("gate_up_proj")]
            for e in range(n_experts):
                out[f"{base}{e}.gate_proj.weight"] = t[e, :inter]
                out[f"{base}{e}.up_proj.weight"] = t[e, inter:]
        elif name.endswith("mlp.experts.down_proj"):           # [E, H, I]
            base = name[: -len("down_proj")]
            for e in range(n_experts):
                out[f"{base}{e}.down_proj.weight"] = t[e]
        else:
            out[name] = t
    return out


@pytest.fixture(scope="module")
def pair():
    """(transformers reference, our model with the same weights), fp32, eval."""
    torch.manual_seed(0)
    cfg = DeepseekV3Config(**TINY)
    ref = DeepseekV3ForCausalLM(cfg).float().eval()
    with torch.no_grad():
        for name, p in ref.named_parameters():
            if name.endswith("norm.weight"):                    # non-trivial norm weights
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
        for layer in ref.model.layers[1:]:
            bias = layer.mlp.gate.e_score_correction_bias
            bias.copy_(0.3 * torch.randn_like(bias))           # non-zero: selection must use it, weights not
    ours = build_model(load_config(cfg.to_dict()), device="cpu", dtype=torch.float32).eval()
    sd = _to_ours(ref.state_dict(), TINY["n_routed_experts"], TINY["moe_intermediate_size"])
    missing, unexpected = ours.load_state_dict(sd, strict=True), None
    assert not missing.missing_keys and not missing.unexpected_keys, (missing, unexpected)
    return ref, ours


def ref_logits(ref, ids, position_ids=None):
    # an explicit all-ones mask: without one, transformers reads non-consecutive position_ids as packed sequences
    with torch.no_grad():
        return ref(input_ids=ids, position_ids=position_ids, attention_mask=torch.ones_like(ids),
                   use_cache=False).logits.float()


def test_state_dict_names_match_reference(pair):
    ref, ours = pair
    expected = set(_to_ours(ref.state_dict(), 8, 32))
    assert set(ours.state_dict()) == expected
    assert not any("rotary" in k or "inv_freq" in k for k in ours.state_dict())


def test_logits_match_transformers(pair):
    ref, ours = pair
    ids = torch.randint(0, TINY["vocab_size"], (2, 24), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        got = ours(ids)
    assert got.dtype == torch.float32 and got.shape == (2, 24, TINY["vocab_size"])
    assert rel_l2(got, ref_logits(ref, ids)) < 1e-4


def _long_positions(b=2, s=20, seed=3):
    """Sorted random positions in [4096, 60000): past original_max_position_embeddings, inside the YaRN ramp."""
    g = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randperm(56000, generator=g)[:s].sort().values + 4096 for _ in range(b)])


def test_logits_match_transformers_at_long_random_positions(pair):
    ref, ours = pair
    ids = torch.randint(0, TINY["vocab_size"], (2, 20), generator=torch.Generator().manual_seed(2))
    pos = _long_positions()
    with torch.no_grad():
        got = ours(ids, position_ids=pos)
        near = ours(ids)
    want = ref_logits(ref, ids, pos)
    assert rel_l2(got, want) < 1e-4
    assert rel_l2(near, want) > 1e-3  # the positions matter, so the comparison above tests the long-range RoPE


def _split_half_rope(x, cos, sin):
    half = x.shape[-1] // 2
    x0, x1 = x[..., :half], x[..., half:]
    return torch.cat((x0 * cos - x1 * sin, x1 * cos + x0 * sin), dim=-1)


def test_comparison_detects_wrong_pairing_and_missing_mscale(pair, monkeypatch):
    ref, ours = pair
    ids = torch.randint(0, TINY["vocab_size"], (2, 20), generator=torch.Generator().manual_seed(4))
    pos = _long_positions(seed=5)
    want = ref_logits(ref, ids, pos)
    with monkeypatch.context() as mp:
        mp.setattr(attention_mod, "apply_rope_interleaved", _split_half_rope)
        with torch.no_grad():
            assert rel_l2(ours(ids, position_ids=pos), want) > 1e-3
    scales = [layer.self_attn.scale for layer in ours.model.layers]
    try:
        for layer in ours.model.layers:
            layer.self_attn.scale = TINY["qk_nope_head_dim"] + TINY["qk_rope_head_dim"]
            layer.self_attn.scale **= -0.5                      # no YaRN mscale²
        with torch.no_grad():
            assert rel_l2(ours(ids, position_ids=pos), want) > 1e-3
    finally:
        for layer, s in zip(ours.model.layers, scales):
            layer.self_attn.scale = s
    with torch.no_grad():
        assert rel_l2(ours(ids, position_ids=pos), want) < 1e-4


def _spec_yarn_f64(theta=50000.0, dim=64, factor=64.0, orig=4096, beta_fast=32.0, beta_slow=1.0):
    """Spec §2.4 in float64, written independently of model.rope."""
    def d(r):
        return dim * math.log(orig / (2 * math.pi * r)) / (2 * math.log(theta))
    low, high = max(math.floor(d(beta_fast)), 0), min(math.ceil(d(beta_slow)), dim - 1)
    if low == high:
        high += 0.001
    out = []
    for j in range(dim // 2):
        th = theta ** (-2 * j / dim)
        r = min(max((j - low) / (high - low), 0.0), 1.0)
        out.append((1 - r) * th + r * th / factor)
    return torch.tensor(out, dtype=torch.float64), (low, high)


def test_yarn_frequencies_and_scale_match_spec_and_transformers():
    k25 = load_config("assets/configs/kimi-k2.5.json").text
    inv, attn = rope_mod.rope_inv_freq(k25.rope, 64)
    want, (low, high) = _spec_yarn_f64()
    assert (low, high) == (8, 20) and rope_mod.yarn_correction_range(k25.rope, 64) == (8, 20)
    torch.testing.assert_close(inv, want, rtol=1e-13, atol=0)
    assert attn == 1.0
    assert k25.softmax_scale == pytest.approx(0.1446796, abs=1e-7)
    assert (0.1 * math.log(64) + 1) == pytest.approx(1.4158883, abs=1e-7)
    k2 = load_config({**k25.raw, "model_type": "kimi_k2", "rope_parameters": None,
                      "rope_scaling": {**ROPE, "factor": 32.0, "beta_fast": 1.0}})
    assert k2.softmax_scale == pytest.approx(0.1308608, abs=1e-7)
    assert rope_mod.yarn_correction_range(k2.rope, 64) == (19, 20)
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    tf_cfg = DeepseekV3Config(**{**TINY, "qk_rope_head_dim": 64})
    tf_inv, tf_attn = ROPE_INIT_FUNCTIONS["yarn"](tf_cfg, "cpu")
    torch.testing.assert_close(inv.float(), tf_inv, rtol=1e-6, atol=0)
    assert tf_attn == attn


def test_rope_rotation_is_interleaved_pairs():
    """At one position, pair j of the output is pair j of the input rotated by pos·inv_freq_j (float64)."""
    cfg = load_config("assets/configs/kimi-k2.5.json").text
    emb = rope_mod.RotaryEmbedding(cfg.rope, 64)
    x = torch.randn(3, 64, dtype=torch.float64)
    pos = torch.tensor([[5000, 70000, 262143]])
    cos, sin = emb(pos, torch.float64)
    got = rope_mod.apply_rope_interleaved(x, cos[0], sin[0])
    inv, _ = _spec_yarn_f64()
    for i, p in enumerate(pos[0].tolist()):
        for j in range(32):
            a = p * inv[j].item()
            x0, x1 = x[i, 2 * j].item(), x[i, 2 * j + 1].item()
            assert got[i, 2 * j].item() == pytest.approx(x0 * math.cos(a) - x1 * math.sin(a), abs=1e-9)
            assert got[i, 2 * j + 1].item() == pytest.approx(x1 * math.cos(a) + x0 * math.sin(a), abs=1e-9)


# ---- cache / absorbed form -----------------------------------------------------------------------------------

QUANT = {"quant_method": "compressed-tensors", "format": "pack-quantized",
         "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
             "num_bits": 4, "type": "int", "symmetric": True, "strategy": "group", "group_size": 32}}},
         "ignore": ["lm_head", "re:.*self_attn.*", "re:.*shared_experts.*",
                    "re:.*mlp\\.(gate|up|gate_up|down)_proj.*"]}


@pytest.fixture(scope="module", params=["dense-experts", "int4-experts"])
def decoder(request):
    cfg = {**DeepseekV3Config(**TINY).to_dict(), "num_hidden_layers": 4}
    if request.param == "int4-experts":
        cfg["quantization_config"] = QUANT
    torch.manual_seed(7)
    m = build_model(load_config(cfg), device="cpu", dtype=torch.float32).eval()
    with torch.no_grad():
        for layer in m.model.layers[1:]:
            layer.mlp.gate.e_score_correction_bias.normal_(std=0.3)
    if request.param == "int4-experts":
        assert isinstance(m.model.layers[1].mlp.experts[0].up_proj, Int4Linear)
        assert not isinstance(m.model.layers[1].mlp.shared_experts.up_proj, Int4Linear)
    return m


@pytest.mark.parametrize("form", [None, "absorbed", "expanded"])
def test_cached_decode_equals_full_recompute(decoder, form):
    ids = torch.randint(0, TINY["vocab_size"], (2, 12), generator=torch.Generator().manual_seed(8))
    with torch.no_grad():
        full = decoder(ids)
        cache = decoder.make_cache(2, 16)
        steps = [decoder(ids[:, :5], cache=cache, mla_form=form)]
        for i in range(5, 12):
            steps.append(decoder(ids[:, i:i + 1], cache=cache, mla_form=form))
    assert cache.seq_len == 12
    got = torch.cat(steps, dim=1)
    for i in range(12):
        assert rel_l2(got[:, i], full[:, i]) < 1e-5, i


def test_absorbed_equals_expanded_per_layer(decoder):
    """Both MLA forms on the same inputs and cache contents, including a multi-token chunk after a prefix."""
    attn = decoder.model.layers[1].self_attn
    g = torch.Generator().manual_seed(9)
    x = torch.randn(2, 9, TINY["hidden_size"], generator=g)
    pos = torch.arange(9).expand(2, 9)
    cos, sin = decoder.model.rotary_emb(pos)
    with torch.no_grad():
        outs = {}
        for form in ("absorbed", "expanded"):
            cache = decoder.make_cache(2, 9)                    # the module writes its own layer's slots
            a = attn(x[:, :4], cos[:, :4], sin[:, :4], cache, form)
            cache.advance(4)
            b = attn(x[:, 4:], cos[:, 4:], sin[:, 4:], cache, form)
            outs[form] = torch.cat((a, b), dim=1)
        plain = attn(x, cos, sin)
    assert rel_l2(outs["absorbed"], outs["expanded"]) < 1e-5
    assert rel_l2(outs["absorbed"], plain) < 1e-5


def test_form_choice_follows_cost():
    cfg = load_config("assets/configs/kimi-k2.5.json").text
    with torch.device("meta"):
        attn = attention_mod.MLAttention(cfg, 0)
    assert attn.use_absorbed(1, 4096) and attn.use_absorbed(100, 8192)
    assert not attn.use_absorbed(2048, 2048) and not attn.use_absorbed(400, 8192)


def test_cache_overflow_and_batch_mismatch_raise(decoder):
    cache = decoder.make_cache(2, 4)
    ids = torch.zeros(2, 5, dtype=torch.long)
    with pytest.raises(ValueError, match="KVCache full"):
        decoder(ids, cache=cache)
    with pytest.raises(ValueError, match="batch"):
        decoder(ids[:1, :2], cache=cache)
    assert cache.seq_len == 0


def test_latent_cache_holds_normed_latent_and_rotated_rope_key(decoder):
    ids = torch.randint(0, TINY["vocab_size"], (1, 3), generator=torch.Generator().manual_seed(10))
    cache = decoder.make_cache(1, 8)
    with torch.no_grad():
        decoder(ids, cache=cache)
        layer = decoder.model.layers[0]
        h = layer.input_layernorm(decoder.model.embed_tokens(ids))
        a = layer.self_attn.kv_a_proj_with_mqa(h)
        c = layer.self_attn.kv_a_layernorm(a[..., :16])
        cos, sin = decoder.model.rotary_emb(torch.arange(3)[None])
        k_pe = rope_mod.apply_rope_interleaved(a[..., 16:], cos, sin)
    assert cache.latent[0].shape == (1, 8, 16 + 8)
    torch.testing.assert_close(cache.latent[0][:, :3], torch.cat((c, k_pe), -1))


# ---- router ----------------------------------------------------------------------------------------------------

def test_router_group_limited_matches_transformers():
    torch.manual_seed(11)
    cfg = DeepseekV3Config(**{**TINY, "n_routed_experts": 16, "n_group": 4, "topk_group": 2,
                              "num_experts_per_tok": 3})
    ref = DeepseekV3TopkRouter(cfg).float()
    with torch.no_grad():
        ref.weight.normal_(std=0.3)
        ref.e_score_correction_bias.normal_(std=0.3)
    ours = MoEGate(load_config(cfg.to_dict()), dtype=torch.float32)
    ours.load_state_dict({"weight": ref.weight, "e_score_correction_bias": ref.e_score_correction_bias})
    x = torch.randn(50, TINY["hidden_size"])
    with torch.no_grad():
        _, w_ref, i_ref = ref(x)
        i_got, w_got = ours(x)
    o_ref, o_got = i_ref.sort(-1), i_got.sort(-1)
    assert torch.equal(o_ref.values, o_got.values)
    torch.testing.assert_close(w_got.gather(1, o_got.indices), w_ref.gather(1, o_ref.indices))
    # groups matter here: plain top-3 over all experts picks differently for some tokens
    plain = (torch.sigmoid(x @ ref.weight.T) + ref.e_score_correction_bias).topk(3).indices.sort(-1).values
    assert not torch.equal(plain, o_got.values)


def test_router_bias_selects_but_does_not_weight():
    cfg = load_config({**DeepseekV3Config(**TINY).to_dict()})
    gate = MoEGate(cfg, dtype=torch.float32)
    x = torch.randn(5, TINY["hidden_size"], dtype=torch.float64)
    with torch.no_grad():
        gate.e_score_correction_bias.zero_()
        gate.e_score_correction_bias[3] = 10.0                   # expert 3 always chosen ...
        idx, w = gate(x.float())
    scores = torch.sigmoid(x @ gate.weight.double().T)
    assert (idx == 3).any(-1).all()
    want = scores.gather(1, idx)
    want = want / want.sum(-1, keepdim=True) * 2.827          # ... with its un-biased score
    torch.testing.assert_close(w.double(), want, rtol=1e-5, atol=1e-6)


# ---- Int4Linear ------------------------------------------------------------------------------------------------

def _dequant_f64(packed, scale, n, k):
    """Spec §4.4 written out: nibble i of word j is element 8j+i, W = (u - 8) * scale[c // 32]."""
    w = torch.empty(n, k, dtype=torch.float64)
    p = packed.to(torch.int64) & 0xFFFFFFFF
    for c in range(k):
        u = (p[:, c // 8] >> (4 * (c % 8))) & 0xF
        w[:, c] = (u - 8).double() * scale[:, c // 32].double()
    return w


def test_int4_linear_layout_and_forward():
    torch.manual_seed(12)
    lin = Int4Linear(70, 24)                                    # K not a multiple of 8 or 32
    sd = lin.state_dict()
    assert set(sd) == {"weight_packed", "weight_scale", "weight_shape"}
    assert sd["weight_packed"].dtype == torch.int32 and sd["weight_packed"].shape == (24, 9)
    assert sd["weight_scale"].dtype == torch.bfloat16 and sd["weight_scale"].shape == (24, 3)
    assert sd["weight_shape"].dtype == torch.int32 and sd["weight_shape"].tolist() == [24, 70]
    with torch.no_grad():
        lin.weight_scale.uniform_(0.01, 0.1)
    x = torch.randn(5, 70)
    want = x.double() @ _dequant_f64(lin.weight_packed, lin.weight_scale, 24, 70).T
    for name in ("torch", "triton") if kernels.dispatch.has_triton() else ("torch",):
        with kernels.use_backend(name):
            torch.testing.assert_close(lin(x).double(), want, rtol=1e-5, atol=1e-5)
    lin.prepare("dequantized")
    assert "weight_dense" not in lin.state_dict() and lin.weight_dense.shape == (24, 70)
    torch.testing.assert_close(lin(x).double(), want, rtol=1e-5, atol=1e-5)
    lin.prepare("packed")
    assert lin.weight_dense is None
    with pytest.raises(ValueError):
        lin.prepare("fast")


def test_int4_linear_on_meta_has_checkpoint_shapes():
    with torch.device("meta"):
        lin = Int4Linear(7168, 2048)
    assert lin.weight_packed.shape == (2048, 896) and lin.weight_scale.shape == (2048, 224)


def test_text_model_class(pair):
    _, ours = pair
    assert isinstance(ours, KimiK2ForCausalLM) and ours.config.n_routed_experts == 8


def test_softmax_greedy_router_matches_float64():
    """DeepSeek-V2-style routing (softmax scores, plain top-k, no bias, no renormalisation)."""
    d = {**DeepseekV3Config(**TINY).to_dict(), "scoring_func": "softmax", "topk_method": "greedy",
         "norm_topk_prob": False, "routed_scaling_factor": 1.5}
    gate = MoEGate(load_config(d), dtype=torch.float32)
    assert gate.e_score_correction_bias is None
    x = torch.randn(7, TINY["hidden_size"])
    with torch.no_grad():
        idx, w = gate(x)
    probs = (x.double() @ gate.weight.double().T).softmax(-1)
    top = probs.topk(2, dim=-1)
    assert torch.equal(idx.sort(-1).values, top.indices.sort(-1).values)
    torch.testing.assert_close(w.double().sort(-1).values, (top.values * 1.5).sort(-1).values, rtol=1e-5, atol=1e-7)


def test_logits_to_keep_and_inputs_embeds(pair):
    _, ours = pair
    ids = torch.randint(0, TINY["vocab_size"], (2, 6), generator=torch.Generator().manual_seed(13))
    with torch.no_grad():
        full = ours(ids)
        last = ours(ids, logits_to_keep=1)
        via_embeds = ours(inputs_embeds=ours.get_input_embeddings()(ids))
    assert last.shape == (2, 1, TINY["vocab_size"])
    torch.testing.assert_close(last[:, 0], full[:, -1])
    torch.testing.assert_close(via_embeds, full)
    with pytest.raises(ValueError):
        ours(ids, inputs_embeds=ours.get_input_embeddings()(ids))


def test_tied_embeddings_share_the_weight():
    m = build_model(load_config({**DeepseekV3Config(**TINY).to_dict(), "tie_word_embeddings": True}),
                    device="cpu", dtype=torch.float32)
    assert m.lm_head.weight is m.model.embed_tokens.weight
