"""The kernels on the decoder's own tensors, against the decoder's own reference modules (wiring readiness).

A tiny K2.5-format checkpoint (INT4 routed experts, written by tests/ckpt_factory.py) is loaded with packed
experts; then
- `kernels.fused_moe` on the layer's experts stacked into w13 = [gate_proj; up_proj] and w2 = down_proj (the
  layout the decoder will build at load) must equal the MoE module's routed path for the router's top-k;
- `kernels.mla_decode` must equal the decoder's absorbed-attention reference `mla_attend_latent` for one query;
- on CUDA (gpu-marked): logits of the model loaded with packed experts (INT4 projections through the Triton
  kernels) must match CPU reference logits, for a full forward and for cached one-token decode steps.
The CPU cases run the Triton kernels under the interpreter.
"""
import pytest
import torch

from ckpt_factory import write_tiny_k25_checkpoint
from kernels import fused_moe, mla_decode, use_backend
from kernels.fused_moe import MoeGemvConfig
from model import load_model
from model.attention import mla_attend_latent
from model.moe import MoE

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def rel(a, b):
    return float((a.double() - b.double()).norm() / b.double().norm().clamp_min(1e-30))


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return write_tiny_k25_checkpoint(tmp_path_factory.mktemp("e2e") / "k25", seed=1, with_vision=False)


def stack_experts(moe: MoE):
    """The decoder's per-expert INT4 tensors stacked in the layout `kernels.fused_moe` takes."""
    w13p = torch.stack([torch.cat([e.gate_proj.weight_packed, e.up_proj.weight_packed]) for e in moe.experts])
    w13s = torch.stack([torch.cat([e.gate_proj.weight_scale, e.up_proj.weight_scale]) for e in moe.experts])
    w2p = torch.stack([e.down_proj.weight_packed for e in moe.experts])
    w2s = torch.stack([e.down_proj.weight_scale for e in moe.experts])
    return w13p, w13s, w2p, w2s


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("tokens", [1, 6])   # 1: the per-slot decode path; 6: the grouped path
def test_fused_moe_matches_decoder_moe(ckpt, device, tokens):
    m = load_model(ckpt, device=device, dtype=torch.float32, expert_mode="packed")
    moe = next(x for x in m.modules() if isinstance(x, MoE))
    x = torch.randn(tokens, moe.gate.weight.shape[1], device=device)
    with torch.no_grad():
        idx, w = moe.gate(x)
        with use_backend("torch"):
            want = moe.routed(x, idx, w)
        cfg = MoeGemvConfig(64, 32) if tokens == 1 else None
        got = fused_moe(x, idx, w, *stack_experts(moe), config=cfg)
    assert rel(got, want) < 1e-4


@pytest.mark.parametrize("device", DEVICES)
def test_mla_decode_matches_decoder_latent_attention(device):
    b, hn, c, r, t = 2, 4, 32, 16, 40
    q_lat = torch.randn(b, hn, 1, c, device=device)
    q_pe = torch.randn(b, hn, 1, r, device=device)
    latent = torch.randn(b, t, c + r, device=device)
    want = mla_attend_latent(q_lat, q_pe, latent, 0.2, start=t - 1)[:, :, 0]       # [B, Hn, C]
    got = mla_decode(q_lat[:, :, 0], q_pe[:, :, 0], latent, torch.full((b,), t, dtype=torch.int32,
                                                                             device=device), 0.2)
    assert rel(got, want) < 1e-5


@pytest.mark.gpu
def test_cuda_logits_and_cached_decode_match_cpu(ckpt):
    ids = torch.randint(0, 300, (2, 9), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        with use_backend("torch"):
            want = load_model(ckpt, expert_mode="dequantized")(ids)
        m = load_model(ckpt, device="cuda", dtype=torch.float32, expert_mode="packed")
        full = m(ids.cuda()).cpu()
        cache = m.make_cache(2, 16)
        steps = [m(ids[:, :5].cuda(), cache=cache).cpu()]
        for i in range(5, 9):  # one-token decode steps: INT4 projections take the GEMV kernel
            steps.append(m(ids[:, i:i + 1].cuda(), cache=cache).cpu())
    assert rel(full, want) < 1e-3
    assert rel(torch.cat(steps, dim=1), want) < 1e-3
