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

Not here: training (`train/train.py`), the writer itself (`model/checkpoint.py`).
"""
from __future__ import annotations

import json
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
