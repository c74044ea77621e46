"""model.chat: exact K2.5 prompt strings (spec §5.2 example) and media placeholder expansion."""
import json

import pytest

from model.chat import (
    DEFAULT_SYSTEM_PROMPT,
    ImagePart,
    Message,
    TextPart,
    ToolCall,
    VideoPart,
    count_media_items,
    encode_chat,
    expand_media_pads,
    format_timestamp,
    render_messages,
)
from model.tokenizer import Tokenizer, k25_tokenizer_config, write_tiktoken_model

SYS = "<|im_system|>system<|im_middle|>You are Kimi, an AI assistant created by Moonshot AI.<|im_end|>"


def test_spec_example_one_image_thinking():
    msgs = [Message("user", [ImagePart(), TextPart("Describe this.")])]
    assert render_messages(msgs) == (
        SYS + "<|im_user|>user<|im_middle|><|media_begin|>image<|media_content|><|media_pad|><|media_end|>\n"
        "Describe this.<|im_end|><|im_assistant|>assistant<|im_middle|><think>"
    )


def test_instant_mode_and_explicit_system():
    msgs = [Message("system", "Be brief."), Message("user", "hi")]
    assert render_messages(msgs, thinking=False) == (
        "<|im_system|>system<|im_middle|>Be brief.<|im_end|>"
        "<|im_user|>user<|im_middle|>hi<|im_end|>"
        "<|im_assistant|>assistant<|im_middle|><think></think>"
    )
    assert DEFAULT_SYSTEM_PROMPT not in render_messages(msgs)


def test_no_default_system_when_disabled_and_no_generation_prompt():
    out = render_messages([Message("user", "x")], default_system_prompt=None, add_generation_prompt=False)
    assert out == "<|im_user|>user<|im_middle|>x<|im_end|>"


def test_history_reasoning_stripped_only_before_last_user():
    msgs = [
        Message("user", "q1"),
        Message("assistant", "a1", reasoning="secret plan"),
        Message("user", "q2"),
        Message("assistant", "a2", reasoning="kept"),
    ]
    out = render_messages(msgs, add_generation_prompt=False, default_system_prompt=None)
    assert out == (
        "<|im_user|>user<|im_middle|>q1<|im_end|>"
        "<|im_assistant|>assistant<|im_middle|><think></think>a1<|im_end|>"
        "<|im_user|>user<|im_middle|>q2<|im_end|>"
        "<|im_assistant|>assistant<|im_middle|><think>kept</think>a2<|im_end|>"
    )
    assert "secret" not in out


def test_tool_call_and_result():
    msgs = [
        Message("user", "weather?"),
        Message("assistant", "", tool_calls=(ToolCall("functions.get:0", '{"city":"Paris"}'),)),
        Message("tool", "sunny", tool_call_id="functions.get:0"),
    ]
    out = render_messages(msgs, default_system_prompt=None, thinking=False)
    assert (
        "<|im_assistant|>assistant<|im_middle|><think></think><|tool_calls_section_begin|><|tool_call_begin|>"
        'functions.get:0<|tool_call_argument_begin|>{"city":"Paris"}<|tool_call_end|><|tool_calls_section_end|><|im_end|>'
    ) in out
    assert "<|im_system|>tool<|im_middle|>## Return of functions.get:0\nsunny<|im_end|>" in out
    with pytest.raises(ValueError, match="tool_call_id"):
        Message("tool", "x")


@pytest.mark.parametrize(
    "sec,expected",
    [(0, "00:00:00.000"), (2.5, "00:00:02.500"), (61.0005, "00:01:01.000"), (3725.125, "01:02:05.125"), (0.0015, "00:00:00.002")],
)
def test_timestamp_format(sec, expected):
    assert format_timestamp(sec) == expected


def test_video_chunks_and_structure():
    msgs = [Message("user", [VideoPart((0.0, 2.0, 4.0)), TextPart("What changes?")])]
    out = render_messages(msgs, default_system_prompt=None)
    chunk = "<|media_begin|>video<|media_content|><|media_pad|><|media_end|>"
    assert out == (
        "<|im_user|>user<|im_middle|>"
        f"00:00:00.000{chunk}00:00:02.000{chunk}00:00:04.000{chunk}\nWhat changes?<|im_end|>"
        "<|im_assistant|>assistant<|im_middle|><think>"
    )
    assert count_media_items(msgs) == 3
    assert count_media_items([Message("user", [ImagePart(), ImagePart(), VideoPart((0.0,))])]) == 3


def test_expand_media_pads():
    P = 999
    assert expand_media_pads([1, P, 2, P, 3], [3, 1], P) == [1, P, P, P, 2, P, 3]
    with pytest.raises(ValueError, match="2 <\\|media_pad\\|> placeholders but 1 media items"):
        expand_media_pads([P, P], [4], P)
    with pytest.raises(ValueError, match=">= 1"):
        expand_media_pads([P], [0], P)


def test_encode_chat_token_structure(tmp_path):
    ranks = {bytes([i]): i for i in range(256)}
    write_tiktoken_model(tmp_path / "tiktoken.model", ranks)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(k25_tokenizer_config(256)))
    tok = Tokenizer.from_dir(tmp_path)
    msgs = [Message("user", [ImagePart(), TextPart("hi"), ImagePart()])]
    ids = encode_chat(tok, msgs, [4, 2], thinking=False, default_system_prompt=None)
    pad = tok.media_pad_id
    begin = [tok.im_user_id, *tok.encode("user"), tok.im_middle_id]
    image = lambda k: [tok.media_begin_id, *tok.encode("image"), tok.media_content_id, *[pad] * k, tok.media_end_id, *tok.encode("\n")]
    end = [tok.im_end_id, tok.im_assistant_id, *tok.encode("assistant"), tok.im_middle_id, tok.think_id, tok.think_end_id]
    assert ids == begin + image(4) + tok.encode("hi") + image(2) + end
    assert (tok.media_begin_id, tok.media_pad_id, tok.think_end_id) == (256 + 18, 256 + 21, 256 + 23)
