#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite on CPU, offscreen and offline.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 TORCHINDUCTOR_COMPILE_THREADS=1 QTWEBENGINE_DISABLE_SANDBOX=1
if ! command -v nvidia-smi >/dev/null 2>&1; then export TRITON_INTERPRET=1; fi
if [ $# -gt 0 ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
.venv/bin/python -m pytest -q -m "not xvfb"
# Real-window GUI test on a virtual X server (its own platform plugin, so not offscreen).
if command -v xvfb-run >/dev/null 2>&1; then
  QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m pytest -q -m xvfb tests/test_gui_xvfb.py
else
  echo "uicode test: xvfb-run not found; skipping the real-window GUI test (scripts/setup.sh installs xvfb)" >&2
fi
