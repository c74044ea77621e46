"""Code extraction from model replies: thinking, fences, prose; the incremental stream agrees with the batch."""
import random

import pytest

from app.decode.extract import CodeStream, extract_code, strip_thinking

PAGE = "<!DOCTYPE html>\n<html><head><style>.a{color:red}</style></head>\n<body><div class=\"a\">Hi</div></body></html>"


@pytest.mark.parametrize(
    "reply",
    [
        PAGE,  # bare code
        f"<think>the user wants a page</think>{PAGE}",  # thinking block
        f"reasoning without opener</think>\n{PAGE}",  # prompt ended with <think>
        f"Here is the page:\n\n```html\n{PAGE}\n```\n\nIt uses a red div.",  # fence + prose
        f"<think>plan: ```css\n.a{{}}\n```</think>Sure!\n```html\n{PAGE}\n```",  # fence inside thinking ignored
        f"Sure, here it is:\n{PAGE}\nLet me know if you need changes.",  # unfenced + prose both sides
        f"```\n{PAGE}\n```",  # fence without a language
        f"~~~html\n{PAGE}\n~~~",  # tilde fence
        f"```css\n.a{{color:red}}\n```\n```html\n{PAGE}\n```",  # the html block is chosen over css
    ],
)
def test_extract_html(reply):
    assert extract_code(reply, "html") == PAGE


def test_unclosed_thinking_hides_everything():
    assert strip_thinking("<think>still thinking <div>") == ""
    assert extract_code("<think>still thinking", "html") == ""


def test_truncated_fence_keeps_the_code():
    assert extract_code("```html\n<div>cut off", "html") == "<div>cut off"


def test_react_and_vue_pick_their_language():
    jsx = "export default function App() {\n  return <div className=\"a\">Hi</div>;\n}"
    vue = "<template>\n  <div>Hi</div>\n</template>\n\n<style>\ndiv{color:red}\n</style>"
    reply = f"```html\n{PAGE}\n```\n```jsx\n{jsx}\n```\n```vue\n{vue}\n```"
    assert extract_code(reply, "react") == jsx
    assert extract_code(reply, "vue") == vue
    assert extract_code(f"Here:\n{jsx}\nThis component renders Hi.", "react") == jsx
    assert extract_code(f"Here:\n{vue}\nDone.", "vue") == vue


@pytest.mark.parametrize(
    "reply,starts_in_thinking",
    [
        (f"<think>hmm</think>Here:\n```html\n{PAGE}\n```\nbye", False),
        (f"reasoning ``` odd</think>```html\n{PAGE}\n```", True),
        (f"{PAGE}", False),
    ],
)
def test_stream_matches_batch(reply, starts_in_thinking):
    rng = random.Random(0)
    for _ in range(20):
        stream, shown, pos = CodeStream("html", starts_in_thinking=starts_in_thinking), "", 0
        while pos < len(reply):
            step = rng.randint(1, 7)
            shown += stream.feed(reply[pos:pos + step])
            pos += step
        final = stream.final()
        assert final == PAGE
        # What was shown while streaming is a prefix of the final code (no thinking, no fence, no prose leaks).
        assert final.startswith(shown.rstrip("\n")) or shown.startswith(final)
        assert "<think>" not in shown and "```" not in shown and "hmm" not in shown
        assert len(shown) >= len(PAGE) // 2
