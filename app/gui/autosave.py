"""Crash-safe autosave of the editor, and recovery of the work of a killed session.

Each running window owns one session in `<config>/recovery/`: `session-<id>.json` (the editor text, target,
the version history and the input file paths), `session-<id>-inputs/` (PNG copies of pasted and captured
images, which have no file of their own; written before the JSON that names them) written atomically (temp file + fsync + rename, so a kill during a
write leaves the previous complete file), and `session-<id>.lock`, a `QLockFile` held for the session's lifetime.
A clean close deletes both. A session whose lock can be taken by someone else is one whose process died (QLockFile
checks the recorded pid on this host), so the next start finds it with `orphaned_sessions()` and the window offers
to restore it. Lock staleness by age is disabled: a long-running window is not "stale".

When and what to write is decided by `saving.WorkSaver` (a debounced single-shot QTimer); this module does the
file work only and knows nothing of widgets. It never raises on I/O trouble: autosave failures are reported through
the return value so the window can show them instead of crashing.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field

from PySide6.QtCore import QLockFile

FORMAT = 1


@dataclass
class Snapshot:
    """What autosave keeps: enough to put the window back as it was."""

    code: str
    target: str = "html"
    instruction: str = ""
    inputs: list[str] = field(default_factory=list)  # file paths; pasted/captured images as PNGs in the session
    history: list[dict] = field(default_factory=list)  # `history.Version` dicts
    history_index: int = -1
    saved_at: float = 0.0
    clean_exit: bool = False  # closed normally with unsaved code (vs. killed)

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Snapshot":
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("code"), str):
            raise ValueError("not a uicode autosave file")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class Orphan:
    """A session left behind by a process that did not close cleanly."""

    path: pathlib.Path
    lock: QLockFile
    snapshot: Snapshot

    @property
    def inputs_dir(self) -> pathlib.Path:
        return inputs_dir_of(self.path)

    def discard(self) -> None:
        for p in (self.path, self.path.with_suffix(".lock")):
            try:
                p.unlink()
            except OSError:
                pass
        shutil.rmtree(self.inputs_dir, ignore_errors=True)
        self.lock.unlock()


def inputs_dir_of(session_path: pathlib.Path) -> pathlib.Path:
    """Where a session keeps its pasted and captured images."""
    return session_path.with_name(session_path.stem + "-inputs")


def atomic_write_text(path: pathlib.Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: pathlib.Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class RecoveryStore:
    """The autosave session of this process, and the orphans of dead ones."""

    def __init__(self, directory: pathlib.Path):
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.session_id = f"{int(time.time())}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path = self.directory / f"session-{self.session_id}.json"
        self.inputs_dir = inputs_dir_of(self.path)
        self._lock = QLockFile(str(self.path.with_suffix(".lock")))
        self._lock.setStaleLockTime(0)
        self._locked = self._lock.tryLock(0)
        self.last_error = ""
        self.writes = 0

    def new_input_path(self) -> pathlib.Path:
        """A fresh file name in this session for a pasted or captured image (written by `save`)."""
        return self.inputs_dir / f"pasted-{uuid.uuid4().hex[:8]}.png"

    def adopt(self, paths) -> list[str]:
        """Copies of another session's kept images in this session (before that session is discarded); other
        paths are returned unchanged."""
        out = []
        for p in map(pathlib.Path, paths):
            if p.parent.name.endswith("-inputs") and p.parent.parent == self.directory and p.parent != self.inputs_dir:
                dst = self.inputs_dir / p.name
                try:
                    atomic_write_bytes(dst, p.read_bytes())
                    p = dst
                except OSError:
                    pass
            out.append(str(p))
        return out

    def save(self, snapshot: Snapshot, images: dict | None = None) -> bool:
        """Write `images` ({path: PIL image} from `new_input_path`) as PNG, then the snapshot, atomically; False
        (with `last_error`) on I/O failure."""
        import io

        snapshot.saved_at = time.time()
        try:
            for path, image in (images or {}).items():
                buf = io.BytesIO()
                image.save(buf, format="PNG")
                atomic_write_bytes(pathlib.Path(path), buf.getvalue())
            atomic_write_text(self.path, snapshot.to_json())
        except OSError as exc:
            self.last_error = f"autosave to {self.path} failed: {exc.strerror or exc}"
            return False
        self.writes += 1
        self.last_error = ""
        return True

    def close(self, keep: Snapshot | None = None, images: dict | None = None) -> None:
        """End the session. With `keep` (unsaved code at a normal exit) the snapshot and its images stay for
        the next start; without, nothing is left to recover."""
        if keep is not None and (keep.code.strip() or keep.inputs):
            keep.clean_exit = True
            self.save(keep, images)
        else:
            try:
                self.path.unlink()
            except OSError:
                pass
            shutil.rmtree(self.inputs_dir, ignore_errors=True)
        if self._locked:
            self._lock.unlock()
            self._locked = False

    def orphaned_sessions(self) -> list[Orphan]:
        """Sessions whose owner died, newest first, each locked by us until restored or discarded."""
        found = []
        for path in sorted(self.directory.glob("session-*.json"), key=_mtime, reverse=True):
            if path == self.path:
                continue
            lock = QLockFile(str(path.with_suffix(".lock")))
            lock.setStaleLockTime(0)
            if not lock.tryLock(0):
                continue  # a live window owns it
            try:
                snapshot = Snapshot.from_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                lock.unlock()
                continue
            if not snapshot.code.strip() and not snapshot.inputs:
                Orphan(path, lock, snapshot).discard()
                continue
            found.append(Orphan(path, lock, snapshot))
        return found


def _mtime(path: pathlib.Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
