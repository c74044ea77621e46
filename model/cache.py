"""`KVCache`: the MLA latent cache, an explicit object owned by the caller (the generation loop).

Per layer and token MLA caches one vector of `kv_lora_rank + qk_rope_head_dim` values (576 for K2.5, spec §2.5):
the latent `c` after `kv_a_layernorm`, then the shared rope key after RoPE. Keys and values of every head are
recomputed from it (prefill form) or never materialised (absorbed form). Layout per layer: `[B, T_max, C + R]`.

`seq_len` counts the tokens already written for every sequence of the batch (all rows advance together; ragged
batches are the generation loop's business). The model writes slots `seq_len .. seq_len+S-1` of each layer during
a forward pass and advances `seq_len` once at the end. This module does no attention math.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class KVCache:
    """Latent KV cache: `latent[i]` is layer i's `[B, T_max, C + R]` tensor; `seq_len` tokens are valid."""

    latent: list[torch.Tensor]
    kv_lora_rank: int
    seq_len: int = 0

    @classmethod
    def allocate(cls, num_layers: int, batch_size: int, max_seq_len: int, kv_lora_rank: int, rope_dim: int,
                 dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> "KVCache":
        """Reserve the cache; memory is `num_layers · B · T_max · (C+R) · itemsize` (untouched until written)."""
        if batch_size < 1 or max_seq_len < 1:
            raise ValueError(f"KVCache needs batch_size >= 1 and max_seq_len >= 1, got {batch_size}, {max_seq_len}")
        width = kv_lora_rank + rope_dim
        # torch.empty: pages are only committed when a slot is written, so a generous T_max costs nothing up front
        latent = [torch.empty(batch_size, max_seq_len, width, dtype=dtype, device=device)
                  for _ in range(num_layers)]
        return cls(latent=latent, kv_lora_rank=kv_lora_rank)

    @property
    def num_layers(self) -> int:
        return len(self.latent)

    @property
    def batch_size(self) -> int:
        return self.latent[0].shape[0]

    @property
    def max_seq_len(self) -> int:
        return self.latent[0].shape[1]

    @property
    def dtype(self) -> torch.dtype:
        return self.latent[0].dtype

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.latent)

    def check_room(self, batch_size: int, new_tokens: int) -> None:
        """Raise `ValueError` unless `new_tokens` more tokens of a batch of `batch_size` fit."""
        if batch_size != self.batch_size:
            raise ValueError(f"KVCache holds batch {self.batch_size}, got input batch {batch_size}")
        if self.seq_len + new_tokens > self.max_seq_len:
            raise ValueError(f"KVCache full: {self.seq_len} cached + {new_tokens} new tokens > "
                             f"max_seq_len {self.max_seq_len}")

    def write(self, layer: int, latent: torch.Tensor) -> torch.Tensor:
        """Store `latent[B, S, C+R]` at slots `seq_len..seq_len+S-1` of `layer`; return the valid
        `[B, seq_len+S, C+R]` view of that layer (cached tokens then the new ones)."""
        end = self.seq_len + latent.shape[1]
        buf = self.latent[layer]
        buf[:, self.seq_len:end] = latent.to(buf.dtype)
        return buf[:, :end]

    def advance(self, n: int) -> None:
        self.seq_len += n

    def expand_rows(self, n: int) -> "KVCache":
        """A cache of `n` rows, each holding this one-row cache's tokens (parallel samples of one prompt:
        the prompt is prefilled once)."""
        if self.batch_size != 1:
            raise ValueError(f"expand_rows needs a one-row cache, this one holds {self.batch_size}")
        latent = []
        for t in self.latent:
            buf = torch.empty(n, t.shape[1], t.shape[2], dtype=t.dtype, device=t.device)
            buf[:, :self.seq_len] = t[:, :self.seq_len]
            latent.append(buf)
        return KVCache(latent=latent, kv_lora_rank=self.kv_lora_rank, seq_len=self.seq_len)

    def keep_rows(self, rows) -> None:
        """Keep only `rows` (batch indices, in that order): finished sequences leave the batch."""
        idx = torch.as_tensor(list(rows), dtype=torch.long, device=self.latent[0].device)
        self.latent = [t.index_select(0, idx) for t in self.latent]

    def reset(self) -> None:
        """Forget every cached token (the memory is reused)."""
        self.seq_len = 0
