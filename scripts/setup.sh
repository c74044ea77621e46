#!/usr/bin/env bash
# Set up uicode on a fresh Debian machine: system packages (when root), then .venv with the pinned set.
# Idempotent: a second run is a quick no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  pkgs="xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 fonts-dejavu-core fonts-dejavu-extra fonts-liberation chromium tesseract-ocr"
  missing=$(for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    echo "uicode setup: installing system packages: $(echo $missing)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.uicode-requirements
if ! cmp -s requirements.txt "$stamp" 2>/dev/null; then
  echo "uicode setup: installing Python packages into .venv (a few minutes on a fresh machine)" >&2
  # One pip command with torch pinned inside requirements.txt, so no CUDA build is pulled.
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$stamp"
fi
.venv/bin/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . >/dev/null
