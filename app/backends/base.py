"""The one streaming interface every backend implements, and its events (its errors: `uicode.errors`).

A backend turns a `PromptPlan` plus the loaded media into a stream: `Delta(text, n_tokens)` events as text
arrives, then exactly one `Done` with the whole text, token counts, the finish reason and timings. The
pipeline never needs to know whether the tokens came from the in-process engine or an HTTP endpoint.

Not here: prompt planning (`app/prompt/plan.py`), code extraction (`app/decode/extract.py`).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol, Sequence, Union

CancelFlag = Union[threading.Event, Callable[[], bool], None]


@dataclass(frozen=True)
class GenParams:
    """Sampling settings shared by all backends. temperature 0 = greedy; seed None = fresh randomness.

    ground_text: the input's text lines (OCR) that the visible text of the generated HTML must be drawn
    from (`app.decode.grounding`); honoured by the local backend, ignored by remote ones; None = free text.
    ground_whole: those lines are a sketch's texts, each a whole element's: a text node copies whole ones."""

    max_new_tokens: int = 2048
    temperature: float = 0.0
    top_p: float = 0.95
    seed: int | None = None
    stop: tuple[str, ...] = ()
    ground_text: tuple[str, ...] | None = None
    ground_whole: bool = False

    def __post_init__(self):
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")


@dataclass(frozen=True)
class Delta:
    text: str
    n_tokens: int  # tokens generated since the previous Delta (0 when unknown)


@dataclass(frozen=True)
class Done:
    text: str
    prompt_tokens: int
    new_tokens: int
    finish_reason: str  # "stop" | "length" | "cancelled"
    prefill_s: float
    decode_s: float


class Backend(Protocol):
    """What the pipeline needs from a backend."""

    kind: str
    native_targets: tuple[str, ...]

    def describe(self) -> str:
        """One line naming the model and where it runs (shown in progress output and the GUI status bar)."""

    def load(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Prepare (load weights, check the endpoint); idempotent; raises BackendError/UicodeError."""

    def stream(self, plan, media: Sequence, params: GenParams, cancel: CancelFlag = None) -> Iterator[Delta | Done]:
        """Generate for `plan` (an `app.prompt.plan.PromptPlan`) with `media` (`app.media.inputs` inputs, in slot order)."""

    def close(self) -> None:
        """Release resources (idempotent)."""


def is_cancelled(cancel: CancelFlag) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())
