"""`kernels.int4_linear` and `repack_int4` against a float64 reference built from the quantised integers.

The oracle never unpacks: weights are drawn as integers q in [-8, 7] and bf16 scales, packed independently
(the spec §4.4 formula below, itself checked against compressed-tensors' packer), and the reference is
x @ (q * s).T in float64. Every case runs on the Triton path (interpreter on CPU, CUDA on a GPU) and on the
PyTorch path. GPU-marked cases repeat at K2.5's real shapes.
"""
import importlib.util
import os

import pytest
import torch

from kernels import dispatch, int4_linear, repack_int4, use_backend
from kernels.int4_gemv import GemvConfig
from kernels.int4_linear import Int4Config, int4_linear_ref

DEV = "cuda" if torch.cuda.is_available() else "cpu"
TOL = {torch.float32: 1e-5, torch.bfloat16: 1.5e-2}


def pack_spec(q: torch.Tensor) -> torch.Tensor:
    """Spec §4.4: u = q + 8, element 8j+i in bits 4i..4i+3 of int32 word j; columns zero-padded to 8."""
    n, k = q.shape[-2], q.shape[-1]
    u = (q.to(torch.int64) + 8)
    u = torch.nn.functional.pad(u, (0, -k % 8)).reshape(*q.shape[:-1], -1, 8)
    words = (u << (4 * torch.arange(8, device=q.device))).sum(-1)              # [..., N, K/8] in 0..2^32-1
    return torch.where(words >= 2**31, words - 2**32, words).to(torch.int32)


def make_weight(n: int, k: int, device=DEV, lead=(), dense=True):
    """(packed, scale, W float64) with W = q * s from the integers, never from the packed words
    (W is None when `dense` is False: K2.5's 384 experts do not fit in float64)."""
    q = torch.randint(-8, 8, (*lead, n, k), dtype=torch.int8, device=device)
    s = (torch.rand((*lead, n, -(-k // 32)), device=device) * 0.1 + 0.01).to(torch.bfloat16)
    w64 = q.double() * s.double().repeat_interleave(32, -1)[..., :k] if dense else None
    return pack_spec(q), s, w64


def rel(out, ref):
    return float((out.double() - ref).norm() / ref.norm().clamp_min(1e-30))


@pytest.fixture(params=["triton", "torch"])
def backend(request):
    with use_backend(request.param):
        yield request.param


def _compressed_tensors_packer():
    """compressed-tensors' own pack_to_int32, loaded from its file: importing the package runs ~20 s of
    transformers imports on 2 cores, and the helper file needs only torch."""
    spec = importlib.util.find_spec("compressed_tensors")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("compressed-tensors not installed")
    path = os.path.join(spec.submodule_search_locations[0], "compressors", "pack_quantized", "helpers.py")
    mod_spec = importlib.util.spec_from_file_location("_ct_pack_helpers", path)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return mod.pack_to_int32


def test_spec_packing_matches_compressed_tensors():
    pack_to_int32 = _compressed_tensors_packer()
    q = torch.randint(-8, 8, (5, 100), dtype=torch.int8)  # 100: not a multiple of 8 or 32
    assert torch.equal(pack_spec(q), pack_to_int32(q, 4))


CASES = [
    # (M, N, K)
    (1, 33, 32),      # decode M=1, odd N, K = one group
    (5, 64, 100),     # K not a multiple of 8 (padded nibbles) nor of the K block
    (16, 48, 256),    # M at the GEMV/GEMM boundary, several K blocks
    (17, 40, 96),     # first GEMM M, M tail inside the M tile
    (3, 1, 64),       # N=1
]


@pytest.mark.parametrize("m,n,k", CASES)
def test_int4_linear_fp32(backend, m, n, k):
    packed, scale, w64 = make_weight(n, k)
    x = torch.randn(m, k, device=DEV)
    out = int4_linear(x, packed, scale, torch.tensor([n, k], dtype=torch.int32))
    assert out.shape == (m, n) and out.dtype == torch.float32
    assert rel(out, x.double() @ w64.T) < TOL[torch.float32]


@pytest.mark.parametrize("m,n,k", [(1, 40, 96), (9, 64, 200)])
def test_int4_linear_repacked_and_bf16(backend, m, n, k):
    packed, scale, w64 = make_weight(n, k)
    rp, rs = repack_int4(packed, scale)
    assert rp.shape == packed.shape and rp.stride() == (1, n)  # same logical shape, K-major storage
    x = torch.randn(m, k, device=DEV)
    ref = x.double() @ w64.T
    assert rel(int4_linear(x, rp, rs, (n, k)), ref) < TOL[torch.float32]
    xb = x.to(torch.bfloat16)
    out = int4_linear(xb, rp, rs, torch.tensor([n, k], dtype=torch.int64))
    assert out.dtype == torch.bfloat16
    assert rel(out, xb.double() @ w64.T) < TOL[torch.bfloat16]


@pytest.mark.parametrize("cfg", [
    Int4Config(16, 16, 32, split_k=3),   # tensor-core split-K, a K range that does not divide evenly (7 / 3)
    Int4Config(16, 32, 64, split_k=8),   # more splits than K blocks: some programs get no work
    GemvConfig(16, 16, split_k=3),       # CUDA-core GEMV, in-kernel split-K reduction; the last split is empty
    GemvConfig(64, 16, split_k=1),       # CUDA-core GEMV, one N tile wider than N
])
def test_int4_linear_split_k(cfg):
    with use_backend("triton"):
        packed, scale, w64 = make_weight(24, 224)
        for _ in range(2):  # the second call checks that the split-K workspace was left zeroed
            x = torch.randn(2, 224, device=DEV)
            assert rel(int4_linear(x, packed, scale, (24, 224), config=cfg), x.double() @ w64.T) < 1e-5


def test_int4_linear_leading_dims_and_empty(backend):
    packed, scale, w64 = make_weight(20, 64)
    x = torch.randn(2, 3, 64, device=DEV)
    out = int4_linear(x, packed, scale, (20, 64))
    assert out.shape == (2, 3, 20)
    assert rel(out, x.double() @ w64.T) < 1e-5
    assert int4_linear(torch.randn(0, 64, device=DEV), packed, scale, (20, 64)).shape == (0, 20)


def test_int4_linear_rejects_bad_input():
    packed, scale, _ = make_weight(20, 64)
    with pytest.raises(ValueError, match="int32"):
        int4_linear(torch.randn(1, 64), packed.to(torch.int64), scale, (20, 64))
    with pytest.raises(ValueError, match="input features"):
        int4_linear(torch.randn(1, 72), packed, scale, (20, 72))
    with pytest.raises(ValueError, match="weight_shape"):
        int4_linear(torch.randn(1, 64), packed, scale, (21, 64))
    with pytest.raises(ValueError, match="row-major or K-major"):
        strided = torch.zeros(20, 16, dtype=torch.int32)[:, ::2]  # right shape, neither storage order
        int4_linear(torch.randn(1, 64), strided, scale, (20, 64))


def test_reference_matches_float64():
    packed, scale, w64 = make_weight(30, 70, device="cpu")
    x = torch.randn(4, 70)
    assert rel(int4_linear_ref(x, packed, scale, (30, 70)), x.double() @ w64.T) < 1e-6


def test_gemv_configs_pin_first_when_autotune_off(monkeypatch):
    from kernels.int4_linear import int4_linear_configs
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    monkeypatch.setenv("UICODE_AUTOTUNE", "0")
    cands = int4_linear_configs(16, 2048, 7168)
    assert len(cands) > 1 and all(c.block_m == 16 for c in cands)
    assert dispatch.pick_config("t", (1,), cands, lambda c: pytest.fail("must not time")) is cands[0]
    assert all(c.split_k == 1 for c in int4_linear_configs(2048, 2048, 7168))


@pytest.mark.gpu
@pytest.mark.parametrize("n,k", [(2048, 7168), (7168, 2048), (576, 7168)])
@pytest.mark.parametrize("m", [1, 3, 16, 300])
@pytest.mark.parametrize("repacked", [False, True])
def test_int4_linear_k25_shapes_gpu(m, n, k, repacked):
    packed, scale, w64 = make_weight(n, k, device="cuda")
    if repacked:
        packed, scale = repack_int4(packed, scale)
    x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
    out = int4_linear(x, packed, scale, torch.tensor([n, k], dtype=torch.int32, device="cuda"))
    torch.cuda.synchronize()
    assert out.dtype == torch.bfloat16 and torch.isfinite(out).all()
    assert rel(out, x.double() @ w64.T) < TOL[torch.bfloat16]
