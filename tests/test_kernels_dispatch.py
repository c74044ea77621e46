"""`kernels.dispatch`: backend resolution, the env var and context-manager overrides, regime and autotune policy."""
import sys

import pytest
import torch

from kernels import dispatch, int4_linear, use_backend
from test_kernels_int4 import make_weight


@pytest.fixture
def fresh_resolution():
    """Let a test re-resolve the default backend under its own environment, then forget that choice."""
    dispatch._resolve_backend.cache_clear()
    yield
    dispatch._resolve_backend.cache_clear()


def test_default_backend_under_interpreter(fresh_resolution, monkeypatch):
    monkeypatch.delenv("UICODE_KERNELS", raising=False)
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    assert dispatch.backend() == "triton"


def test_env_var_forces_torch_and_rejects_unknown(fresh_resolution, monkeypatch):
    monkeypatch.setenv("UICODE_KERNELS", "torch")
    assert dispatch.backend() == "torch"
    dispatch._resolve_backend.cache_clear()
    monkeypatch.setenv("UICODE_KERNELS", "cuda")
    with pytest.raises(ValueError, match="UICODE_KERNELS"):
        dispatch.backend()


def test_use_backend_nests_and_restores_on_error():
    before = dispatch.backend()
    with pytest.raises(RuntimeError):
        with use_backend("torch"):
            assert dispatch.backend() == "torch"
            with use_backend("triton"):
                assert dispatch.backend() == "triton"
            assert dispatch.backend() == "torch"
            raise RuntimeError("boom")
    assert dispatch.backend() == before
    with pytest.raises(ValueError, match="backend"):
        with use_backend("cuda"):
            pass


def test_torch_backend_routes_to_reference(monkeypatch):
    """Under use_backend('torch') no Triton launch happens (the launcher is made to fail if reached)."""
    mod = sys.modules["kernels.int4_linear"]  # the package attribute of that name is the function
    monkeypatch.setattr(mod, "_launch", lambda *a, **k: pytest.fail("Triton path taken"))
    packed, scale, w64 = make_weight(8, 32, device="cpu")
    x = torch.randn(2, 32)
    with use_backend("torch"):
        out = int4_linear(x, packed, scale, (8, 32))
    assert torch.allclose(out.double(), x.double() @ w64.T, rtol=1e-5, atol=1e-5)


def test_regime_and_autotune_policy(monkeypatch):
    assert dispatch.matmul_regime(1) == "gemv" and dispatch.matmul_regime(4) == "gemv"
    assert dispatch.matmul_regime(5) == "gemv_tc" and dispatch.matmul_regime(16) == "gemv_tc"
    assert dispatch.matmul_regime(17) == "gemm"
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    monkeypatch.setenv("UICODE_AUTOTUNE", "1")
    assert dispatch.autotune_enabled()
    monkeypatch.setenv("UICODE_AUTOTUNE", "0")
    assert not dispatch.autotune_enabled()
    monkeypatch.setenv("UICODE_AUTOTUNE", "1")
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    assert not dispatch.autotune_enabled()  # timing the interpreter means nothing


def test_an_env_var_pins_one_candidate_of_one_kernel(monkeypatch):
    cands = ["a", "b", "c"]

    def never(cfg):  # a pinned kernel is not timed
        raise AssertionError("timed")

    monkeypatch.setenv("UICODE_AUTOTUNE_PIN", "mla_decode=2, fused_moe=1")
    assert dispatch.pick_config("mla_decode", (1,), cands, never) == "c"
    assert dispatch.pick_config("fused_moe", (1,), cands, never) == "b"
    monkeypatch.setenv("UICODE_AUTOTUNE", "0")
    assert dispatch.pick_config("int4_gemv", (1,), cands, never) == "a"    # not named: the policy as before
    monkeypatch.setenv("UICODE_AUTOTUNE_PIN", "mla_decode=7")
    with pytest.raises(ValueError, match="3 candidates"):
        dispatch.pick_config("mla_decode", (1,), cands, never)
    monkeypatch.setenv("UICODE_AUTOTUNE_PIN", "mla_decode")
    with pytest.raises(ValueError, match="kernel=index"):
        dispatch.pick_config("mla_decode", (1,), cands, never)
