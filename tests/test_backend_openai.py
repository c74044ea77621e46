"""The remote backend against a real `uicode serve` on loopback: the same code as the local engine, through
the pipeline and through `uicode convert --backend openai`; unreachable endpoints, 401s and keys."""
import os
import socket
import stat

import pytest
from PIL import Image, ImageDraw

from app.backends.base import GenParams
from app.backends.openai import OpenAIBackend
from app.pipeline import ConvertRequest, Pipeline, make_backend
from app.prompt.plan import MediaSlot, plan_prompt
from app.serve.http import ServerThread, create_app
from app.serve.requests import Limits
from uicode.errors import BackendError


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    from ckpt_factory import write_tiny_k25_checkpoint

    b = make_backend("local", checkpoint=write_tiny_k25_checkpoint(tmp_path_factory.mktemp("tiny"), seed=2))
    b.load()
    return b


@pytest.fixture(scope="module")
def server(local):
    with ServerThread(create_app(Pipeline(local), limits=Limits(max_images=2))) as s:
        yield s


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    for k in ("UICODE_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("UICODE_CONFIG", str(tmp_path / "config.toml"))


def mockup_png(tmp_path) -> str:
    im = Image.new("RGB", (140, 90), "white")
    ImageDraw.Draw(im).rectangle((8, 8, 132, 30), fill="#0f766e")
    path = tmp_path / "mock.png"
    im.save(path)
    return str(path)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_pipeline_through_serve_equals_local(local, server, tmp_path, clean_env):
    req = ConvertRequest(media=(mockup_png(tmp_path),), max_new_tokens=8, temperature=0.7, top_p=0.9, seed=4)
    want = Pipeline(local).convert(req)
    remote = OpenAIBackend(server.url)
    got = Pipeline(remote).convert(req)
    assert remote.model == local.model_name  # picked from GET /v1/models
    assert got.raw_text == want.raw_text and got.code == want.code
    assert (got.prompt_tokens, got.new_tokens) == (want.prompt_tokens, want.new_tokens)


def test_serve_encodes_a_screenshot_with_the_checkpoints_patch_budget(local, tmp_path, clean_env):
    """A checkpoint trained with a small patch budget (`preprocessor_config.json`, as the mini model is): one
    1280x800 screenshot costs the same image tokens through `uicode serve` as through `uicode convert`, and
    that is the budget's count, not K2.5's default (about 5x more here)."""
    import json

    from vision.preprocess import IN_PATCH_LIMIT, image_token_count

    budget = 1200
    (local.checkpoint / "preprocessor_config.json").write_text(
        json.dumps({"media_proc_cfg": {"in_patch_limit": budget, "in_patch_limit_each_frame": budget}}))
    try:
        small = make_backend("local", checkpoint=local.checkpoint)
        small.model, small.tokenizer = local.model, local.tokenizer  # same weights, no second load
        small.sketch_prompt = local.sketch_prompt = False  # the prompts differ by their image tokens alone
        shot = Image.new("RGB", (1280, 800), "white")
        ImageDraw.Draw(shot).rectangle((40, 40, 1240, 120), fill="#0f766e")
        req = ConvertRequest(media=(shot,), max_new_tokens=2, seed=0, engine=False)
        want = Pipeline(small).convert(req)
        with ServerThread(create_app(Pipeline(small))) as s:
            got = Pipeline(OpenAIBackend(s.url)).convert(req)
        text_only = Pipeline(local).convert(ConvertRequest(media=(Image.new("RGB", (28, 28), "white"),),
                                                           max_new_tokens=1, engine=False)).prompt_tokens
    finally:
        (local.checkpoint / "preprocessor_config.json").unlink()
        local.sketch_prompt = True
    assert got.prompt_tokens == want.prompt_tokens
    image_tokens = want.prompt_tokens - text_only + image_token_count(28, 28)
    assert image_tokens == image_token_count(1280, 800, in_patch_limit=budget)
    assert image_token_count(1280, 800, in_patch_limit=IN_PATCH_LIMIT) > 4 * image_tokens


def test_cli_convert_round_trips_through_serve(local, server, tmp_path, clean_env, capsys):
    from app.cli import main

    png = mockup_png(tmp_path)
    out = tmp_path / "out.html"
    # the model's page as the server's model wrote it (--model-only): the engine's page would hide it
    rc = main(["convert", png, "--backend", "openai", "--base-url", server.url, "-o", str(out),
               "--max-new-tokens", "6", "--seed", "1", "--model-only"])
    assert rc == 0, capsys.readouterr().err
    want = Pipeline(local).convert(ConvertRequest(media=(png,), max_new_tokens=6, seed=1, engine=False))
    assert out.read_text() == want.code + "\n"
    assert "stdout" not in capsys.readouterr().err


def test_unreachable_endpoint_names_the_url(tmp_path, clean_env, capsys):
    from app.cli import main
    from app.media.inputs import load_media

    url = f"http://127.0.0.1:{closed_port()}/v1"
    backend = OpenAIBackend(url, model="m")
    plan = plan_prompt("html", [MediaSlot("image")])
    with pytest.raises(BackendError, match="cannot reach " + url.replace(".", r"\.")):
        list(backend.stream(plan, [load_media(mockup_png(tmp_path))], GenParams(4)))
    rc = main(["convert", mockup_png(tmp_path), "--backend", "openai", "--base-url", url, "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 3 and len(err) == 1 and url in err[0] and err[0].startswith("uicode: ")


def test_401_and_keys_from_env_and_config(local, tmp_path, clean_env, monkeypatch, capsys):
    from app.cli import main

    key = "sk-test-123456"
    png = mockup_png(tmp_path)
    with ServerThread(create_app(Pipeline(local), api_key=key)) as s:
        monkeypatch.setenv("UICODE_API_KEY", "sk-wrong-999999")
        rc = main(["convert", png, "--backend", "openai", "--base-url", s.url, "--max-new-tokens", "2", "-q"])
        err = capsys.readouterr().err
        assert rc == 3 and "401" in err and s.url in err and "sk-wrong-999999" not in err
        monkeypatch.delenv("UICODE_API_KEY")
        # The key from the config file (readable by others: it works, with a warning that never shows it).
        cfg = tmp_path / "config.toml"
        cfg.write_text(f'base_url = "{s.url}"\napi_key = "{key}"\n')
        os.chmod(cfg, 0o644)
        out = tmp_path / "o.html"
        rc = main(["convert", png, "--backend", "openai", "-o", str(out), "--max-new-tokens", "2"])
        err = capsys.readouterr().err
        assert rc == 0 and out.exists() and "chmod 600" in err and key not in err
        os.chmod(cfg, stat.S_IRUSR | stat.S_IWUSR)
        assert not OpenAIBackend().warnings
        monkeypatch.setenv("OPENAI_API_KEY", key)
        cfg.write_text(f'base_url = "{s.url}"\n')
        assert Pipeline(OpenAIBackend()).convert(ConvertRequest(media=(png,), max_new_tokens=2)).new_tokens >= 1


def test_endpoint_errors_become_one_line(server, tmp_path, clean_env):
    from app.media.inputs import load_media

    backend = OpenAIBackend(server.url, model="m")
    img = load_media(mockup_png(tmp_path))
    plan = plan_prompt("html", [MediaSlot("image")] * 3)
    with pytest.raises(BackendError, match=r"HTTP 400: too many images"):
        list(backend.stream(plan, [img] * 3, GenParams(2)))


def test_missing_base_url_and_bad_config(clean_env, tmp_path):
    from uicode.errors import ConfigError

    with pytest.raises(BackendError, match="--base-url"):
        OpenAIBackend()
    (tmp_path / "config.toml").write_text("base_url = [unclosed\n")
    with pytest.raises(ConfigError, match="config.toml: not valid TOML"):
        OpenAIBackend()


def test_remote_uicode_model_keeps_its_prompt_and_targets(local, tmp_path, clean_env):
    """A mini-like model (HTML only, OCR in the prompt) behind `uicode serve`: the remote client adopts both
    from /v1/models, so a React conversion through the server equals the local one (with free text: text
    grounding is a local decoding constraint the OpenAI API cannot carry)."""
    from PIL import ImageFont

    (local.checkpoint / "uicode.json").write_text('{"targets": ["html"], "ocr_prompt": true}')
    try:
        mini = make_backend("local", checkpoint=local.checkpoint)
        mini.model, mini.tokenizer = local.model, local.tokenizer  # same weights, no second load
        im = Image.new("RGB", (360, 100), "white")
        ImageDraw.Draw(im).text((16, 24), "Sign in", fill="black", font=ImageFont.load_default(size=32))
        req = ConvertRequest(media=(im,), target="react", max_new_tokens=4, seed=2, ground_text=False)
        with ServerThread(create_app(Pipeline(mini))) as s:
            remote = OpenAIBackend(s.url)
            got = Pipeline(remote).convert(req)
        want = Pipeline(mini).convert(req)
    finally:
        (local.checkpoint / "uicode.json").unlink()
    assert remote.native_targets == ("html",) and remote.ocr_prompt
    assert got.path == want.path == "transformed-from-html"
    assert (got.raw_text, got.code, got.prompt_tokens) == (want.raw_text, want.code, want.prompt_tokens)


def test_video_travels_as_its_sampled_frames():
    import numpy as np

    from app.backends.openai import openai_messages
    from app.media.inputs import VideoInput, slot_of

    frames = tuple(np.full((28, 42, 3), 40 * i, np.uint8) for i in range(5))
    video = VideoInput(frames, (0, 2, 4, 6, 8), 4.0, "rec.mp4")
    assert video.chunk_starts_s == (0.0, 2.0)  # chunks of 4 sampled frames, first-frame times
    plan = plan_prompt("html", [slot_of(video)])
    system, user = openai_messages(plan, [video])
    assert system == {"role": "system", "content": plan.messages[0].text}
    kinds = [p["type"] for p in user["content"]]
    assert kinds == ["image_url"] * 5 + ["text"]
    assert all(p["image_url"]["url"].startswith("data:image/png;base64,") for p in user["content"][:5])
