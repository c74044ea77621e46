"""The in-process backend: a K2.5-format checkpoint loaded with `model.load_model`, run by `model.generate`.

Media become encoder inputs here (`vision.preprocess_image` for images, `vision.video.video_chunks` for
videos); the plan's messages become K2.5 chat token ids through `model.chat.encode_chat` with the
`<|media_pad|>` placeholders expanded to each item's token count. Loading is lazy (first `load()` or
`stream()`) and guarded by a lock; generation is serialised by a second lock because one model instance
owns one set of buffers (the server runs one generation at a time anyway).

The default checkpoint is the project's mini model in `assets/mini/`. The targets a checkpoint writes
natively come from an optional `uicode.json` beside its config (`{"targets": ["html"], "ocr_prompt": true}`,
written by `train/export.py`); `ocr_prompt` says the model was trained with the input's OCR text in the
prompt. Without that file the default checkpoint counts as HTML-only and any other checkpoint (the real K2.5)
as writing every target, without OCR text.

Not here: prompt planning, code extraction, the HTTP server (`app/serve/http.py` reaches this class through
`app.pipeline.Pipeline.chat`, as the CLI and the GUI reach it through `Pipeline.stream`).
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

from app.backends.base import CancelFlag, Delta, Done, GenParams
from app.targets.registry import TARGETS
from uicode.errors import BackendError, BackendSetupError, MediaError, PromptTooLong, UicodeError

DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[2] / "assets" / "mini"


def _read_meta(ckpt: Path, is_default: bool) -> tuple[tuple[str, ...], bool, bool, bool]:
    """(native targets, whether prompts carry OCR text, whether they carry the layout sketch, whether the model
    was trained on the sketch) from the checkpoint's optional uicode.json. A model trained on OCR lines alone (the
    embedded mini model) is given them as it was trained; any other model is given the sketch, and one that
    declares `sketch_prompt: true` (trained on it, `train/export.py`) has its text grounded in it."""
    meta = ckpt / "uicode.json"
    if meta.is_file():
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            targets = data.get("targets", list(TARGETS))
            ocr = bool(data.get("ocr_prompt", False))
            sketch = bool(data.get("sketch_prompt", not ocr))
            trained = data.get("sketch_prompt") is True
        except (OSError, ValueError, AttributeError) as e:
            raise BackendError(f"{meta}: not a valid uicode.json ({e})") from None
        return tuple(t for t in targets if t in TARGETS) or ("html",), ocr, sketch, trained
    return (("html",) if is_default else TARGETS), False, True, False


def read_patch_limits(ckpt: Path) -> tuple[int, int]:
    """(patches per image, patches per video frame) from `preprocessor_config.json`'s `media_proc_cfg`, as
    K2.5's processor reads them; K2.5's defaults (16384, 4096) when the file is absent. The mini model is
    trained with a smaller budget, and the prompt's `<|media_pad|>` count must match what it was trained on."""
    from vision.size_rule import IN_PATCH_LIMIT, IN_PATCH_LIMIT_EACH_FRAME

    path = ckpt / "preprocessor_config.json"
    if not path.is_file():
        return IN_PATCH_LIMIT, IN_PATCH_LIMIT_EACH_FRAME
    try:
        cfg = json.loads(path.read_text(encoding="utf-8")).get("media_proc_cfg", {})
        image = int(cfg.get("in_patch_limit", IN_PATCH_LIMIT))
        frame = int(cfg.get("in_patch_limit_each_frame", IN_PATCH_LIMIT_EACH_FRAME))
    except (OSError, ValueError, TypeError, AttributeError) as e:
        raise BackendError(f"{path}: not a valid preprocessor config ({e})") from None
    if image < 4 or frame < 4:
        raise BackendError(f"{path}: patch limits must be at least 4, got {image} and {frame}")
    return image, frame


class LocalBackend:
    kind = "local"

    def __init__(self, checkpoint: str | Path | None = None, device: str = "cpu"):
        is_default = checkpoint is None
        self.checkpoint = Path(checkpoint) if checkpoint is not None else DEFAULT_CHECKPOINT
        if not (self.checkpoint / "config.json").is_file():
            if is_default:
                raise BackendSetupError(
                    f"no model at {self.checkpoint} (the embedded mini model is not installed); pass "
                    "--checkpoint DIR with a K2.5-format checkpoint, or --backend openai --base-url URL")
            if not self.checkpoint.exists():
                raise BackendSetupError(f"{self.checkpoint}: no such checkpoint directory")
            raise BackendSetupError(f"{self.checkpoint}: not a checkpoint (no config.json)")
        self.device = device
        self.native_targets, self.ocr_prompt, self.sketch_prompt, self.sketch_trained = _read_meta(
            self.checkpoint, is_default)
        self.patch_limit, self.frame_patch_limit = read_patch_limits(self.checkpoint)
        self.model = None
        self.tokenizer = None
        self._load_lock = threading.Lock()
        self._gen_lock = threading.Lock()

    def describe(self) -> str:
        return f"local {self.checkpoint.name or self.checkpoint} on {self.device}"

    @property
    def model_name(self) -> str:
        return self.checkpoint.name or str(self.checkpoint)

    def load(self, progress: Callable[[int, int], None] | None = None) -> None:
        with self._load_lock:
            if self.model is not None:
                return
            from model import Tokenizer, load_model

            try:
                self.tokenizer = Tokenizer.from_dir(self.checkpoint)
                self.model = load_model(self.checkpoint, device=self.device, progress=progress)
            except UicodeError:
                raise
            except (RuntimeError, ValueError, OSError) as e:
                # torch device errors ("CUDA not available"), an invalid device string, I/O trouble.
                raise BackendError(f"{self.checkpoint}: cannot load on {self.device}: "
                                   f"{' '.join(str(e).split())}") from None

    @property
    def multimodal(self) -> bool:
        return hasattr(self.model.config, "vision")

    def encode(self, plan, media: Sequence) -> tuple[list[int], dict | None]:
        """Prompt token ids (media pads expanded) and the encoder kwargs for `plan` with `media`."""
        from app.prompt.plan import chat_messages

        return self.encode_chat(chat_messages(plan), media, thinking=plan.thinking)

    def encode_chat(self, messages: Sequence, media: Sequence, *, thinking: bool) -> tuple[list[int], dict | None]:
        """Prompt token ids and encoder kwargs for K2.5 chat `messages` (`model.chat.Message`) whose media parts
        are `media` in order (`app.media.inputs` images and videos). Images are cut to this checkpoint's patch
        budget (`preprocessor_config.json`), as in training; every front end's prompt is encoded here."""
        from app.media.inputs import ImageInput
        from model.chat import DEFAULT_SYSTEM_PROMPT, encode_chat
        from vision.preprocess import pack_media, preprocess_image
        from vision.video import video_chunks

        self.load()
        if media and not self.multimodal:
            raise MediaError(f"{self.checkpoint}: a text-only checkpoint cannot read images or video")
        items, counts = [], []
        for src in media:
            if isinstance(src, ImageInput):
                item = preprocess_image(src.image, in_patch_limit=self.patch_limit)
                items.append(item)
                counts.append(item.num_tokens)
            else:
                chunks = video_chunks(src.as_video(), in_patch_limit=self.frame_patch_limit)
                items += [c.item for c in chunks]
                counts += [c.num_tokens for c in chunks]
        ids = encode_chat(self.tokenizer, messages, counts, thinking=thinking,
                          default_system_prompt=DEFAULT_SYSTEM_PROMPT)
        return ids, (pack_media(items) if items else None)

    def generate_ids_many(self, ids: Sequence[int], media: dict | None, params: Sequence[GenParams],
                          cancel: CancelFlag = None) -> Iterator[tuple[int, Delta | Done]]:
        """Several samples of one prompt decoded side by side (`model.generate.generate_batch`):
        `(k, Delta)` events and one `(k, Done)` per sample k."""
        from app.decode.grounding import HtmlTextGrounding
        from model.generate import GenerationResult, SamplingParams, generate_batch

        self.load()
        sps = [SamplingParams(max_new_tokens=p.max_new_tokens, temperature=p.temperature, top_p=p.top_p,
                              seed=p.seed, stop_strings=p.stop) for p in params]
        longest = max(p.max_new_tokens for p in params)
        max_len = getattr(getattr(self.model.config, "text", self.model.config), "max_position_embeddings", None)
        if max_len is not None and len(ids) + longest > max_len:
            raise PromptTooLong(f"prompt of {len(ids)} tokens + max_new_tokens {longest} exceeds "
                                f"the model's context of {max_len} tokens")
        constraints = [None if p.ground_text is None else
                       HtmlTextGrounding.for_tokenizer(p.ground_text, self.tokenizer, whole=p.ground_whole)
                       for p in params]
        with self._gen_lock:
            try:
                for k, ev in generate_batch(self.model, self.tokenizer, ids, sps, media=media, cancel=cancel,
                                            constraints=constraints):
                    if isinstance(ev, GenerationResult):
                        yield k, Done(ev.text, ev.prompt_tokens, ev.new_tokens, ev.finish_reason, ev.prefill_s,
                                      ev.decode_s)
                    else:
                        yield k, Delta(ev.text, len(ev.token_ids))
            except UicodeError:
                raise
            except (RuntimeError, ValueError) as e:
                raise BackendError(f"generation failed: {' '.join(str(e).split())}") from None

    def stream(self, plan, media: Sequence, params: GenParams, cancel: CancelFlag = None) -> Iterator[Delta | Done]:
        for _, ev in self.stream_many(plan, media, [params], cancel):
            yield ev

    def stream_many(self, plan, media: Sequence, params: Sequence[GenParams],
                    cancel: CancelFlag = None) -> Iterator[tuple[int, Delta | Done]]:
        """`stream` for several samples at once (best-of-N): the media are encoded and the prompt prefilled
        once, and the samples decode in one batch."""
        from app.prompt.plan import chat_messages

        yield from self.chat_many(chat_messages(plan), media, params, thinking=plan.thinking, cancel=cancel)

    def chat_many(self, messages: Sequence, media: Sequence, params: Sequence[GenParams], *, thinking: bool,
                  cancel: CancelFlag = None) -> Iterator[tuple[int, Delta | Done]]:
        """Samples of K2.5 chat `messages` with `media` (`encode_chat`), decoded side by side: `(k, Delta)`
        events and one `(k, Done)` per sample k. The prompt of a conversion and of a server request alike."""
        t0 = time.perf_counter()
        ids, media_kw = self.encode_chat(messages, media, thinking=thinking)
        encode_s = time.perf_counter() - t0
        for k, ev in self.generate_ids_many(ids, media_kw, params, cancel):
            if isinstance(ev, Done):
                # The vision preprocessing belongs to the prefill from the user's point of view.
                ev = Done(ev.text, ev.prompt_tokens, ev.new_tokens, ev.finish_reason, ev.prefill_s + encode_s,
                          ev.decode_s)
            yield k, ev

    def close(self) -> None:
        self.model = None
        self.tokenizer = None
