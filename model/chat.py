"""K2.5's chat layout as pure functions over typed messages (spec §5.2, §3.2).

What it does: renders a conversation to the prompt string K2.5 was trained on —
`<|im_{role}|>{name}<|im_middle|>{content}<|im_end|>` per message with no newlines between turns,
a default system prompt when none is given, image parts as
`<|media_begin|>image<|media_content|><|media_pad|><|media_end|>` + `\\n`, video parts as one
`HH:MM:SS.mmm<|media_begin|>video<|media_content|><|media_pad|><|media_end|>` prompt per 4-frame
chunk, earlier assistant turns with their reasoning stripped (`<think></think>`), tool results, and
the generation prompt in thinking (`<think>`) or instant (`<think></think>`) mode. Then
`expand_media_pads` turns each single `<|media_pad|>` id into as many copies as its media item has
decoder tokens.

What it does not do: tokenisation (`model/tokenizer.py`), counting media tokens or sampling video
frames (`vision/`), tool declarations (K2.5's TypeScript tool format is not reproduced).

Assumptions where the template text was not seen verbatim (spec §9.1): the default system prompt is
K2's; a video part is followed by `\\n` like an image part.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence, Union

DEFAULT_SYSTEM_PROMPT = "You are Kimi, an AI assistant created by Moonshot AI."

IMAGE_PLACEHOLDER = "<|media_begin|>image<|media_content|><|media_pad|><|media_end|>"
VIDEO_CHUNK_PLACEHOLDER = "<|media_begin|>video<|media_content|><|media_pad|><|media_end|>"
MEDIA_PAD = "<|media_pad|>"


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ImagePart:
    """One image; its pixels travel separately (`vision.preprocess_image`), in part order."""

    label: str = ""  # free-form (a file name), never rendered


@dataclass(frozen=True)
class VideoPart:
    """One video as its chunks: `chunk_starts_s[i]` is the time in seconds of chunk i's first frame
    (first sampled frame index / fps). Each chunk is one media item with one `<|media_pad|>`."""

    chunk_starts_s: tuple[float, ...]

    def __post_init__(self):
        if not self.chunk_starts_s:
            raise ValueError("VideoPart needs at least one chunk")
        if any(t < 0 for t in self.chunk_starts_s):
            raise ValueError(f"VideoPart chunk times must be >= 0, got {self.chunk_starts_s}")


Part = Union[TextPart, ImagePart, VideoPart]


@dataclass(frozen=True)
class ToolCall:
    id: str
    arguments_json: str


@dataclass(frozen=True)
class Message:
    """One turn. `content` is a string or a sequence of parts (user messages carry media parts).

    `reasoning` is an assistant turn's thinking text; it is rendered only for assistant turns after
    the last user message (earlier turns get an empty `<think></think>`, as K2.5's template does).
    `tool_call_id` names the call a `tool` message answers.
    """

    role: Literal["system", "user", "assistant", "tool"]
    content: Union[str, Sequence[Part]] = ""
    name: str | None = None
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = field(default_factory=tuple)
    tool_call_id: str | None = None

    def __post_init__(self):
        if self.role not in ("system", "user", "assistant", "tool"):
            raise ValueError(f"unknown message role {self.role!r}")
        if not isinstance(self.content, str):
            object.__setattr__(self, "content", tuple(self.content))
            for p in self.content:
                if not isinstance(p, (TextPart, ImagePart, VideoPart)):
                    raise ValueError(f"unknown content part {type(p).__name__}")
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs tool_call_id")


def format_timestamp(seconds: float) -> str:
    """`HH:MM:SS.mmm` (spec §3.1 `timestamp_mode "hh:mm:ss.fff"`), milliseconds rounded."""
    ms_total = int(round(seconds * 1000))
    h, rem = divmod(ms_total, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def render_video(part: VideoPart) -> str:
    """The concatenated chunk prompts that replace a video's `<|kimi_k25_video_placeholder|>`."""
    return "".join(format_timestamp(t) + VIDEO_CHUNK_PLACEHOLDER for t in part.chunk_starts_s)


def render_content(content: Union[str, Sequence[Part]]) -> str:
    """A message body: text as-is, each image/video followed by a newline, in part order."""
    if isinstance(content, str):
        return content
    out = []
    for part in content:
        if isinstance(part, TextPart):
            out.append(part.text)
        elif isinstance(part, ImagePart):
            out.append(IMAGE_PLACEHOLDER + "\n")
        else:
            out.append(render_video(part) + "\n")
    return "".join(out)


def _render_tool_calls(calls: Sequence[ToolCall]) -> str:
    if not calls:
        return ""
    body = "".join(
        f"<|tool_call_begin|>{c.id}<|tool_call_argument_begin|>{c.arguments_json}<|tool_call_end|>" for c in calls
    )
    return f"<|tool_calls_section_begin|>{body}<|tool_calls_section_end|>"


def _turn(role_token: str, name: str, body: str) -> str:
    return f"<|im_{role_token}|>{name}<|im_middle|>{body}<|im_end|>"


def render_messages(
    messages: Sequence[Message],
    *,
    thinking: bool = True,
    add_generation_prompt: bool = True,
    default_system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
) -> str:
    """The full prompt string for `messages`.

    thinking: generation prompt ends with `<think>` (model reasons first) or, when False
        (instant mode), with `<think></think>`.
    default_system_prompt: injected as the first turn when no system message is present; None
        leaves the conversation without one.
    """
    messages = list(messages)
    out: list[str] = []
    if default_system_prompt is not None and not any(m.role == "system" for m in messages):
        out.append(_turn("system", "system", default_system_prompt))
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    for i, m in enumerate(messages):
        body = render_content(m.content)
        if m.role == "system":
            out.append(_turn("system", m.name or "system", body))
        elif m.role == "user":
            out.append(_turn("user", m.name or "user", body))
        elif m.role == "tool":
            out.append(_turn("system", "tool", f"## Return of {m.tool_call_id}\n{body}"))
        else:
            # Reasoning of turns the user has already answered is dropped from the context.
            reasoning = m.reasoning if i > last_user else ""
            body = f"<think>{reasoning}</think>{body}{_render_tool_calls(m.tool_calls)}"
            out.append(_turn("assistant", m.name or "assistant", body))
    if add_generation_prompt:
        out.append("<|im_assistant|>assistant<|im_middle|>" + ("<think>" if thinking else "<think></think>"))
    return "".join(out)


def count_media_items(messages: Sequence[Message]) -> int:
    """How many `<|media_pad|>` placeholders `render_messages` writes (one per image, one per video chunk)."""
    n = 0
    for m in messages:
        if isinstance(m.content, str):
            n += m.content.count(MEDIA_PAD)
            continue
        for p in m.content:
            if isinstance(p, ImagePart):
                n += 1
            elif isinstance(p, VideoPart):
                n += len(p.chunk_starts_s)
            else:
                n += p.text.count(MEDIA_PAD)
    return n


def expand_media_pads(token_ids: Sequence[int], token_counts: Sequence[int], media_pad_id: int) -> list[int]:
    """Replace the k-th `<|media_pad|>` id with `token_counts[k]` copies of it (spec §3.5).

    The decoder then substitutes one vision embedding per copy, in order. Raises ValueError when the
    number of placeholders differs from the number of media items or a count is not positive.
    """
    n_pads = sum(1 for t in token_ids if t == media_pad_id)
    if n_pads != len(token_counts):
        raise ValueError(f"prompt has {n_pads} <|media_pad|> placeholders but {len(token_counts)} media items")
    if any(int(c) < 1 for c in token_counts):
        raise ValueError(f"media token counts must be >= 1, got {list(token_counts)}")
    out: list[int] = []
    k = 0
    for t in token_ids:
        if t == media_pad_id:
            out.extend([media_pad_id] * int(token_counts[k]))
            k += 1
        else:
            out.append(t)
    return out


def encode_chat(
    tokenizer,
    messages: Sequence[Message],
    media_token_counts: Sequence[int] = (),
    *,
    thinking: bool = True,
    add_generation_prompt: bool = True,
    default_system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
) -> list[int]:
    """Render, tokenise (specials allowed) and expand the media placeholders: the decoder's prompt ids.

    `media_token_counts[k]` is the decoder token count of the k-th image or video chunk in message
    order (`vision.image_token_count` or the vision tower's output length).
    """
    text = render_messages(
        messages, thinking=thinking, add_generation_prompt=add_generation_prompt,
        default_system_prompt=default_system_prompt,
    )
    return expand_media_pads(tokenizer.encode(text, allow_special=True), media_token_counts, tokenizer.media_pad_id)
