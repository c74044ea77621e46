"""`load_model(checkpoint_dir)`: a K2.5-format checkpoint directory → a ready `nn.Module`.

Steps: read config.json (`model.config.load_config`), build the module on `meta` (`model.build_model`:
nothing allocated), map every checkpoint tensor name onto the module's state-dict names through one
prefix table, check the key sets, every shape and every dtype against the module *before* reading any
data, then hand memory-mapped tensors to `load_state_dict(assign=True)`. A tensor whose stored dtype is
what the module runs in is never copied (its pages are read on first touch); float weights are cast to
fp32 on CPU (AVX2 CPUs have no fast bf16 matmul: ~1 GFLOP/s vs ~110 in fp32, see ENVIRONMENT.md).
Every bad input is a one-line `CheckpointError`/`ConfigError` naming the file and tensor.

Routed experts (INT4) and the CPU: `expert_mode="auto"` dequantizes them to dense fp32 at load when that
fits in memory, else keeps them packed. Measured with `bench/int4_cpu.py` (K2.5 expert shapes, median ms
per call; full tables in bench/RESULTS.md), on this project's 2-core AVX2 AMD EPYC (shared, so noisy) and
on the 16-core host CPU of a lent GPU machine (2 threads / 16 threads):

    proj 2048x7168   tokens   ref (unpack per call)   int4pack_mm fp32 x   int4pack_mm bf16 x   dense fp32
    2-core EPYC      1        317                     33                   8.0                  10.9
    16-core, 2 thr   1        106                     18.7                 0.58                 1.41
    16-core, 2 thr   32       148                     652                  7.2                  5.9
    16-core, 16 thr  1        31.7                    4.2                  0.17                 0.35

Dense fp32 is 15-100x faster than the packed reference (which unpacks the whole weight per call) and
12-120x faster than torch's int4 kernel fed fp32; it costs 8x the bytes of the packed form (58.7 MB vs
8.3 MB per projection). So: dequantize when the dense experts need at most `DEQUANT_MEMORY_FRACTION` of
the memory available at load (the rest stays for the KV cache, activations and the desktop), otherwise
stay packed; on CUDA always packed (the Triton kernel reads the packed form). Torch's int4 kernel fed
*bf16* activations beats dense fp32 for decode (0.4-0.75x its time) at 1/5 of its memory, so when the
dense experts do not fit and the kernels backend is torch, "auto" picks `Int4Linear`'s "int4pack" mode
(bf16 activation rounding) instead of the packed reference, which unpacks every weight per call.

Kernel layouts (`prepare_kernels`): with the Triton backend on CUDA (`kernels.dispatch`), the loader lays the
packed weights out once for the kernels: each MoE layer stacks its experts into `kernels.fused_moe`'s K-major
layout (`MoE.prepare_fused`; the experts' checkpoint buffers become views into it, so nothing is held twice)
and every other packed `Int4Linear` is repacked K-major in place (`Int4Linear.prepare("repacked")`). The
absorbed MLA decode needs no layout; it routes to `kernels.mla_decode` per call. `state_dict()` keeps the
checkpoint's names, shapes, dtypes and values throughout.

Not here: the on-disk format (`model/checkpoint.py`), INT4 maths (`model/int4.py`), the modules.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable

import torch
from torch import nn

from kernels import dispatch
from model.checkpoint import TORCH_TO_ST, CheckpointDir
from model.config import K25Config, load_config
from model.linear import Int4Linear
from model.moe import MoE
from uicode.errors import CheckpointError

# Checkpoint-name prefix → canonical name prefix (the multimodal module's names). First match wins.
# One table for every layout seen (DeepSeek-V3 `convert.py` style); a text-only module drops the
# `language_model.` of the canonical name.
PREFIX_MAP: tuple[tuple[str, str], ...] = (
    ("language_model.layers.", "language_model.model.layers."),   # legacy (nvidia/Kimi-K2.5-NVFP4)
    ("language_model.", "language_model."),                       # kimi_k25 text part
    ("vision_tower.", "vision_tower."),                           # kimi_k25 MoonViT
    ("mm_projector.", "mm_projector."),                           # kimi_k25 patch-merger projector
    ("model.", "language_model.model."),                          # kimi_k2 / deepseek_v3 text-only
    ("lm_head.", "language_model.lm_head."),
)
TEXT_PREFIX = "language_model."

# Tensors some exporters add that are not weights: skipped, never loaded.
SKIP_PATTERNS = (re.compile(r"(^|\.)rotary_emb\.inv_freq$"),)

_FLOATS = (torch.float32, torch.bfloat16, torch.float16)
# Module tensor-name suffix → (stored dtypes accepted, dtype to load as; None = as stored).
# Tensors of no listed suffix: floats accept any of _FLOATS and load as the model's float dtype.
DTYPE_RULES: tuple[tuple[str, tuple[torch.dtype, ...], torch.dtype | None], ...] = (
    ("weight_packed", (torch.int32,), None),
    ("weight_scale", _FLOATS, None),                      # bf16 in K2.5; the kernels upcast
    ("weight_shape", (torch.int32, torch.int64), torch.int32),
    ("e_score_correction_bias", _FLOATS, torch.float32),  # fp32 in K2.5; the router runs in fp32
)

DEQUANT_MEMORY_FRACTION = 0.5
_LAYER_RE = re.compile(r"(?:^|\.)layers\.(\d+)\.")


def _st(dtype: torch.dtype) -> str:
    return TORCH_TO_ST.get(dtype, str(dtype).removeprefix("torch."))


def _fmt(shape) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


def canonical_name(ckpt_name: str) -> str | None:
    """Checkpoint tensor name → canonical (multimodal) name, or None if no table row matches."""
    for src, dst in PREFIX_MAP:
        if ckpt_name.startswith(src):
            return dst + ckpt_name[len(src):]
    return None


def module_name(ckpt_name: str, multimodal: bool) -> str | None:
    """Checkpoint tensor name → the module's state-dict name (None: not part of this module)."""
    canon = canonical_name(ckpt_name)
    if canon is None or multimodal:
        return canon
    return canon[len(TEXT_PREFIX):] if canon.startswith(TEXT_PREFIX) else None


def _skipped(name: str, config) -> bool:
    if any(p.search(name) for p in SKIP_PATTERNS):
        return True
    text = config.text if isinstance(config, K25Config) else config
    m = _LAYER_RE.search(name)
    # MTP (next-token-prediction) layers are stored after the decoder's own layers; we do not run them.
    return bool(m and text.num_nextn_predict_layers and int(m.group(1)) >= text.num_hidden_layers)


def _rule(name: str, expected: torch.Tensor, float_dtype: torch.dtype):
    for suffix, accepted, load_as in DTYPE_RULES:
        if name.endswith(suffix):
            return accepted, load_as
    if expected.is_floating_point():
        return _FLOATS, float_dtype
    return (expected.dtype,), None


def _available_memory() -> int | None:
    """Bytes the kernel says can be allocated without swapping (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil
        return int(psutil.virtual_memory().available)
    except ImportError:
        return None


def choose_expert_mode(model: nn.Module, device: torch.device, dtype: torch.dtype) -> str:
    """"dequantized" when the dense experts fit in DEQUANT_MEMORY_FRACTION of available memory on
    CPU; otherwise "int4pack" on CPU with the torch kernels backend when torch's INT4 kernel takes every
    shape, else "packed" (always on accelerators). See the table in the module docstring."""
    if device.type != "cpu":
        return "packed"
    int4 = [m for m in model.modules() if isinstance(m, Int4Linear)]
    dense = sum(m.out_features * m.in_features * dtype.itemsize for m in int4)
    avail = _available_memory()
    if avail is not None and dense <= DEQUANT_MEMORY_FRACTION * avail:
        return "dequantized"
    if dispatch.backend() == "torch" and int4 and all(m.int4pack_supported() for m in int4):
        return "int4pack"
    return "packed"


def use_kernel_layouts(device: torch.device, expert_mode: str) -> bool:
    """The default of `load_model(fused_kernels=None)`: packed weights on CUDA with the Triton backend."""
    return device.type == "cuda" and expert_mode == "packed" and dispatch.backend() == "triton"


@torch.no_grad()
def prepare_kernels(model: nn.Module) -> dict[str, int]:
    """Lay packed INT4 weights out for the Triton kernels, once (module docstring). Idempotent; returns the
    counts {"fused_moe_layers": ..., "repacked_linears": ...}."""
    fused: set[int] = set()
    n_moe = 0
    for m in model.modules():
        if isinstance(m, MoE) and m.prepare_fused():
            n_moe += 1
            fused.update(id(lin) for e in m.experts for lin in (e.gate_proj, e.up_proj, e.down_proj))
    n_lin = 0
    for m in model.modules():
        if isinstance(m, Int4Linear) and id(m) not in fused and m.mode in ("packed", "repacked"):
            m.prepare("repacked")
            n_lin += 1
    return {"fused_moe_layers": n_moe, "repacked_linears": n_lin}


def load_model(checkpoint_dir, device="cpu", dtype: torch.dtype | None = None, *,
               expert_mode: str | None = None, fused_kernels: bool | None = None,
               progress: Callable[[int, int], None] | None = None) -> nn.Module:
    """Load a K2.5-format checkpoint directory (text-only `kimi_k2`/`deepseek_v3` or `kimi_k25`).

    `dtype`: float weights' dtype (default fp32 on CPU, the config's dtype elsewhere). `expert_mode`:
    "auto" (see module docstring), "packed", "dequantized" or "int4pack"; default: the environment
    variable UICODE_EXPERT_MODE, else "auto". `fused_kernels`: lay packed weights out for the Triton
    kernels (`prepare_kernels`); default (None) on CUDA with the Triton backend, True forces it (tests
    under the interpreter). `progress(done_bytes, total_bytes)` is called as tensors are materialised.
    Returns the module in eval mode without gradients."""
    from model.build import build_model
    from model.model import torch_dtype

    expert_mode = expert_mode or os.environ.get("UICODE_EXPERT_MODE", "auto").strip().lower()
    if expert_mode not in ("auto", "packed", "dequantized", "int4pack"):
        raise ValueError(f"expert_mode must be 'auto', 'packed', 'dequantized' or 'int4pack', "
                         f"got {expert_mode!r}")
    ckpt = CheckpointDir(checkpoint_dir)
    config = load_config(ckpt.config_path)
    device = torch.device(device)
    text = config.text if isinstance(config, K25Config) else config
    float_dtype = dtype or (torch.float32 if device.type == "cpu" else torch_dtype(text.dtype))
    model = build_model(config, device="meta", dtype=float_dtype)
    multimodal = isinstance(config, K25Config)

    plan = _plan(ckpt, model.state_dict(), config, multimodal, float_dtype)
    total = sum(ckpt.info(c).nbytes for c, _ in plan.values())
    state, done, reported = {}, 0, 0
    for name, (ckpt_name, load_as) in plan.items():
        t = ckpt.tensor(ckpt_name)
        if load_as is not None and t.dtype != load_as:
            t = t.to(load_as)
        state[name] = t.to(device)
        done += ckpt.info(ckpt_name).nbytes
        if progress and (done - reported >= total / 200 or done == total):
            progress(done, total)
            reported = done
    _check_int4_shapes(model, state, plan, ckpt)
    model.load_state_dict(state, strict=True, assign=True)
    del state
    leftovers = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if leftovers:
        raise RuntimeError(f"{type(model).__name__}: {leftovers[0]} is still on meta after loading "
                           "(a non-persistent buffer the module must compute itself)")
    mode = choose_expert_mode(model, device, float_dtype) if expert_mode == "auto" else expert_mode
    for m in model.modules():
        if isinstance(m, Int4Linear):
            m.prepare(mode, dtype=float_dtype)
    model.expert_mode = mode
    if fused_kernels is None:
        fused_kernels = use_kernel_layouts(device, mode)
    model.kernel_layouts = prepare_kernels(model) if fused_kernels else None
    model.checkpoint_dir = str(ckpt.path)
    model.eval()
    model.requires_grad_(False)
    return model


def _plan(ckpt: CheckpointDir, expected: dict, config, multimodal: bool,
          float_dtype: torch.dtype) -> dict[str, tuple[str, torch.dtype | None]]:
    """Module name → (checkpoint name, dtype to load as), after every key, shape and dtype check."""
    found: dict[str, str] = {}
    kind = "kimi_k25" if multimodal else config.model_type
    for ckpt_name in ckpt.names:
        if _skipped(ckpt_name, config):
            continue
        name = module_name(ckpt_name, multimodal)
        if name is None or name not in expected:
            raise CheckpointError(f"{ckpt.info(ckpt_name).path}: unexpected tensor {ckpt_name} "
                                  f"({_why_unexpected(name, expected, kind, ckpt.config_path.name)})")
        if name in found:
            raise CheckpointError(f"{ckpt.info(ckpt_name).path}: tensors {found[name]} and {ckpt_name} "
                                  f"both map to {name}")
        found[name] = ckpt_name
    for name in expected:
        if name not in found:
            where = ckpt.index_path or ckpt.path
            raise CheckpointError(f"{where}: missing tensor {name} (required by {ckpt.config_path.name}, "
                                  f"{len(expected) - len(found)} missing in all)")
    plan = {}
    for name, want in expected.items():
        ckpt_name = found[name]
        info = ckpt.info(ckpt_name)
        accepted, load_as = _rule(name, want, float_dtype)
        if info.dtype not in accepted:
            raise CheckpointError(f"{info.path}: tensor {ckpt_name} has dtype {info.st_dtype}, expected "
                                  f"{' or '.join(_st(d) for d in accepted)}")
        if tuple(info.shape) != tuple(want.shape):
            raise CheckpointError(f"{info.path}: tensor {ckpt_name} has shape {_fmt(info.shape)}, "
                                  f"expected {_fmt(want.shape)}")
        plan[name] = (ckpt_name, load_as)
    return plan


def _why_unexpected(name: str | None, expected: dict, kind: str, config_name: str) -> str:
    """The likeliest reason a tensor is not wanted: an INT4/float mismatch with the config's
    quantization_config, or a tensor of another model."""
    if name is not None and name.endswith(".weight") and name[: -len("weight")] + "weight_packed" in expected:
        return f"{config_name}'s quantization_config makes this Linear INT4: expected weight_packed/scale/shape"
    if name is not None and name.endswith("weight_packed") and name[: -len("_packed")] in expected:
        return f"{config_name} has no quantization_config covering this Linear: expected a float .weight"
    return f"not a parameter of the {kind} model in {config_name}"


def _check_int4_shapes(model: nn.Module, state: dict, plan: dict, ckpt: CheckpointDir) -> None:
    """Each INT4 projection's stored `weight_shape` must be its [out, in]: packed and scale shapes
    only bound `in` to within 8 (or 32) columns."""
    for mod_name, m in model.named_modules():
        if not isinstance(m, Int4Linear):
            continue
        key = f"{mod_name}.weight_shape"
        got = [int(v) for v in state[key].tolist()]
        if got != [m.out_features, m.in_features]:
            ckpt_name = plan[key][0]
            raise CheckpointError(f"{ckpt.info(ckpt_name).path}: tensor {ckpt_name} holds {got}, "
                                  f"expected [{m.out_features}, {m.in_features}]")


def checkpoint_size(checkpoint_dir) -> int:
    """Total tensor bytes of a checkpoint directory (from its headers; no data read)."""
    ckpt = CheckpointDir(checkpoint_dir)
    return sum(ckpt.info(n).nbytes for n in ckpt.names)


__all__ = ["load_model", "choose_expert_mode", "prepare_kernels", "use_kernel_layouts", "canonical_name",
           "module_name", "checkpoint_size", "PREFIX_MAP", "DTYPE_RULES", "DEQUANT_MEMORY_FRACTION"]
