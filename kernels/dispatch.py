"""Which implementation of each kernel runs, decided in one place.

Responsibilities:
- the backend (`"triton"` or `"torch"`), worked out once per process from the environment: Triton when it is
  importable and either a CUDA device is present or `TRITON_INTERPRET=1` (the CPU test mode); plain PyTorch
  otherwise. `UICODE_KERNELS=triton|torch` overrides the automatic choice; `use_backend(...)` overrides it for
  the duration of a `with` block (tests), through a context variable rather than a module global;
- the matmul regime (decode GEMV vs prefill GEMM) from the number of activation rows, in `matmul_regime`;
- the autotune policy: `autotune_enabled()` is False under `UICODE_AUTOTUNE=0` or in the interpreter, and
  `pick_config` times the candidates of a named config function once per shape key, else returns the first
  (pinned, known-good) candidate; `UICODE_AUTOTUNE_PIN=kernel=index[,…]` pins one candidate of a kernel;
- `side_stream(device)`: the one extra CUDA stream per device that overlapped work (the MoE's shared expert) uses.

It does not hold kernels; each kernel module imports from here and keeps its own reference implementation.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import os
from typing import Callable, Iterator, Literal, Sequence

import torch

from uicode.errors import SettingError

Backend = Literal["triton", "torch"]
_BACKENDS = ("triton", "torch")

# Activation rows up to which decode kernels are used. Up to 4 rows the CUDA-core GEMV (one FMA per weight
# and row) stays under the ALU budget of a bandwidth-bound pass; up to 16 (the smallest tensor-core M tile)
# the split-K tensor-core kernel costs one M tile; beyond that the prefill GEMM tiles take over.
GEMV_FMA_MAX_M = 4
GEMV_MAX_M = 16

_override: contextvars.ContextVar[Backend | None] = contextvars.ContextVar("uicode_kernels_backend", default=None)


def interpreting() -> bool:
    """True when Triton kernels run in the CPU interpreter (`TRITON_INTERPRET=1`)."""
    return os.environ.get("TRITON_INTERPRET", "0") == "1"


@functools.lru_cache(maxsize=None)
def has_triton() -> bool:
    try:
        import triton  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=None)
def _resolve_backend() -> Backend:
    pinned("")  # a malformed UICODE_AUTOTUNE_PIN fails here, on any device, not at the first autotuned call
    forced = os.environ.get("UICODE_KERNELS", "").strip().lower()
    if forced:
        if forced not in _BACKENDS:
            raise SettingError(f"UICODE_KERNELS={forced!r}: expected one of {', '.join(_BACKENDS)}")
        if forced == "triton" and not has_triton():
            raise SettingError("UICODE_KERNELS=triton but the triton package is not installed")
        return forced  # type: ignore[return-value]
    if has_triton() and (torch.cuda.is_available() or interpreting()):
        return "triton"
    return "torch"


def backend() -> Backend:
    """The backend in force: a `use_backend` override if one is active, else the once-resolved default."""
    forced = _override.get()
    return forced if forced is not None else _resolve_backend()


@contextlib.contextmanager
def use_backend(name: Backend) -> Iterator[None]:
    """Force `name` inside the block (tests); restores the previous choice on exit, exceptions included."""
    if name not in _BACKENDS:
        raise ValueError(f"backend {name!r}: expected one of {', '.join(_BACKENDS)}")
    if name == "triton" and not has_triton():
        raise ValueError("backend 'triton' requested but the triton package is not installed")
    token = _override.set(name)
    try:
        yield
    finally:
        _override.reset(token)


def use_triton_for(*tensors: torch.Tensor) -> bool:
    """Whether a call on these tensors goes to Triton: the backend says so and the tensors live where Triton
    runs (CUDA, or CPU under the interpreter)."""
    if backend() != "triton":
        return False
    on_cuda = all(t.is_cuda for t in tensors)
    return on_cuda or (interpreting() and not any(t.is_cuda for t in tensors))


@functools.lru_cache(maxsize=None)
def sm_count(device_index: int) -> int:
    """Multiprocessor count of a CUDA device (read once)."""
    return torch.cuda.get_device_properties(device_index).multi_processor_count


def sm_count_of(t: torch.Tensor) -> int:
    """Multiprocessor count of the device holding `t` (4 for CPU tensors, i.e. the interpreter)."""
    if not t.is_cuda:
        return 4
    return sm_count(t.device.index if t.device.index is not None else torch.cuda.current_device())


_SIDE_STREAMS: dict[int, "torch.cuda.Stream"] = {}


def side_stream(device: torch.device) -> "torch.cuda.Stream":
    """One extra CUDA stream per device, for work that runs beside the current stream (the MoE's shared
    expert). Made on first use and kept, since creating a stream per call costs more than the overlap saves."""
    index = device.index if device.index is not None else torch.cuda.current_device()
    if index not in _SIDE_STREAMS:
        _SIDE_STREAMS[index] = torch.cuda.Stream(device=index)
    return _SIDE_STREAMS[index]


def matmul_regime(m: int) -> Literal["gemv", "gemv_tc", "gemm"]:
    """Decode with 1-4 rows (CUDA-core GEMV), decode with 5-16 rows (split-K tensor-core), or prefill (GEMM)."""
    if m <= GEMV_FMA_MAX_M:
        return "gemv"
    return "gemv_tc" if m <= GEMV_MAX_M else "gemm"


def autotune_enabled() -> bool:
    """False under `UICODE_AUTOTUNE=0` (CI, low-memory machines) and in the interpreter, where timing means
    nothing: the first candidate of each config function is then used."""
    if interpreting():
        return False
    return os.environ.get("UICODE_AUTOTUNE", "1").strip() not in ("0", "false", "no", "off")


# Autotune results per (kernel, shape key). A cache, not runtime state: entries are pure functions of the
# device and shape, so sharing them across callers is safe.
_TUNED: dict[tuple, object] = {}


def pinned(kernel: str) -> int | None:
    """The candidate index `UICODE_AUTOTUNE_PIN` names for `kernel` (`mla_decode=2,fused_moe=0`: comma-separated
    `kernel=index`), or None. A malformed entry raises SettingError (a ValueError) naming it."""
    for item in os.environ.get("UICODE_AUTOTUNE_PIN", "").split(","):
        if not item.strip():
            continue
        name, sep, index = item.partition("=")
        if not sep or not index.strip().isdigit():
            raise SettingError(f"UICODE_AUTOTUNE_PIN: {item.strip()!r} is not kernel=index")
        if name.strip() == kernel:
            return int(index)
    return None


def pick_config(kernel: str, key: tuple, candidates: Sequence[object], run: Callable[[object], object]):
    """Return the fastest of `candidates` for `key` (timed once with CUDA events), or `candidates[0]` when
    autotuning is off, or the candidate `UICODE_AUTOTUNE_PIN` names for this kernel (to time or debug one
    config). `run(config)` must launch the full operation with that config."""
    if not candidates:
        raise ValueError(f"{kernel}: no candidate configs for key {key}")
    pin = pinned(kernel)
    if pin is not None:
        if pin >= len(candidates):
            raise SettingError(f"UICODE_AUTOTUNE_PIN: {kernel} has {len(candidates)} candidates for {key}, "
                             f"not {pin + 1}")
        return candidates[pin]
    if len(candidates) == 1 or not autotune_enabled():
        return candidates[0]
    full_key = (kernel, torch.cuda.current_device() if torch.cuda.is_available() else -1) + tuple(key)
    cached = _TUNED.get(full_key)
    if cached is not None:
        return cached
    from triton.testing import do_bench

    best, best_ms = candidates[0], float("inf")
    for cfg in candidates:
        try:
            ms = do_bench(lambda: run(cfg), warmup=5, rep=20)
        except Exception as exc:  # a config the compiler rejects (e.g. out of shared memory) is skipped
            if "out of resource" not in str(exc).lower() and "shared memory" not in str(exc).lower():
                raise
            continue
        if os.environ.get("UICODE_AUTOTUNE_VERBOSE") == "1":
            print(f"autotune {kernel} {key}: {cfg} {ms * 1e3:.1f} us", flush=True)
        if ms < best_ms:
            best, best_ms = cfg, ms
    _TUNED[full_key] = best
    return best
