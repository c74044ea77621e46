"""Session-wide test environment: CPU-first, offline, headless.

The environment variables must be set before any module that defines Triton kernels or
creates a QApplication is imported, so they live at the top of the root conftest.
"""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")

import torch  # noqa: E402  (after the environment is set)

if not torch.cuda.is_available():
    # No GPU: Triton kernels run under the interpreter so CI still exercises them.
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Skip `gpu`-marked tests when CUDA is absent."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def renderer():
    """Headless Chromium (`app.scoring.render.Renderer`) for tests that draw pages and read them back; skipped where
    Chromium cannot start (tests of the renderer itself use their own, which fails instead)."""
    from app.scoring.render import Renderer

    try:
        with Renderer() as r:
            yield r
    except Exception as e:  # pragma: no cover - no Chromium on this machine
        pytest.skip(f"no Chromium: {e}")
