"""The model for a config, text-only (`model.model.KimiK2ForCausalLM`) or with the vision tower
(`model.multimodal.KimiK25ForConditionalGeneration`), built without weights."""
from __future__ import annotations

import torch
from torch import nn

from model.config import K25Config, TextConfig, load_config
from model.model import KimiK2ForCausalLM
from model.multimodal import KimiK25ForConditionalGeneration

def build_model(config, device: torch.device | str = "meta", dtype: torch.dtype | None = None) -> nn.Module:
    """The module for `config` (a `TextConfig`, `K25Config`, dict or config.json path) without loaded weights.

    `device="meta"` allocates nothing, so the full 1T-parameter K2.5 can be built and counted. Float parameters
    take `dtype`, else the config's dtype (bf16 for K2.5); INT4 buffers keep their stored dtypes.
    Text configs give `KimiK2ForCausalLM`; `kimi_k25` gives `model.multimodal.KimiK25ForConditionalGeneration`.
    """
    if not isinstance(config, (TextConfig, K25Config)):
        config = load_config(config)
    with torch.device(device):
        if isinstance(config, TextConfig):
            return KimiK2ForCausalLM(config, dtype=dtype)
        return KimiK25ForConditionalGeneration(config, dtype=dtype)
