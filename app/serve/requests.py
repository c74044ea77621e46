"""What a client sends `uicode serve`, checked against the server's `Limits`: OpenAI chat messages (text and
`image_url` parts with base64 `data:` URLs; remote URLs are never fetched; images decoded with their size
checked from the header) → `model.chat` messages and PIL images; sampling settings → `GenParams` and `n`.
Every refusal is an `ApiError` carrying its HTTP status and a one-line message."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from app.backends.base import GenParams
from uicode.errors import MediaError

DEFAULT_TEMPERATURE = 0.6  # K2.5 instant mode (spec §5.3)
DEFAULT_TOP_P = 0.95


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 32 * 1024 * 1024
    max_images: int = 8
    max_pixels: int = 4096 * 4096  # per image, checked from the header before decoding
    max_tokens: int = 4096  # cap on a request's max_tokens
    default_max_tokens: int = 1024
    max_queue: int = 8  # admitted requests (running + waiting); beyond this: 429
    max_n: int = 8  # choices per request


class ApiError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type_, code


def _decode_data_url(url: str, where: str, limits: Limits):
    from vision.image_file import load_image

    if not url.startswith("data:"):
        raise ApiError(400, f"{where}: only data: URLs are accepted (remote image URLs are not fetched)")
    head, sep, payload = url.partition(",")
    if not sep:
        raise ApiError(400, f"{where}: malformed data URL (no comma)")
    mime = head[5:].split(";")[0].strip().lower()
    if not mime.startswith("image/"):
        raise ApiError(400, f"{where}: data URL is {mime or 'untyped'}, not an image")
    if ";base64" not in head.lower():
        raise ApiError(400, f"{where}: image data URLs must be base64-encoded")
    try:
        raw = base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        raise ApiError(400, f"{where}: invalid base64 in data URL") from None
    try:
        return load_image(raw, name=where, max_pixels=limits.max_pixels)
    except MediaError as e:
        raise ApiError(400, str(e)) from None


def parse_messages(body: dict, limits: Limits):
    """OpenAI `messages` → (model.chat messages, PIL images in order)."""
    from model.chat import ImagePart, Message, TextPart

    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise ApiError(400, "'messages' must be a non-empty list")
    out, images = [], []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            raise ApiError(400, f"messages[{i}] must be an object")
        role = m.get("role")
        if role not in ("system", "user", "assistant", "developer"):
            raise ApiError(400, f"messages[{i}].role {role!r} is not supported (system, user, assistant)")
        role = "system" if role == "developer" else role
        content = m.get("content")
        if content is None:
            content = ""
        if isinstance(content, str):
            out.append(Message(role, content))
            continue
        if not isinstance(content, list):
            raise ApiError(400, f"messages[{i}].content must be a string or a list of parts")
        parts = []
        for j, p in enumerate(content):
            where = f"messages[{i}].content[{j}]"
            kind = p.get("type") if isinstance(p, dict) else None
            if kind == "text":
                if not isinstance(p.get("text"), str):
                    raise ApiError(400, f"{where}.text must be a string")
                parts.append(TextPart(p["text"]))
            elif kind == "image_url":
                if role != "user":
                    raise ApiError(400, f"{where}: images are only accepted in user messages")
                iu = p.get("image_url")
                url = iu.get("url") if isinstance(iu, dict) else iu
                if not isinstance(url, str):
                    raise ApiError(400, f"{where}.image_url.url must be a string")
                if len(images) >= limits.max_images:
                    raise ApiError(400, f"too many images: at most {limits.max_images} per request")
                images.append(_decode_data_url(url, where, limits))
                parts.append(ImagePart(where))
            else:
                raise ApiError(400, f"{where}: unsupported part type {kind!r} (text, image_url)")
        if role != "user":
            parts = [TextPart("".join(p.text for p in parts))]
        out.append(Message(role, parts))
    return out, images


def _number(body: dict, key: str, default, kind, lo=None, hi=None):
    v = body.get(key, default)
    if v is None:
        return default
    if kind is int and (isinstance(v, bool) or not isinstance(v, int)):
        raise ApiError(400, f"'{key}' must be an integer")
    if kind is float and (isinstance(v, bool) or not isinstance(v, (int, float))):
        raise ApiError(400, f"'{key}' must be a number")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ApiError(400, f"'{key}' must be between {lo} and {hi}, got {v}")
    return kind(v)


def parse_n(body: dict, limits: Limits) -> int:
    return _number(body, "n", 1, int, 1, limits.max_n)


def parse_params(body: dict, limits: Limits) -> GenParams:
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    max_tokens = limits.default_max_tokens if max_tokens is None else max_tokens
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise ApiError(400, "'max_tokens' must be a positive integer")
    if max_tokens > limits.max_tokens:
        raise ApiError(400, f"'max_tokens' {max_tokens} exceeds this server's limit of {limits.max_tokens}")
    stop = body.get("stop") or ()
    if isinstance(stop, str):
        stop = (stop,)
    if not isinstance(stop, (list, tuple)) or len(stop) > 4 or not all(isinstance(s, str) and s for s in stop):
        raise ApiError(400, "'stop' must be a non-empty string or a list of at most 4 non-empty strings")
    return GenParams(
        max_new_tokens=max_tokens,
        temperature=_number(body, "temperature", DEFAULT_TEMPERATURE, float, 0.0, 2.0),
        top_p=_number(body, "top_p", DEFAULT_TOP_P, float, 1e-6, 1.0),
        seed=_number(body, "seed", None, int),
        stop=tuple(stop),
    )
