"""Start a model's weights from what an earlier run left: an exported K2.5-layout checkpoint (`assets/mini`) or a
run's portable state (`train/checkpoints/RUN.pt`). Used by `train.train --init` and `python -m train.export`.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


@torch.no_grad()
def init_from_checkpoint(model: nn.Module, ckpt_dir) -> None:
    """Start from an exported K2.5-layout checkpoint (e.g. the shipped `assets/mini`): float tensors as stored,
    INT4 experts dequantized to the dense weights they stand for; or from a run's portable state (a `.pt` file
    written by `--portable`, e.g. a committed `train/checkpoints/RUN.pt`): its weights, the fake-quant
    parametrizations' latent weights as the plain ones. Strict: every name must match."""
    if Path(ckpt_dir).is_file():
        state = torch.load(ckpt_dir, map_location="cpu", weights_only=False)
        if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
            raise ValueError(f"{ckpt_dir} is not a run's saved state")
        weights = {k.replace(".parametrizations.weight.original", ".weight"): v for k, v in state["model"].items()}
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights.items()}, strict=True)
        return
    from model.checkpoint import CheckpointDir
    from model.int4 import dequantize_int4

    ckpt = CheckpointDir(ckpt_dir)
    names = set(ckpt.names)
    state = {}
    for name in names:
        if name.endswith("weight_packed"):
            base = name[: -len("weight_packed")]
            state[base + "weight"] = dequantize_int4(ckpt.tensor(name), ckpt.tensor(base + "weight_scale"),
                                                     ckpt.tensor(base + "weight_shape"))
        elif not name.endswith(("weight_scale", "weight_shape")):
            state[name] = ckpt.tensor(name).float()
    model.load_state_dict(state, strict=True)
