"""`kernels.fused_moe` and its slot alignment against a float64 per-token loop over the routed experts.

Weights are drawn as INT4 integers and bf16 scales, packed with the spec formula (tests/test_kernels_int4.py
checks it against compressed-tensors), and the oracle computes sum_j w_j * down(silu(gate x) * up x) token by
token in float64 from the integers. Every case runs on the Triton path and on the PyTorch path.
"""
import pytest
import torch

from kernels import fused_moe, repack_int4, use_backend
from kernels.fused_moe import MoeConfig, MoeGemvConfig, moe_align_block_size
from test_kernels_int4 import DEV, make_weight, rel


def moe_float64(x, topk_ids, topk_weights, w13, w2):
    """y[t] = sum_j w[t, j] * W2[e] (silu(W13[e][:I] x) * W13[e][I:] x), e = topk_ids[t, j], in float64."""
    i = w13.shape[1] // 2
    out = torch.zeros(x.shape, dtype=torch.float64, device=x.device)
    for t in range(x.shape[0]):
        for j in range(topk_ids.shape[1]):
            e = int(topk_ids[t, j])
            gu = w13[e] @ x[t].double()
            out[t] += float(topk_weights[t, j]) * (w2[e] @ (torch.nn.functional.silu(gu[:i]) * gu[i:]))
    return out


def make_moe(e, h, i, device=DEV):
    p13, s13, w13 = make_weight(2 * i, h, device=device, lead=(e,))
    p2, s2, w2 = make_weight(h, i, device=device, lead=(e,))
    return (p13, s13, p2, s2), (w13, w2)


def random_topk(t, e, k, device=DEV, exclude=()):
    allowed = torch.tensor([x for x in range(e) if x not in exclude])
    ids = torch.stack([allowed[torch.randperm(len(allowed))[:k]] for _ in range(t)]) if t else \
        torch.zeros(0, k, dtype=torch.int64)
    return ids.to(device), torch.rand(t, k, device=device)


@pytest.fixture(params=["triton", "torch"])
def backend(request):
    with use_backend(request.param):
        yield request.param


CASES = [
    # (T, H, I, E, k)
    (1, 64, 32, 4, 2),     # decode: one token, few experts active
    (5, 96, 40, 6, 6),     # top-k = E; I=40 not a multiple of the N tile or of 32 (scale tail)
    (7, 64, 32, 5, 1),     # top-k = 1
    (20, 72, 64, 3, 2),    # more slots per expert than one 16-row M tile; H=72 tail of the K block
]


@pytest.mark.parametrize("t,h,i,e,k", CASES)
def test_fused_moe_fp32(backend, t, h, i, e, k):
    weights, dense = make_moe(e, h, i)
    x = torch.randn(t, h, device=DEV)
    ids, tw = random_topk(t, e, k)
    out = fused_moe(x, ids, tw, *weights)
    assert out.shape == (t, h) and out.dtype == torch.float32
    assert rel(out, moe_float64(x, ids, tw, *dense)) < 1e-5


def test_fused_moe_empty_experts_and_t0(backend):
    weights, dense = make_moe(6, 64, 32)
    x = torch.randn(4, 64, device=DEV)
    ids, tw = random_topk(4, 6, 2, exclude=(0, 3, 5))  # experts 0, 3, 5 receive no token
    assert rel(fused_moe(x, ids, tw, *weights), moe_float64(x, ids, tw, *dense)) < 1e-5
    empty = fused_moe(x[:0], ids[:0], tw[:0], *weights)
    assert empty.shape == (0, 64)


def test_fused_moe_repacked_bf16(backend):
    weights, dense = make_moe(4, 64, 32)
    rp = repack_int4(*weights[:2]) + repack_int4(*weights[2:])
    x = torch.randn(3, 64, device=DEV).to(torch.bfloat16)
    ids, tw = random_topk(3, 4, 2)
    out = fused_moe(x, ids, tw, *rp)
    assert out.dtype == torch.bfloat16
    assert rel(out, moe_float64(x, ids, tw, *dense)) < 2e-2


@pytest.mark.parametrize("t,k", [(1, 2), (2, 3)])
def test_fused_moe_per_slot_gemv(t, k):
    """The decode path (one CUDA-core GEMV per slot), H and I with word and group tails."""
    with use_backend("triton"):
        weights, dense = make_moe(5, 72, 40)
        x = torch.randn(t, 72, device=DEV)
        ids, tw = random_topk(t, 5, k)
        out = fused_moe(x, ids, tw, *weights, config=MoeGemvConfig(32, 16))
        assert rel(out, moe_float64(x, ids, tw, *dense)) < 1e-5


def test_fused_moe_larger_m_tile():
    with use_backend("triton"):
        weights, dense = make_moe(3, 64, 32)
        x = torch.randn(10, 64, device=DEV)
        ids, tw = random_topk(10, 3, 2)
        out = fused_moe(x, ids, tw, *weights, config=MoeConfig(32, 16, 32))
        assert rel(out, moe_float64(x, ids, tw, *dense)) < 1e-5


def test_moe_align_block_size_invariants():
    ids = torch.tensor([[2, 0], [2, 1], [0, 2], [2, 0]], device=DEV)   # expert 3 empty
    slots, bexp, npad = moe_align_block_size(ids, 4, 4)
    npad = int(npad)
    s = ids.numel()
    assert npad == 4 + 4 + 4  # experts 0, 1, 2 each padded to one 4-slot block
    valid = slots[:npad][slots[:npad] < s]
    assert sorted(valid.tolist()) == list(range(s))                   # every slot exactly once
    flat = ids.reshape(-1)
    for b in range(npad // 4):
        blk = slots[4 * b:4 * b + 4]
        blk = blk[blk < s]
        assert (flat[blk.long()] == bexp[b]).all()                    # one expert per block
    assert bexp[:npad // 4].tolist() == [0, 1, 2]
    assert (slots[npad:] == s).all()


def test_fused_moe_rejects_bad_input():
    weights, _ = make_moe(4, 64, 32, device="cpu")
    x = torch.randn(2, 64)
    ids, tw = random_topk(2, 4, 2, device="cpu")
    with pytest.raises(ValueError, match="int64"):
        fused_moe(x, ids.int(), tw, *weights)
    with pytest.raises(ValueError, match="fp32"):
        fused_moe(x, ids, tw.double(), *weights)
    with pytest.raises(ValueError, match="w2_scale"):
        fused_moe(x, ids, tw, *weights[:3], weights[3][:, :10].contiguous())
    with pytest.raises(ValueError, match="out of range"):
        fused_moe(x, ids + 4, tw, *weights)


@pytest.mark.gpu
@pytest.mark.parametrize("t", [1, 3, 64, 300])
def test_fused_moe_k25_shapes_gpu(t):
    e, h, i, k = 384, 7168, 2048, 8
    # Any int32 bit pattern is a valid word of 8 nibbles: draw the words directly (packing 11 G integers
    # would not fit), and let the oracle recover each hit expert's integers nibble by nibble.
    def words(*shape):
        return torch.randint(-2**31, 2**31 - 1, shape, dtype=torch.int32, device="cuda")

    def scales(*shape):
        return (torch.rand(shape, device="cuda") * 0.02 + 0.005).to(torch.bfloat16)
    weights = (words(e, 2 * i, h // 8), scales(e, 2 * i, h // 32), words(e, h, i // 8), scales(e, h, i // 32))
    x = torch.randn(t, h, device="cuda", dtype=torch.bfloat16)
    ids = torch.topk(torch.rand(t, e, device="cuda"), k).indices
    tw = torch.rand(t, k, device="cuda")
    out = fused_moe(x, ids, tw, *weights)
    torch.cuda.synchronize()
    # float64 oracle over the experts actually hit, from the integers (dequantised per expert)
    ref = torch.zeros(t, h, dtype=torch.float64, device="cuda")
    p13, s13, p2, s2 = weights
    for ex in torch.unique(ids).tolist():
        tok, ch = (ids == ex).nonzero(as_tuple=True)
        w13 = _dequant64(p13[ex], s13[ex], h)
        w2 = _dequant64(p2[ex], s2[ex], i)
        gu = x[tok].double() @ w13.T
        ref.index_add_(0, tok, ((torch.nn.functional.silu(gu[:, :i]) * gu[:, i:]) @ w2.T) * tw[tok, ch, None])
    assert torch.isfinite(out).all()
    assert rel(out, ref) < 2e-2


def _dequant64(packed, scale, k):
    """float64 W from the spec formula (integers recovered nibble by nibble)."""
    u = torch.stack([(packed >> (4 * j)) & 0xF for j in range(8)], -1).reshape(packed.shape[0], -1)[:, :k]
    return (u.double() - 8) * scale.double().repeat_interleave(32, -1)[:, :k]
