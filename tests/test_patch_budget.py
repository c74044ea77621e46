"""A checkpoint's image patch budget (preprocessor_config.json) reaches preprocessing, prompts and the GUI."""
import json
from pathlib import Path

import pytest
from PIL import Image

from app.backends.local import DEFAULT_CHECKPOINT, LocalBackend, read_patch_limits
from uicode.errors import BackendError
from vision.preprocess import image_grid, image_token_count

ROOT = Path(__file__).resolve().parents[1]


def test_read_patch_limits(tmp_path):
    assert read_patch_limits(DEFAULT_CHECKPOINT) == (1024, 1024)  # the mini model's trained budget
    assert read_patch_limits(tmp_path) == (16384, 4096)              # K2.5's processor defaults
    (tmp_path / "preprocessor_config.json").write_text("{not json")
    with pytest.raises(BackendError, match="preprocessor_config.json"):
        read_patch_limits(tmp_path)
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"media_proc_cfg": {"in_patch_limit": 0}}))
    with pytest.raises(BackendError, match="at least 4"):
        read_patch_limits(tmp_path)


def test_local_backend_prompt_uses_the_checkpoint_budget():
    from app.media.inputs import ImageInput
    from app.prompt.plan import MediaSlot, plan_prompt

    image = Image.open(ROOT / "assets" / "samples" / "sample_1.png")
    backend = LocalBackend()
    ids, media = backend.encode(plan_prompt("html", [MediaSlot("image")]), [ImageInput(image, "sample_1.png")])
    n = ids.count(backend.tokenizer.media_pad_id)
    assert n == image_token_count(*image.size, in_patch_limit=1024)
    assert n < image_token_count(*image.size)  # the default budget would give a prompt the model never saw
    assert media["grid_thws"][0].tolist() == [1, *image_grid(*image.size, in_patch_limit=1024)]


def test_gui_token_estimate_follows_the_backend(qapp):
    from app.gui.inputs import InputItem
    from app.gui.prepare import patch_limit
    from app.gui.media_strip import token_estimate

    assert patch_limit("mini", {}) == 1024
    assert patch_limit("openai", {}) is None
    image = Image.new("RGB", (1280, 800))
    items = [InputItem(image=image, label="x")]
    assert token_estimate(items, 1024) == image_token_count(1280, 800, in_patch_limit=1024)
    assert token_estimate(items) == image_token_count(1280, 800)
