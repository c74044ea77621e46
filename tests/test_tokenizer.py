"""model.tokenizer: K2.5 special ids, the pre-tokenisation regex, round trips, file errors.

The split oracle is the `regex` module in V1 mode (it implements `&&` class intersection), an
implementation independent of tiktoken's Rust fancy-regex that our Tokenizer runs.
"""
import json
import random

import pytest
import regex

from model.tokenizer import (
    K25_SPECIAL_OFFSETS,
    PAT_STR,
    Tokenizer,
    _split_long_runs,
    k25_tokenizer_config,
    write_tiktoken_model,
)
from uicode.errors import TokenizerError

# The eight alternatives exactly as KIMI_K25_SPEC.md §5.1 lists them.
SPEC_ALTERNATIVES = [
    r"[\p{Han}]+",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]*[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]+[\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"\p{N}{1,3}",
    r" ?[^\s\p{L}\p{N}]+[\r\n]*",
    r"\s*[\r\n]+",
    r"\s+(?!\S)",
    r"\s+",
]

# Real K2.5 ids (spec §5.1) for the 23 named specials.
REAL_IDS = {
    "[BOS]": 163584, "[EOS]": 163585, "<|im_end|>": 163586, "<|im_user|>": 163587,
    "<|im_assistant|>": 163588, "<|start_header_id|>": 163590, "<|end_header_id|>": 163591,
    "[EOT]": 163593, "<|im_system|>": 163594, "<|tool_calls_section_begin|>": 163595,
    "<|tool_calls_section_end|>": 163596, "<|tool_call_begin|>": 163597,
    "<|tool_call_argument_begin|>": 163598, "<|tool_call_end|>": 163599, "<|im_middle|>": 163601,
    "<|media_begin|>": 163602, "<|media_content|>": 163603, "<|media_end|>": 163604,
    "<|media_pad|>": 163605, "<think>": 163606, "</think>": 163607, "[UNK]": 163838, "[PAD]": 163839,
}

TRICKY = [
    "Hello, world! It's a test.",
    "你好世界，这是中文。混合English和中文",
    "I'M here, you'RE there, we'll see, they'd've DON'T",
    "1234567 89 0.5 1,000,000 ١٢٣٤",
    "a  \n\n  b   \t\tc \r\n\r\n  ",
    "ÉcoleNormale été naïve coöperate",
    "x=1;//ok\r\n  return foo(bar)->baz;\n}",
    "Привет мир ΑΒΓ αβγ",
    "カタカナ ひらがな 한국어 テストtest",
    "emoji 👍🏽 and ZWJ 👨‍👩‍👧 flags 🇫🇷",
    "<div class=\"card\">\n    <h1>Title</h1>\n</div>",
    "   leading and trailing   ",
    "CamelCaseWords HTTPServer iPhone",
]


def _write_dir(tmp_path, ranks):
    write_tiktoken_model(tmp_path / "tiktoken.model", ranks)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(k25_tokenizer_config(len(ranks))))
    return tmp_path


def _byte_ranks(extra=()):
    ranks = {bytes([i]): i for i in range(256)}
    for tok in extra:
        if tok not in ranks:
            ranks[tok] = len(ranks)
    return ranks


def test_pat_str_is_the_spec_regex():
    assert PAT_STR == "|".join(SPEC_ALTERNATIVES)


def test_split_examples_by_hand():
    pat = regex.compile("|".join(SPEC_ALTERNATIVES), regex.V1)
    assert pat.findall("1234567") == ["123", "456", "7"]
    assert pat.findall("你好abc") == ["你好", "abc"]
    assert pat.findall("DON'T we'll") == ["DON'T", " we'll"]
    assert pat.findall("a   b") == ["a", "  ", " b"]
    assert pat.findall("x\n\n  y") == ["x", "\n\n", " ", " y"]


@pytest.mark.parametrize("text", TRICKY)
def test_tiktoken_pieces_match_regex_v1(tmp_path, text):
    """Every regex piece is put in the vocabulary whole, so tiktoken's output is one token per piece
    iff its Rust regex splits the text exactly where the V1 reference regex does."""
    pieces = regex.compile("|".join(SPEC_ALTERNATIVES), regex.V1).findall(text)
    assert "".join(pieces) == text
    ranks = _byte_ranks(p.encode() for p in pieces)
    tok = Tokenizer.from_dir(_write_dir(tmp_path, ranks))
    assert tok.encode(text) == [ranks[p.encode()] for p in pieces]
    assert tok.decode(tok.encode(text)) == text


def test_special_ids_real_vocabulary_offsets():
    # the offsets table reproduces the real ids with 163,584 ranks
    assert {k: 163584 + v for k, v in K25_SPECIAL_OFFSETS.items()} == REAL_IDS


def test_special_ids_mini_vocabulary(tmp_path):
    ranks = _byte_ranks([b"ab", b"abc", b" the"])
    n = len(ranks)
    tok = Tokenizer.from_dir(_write_dir(tmp_path, ranks))
    assert tok.vocab_size == n + 256
    assert (tok.bos_id, tok.eos_id, tok.im_end_id) == (n, n + 1, n + 2)
    assert (tok.media_pad_id, tok.think_id, tok.think_end_id) == (n + 21, n + 22, n + 23)
    assert (tok.im_middle_id, tok.unk_id, tok.pad_id) == (n + 17, n + 254, n + 255)
    assert tok.encode("<|media_pad|><|im_end|>") == [n + 21, n + 2]
    assert tok.encode(f"<|reserved_token_{n + 5}|>") == [n + 5]
    assert tok.decode([n + 16]) == f"<|reserved_token_{n + 16}|>"
    # not allowed: the special string is plain text
    plain = tok.encode("<|im_end|>", allow_special=False)
    assert n + 2 not in plain and tok.decode(plain) == "<|im_end|>"
    assert tok.encode("abc the") == [ranks[b"abc"], ranks[b" the"]]


def test_special_ids_follow_added_tokens_decoder(tmp_path):
    ranks = _byte_ranks()
    write_tiktoken_model(tmp_path / "tiktoken.model", ranks)
    cfg = {"added_tokens_decoder": {"258": {"content": "<|custom|>"}}}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(cfg))
    tok = Tokenizer.from_dir(tmp_path)
    assert tok.encode("<|custom|>") == [258]
    assert tok.decode([256]) == "<|reserved_token_256|>"


def test_roundtrip_random_unicode(tmp_path):
    rng = random.Random(0)
    ranks = _byte_ranks([b"th", b"the", b" the", b"in", b"ing", "你".encode(), "好".encode()])
    tok = Tokenizer.from_dir(_write_dir(tmp_path, ranks))
    alphabet = "ab thing你好\n\t  é👍\u200d0123<>|"
    for _ in range(50):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        s += "".join(chr(rng.randint(0x20, 0x2FFFF)) for _ in range(5) if True)
        s = s.encode("utf-8", "replace").decode("utf-8", "replace")  # drop lone surrogates
        assert tok.decode(tok.encode(s, allow_special=False)) == s


def test_decode_bytes_can_split_a_character(tmp_path):
    tok = Tokenizer.from_dir(_write_dir(tmp_path, _byte_ranks()))
    ids = tok.encode("é")
    assert len(ids) == 2 and tok.decode_bytes(ids[:1]) == b"\xc3"
    assert tok.decode(ids[:1]) == "\ufffd"
    with pytest.raises(TokenizerError, match="outside the vocabulary"):
        tok.decode([tok.vocab_size])


def test_long_run_splitting_rule():
    s = "a" * 7 + "  " + "b" * 3
    pieces = list(_split_long_runs(s, 3))
    assert "".join(pieces) == s
    assert pieces == ["aaa", "aaa", "a  bbb"]


def test_long_text_encodes_like_short_chunks(tmp_path):
    ranks = _byte_ranks([b"xx", b"xxxx"])
    tok = Tokenizer.from_dir(_write_dir(tmp_path, ranks))
    text = "x" * 60_000  # longer than one 25,000-char run: cut at 25,000 before the regex
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert len(ids) == 15_000


@pytest.mark.parametrize(
    "setup,match",
    [
        (lambda d: None, "tiktoken.model: tokenizer vocabulary not found"),
        (lambda d: (d / "tiktoken.model").write_text("QQ== 0\nnot-base64!! 1\n"), r"tiktoken.model:2: malformed"),
        (lambda d: (d / "tiktoken.model").write_text("QQ== 0 extra\n"), r"tiktoken.model:1: expected"),
        (lambda d: (d / "tiktoken.model").write_text("QQ== 0\nQg== 2\n"), "not exactly 0..1"),
        (lambda d: (d / "tiktoken.model").write_text("QQ== 0\nQg== 1\n"), "lacks single byte 0x00"),
    ],
)
def test_bad_vocabulary_files(tmp_path, setup, match):
    setup(tmp_path)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(k25_tokenizer_config(256)))
    with pytest.raises(TokenizerError, match=match) as e:
        Tokenizer.from_dir(tmp_path)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "cfg,match",
    [
        (None, "tokenizer_config.json: tokenizer config not found"),
        ("{not json", "not valid JSON"),
        ("{}", "added_tokens_decoder"),
        ('{"added_tokens_decoder": {"9999": {"content": "<|x|>"}}}', "outside the special range 256..511"),
        ('{"added_tokens_decoder": {"abc": {"content": "<|x|>"}}}', "not an integer id"),
        ('{"added_tokens_decoder": {"256": {}}}', "no string 'content'"),
    ],
)
def test_bad_tokenizer_config(tmp_path, cfg, match):
    write_tiktoken_model(tmp_path / "tiktoken.model", _byte_ranks())
    if cfg is not None:
        (tmp_path / "tokenizer_config.json").write_text(cfg)
    with pytest.raises(TokenizerError, match=match):
        Tokenizer.from_dir(tmp_path)


def test_missing_directory(tmp_path):
    with pytest.raises(TokenizerError, match="not a directory"):
        Tokenizer.from_dir(tmp_path / "nope")
