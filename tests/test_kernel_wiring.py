"""The kernels wired into the decoder: what `load_model(..., fused_kernels=...)` / `prepare_kernels` lay out and
which path each call takes, on CPU under the Triton interpreter (tests/conftest.py sets TRITON_INTERPRET=1).

Oracles: transformers' DeepseekV3 with compressed-tensors' dequantized INT4 experts (tests/ckpt_factory.py) for
the logits, and the decoder's torch-backend path (its reference loop, validated against the same oracle in
tests/test_loading.py) for exact agreement; float64 matmuls on compressed-tensors' dequantized weights for the
CPU int4pack mode. Spies on `kernels.fused_moe` / `kernels.mla_decode` prove the Triton paths actually ran.
Shapes are tiny: each interpreted program-iteration costs ~5 ms.
"""
import pytest
import torch

import kernels
from ckpt_factory import (ct_quantize, make_reference_model, quantized_reference, tiny_k25_config_dict,
                          write_text_checkpoint)
from kernels import use_backend
from model import build_model, load_config, load_model
from model import loading
from model.linear import Int4Linear
from model.moe import FUSED_BUFFERS, MoE


def rel(a, b):
    return float((a.double() - b.double()).norm() / b.double().norm().clamp_min(1e-30))


@pytest.fixture(scope="module")
def ref():
    return make_reference_model(seed=5, num_hidden_layers=2)       # one dense layer, one MoE layer


@pytest.fixture(scope="module")
def ckpt(ref, tmp_path_factory):
    return write_text_checkpoint(ref, tmp_path_factory.mktemp("wiring") / "k2", shards=2)


@pytest.fixture(scope="module")
def ids():
    return torch.randint(0, 320, (2, 6), generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def oracle(ref, ids):
    with torch.no_grad():
        return quantized_reference(ref)(ids).logits


@pytest.fixture(scope="module")
def wired(ckpt):
    return load_model(ckpt, expert_mode="packed", fused_kernels=True)


@pytest.fixture
def spies(monkeypatch):
    """Count calls of the kernels the decoder reaches through the `kernels` package."""
    calls = {"fused_moe": 0, "mla_decode": 0}
    for name in calls:
        real = getattr(kernels, name)

        def spy(*a, _real=real, _name=name, **kw):
            calls[_name] += 1
            return _real(*a, **kw)
        monkeypatch.setattr(kernels, name, spy)
    return calls


def run(m, ids, prompt=4):
    """(full-forward logits, cached logits: a `prompt`-token prefill then one-token decode steps)."""
    with torch.no_grad():
        full = m(ids)
        cache = m.make_cache(ids.shape[0], ids.shape[1])
        steps = [m(ids[:, :prompt], cache=cache)]
        steps += [m(ids[:, i:i + 1], cache=cache) for i in range(prompt, ids.shape[1])]
    return full, torch.cat(steps, dim=1)


def test_triton_logits_match_torch_backend_and_reference(wired, ids, oracle, spies):
    assert wired.kernel_layouts == {"fused_moe_layers": 1, "repacked_linears": 0}
    with use_backend("torch"):
        want_full, want_cached = run(wired, ids)
    assert spies == {"fused_moe": 0, "mla_decode": 0}          # the torch backend keeps the reference paths
    with use_backend("triton"):
        got_full, got_cached = run(wired, ids)
    # fused MoE in all 4 forwards (1 MoE layer); MLA decode kernel in the 2 one-token steps x 2 layers
    assert spies == {"fused_moe": 4, "mla_decode": 4}
    assert rel(got_full, want_full) < 1e-5
    assert rel(got_cached, want_cached) < 1e-5
    assert rel(got_full, oracle) < 1e-4
    assert rel(got_cached, oracle) < 1e-4


def test_state_dict_unchanged_and_weights_held_once(ckpt, wired):
    plain = load_model(ckpt, expert_mode="packed", fused_kernels=False)
    assert plain.kernel_layouts is None
    want, got = plain.state_dict(), wired.state_dict()
    assert list(got) == list(want)
    for k in want:
        assert got[k].shape == want[k].shape and got[k].dtype == want[k].dtype, k
        assert torch.equal(got[k], want[k]), k
    moe = next(m for m in wired.modules() if isinstance(m, MoE))
    assert not any(k.endswith(FUSED_BUFFERS) for k in got)            # the fused layout is not persistent
    assert moe.w13_packed.shape == (8, 64, 8) and moe.w13_packed.stride(1) == 1   # [E, 2I, H/8], K-major
    # every expert tensor is a view into the stacked storage: the weights are held once
    def storage(t):
        return t.untyped_storage().data_ptr()
    for e in moe.experts:
        for lin, packed, scale in ((e.gate_proj, moe.w13_packed, moe.w13_scale),
                                   (e.up_proj, moe.w13_packed, moe.w13_scale),
                                   (e.down_proj, moe.w2_packed, moe.w2_scale)):
            assert storage(lin.weight_packed) == storage(packed) and storage(lin.weight_scale) == storage(scale)


def tiny_top1_model(layers=2):
    """A random tiny K2.5-shaped decoder (INT4 experts) routing each token to one expert."""
    cfg = tiny_k25_config_dict(with_vision=False)
    cfg.update(num_experts_per_tok=1, num_hidden_layers=layers)
    torch.manual_seed(0)
    m = build_model(load_config(cfg), device="cpu", dtype=torch.float32).eval()
    return m, next(x for x in m.modules() if isinstance(x, MoE))


@pytest.mark.parametrize("tokens", [3, 6])          # 3 slots: per-slot GEMV path; 6: grouped path
def test_top1_with_idle_experts(tokens, spies):
    m, moe = tiny_top1_model()
    with torch.no_grad():
        moe.gate.e_score_correction_bias.zero_()
        moe.gate.e_score_correction_bias[[2, 5]] = 10.0   # every token picks expert 2 or 5; six experts idle
        assert loading.prepare_kernels(m) == {"fused_moe_layers": 1, "repacked_linears": 0}
        x = torch.randn(1, tokens, 64)
        idx, _ = moe.gate(x.view(-1, 64))
        assert idx.shape == (tokens, 1) and set(idx.view(-1).tolist()) <= {2, 5}
        with use_backend("torch"):
            want = moe(x)
        with use_backend("triton"):
            got = moe(x)
    assert spies["fused_moe"] == 1
    assert rel(got, want) < 1e-5


def test_fused_layout_survives_assigning_a_new_state_dict(spies):
    """`load_state_dict(assign=True)` gives the experts separate tensors: the next fused call re-stacks, so
    the kernel never reads stale weights."""
    m, moe = tiny_top1_model()
    loading.prepare_kernels(m)
    other, _ = tiny_top1_model()
    torch.manual_seed(1)
    for e in other.modules():
        if isinstance(e, Int4Linear):
            e.reset_parameters()
    m.load_state_dict({k: v.clone() for k, v in other.state_dict().items()}, assign=True)
    x = torch.randn(1, 3, 64)
    with torch.no_grad():
        with use_backend("torch"):
            want = next(x for x in other.modules() if isinstance(x, MoE))(x)
        with use_backend("triton"):
            got = moe(x)
    assert spies["fused_moe"] == 1 and moe._fused_views_intact()
    assert rel(got, want) < 1e-5


def test_repacked_int4_linear_keeps_its_state_and_output():
    lin = Int4Linear(64, 48)
    before = {k: v.clone() for k, v in lin.state_dict().items()}
    x = torch.randn(3, 64)
    with use_backend("torch"):
        want = lin(x)
    lin.prepare("repacked")
    assert lin.weight_packed.stride() == (1, 48) and lin.weight_scale.stride() == (1, 48)
    after = lin.state_dict()
    assert list(after) == list(before) and all(torch.equal(after[k], before[k]) for k in before)
    with use_backend("triton"):
        got = lin(x)
    assert rel(got, want) < 1e-5


# ------------------------------------------------------------------------- CPU: torch's INT4 kernel

def test_int4pack_matches_compressed_tensors_within_bf16():
    torch.manual_seed(0)
    w = torch.randn(48, 96) / 96 ** 0.5
    packed, scale, shape, deq = ct_quantize(w)               # compressed-tensors' own packing and dequant
    lin = Int4Linear(96, 48)
    lin.load_state_dict({"weight_packed": packed, "weight_scale": scale, "weight_shape": shape})
    lin.prepare("int4pack")
    assert set(lin.state_dict()) == {"weight_packed", "weight_scale", "weight_shape"}
    x = torch.randn(5, 96)
    want = x.double() @ deq.double().T
    got = lin(x)
    assert got.dtype == torch.float32
    err = rel(got, want)
    assert 1e-6 < err < 1e-2                                 # bf16 activations: rounded, but only that much


def test_int4pack_experts_give_reference_logits(ckpt, ids, oracle, monkeypatch):
    monkeypatch.setattr(loading, "_available_memory", lambda: 1000)   # dense experts do not fit
    with use_backend("torch"):
        m = load_model(ckpt)
        assert m.expert_mode == "int4pack"
        experts = [x for x in m.modules() if isinstance(x, Int4Linear)]
        assert experts and all(x.weight_int4pack is not None and x.weight_dense is None for x in experts)
        with torch.no_grad():
            got = m(ids)
    assert rel(got, oracle) < 5e-3


# ----------------------------------------------------------------------------------------------- GPU

@pytest.mark.gpu
def test_cuda_load_wires_kernels(ckpt, ids, oracle, spies):
    m = load_model(ckpt, device="cuda", dtype=torch.float32)
    assert m.expert_mode == "packed" and m.kernel_layouts == {"fused_moe_layers": 1, "repacked_linears": 0}
    full, cached = run(m, ids.cuda())
    assert spies["fused_moe"] == 4 and spies["mla_decode"] == 4
    assert rel(full.cpu(), oracle) < 2e-3 and rel(cached.cpu(), oracle) < 2e-3
    plain = load_model(ckpt, expert_mode="packed").state_dict()
    got = m.state_dict()
    assert list(got) == list(plain) and all(torch.equal(got[k].cpu(), plain[k]) for k in plain)
