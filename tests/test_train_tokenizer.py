"""train.tokenizer: a BPE learnt with `tokenizers`, exported to K2.5's tiktoken format, must encode
held-out text to the same ids as the `tokenizers` model (an independent BPE implementation) and
round-trip arbitrary unicode through model.Tokenizer."""
import json
import os
import random
from pathlib import Path

import pytest

from model.tokenizer import Tokenizer
from train.tokenizer import bytes_to_unicode, export_k25, main, train_bpe

STDLIB = Path(os.__file__).parent
WORDS = ["你好", "世界", "按钮", "页面", "Привет", "кнопка", "naïve", "café", "👍", "カード", "설정", "données"]


def _multilingual(rng, n):
    return " ".join(rng.choice(WORDS) + rng.choice(["", ",", ".", "\n", " 12", "345"]) for _ in range(n))


@pytest.fixture(scope="module")
def corpus():
    files = sorted(STDLIB.glob("*.py"))
    rng = random.Random(0)
    train = [f.read_text(encoding="utf-8", errors="replace") for f in files[:40]] + [_multilingual(rng, 3000)]
    held = [f.read_text(encoding="utf-8", errors="replace") for f in files[100:115]] + [_multilingual(rng, 500)]
    return train, held


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    hf = train_bpe(corpus[0], vocab_size=3000)
    out = tmp_path_factory.mktemp("tok")
    ranks = export_k25(hf, out)
    return hf, ranks, Tokenizer.from_dir(out)


def test_bytes_to_unicode_is_a_bijection():
    table = bytes_to_unicode()
    assert len(table) == 256 and len(set(table.values())) == 256
    assert table[ord("A")] == "A" and table[ord(" ")] == "Ġ"


def test_exported_encodes_like_the_trained_bpe(trained, corpus):
    hf, ranks, tok = trained
    assert len(ranks) == 3000 - 256 and tok.vocab_size == 3000
    held = corpus[1]
    n_tokens = 0
    for text in held:
        ref = hf.encode(text).ids
        assert tok.encode(text, allow_special=False) == ref
        n_tokens += len(ref)
    # the vocabulary is actually used: real merges, clearly fewer tokens than bytes
    assert n_tokens < 0.5 * sum(len(t.encode()) for t in held)
    assert hf.decode(hf.encode(held[0]).ids) == held[0]


def test_k25_special_scheme(trained):
    _, ranks, tok = trained
    n = len(ranks)
    assert (tok.bos_id, tok.eos_id, tok.im_end_id, tok.media_pad_id, tok.think_id, tok.pad_id) == (
        n, n + 1, n + 2, n + 21, n + 22, n + 255,
    )
    assert tok.encode("<|im_user|>hi<|im_end|>")[0] == n + 3


def test_roundtrip_arbitrary_unicode(trained):
    _, _, tok = trained
    rng = random.Random(1)
    pools = [(0x20, 0x7E), (0xA0, 0x2FF), (0x400, 0x4FF), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0x1F300, 0x1FAFF)]
    for _ in range(200):
        chars = []
        for _ in range(rng.randint(1, 40)):
            lo, hi = rng.choice(pools)
            chars.append(chr(rng.randint(lo, hi)) if rng.random() < 0.8 else rng.choice(" \n\t\r  "))
        s = "".join(chars)
        assert tok.decode(tok.encode(s, allow_special=False)) == s


def test_cli(tmp_path, corpus, capsys):
    src = tmp_path / "corpus"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text(corpus[0][-1], encoding="utf-8")
    (src / "sub" / "b.py").write_text(corpus[0][0], encoding="utf-8")
    (src / "skip.bin").write_bytes(b"\xff\x00")
    out = tmp_path / "out"
    assert main([str(src), str(out), "--vocab-size", "800"]) == 0
    assert "vocab 800" in capsys.readouterr().out
    tok = Tokenizer.from_dir(out)
    assert tok.vocab_size == 800 and tok.im_end_id == 800 - 256 + 2
    cfg = json.loads((out / "tokenizer_config.json").read_text())
    assert cfg["added_tokens_decoder"][str(800 - 256 + 21)]["content"] == "<|media_pad|>"
    assert main([str(tmp_path / "missing"), str(out), "--vocab-size", "800"]) == 2
    assert main([str(src), str(out), "--vocab-size", "300"]) == 2
