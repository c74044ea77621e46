"""K2.5's tokenizer: tiktoken byte-level BPE with the slow tokenizer's special-token ids.

What it does: reads a checkpoint's `tiktoken.model` (one `base64(token_bytes) rank` per line) and
`tokenizer_config.json` (`added_tokens_decoder`), builds a `tiktoken.Encoding` with K2.5's
pre-tokenisation regex and the 256 special slots that follow the mergeable ranks, and encodes /
decodes exactly like K2.5's `tokenization_kimi.TikTokenTokenizer` (spec §5.1): the 400,000-char /
25,000-char splitting rule, special-token strings encoded as specials when allowed, no BOS added.

Ids are the slow tokenizer's, never a converted fast tokenizer's (spec §5.4: the fast conversion
compacts the gaps and shifts `<|media_pad|>` by −3). For a vocabulary of n ranks the specials sit at
n + the K2.5 offsets (`[BOS]` n, `<|im_end|>` n+2, `<|media_pad|>` n+21 …), which is what
`k25_tokenizer_config(n)` writes for the mini checkpoints.

What it does not do: the chat layout (`model/chat.py`), media placeholder expansion, training a
vocabulary (`train/tokenizer.py`).
"""
from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Iterator, Mapping

import tiktoken

from uicode.errors import TokenizerError

# K2.5's pre-tokenisation regex, byte-identical to tokenization_kimi.py (spec §5.1). `&&` is
# character-class intersection: the letter classes exclude Han so CJK runs form their own pieces.
# tiktoken runs it with Rust fancy-regex; Python's `re` cannot (the `regex` module can, in V1 mode).
PAT_STR = "|".join(
    [
        r"""[\p{Han}]+""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]*[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]+[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

NUM_RESERVED_SPECIAL_TOKENS = 256
# tokenization_kimi.py: tiktoken's Rust encoder is fed at most this many chars at a time, and no run
# of whitespace or of non-whitespace longer than MAX_NO_WHITESPACES_CHARS (regex backtracking cost).
TIKTOKEN_MAX_ENCODE_CHARS = 400_000
MAX_NO_WHITESPACES_CHARS = 25_000

# Offsets of K2.5's named specials from the first special id (163584 for the real vocabulary);
# gaps at 5, 8, 16 and 24..253 are `<|reserved_token_{id}|>` (spec §5.1).
K25_SPECIAL_OFFSETS: dict[str, int] = {
    "[BOS]": 0,
    "[EOS]": 1,
    "<|im_end|>": 2,
    "<|im_user|>": 3,
    "<|im_assistant|>": 4,
    "<|start_header_id|>": 6,
    "<|end_header_id|>": 7,
    "[EOT]": 9,
    "<|im_system|>": 10,
    "<|tool_calls_section_begin|>": 11,
    "<|tool_calls_section_end|>": 12,
    "<|tool_call_begin|>": 13,
    "<|tool_call_argument_begin|>": 14,
    "<|tool_call_end|>": 15,
    "<|im_middle|>": 17,
    "<|media_begin|>": 18,
    "<|media_content|>": 19,
    "<|media_end|>": 20,
    "<|media_pad|>": 21,
    "<think>": 22,
    "</think>": 23,
    "[UNK]": 254,
    "[PAD]": 255,
}


def k25_tokenizer_config(num_base_tokens: int) -> dict:
    """A `tokenizer_config.json` body in K2.5's scheme: the named specials in `added_tokens_decoder`."""
    decoder = {
        str(num_base_tokens + off): {
            "content": name, "lstrip": False, "normalized": False, "rstrip": False,
            "single_word": False, "special": True,
        }
        for name, off in sorted(K25_SPECIAL_OFFSETS.items(), key=lambda kv: kv[1])
    }
    return {
        "added_tokens_decoder": decoder,
        "bos_token": "[BOS]",
        "eos_token": "[EOS]",
        "pad_token": "[PAD]",
        "unk_token": "[UNK]",
        "model_max_length": 1048576,
        "tokenizer_class": "TikTokenTokenizer",
        "auto_map": {"AutoTokenizer": ["tokenization_kimi.TikTokenTokenizer", None]},
    }


def write_tiktoken_model(path: str | Path, ranks: Mapping[bytes, int]) -> None:
    """Write mergeable ranks as `tiktoken.model` (base64 token, space, rank; one per line, by rank)."""
    lines = [f"{base64.b64encode(tok).decode('ascii')} {rank}\n" for tok, rank in sorted(ranks.items(), key=lambda kv: kv[1])]
    Path(path).write_text("".join(lines), encoding="ascii")


def read_tiktoken_model(path: str | Path) -> dict[bytes, int]:
    """Parse `tiktoken.model` into {token_bytes: rank}; ranks must be exactly 0..n-1.

    Parsed here rather than with `tiktoken.load.load_tiktoken_bpe`, which caches every file it reads
    under a key derived from the path alone (so a rewritten file at the same path reads stale) and
    fails with untyped errors on a malformed line.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TokenizerError(f"{path}: tokenizer vocabulary not found") from None
    except OSError as e:
        raise TokenizerError(f"{path}: cannot read tokenizer vocabulary ({e.strerror})") from None
    ranks: dict[bytes, int] = {}
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise TokenizerError(f"{path}:{lineno}: expected 'base64_token rank', got {len(parts)} fields")
        try:
            tok = base64.b64decode(parts[0], validate=True)
            rank = int(parts[1])
        except (binascii.Error, ValueError):
            raise TokenizerError(f"{path}:{lineno}: malformed token or rank") from None
        if tok in ranks:
            raise TokenizerError(f"{path}:{lineno}: token {tok!r} listed twice")
        ranks[tok] = rank
    if not ranks:
        raise TokenizerError(f"{path}: tokenizer vocabulary is empty")
    if sorted(ranks.values()) != list(range(len(ranks))):
        raise TokenizerError(f"{path}: ranks are not exactly 0..{len(ranks) - 1} (duplicates or gaps)")
    missing = [b for b in range(256) if bytes([b]) not in ranks]
    if missing:
        raise TokenizerError(f"{path}: byte-level vocabulary lacks single byte 0x{missing[0]:02x}")
    return ranks


def _read_special_tokens(path: Path, num_base_tokens: int) -> dict[str, int]:
    """Named specials from `added_tokens_decoder`, the remaining slots as reserved tokens."""
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TokenizerError(f"{path}: tokenizer config not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TokenizerError(f"{path}: cannot read tokenizer config ({e})") from None
    except json.JSONDecodeError as e:
        raise TokenizerError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from None
    decoder = cfg.get("added_tokens_decoder") if isinstance(cfg, dict) else None
    if not isinstance(decoder, dict):
        raise TokenizerError(f"{path}: field 'added_tokens_decoder' missing or not an object")
    lo, hi = num_base_tokens, num_base_tokens + NUM_RESERVED_SPECIAL_TOKENS
    named: dict[int, str] = {}
    for key, entry in decoder.items():
        try:
            idx = int(key)
        except ValueError:
            raise TokenizerError(f"{path}: added_tokens_decoder key {key!r} is not an integer id") from None
        content = entry.get("content") if isinstance(entry, dict) else None
        if not isinstance(content, str) or not content:
            raise TokenizerError(f"{path}: added_tokens_decoder[{key}] has no string 'content'")
        if not lo <= idx < hi:
            raise TokenizerError(
                f"{path}: special token {content!r} id {idx} outside the special range {lo}..{hi - 1}"
            )
        named[idx] = content
    specials = {named.get(i, f"<|reserved_token_{i}|>"): i for i in range(lo, hi)}
    if len(specials) != NUM_RESERVED_SPECIAL_TOKENS:
        raise TokenizerError(f"{path}: added_tokens_decoder names one special token twice")
    return specials


class Tokenizer:
    """Encode/decode text with K2.5's ids. Build with `Tokenizer.from_dir(checkpoint_dir)`.

    `vocab_size` = mergeable ranks + 256 special slots (163,840 for the real K2.5).
    """

    def __init__(self, mergeable_ranks: dict[bytes, int], special_tokens: dict[str, int], name: str = "kimi_k25"):
        self.num_base_tokens = len(mergeable_ranks)
        self.special_tokens = dict(special_tokens)
        self._enc = tiktoken.Encoding(
            name=name, pat_str=PAT_STR, mergeable_ranks=mergeable_ranks, special_tokens=self.special_tokens
        )
        self._id_to_special = {i: s for s, i in self.special_tokens.items()}

    @classmethod
    def from_dir(cls, directory: str | Path) -> "Tokenizer":
        """Load `tiktoken.model` + `tokenizer_config.json` from a checkpoint directory."""
        directory = Path(directory)
        if not directory.is_dir():
            raise TokenizerError(f"{directory}: not a directory")
        ranks = read_tiktoken_model(directory / "tiktoken.model")
        specials = _read_special_tokens(directory / "tokenizer_config.json", len(ranks))
        return cls(ranks, specials)

    # ---- sizes and special ids -------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self.num_base_tokens + NUM_RESERVED_SPECIAL_TOKENS

    def token_id(self, special: str) -> int:
        """Id of a special-token string such as `<|im_end|>`."""
        try:
            return self.special_tokens[special]
        except KeyError:
            raise TokenizerError(f"special token {special!r} is not in this tokenizer") from None

    bos_id = property(lambda self: self.token_id("[BOS]"))
    eos_id = property(lambda self: self.token_id("[EOS]"))
    im_end_id = property(lambda self: self.token_id("<|im_end|>"))
    im_user_id = property(lambda self: self.token_id("<|im_user|>"))
    im_assistant_id = property(lambda self: self.token_id("<|im_assistant|>"))
    im_system_id = property(lambda self: self.token_id("<|im_system|>"))
    im_middle_id = property(lambda self: self.token_id("<|im_middle|>"))
    media_begin_id = property(lambda self: self.token_id("<|media_begin|>"))
    media_content_id = property(lambda self: self.token_id("<|media_content|>"))
    media_end_id = property(lambda self: self.token_id("<|media_end|>"))
    media_pad_id = property(lambda self: self.token_id("<|media_pad|>"))
    think_id = property(lambda self: self.token_id("<think>"))
    think_end_id = property(lambda self: self.token_id("</think>"))
    pad_id = property(lambda self: self.token_id("[PAD]"))
    unk_id = property(lambda self: self.token_id("[UNK]"))

    # ---- encode / decode ---------------------------------------------------------------------
    def encode(self, text: str, allow_special: bool = True) -> list[int]:
        """Token ids of `text`. With `allow_special`, special-token strings in the text become their
        ids (K2.5's `allowed_special="all"`); without, they are encoded as ordinary text."""
        ids: list[int] = []
        for start in range(0, len(text), TIKTOKEN_MAX_ENCODE_CHARS):
            for piece in _split_long_runs(text[start : start + TIKTOKEN_MAX_ENCODE_CHARS], MAX_NO_WHITESPACES_CHARS):
                if allow_special:
                    ids.extend(self._enc.encode(piece, allowed_special="all"))
                else:
                    ids.extend(self._enc.encode(piece, disallowed_special=()))
        return ids

    def decode_bytes(self, ids) -> bytes:
        """The raw bytes of `ids` (a multi-byte character may be split across tokens)."""
        ids = [int(i) for i in ids]
        for i in ids:
            if not 0 <= i < self.vocab_size:
                raise TokenizerError(f"token id {i} is outside the vocabulary (0..{self.vocab_size - 1})")
        return self._enc.decode_bytes(ids)

    def decode(self, ids) -> str:
        """Text of `ids`; invalid UTF-8 (a character cut off at the end) becomes U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return f"Tokenizer(num_base_tokens={self.num_base_tokens}, vocab_size={self.vocab_size})"


def _split_long_runs(s: str, max_run: int) -> Iterator[str]:
    """Cut `s` so that no run of whitespace or of non-whitespace is longer than `max_run` chars.

    Same cut points as tokenization_kimi.py's `_split_whitespaces_or_nonwhitespaces`; the pieces
    concatenate back to `s`.
    """
    run_len = 0
    run_is_space = s[0].isspace() if s else False
    start = 0
    for i, ch in enumerate(s):
        is_space = ch.isspace()
        if run_is_space ^ is_space:
            run_len = 1
            run_is_space = is_space
        else:
            run_len += 1
            if run_len > max_run:
                yield s[start:i]
                start = i
                run_len = 1
    yield s[start:]
