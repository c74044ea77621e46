"""MoonViT encoder, merger and projector.

Oracles: transformers 5.23's own `kimi_k25` vision tower and projector (`Kimi_K25VisionModel`,
`Kimi_K25MultimodalProjection`) at a tiny config, loaded from our state dict through the same renames and
RoPE row permutation its checkpoint converter applies; plus float64 formulas written here from spec §3.3.
"""
from types import SimpleNamespace

import pytest
import torch

from vision.moonvit import (MoonViT, MoonViTConfig, apply_rope_interleaved, init_moonvit_weights,
                            rope_2d_angles, rope_rotations, sincos_time_table)
from vision.projector import PatchMergerProjector, merged_token_counts, tpool_patch_merger

TINY = MoonViTConfig(hidden_size=64, num_layers=2, num_heads=4, intermediate_size=96, pos_emb_height=8,
                     pos_emb_width=8, pos_emb_time=4, text_hidden_size=40)


def _tiny_tower(seed=0, cfg=TINY):
    torch.manual_seed(seed)
    m = MoonViT(cfg)
    init_moonvit_weights(m, std=0.05)
    with torch.no_grad():   # non-trivial norms and biases so a wrong name mapping shows
        for name, p in m.named_parameters():
            if name.endswith("bias") or "norm" in name:
                p.add_(torch.randn_like(p) * 0.1)
    return m.eval()


def _inputs(grids, seed=1):
    g = torch.Generator().manual_seed(seed)
    n = sum(t * h * w for t, h, w in grids)
    return torch.rand(n, 3, 14, 14, generator=g) * 2 - 1, torch.tensor(grids, dtype=torch.long)


# ---------------------------------------------------------------------------------------------- transformers

def to_transformers_names(sd, cfg):
    """Our (= checkpoint) names → transformers' Kimi_K25VisionModel names, as its conversion_mapping does:
    norm0/norm1 → norm1/norm2, fc0/fc1 → fc1/fc2, wo → attn.proj, wqkv split into q/k/v with the q/k rows
    permuted from interleaved RoPE pairs to rotate-half layout (PermuteForRope)."""
    out = {}
    heads, dh = cfg.num_heads, cfg.head_dim

    def permute(t):
        shape = t.shape
        t = t.reshape(heads, dh // 2, 2, *shape[1:]).transpose(1, 2)
        return t.reshape(shape)

    for k, v in sd.items():
        k2 = k.replace("encoder.blocks.", "layers.").replace("encoder.final_layernorm", "final_layernorm")
        k2 = k2.replace("pos_emb.weight", "pos_emb.position_embeddings")
        k2 = k2.replace(".norm1.", ".norm2.").replace(".norm0.", ".norm1.")
        k2 = k2.replace(".mlp.fc1.", ".mlp.fc2.").replace(".mlp.fc0.", ".mlp.fc1.")
        k2 = k2.replace(".wo.", ".attn.proj.")
        if ".wqkv." in k2:
            q, kk, vv = v.chunk(3, dim=0)
            suffix = k2.rsplit(".", 1)[1]
            base = k2.split(".wqkv.")[0]
            out[f"{base}.attn.q_proj.{suffix}"] = permute(q)
            out[f"{base}.attn.k_proj.{suffix}"] = permute(kk)
            out[f"{base}.attn.v_proj.{suffix}"] = vv
            continue
        out[k2] = v
    return out


def transformers_tower(ours, cfg):
    from transformers.models.kimi_k25.configuration_kimi_k25 import Kimi_K25VisionConfig
    from transformers.models.kimi_k25.modeling_kimi_k25 import Kimi_K25VisionModel
    hc = Kimi_K25VisionConfig(hidden_size=cfg.hidden_size, num_attention_heads=cfg.num_heads,
                              num_hidden_layers=cfg.num_layers, intermediate_size=cfg.intermediate_size,
                              pos_emb_height=cfg.pos_emb_height, pos_emb_width=cfg.pos_emb_width,
                              pos_emb_time=cfg.pos_emb_time, patch_size=cfg.patch_size)
    hc._attn_implementation = "eager"
    hf = Kimi_K25VisionModel(hc).eval()
    missing, unexpected = hf.load_state_dict(to_transformers_names(ours.state_dict(), cfg), strict=False)
    assert not unexpected and all("time_position" in m or "inv_freq" in m for m in missing), (missing, unexpected)
    return hf


def test_tower_and_projector_match_transformers():
    grids = [(1, 6, 10), (3, 4, 4), (1, 8, 8), (4, 2, 6)]   # image, 3-frame chunk, 64×64-like identity grid, 4 frames
    tower = _tiny_tower()
    hf = transformers_tower(tower, TINY)
    pv, gt = _inputs(grids)
    # transformers' merge index cannot mix frame counts in one call: run it on groups of equal t and
    # compare with our single packed call.
    sizes = [t * h * w for t, h, w in grids]
    pieces = list(torch.split(pv, sizes))
    with torch.no_grad():
        ours = tower(pv, gt)
        ref_images = hf(torch.cat([pieces[0], pieces[2]]), grid_thw=gt[[0, 2]])
        ref_chunk3 = hf(pieces[1], grid_thw=gt[[1]])
        ref_chunk4 = hf(pieces[3], grid_thw=gt[[3]])
    img_hidden = torch.split(ref_images.last_hidden_state, [sizes[0], sizes[2]])
    ref_hidden = torch.cat([img_hidden[0], ref_chunk3.last_hidden_state, img_hidden[1],
                            ref_chunk4.last_hidden_state])
    torch.testing.assert_close(ours, ref_hidden, atol=2e-5, rtol=1e-4)
    merged = tpool_patch_merger(ours, gt)
    img_pooled = torch.split(ref_images.pooler_output, [15, 16])
    ref_pooled = torch.cat([img_pooled[0], ref_chunk3.pooler_output, img_pooled[1], ref_chunk4.pooler_output])
    torch.testing.assert_close(merged, ref_pooled, atol=2e-5, rtol=1e-4)
    assert merged.shape[0] == sum(merged_token_counts(gt)) == 15 + 4 + 16 + 3

    from transformers.models.kimi_k25.modeling_kimi_k25 import Kimi_K25MultimodalProjection
    torch.manual_seed(5)
    proj = PatchMergerProjector(TINY)
    init_moonvit_weights(proj, std=0.05)
    with torch.no_grad():
        proj.pre_norm.weight.add_(torch.randn(TINY.hidden_size) * 0.1)
        proj.pre_norm.bias.add_(torch.randn(TINY.hidden_size) * 0.1)
    fake = SimpleNamespace(vision_config=SimpleNamespace(hidden_size=TINY.hidden_size, merge_kernel_size=[2, 2]),
                           projection_hidden_size=TINY.hidden_size, projection_layer_norm_eps=1e-5,
                           text_config=SimpleNamespace(hidden_size=TINY.text_hidden_size))
    hp = Kimi_K25MultimodalProjection(fake).eval()
    sd = {k.replace("proj.0", "in_proj").replace("proj.2", "out_proj"): v for k, v in proj.state_dict().items()}
    hp.load_state_dict(sd, strict=True)
    with torch.no_grad():
        torch.testing.assert_close(proj(merged), hp(merged).squeeze(1), atol=2e-5, rtol=1e-4)


# ---------------------------------------------------------------------------------------------- packing

def test_packed_equals_each_alone():
    grids = [(1, 4, 6), (2, 6, 2), (1, 2, 2), (4, 4, 4)]
    tower = _tiny_tower(seed=3)
    pv, gt = _inputs(grids, seed=4)
    with torch.no_grad():
        packed = tower(pv, gt)
        alone, start = [], 0
        for g in grids:
            n = g[0] * g[1] * g[2]
            alone.append(tower(pv[start:start + n], torch.tensor([g])))
            start += n
    torch.testing.assert_close(packed, torch.cat(alone), atol=1e-5, rtol=1e-5)
    # and the items really interact inside themselves: changing item 0 leaves item 1 untouched but moves item 0
    pv2 = pv.clone()
    pv2[:24] += 0.5
    with torch.no_grad():
        out2 = tower(pv2, gt)
    assert (out2[:24] - packed[:24]).abs().max() > 1e-3
    torch.testing.assert_close(out2[24:], packed[24:], atol=1e-5, rtol=1e-5)


def test_grid_mismatch_is_an_error():
    tower = _tiny_tower()
    pv, _ = _inputs([(1, 2, 2)])
    with pytest.raises(ValueError, match="patches"):
        tower(pv, torch.tensor([[1, 2, 4]]))


# ---------------------------------------------------------------------------------------------- pieces vs float64

def test_pos_grid_identity_at_native_size_and_bicubic_elsewhere():
    cfg = MoonViTConfig(hidden_size=16, num_layers=1, num_heads=1, intermediate_size=8)  # 64×64 grid
    pe = MoonViT(cfg).patch_embed.pos_emb
    torch.nn.init.normal_(pe.weight)
    torch.testing.assert_close(pe.spatial(64, 64), pe.weight.reshape(64 * 64, 16), rtol=0, atol=0)
    # 64 → 32 bicubic, align_corners=False, from the Keys kernel (a = −0.75) in float64
    w = pe.weight.double()

    def kernel(x):
        x = abs(x)
        a = -0.75
        if x <= 1:
            return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1
        if x < 2:
            return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a
        return 0.0

    def resample_axis(n_in, n_out):
        m = torch.zeros(n_out, n_in, dtype=torch.float64)
        for o in range(n_out):
            src = (o + 0.5) * n_in / n_out - 0.5
            base = int(torch.floor(torch.tensor(src)))
            for j in range(base - 1, base + 3):
                m[o, min(max(j, 0), n_in - 1)] += kernel(src - j)
        return m

    r_h, r_w = resample_axis(64, 12), resample_axis(64, 20)
    ref = torch.einsum("ah,bw,hwd->abd", r_h, r_w, w).reshape(240, 16)
    torch.testing.assert_close(pe.spatial(12, 20).double(), ref, atol=1e-5, rtol=1e-5)


def test_time_embedding_formula_and_images_get_none():
    d = 12
    tab = sincos_time_table(4, d)
    for m in range(4):
        for j in range(d // 2):
            om = 10000.0 ** (-2.0 * j / d)
            assert abs(tab[m, j].item() - __import__("math").sin(m * om)) < 1e-6
            assert abs(tab[m, d // 2 + j].item() - __import__("math").cos(m * om)) < 1e-6
    cfg = MoonViTConfig(hidden_size=d, num_layers=1, num_heads=1, intermediate_size=8, pos_emb_height=4,
                        pos_emb_width=4)
    pe = MoonViT(cfg).patch_embed.pos_emb
    torch.nn.init.normal_(pe.weight)
    x = torch.zeros(16 + 3 * 16, d)
    out = pe(x, [(1, 4, 4), (3, 4, 4)])
    grid = pe.weight.reshape(16, d)
    torch.testing.assert_close(out[:16], grid)                       # image: grid only
    for m in range(3):                                               # frame m: grid + time row m
        torch.testing.assert_close(out[16 + 16 * m:32 + 16 * m], grid + tab[m])


def test_rope_rotates_pair_2k_by_column_and_2k1_by_row():
    dh, theta = 72, 10000.0
    h, w = 3, 5
    ang = rope_2d_angles(h, w, dh, theta)
    assert ang.shape == (15, 36)
    x = torch.zeros(15, 1, dh)
    x[:, 0, 0] = 1.0    # pair 0 = (1, 0)
    x[:, 0, 2] = 1.0    # pair 1 = (1, 0)
    x[:, 0, 70] = 1.0   # pair 35 = (1, 0): k = 17, row
    out = apply_rope_interleaved(x, rope_rotations(ang)).double()
    import math
    f17 = theta ** (-4.0 * 17 / dh)
    for row in range(h):
        for col in range(w):
            i = row * w + col
            assert out[i, 0, 0].item() == pytest.approx(math.cos(col), abs=1e-6)
            assert out[i, 0, 1].item() == pytest.approx(math.sin(col), abs=1e-6)
            assert out[i, 0, 2].item() == pytest.approx(math.cos(row), abs=1e-6)
            assert out[i, 0, 3].item() == pytest.approx(math.sin(row), abs=1e-6)
            assert out[i, 0, 70].item() == pytest.approx(math.cos(row * f17), abs=1e-6)
            assert out[i, 0, 71].item() == pytest.approx(math.sin(row * f17), abs=1e-6)


def test_rope_scores_depend_on_relative_offset_only():
    dh = 16
    ang = rope_2d_angles(6, 6, dh)
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(1, 1, dh, generator=g), torch.randn(1, 1, dh, generator=g)
    qs = apply_rope_interleaved(q.expand(36, 1, dh), rope_rotations(ang))[:, 0]
    ks = apply_rope_interleaved(k.expand(36, 1, dh), rope_rotations(ang))[:, 0]
    s = lambda a, b: float(qs[a] @ ks[b])   # noqa: E731
    idx = lambda r, c: r * 6 + c            # noqa: E731
    assert s(idx(1, 1), idx(2, 4)) == pytest.approx(s(idx(3, 2), idx(4, 5)), abs=1e-4)
    assert s(idx(1, 1), idx(2, 4)) != pytest.approx(s(idx(1, 1), idx(4, 2)), abs=1e-3)  # swapped offset differs


def test_tpool_merger_layout_float64():
    t, h, w, d = 3, 4, 6, 5
    x = torch.randn(t * h * w, d, dtype=torch.float64)
    out = tpool_patch_merger(x, torch.tensor([[t, h, w]]))
    assert out.shape == (6, 4, d)
    xv = x.view(t, h, w, d)
    for tok in range(6):
        r, c = divmod(tok, w // 2)
        for s, (dr, dc) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
            ref = xv[:, 2 * r + dr, 2 * c + dc].mean(0)
            torch.testing.assert_close(out[tok, s], ref)


def test_full_config_shapes_on_meta():
    cfg = MoonViTConfig()
    with torch.device("meta"):
        tower, proj = MoonViT(cfg), PatchMergerProjector(cfg)
    sd = tower.state_dict()
    assert len(sd) == 329
    assert sum(v.numel() for v in sd.values()) == 416_866_032
    assert sum(v.numel() for v in proj.state_dict().values()) == 54_277_888
    assert sd["encoder.blocks.26.wqkv.weight"].shape == (3456, 1152)
    assert sd["patch_embed.pos_emb.weight"].shape == (64, 64, 1152)


@pytest.mark.gpu
def test_tower_on_cuda_bf16_close_to_cpu_fp32():
    grids = [(1, 6, 10), (4, 4, 4)]
    tower = _tiny_tower(seed=7)
    pv, gt = _inputs(grids, seed=8)
    with torch.no_grad():
        ref = tower(pv, gt)
        gpu = tower.to("cuda", torch.bfloat16)(pv.to("cuda", torch.bfloat16), gt).float().cpu()
    assert (gpu - ref).abs().max() < 0.1 * ref.abs().max()


def test_flop_count_matches_torch_flop_counter():
    """bench/vision.py's FLOP model vs torch's FlopCounterMode (attention through the math SDPA, whose
    matmuls the counter sees)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    from vision.moonvit import count_flops
    grids = [(1, 6, 10), (3, 4, 4)]
    tower = _tiny_tower()
    pv, gt = _inputs(grids)
    with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as fc:
        tower(pv, gt)
    assert fc.get_total_flops() == count_flops(grids, TINY)


def test_separable_bicubic_position_grid_equals_torch_interpolate():
    """The pos-emb resample as two 1-D weight matmuls gives F.interpolate's bicubic values (float64)."""
    import torch.nn.functional as F

    from vision.moonvit import PosEmbDividedFixed

    pe = PosEmbDividedFixed(TINY).double()
    for h, w in [(6, 10), (1, 1), (2, 90), (64, 3), (37, 64)]:
        ref = F.interpolate(pe.weight.permute(2, 0, 1)[None], size=(h, w), mode="bicubic",
                            align_corners=False)[0].permute(1, 2, 0).reshape(h * w, -1)
        torch.testing.assert_close(pe.spatial(h, w), ref, rtol=1e-6, atol=1e-6)


def test_padded_varlen_attention_equals_per_item_attention():
    """The GPU path (all items in one masked SDPA call) against one SDPA call per item, float64."""
    import torch.nn.functional as F

    from vision.moonvit import Varlen

    torch.manual_seed(0)
    lengths = [5, 17, 1, 9]
    q, k, v = (torch.randn(sum(lengths), 3, 8, dtype=torch.float64) for _ in range(3))
    out = Varlen(lengths).attend(q, k, v)
    start = 0
    for n in lengths:
        sl = slice(start, start + n)
        ref = F.scaled_dot_product_attention(*(t[sl].transpose(0, 1)[None] for t in (q, k, v)))
        torch.testing.assert_close(out[sl], ref[0].transpose(0, 1).reshape(n, -1))
        start += n


def test_position_grid_cache_built_in_inference_mode_still_trains():
    """A resample matrix first built under torch.inference_mode (a conversion) must not break a later
    training step that needs gradients through the grid."""
    from vision.moonvit import PosEmbDividedFixed

    pe = PosEmbDividedFixed(TINY)
    with torch.inference_mode():
        pe.spatial(7, 13)
    pe.spatial(7, 13).sum().backward()
    assert pe.weight.grad is not None and pe.weight.grad.abs().sum() > 0
