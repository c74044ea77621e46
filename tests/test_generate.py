"""model.generate: greedy vs full recomputation, sampling, stops, cancel, streaming UTF-8.

Two stand-in models keep these tests independent of the decoder: a tiny causal transformer with its
own KV cache (greedy decode must equal argmax of a no-cache recomputation of the whole sequence),
and a scripted model that emits a fixed token sequence (stops, cancel, UTF-8 splitting). The end to
end test against `model.build_model` is at the bottom.
"""
import json
import math
import threading

import pytest
import torch

from model.generate import GenerationResult, SamplingParams, TextDelta, generate, generate_text, sample_next
from model.tokenizer import Tokenizer, k25_tokenizer_config, write_tiktoken_model

N_BASE = 256 + 4  # bytes + a few merges


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    d = tmp_path_factory.mktemp("tok")
    ranks = {bytes([i]): i for i in range(256)}
    for t in (b"ab", b"cd", b"abcd", b"<tag>"):
        ranks[t] = len(ranks)
    write_tiktoken_model(d / "tiktoken.model", ranks)
    (d / "tokenizer_config.json").write_text(json.dumps(k25_tokenizer_config(len(ranks))))
    return Tokenizer.from_dir(d)


class ToyCache:
    def __init__(self, batch, max_len, dim):
        self.k = torch.zeros(batch, max_len, dim)
        self.v = torch.zeros(batch, max_len, dim)
        self.seq_len = 0


class ToyLM(torch.nn.Module):
    """One causal attention layer with sinusoidal positions; logits [B,S,V] fp32."""

    def __init__(self, vocab, dim=32, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.dim = dim
        self.emb = torch.nn.Parameter(torch.randn(vocab, dim, generator=g))
        self.wq, self.wk, self.wv = (torch.nn.Parameter(torch.randn(dim, dim, generator=g) / math.sqrt(dim)) for _ in range(3))
        self.head = torch.nn.Parameter(torch.randn(vocab, dim, generator=g) * 3 / math.sqrt(dim))
        self.calls = []

    def make_cache(self, batch, max_len):
        return ToyCache(batch, max_len, self.dim)

    def forward(self, ids, cache=None, **media):
        self.calls.append((tuple(ids.shape), sorted(media)))
        B, S = ids.shape
        start = cache.seq_len if cache is not None else 0
        pos = torch.arange(start, start + S, dtype=torch.float32)[:, None]
        freq = torch.exp(-torch.arange(self.dim, dtype=torch.float32) / self.dim * 4)
        x = self.emb[ids] + torch.sin(pos * freq)  # [B, S, D]
        q, k, v = x @ self.wq, x @ self.wk, x @ self.wv
        if cache is not None:
            cache.k[:, start : start + S] = k
            cache.v[:, start : start + S] = v
            k, v = cache.k[:, : start + S], cache.v[:, : start + S]
            cache.seq_len = start + S
        T = k.shape[1]
        mask = torch.arange(T)[None, :] <= (torch.arange(start, start + S)[:, None])  # [S, T]
        att = (q @ k.transpose(1, 2) / math.sqrt(self.dim)).masked_fill(~mask, float("-inf")).softmax(-1)
        return ((att @ v + x) @ self.head.T).float()


class ScriptedLM(torch.nn.Module):
    """Emits `script[k]` as the k-th generated token, whatever the input."""

    def __init__(self, vocab, script):
        super().__init__()
        self.vocab, self.script = vocab, list(script)
        self.n_prompt = None

    def make_cache(self, batch, max_len):
        c = type("C", (), {})()
        c.seq_len = 0
        return c

    def forward(self, ids, cache=None, **media):
        if cache.seq_len == 0:
            self.n_prompt = ids.shape[1]
        cache.seq_len += ids.shape[1]
        k = cache.seq_len - self.n_prompt
        out = torch.zeros(1, ids.shape[1], self.vocab)
        out[0, -1, self.script[min(k, len(self.script) - 1)]] = 1.0
        return out


def run(model, tok, prompt, params, **kw):
    events = list(generate(model, tok, prompt, params, **kw))
    assert all(isinstance(e, TextDelta) for e in events[:-1])
    res = events[-1]
    assert isinstance(res, GenerationResult)
    # the stream and the result agree
    assert "".join(e.text for e in events[:-1]) == res.text
    assert sum((e.token_ids for e in events[:-1]), ()) == res.token_ids
    return events[:-1], res


def test_greedy_equals_full_recomputation(tok):
    model = ToyLM(tok.vocab_size)
    prompt = tok.encode("abcd hello <tag>")
    _, res = run(model, tok, prompt, SamplingParams(max_new_tokens=24))
    stop = {tok.im_end_id, tok.eos_id}
    ids = list(prompt)
    with torch.no_grad():
        for got in res.token_ids:
            ref = int(model(torch.tensor([ids]))[0, -1].argmax())
            assert got == ref
            ids.append(ref)
        ref = int(model(torch.tensor([ids]))[0, -1].argmax())
    if res.finish_reason == "stop":
        assert ref in stop
    else:
        assert res.finish_reason == "length" and res.new_tokens == 24
    assert res.prompt_tokens == len(prompt)
    # prefill once with the whole prompt, then single tokens
    assert model.calls[0][0] == (1, len(prompt))
    assert all(c[0] == (1, 1) for c in model.calls[1 : res.new_tokens])


def test_seed_determinism_and_topk1_is_greedy(tok):
    model = ToyLM(tok.vocab_size, seed=1)
    prompt = tok.encode("seed test")
    p = dict(max_new_tokens=16, temperature=1.0, top_p=0.95)
    a = generate_text(model, tok, prompt, SamplingParams(seed=7, **p))
    b = generate_text(model, tok, prompt, SamplingParams(seed=7, **p))
    c = generate_text(model, tok, prompt, SamplingParams(seed=8, **p))
    assert a.token_ids == b.token_ids
    assert a.token_ids != c.token_ids
    greedy = generate_text(model, tok, prompt, SamplingParams(max_new_tokens=16))
    k1 = generate_text(model, tok, prompt, SamplingParams(max_new_tokens=16, temperature=1.3, top_k=1, seed=3))
    assert k1.token_ids == greedy.token_ids


def test_sample_next_filters():
    logits = torch.tensor([0.0, 5.0, 4.9, -1.0, 4.8])
    g = torch.Generator().manual_seed(0)
    draws = {sample_next(logits, SamplingParams(temperature=1.0, top_k=2), g) for _ in range(200)}
    assert draws == {1, 2}
    draws = {sample_next(logits, SamplingParams(temperature=1.0, top_p=0.01), g) for _ in range(50)}
    assert draws == {1}
    # top_p keeps the token that crosses the threshold: p = [.., .36, .33, .., .30]-ish
    draws = {sample_next(logits, SamplingParams(temperature=1.0, top_p=0.5), g) for _ in range(300)}
    assert draws == {1, 2}
    assert sample_next(logits, SamplingParams(), None) == 1


def test_stop_on_im_end_and_eos(tok):
    script = tok.encode("abcd") + [tok.im_end_id] + tok.encode("never")
    _, res = run(ScriptedLM(tok.vocab_size, script), tok, [1, 2, 3], SamplingParams(max_new_tokens=50))
    assert (res.text, res.finish_reason) == ("abcd", "stop")
    assert res.new_tokens == 2 and res.token_ids == (tok.encode("abcd")[0],)
    script = tok.encode("xy") + [tok.eos_id]
    _, res = run(ScriptedLM(tok.vocab_size, script), tok, [1], SamplingParams(max_new_tokens=50))
    assert (res.text, res.finish_reason) == ("xy", "stop")
    script = tok.encode("xyz")
    _, res = run(ScriptedLM(tok.vocab_size, script), tok, [1], SamplingParams(stop_token_ids=(ord("z"),)))
    assert (res.text, res.finish_reason) == ("xy", "stop")


def test_max_new_tokens(tok):
    script = tok.encode("0123456789" * 5)
    _, res = run(ScriptedLM(tok.vocab_size, script), tok, [1], SamplingParams(max_new_tokens=7))
    assert (res.text, res.finish_reason, res.new_tokens) == ("0123456", "length", 7)


def test_stop_string_across_tokens_is_cut_and_never_streamed(tok):
    script = tok.encode("hello</ht") + tok.encode("ml> trailing")
    events, res = run(
        ScriptedLM(tok.vocab_size, script), tok, [1], SamplingParams(max_new_tokens=60, stop_strings=("</html>",))
    )
    assert (res.text, res.finish_reason) == ("hello", "stop")
    assert all("<" not in e.text for e in events)
    # a prefix of a stop string that does not complete is released at the end
    script = tok.encode("a</htx</h")
    _, res = run(ScriptedLM(tok.vocab_size, script), tok, [1], SamplingParams(max_new_tokens=9, stop_strings=("</html>",)))
    assert (res.text, res.finish_reason) == ("a</htx</h", "length")


def test_cancel_mid_way_keeps_partial_text(tok):
    script = tok.encode("The quick brown fox jumps over the lazy dog")
    cancel = threading.Event()
    seen = []
    for ev in generate(ScriptedLM(tok.vocab_size, script), tok, [1], SamplingParams(max_new_tokens=100), cancel=cancel):
        if isinstance(ev, TextDelta):
            seen.append(ev.text)
            if len(seen) == 5:
                cancel.set()
        else:
            res = ev
    assert res.finish_reason == "cancelled"
    assert res.text == "".join(seen) == "The q"
    assert len(res.token_ids) == 5
    # a callable flag, set before the start: nothing is computed
    _, res = run(ScriptedLM(tok.vocab_size, script), tok, [1], SamplingParams(), cancel=lambda: True)
    assert (res.text, res.new_tokens, res.finish_reason) == ("", 0, "cancelled")


def test_utf8_split_across_tokens_never_yields_replacement(tok):
    text = "héllo 👍 世界 ü"
    script = list(text.encode("utf-8"))  # one byte per token: multi-byte characters are split
    events, res = run(ScriptedLM(tok.vocab_size, script), tok, [1], SamplingParams(max_new_tokens=len(script)))
    assert res.text == text
    assert all("\ufffd" not in e.text for e in events)
    # a delta carries the ids of bytes that were held back
    emoji = next(e for e in events if "👍" in e.text)
    assert len(emoji.token_ids) == 4 and emoji.text == "👍"


def test_media_kwargs_go_to_prefill_only(tok):
    model = ToyLM(tok.vocab_size)
    media = {"pixel_values": torch.zeros(4, 3, 14, 14), "grid_thws": torch.tensor([[1, 2, 2]])}
    res = generate_text(model, tok, [5, 6, 7], SamplingParams(max_new_tokens=3, stop_token_ids=()), media=media)
    assert model.calls[0][1] == ["grid_thws", "pixel_values"]
    assert all(c[1] == [] for c in model.calls[1:])
    assert res.new_tokens >= 1


def test_inference_mode_does_not_leak_into_consumer(tok):
    gen = generate(ToyLM(tok.vocab_size), tok, [1, 2], SamplingParams(max_new_tokens=4))
    for _ in gen:
        assert not torch.is_inference_mode_enabled()


def test_sampling_params_validation():
    with pytest.raises(ValueError, match="top_p"):
        SamplingParams(top_p=0.0)
    with pytest.raises(ValueError, match="max_new_tokens"):
        SamplingParams(max_new_tokens=0)
    with pytest.raises(ValueError, match="temperature"):
        SamplingParams(temperature=-1)


def test_result_rates():
    r = GenerationResult("x", (1, 2), prompt_tokens=100, new_tokens=11, finish_reason="length", prefill_s=0.5, decode_s=2.0)
    assert r.prefill_tokens_per_s == 200.0 and r.decode_tokens_per_s == 5.0


# ------------------------------------------------------------------- end to end with the decoder

@pytest.fixture
def one_thread():
    """Tiny ops on 2 shared, busy cores run ~10x faster on one thread than with OpenMP spinning."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_decoder_greedy_matches_transformers_full_recomputation(tok, one_thread):
    """Our decoder + KV cache + loop, greedy, against transformers' DeepseekV3 (the INT4-rounded
    reference) run once over the whole generated sequence with no cache."""
    from ckpt_factory import checkpoint_tensors, make_reference_model, quantized_reference, text_config_dict

    from model import build_model, load_config

    ref = make_reference_model(seed=3, vocab_size=tok.vocab_size)
    model = build_model(load_config(text_config_dict(ref)), device="cpu", dtype=torch.float32)
    model.load_state_dict(checkpoint_tensors(ref), strict=True)
    model.eval()
    oracle = quantized_reference(ref)
    prompt = tok.encode("<|im_user|>user<|im_middle|>make a button<|im_end|><|im_assistant|>")
    _, res = run(model, tok, prompt, SamplingParams(max_new_tokens=20, ignore_eos=True))
    assert res.new_tokens == 20 and res.finish_reason == "length"
    full = torch.tensor([prompt + list(res.token_ids)])
    with torch.no_grad():
        ref_logits = oracle(full).logits[0, len(prompt) - 1 : -1]          # [20, V]: predicts each new token
        our_nocache = model(full)[0, len(prompt) - 1 : -1]
    for i, t in enumerate(res.token_ids):
        # equal to the argmax, up to near-ties (INT4 and fp32 summation order differ by ~1e-5)
        assert ref_logits[i].max() - ref_logits[i, t] < 1e-4, (i, t, int(ref_logits[i].argmax()))
        assert our_nocache[i].max() - our_nocache[i, t] < 1e-4
    assert len(set(res.token_ids)) > 1  # not a degenerate constant sequence


def test_multimodal_image_prompt_end_to_end(tmp_path, one_thread):
    """A tiny kimi_k25 checkpoint with vision: chat prompt with one image, media passed to the prefill;
    greedy tokens equal the argmax of the same model run once over the whole sequence without a cache."""
    from PIL import Image

    from ckpt_factory import write_tiny_k25_checkpoint
    from model import load_model
    from model.chat import ImagePart, Message, TextPart, encode_chat
    from vision import preprocess_image

    ckpt = write_tiny_k25_checkpoint(tmp_path / "ckpt", seed=5, with_vision=True)
    model, tok = load_model(ckpt), Tokenizer.from_dir(ckpt)
    img = Image.new("RGB", (60, 40), (200, 30, 30))
    img.paste((20, 20, 220), (30, 0, 60, 40))
    item = preprocess_image(img)
    grid = torch.tensor([item.grid_thw])
    media = {"pixel_values": item.pixel_values, "grid_thws": grid}
    msgs = [Message("user", [ImagePart(), TextPart("Code this.")])]
    prompt = encode_chat(tok, msgs, model.media_token_counts(grid), thinking=False)
    assert prompt.count(tok.media_pad_id) == model.media_token_counts(grid)[0] > 1
    _, res = run(model, tok, prompt, SamplingParams(max_new_tokens=6, ignore_eos=True), media=media)
    full = torch.tensor([prompt + list(res.token_ids)])
    with torch.inference_mode():
        logits = model(full, **media)[0, len(prompt) - 1 : -1]
    for i, t in enumerate(res.token_ids):
        assert logits[i].max() - logits[i, t] < 1e-4
    # the image matters: without it (pads left as plain embeddings) the first logits differ
    with torch.inference_mode():
        other = preprocess_image(Image.new("RGB", (60, 40), (0, 255, 0)))
        alt = model(torch.tensor([prompt]), pixel_values=other.pixel_values, grid_thws=grid)[0, -1]
        assert (alt - model(torch.tensor([prompt]), **media)[0, -1]).abs().max() > 1e-4


def test_generate_batch_rows_are_the_single_sequence_samples(tmp_path, one_thread):
    """Parallel sampling of one image prompt (best-of-N): each row's tokens equal `generate` run alone with
    that row's settings, the greedy row is the argmax of a no-cache recomputation, the prompt is prefilled
    once, and a row that ends leaves the batch."""
    from PIL import Image

    from ckpt_factory import write_tiny_k25_checkpoint
    from model import load_model
    from model.chat import ImagePart, Message, TextPart, encode_chat
    from model.generate import generate_batch
    from vision import preprocess_image

    ckpt = write_tiny_k25_checkpoint(tmp_path / "ckpt", seed=5, with_vision=True)
    model, tok = load_model(ckpt), Tokenizer.from_dir(ckpt)
    item = preprocess_image(Image.new("RGB", (60, 40), (200, 30, 30)))
    grid = torch.tensor([item.grid_thw])
    media = {"pixel_values": item.pixel_values, "grid_thws": grid}
    prompt = encode_chat(tok, [Message("user", [ImagePart(), TextPart("Code this.")])],
                         model.media_token_counts(grid), thinking=False)
    params = [SamplingParams(max_new_tokens=9, ignore_eos=True),
              SamplingParams(max_new_tokens=4, temperature=0.9, seed=1, ignore_eos=True),
              SamplingParams(max_new_tokens=9, temperature=0.9, seed=2, ignore_eos=True)]
    shapes = []
    hook = model.register_forward_pre_hook(lambda mod, args, kw: shapes.append(tuple(args[0].shape)),
                                           with_kwargs=True)
    events = list(generate_batch(model, tok, prompt, params, media=media))
    hook.remove()
    results = {k: ev for k, ev in events if isinstance(ev, GenerationResult)}
    assert sorted(results) == [0, 1, 2]
    for k, p in enumerate(params):
        streamed = "".join(ev.text for j, ev in events if j == k and isinstance(ev, TextDelta))
        assert streamed == results[k].text and results[k].new_tokens == p.max_new_tokens
        _, alone = run(model, tok, prompt, p, media=media)
        assert results[k].token_ids == alone.token_ids
    assert results[1].token_ids != results[2].token_ids
    # one prefill of one row, then 3 rows until row 1 ends after 4 tokens, then 2 rows
    assert shapes[0] == (1, len(prompt)) and shapes[1:4] == [(3, 1)] * 3 and shapes[4:] == [(2, 1)] * 5
    full = torch.tensor([prompt + list(results[0].token_ids)])
    with torch.inference_mode():
        logits = model(full, **media)[0, len(prompt) - 1 : -1]
    for i, t in enumerate(results[0].token_ids):
        assert logits[i].max() - logits[i, t] < 1e-4
