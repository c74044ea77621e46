"""The conversion pipeline: media → layout → prompt → a backend's stream → the page handed over, as events.

`Pipeline(backend).stream(request, cancel)` yields `Status`, `CodeDelta` and one `Finished` (see
`app/events.py`); `convert(request)` runs it to the end. The CLI and the GUI convert through it; `uicode serve`
runs the chats its clients write through `chat`, on the same backend and the same encoding. Steps:

1. load and validate the inputs (`app.media.inputs`: images, videos; bad ones raise `MediaError`);
2. for a plain conversion of one image (`engine`, no instruction, no previous code): the layout engine reads
   the screenshot — OCR lines (`vision.ocr`), text blocks, boxes, controls (`app.perceive`), the layout tree
   (`app.layout`) — and writes its flow-layout page (`app.compose.html`); the tree's sketch
   (`app.layout.tree.sketch`) goes into the prompt of a model that takes it (`sketch_prompt`: any model but
   one trained on OCR lines alone, which gets those lines as it was trained: `ocr_prompt`);
3. plan the prompt (`app.prompt.plan.plan_prompt`): the model writes the requested target when it was trained
   for it, else HTML that `app.targets.registry.transform` converts afterwards (result `path` says which);
   a plain conversion of one long image by a model trained with the page's text (OCR lines or the sketch) that
   writes HTML (more OCR lines than a band holds, `split`) is instead cut into bands (`app.media.bands.bands`),
   each converted to HTML by this same pipeline as a page of its own (a sketch-trained model's prompt carries
   the sketch of its band: short, as in training), the pages joined (`app.compose.join.join_pages`) and composed
   with the engine's page of the whole; the bands' code streams one after the other;
4. stream from the backend, showing only code (`app.decode.extract.CodeStream`) with the decode speed; HTML whose
   tags do not nest is re-serialised so that they do (`app.markup.check.balance`); when the prompt carried the
   page's text to a model trained with it (a plain conversion, `ground_text`), the model's text is grounded in it
   (`app.decode.grounding`): a model trained on the sketch (`sketch_trained`), in the sketch's texts in the
   sketch's order (`app.layout.tree.tree_texts`), so its elements follow the sketch's nodes; an OCR-prompted
   model's in the OCR lines in reading order;
5. when the engine wrote a page and the model wrote HTML, the page handed over is the engine's, with each
   region the model wrote closer to the input kept in its place (`app.compose.choose`: rendered and compared
   region by region; the model's text never absolutely placed); `model_share` says how much of its text the
   model wrote;
6. with `best_of` N > 1: sample N candidates (seeds seed, seed+1, …; temperature 0 is raised to 0.6 since N
   greedy samples would be identical; a backend with `stream_many`, the local one, decodes them side by
   side in one batch after one prefill), render each with headless Chromium (`app.scoring.render`, network blocked)
   and score it against the first input image (`app.scoring.fidelity`, reference-free visual similarity); the best
   is kept and every score reported. Only the first candidate's code is streamed as `CodeDelta`s;
   `Finished.result.code` is authoritative.

Cancelling (`cancel.set()`) stops between tokens and still finishes with the code streamed so far
(finish_reason "cancelled"). `make_backend` builds a backend from CLI/GUI settings.
"""
from __future__ import annotations

import hashlib
import pathlib
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Iterator, Union

from PIL import Image

from app.backends.base import Delta, Done, GenParams, is_cancelled
from app.compose.join import join_pages
from app.decode.extract import CodeStream, extract_code
from app.events import PATH_TRANSFORMED, CodeDelta, ConvertResult, Event, Finished, Status
from app.layout.tree import sketch, tree_texts
from app.markup.check import balance
from app.media.bands import bands, crop
from app.media.inputs import ImageInput, load_media, slot_of
from app.prompt.plan import plan_prompt
from app.targets.registry import TARGETS, preview_html, transform
from uicode.errors import BackendError

MediaSource = Union[str, pathlib.Path, Image.Image, bytes]
BEST_OF_TEMPERATURE = 0.6  # K2.5's instant-mode recommendation (spec §5.3)
MAX_BEST_OF = 16


@dataclass(frozen=True)
class ConvertRequest:
    """One conversion. media: images/videos in order (paths, PIL images or encoded bytes); target: one of
    "html", "tailwind", "react", "vue"; instruction: extra words for the model; previous_code: the current
    code for a follow-up edit; best_of: candidates to sample, render and score (1 = no rendering)."""

    media: tuple[MediaSource, ...] = ()
    target: str = "html"
    instruction: str | None = None
    previous_code: str | None = None
    max_new_tokens: int = 2048
    temperature: float = 0.0
    top_p: float = 0.95
    seed: int | None = 0
    best_of: int = 1
    score: bool = False  # render and score even with best_of == 1
    ground_text: bool = True  # keep the HTML's visible text to the OCR lines (when they are in the prompt)
    split: bool = False  # convert a long page band by band and join the bands (`app.media.bands`)
    engine: bool = True  # write the page with the layout engine, keeping the model's regions that are closer

    def __post_init__(self):
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}; choose one of {', '.join(TARGETS)}")
        if not 1 <= self.best_of <= MAX_BEST_OF:
            raise ValueError(f"best_of must be between 1 and {MAX_BEST_OF}, got {self.best_of}")
        if not isinstance(self.media, tuple):
            object.__setattr__(self, "media", tuple(self.media))
        GenParams(self.max_new_tokens, self.temperature, self.top_p, self.seed)  # validates the numbers


def make_backend(kind: str = "local", checkpoint=None, device: str = "cpu", base_url: str | None = None,
                 model: str | None = None, api_key: str | None = None):
    """A backend from user settings: "local" (checkpoint, device) or "openai" (base_url, model, api_key)."""
    if kind == "local":
        from app.backends.local import LocalBackend

        return LocalBackend(checkpoint, device)
    if kind == "openai":
        from app.backends.openai import OpenAIBackend

        return OpenAIBackend(base_url, model, api_key)
    raise ValueError(f"unknown backend {kind!r}; choose 'local' or 'openai'")


@dataclass
class _Candidate:
    raw: str
    model_code: str
    code: str
    done: Done
    score: float | None = None
    model_share: float = 1.0  # share of the page's text in code the model wrote (`app.compose.choose`)


class Pipeline:
    """Runs conversions on one backend; safe to reuse for many requests (one at a time per backend)."""

    def __init__(self, backend, on_load=None):
        self.backend = backend
        self.on_load = on_load  # the backend's load progress, `(done_bytes, total_bytes)`, when a stream loads it

    def convert(self, request: ConvertRequest, cancel: threading.Event | None = None) -> ConvertResult:
        for ev in self.stream(request, cancel):
            if isinstance(ev, Finished):
                return ev.result
        raise BackendError("the conversion ended without a result")  # pragma: no cover - stream always finishes

    def chat(self, messages, media, params: list[GenParams], *, thinking: bool = False,
             cancel: threading.Event | None = None) -> Iterator[tuple[int, Delta | Done]]:
        """A chat the caller wrote (`model.chat.Message`s with their media parts, as `uicode serve` receives
        them) run on this pipeline's backend: the media loaded and checked as a conversion's are, the prompt
        encoded as a conversion's is (the checkpoint's patch budget), one `(k, Delta | Done)` stream per
        `params[k]`, decoded side by side after one prefill."""
        items = [load_media(m) for m in media]
        chat_many = getattr(self.backend, "chat_many", None)
        if chat_many is None:
            raise BackendError(f"{self.backend.describe()}: cannot run a chat written by the caller")
        self.backend.load()
        yield from chat_many(messages, items, params, thinking=thinking, cancel=cancel)

    def stream(self, request: ConvertRequest, cancel: threading.Event | None = None, *,
               _lines: "_OcrMemo | None" = None) -> Iterator[Event]:
        t0 = time.perf_counter()
        n_in = len(request.media)
        yield Status("media", f"reading {n_in} input{'s' if n_in != 1 else ''}", 0.0)
        media = []
        for i, src in enumerate(request.media):
            media.append(load_media(src))
            yield Status("media", f"read {media[-1].name}", (i + 1) / max(n_in, 1))
        # Loaded before planning (a remote uicode server's model tells its native targets and OCR prompting), on a
        # thread while the engine reads the page: Tesseract's processes and the model's load share the wait.
        yield Status("load", f"preparing {self.backend.describe()}", None)
        loaded = _in_background(lambda: self.backend.load(self.on_load))
        ocr_text = None
        images = [m for m in media if isinstance(m, ImageInput)]
        lines_of = _lines or _OcrMemo()  # the prompt's OCR is reused by the scoring of best-of candidates
        single = (len(media) == 1 and bool(images) and not request.instruction and request.previous_code is None)
        written, tree, sketch_text, page_sketch = None, None, None, None
        if single and request.engine:
            yield Status("layout", "reading the page's layout (OCR, boxes, rows, columns, grids)", None)
            tree = _layout(images[0].image, lines_of)
            if tree is not None:
                from app.compose.html import write

                written = write(tree)  # the engine's page, written only when it is handed over
        loaded.result()
        takes_sketch = bool(getattr(self.backend, "sketch_prompt", False))
        if single and takes_sketch and not request.engine:
            # read for the model's prompt even when only the model's page is wanted (--model-only)
            yield Status("layout", "reading the page's layout (OCR, boxes, rows, columns, grids)", None)
            tree = _layout(images[0].image, lines_of)
        if single and (request.engine or takes_sketch):
            page_sketch = sketch(tree) if tree is not None else None
            if tree is not None and takes_sketch:
                sketch_text = sketch(tree, grid=100)
        if getattr(self.backend, "ocr_prompt", False) and images:
            yield Status("ocr", "reading the text in the input (OCR)", None)
            ocr_text = ocr_prompt_text(images, lines_of)
        plan = plan_prompt(request.target, [slot_of(m) for m in media], instruction=request.instruction,
                           previous_code=request.previous_code, native_targets=self.backend.native_targets,
                           ocr_text=ocr_text, sketch=sketch_text)
        # the page's text is in the prompt of a model trained with it: OCR lines, or the sketch of a model
        # trained on the sketch (any other model is given the sketch as a hint, its text left free)
        trained_on = ocr_text is not None or (sketch_text is not None
                                              and getattr(self.backend, "sketch_trained", False))
        plain = (trained_on and plan.model_target == "html" and not plan.thinking and not request.instruction
                 and request.previous_code is None)
        if plain and request.split and len(media) == 1 and images:
            cuts = bands(images[0].image, lines_of(images[0].image))
            if len(cuts) > 1:
                yield from self._by_bands(request, plan, images[0].image, cuts, t0, cancel, lines_of, written)
                return
        ground = None
        if plain and request.ground_text:
            ground = tree_texts(tree) if sketch_text is not None else ground_lines(images, lines_of)
        n = request.best_of
        temperature = request.temperature if n == 1 or request.temperature > 0 else BEST_OF_TEMPERATURE
        params = [GenParams(request.max_new_tokens, temperature, request.top_p,
                            None if request.seed is None else request.seed + k, ground_text=ground,
                            ground_whole=ground is not None and sketch_text is not None)
                  for k in range(n)]
        candidates: list[_Candidate] = []
        many = getattr(self.backend, "stream_many", None)
        if n > 1 and many is not None:
            # One prefill, the candidates decoded side by side in one batch.
            yield Status("generate", f"generating {n} candidates side by side", 0.0)
            candidates = yield from self._collect(plan, many(plan, media, params, cancel), n)
        else:
            for k in range(n):
                if k and is_cancelled(cancel):
                    break
                yield Status("generate", f"generating candidate {k + 1}/{n}" if n > 1 else "generating", k / n)
                tagged = ((k, ev) for ev in self.backend.stream(plan, media, params[k], cancel))
                candidates += yield from self._collect(plan, tagged, 1, first=k)
        if written is not None and plan.model_target == "html":
            yield Status("compose", "comparing the model's page with the engine's, region by region", None)
            kept = self._compose(candidates, plan, written, images[0].image)
            yield Status("compose", f"the model's code kept in {kept} of {len(written.regions)} regions; "
                                    f"{100 * candidates[0].model_share:.0f}% of the page's text", None)
        best = candidates[0]
        want_score = (n > 1 or request.score) and any(isinstance(m, ImageInput) for m in media)
        if want_score and best.done.finish_reason != "cancelled":
            yield Status("render", f"rendering and scoring {len(candidates)} candidate(s)", None)
            reference = next(m.image for m in media if isinstance(m, ImageInput))
            self._score(candidates, reference, plan, lines_of)
            best = max(candidates, key=lambda c: c.score if c.score is not None else -1.0)
        scores = tuple(c.score for c in candidates if c.score is not None)
        result = ConvertResult(
            code=best.code, target=request.target, path=plan.path, raw_text=best.raw,
            prompt_tokens=best.done.prompt_tokens, new_tokens=sum(c.done.new_tokens for c in candidates),
            seconds=time.perf_counter() - t0, finish_reason=best.done.finish_reason,
            score=best.score, candidate_scores=scores, model_share=best.model_share, sketch=page_sketch)
        yield Status("done", f"{result.new_tokens} tokens in {result.seconds:.1f} s", 1.0)
        yield Finished(result)

    def _by_bands(self, request: ConvertRequest, plan, image: Image.Image, cuts, t0: float, cancel, lines_of,
                  written=None):
        """Each band of `image` converted to HTML as a page of its own (same settings), then the pages joined
        and, for another target, transformed. A band's OCR lines are the page's, moved to the band (Tesseract
        is not run again)."""
        results, lines = [], lines_of(image)
        for k, (top, bottom) in enumerate(cuts):
            if k and is_cancelled(cancel):
                break
            yield Status("generate", f"converting band {k + 1}/{len(cuts)} of the page", k / len(cuts))
            part = crop(image, (top, bottom))
            lines_of.remember(part, [ln.raised(top) for ln in lines if top <= ln.y + ln.h / 2 < bottom])
            sub = replace(request, media=(part,), target="html", split=False, engine=False)
            for ev in self.stream(sub, cancel, _lines=lines_of):
                if isinstance(ev, Finished):
                    results.append(ev.result)
                elif isinstance(ev, CodeDelta):
                    yield ev
        code = own = balance(join_pages([r.code for r in results], [b - a for a, b in cuts[:len(results)]]))
        share = 1.0
        if written is not None:
            joined = _Candidate("", code, code, Done("", 0, 0, "stop", 0.0, 0.0))
            self._compose([joined], plan, written, image)
            code, share = joined.model_code, joined.model_share
        if plan.path == PATH_TRANSFORMED:
            code = transform(code, plan.target)
        scores = [r.score for r in results if r.score is not None]
        last = results[-1]
        result = ConvertResult(
            code=code, target=request.target, path=plan.path, raw_text="\n".join(r.raw_text for r in results),
            prompt_tokens=sum(r.prompt_tokens for r in results), new_tokens=sum(r.new_tokens for r in results),
            seconds=time.perf_counter() - t0,
            finish_reason="cancelled" if len(results) < len(cuts) else last.finish_reason,
            score=sum(scores) / len(scores) if scores else None,
            model_share=share, model_code=own)
        yield Status("done", f"{len(results)} bands, {result.new_tokens} tokens in {result.seconds:.1f} s", 1.0)
        yield Finished(result)

    @staticmethod
    def _compose(candidates: list["_Candidate"], plan, written, image: Image.Image) -> int:
        """Each candidate's page composed with the engine's (`app.compose.choose`): the engine's code with the
        model's regions kept where they render closer to `image`; then converted to the target again. (The
        regions the first candidate's model code fills.) Without Chromium, the engine's page."""
        from app.compose.choose import compose
        from app.scoring.render import Renderer
        from uicode.errors import RenderError

        first = 0
        try:
            with Renderer() as r:
                for k, c in enumerate(candidates):
                    if c.done.finish_reason == "cancelled" and c.model_code.strip():
                        continue
                    done = compose(written, c.model_code, image, r)
                    c.model_code, c.model_share = done.html, done.model_share
                    c.code = transform(c.model_code, plan.target) if plan.path == PATH_TRANSFORMED else c.model_code
                    first = done.model_regions if k == 0 else first
        except RenderError:
            for c in candidates:
                c.model_code, c.model_share = written.html(), 0.0
                c.code = transform(c.model_code, plan.target) if plan.path == PATH_TRANSFORMED else c.model_code
        return first

    def _collect(self, plan, tagged, n: int, first: int = 0):
        """Candidates `first`..`first+n-1` from `(k, Delta | Done)` events; candidate 0's code is streamed as
        `CodeDelta`s."""
        streams = {k: CodeStream(plan.model_target, starts_in_thinking=plan.thinking) for k in range(first, first + n)}
        done: dict[int, Done] = {}
        n_tokens, t_start = 0, time.perf_counter()
        for k, ev in tagged:
            if isinstance(ev, Delta):
                code = streams[k].feed(ev.text)
                if k == 0:
                    n_tokens += ev.n_tokens
                    if code:
                        # For a transformed target this is the model's HTML; the target code comes at the end.
                        dt = time.perf_counter() - t_start
                        yield CodeDelta(code, n_tokens / dt if dt > 0 else 0.0)
            elif isinstance(ev, Done):
                done[k] = ev
        candidates = []
        for k, stream in streams.items():
            if k not in done:
                raise BackendError(f"{self.backend.describe()}: the stream ended without a result")
            model_code = extract_code(stream.raw, plan.model_target)
            if plan.model_target == "html" and model_code:
                model_code = balance(model_code)  # the tags nest in the code handed over, as the browser reads it
            code = transform(model_code, plan.target) if plan.path == PATH_TRANSFORMED and model_code else model_code
            candidates.append(_Candidate(stream.raw, model_code, code, done[k]))
        return candidates

    @staticmethod
    def _score(candidates: list[_Candidate], reference: Image.Image, plan, lines_of) -> None:
        from app.scoring.fidelity import image_score
        from app.scoring.render import Renderer
        from uicode.errors import OcrError

        # The input's text lines (Tesseract) let the score compare text and positions, not only pixels;
        # without Tesseract the score is the visual similarity alone.
        try:
            ocr_lines = lines_of(reference)
        except OcrError:
            ocr_lines = None
        # Transforms keep the rendering identical, so the model's own HTML is what gets rendered when the
        # target was produced from it (no JS runtime needed); native non-HTML code gets its preview page.
        js = plan.path != PATH_TRANSFORMED and plan.target != "html"
        width = max(320, min(reference.width, 1920))
        height = max(240, min(reference.height, 4000))
        with Renderer(js=js) as r:
            for c in candidates:
                page = c.model_code if not js else preview_html(c.code, plan.target)
                if not page.strip():
                    c.score = 0.0
                    continue
                shot = r.render(page, width=width, height=height, full_page=True, max_height=4000)
                c.score = float(image_score(reference, shot, ocr_lines).overall)


class _OcrMemo:
    """`vision.ocr.ocr_image(image).lines`, read once per image (by its pixels) within one conversion."""

    def __init__(self):
        self.seen: dict[tuple, list] = {}
        self.keys: dict[int, tuple] = {}  # id → (image, key): an image asked again is not hashed again

    def _key(self, image: Image.Image) -> tuple:
        if id(image) not in self.keys:  # the image is kept so its id stays unique
            self.keys[id(image)] = (image, (image.size, image.mode,
                                            hashlib.blake2b(image.tobytes(), digest_size=16).digest()))
        return self.keys[id(image)][1]

    def __call__(self, image: Image.Image):
        from vision.ocr import ocr_image

        key = self._key(image)
        if key not in self.seen:
            self.seen[key] = ocr_image(image).lines
        return self.seen[key]

    def remember(self, image: Image.Image, lines) -> None:
        """`image`'s lines are known (a band's, from its page): not read again."""
        self.seen[self._key(image)] = list(lines)


def _in_background(work) -> Future:
    """`work()` started on its own thread; `.result()` waits for it and raises what it raised. (Not a daemon:
    an interpreter that exits first waits for it rather than stopping it inside an import.)"""
    done: Future = Future()

    def run():
        try:
            done.set_result(work())
        except BaseException as e:  # handed to the waiting caller, whatever it is
            done.set_exception(e)

    threading.Thread(target=run, name="uicode-load").start()
    return done


def _layout(image: Image.Image, lines_of):
    """The layout tree the engine reads from `image` (`app.layout.infer`); None without OCR."""
    import numpy as np

    from app.layout.infer import infer
    from uicode.errors import OcrError

    try:
        lines = lines_of(image)
    except OcrError:
        return None
    return infer(np.asarray(image.convert("RGB")), lines)


def ocr_prompt_text(images, lines_of=None) -> str | None:
    """The inputs' text lines serialised as the mini model saw them in training (`vision.ocr.serialize_lines`,
    coordinates on a 0-100 grid of each image); None when Tesseract is unavailable. `lines_of(image)` reads
    an image's OCR lines (default: `vision.ocr.ocr_image`)."""
    from vision.ocr import serialize_lines
    from uicode.errors import OcrError

    lines_of = lines_of or _OcrMemo()
    parts = []
    for k, im in enumerate(images):
        try:
            lines = lines_of(im.image)
        except OcrError:
            return None
        text = serialize_lines(lines, im.image.width, im.image.height)
        parts.append(text if len(images) == 1 else f"Image {k + 1}:\n{text}")
    return "\n".join(parts)


def ground_lines(images, lines_of) -> tuple[str, ...]:
    """The text lines of every input image, each image in reading order: what grounded HTML may say."""
    from vision.ocr import reading_order

    return tuple(ln.text for im in images for ln in reading_order(lines_of(im.image)) if ln.text.strip())
