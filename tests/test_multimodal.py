"""`KimiK25ForConditionalGeneration`: the real K2.5 layout on meta, and a tiny random checkpoint running
image → logits and image → generated tokens on CPU.

The media rows are checked against transformers' own kimi_k25 vision tower and projector (loaded from the
checkpoint's tensors), spliced into the embeddings by hand here, then run through the text model.
"""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from uicode.errors import MediaError

from ckpt_factory import write_tiny_k25_checkpoint
from test_vision_moonvit import transformers_tower

K25_JSON = "assets/configs/kimi-k2.5.json"


@pytest.mark.slow   # ~14 s idle: building the 208,550-tensor K2.5 on meta
def test_real_k25_layout_on_meta():
    from model import build_model
    m = build_model(K25_JSON, device="meta")
    assert type(m).__name__ == "KimiK25ForConditionalGeneration"
    sd = m.state_dict()
    vt = {k: v for k, v in sd.items() if k.startswith("vision_tower.")}
    mp = {k: tuple(v.shape) for k, v in sd.items() if k.startswith("mm_projector.")}
    assert len(vt) == 329
    expect = {"vision_tower.patch_embed.proj.weight": (1152, 3, 14, 14), "vision_tower.patch_embed.proj.bias": (1152,),
              "vision_tower.patch_embed.pos_emb.weight": (64, 64, 1152),
              "vision_tower.encoder.final_layernorm.weight": (1152,),
              "vision_tower.encoder.final_layernorm.bias": (1152,)}
    for k in range(27):
        b = f"vision_tower.encoder.blocks.{k}."
        for n in ("norm0", "norm1"):
            expect[b + n + ".weight"] = expect[b + n + ".bias"] = (1152,)
        expect |= {b + "wqkv.weight": (3456, 1152), b + "wqkv.bias": (3456,), b + "wo.weight": (1152, 1152),
                   b + "wo.bias": (1152,), b + "mlp.fc0.weight": (4304, 1152), b + "mlp.fc0.bias": (4304,),
                   b + "mlp.fc1.weight": (1152, 4304), b + "mlp.fc1.bias": (1152,)}
    assert {k: tuple(v.shape) for k, v in vt.items()} == expect
    assert mp == {"mm_projector.pre_norm.weight": (1152,), "mm_projector.pre_norm.bias": (1152,),
                  "mm_projector.proj.0.weight": (4608, 4608), "mm_projector.proj.0.bias": (4608,),
                  "mm_projector.proj.2.weight": (7168, 4608), "mm_projector.proj.2.bias": (7168,)}
    n_vision = sum(v.numel() for v in vt.values())
    n_proj = sum(v.numel() for k, v in sd.items() if k.startswith("mm_projector."))
    assert round(n_vision / 1e6, 1) == 416.9 and round(n_proj / 1e6, 1) == 54.3
    assert all(v.dtype == torch.bfloat16 for v in vt.values())
    assert len(sd) == 208_550   # the whole checkpoint's tensor count (spec §4.2)


# ---------------------------------------------------------------------------------------------- tiny checkpoint

@pytest.fixture(autouse=True)
def _torch_kernels():
    """The INT4 experts' Triton path is covered by the kernel tests; under the CPU interpreter it would
    dominate this file's time, so the multimodal tests run the PyTorch reference kernels."""
    from kernels.dispatch import use_backend
    with use_backend("torch"):
        yield


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from model import Tokenizer, build_model, load_config
    from model.checkpoint import CheckpointDir
    d = write_tiny_k25_checkpoint(tmp_path_factory.mktemp("k25"), seed=0)
    ck = CheckpointDir(d)
    m = build_model(load_config(ck.config_path), device="cpu", dtype=torch.float32)
    m.load_state_dict({n: ck.tensor(n) for n in ck.names}, strict=True)
    return SimpleNamespace(dir=d, model=m.eval(), tok=Tokenizer.from_dir(d), sd={n: ck.tensor(n) for n in ck.names})


def _image(seed, w=100, h=60):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def _prompt(tok, counts, text="Make this page."):
    from model.chat import ImagePart, Message, TextPart, encode_chat
    parts = [ImagePart("a.png")] * len(counts) + [TextPart(text)]
    return encode_chat(tok, [Message("user", parts)], counts, thinking=False)


def _reference_media_rows(tiny, media):
    """Projected media rows from transformers' Kimi_K25VisionModel + Kimi_K25MultimodalProjection."""
    from transformers.models.kimi_k25.modeling_kimi_k25 import Kimi_K25MultimodalProjection
    m = tiny.model
    vcfg = m.vision_config
    tower = transformers_tower(m.vision_tower, vcfg)
    fake = SimpleNamespace(vision_config=SimpleNamespace(hidden_size=vcfg.hidden_size, merge_kernel_size=[2, 2]),
                           projection_hidden_size=vcfg.hidden_size, projection_layer_norm_eps=vcfg.projector_ln_eps,
                           text_config=SimpleNamespace(hidden_size=vcfg.text_hidden_size))
    proj = Kimi_K25MultimodalProjection(fake).eval()
    proj.load_state_dict({k.removeprefix("mm_projector.").replace("proj.0", "in_proj").replace("proj.2", "out_proj"): v
                          for k, v in tiny.sd.items() if k.startswith("mm_projector.")})
    with torch.no_grad():
        pooled = tower(media["pixel_values"], grid_thw=media["grid_thws"]).pooler_output
        return proj(pooled).squeeze(1)


def test_image_to_logits_matches_reference_splice(tiny):
    from vision import pack_media, preprocess_image
    items = [preprocess_image(_image(1)), preprocess_image(_image(2, 70, 90))]
    counts = [it.num_tokens for it in items]
    assert counts == [12, 12]   # 100×60 → grid 6×8; 70×90 → grid 8×6
    ids = torch.tensor([_prompt(tiny.tok, counts)])
    media = pack_media(items)
    with torch.no_grad():
        logits = tiny.model(ids, **media)
        rows = _reference_media_rows(tiny, media)
        emb = tiny.model.get_input_embeddings()(ids.masked_fill(ids == tiny.tok.media_pad_id, 0))
        pads = (ids[0] == tiny.tok.media_pad_id).nonzero().flatten()
        assert len(pads) == 24
        emb[0, pads] = rows                     # in order: image 1's 12 rows, then image 2's
        ref = tiny.model.language_model(inputs_embeds=emb)
    assert logits.shape == (1, ids.shape[1], tiny.model.config.text.vocab_size) and logits.dtype == torch.float32
    torch.testing.assert_close(logits, ref, atol=1e-4, rtol=1e-4)
    # the image matters after the first media token and not before it
    with torch.no_grad():
        other = tiny.model(ids, **pack_media([preprocess_image(_image(3)), items[1]]))
    first = int(pads[0])
    torch.testing.assert_close(other[0, :first], logits[0, :first])
    assert (other[0, first:] - logits[0, first:]).abs().max() > 1e-3


def test_prefill_with_cache_then_decode_matches_full_forward(tiny):
    from vision import pack_media, preprocess_image
    item = preprocess_image(_image(4))
    ids = torch.tensor([_prompt(tiny.tok, [item.num_tokens])])
    media = pack_media([item])
    with torch.no_grad():
        full = tiny.model(ids, **media)
        cache = tiny.model.make_cache(1, ids.shape[1] + 4)
        pre = tiny.model(ids[:, :-1], cache=cache, **media)
        step = tiny.model(ids[:, -1:], cache=cache)
    assert cache.seq_len == ids.shape[1]
    torch.testing.assert_close(pre, full[:, :-1], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(step[:, 0], full[:, -1], atol=1e-4, rtol=1e-4)


def test_media_count_mismatch_is_a_clear_error(tiny):
    from vision import pack_media, preprocess_image
    item = preprocess_image(_image(5))
    ids = torch.tensor([_prompt(tiny.tok, [item.num_tokens - 1])])
    with pytest.raises(MediaError, match=r"11 <\|media_pad\|> tokens but the 1 media item\(s\) give 12"):
        tiny.model(ids, **pack_media([item]))
    with pytest.raises(MediaError, match="no pixel_values"):
        tiny.model(ids)


def test_image_to_generated_tokens_deterministic(tiny):
    from model.generate import GenerationResult, SamplingParams, generate
    from vision import pack_media, preprocess_image
    item = preprocess_image(_image(6))
    ids = _prompt(tiny.tok, [item.num_tokens])

    def run(seed, image_seed=6):
        media = pack_media([preprocess_image(_image(image_seed))])
        params = SamplingParams(max_new_tokens=8, temperature=1.0, top_p=0.95, seed=seed, ignore_eos=True)
        events = list(generate(tiny.model, tiny.tok, ids, params, media=media))
        assert isinstance(events[-1], GenerationResult)
        return events[-1]

    a, b = run(123), run(123)
    assert a.token_ids == b.token_ids and a.text == b.text
    assert a.new_tokens == 8 and a.prompt_tokens == len(ids)
    greedy = list(generate(tiny.model, tiny.tok, ids, SamplingParams(max_new_tokens=6, ignore_eos=True),
                           media=pack_media([item])))[-1]
    # greedy decoding equals argmax over our own full forward passes, one token at a time
    seq = list(ids)
    for _ in range(6):
        with torch.no_grad():
            logits = tiny.model(torch.tensor([seq]), **pack_media([item]))[0, -1]
        seq.append(int(logits[: tiny.tok.vocab_size].argmax()))
    assert list(greedy.token_ids) == seq[len(ids):]


def test_video_chunk_through_the_model(tiny, tmp_path):
    import cv2

    from vision import pack_media
    from vision.video import video_chunks
    vw = cv2.VideoWriter(str(tmp_path / "v.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 4, (64, 48))
    for i in range(10):
        vw.write(np.full((48, 64, 3), 20 * i, np.uint8))
    vw.release()
    chunks = video_chunks(tmp_path / "v.mp4")          # 10 frames at 4 fps → 5 sampled → chunks of 4 + 1
    assert [c.item.grid_thw for c in chunks] == [(4, 4, 6), (1, 4, 6)]
    counts = [c.num_tokens for c in chunks]
    ids = torch.tensor([_prompt(tiny.tok, counts)])
    media = pack_media([c.item for c in chunks])
    with torch.no_grad():
        logits = tiny.model(ids, **media)
        rows = _reference_media_rows_per_item(tiny, [c.item for c in chunks])
        emb = tiny.model.embed(ids, **media)
    pads = (ids[0] == tiny.tok.media_pad_id).nonzero().flatten()
    torch.testing.assert_close(emb[0, pads], rows, atol=1e-5, rtol=1e-4)
    assert torch.isfinite(logits).all()


def _reference_media_rows_per_item(tiny, items):
    from vision import pack_media
    return torch.cat([_reference_media_rows(tiny, pack_media([it])) for it in items])


def test_load_model_on_tiny_k25(tiny):
    loading = pytest.importorskip("model.loading", reason="the loader is not written yet")
    m = loading.load_model(tiny.dir, device="cpu")
    assert type(m).__name__ == "KimiK25ForConditionalGeneration"
    from vision import pack_media, preprocess_image
    item = preprocess_image(_image(7))
    ids = torch.tensor([_prompt(tiny.tok, [item.num_tokens])])
    with torch.no_grad():
        torch.testing.assert_close(m(ids, **pack_media([item])), tiny.model(ids, **pack_media([item])),
                                   atol=1e-4, rtol=1e-4)


def test_projector_width_must_match_decoder():
    import copy

    from ckpt_factory import tiny_k25_config_dict
    from model import build_model, load_config
    from uicode.errors import ConfigError
    cfg = copy.deepcopy(tiny_k25_config_dict())
    cfg["vision_config"]["text_hidden_size"] = cfg["text_config"]["hidden_size"] + 8
    with pytest.raises(ConfigError, match="text_hidden_size"):
        build_model(load_config(cfg), device="meta")
