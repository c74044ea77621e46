"""A real X window (run under `xvfb-run`, see scripts/test.sh): `uicode gui SAMPLE --generate --screenshot`
starts the app, converts a sample mockup with the real engine on a tiny checkpoint, renders the preview, and
saves a screenshot of the window taken from the X server, which must show a populated window."""
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.xvfb

from test_gui_checkpoint import PAGE, scripted_checkpoint  # noqa: E402,F401  (fixture)

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHOT_DIR = ROOT / "out" / "gui"  # a known path (git-ignored): the screenshot stays for people to look at


@pytest.fixture
def sample(tmp_path) -> pathlib.Path:
    samples = sorted((ROOT / "assets" / "samples").glob("*.png"))
    if samples:
        return samples[0]
    # Until the corpus samples land: a small two-tone mockup.
    img = Image.new("RGB", (640, 400), (244, 246, 251))
    img.paste((31, 59, 115), (0, 0, 640, 90))
    path = tmp_path / "mockup.png"
    img.save(path)
    return path


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X server (run under xvfb-run)")
def test_real_window_converts_a_sample_and_saves_a_screenshot(tmp_path, sample, scripted_checkpoint):
    shot = SHOT_DIR / "xvfb_window.png"
    if shot.exists():
        shot.unlink()
    # The app as users run it on a CPU: the kernels' PyTorch path, not the Triton interpreter of the test suite.
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "UICODE_CONFIG_DIR": str(tmp_path / "config"),
           "UICODE_KERNELS": "torch"}
    # The scripted model's page as it streams (the layout engine would hand over its own page of the sample).
    from app.gui.settings import Settings

    Settings(tmp_path / "config").update({"engine": False})
    env.pop("TRITON_INTERPRET", None)
    cmd = [sys.executable, "-m", "app.gui", str(sample), "--checkpoint", str(scripted_checkpoint), "--generate",
           "--screenshot", str(shot), "--no-restore"]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    assert shot.exists(), out.stderr[-3000:]
    img = np.asarray(Image.open(shot).convert("RGB"))
    h, w, _ = img.shape
    assert w >= 800 and h >= 500
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    assert img.std() > 20 and colours > 50, f"blank-looking screenshot: std {img.std():.1f}, {colours} colours"
    # The streamed page's header colour (#1f3b73) shows in the preview pane, the editor holds text: the window
    # is not just painted chrome.
    assert (np.abs(img.astype(int) - (31, 59, 115)).sum(axis=2) < 12).sum() > 500
    assert shutil.which("xvfb-run") or os.environ.get("DISPLAY")
    assert PAGE  # the checkpoint's script, for reference when reading the screenshot
