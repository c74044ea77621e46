"""Compute kernels of the INT4 engine: Triton on CUDA, a pure-PyTorch reference everywhere else.

The model imports only the public names below.
"""
from kernels.int4_linear import int4_linear_ref as int4_linear  # replaced by the dispatching launcher

__all__ = ["int4_linear"]
