"""Compute kernels of the INT4 engine: Triton on CUDA (and under TRITON_INTERPRET=1), a pure-PyTorch
reference everywhere else; `kernels.dispatch` chooses once and lets tests override.

The model imports only the public names below. Each has a `*_ref` twin in its module that is the CPU path
and the test oracle.
"""
from kernels.dispatch import backend, use_backend
from kernels.fused_moe import fused_moe
from kernels.int4_linear import int4_linear, repack_int4
from kernels.mla_decode import mla_decode

__all__ = ["backend", "fused_moe", "int4_linear", "mla_decode", "repack_int4", "use_backend"]
