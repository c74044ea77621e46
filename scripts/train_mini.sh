#!/usr/bin/env bash
# Reproduce the embedded mini model (assets/mini/) from nothing: corpus → tokenizer → packs → training → export.
#   ./scripts/train_mini.sh [--device cuda] [--minutes M] [--pages N]
# Every step is resumable: re-running skips finished pages/packs and resumes training from runs/mini/state.pt.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICE=cpu; MINUTES=180; PAGES=6000; HELDOUT=200; SIZE=base
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=$2; shift 2;; --minutes) MINUTES=$2; shift 2;;
    --pages) PAGES=$2; shift 2;; --size) SIZE=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
PY=.venv/bin/python
D=data/mini
mkdir -p $D
# 1. corpus: held-out pages with Tesseract OCR (evaluated the production way), training pages rendered only
#    (their OCR text is imitated from the DOM, see train/examples.py: Tesseract costs 4x the render)
$PY -m train.corpus build $D/heldout --count $HELDOUT --seed 0 --split heldout --workers 2
# (the shipped model's pages: the first PAGES/2 training seeds from 0 and from 200,000)
$PY -m train.corpus build $D/train --count $((PAGES / 2)) --seed 0 --split train --workers 2 --no-ocr
$PY -m train.corpus build $D/train2 --count $((PAGES - PAGES / 2)) --seed 200000 --split train --workers 2 --no-ocr
# 2. tokenizer: byte-level BPE with K2.5's split regex, learned on generated HTML and the prompts
if [ ! -f $D/tok/tiktoken.model ]; then
  $PY -m train.prepare tokenizer-corpus $D/tokcorpus
  $PY -m train.tokenizer $D/tokcorpus $D/tok --vocab-size 8192
fi
# 3. packs: screenshots resized to the mini patch budget + OCR lines + HTML, one file per split
[ -f $D/heldout.pack ] || $PY -m train.prepare pack $D/heldout $D/heldout.pack
[ -f $D/train.pack ] || $PY -m train.prepare pack $D/train $D/train2 $D/train.pack
# 4. train and export
$PY -m train.train --pack $D/train.pack --heldout $D/heldout.pack --tokenizer $D/tok --run runs/mini \
  --size $SIZE --device $DEVICE --minutes $MINUTES --export assets/mini \
  --batch-tokens $([ "$DEVICE" = cuda ] && echo 96000 || echo 24000)
