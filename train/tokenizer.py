"""Learn a byte-level BPE on a text corpus and export it in K2.5's tokenizer format.

What it does: trains a `tokenizers` BPE whose pre-tokeniser is K2.5's own regex (spec §5.1, run by
the library's Oniguruma engine, which supports the `&&` class intersection and splits exactly like
tiktoken's fancy-regex on the test strings of tests/test_tokenizer.py) followed by the GPT-2 byte to
unicode mapping, then writes `tiktoken.model` (base64 token bytes + rank, rank = the BPE id) and
`tokenizer_config.json` with K2.5's special-token scheme (256 slots after the ranks, named ones at
K2.5's offsets). `model.Tokenizer.from_dir(out_dir)` then loads it.

    python -m train.tokenizer CORPUS_DIR OUT_DIR --vocab-size N

`N` is the model's vocabulary: mergeable ranks + 256 special slots (163,840 for the real K2.5), so a
mini checkpoint's `vocab_size` can be set to the same N.

Why the exported tiktoken tokenizer encodes like the trained one: tiktoken merges the adjacent pair
whose concatenation has the lowest rank; the BPE model applies its merge list in order, and the
trainer numbers each new token right after the merge that created it, so rank order = merge order.
The two can still differ in principle (tiktoken merges *any* adjacent pair whose concatenation is a
token, the BPE model only the listed pairs); on trained vocabularies this did not occur (0 differing
documents on held-out Python sources and HTML, vocabularies of 4k-8k), and the test checks held-out
text. The model is built with `ignore_merges` (a piece that is a whole vocabulary entry is one token),
which is tiktoken's fast path too.

What it does not do: normalisation (K2.5 has none), training the model, choosing the corpus.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterable, Iterator

from tokenizers import Regex, Tokenizer as HFTokenizer, decoders, models, pre_tokenizers, trainers

from model.tokenizer import NUM_RESERVED_SPECIAL_TOKENS, PAT_STR, k25_tokenizer_config, write_tiktoken_model

TEXT_SUFFIXES = {".txt", ".html", ".htm", ".css", ".js", ".jsx", ".ts", ".tsx", ".vue", ".md", ".json", ".svg", ".py"}


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte → printable-char table (what `pre_tokenizers.ByteLevel` maps bytes to)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def _pre_tokenizer():
    return pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PAT_STR), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )


def train_bpe(texts: Iterable[str], vocab_size: int, min_frequency: int = 2, show_progress: bool = False) -> HFTokenizer:
    """A byte-level BPE with `vocab_size - 256` mergeable ranks (ids 0..n-1; the 256 single bytes first).

    Fewer ranks than asked come out when the corpus runs out of pairs seen `min_frequency` times.
    """
    n_ranks = vocab_size - NUM_RESERVED_SPECIAL_TOKENS
    if n_ranks < 257:
        raise ValueError(f"vocab size {vocab_size} leaves no room for merges (needs > {256 + NUM_RESERVED_SPECIAL_TOKENS})")
    tok = HFTokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = _pre_tokenizer()
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=n_ranks,
        min_frequency=min_frequency,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[],
        show_progress=show_progress,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def ranks_from_bpe(tok: HFTokenizer) -> dict[bytes, int]:
    """{token bytes: rank} with rank = the BPE id; checks ids are exactly 0..n-1 and bytes unique."""
    inv = {c: b for b, c in bytes_to_unicode().items()}
    vocab = tok.get_vocab(with_added_tokens=False)
    ranks = {bytes(inv[ch] for ch in s): i for s, i in vocab.items()}
    if len(ranks) != len(vocab) or sorted(ranks.values()) != list(range(len(vocab))):
        raise ValueError("BPE vocabulary ids are not a dense 0..n-1 range of distinct byte strings")
    return ranks


def export_k25(tok: HFTokenizer, out_dir: str | Path) -> dict[bytes, int]:
    """Write `tiktoken.model` and `tokenizer_config.json` into `out_dir`; returns the ranks."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ranks = ranks_from_bpe(tok)
    write_tiktoken_model(out_dir / "tiktoken.model", ranks)
    (out_dir / "tokenizer_config.json").write_text(json.dumps(k25_tokenizer_config(len(ranks)), indent=2) + "\n")
    return ranks


def iter_corpus(corpus_dir: str | Path) -> Iterator[str]:
    """Every UTF-8 text file under `corpus_dir` with a text suffix, in sorted path order."""
    for path in sorted(Path(corpus_dir).rglob("*")):
        if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES:
            try:
                yield path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                print(f"train.tokenizer: skipping {path} (not UTF-8 text)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m train.tokenizer", description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus_dir", help="directory of text files (.txt .html .css .js .md .json …), searched recursively")
    ap.add_argument("out_dir", help="where tiktoken.model and tokenizer_config.json are written")
    ap.add_argument("--vocab-size", type=int, required=True, help="model vocabulary: ranks + 256 special slots")
    ap.add_argument("--min-frequency", type=int, default=2)
    args = ap.parse_args(argv)
    corpus = Path(args.corpus_dir)
    if not corpus.is_dir():
        print(f"error: {corpus}: not a directory", file=sys.stderr)
        return 2
    texts = list(iter_corpus(corpus))
    if not texts:
        print(f"error: {corpus}: no text files found", file=sys.stderr)
        return 2
    try:
        tok = train_bpe(texts, args.vocab_size, args.min_frequency, show_progress=sys.stderr.isatty())
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    ranks = export_k25(tok, args.out_dir)
    if len(ranks) + NUM_RESERVED_SPECIAL_TOKENS < args.vocab_size:
        print(f"train.tokenizer: warning: the corpus yields only {len(ranks)} ranks, so the vocabulary is "
              f"{len(ranks) + NUM_RESERVED_SPECIAL_TOKENS}, not {args.vocab_size}; use a larger corpus or a smaller "
              "--vocab-size (the model's vocab_size must match)", file=sys.stderr)
    print(
        f"trained on {len(texts)} files ({sum(map(len, texts)):,} chars): {len(ranks)} ranks + "
        f"{NUM_RESERVED_SPECIAL_TOKENS} specials = vocab {len(ranks) + NUM_RESERVED_SPECIAL_TOKENS} → {args.out_dir}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
