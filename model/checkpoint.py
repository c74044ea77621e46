"""The K2.5 checkpoint directory on disk: strict safetensors reading and atomic writing.

A checkpoint directory holds `config.json` and either one `model.safetensors` or shards named
`model-0000i-of-0000N.safetensors` (5-digit index, 6-digit total, as K2.5 ships them) listed by
`model.safetensors.index.json` (`{"metadata": {"total_size": bytes}, "weight_map": {tensor: shard}}`).

Reading (`CheckpointDir`, `SafetensorsFile`): every header is parsed by hand so that each way a file
can be broken (truncated, header not JSON, offsets that disagree with dtype × shape or run past the
end, overlapping tensors, an index naming a missing shard or a tensor its shard lacks) becomes one
`CheckpointError` line naming the file and the tensor. Tensor data is memory-mapped copy-on-write
and wrapped with `torch.frombuffer`, so nothing is read until a page is touched.

Writing (`save_checkpoint`): a name → tensor mapping (or `Deferred` tensors computed one shard at a
time, so a 600 GB quantization never holds more than one shard) is split into shards by a byte
budget or a shard count, written into a temporary sibling directory and renamed into place, so a
crash never leaves a half-written checkpoint behind.

Not here: which tensors a model expects, dtype policy and renaming (`model/loading.py`), INT4
(`model/int4.py`), the meaning of config.json (`model/config.py`).
"""
from __future__ import annotations

import json
import math
import mmap
import os
import shutil
import struct
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from uicode.errors import CheckpointError, ConfigError

CONFIG_NAME = "config.json"
SINGLE_NAME = "model.safetensors"
INDEX_NAME = "model.safetensors.index.json"
DEFAULT_SHARD_BYTES = 4 << 30

# safetensors dtype strings ↔ torch dtypes (the subset a K2.5-family checkpoint can hold).
ST_TO_TORCH = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
    "F8_E4M3": torch.float8_e4m3fn, "F8_E5M2": torch.float8_e5m2,
}
TORCH_TO_ST = {v: k for k, v in ST_TO_TORCH.items()}
_MAX_HEADER = 100 << 20   # safetensors' own limit: a larger length field means a corrupt file


def shard_name(i: int, n: int) -> str:
    """1-based shard `i` of `n`: `model-00001-of-000064.safetensors` (K2.5's 5/6-digit naming)."""
    return f"model-{i:05d}-of-{n:06d}.safetensors"


# ----------------------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lives: file, safetensors dtype string, shape, absolute byte range."""
    name: str
    path: Path
    st_dtype: str
    shape: tuple[int, ...]
    start: int
    end: int

    @property
    def dtype(self) -> torch.dtype:
        return ST_TO_TORCH[self.st_dtype]

    @property
    def nbytes(self) -> int:
        return self.end - self.start


class SafetensorsFile:
    """One .safetensors file with a fully validated header and lazily mapped data."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._mmap: mmap.mmap | None = None
        try:
            size = self.path.stat().st_size
            with open(self.path, "rb") as f:
                head = f.read(8)
                if len(head) < 8:
                    raise CheckpointError(f"{self.path}: truncated shard ({size} bytes, no safetensors header)")
                (n,) = struct.unpack("<Q", head)
                if n > _MAX_HEADER or 8 + n > size:
                    raise CheckpointError(f"{self.path}: truncated shard or corrupt header length "
                                          f"({n} header bytes declared, file has {size} bytes)")
                raw = f.read(n)
        except OSError as e:
            raise CheckpointError(f"{self.path}: cannot read shard ({e.strerror or e})") from None
        try:
            header = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CheckpointError(f"{self.path}: safetensors header is not valid JSON ({e})") from None
        if not isinstance(header, dict):
            raise CheckpointError(f"{self.path}: safetensors header is not a JSON object")
        self.metadata = header.pop("__metadata__", None) or {}
        self._data_start = 8 + n
        self.tensors: dict[str, TensorInfo] = {}
        for name, entry in header.items():
            self.tensors[name] = self._check_entry(name, entry)
        spans = sorted(self.tensors.values(), key=lambda t: (t.start, t.end))
        cut = [t for t in spans if t.end > size]
        if cut:   # name the first tensor whose bytes are not all there
            raise CheckpointError(f"{self.path}: tensor {cut[0].name}: data ends at byte {cut[0].end} but the "
                                  f"file has {size} bytes (truncated shard or bad offset)")
        for a, b in zip(spans, spans[1:]):
            if b.start < a.end and b.nbytes and a.nbytes:
                raise CheckpointError(f"{self.path}: tensor {b.name} overlaps tensor {a.name} "
                                      "(header offsets are inconsistent)")

    def _check_entry(self, name: str, entry) -> TensorInfo:
        where = f"{self.path}: tensor {name}"
        if not isinstance(entry, dict):
            raise CheckpointError(f"{where}: header entry is not an object")
        st, shape, offs = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if st not in ST_TO_TORCH:
            raise CheckpointError(f"{where}: unsupported dtype {st!r}")
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise CheckpointError(f"{where}: malformed shape {shape!r} in header")
        if not (isinstance(offs, list) and len(offs) == 2 and all(isinstance(o, int) for o in offs)
                and 0 <= offs[0] <= offs[1]):
            raise CheckpointError(f"{where}: malformed data_offsets {offs!r} in header")
        need = math.prod(shape) * ST_TO_TORCH[st].itemsize
        if offs[1] - offs[0] != need:
            raise CheckpointError(f"{where}: header data_offsets {offs} span {offs[1] - offs[0]} bytes "
                                  f"but {st}{shape} needs {need} (header lies about the offset)")
        return TensorInfo(name, self.path, st, tuple(shape), self._data_start + offs[0],
                          self._data_start + offs[1])

    def tensor(self, name: str) -> torch.Tensor:
        """The tensor as a CPU view of the mapped file (copy-on-write: writes never reach the disk)."""
        info = self.tensors[name]
        numel = math.prod(info.shape)
        if numel == 0:
            return torch.empty(info.shape, dtype=info.dtype)
        if self._mmap is None:
            with open(self.path, "rb") as f:
                self._mmap = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
        if info.start % info.dtype.itemsize:
            # Misaligned data (legal in safetensors, never written by us): copy instead of viewing.
            buf = bytearray(self._mmap[info.start:info.end])
            return torch.frombuffer(buf, dtype=info.dtype, count=numel).reshape(info.shape)
        t = torch.frombuffer(self._mmap, dtype=info.dtype, count=numel, offset=info.start)
        return t.reshape(info.shape)


class CheckpointDir:
    """A checkpoint directory: raw config.json, the tensor → file map, lazy tensor access.

    `names` keeps the order of the index (or of the single file's header)."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise CheckpointError(f"{self.path}: checkpoint directory not found")
        self.config_path = self.path / CONFIG_NAME
        self.raw_config = read_json_config(self.config_path)
        self._files: dict[str, SafetensorsFile] = {}
        self.weight_map: dict[str, str] = {}
        index = self.path / INDEX_NAME
        if index.is_file():
            self.index_path: Path | None = index
            self._read_index(index)
        elif (self.path / SINGLE_NAME).is_file():
            self.index_path = None
            f = self._file(SINGLE_NAME, first_tensor=None)
            self.weight_map = {name: SINGLE_NAME for name in f.tensors}
        else:
            raise CheckpointError(f"{self.path}: no {INDEX_NAME} or {SINGLE_NAME} in the checkpoint directory")

    def _read_index(self, index: Path):
        try:
            data = json.loads(index.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CheckpointError(f"{index}: not a valid index file ({e})") from None
        wm = data.get("weight_map") if isinstance(data, dict) else None
        if not isinstance(wm, dict) or not all(isinstance(v, str) for v in wm.values()):
            raise CheckpointError(f"{index}: missing or malformed weight_map")
        for name, shard in wm.items():
            if "/" in shard or "\\" in shard or shard in ("", ".", ".."):
                raise CheckpointError(f"{index}: tensor {name} maps to an invalid shard name {shard!r}")
            f = self._file(shard, first_tensor=name)
            if name not in f.tensors:
                raise CheckpointError(f"{f.path}: tensor {name} is listed in {INDEX_NAME} "
                                      "but not present in this shard")
        for fname, f in self._files.items():
            # Strict both ways: a tensor the index does not list for this shard would be silently ignored.
            for name in f.tensors:
                if wm.get(name) != fname:
                    raise CheckpointError(f"{f.path}: tensor {name} is in this shard but {INDEX_NAME} "
                                          + ("does not list it" if name not in wm else f"maps it to {wm[name]}"))
        self.weight_map = dict(wm)

    def _file(self, fname: str, first_tensor: str | None) -> SafetensorsFile:
        if fname not in self._files:
            p = self.path / fname
            if not p.is_file():
                who = f" (holds tensor {first_tensor})" if first_tensor else ""
                raise CheckpointError(f"{p}: shard missing{who}")
            self._files[fname] = SafetensorsFile(p)
        return self._files[fname]

    @property
    def names(self) -> list[str]:
        return list(self.weight_map)

    def info(self, name: str) -> TensorInfo:
        return self._files[self.weight_map[name]].tensors[name]

    def tensor(self, name: str) -> torch.Tensor:
        return self._files[self.weight_map[name]].tensor(name)

    @property
    def files(self) -> list[Path]:
        return [f.path for f in self._files.values()]


def read_json_config(path: Path) -> dict:
    """config.json → dict, or a one-line `ConfigError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config ({e})") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: malformed JSON at line {e.lineno} column {e.colno} ({e.msg})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level is not a JSON object")
    return data


# ----------------------------------------------------------------------------------------- writing

@dataclass(frozen=True)
class Deferred:
    """A tensor known by shape and dtype now and computed only when its shard is written."""
    shape: tuple[int, ...]
    dtype: torch.dtype
    make: Callable[[], torch.Tensor]

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def _nbytes(t) -> int:
    return t.nbytes if isinstance(t, Deferred) else t.numel() * t.element_size()


def plan_shards(sizes: list[int], max_shard_bytes: int | None = None,
                num_shards: int | None = None) -> list[list[int]]:
    """Split tensors (in order, by byte size) into shards: either greedily under a byte budget
    (a tensor larger than the budget gets a shard of its own) or into `num_shards` groups of about
    equal bytes. Returns lists of tensor positions."""
    if num_shards is not None:
        n = max(1, min(num_shards, len(sizes)))
        total, groups, acc, prev = sum(sizes), [[] for _ in range(n)], 0, 0
        for i, s in enumerate(sizes):
            # Tensor i goes to the shard its byte midpoint falls in, moving forward one shard at
            # most (no shard is skipped) and early enough that every remaining shard gets a tensor.
            k = min(int((acc + s / 2) * n / max(total, 1)), n - 1)
            k = max(min(k, prev + 1), prev, n - (len(sizes) - i))
            groups[k].append(i)
            acc, prev = acc + s, k
        return groups
    budget = max_shard_bytes or DEFAULT_SHARD_BYTES
    groups, cur, cur_bytes = [], [], 0
    for i, s in enumerate(sizes):
        if cur and cur_bytes + s > budget:
            groups.append(cur)
            cur, cur_bytes = [], 0
        cur.append(i)
        cur_bytes += s
    if cur or not groups:
        groups.append(cur)
    return groups


def _materialize(name: str, t) -> torch.Tensor:
    if isinstance(t, Deferred):
        out = t.make()
        if tuple(out.shape) != tuple(t.shape) or out.dtype != t.dtype:
            raise ValueError(f"deferred tensor {name} produced {out.dtype}{list(out.shape)}, "
                             f"declared {t.dtype}{list(t.shape)}")
        t = out
    if t.dtype not in TORCH_TO_ST:
        raise ValueError(f"tensor {name}: dtype {t.dtype} cannot be stored in safetensors")
    t = t.detach().to("cpu")
    # safetensors refuses views and tensors sharing storage; a private contiguous copy is always safe.
    if not t.is_contiguous() or t.untyped_storage().nbytes() != t.numel() * t.element_size():
        t = t.contiguous().clone()
    return t


def save_checkpoint(out_dir, tensors: Mapping[str, torch.Tensor | Deferred], config: dict, *,
                    max_shard_bytes: int | None = None, num_shards: int | None = None,
                    single_file: bool = False, extra_files: Mapping[str, bytes | str | Path] | None = None,
                    overwrite: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> Path:
    """Write `tensors` and `config` as a K2.5-layout checkpoint directory at `out_dir`, atomically.

    `extra_files` maps file names to contents (bytes/str) or source paths to copy (tokenizer files,
    processor configs). `progress(done_bytes, total_bytes)` is called after each shard. An existing
    `out_dir` is replaced only with `overwrite=True`."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise CheckpointError(f"{out_dir}: destination already exists")
    names = list(tensors)
    sizes = [_nbytes(tensors[n]) for n in names]
    total = sum(sizes)
    groups = [list(range(len(names)))] if single_file else plan_shards(sizes, max_shard_bytes, num_shards)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        weight_map, done = {}, 0
        for i, group in enumerate(groups, start=1):
            fname = SINGLE_NAME if single_file else shard_name(i, len(groups))
            shard = {names[j]: _materialize(names[j], tensors[names[j]]) for j in group}
            save_file(shard, str(tmp / fname), metadata={"format": "pt"})
            weight_map.update({names[j]: fname for j in group})
            done += sum(sizes[j] for j in group)
            del shard
            if progress:
                progress(done, total)
        if not single_file:
            index = {"metadata": {"total_size": total}, "weight_map": weight_map}
            (tmp / INDEX_NAME).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
        (tmp / CONFIG_NAME).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
        for fname, content in (extra_files or {}).items():
            dst = tmp / fname
            dst.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, dst)
            elif isinstance(content, bytes):
                dst.write_bytes(content)
            else:
                dst.write_text(content, encoding="utf-8")
        _replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _replace_dir(tmp: Path, out_dir: Path) -> None:
    """Move the finished `tmp` to `out_dir`; an old `out_dir` is moved aside first and removed last."""
    os.chmod(tmp, 0o755)   # mkdtemp makes it 0700
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
