"""`kernels.mla_decode` against a float64 per-sequence softmax attention written from spec §2.5.

score = scale * (q_lat . c_t + q_pe . k_pe_t) over t < seq_lens[b]; o_lat = softmax(score) @ c. Every case
runs on the Triton path and on the PyTorch path; GPU-marked cases use K2.5's 64 heads, C=512, R=64.
"""
import pytest
import torch

from kernels import mla_decode, use_backend
from kernels.mla_decode import MlaConfig
from test_kernels_int4 import DEV, rel


def mla_float64(q_lat, q_pe, kv, seq_lens, scale):
    b, hn, c = q_lat.shape
    out = torch.zeros(b, hn, c, dtype=torch.float64, device=q_lat.device)
    for i in range(b):
        n = int(seq_lens[i])
        if n == 0:
            continue
        k = kv[i, :n].double()
        s = (q_lat[i].double() @ k[:, :c].T + q_pe[i].double() @ k[:, c:].T) * scale    # [Hn, n]
        out[i] = torch.softmax(s, -1) @ k[:, :c]
    return out


@pytest.fixture(params=["triton", "torch"])
def backend(request):
    with use_backend(request.param):
        yield request.param


CASES = [
    # (B, Hn, C, R, Tmax, seq_lens)
    (2, 4, 64, 16, 50, [50, 7]),          # full cache and a tail shorter than one BT tile
    (3, 20, 32, 16, 130, [0, 1, 130]),    # empty sequence -> zeros, single position, Hn not a multiple of 16
    (1, 2, 48, 8, 90, [89]),              # C and R not powers of two (masked lanes)
]


@pytest.mark.parametrize("b,hn,c,r,tmax,lens", CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_mla_decode(backend, b, hn, c, r, tmax, lens, dtype):
    q_lat, q_pe = torch.randn(b, hn, c, device=DEV), torch.randn(b, hn, r, device=DEV)
    kv = torch.randn(b, tmax, c + r, device=DEV).to(dtype)
    seq_lens = torch.tensor(lens, dtype=torch.int32, device=DEV)
    out = mla_decode(q_lat, q_pe, kv, seq_lens, 0.125)
    assert out.shape == (b, hn, c) and out.dtype == torch.float32
    assert rel(out, mla_float64(q_lat, q_pe, kv, seq_lens, 0.125)) < 1e-5
    if 0 in lens:
        assert (out[lens.index(0)] == 0).all()


@pytest.mark.parametrize("cfg", [MlaConfig(16, 16, 16), MlaConfig(16, 32, 32)])
def test_mla_decode_many_splits(cfg):
    """Small splits force the combine step, with splits past seq_len left empty."""
    with use_backend("triton"):
        q_lat, q_pe = torch.randn(2, 3, 32, device=DEV), torch.randn(2, 3, 16, device=DEV)
        kv = torch.randn(2, 200, 48, device=DEV)
        seq_lens = torch.tensor([200, 41], dtype=torch.int32, device=DEV)
        out = mla_decode(q_lat, q_pe, kv, seq_lens, 0.3, config=cfg)
        assert rel(out, mla_float64(q_lat, q_pe, kv, seq_lens, 0.3)) < 1e-5


def test_mla_decode_rejects_bad_input():
    q_lat, q_pe, kv = torch.randn(1, 2, 32), torch.randn(1, 2, 16), torch.randn(1, 10, 48)
    with pytest.raises(ValueError, match="int32"):
        mla_decode(q_lat, q_pe, kv, torch.tensor([5]), 0.1)
    with pytest.raises(ValueError, match="Tmax"):
        mla_decode(q_lat, q_pe, torch.randn(1, 10, 40), torch.tensor([5], dtype=torch.int32), 0.1)


@pytest.mark.gpu
@pytest.mark.parametrize("b,tmax,lens", [(4, 5000, [5000, 4097, 1, 0]), (1, 40000, [39999])])
def test_mla_decode_k25_shapes_gpu(b, tmax, lens):
    hn, c, r = 64, 512, 64
    q_lat = torch.randn(b, hn, c, device="cuda", dtype=torch.bfloat16)
    q_pe = torch.randn(b, hn, r, device="cuda", dtype=torch.bfloat16)
    kv = torch.randn(b, tmax, c + r, device="cuda", dtype=torch.bfloat16)
    seq_lens = torch.tensor(lens, dtype=torch.int32, device="cuda")
    out = mla_decode(q_lat, q_pe, kv, seq_lens, 0.1446796)
    torch.cuda.synchronize()
    assert torch.isfinite(out).all()
    assert rel(out, mla_float64(q_lat, q_pe, kv, seq_lens, 0.1446796)) < 1e-2
