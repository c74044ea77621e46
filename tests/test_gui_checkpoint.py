"""A tiny kimi_k25 checkpoint whose greedy output is a known web page, for the GUI tests, and its check.

Random tiny checkpoints write random bytes, in which the pipeline's code extraction finds no code, so a GUI
test could not see code stream into the editor. This builder writes a checkpoint in the exact K2.5 layout
(`model.build_model` names and shapes, INT4 routed experts, sharded, tiktoken tokenizer with K2.5's special
ids) whose weights make the decoder a deterministic bigram machine:

- every layer's input and post-attention RMSNorm weights are 0, so attention and MoE read a zero vector and
  add exactly 0 to the residual stream (the layers, experts and router still run in full);
- the residual stream is therefore the token embedding; the tokenizer has, after the 256 byte tokens, one token
  per chunk of the page (`SCRIPT`); chunk i's embedding is the unit vector e_(i+1), every other token's is e_0;
- `lm_head` row of chunk 0 is `GAIN·e_0`, of chunk i+1 is `GAIN·e_(i+1)`… so any prompt's last token (not a
  chunk) is followed by chunk 0, chunk i by chunk i+1, and the last chunk by `<|im_end|>`.

So the real engine (loader, MLA, MoE, INT4 kernels, KV cache, sampler, tokenizer, chat template, vision tower on
the input image, pipeline extraction) produces the page one chunk per token.
"""
import base64
import copy
import json
import threading
from pathlib import Path

import pytest
import torch

SCRIPT = (
    "<!DOCTYPE html>\n", "<html>\n", "<head>\n", "<meta charset=\"utf-8\">\n", "<style>\n",
    "body { font-family: sans-serif; margin: 0; background: #f4f6fb; }\n",
    "header { background: #1f3b73; color: #fff; padding: 24px 32px; }\n",
    ".card { background: #fff; margin: 24px 32px; padding: 16px; border-radius: 8px; }\n",
    "</style>\n", "</head>\n", "<body>\n", "<header>\n", "<h1>Scripted tiny model</h1>\n", "</header>\n",
    "<main>\n", "<section class=\"card\" id=\"streaming\">\n", "<h2>Streaming</h2>\n",
    "<p>Each chunk is one token of the real engine.</p>\n</section>\n",
    "<section class=\"card\" id=\"preview\">\n", "<h2>Preview</h2>\n",
    "<p>Rendered offline, network blocked.</p>\n</section>\n",
    "<section class=\"card\" id=\"versions\">\n", "<h2>Versions</h2>\n",
    "<p>Stop keeps what streamed.</p>\n</section>\n",
    "</main>\n", "<footer class=\"card\">uicode</footer>\n", "</body>\n", "</html>\n",
)
PAGE = "".join(SCRIPT)
GAIN = 40.0


def write_scripted_checkpoint(directory, chunks=SCRIPT, seed: int = 0, loop_to: int | None = None) -> Path:
    """`loop_to`: the last chunk is followed by chunk `loop_to` instead of `<|im_end|>`, so generation runs to
    max_new_tokens (long streams for bench/gui_latency.py)."""
    from ckpt_factory import TINY_BASE_TOKENS, random_tensors, tiny_k25_config_dict

    from model import build_model, load_config
    from model.checkpoint import save_checkpoint
    from model.tokenizer import K25_SPECIAL_OFFSETS, NUM_RESERVED_SPECIAL_TOKENS, k25_tokenizer_config

    n = TINY_BASE_TOKENS + len(chunks)
    cfg = copy.deepcopy(tiny_k25_config_dict(with_vision=True))
    text = cfg["text_config"]
    hidden = text["hidden_size"]
    assert len(chunks) + 1 <= hidden, "one embedding direction per chunk"
    assert len(set(chunks)) == len(chunks) and all(len(c.encode()) > 1 for c in chunks), "chunks are new tokens"
    ids = {k: n + off for k, off in K25_SPECIAL_OFFSETS.items()}
    text.update(vocab_size=n + NUM_RESERVED_SPECIAL_TOKENS, bos_token_id=ids["[BOS]"], eos_token_id=ids["[EOS]"],
                pad_token_id=ids["[PAD]"])
    cfg.update(bos_token_id=ids["[BOS]"], eos_token_id=ids["[EOS]"], pad_token_id=ids["[PAD]"],
               media_placeholder_token_id=ids["<|media_pad|>"])

    model = build_model(load_config(cfg), device="meta")
    def norm(name, shape, _g):
        if name.startswith("language_model.") and name.endswith(("input_layernorm.weight",
                                                                   "post_attention_layernorm.weight")):
            return torch.zeros(shape)  # the layers add exactly 0: see the module docstring
        return torch.ones(shape)

    tensors = random_tensors(model, seed, norm=norm)
    vocab = n + NUM_RESERVED_SPECIAL_TOKENS
    embed = torch.zeros(vocab, hidden)
    embed[:, 0] = 1.0
    head = torch.zeros(vocab, hidden)
    first = TINY_BASE_TOKENS
    head[first, 0] = GAIN
    for i in range(len(chunks)):
        embed[first + i] = 0.0
        embed[first + i, i + 1] = 1.0
        if i + 1 < len(chunks):
            head[first + i + 1, i + 1] = GAIN
    if loop_to is None:
        head[ids["<|im_end|>"], len(chunks)] = GAIN
    else:
        head[first + loop_to, len(chunks)] += GAIN
    tensors["language_model.model.embed_tokens.weight"] = embed
    tensors["language_model.lm_head.weight"] = head

    ranks = [bytes([i]) for i in range(TINY_BASE_TOKENS)] + [c.encode("utf-8") for c in chunks]
    lines = "".join(f"{base64.b64encode(b).decode('ascii')} {r}\n" for r, b in enumerate(ranks))
    extra = {"tiktoken.model": lines,
             "tokenizer_config.json": json.dumps(k25_tokenizer_config(n), indent=2) + "\n",
             # It writes HTML only, like the mini model: other targets are converted by the pipeline.
             "uicode.json": json.dumps({"targets": ["html"]}) + "\n"}
    return save_checkpoint(directory, tensors, cfg, num_shards=2, overwrite=True, extra_files=extra)


class TorchKernels:
    """A real backend whose generation runs the kernels' PyTorch path (`kernels.dispatch.use_backend("torch")`),
    which is what the app runs on a CPU without `TRITON_INTERPRET`. The suite sets `TRITON_INTERPRET=1` so that
    kernel tests exercise Triton; under the interpreter a decode step of this checkpoint costs ~0.3 s, which the
    GUI tests (about the window, not the kernels) do not need to pay. Everything else is the real backend."""

    def __init__(self, backend):
        self._backend = backend

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def stream(self, *args, **kwargs):
        from kernels.dispatch import use_backend

        with use_backend("torch"):  # a context variable: set in the worker thread that drains this generator
            yield from self._backend.stream(*args, **kwargs)


def torch_kernels_factory(values: dict, api_key: str):
    """The window's default backend factory, with local backends wrapped in `TorchKernels`."""
    from app.gui.prepare import default_backend_factory

    backend = default_backend_factory(values, api_key)
    return TorchKernels(backend) if values["backend"] != "openai" else backend


@pytest.fixture(scope="session")
def scripted_checkpoint(tmp_path_factory) -> Path:
    return write_scripted_checkpoint(tmp_path_factory.mktemp("scripted") / "ckpt")


@pytest.fixture(scope="session")
def looping_checkpoint(tmp_path_factory) -> Path:
    """The same page whose body repeats until max_new_tokens: a long stream."""
    return write_scripted_checkpoint(tmp_path_factory.mktemp("looping") / "ckpt", loop_to=SCRIPT.index("<main>\n"))


def test_scripted_checkpoint_streams_the_page_through_the_pipeline(scripted_checkpoint):
    from PIL import Image

    from app.events import CodeDelta, Finished
    from app.pipeline import ConvertRequest, Pipeline, make_backend

    backend = TorchKernels(make_backend("local", checkpoint=str(scripted_checkpoint)))
    request = ConvertRequest(media=(Image.new("RGB", (56, 56), (30, 60, 120)),), target="html",
                             max_new_tokens=64, seed=0)
    events = list(Pipeline(backend).stream(request, threading.Event()))
    deltas = [e.text for e in events if isinstance(e, CodeDelta)]
    (finished,) = [e for e in events if isinstance(e, Finished)]
    assert len(deltas) >= len(SCRIPT) // 2  # streamed in many steps
    assert "".join(deltas).strip() == PAGE.strip()
    assert finished.result.code.strip() == PAGE.strip() and finished.result.finish_reason == "stop"
    assert finished.result.new_tokens == len(SCRIPT) + 1  # one token per chunk, then <|im_end|>
