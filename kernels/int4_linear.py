"""INT4 weight-only linear layer (W4A16) for the compressed-tensors `pack-quantized` layout.

Layout (spec §4.4): W[out, in] has group-32 symmetric scales. `weight_packed[out, ceil(in/8)]` int32
holds nibbles u = q + 8, element 8j+i in bits 4i..4i+3 of column j (lowest nibble first);
`weight_scale[out, ceil(in/32)]` bf16; `weight_shape = [out, in]` (int32 or int64).
Dequantised W[r, c] = (u[r, c] - 8) * scale[r, c // 32].

This file holds the pure-PyTorch reference, which is both the CPU path and the test oracle.
"""
import torch

_SHIFTS = torch.arange(0, 32, 4, dtype=torch.int32)  # [8]: nibble i lives in bits 4i..4i+3


def int4_dequantize_ref(weight_packed: torch.Tensor, weight_scale: torch.Tensor,
                        weight_shape, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Unpack and scale to a dense W[out, in] of `dtype`."""
    n, k = (int(v) for v in weight_shape)
    shifts = _SHIFTS.to(weight_packed.device)
    u = (weight_packed.unsqueeze(-1) >> shifts) & 0xF                 # [N, K/8, 8]
    q = u.reshape(n, -1)[:, :k].to(dtype) - 8.0                      # [N, K]
    scale = weight_scale.to(dtype).repeat_interleave(32, dim=1)[:, :k]  # [N, K]
    return q * scale


def int4_linear_ref(x: torch.Tensor, weight_packed: torch.Tensor, weight_scale: torch.Tensor,
                    weight_shape) -> torch.Tensor:
    """`x[..., in] @ W.T -> [..., out]` computed in fp32, returned in x.dtype."""
    w = int4_dequantize_ref(weight_packed, weight_scale, weight_shape, torch.float32)
    return (x.to(torch.float32) @ w.T).to(x.dtype)
