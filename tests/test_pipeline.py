"""The conversion pipeline: prompt planning, batches, and end to end on a tiny random kimi_k25 checkpoint."""
import contextlib
import threading

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.decode.extract import extract_code
from app.events import PATH_MODEL, PATH_TRANSFORMED, CodeDelta, Finished, Status
from app.markup.check import balance
from app.media.inputs import plan_batches
from app.pipeline import ConvertRequest, Pipeline, make_backend
from app.prompt.plan import MediaSlot, plan_prompt
from app.targets.registry import REGISTRY, transform
from uicode.errors import MediaError

IMG = MediaSlot("image")


# ------------------------------------------------------------------------------------------------ planning
def test_plan_native_and_transformed():
    p = plan_prompt("react", [IMG], native_targets=("html",))
    assert (p.model_target, p.path) == ("html", PATH_TRANSFORMED)
    assert p.messages[0].role == "system" and p.messages[0].text == REGISTRY["html"].system_prompt
    q = plan_prompt("react", [IMG])
    assert (q.model_target, q.path) == ("react", PATH_MODEL) and "```jsx" in q.messages[0].text
    assert q.messages[1].media == (IMG,) and q.thinking is False


def test_plan_multi_image_video_and_followup():
    p = plan_prompt("html", [IMG, IMG], instruction="dark header")
    assert "These 2 screenshots" in p.messages[1].text and p.messages[1].text.endswith("Also: dark header")
    v = plan_prompt("vue", [MediaSlot("video", (0.0, 2.0))])
    assert "screen recording" in v.messages[1].text
    f = plan_prompt("html", [], previous_code="<p>x</p>", instruction="make it red")
    assert "```html\n<p>x</p>\n```" in f.messages[1].text and "Change it as asked: make it red" in f.messages[1].text
    # A follow-up edit of React code converted from an HTML-only model's page: labelled as JSX, answered in HTML.
    r = plan_prompt("react", [], previous_code="export default function App() {}", native_targets=("html",))
    assert "```jsx\nexport default function App() {}\n```" in r.messages[1].text
    assert r.messages[1].text.endswith("as HTML.") and r.path == PATH_TRANSFORMED and r.model_target == "html"
    with pytest.raises(ValueError):
        plan_prompt("html", [])
    with pytest.raises(ValueError):
        plan_prompt("svelte", [IMG])


def test_plan_with_ocr_text_and_chat_messages():
    from model.chat import ImagePart, TextPart, VideoPart

    from app.prompt.plan import OCR_HEADER, chat_messages

    p = plan_prompt("html", [IMG, MediaSlot("video", (0.0, 2.0))], ocr_text="[10,5,30,4] Pricing\n")
    assert f"\n{OCR_HEADER}[10,5,30,4] Pricing" in p.messages[1].text
    assert plan_prompt("html", [IMG], ocr_text="  ").messages[1].text == "Write the code for this user interface."
    sys_msg, user = chat_messages(p)
    assert sys_msg.role == "system" and sys_msg.content == REGISTRY["html"].system_prompt
    assert [type(x) for x in user.content] == [ImagePart, VideoPart, TextPart]
    assert user.content[1].chunk_starts_s == (0.0, 2.0) and user.content[2].text == p.messages[1].text


def test_plan_batches(tmp_path):
    d = tmp_path / "shots"
    d.mkdir()
    for n in ("b.png", "a.jpg", "notes.txt", "c.mp4"):
        (d / n).write_bytes(b"x")
    batches = plan_batches([str(tmp_path / "x.png"), str(tmp_path / "y.png"), str(d)])
    assert batches[0].inputs == (str(tmp_path / "x.png"), str(tmp_path / "y.png"))  # files: one request
    assert [b.stem for b in batches[1:]] == ["a", "b", "c"]  # a directory: one request per media file
    assert len(plan_batches([str(tmp_path / "x.png"), str(tmp_path / "y.png")], each=True)) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MediaError, match="no image or video"):
        plan_batches([str(empty)])


def test_request_validation():
    with pytest.raises(ValueError):
        ConvertRequest(media=("a.png",), target="svelte")
    with pytest.raises(ValueError):
        ConvertRequest(media=("a.png",), best_of=0)
    with pytest.raises(ValueError):
        ConvertRequest(media=("a.png",), temperature=-1)


def test_missing_default_checkpoint_names_the_fix(monkeypatch, tmp_path):
    import app.backends.local as local
    from uicode.errors import BackendError

    monkeypatch.setattr(local, "DEFAULT_CHECKPOINT", tmp_path / "mini")
    with pytest.raises(BackendError, match="--checkpoint DIR") as e:
        make_backend("local")
    assert str(tmp_path / "mini") in str(e.value)
    with pytest.raises(BackendError, match="no such checkpoint"):
        make_backend("local", checkpoint=tmp_path / "nope")


# -------------------------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from ckpt_factory import write_tiny_k25_checkpoint

    path = write_tiny_k25_checkpoint(tmp_path_factory.mktemp("tiny"), seed=0)
    backend = make_backend("local", checkpoint=path)
    backend.load()
    return backend


def mockup(w=200, h=120) -> Image.Image:
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    d.rectangle((10, 10, w - 10, 40), fill="#1e293b")
    d.text((20, 60), "Hello", fill="black")
    return im


def test_image_to_code_events_and_counts(tiny, monkeypatch):
    from model.chat import render_messages, Message, ImagePart, TextPart
    from vision.preprocess import image_token_count

    monkeypatch.setattr(tiny, "sketch_prompt", False)  # the prompt is the task sentence and the image
    events = list(Pipeline(tiny).stream(ConvertRequest(media=(mockup(),), max_new_tokens=6, engine=False)))
    assert isinstance(events[-1], Finished) and all(not isinstance(e, Finished) for e in events[:-1])
    stages = [e.stage for e in events if isinstance(e, Status)]
    assert stages[0] == "media" and "generate" in stages and stages[-1] == "done"
    r = events[-1].result
    assert r.path == PATH_MODEL and r.target == "html" and r.new_tokens <= 6
    assert r.finish_reason in ("stop", "length") and r.seconds > 0
    assert r.code == balance(extract_code(r.raw_text, "html"))  # the handed-over HTML nests its tags
    # Prompt length, counted independently: the rendered chat with one pad per image, re-tokenised, plus
    # the image's decoder tokens from the processor rule.
    plan = plan_prompt("html", [IMG], native_targets=tiny.native_targets)
    text = render_messages([Message("system", plan.messages[0].text),
                            Message("user", [ImagePart(), TextPart(plan.messages[1].text)])], thinking=False)
    n_text = len(tiny.tokenizer.encode(text)) - 1
    assert r.prompt_tokens == n_text + image_token_count(200, 120)
    deltas = "".join(e.text for e in events if isinstance(e, CodeDelta))
    assert r.code.startswith(deltas.strip()) or not deltas


def test_seeded_sampling_is_reproducible(tiny):
    pipe = Pipeline(tiny)
    req = ConvertRequest(media=(mockup(),), max_new_tokens=4, temperature=0.9, seed=5)
    a, b = pipe.convert(req), pipe.convert(req)
    assert a.raw_text == b.raw_text and a.new_tokens == b.new_tokens


def test_transformed_target_says_so(tiny):
    assert tiny.native_targets == ("html", "tailwind", "react", "vue")  # a non-default checkpoint
    (tiny.checkpoint / "uicode.json").write_text('{"targets": ["html"]}')
    try:
        backend = make_backend("local", checkpoint=tiny.checkpoint)
        backend.model, backend.tokenizer = tiny.model, tiny.tokenizer  # same weights, no second load
        r = Pipeline(backend).convert(ConvertRequest(media=(mockup(),), target="react", max_new_tokens=6, engine=False))
    finally:
        (tiny.checkpoint / "uicode.json").unlink()
    assert r.path == PATH_TRANSFORMED and r.target == "react"
    assert r.code == transform(balance(extract_code(r.raw_text, "html")), "react")
    assert "export default function App()" in r.code


def test_ocr_prompt_models_get_the_inputs_text(tiny):
    from PIL import ImageFont

    from app.media.inputs import ImageInput
    from app.pipeline import ocr_prompt_text

    im = Image.new("RGB", (420, 120), "white")
    ImageDraw.Draw(im).text((20, 30), "Pricing plans", fill="black", font=ImageFont.load_default(size=36))
    text = ocr_prompt_text([ImageInput(im, "x")])
    assert text is not None and "Pricing" in text and text.startswith("[")
    (tiny.checkpoint / "uicode.json").write_text('{"targets": ["html"], "ocr_prompt": true}')
    try:
        backend = make_backend("local", checkpoint=tiny.checkpoint)
        backend.model, backend.tokenizer = tiny.model, tiny.tokenizer
        events = list(Pipeline(backend).stream(ConvertRequest(media=(im,), max_new_tokens=2, engine=False)))
        tiny.sketch_prompt = False  # the same prompt without the OCR block
        plain = Pipeline(tiny).convert(ConvertRequest(media=(im,), max_new_tokens=2, engine=False))
    finally:
        tiny.sketch_prompt = True
        (tiny.checkpoint / "uicode.json").unlink()
    assert backend.ocr_prompt and any(isinstance(e, Status) and e.stage == "ocr" for e in events)
    # The OCR block (header + lines) is in the prompt: byte-level tokens, so its length in characters.
    from app.prompt.plan import OCR_HEADER

    assert events[-1].result.prompt_tokens == plain.prompt_tokens + len(f"\n{OCR_HEADER}{text}".encode())


def test_cancel_keeps_partial_result(tiny):
    cancel = threading.Event()
    result = None
    for ev in Pipeline(tiny).stream(ConvertRequest(media=(mockup(),), max_new_tokens=200), cancel):
        if isinstance(ev, Status) and ev.stage == "generate":
            cancel.set()
        if isinstance(ev, Finished):
            result = ev.result
    assert result.finish_reason == "cancelled" and result.new_tokens < 200


def test_video_input(tiny, tmp_path):
    import cv2

    path = tmp_path / "rec.mp4"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 4, (112, 84))
    for i in range(8):  # 2 s at 4 fps → 4 sampled frames at 2 fps → one 4-frame chunk
        frame = np.full((84, 112, 3), 255, np.uint8)
        frame[10:30, 10 + 8 * i:40 + 8 * i] = (200, 40, 40)
        w.write(frame)
    w.release()
    from model.chat import Message, TextPart, VideoPart, render_messages

    video = Pipeline(tiny).convert(ConvertRequest(media=(str(path),), max_new_tokens=3))
    # One chunk of 112×84 frames is (84/28)·(112/28) = 12 decoder tokens; the rest is the chat text with
    # the chunk's "00:00:00.000" timestamp prompt, re-tokenised independently.
    plan = plan_prompt("html", [MediaSlot("video", (0.0,))], native_targets=tiny.native_targets)
    text = render_messages([Message("system", plan.messages[0].text),
                            Message("user", [VideoPart((0.0,)), TextPart(plan.messages[1].text)])], thinking=False)
    assert "00:00:00.000" in text
    assert video.prompt_tokens == len(tiny.tokenizer.encode(text)) - 1 + 12 and video.new_tokens <= 3


def test_best_of_renders_and_scores(tiny):
    r = Pipeline(tiny).convert(ConvertRequest(media=(mockup(),), max_new_tokens=4, best_of=2))
    assert len(r.candidate_scores) == 2 and all(0.0 <= s <= 1.0 for s in r.candidate_scores)
    assert r.score == max(r.candidate_scores)


def test_best_of_decodes_candidates_side_by_side_as_sequential_runs_would(tiny):
    """The local backend samples best-of candidates in one batch; the candidates (hence scores and the pick)
    are those of one-at-a-time sampling with the same seeds."""

    class OneAtATime:  # the same backend without stream_many
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            if name == "stream_many":
                raise AttributeError(name)
            return getattr(self.inner, name)

    req = ConvertRequest(media=(mockup(),), max_new_tokens=12, best_of=3, seed=4)
    events = list(Pipeline(tiny).stream(req))
    batched = events[-1].result
    assert any(isinstance(e, Status) and "side by side" in e.message for e in events)
    sequential = Pipeline(OneAtATime(tiny)).convert(req)
    assert batched.candidate_scores == sequential.candidate_scores and len(batched.candidate_scores) == 3
    assert batched.code == sequential.code and batched.new_tokens == sequential.new_tokens


def test_previews_are_complete_when_app_render_screenshots():
    """`--best-of` scores native React/Vue/Tailwind code through `app.scoring.render` (screenshot at the load event):
    the preview must already show the finished page then."""
    from PIL import ImageChops

    from app.scoring.render import Renderer
    from app.targets.registry import preview_html
    from test_targets import TRICKY

    with Renderer(js=True) as r:
        ref = r.render(TRICKY, width=1024, height=700, blocks=False).image().convert("RGB")
        for target in ("react", "vue", "tailwind"):
            got = r.render(preview_html(transform(TRICKY, target), target), width=1024, height=700,
                           blocks=False).image().convert("RGB")
            assert got.size == ref.size and ImageChops.difference(ref, got).getbbox() is None, target


class _Seen(list):
    """Each generation call's `ground_text`s; `params`: its samples' `GenParams`."""

    def __init__(self):
        super().__init__()
        self.params = []


@contextlib.contextmanager
def ocr_prompted(tiny, prompt="ocr"):
    """A pipeline on the tiny model declared as trained with OCR prompts (or `prompt="sketch"`: the layout
    sketch), and the `ground_text` of every sample of every generation call it makes."""
    (tiny.checkpoint / "uicode.json").write_text(
        f'{{"targets": ["html"], "ocr_prompt": {str(prompt == "ocr").lower()}, '
        f'"sketch_prompt": {str(prompt == "sketch").lower()}}}')
    try:
        backend = make_backend("local", checkpoint=tiny.checkpoint)
        backend.model, backend.tokenizer = tiny.model, tiny.tokenizer
        seen = _Seen()
        original = backend.generate_ids_many

        def recording(ids, media, params, cancel=None):
            seen.append([p.ground_text for p in params])
            seen.params.append(list(params))
            return original(ids, media, params, cancel)

        backend.generate_ids_many = recording
        yield Pipeline(backend), seen
    finally:
        (tiny.checkpoint / "uicode.json").unlink()


def test_plain_conversions_of_ocr_prompted_models_are_grounded_in_the_ocr_lines(tiny):
    from PIL import ImageFont

    im = Image.new("RGB", (420, 120), "white")
    ImageDraw.Draw(im).text((20, 30), "Pricing plans", fill="black", font=ImageFont.load_default(size=36))
    with ocr_prompted(tiny) as (pipe, seen):
        pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2))
        pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, best_of=2))
        pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, ground_text=False))
        pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, instruction="add a footer"))
        Pipeline(tiny).convert(ConvertRequest(media=(im,), max_new_tokens=2))  # no OCR in its prompt
    lines = seen[0][0]
    assert lines is not None and any("Pricing" in t for t in lines)
    assert not seen.params[0][0].ground_whole  # OCR lines, which one element may split
    assert seen[1] == [lines, lines]
    assert seen[2] == [None] and seen[3] == [None]
    assert len(seen) == 4  # the plain backend's call was not recorded, and it has no OCR prompt anyway


def test_a_sketch_prompted_models_text_follows_the_sketchs_nodes_in_order(tiny):
    """Two columns: OCR's reading order goes across the rows, the sketch down each column; the model's text
    is grounded in the sketch's texts, in the order the printed sketch shows them."""
    import re

    from PIL import ImageFont

    font = ImageFont.load_default(size=26)
    im = Image.new("RGB", (900, 420), "white")
    d = ImageDraw.Draw(im)
    for x, words in ((40, ("Monthly plans", "Cancel any time", "Billed each month")),
                     (500, ("Yearly plans", "Two months free", "Billed once a year"))):
        d.rounded_rectangle((x - 20, 30, x + 360, 330), radius=14, outline="#888888", width=2)
        for k, text in enumerate(words):
            d.text((x, 60 + 80 * k), text, fill="black", font=font)
    with ocr_prompted(tiny, "sketch") as (pipe, seen):
        result = pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2))
        pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, ground_text=False))
        alone = pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, engine=False))  # --model-only
    printed = [" ".join(t.split()) for t in re.findall(r'"(.*)"$', result.sketch, re.M)]
    assert seen[0][0] == tuple(printed) and len(printed) >= 4
    assert printed.index("Cancel any time") < printed.index("Yearly plans")  # down a column, not across
    assert seen.params[0][0].ground_whole  # each text written whole (`app.decode.grounding`)
    assert seen[1] == [None]
    assert seen[2] == seen[0] and alone.model_share == 1.0  # the model still sees its sketch; the page is its own


def test_code_whose_tags_do_not_nest_is_handed_over_balanced():
    from html.parser import HTMLParser

    from app.markup.check import balance

    good = "<!DOCTYPE html>\n<html><body><p>Hi <b>there</b></p></body></html>"
    assert balance(good) == good
    broken = "<html><body><header><nav><a>Home</a></header></nav><h2><p>Text</a></h2></body></html>"
    fixed = balance(broken)

    class Nesting(HTMLParser):  # an independent check: every end tag closes the innermost open element
        def __init__(self):
            super().__init__()
            self.stack, self.bad, self.text = [], 0, []

        def handle_starttag(self, tag, attrs):
            self.stack.append(tag)

        def handle_endtag(self, tag):
            self.bad += not self.stack or self.stack.pop() != tag

        def handle_data(self, data):
            self.text.append(data)

    n = Nesting()
    n.feed(fixed)
    assert n.bad == 0 and not n.stack and "".join(t.strip() for t in n.text) == "HomeText"
    m = Nesting()
    m.feed(broken)
    assert m.bad > 0


def _three_sections(line=lambda s, k: f"Section {s} item {k}") -> Image.Image:
    """A page of three coloured sections of nine lines each (line k of section s reads `line(s, k)`): more than
    a band holds."""
    from PIL import ImageFont

    font = ImageFont.load_default(size=26)
    im = Image.new("RGB", (900, 1800), "white")
    d = ImageDraw.Draw(im)
    for s, colour in enumerate(("white", (226, 232, 240), (254, 243, 199))):
        d.rectangle((0, 600 * s, 899, 600 * s + 599), fill=colour)
        for k in range(9):
            d.text((40, 600 * s + 25 + 62 * k), line(s, k), fill="black", font=font)
    return im


def test_a_long_page_is_converted_band_by_band_and_joined(tiny):
    words = ["Pricing", "Features", "Company", "Support", "Careers", "Privacy", "Contact", "Journal"]
    im = _three_sections(lambda s, k: f"{words[(s + k) % 8]} row {s}{k}")
    with ocr_prompted(tiny) as (pipe, seen):
        # the model's pages as joined (the engine off: its page would stand in for the model's empty bands)
        banded = pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, split=True, engine=False))
        whole = pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, engine=False))
        react = pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, split=True, target="react", engine=False))
    assert len(seen) == 3 + 1 + 3
    rows = [{t.split()[-1] for t in lines[0] if "row" in t} for lines in seen[:4]]
    assert rows[0] | rows[1] | rows[2] == rows[3] and len(rows[3]) >= 25   # every line, each band its own
    assert all(r.isdisjoint(q) for i, r in enumerate(rows[:3]) for q in rows[i + 1:3])
    assert [sorted({x[0] for x in r}) for r in rows[:3]] == [["0"], ["1"], ["2"]]  # cut at the section edges
    assert "uc-band3" in banded.code and "uc-band1" not in whole.code
    from app.markup.check import is_well_formed

    assert is_well_formed(banded.code, single_style=True)
    # another target: the bands are written in HTML, joined, then converted like any model HTML
    assert react.path == PATH_TRANSFORMED and react.code == transform(banded.code, "react")


def test_a_long_page_in_bands_is_composed_with_the_engines_page(tiny):
    """`uicode convert --bands` as users run it (the engine on): the joined bands are composed with the engine's
    page, which writes the words the model's empty bands lack."""
    with ocr_prompted(tiny) as (pipe, seen):
        res = pipe.convert(ConvertRequest(media=(_three_sections(),), max_new_tokens=2, split=True))
    assert len(seen) == 3  # converted in three bands
    assert "Section 2 item 8" in res.code and res.model_share < 0.5
    assert res.model_code is not None and "Section 2 item 8" not in res.model_code  # the model's own, joined


def test_a_sketch_trained_model_converts_a_long_page_band_by_band_each_with_its_own_sketch(tiny):
    """A model trained on the sketch writes a long page's bands one by one as an OCR-prompted one does, each
    prompted with, and grounded in, the sketch of its own band (a short sketch, as in training)."""
    with ocr_prompted(tiny, "sketch") as (pipe, seen):
        pipe.convert(ConvertRequest(media=(_three_sections(),), max_new_tokens=2, split=True))
    assert len(seen) == 3
    sections = [{t.split()[1].replace("O", "0") for t in texts[0] if t.startswith("Section")}  # OCR: 0 read as O
                for texts in seen]
    assert sections == [{"0"}, {"1"}, {"2"}]
    assert all(sum(t.startswith("Section") for t in texts[0]) >= 8 for texts in seen)


def test_the_engine_writes_what_the_model_does_not_and_the_model_share_says_so(tiny):
    from PIL import ImageFont

    font = ImageFont.load_default(size=30)
    im = Image.new("RGB", (640, 420), "white")
    d = ImageDraw.Draw(im)
    texts = ["Pricing plans", "Starter tier", "Contact sales"]
    for k, t in enumerate(texts):
        d.text((40, 40 + 130 * k), t, fill="black", font=font)
    with ocr_prompted(tiny) as (pipe, _):  # two tokens: the model's page shows none of the text
        events = list(pipe.stream(ConvertRequest(media=(im,), max_new_tokens=2)))
        alone = pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, engine=False))
        react = pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, target="react"))
        edit = pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, instruction="add a footer"))
    result = events[-1].result
    assert all(t in result.code for t in texts) and result.model_share == 0.0
    assert "position:absolute" not in result.code and "<main>" in result.code
    composed = [e.message for e in events if isinstance(e, Status) and e.stage == "compose"]
    assert composed[-1].startswith("the model's code kept in 0 of ") and composed[-1].endswith("0% of the page's text")
    assert alone.model_share == 1.0 and not any(t in alone.code for t in texts)  # --model-only
    assert react.model_share == 0.0 and react.code == transform(result.code, "react")
    assert edit.model_share == 1.0  # an edit of the user's code is the model's alone


def test_a_dialog_over_a_dimmed_page_is_written_over_the_page_behind(tiny):
    from PIL import ImageFont

    font = ImageFont.load_default(size=28)
    im = Image.new("RGB", (800, 600), (64, 64, 70))                       # a page under a backdrop
    d = ImageDraw.Draw(im)
    d.text((40, 30), "Acme Cloud", fill=(120, 120, 125), font=font)       # its text, dimmed
    d.rounded_rectangle((200, 210, 599, 389), radius=12, fill="white")    # the dialog, not dimmed
    d.text((230, 240), "Delete project?", fill="black", font=font)
    with ocr_prompted(tiny) as (pipe, _):
        result = pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2))
        alone = pipe.convert(ConvertRequest(media=(im,), max_new_tokens=2, engine=False))
    assert 'role="dialog"' in result.code and "Delete project?" in result.code
    assert 'role="dialog"' not in alone.code  # --model-only: only what the model wrote


def test_the_layout_sketch_goes_into_the_prompt_of_a_model_that_takes_it(tiny):
    from PIL import ImageFont

    from app.prompt.plan import SKETCH_HEADER

    font = ImageFont.load_default(size=30)
    im = Image.new("RGB", (640, 300), "white")
    ImageDraw.Draw(im).text((40, 40), "Pricing plans", fill="black", font=font)
    prompts = []
    original = tiny.stream

    def recording(plan, media, params, cancel=None):
        prompts.append(plan.messages[-1].text)
        return original(plan, media, params, cancel)

    tiny.stream, tiny.sketch_prompt = recording, True
    try:
        Pipeline(tiny).convert(ConvertRequest(media=(im,), max_new_tokens=2))
        tiny.sketch_prompt = False  # a model trained on OCR lines alone is not given it
        Pipeline(tiny).convert(ConvertRequest(media=(im,), max_new_tokens=2))
    finally:
        del tiny.stream
        tiny.sketch_prompt = True
    assert SKETCH_HEADER in prompts[0] and '"Pricing plans"' in prompts[0].split(SKETCH_HEADER)[1]
    assert SKETCH_HEADER not in prompts[1]


class _LoadsWhenTheLayoutIsRead:
    """A backend whose load waits until the engine has begun reading the page, then loads `inner`."""

    def __init__(self, inner, layout_started: threading.Event, fail: bool = False):
        self.inner, self.layout_started, self.fail = inner, layout_started, fail
        self.overlapped, self.progress = None, "unset"

    def load(self, progress=None):
        self.overlapped, self.progress = self.layout_started.wait(5), progress
        if self.fail:
            from uicode.errors import BackendError

            raise BackendError("no weights here")
        self.inner.load()

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_the_model_loads_while_the_engine_reads_the_page(tiny, monkeypatch):
    import app.pipeline as pipeline_module
    from uicode.errors import BackendError

    started = threading.Event()
    read = pipeline_module._layout

    def layout(image, lines_of):
        started.set()
        return read(image, lines_of)

    monkeypatch.setattr(pipeline_module, "_layout", layout)
    backend = _LoadsWhenTheLayoutIsRead(tiny, started)
    on_load = lambda done, total: None  # noqa: E731
    result = Pipeline(backend, on_load=on_load).convert(ConvertRequest(media=(mockup(),), max_new_tokens=2))
    assert backend.overlapped and backend.progress is on_load and result.code.strip()
    # A load that fails still fails the conversion, with the backend's error
    started.clear()
    with pytest.raises(BackendError, match="no weights here"):
        Pipeline(_LoadsWhenTheLayoutIsRead(tiny, started, fail=True)).convert(
            ConvertRequest(media=(mockup(),), max_new_tokens=2))


def test_a_backend_is_made_without_importing_torch():
    """So that the model's load (torch's import first) runs beside the layout engine rather than before it."""
    import subprocess
    import sys

    code = ("import sys; from app.pipeline import make_backend; make_backend('local'); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
