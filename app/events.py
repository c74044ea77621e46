"""The typed events a conversion streams, shared by the CLI, the server and the GUI.

`Pipeline.stream()` yields, in order: `Status` events (stage changes with an optional progress fraction),
`CodeDelta` events (extracted code as it arrives, with the current decode speed), and exactly one
`Finished` carrying the `ConvertResult`. Nothing here knows about backends, Qt or the terminal; the
consumers decide how to show each event.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

# How the code of a result was produced: written by the model for the requested target, or written by the
# model as HTML and converted by `app.targets` (the mini model is trained on HTML only).
PATH_MODEL = "model"
PATH_TRANSFORMED = "transformed-from-html"


@dataclass(frozen=True)
class Status:
    """A stage of the conversion started or progressed.

    stage: short machine-readable name ("media", "prompt", "load", "generate", "extract", "render", "score",
    "transform", "done"); message: one human-readable line; fraction: progress in [0, 1] when known.
    """

    stage: str
    message: str
    fraction: float | None = None


@dataclass(frozen=True)
class CodeDelta:
    """New code text (already stripped of thinking, fences and prose) and the decode speed so far."""

    text: str
    tokens_per_s: float


@dataclass(frozen=True)
class ConvertResult:
    """The outcome of one conversion.

    code: the final code for `target`; path: PATH_MODEL or PATH_TRANSFORMED; raw_text: everything the model
    wrote (thinking and prose included); seconds: wall time of the whole conversion; finish_reason: the
    backend's ("stop", "length", "cancelled"); score: the visual similarity of the rendered code to the input
    image in [0, 1], when it was computed (`best_of` > 1 or asked for); candidates: scores of every candidate
    when several were sampled; model_share: the share of the visible text characters of `code` that lie in
    elements the model wrote (0: the layout engine wrote all of it, `app.compose`; 1: the model did); sketch:
    the layout tree the engine read from the input, as text (None when the engine did not run); model_code:
    the model's own page when it is not the code in `raw_text` (a page converted band by band: the bands'
    pages joined, before composition), else None.
    """

    code: str
    target: str
    path: str
    raw_text: str
    prompt_tokens: int
    new_tokens: int
    seconds: float
    finish_reason: str
    score: float | None = None
    candidate_scores: tuple[float, ...] = field(default=())
    model_share: float = 1.0
    sketch: str | None = None  # the layout tree the engine read from the input (`app.layout.tree.sketch`), in px
    model_code: str | None = None

    @property
    def tokens_per_s(self) -> float:
        return self.new_tokens / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Finished:
    """The last event of a stream."""

    result: ConvertResult


Event = Union[Status, CodeDelta, Finished]
