"""Export a trained mini model as a K2.5-layout checkpoint: the form `assets/mini/` ships in.

`export_checkpoint(model, config, tokenizer_dir, out_dir)` writes, atomically:
- sharded safetensors + `model.safetensors.index.json` with K2.5's tensor names (`language_model.…`,
  `vision_tower.…`, `mm_projector.…`), floats in bf16, the routers' `e_score_correction_bias` in fp32,
  the routed experts INT4 (`model.quantize.quantize_state_dict`: compressed-tensors pack-quantized,
  group 32) exactly as the real checkpoint stores them;
- `config.json` (kimi_k25, with `quantization_config` at top level and in `text_config`),
  `preprocessor_config.json` (`media_proc_cfg` with the mini patch budget), `tiktoken.model`,
  `tokenizer_config.json`, `uicode.json` (targets the model writes natively), and `MODEL_CARD.md` from the
  run's log.

From the command line, a run's portable state (`train/checkpoints/RUN.pt`) becomes such a checkpoint:
`python -m train.export STATE.pt OUT_DIR --prompt sketch [--tokenizer assets/mini] [--in-patch-limit N]`.

Not here: training (`train/train.py`), the writer itself (`model/checkpoint.py`).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from torch import nn

from model.checkpoint import save_checkpoint
from model.quantize import quantize_state_dict
from train.mini import MEDIA_PROC_CFG

# Small shards keep every file well under the 60 MB budget and exercise the sharded loader path.
MAX_SHARD_BYTES = 16 * 1024 * 1024


def export_state_dict(model: nn.Module, config: dict) -> dict[str, torch.Tensor]:
    """Checkpoint tensors from a trained (dense-expert, fp32) module: bf16 floats, INT4 routed experts."""
    sd = {}
    for name, t in model.state_dict().items():
        t = t.detach().cpu()
        if t.is_floating_point() and not name.endswith("e_score_correction_bias"):
            t = t.to(torch.bfloat16)
        elif name.endswith("e_score_correction_bias"):
            t = t.float()
        sd[name] = t.contiguous()
    return quantize_state_dict(sd, config)


def export_checkpoint(model: nn.Module, config: dict, tokenizer_dir, out_dir, *,
                      in_patch_limit: int = MEDIA_PROC_CFG["in_patch_limit"], card: str | None = None,
                      prompt: str = "ocr") -> Path:
    """`in_patch_limit`: the patch budget the model was trained with (the prompt's media-token count
    depends on it, so the app must preprocess with the same); `prompt`: what its prompts carried ("ocr",
    "sketch" or "none", `train.examples.PROMPTS`), written to uicode.json so that the app prompts it the same
    way (`app.backends.local`)."""
    tokenizer_dir = Path(tokenizer_dir)
    media = dict(MEDIA_PROC_CFG, in_patch_limit=in_patch_limit, in_patch_limit_each_frame=in_patch_limit)
    extra = {
        "tiktoken.model": tokenizer_dir / "tiktoken.model",
        "tokenizer_config.json": tokenizer_dir / "tokenizer_config.json",
        "preprocessor_config.json": json.dumps({"media_proc_cfg": media}, indent=2) + "\n",
        "uicode.json": json.dumps({"targets": ["html"], "ocr_prompt": prompt == "ocr",
                                   "sketch_prompt": prompt == "sketch"}, indent=2) + "\n",
    }
    if card is not None:
        extra["MODEL_CARD.md"] = card
    return save_checkpoint(out_dir, export_state_dict(model, config), config,
                           max_shard_bytes=MAX_SHARD_BYTES, extra_files=extra, overwrite=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m train.export",
                                 description="export a run's portable state (.pt) as a K2.5-layout checkpoint")
    ap.add_argument("state", type=Path, help="a run's portable state, e.g. train/checkpoints/mini-sketch9.pt")
    ap.add_argument("out", type=Path, help="the checkpoint directory to write")
    ap.add_argument("--tokenizer", type=Path, default=Path("assets/mini"), help="the run's tokenizer directory")
    ap.add_argument("--prompt", choices=("ocr", "sketch", "none"), default="ocr", help="what the run's prompts carried")
    ap.add_argument("--in-patch-limit", type=int, default=None,
                    help="the patch budget of the run's packs (default: the state's, else the mini model's)")
    args = ap.parse_args(argv)
    from train.mini import unquantized
    from train.init import init_from_checkpoint
    from model.build import build_model

    try:
        state = torch.load(args.state, map_location="cpu", weights_only=False)
        config = state["config"]
    except Exception:  # not a file torch reads, or not a run's state
        print(f"error: {args.state} is not a run's portable state", file=sys.stderr)
        return 2
    if not (args.tokenizer / "tiktoken.model").is_file():
        print(f"error: no tiktoken.model in {args.tokenizer}", file=sys.stderr)
        return 2
    model = build_model(unquantized(config), device=torch.device("cpu"), dtype=torch.float32)
    init_from_checkpoint(model, args.state)
    limit = args.in_patch_limit or state.get("in_patch_limit") or MEDIA_PROC_CFG["in_patch_limit"]
    export_checkpoint(model, config, args.tokenizer, args.out, prompt=args.prompt, in_patch_limit=limit)
    print(f"exported {args.state} (step {state.get('step')}) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
