#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite on CPU, offscreen and offline.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 TORCHINDUCTOR_COMPILE_THREADS=1 QTWEBENGINE_DISABLE_SANDBOX=1
if ! command -v nvidia-smi >/dev/null 2>&1; then export TRITON_INTERPRET=1; fi
exec .venv/bin/python -m pytest -q "$@"
