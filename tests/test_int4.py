"""INT4 pack-quantized primitives against compressed-tensors' own packer, quantizer and dequantizer.

compressed-tensors is the format's reference implementation (spec §4.4); every comparison here is
bit-exact except the float dequantization, which must also be exact because both sides compute
(u - 8) * scale in fp32 from the same bf16 scale.
"""
import pytest
import torch

from compressed_tensors.compressors.pack_quantized.helpers import pack_to_int32, unpack_from_int32
from compressed_tensors.quantization import QuantizationArgs
from compressed_tensors.quantization.lifecycle.forward import dequantize, quantize
from compressed_tensors.quantization.utils import calculate_qparams

from model.int4 import (compute_scales, dequantize_int4, pack_int4, quantize_int4, quantize_values,
                        unpack_int4)

# Shapes (N, K), one comment each.
PACK_SHAPES = [
    (1, 8),       # one word
    (3, 1),       # K=1: seven padding nibbles
    (5, 13),      # K not a multiple of 8
    (7, 33),      # one past a group boundary
    (16, 64),     # aligned
    (4, 200),     # K % 8 == 0 but K % 32 != 0
    (2, 7168),    # the K2.5 hidden size
]
GROUP_SHAPES = [(1, 32), (9, 96), (16, 256), (3, 2048)]   # K % 32 == 0 (compressed-tensors' group rule)

ARGS = QuantizationArgs(num_bits=4, type="int", symmetric=True, strategy="group", group_size=32)


@pytest.mark.parametrize("shape", PACK_SHAPES)
def test_pack_matches_compressed_tensors(shape):
    g = torch.Generator().manual_seed(shape[0] * 1000 + shape[1])
    q = torch.randint(-8, 8, shape, generator=g, dtype=torch.int8)
    ours = pack_int4(q)
    ref = pack_to_int32(q, 4)
    assert ours.dtype == torch.int32 and ours.shape == ref.shape
    assert torch.equal(ours, ref)
    assert torch.equal(unpack_int4(ref, shape[1]), unpack_from_int32(ref, 4, torch.Size(shape)))
    assert torch.equal(unpack_int4(ours, shape[1]), q)


def test_pack_sets_the_sign_bit_and_orders_nibbles_lowest_first():
    q = torch.tensor([[-8, -7, 0, 1, 2, 3, 4, 7]], dtype=torch.int8)   # u = 0,1,8,9,10,11,12,15
    word = int(pack_int4(q)[0, 0]) & 0xFFFFFFFF
    assert word == 0xFCBA9810
    assert int(pack_int4(q)[0, 0]) < 0                                 # stored as signed int32


def test_pack_leading_dims():
    q = torch.randint(-8, 8, (3, 4, 20), dtype=torch.int8)
    assert torch.equal(pack_int4(q), pack_to_int32(q, 4))


@pytest.mark.parametrize("shape", GROUP_SHAPES)
def test_scales_match_compressed_tensors_minmax(shape):
    g = torch.Generator().manual_seed(7 + shape[1])
    w = torch.randn(shape, generator=g) * 0.05
    w[0, :32] = 0.0                                     # an all-zero group
    groups = w.reshape(shape[0], -1, 32)
    ref_scale, _ = calculate_qparams(groups.amin(-1), groups.amax(-1), ARGS)
    ours = compute_scales(w)
    assert ours.dtype == torch.bfloat16
    nonzero = ref_scale != 0
    nonzero[0, 0] = False
    assert torch.equal(ours[nonzero], ref_scale[nonzero].to(torch.bfloat16))
    assert ours[0, 0] > 0                               # no division by zero later


@pytest.mark.parametrize("shape", GROUP_SHAPES)
def test_quantize_dequantize_match_compressed_tensors(shape):
    g = torch.Generator().manual_seed(11 + shape[0])
    w = torch.randn(shape, generator=g) * 0.02
    packed, scale, wshape = quantize_int4(w)
    assert wshape.dtype == torch.int32 and wshape.tolist() == list(shape)
    q_ref = quantize(w, scale.float(), None, ARGS, dtype=torch.int8)
    assert torch.equal(quantize_values(w, scale), q_ref)
    assert torch.equal(packed, pack_to_int32(q_ref, 4))
    w_ref = dequantize(q_ref, scale.float(), None, ARGS, dtype=torch.float32)
    assert torch.equal(dequantize_int4(packed, scale, wshape), w_ref)
    # INT4 error bound: half a step, plus the bf16 rounding of the scale (< 2^-8 relative) that
    # can push the group's absmax slightly past the clamp at 7.
    step = scale.float().repeat_interleave(32, dim=1)
    assert torch.all((dequantize_int4(packed, scale, wshape) - w).abs() <= 0.55 * step)


def test_int64_weight_shape_accepted():
    w = torch.randn(6, 40)
    packed, scale, shape = quantize_int4(w)
    a = dequantize_int4(packed, scale, shape)
    b = dequantize_int4(packed, scale, shape.to(torch.int64))
    assert torch.equal(a, b) and a.shape == (6, 40)


def test_odd_k_round_trip_and_padding():
    # K=45: two groups (32 + 13), six words with three padding nibbles.
    w = torch.randn(4, 45)
    packed, scale, shape = quantize_int4(w)
    assert packed.shape == (4, 6) and scale.shape == (4, 2)
    assert ((packed[:, -1] >> 20) & 0xFFF).eq(0).all()  # padding nibbles are zero
    err = (dequantize_int4(packed, scale, shape) - w).abs()
    assert err.max() <= 0.55 * scale.float().max()


def test_kernel_reference_agrees_with_int4_format():
    from kernels.int4_linear import int4_dequantize_ref
    w = torch.randn(12, 70)
    packed, scale, shape = quantize_int4(w)
    assert torch.equal(int4_dequantize_ref(packed, scale, shape), dequantize_int4(packed, scale, shape))


def test_bad_inputs_raise():
    with pytest.raises(TypeError):
        pack_int4(torch.zeros(2, 8, dtype=torch.int32))
    with pytest.raises(ValueError):
        unpack_int4(torch.zeros(2, 2, dtype=torch.int32), 17)
    with pytest.raises(ValueError):
        dequantize_int4(torch.zeros(2, 2, dtype=torch.int32), torch.ones(2, 1), [2, 20])
