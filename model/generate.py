"""The generation loop: prefill, then token-by-token decode with an explicit KV cache, streamed.

What it does: `generate(model, tokenizer, prompt_ids, params, media=..., cancel=...)` is a generator.
It allocates one `KVCache` (`model.make_cache(1, prompt + max_new_tokens)`), runs the prompt through
the model once (media kwargs passed through to that prefill call only), then feeds one token at a
time, sampling each next token (greedy at temperature 0, else temperature / top-k / top-p from a
seeded `torch.Generator`). It stops on `<|im_end|>`, `[EOS]`, extra stop ids or stop strings, at
`max_new_tokens`, or when the cancel flag is set (checked between tokens; what was generated is
kept). Text is streamed as `TextDelta` events by an incremental UTF-8 decoder that holds back a
character whose bytes are split across tokens, and text that may be the start of a stop string.
The last event is a `GenerationResult` with timings.

`generate_batch` decodes several samples of one prompt side by side (one prefill, one batched call per
step) for best-of-N. What it does not do: build prompts (`model/chat.py`), preprocess media (`vision/`),
batch different requests, or speculative decoding. The decoder's own cost lives in `model/model.py`.

Stop tokens end generation but are not part of `text` / `token_ids`; they are counted in
`new_tokens` (they were computed). A stop string is cut from `text`; the tokens that produced it
stay in `token_ids`.
"""
from __future__ import annotations

import codecs
import inspect
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Literal, Mapping, Protocol, Sequence, Union

import torch

FinishReason = Literal["stop", "length", "cancelled"]
CancelFlag = Union[threading.Event, Callable[[], bool], None]


@dataclass(frozen=True)
class SamplingParams:
    """How to pick tokens. temperature 0 is greedy (top_k/top_p/seed ignored).

    top_k 0 and top_p 1.0 disable those filters; seed None draws a fresh seed per call.
    ignore_eos leaves `<|im_end|>` / `[EOS]` out of the stop set (benchmarks of a fixed length).
    K2.5's recommended settings (spec §5.3): thinking 1.0 / 0.95, instant 0.6 / 0.95.
    """

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int | None = None
    stop_token_ids: tuple[int, ...] = ()
    stop_strings: tuple[str, ...] = ()
    ignore_eos: bool = False

    def __post_init__(self):
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {self.top_k}")
        if any(not s for s in self.stop_strings):
            raise ValueError("stop strings must be non-empty")
        object.__setattr__(self, "stop_token_ids", tuple(int(t) for t in self.stop_token_ids))
        object.__setattr__(self, "stop_strings", tuple(self.stop_strings))


class TokenConstraint(Protocol):
    """Which tokens may come next (constrained decoding, e.g. `app.decode.grounding.HtmlTextGrounding`).

    One object per sequence: it holds that sequence's state. `allows` must not change it; `advance` is
    called with every chosen token that is not a stop token, in order. The optional `fallback(order)` names
    the token to take when none of the CONSTRAINT_TOP_K best is allowed (`order`: every id, best first),
    or None for the best allowed one; the optional `dead_end()` the token to take when no token at all is
    allowed (a stop token ends the reply there), or None to fail."""

    def allows(self, token_id: int) -> bool: ...

    def advance(self, token_id: int) -> None: ...

    def fallback(self, order: list[int]) -> int | None: ...


CONSTRAINT_TOP_K = 16  # the best tokens asked first; past them the constraint's fallback decides


def constrain(logits: torch.Tensor, constraint: TokenConstraint, greedy: bool) -> torch.Tensor:
    """`logits [V]` with the tokens the constraint refuses set to -inf.

    The CONSTRAINT_TOP_K best tokens are asked in order (stopping at the first allowed one when greedy);
    the allowed ones among them keep their logits, every other token is masked. When none of them is
    allowed, the one token left is the constraint's `fallback`, else the best allowed in the whole
    vocabulary, else (nothing allowed at all) the constraint's `dead_end`, e.g. a stop token. The best token, when allowed, is returned untouched, so an unconstrained greedy step costs
    one question."""
    best = int(torch.argmax(logits))
    if greedy and constraint.allows(best):
        return logits
    top = torch.topk(logits, min(CONSTRAINT_TOP_K, logits.numel())).indices.tolist()  # a full sort only if needed
    keep = []
    for t in top:
        if constraint.allows(t):
            keep.append(t)
            if greedy:
                break
    if not keep:
        order = torch.argsort(logits, descending=True).tolist()
        fallback = getattr(constraint, "fallback", None)
        pick = fallback(order) if fallback is not None else None
        if pick is None:
            pick = next((t for t in order[CONSTRAINT_TOP_K:] if constraint.allows(t)), None)
        if pick is None:
            dead_end = getattr(constraint, "dead_end", None)
            pick = dead_end() if dead_end is not None else None
        if pick is None:
            raise ValueError("the decoding constraint allows no token")
        keep = [pick]
    out = torch.full_like(logits, float("-inf"))
    idx = torch.tensor(keep, dtype=torch.long)
    out[idx] = logits[idx]
    return out


@dataclass(frozen=True)
class TextDelta:
    """Newly decoded text and the token ids generated since the previous delta.

    `text` may be empty when the new tokens end inside a UTF-8 character or a possible stop string.
    """

    text: str
    token_ids: tuple[int, ...]


@dataclass(frozen=True)
class GenerationResult:
    text: str
    token_ids: tuple[int, ...]
    prompt_tokens: int
    new_tokens: int
    finish_reason: FinishReason
    prefill_s: float  # prompt forward + first token
    decode_s: float  # every later token

    @property
    def prefill_tokens_per_s(self) -> float:
        return self.prompt_tokens / self.prefill_s if self.prefill_s > 0 else 0.0

    @property
    def decode_tokens_per_s(self) -> float:
        """Tokens per second of the decode phase (the first token comes from the prefill)."""
        steps = max(self.new_tokens - 1, 0)
        return steps / self.decode_s if self.decode_s > 0 else 0.0


def _is_cancelled(cancel: CancelFlag) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def sample_next(logits: torch.Tensor, params: SamplingParams, generator: torch.Generator | None) -> int:
    """Pick one token from `logits: [V]` (fp32). Greedy is the exact argmax (ties → lowest id)."""
    if params.temperature == 0.0:
        return int(torch.argmax(logits).item())
    logits = logits.float() / params.temperature
    if params.top_k > 0 and params.top_k < logits.numel():
        kth = torch.topk(logits, params.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if params.top_p < 1.0:
        sorted_p, order = torch.sort(probs, descending=True)
        # keep the smallest prefix whose mass reaches top_p (the token that crosses it included)
        drop = (torch.cumsum(sorted_p, 0) - sorted_p) >= params.top_p
        sorted_p = sorted_p.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_p)
    return int(torch.multinomial(probs, 1, generator=generator).item())


class _StreamDecoder:
    """Bytes of tokens in, printable text out: holds back an incomplete UTF-8 tail and any suffix
    that could begin a stop string; finds stop strings across token boundaries."""

    def __init__(self, stop_strings: Sequence[str]):
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stops = tuple(stop_strings)
        self.text = ""  # all decoded text so far (complete characters only)
        self.emitted = 0  # chars of self.text already handed out
        self.stopped_at: int | None = None  # index in self.text where a stop string begins

    def feed(self, data: bytes, final: bool = False) -> str:
        """Add bytes; return the newly printable text ('' while holding back)."""
        before = len(self.text)
        self.text += self._utf8.decode(data, final=final)
        if self._stops:
            # a stop string can only end in the new text, so search from max_len-1 chars before it
            start = max(0, before - max(len(s) for s in self._stops) + 1)
            hits = [i for i in (self.text.find(s, start) for s in self._stops) if i >= 0]
            if hits:
                self.stopped_at = min(hits)
                return self._emit_until(self.stopped_at)
        end = len(self.text) if final else len(self.text) - self._held_suffix()
        return self._emit_until(end)

    def _held_suffix(self) -> int:
        """Length of the longest tail of text that is a proper prefix of some stop string."""
        best = 0
        for s in self._stops:
            for k in range(min(len(s) - 1, len(self.text)), best, -1):
                if self.text.endswith(s[:k]):
                    best = k
                    break
        return best

    def _emit_until(self, end: int) -> str:
        end = max(end, self.emitted)
        out = self.text[self.emitted : end]
        self.emitted = end
        return out

    @property
    def final_text(self) -> str:
        return self.text if self.stopped_at is None else self.text[: self.stopped_at]


def _stop_ids(tokenizer, params: SamplingParams) -> frozenset[int]:
    ids = set(params.stop_token_ids)
    for name in () if params.ignore_eos else ("<|im_end|>", "[EOS]"):
        if name in getattr(tokenizer, "special_tokens", {}):
            ids.add(tokenizer.special_tokens[name])
    return frozenset(ids)


class _DecodeThreads:
    """Chooses the CPU thread count for single-token steps by measuring both candidates.

    A decode step of a small model is a few hundred tiny ops; on 2 cores with other load the OpenMP
    threads' hand-offs dominate: the mini model (assets/mini) decoded at 4 tok/s with 2 threads and
    68 tok/s with 1 on this 2-core machine under load (2026-11-23), while large models gain from every
    thread. So steps 1–3 run with 1 thread, steps 4–6 with the default, and the faster median is kept.
    On other devices the choice is not touched.
    """

    TRIAL = 3

    def __init__(self, device: torch.device):
        self.active = device.type == "cpu" and torch.get_num_threads() > 1
        self.default = torch.get_num_threads()
        self.times: dict[int, list[float]] = {1: [], self.default: []}
        self.chosen: int | None = None if self.active else self.default

    def candidate(self) -> int:
        if self.chosen is not None:
            return self.chosen
        return 1 if len(self.times[1]) < self.TRIAL else self.default

    def step(self, fn):
        n = self.candidate()
        if not self.active or n == self.default:
            prev = None
        else:
            prev = torch.get_num_threads()
            torch.set_num_threads(n)
        t = time.perf_counter()
        try:
            return fn()
        finally:
            if self.chosen is None:
                self.times[n].append(time.perf_counter() - t)
                if len(self.times[self.default]) >= self.TRIAL:
                    med = {k: sorted(v)[len(v) // 2] for k, v in self.times.items()}
                    self.chosen = min(med, key=med.get)
            if prev is not None:
                torch.set_num_threads(prev)


class _Sequence:
    """One sequence's decoding state: its sampling, stop rules, text stream and counts."""

    def __init__(self, tokenizer, params: SamplingParams, constraint: TokenConstraint | None = None):
        self.tokenizer, self.params, self.constraint = tokenizer, params, constraint
        self.stop_ids = _stop_ids(tokenizer, params)
        self.generator = None
        if params.temperature > 0:
            seed = params.seed if params.seed is not None else random.SystemRandom().randrange(2**63)
            self.generator = torch.Generator(device="cpu").manual_seed(seed)
        self.stream = _StreamDecoder(params.stop_strings)
        self.token_ids: list[int] = []
        self.pending: list[int] = []  # ids not yet reported in a TextDelta
        self.finish: FinishReason = "length"
        self.new_tokens = 0
        self.next_id = -1
        self.decode_s = 0.0

    def sample(self, logits: torch.Tensor) -> None:
        """Pick the next token from fp32 CPU logits `[V]` (see `_to_cpu_f32`), within the constraint if any."""
        if self.constraint is not None:
            logits = constrain(logits, self.constraint, greedy=self.params.temperature == 0.0)
        self.next_id = sample_next(logits, self.params, self.generator)

    def accept(self) -> tuple[list[TextDelta], bool]:
        """Take the sampled token: (text events, whether the sequence has ended by a stop or its length)."""
        self.new_tokens += 1
        if self.next_id in self.stop_ids:
            self.finish = "stop"
            return [], True
        if self.constraint is not None:
            self.constraint.advance(self.next_id)
        self.token_ids.append(self.next_id)
        self.pending.append(self.next_id)
        events = []
        text = self.stream.feed(self.tokenizer.decode_bytes([self.next_id]))
        if text:
            events.append(TextDelta(text, tuple(self.pending)))
            self.pending.clear()
        if self.stream.stopped_at is not None:
            self.finish = "stop"
            return events, True
        return events, self.new_tokens >= self.params.max_new_tokens

    def close(self, n_prompt: int, prefill_s: float) -> list[Union[TextDelta, GenerationResult]]:
        """The last text (held-back bytes) and the result."""
        events: list[Union[TextDelta, GenerationResult]] = []
        tail = self.stream.feed(b"", final=True) if self.stream.stopped_at is None else ""
        if tail or self.pending:
            events.append(TextDelta(tail, tuple(self.pending)))
        events.append(GenerationResult(text=self.stream.final_text, token_ids=tuple(self.token_ids),
                                       prompt_tokens=n_prompt, new_tokens=self.new_tokens,
                                       finish_reason=self.finish, prefill_s=prefill_s, decode_s=self.decode_s))
        return events


def generate(
    model,
    tokenizer,
    prompt_ids: Sequence[int] | torch.Tensor,
    params: SamplingParams | None = None,
    *,
    media: Mapping[str, torch.Tensor] | None = None,
    cancel: CancelFlag = None,
    constraint: TokenConstraint | None = None,
) -> Iterator[Union[TextDelta, GenerationResult]]:
    """Stream a completion of `prompt_ids` (one sequence): `TextDelta`s, then one `GenerationResult`.

    model: has `make_cache(batch, max_len)` and `model(ids[B,S], cache=cache, **media) -> [B,S,V]`.
    media: keyword tensors for the prefill call (`pixel_values`, `grid_thws`); never re-sent.
    cancel: a `threading.Event` or a callable returning True to stop; checked between tokens.
    constraint: tokens it refuses are never picked (see `constrain`).
    """
    for _, ev in generate_batch(model, tokenizer, prompt_ids, [params or SamplingParams()], media=media,
                                cancel=cancel, constraints=[constraint]):
        yield ev


def generate_batch(
    model,
    tokenizer,
    prompt_ids: Sequence[int] | torch.Tensor,
    params: Sequence[SamplingParams],
    *,
    media: Mapping[str, torch.Tensor] | None = None,
    cancel: CancelFlag = None,
    constraints: Sequence[TokenConstraint | None] | None = None,
) -> Iterator[tuple[int, Union[TextDelta, GenerationResult]]]:
    """Stream `len(params)` completions of one prompt decoded side by side (parallel sampling, e.g. best-of-N):
    `(k, TextDelta)` events, and one `(k, GenerationResult)` per sequence k as it ends.

    The prompt (and media) is prefilled once; its cache is copied to one row per sequence, and each step
    decodes every unfinished sequence in one batched call — on 2 CPU cores three rows cost ~1.6–1.7× one row
    (mini model, 2026-11-23). A sequence that ends leaves the batch. Each sequence has its own sampling
    settings, seed and constraint (`constraints[k]`, one object per sequence), so sequence k is the same text
    `generate` gives with `params[k]`.
    """
    if not params:
        raise ValueError("generate_batch needs at least one SamplingParams")
    constraints = list(constraints) if constraints is not None else [None] * len(params)
    if len(constraints) != len(params):
        raise ValueError(f"{len(constraints)} constraints for {len(params)} sequences")
    device = _model_device(model)
    prompt = torch.as_tensor(prompt_ids, dtype=torch.long).reshape(1, -1).to(device)  # [1, S]
    n_prompt = prompt.shape[1]
    if n_prompt == 0:
        raise ValueError("prompt_ids is empty")
    # A checkpoint's embedding table may be padded past the tokenizer; never sample an id it cannot decode.
    n_vocab = getattr(tokenizer, "vocab_size", None)
    seqs = [_Sequence(tokenizer, p, c) for p, c in zip(params, constraints)]
    prefill_s = 0.0

    # inference_mode is entered around each compute step, not around the loop: a `with` block left
    # open across `yield` would keep the mode on in the consumer's code between events.
    t0 = time.perf_counter()
    if _is_cancelled(cancel):
        for s in seqs:
            s.finish = "cancelled"
        active: list[int] = []
    else:
        with torch.inference_mode():
            cache = model.make_cache(1, n_prompt + max(p.max_new_tokens for p in params))
            # only the last position's logits are needed: [S, V] fp32 would be GBs for long prompts
            keep = {"logits_to_keep": 1} if _accepts_logits_to_keep(model) else {}
            logits = _to_cpu_f32(model(prompt, cache=cache, **keep, **(media or {}))[0, -1], n_vocab)  # [V]
            for s in seqs:
                s.sample(logits)
            if len(seqs) > 1:
                cache = cache.expand_rows(len(seqs))
        prefill_s = time.perf_counter() - t0
        active = list(range(len(seqs)))
    t_decode = time.perf_counter()
    threads = _DecodeThreads(device)
    while active:
        still = []
        for k in active:
            events, ended = seqs[k].accept()
            for ev in events:
                yield k, ev
            if not ended and _is_cancelled(cancel):  # checked after the consumer saw this token's text
                seqs[k].finish, ended = "cancelled", True
            if ended:
                seqs[k].decode_s = time.perf_counter() - t_decode
                for ev in seqs[k].close(n_prompt, prefill_s):
                    yield k, ev
            else:
                still.append(k)
        if not still:
            break
        with torch.inference_mode():
            if len(still) < len(active):
                cache.keep_rows([active.index(k) for k in still])
            step = torch.tensor([[seqs[k].next_id] for k in still], dtype=torch.long, device=device)  # [A, 1]
            logits = _to_cpu_f32(threads.step(lambda: model(step, cache=cache)[:, -1]), n_vocab)  # [A, V], one copy
            for row, k in enumerate(still):
                seqs[k].sample(logits[row])
        active = still
    for k, s in enumerate(seqs):  # cancelled before the prefill: every sequence ends empty
        if s.finish == "cancelled" and s.new_tokens == 0:
            for ev in s.close(n_prompt, prefill_s):
                yield k, ev


def _accepts_logits_to_keep(model) -> bool:
    try:
        return "logits_to_keep" in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def _model_device(model) -> torch.device:
    for p in model.parameters():
        return p.device
    for b in model.buffers():
        return b.device
    return torch.device("cpu")


def _to_cpu_f32(logits: torch.Tensor, n_vocab: int | None) -> torch.Tensor:
    """Logits `[..., V]` as fp32 on the CPU, cut to the tokenizer's vocabulary."""
    if n_vocab is not None and logits.shape[-1] > n_vocab:
        logits = logits[..., :n_vocab]
    return logits.float().cpu()


def generate_text(model, tokenizer, prompt_ids, params: SamplingParams | None = None, **kw) -> GenerationResult:
    """Run `generate` to the end and return only its result."""
    result = None
    for ev in generate(model, tokenizer, prompt_ids, params, **kw):
        result = ev
    return result
