"""Offline INT4 quantization: a float checkpoint → the same checkpoint with K2.5's INT4 routed experts.

The first of the two quantization verbs (the second, choosing a runtime layout for INT4 weights, lives
in `model/loading.py` / `Int4Linear.prepare`). `quantize_state_dict(sd, config)` replaces every text-decoder
Linear that K2.5's `quantization_config` does not ignore (spec §4.3: in practice only the routed experts
`mlp.experts.E.{gate,up,down}_proj`) by `weight_packed` / `weight_scale` / `weight_shape` from
`model.int4.quantize_int4` (group 32, symmetric, absmax/7.5 scales). `quantize_checkpoint(src, dst)` does
it for a checkpoint directory one output shard at a time, keeps every other tensor bit-for-bit in its
stored dtype and name (so the layout, `language_model.` prefix included, is preserved), writes the
`quantization_config` into config.json (top level, and inside `text_config` for `kimi_k25`, as K2.5 does)
and copies the other files (tokenizer, templates). `main(argv)` is the CLI verb:

    uicode quantize SRC DST [--max-shard-size 4GB] [--overwrite]
    python -m model.quantize SRC DST

Exit codes: 0 done, 2 bad invocation (arguments, SRC not a directory, DST exists), 3 a broken source
checkpoint or config (the `UicodeError` exit code). Errors are one line on stderr.

Which modules count as Linear: 2-D `*.weight` tensors of the text decoder named `…_proj` inside a layer, or
`lm_head` (embeddings, norms and the router `mlp.gate` are not Linear modules). The ignore-list semantics
are `model.config`'s (`is_quantized`), the same code that decides which modules the loader builds as INT4.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import torch

from model.checkpoint import CONFIG_NAME, INDEX_NAME, SINGLE_NAME, CheckpointDir, Deferred, save_checkpoint
from model.config import K25Config, load_config
from model.int4 import GROUP_SIZE, packed_cols, quantize_int4, scale_cols
from model.loading import TEXT_PREFIX, canonical_name
from uicode.errors import CheckpointError, ConfigError, UicodeError

_LINEAR_RE = re.compile(r"^(model\.layers\.\d+\..*_proj|lm_head)$")
_SHARD_RE = re.compile(r"^model-\d+-of-\d+\.safetensors$")


def k25_quantization_config(group_size: int = GROUP_SIZE) -> dict:
    """K2.5's `quantization_config` (spec §4.3), verbatim apart from the group size."""
    return {
        "config_groups": {
            "group_0": {
                "input_activations": None,
                "output_activations": None,
                "targets": ["Linear"],
                "weights": {
                    "actorder": None, "block_structure": None, "dynamic": False, "group_size": group_size,
                    "num_bits": 4, "observer": "minmax", "observer_kwargs": {}, "strategy": "group",
                    "symmetric": True, "type": "int",
                },
            }
        },
        "format": "pack-quantized",
        "ignore": ["lm_head", "re:.*self_attn.*", "re:.*shared_experts.*",
                   "re:.*mlp\\.(gate|up|gate_up|down)_proj.*"],
        "kv_cache_scheme": None,
        "quant_method": "compressed-tensors",
        "quantization_status": "compressed",
    }


def quantized_config_dict(raw: dict, source: str = "config") -> dict:
    """The source config.json with K2.5's quantization_config added (and in text_config for kimi_k25)."""
    if "quantization_config" in raw or "quantization_config" in (raw.get("text_config") or {}):
        raise ConfigError(f"{source}: already has a quantization_config (the checkpoint is quantized)")
    out = copy.deepcopy(raw)
    out["quantization_config"] = k25_quantization_config()
    if out.get("model_type") == "kimi_k25" and isinstance(out.get("text_config"), dict):
        out["text_config"]["quantization_config"] = k25_quantization_config()
    return out


def _text_module(tensor_name: str) -> str | None:
    """`…weight` tensor name in any layout → its text-decoder module name, or None (vision, projector)."""
    canon = canonical_name(tensor_name)
    if canon is None or not canon.startswith(TEXT_PREFIX) or not canon.endswith(".weight"):
        return None
    return canon[len(TEXT_PREFIX):-len(".weight")]


def to_quantize(name: str, shape, parsed_config) -> bool:
    """Whether checkpoint tensor `name` of `shape` is the weight of a Linear the config stores INT4."""
    module = _text_module(name)
    if module is None or len(shape) != 2 or not _LINEAR_RE.match(module):
        return False
    return parsed_config.is_quantized(module)


def quantize_state_dict(sd: Mapping[str, torch.Tensor], config) -> dict[str, torch.Tensor]:
    """Float state dict (checkpoint names) + its config (dict, path or parsed) → the INT4 state dict.

    `config` is the *source* model's; the K2.5 ignore list is applied unless it already carries a
    `quantization_config`, whose ignore list is then used."""
    raw = config if isinstance(config, dict) else copy.deepcopy(load_config(config).raw)
    has_quant = "quantization_config" in raw or "quantization_config" in (raw.get("text_config") or {})
    parsed = load_config(raw if has_quant else quantized_config_dict(raw))
    out = {}
    for name, t in sd.items():
        if to_quantize(name, t.shape, parsed):
            if not t.is_floating_point():
                raise CheckpointError(f"tensor {name}: cannot quantize dtype {t.dtype}")
            base = name[: -len("weight")]
            out[base + "weight_packed"], out[base + "weight_scale"], out[base + "weight_shape"] = quantize_int4(t)
        else:
            out[name] = t
    return out


class _Once:
    """Quantize one weight once and hand out its three tensors as the writer asks for them."""

    def __init__(self, ckpt: CheckpointDir, name: str):
        self.ckpt, self.name, self.parts, self.left = ckpt, name, None, 3

    def part(self, i: int) -> torch.Tensor:
        if self.parts is None:
            self.parts = quantize_int4(self.ckpt.tensor(self.name))
        t = self.parts[i]
        self.left -= 1
        if self.left == 0:
            self.parts = None          # all three written: free the dense copy's products
        return t


def quantize_checkpoint(src_dir, dst_dir, *, max_shard_bytes: int | None = None, overwrite: bool = False,
                        progress: Callable[[int, int], None] | None = None) -> Path:
    """Quantize checkpoint directory `src_dir` into `dst_dir` (written atomically). Returns `dst_dir`."""
    ckpt = CheckpointDir(src_dir)
    load_config(ckpt.config_path)                  # the source must be valid; errors name its file
    new_cfg = quantized_config_dict(ckpt.raw_config, str(ckpt.config_path))
    parsed = load_config(new_cfg)
    text = parsed.text if isinstance(parsed, K25Config) else parsed
    if text.quantization is None:
        raise ConfigError(f"{ckpt.config_path}: quantization_config was not applied")
    tensors: dict[str, torch.Tensor | Deferred] = {}
    n_quantized = 0
    for name in ckpt.names:
        info = ckpt.info(name)
        if not to_quantize(name, info.shape, parsed):
            tensors[name] = Deferred(info.shape, info.dtype, lambda n=name: ckpt.tensor(n))
            continue
        if not info.dtype.is_floating_point:
            raise CheckpointError(f"{info.path}: tensor {name} has dtype {info.st_dtype}; "
                                  "only float weights can be quantized")
        n, k = info.shape
        once, base = _Once(ckpt, name), name[: -len("weight")]
        tensors[base + "weight_packed"] = Deferred((n, packed_cols(k)), torch.int32, lambda o=once: o.part(0))
        tensors[base + "weight_scale"] = Deferred((n, scale_cols(k)), torch.bfloat16, lambda o=once: o.part(1))
        tensors[base + "weight_shape"] = Deferred((2,), torch.int32, lambda o=once: o.part(2))
        n_quantized += 1
    if n_quantized == 0:
        raise CheckpointError(f"{ckpt.path}: no Linear weight to quantize (the ignore list excludes them all)")
    skip = {CONFIG_NAME, INDEX_NAME, SINGLE_NAME}
    extra = {p.name: p for p in sorted(ckpt.path.iterdir())
             if p.is_file() and p.name not in skip and not _SHARD_RE.match(p.name)}
    return save_checkpoint(dst_dir, tensors, new_cfg, max_shard_bytes=max_shard_bytes, extra_files=extra,
                           overwrite=overwrite, progress=progress)


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def parse_size(text: str) -> int:
    """'4GB', '500MiB', '123456' → bytes."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if not m or m.group(2).upper() not in _UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 4GB, 500MiB, 1000000)")
    value = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    if value <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive: {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message):            # one line, exit code 2, like every other bad invocation
        raise _Usage(f"{self.prog}: {message}")


class _Usage(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    """`uicode quantize SRC DST`: 0 on success, 2 on a bad invocation, 3 on a broken checkpoint."""
    ap = _Parser(prog="uicode quantize",
                 description="Quantize a float K2.5-format checkpoint's routed experts to INT4 "
                             "(compressed-tensors pack-quantized, group 32), as Kimi K2.5 ships them.")
    ap.add_argument("src", metavar="SRC", help="source checkpoint directory (config.json + safetensors)")
    ap.add_argument("dst", metavar="DST", help="destination directory (must not exist unless --overwrite)")
    ap.add_argument("--max-shard-size", type=parse_size, default=None, metavar="SIZE",
                    help="largest shard to write, e.g. 4GB (default 4GiB)")
    ap.add_argument("--overwrite", action="store_true", help="replace DST if it exists")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    try:
        args = ap.parse_args(argv)
        src, dst = Path(args.src), Path(args.dst)
        if not src.is_dir():
            raise _Usage(f"uicode quantize: {src}: not a checkpoint directory")
        if dst.exists() and not args.overwrite:
            raise _Usage(f"uicode quantize: {dst}: already exists (use --overwrite to replace it)")
        if dst.resolve() == src.resolve():
            raise _Usage("uicode quantize: SRC and DST must differ")
    except _Usage as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except SystemExit as e:              # --help
        return int(e.code or 0)

    def report(done: int, total: int) -> None:
        if not args.quiet:
            print(f"\rquantizing: {done / max(total, 1):6.1%} of {total / 1e9:.2f} GB", end="",
                  file=sys.stderr, flush=True)

    try:
        quantize_checkpoint(src, dst, max_shard_bytes=args.max_shard_size, overwrite=args.overwrite,
                            progress=report)
    except UicodeError as e:
        if not args.quiet:
            print(file=sys.stderr)
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:
        print(f"error: {dst}: {e.strerror or e}", file=sys.stderr)
        return 3
    if not args.quiet:
        print(f"\nwrote {dst}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
