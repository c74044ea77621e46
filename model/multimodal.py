"""`KimiK25ForConditionalGeneration`: the `kimi_k25` checkpoint as one module — text decoder + MoonViT + projector.

Submodules and checkpoint prefixes (spec §4.2): `language_model` (`KimiK2ForCausalLM`, tensors
`language_model.model.…`, `language_model.lm_head.weight`), `vision_tower` (`vision.moonvit.MoonViT`,
`vision_tower.…`) and `mm_projector` (`vision.projector.PatchMergerProjector`, `mm_projector.…`).

Interface is the text model's plus media: `make_cache(B, max_len)` and
`forward(input_ids[B, S], cache=None, pixel_values=None, grid_thws=None)` → fp32 logits `[B, S, vocab]`.
When media are given, the tower encodes every item (packed, block-diagonal attention), the merger pools
frames and 2×2 patches, the projector maps them to the decoder width, and those rows replace, in order,
the embeddings at the `<|media_pad|>` positions of `input_ids` (already expanded to one position per media
token by the prompt builder, `model.chat.expand_media_pads`). A count mismatch raises `MediaError`.
Positions are plain 1-D token indices (spec §2.4), so nothing else changes for the decoder.

Not here: preprocessing (`vision.preprocess`, `vision.video`), prompt text (`model.chat`), weights
(`model.loading`), sampling (`model.generate`, which passes the media kwargs to the prefill call only).
"""
from __future__ import annotations

import torch
from torch import nn

from model.cache import KVCache
from model.config import K25Config
from model.model import KimiK2ForCausalLM, torch_dtype
from uicode.errors import ConfigError, MediaError
from vision.moonvit import MoonViT, MoonViTConfig
from vision.projector import PatchMergerProjector, merged_token_counts, tpool_patch_merger

__all__ = ["KimiK25ForConditionalGeneration"]


def _cast_params(module: nn.Module, dtype: torch.dtype) -> None:
    """Float parameters → dtype (the tower has no float buffers)."""
    for p in module.parameters():
        if p.is_floating_point() and p.dtype != dtype:
            p.data = p.data.to(dtype)


class KimiK25ForConditionalGeneration(nn.Module):
    """Multimodal K2.5. Legend: B batch, S new tokens, N patches, M media tokens, Ht text hidden."""

    def __init__(self, config: K25Config, dtype: torch.dtype | None = None):
        super().__init__()
        if dtype is None:
            dtype = torch_dtype(config.text.dtype)
        self.config = config
        self.vision_config = MoonViTConfig.from_vision_config(config.vision)
        if self.vision_config.text_hidden_size != config.text.hidden_size:
            raise ConfigError(f"field 'vision_config.text_hidden_size' ({self.vision_config.text_hidden_size}) "
                              f"must equal text_config.hidden_size ({config.text.hidden_size})")
        self.language_model = KimiK2ForCausalLM(config.text, dtype=dtype)
        self.vision_tower = MoonViT(self.vision_config)
        self.mm_projector = PatchMergerProjector(self.vision_config)
        _cast_params(self.vision_tower, dtype)
        _cast_params(self.mm_projector, dtype)

    @property
    def media_pad_id(self) -> int:
        return self.config.media_placeholder_token_id

    def get_input_embeddings(self) -> nn.Embedding:
        return self.language_model.get_input_embeddings()

    def make_cache(self, batch_size: int, max_seq_len: int, dtype: torch.dtype | None = None) -> KVCache:
        return self.language_model.make_cache(batch_size, max_seq_len, dtype)

    def media_token_counts(self, grid_thws: torch.Tensor) -> list[int]:
        """Decoder tokens per media item (for `model.chat.expand_media_pads`)."""
        return merged_token_counts(grid_thws, self.vision_config.merge_kernel)

    def encode_media(self, pixel_values: torch.Tensor, grid_thws: torch.Tensor) -> torch.Tensor:
        """pixel_values [N, 3, 14, 14], grid_thws [n, 3] → projected media embeddings [M, Ht], items in order."""
        w = self.vision_tower.patch_embed.proj.weight
        hidden = self.vision_tower(pixel_values.to(device=w.device, dtype=w.dtype), grid_thws)     # [N, D]
        merged = tpool_patch_merger(hidden, grid_thws, self.vision_config.merge_kernel)          # [M, 4, D]
        return self.mm_projector(merged)                                                          # [M, Ht]

    def embed(self, input_ids: torch.Tensor, pixel_values: torch.Tensor | None = None,
              grid_thws: torch.Tensor | None = None, *, decoding: bool = False) -> torch.Tensor:
        """input_ids [B, S] → [B, S, Ht] with media rows spliced in at the `<|media_pad|>` positions.

        Without media, `<|media_pad|>` ids in a fresh prompt are an error (the caller forgot the pixels);
        while `decoding` (a cache already holds the prompt) a sampled `<|media_pad|>` is an ordinary token.
        """
        if pixel_values is None:
            if grid_thws is not None:
                raise MediaError("grid_thws given without pixel_values")
            n_pads = int((input_ids == self.media_pad_id).sum())
            if n_pads and not decoding:
                raise MediaError(f"prompt has {n_pads} <|media_pad|> tokens but no pixel_values were given")
            return self.get_input_embeddings()(input_ids)
        if grid_thws is None:
            raise MediaError("pixel_values given without grid_thws")
        mask = input_ids == self.media_pad_id                                                     # [B, S]
        n_pads = int(mask.sum())
        grid_thws = torch.as_tensor(grid_thws, dtype=torch.long).reshape(-1, 3)
        expected = sum(self.media_token_counts(grid_thws))
        if n_pads != expected:
            raise MediaError(f"prompt has {n_pads} <|media_pad|> tokens but the {grid_thws.shape[0]} media "
                             f"item(s) give {expected} embeddings; expand each placeholder to its token count")
        # The placeholder id may lie outside a tiny model's vocabulary; its embedding is replaced anyway.
        embeds = self.get_input_embeddings()(input_ids.masked_fill(mask, 0))
        feats = self.encode_media(pixel_values, grid_thws).to(embeds.dtype)
        return embeds.masked_scatter(mask.unsqueeze(-1), feats)

    def forward(self, input_ids: torch.Tensor, cache: KVCache | None = None, *,
                pixel_values: torch.Tensor | None = None, grid_thws: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None, logits_to_keep: int = 0,
                mla_form: str | None = None) -> torch.Tensor:
        """Logits `[B, S, vocab]` fp32 for the S new tokens (positions `cache.seq_len..` with a cache).
        `position_ids`, `logits_to_keep` and `mla_form` mean what they mean for `KimiK2ForCausalLM`."""
        decoding = cache is not None and cache.seq_len > 0
        embeds = self.embed(input_ids, pixel_values, grid_thws, decoding=decoding)
        return self.language_model(cache=cache, inputs_embeds=embeds, position_ids=position_ids,
                                   logits_to_keep=logits_to_keep, mla_form=mla_form)
