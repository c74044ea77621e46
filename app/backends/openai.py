"""The remote backend: any OpenAI-compatible chat-completions endpoint with image parts (vLLM, SGLang,
Moonshot's API, or another `uicode serve`), through the official `openai` client.

Images travel as lossless PNG data URLs in `image_url` parts; a video travels as its sampled frames, one
image part each (chat-completions has no portable video part). Errors become one-line `BackendError`s that
name the URL: unreachable endpoint, 401/403 (bad or missing key), other HTTP statuses, timeouts. The API key
is never part of a message (`app.backends.config.redact` is applied to everything the endpoint says). Cancelling
closes the HTTP stream, which a compliant server treats as a client disconnect.

Not here: where the key comes from (`app/backends/config.py`), the server side (`app/serve/http.py`).
"""
from __future__ import annotations

import base64
import re
import time
from typing import Callable, Iterator, Sequence

from app.backends.base import CancelFlag, Delta, Done, GenParams, is_cancelled
from app.backends.config import redact, resolve_remote
from app.targets.registry import TARGETS
from uicode.errors import BackendError, BackendSetupError

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 600.0  # a big model on a busy server may take minutes before the first token


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def openai_messages(plan, media: Sequence) -> list[dict]:
    """The plan as chat-completions messages (media parts first, then the text, as K2.5's template does)."""
    from app.media.inputs import ImageInput, png_bytes

    media_iter = iter(media)
    out = []
    for msg in plan.messages:
        if not msg.media:
            out.append({"role": msg.role, "content": msg.text})
            continue
        parts = []
        for _slot in msg.media:
            src = next(media_iter)
            images = [src.image] if isinstance(src, ImageInput) else src.frame_images()
            parts += [{"type": "image_url", "image_url": {"url": data_url(png_bytes(im))}} for im in images]
        if msg.text:
            parts.append({"type": "text", "text": msg.text})
        out.append({"role": msg.role, "content": parts})
    return out


def _detail(e) -> str:
    """The endpoint's own error message (OpenAI error JSON), else the client's description."""
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        if isinstance(inner.get("message"), str):
            return inner["message"]
    text = str(getattr(e, "message", "") or e)
    return re.sub(r"^Error code: \d+ - ", "", text)


class OpenAIBackend:
    kind = "openai"

    def __init__(self, base_url: str | None = None, model: str | None = None, api_key: str | None = None):
        import openai

        settings = resolve_remote(base_url, model, api_key)
        if not settings.base_url:
            raise BackendSetupError("--backend openai needs --base-url (or base_url in the config file)")
        self.base_url = settings.base_url.rstrip("/")
        self.model = settings.model
        self.warnings = settings.warnings
        # A general model writes every target itself; `load()` narrows this for a uicode server's model.
        self.native_targets: tuple[str, ...] = TARGETS
        self.ocr_prompt = False
        self.sketch_prompt = True  # a general model is given the page's layout sketch
        self._loaded = False
        self._key = settings.api_key
        self._openai = openai
        self.client = openai.OpenAI(
            base_url=self.base_url,
            # Local vLLM/SGLang servers run without auth and accept any key; the client insists on one.
            api_key=self._key or "EMPTY",
            max_retries=0,
            timeout=openai.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
        )

    def describe(self) -> str:
        return f"openai-compatible {self.model or 'model'} at {self.base_url}"

    def _error(self, e: Exception) -> BackendError:
        o = self._openai
        if isinstance(e, o.APITimeoutError):
            msg = f"{self.base_url}: request timed out"
        elif isinstance(e, o.APIConnectionError):
            cause = e.__cause__ or e
            msg = f"cannot reach {self.base_url} ({' '.join(str(cause).split()) or type(cause).__name__})"
        elif isinstance(e, (o.AuthenticationError, o.PermissionDeniedError)):
            msg = (f"{self.base_url}: {e.status_code} unauthorized; check the API key "
                   "(UICODE_API_KEY, OPENAI_API_KEY or api_key in the config file)")
        elif isinstance(e, o.APIStatusError):
            msg = f"{self.base_url}: HTTP {e.status_code}: {' '.join(_detail(e).split())[:300]}"
        else:
            msg = f"{self.base_url}: {' '.join(str(e).split())[:300]}"
        return BackendError(redact(msg, self._key))

    def load(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Pick the model (the endpoint's first when none was given) and, from a `uicode serve` endpoint, the
        model's native targets and OCR prompting; proves the endpoint answers. Idempotent."""
        if self._loaded:
            return
        try:
            listed = list(self.client.models.list().data)
        except self._openai.OpenAIError as e:
            if self.model is None:
                raise self._error(e) from None
            listed = []  # some providers refuse model listing; a named model is used as given
        if self.model is None:
            if not listed:
                raise BackendError(f"{self.base_url}: the endpoint lists no models; pass --model")
            self.model = listed[0].id
        for m in listed:
            meta = (getattr(m, "model_extra", None) or {}).get("uicode")
            if m.id == self.model and isinstance(meta, dict):
                targets = tuple(t for t in meta.get("targets", ()) if t in TARGETS)
                self.native_targets = targets or self.native_targets
                self.ocr_prompt = bool(meta.get("ocr_prompt", False))
                self.sketch_prompt = bool(meta.get("sketch_prompt", not self.ocr_prompt))
        self._loaded = True

    def stream(self, plan, media: Sequence, params: GenParams, cancel: CancelFlag = None) -> Iterator[Delta | Done]:
        self.load()
        kwargs = dict(model=self.model, messages=openai_messages(plan, media), stream=True,
                      max_tokens=params.max_new_tokens, temperature=params.temperature, top_p=params.top_p,
                      stream_options={"include_usage": True})
        if params.seed is not None:
            kwargs["seed"] = params.seed
        if params.stop:
            kwargs["stop"] = list(params.stop)
        t0 = time.perf_counter()
        t_first = None
        text, n_chunks, finish, usage = [], 0, "length", None
        try:
            stream = self.client.chat.completions.create(**kwargs)
            try:
                for chunk in stream:
                    if chunk.usage is not None:
                        usage = chunk.usage
                    for choice in chunk.choices or ():
                        piece = choice.delta.content if choice.delta is not None else None
                        if piece:
                            if t_first is None:
                                t_first = time.perf_counter()
                            text.append(piece)
                            n_chunks += 1
                            yield Delta(piece, 1)
                        if choice.finish_reason:
                            finish = "stop" if choice.finish_reason == "stop" else choice.finish_reason
                    if is_cancelled(cancel):
                        finish = "cancelled"
                        break
            finally:
                stream.close()
        except self._openai.OpenAIError as e:
            raise self._error(e) from None
        t_end = time.perf_counter()
        t_first = t_first or t_end
        yield Done("".join(text),
                   usage.prompt_tokens if usage is not None else 0,
                   usage.completion_tokens if usage is not None and finish != "cancelled" else n_chunks,
                   finish, t_first - t0, t_end - t_first)

    def close(self) -> None:
        self.client.close()
