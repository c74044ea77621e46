"""Prompt planning: what to ask the model for, as a pure function of the request.

`plan_prompt` decides which target the model writes (the requested one when the backend's model was
trained for it, otherwise HTML that `app.targets` converts afterwards) and builds the chat messages: a
system prompt for that target, then one user turn holding the media slots (images and video chunks, in
order) followed by the instruction text (and the current code for a follow-up edit). The messages are
backend-neutral; `app/backends/` turn them into K2.5 token ids (via `model.chat`) or into OpenAI
chat-completions JSON. Nothing here touches pixels, tokens or the network.

The mini model in `assets/mini/` is trained on exactly these prompts (`train/` imports `plan_prompt`), so
changing a system prompt is a change of the model's input distribution: keep them stable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from app.events import PATH_MODEL, PATH_TRANSFORMED
from app.targets.registry import TARGETS, target as target_of

OCR_HEADER = "Text on the screen, each line as [x,y,w,h] on a 0-100 grid of the image:\n"
SKETCH_HEADER = ("The page's layout as read from the screenshot (one element a line, indented inside its "
                 "container; boxes [x,y,w,h] on a 0-100 grid of the image). Write flow layout (flex, grid) in this "
                 "structure, with semantic elements and shared classes:\n")


@dataclass(frozen=True)
class MediaSlot:
    """Where one input sits in a message. A "video" slot carries the start time in seconds of each of its
    4-frame chunks (each chunk is one media item)."""

    kind: Literal["image", "video"]
    chunk_starts_s: tuple[float, ...] = ()


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    text: str
    media: tuple[MediaSlot, ...] = ()


@dataclass(frozen=True)
class PromptPlan:
    """target: what the user asked for; model_target: what the model is asked to write; path: PATH_MODEL when
    they are equal, PATH_TRANSFORMED when `app.targets` converts the model's HTML; thinking: whether the
    generation prompt opens a reasoning block (instant mode is used for code: it is faster and the mini model
    is trained without reasoning)."""

    target: str
    model_target: str
    path: str
    messages: tuple[Message, ...]
    thinking: bool = False


def _task_text(slots: Sequence[MediaSlot]) -> str:
    n_img = sum(s.kind == "image" for s in slots)
    has_video = any(s.kind == "video" for s in slots)
    if has_video:
        return "This screen recording shows a user interface. Write the code for the screen it ends on."
    if n_img > 1:
        return f"These {n_img} screenshots show one user interface. Write one page that contains all of it."
    return "Write the code for this user interface."


def plan_prompt(
    target: str,
    media: Sequence[MediaSlot],
    *,
    instruction: str | None = None,
    previous_code: str | None = None,
    native_targets: Sequence[str] = TARGETS,
    ocr_text: str | None = None,
    sketch: str | None = None,
) -> PromptPlan:
    """Plan the chat for one conversion.

    target: one of TARGETS; media: the slots in input order (at least one unless `previous_code` is given);
    instruction: the user's extra words ("make the header dark"); previous_code: the current code, for a
    follow-up edit; native_targets: the targets the backend's model writes itself; ocr_text: the input's text
    lines (`vision.ocr.serialize_lines`) for models trained with them in the prompt (Design2Code's
    text-augmented prompting), placed after the task sentence under OCR_HEADER; sketch: the page's layout tree
    as text (`app.layout.tree.sketch`), for models that take it, under SKETCH_HEADER.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    if not media and previous_code is None:
        raise ValueError("a conversion needs at least one image or video, or previous code to edit")
    model_target = target if target in native_targets else "html"
    path = PATH_MODEL if model_target == target else PATH_TRANSFORMED
    lines = [_task_text(media)] if media else []
    if ocr_text and ocr_text.strip():
        lines.append(OCR_HEADER + ocr_text.strip())
    if sketch and sketch.strip():
        lines.append(SKETCH_HEADER + sketch.strip())
    if previous_code is not None:
        # The code is labelled as what it is (the user's target); a model that writes only HTML is asked for
        # the page as HTML, which `app.targets` converts back to the target.
        lines.append(f"Here is the current code:\n```{target_of(target).language}\n{previous_code.strip()}\n```")
        lines.append(
            f"Change it as asked: {instruction.strip()}" if instruction else "Improve it to match the screenshot."
        )
        lines.append("Reply with the complete updated code." if path == PATH_MODEL
                     else "Reply with the complete updated page as HTML.")
    elif instruction:
        lines.append(f"Also: {instruction.strip()}")
    messages = (
        Message("system", target_of(model_target).system_prompt),
        Message("user", "\n".join(lines), tuple(media)),
    )
    return PromptPlan(target, model_target, path, messages)


def chat_messages(plan: PromptPlan):
    """The plan as `model.chat` messages: each media slot becomes its placeholder part (an image, or a video's
    chunk list) ahead of the message text, in slot order; the pixels travel separately, in the same order."""
    from model.chat import ImagePart, Message as ChatMessage, TextPart, VideoPart

    out = []
    for msg in plan.messages:
        if not msg.media:
            out.append(ChatMessage(msg.role, msg.text))
            continue
        parts = [ImagePart() if slot.kind == "image" else VideoPart(tuple(slot.chunk_starts_s))
                 for slot in msg.media]
        if msg.text:
            parts.append(TextPart(msg.text))
        out.append(ChatMessage(msg.role, parts))
    return out
