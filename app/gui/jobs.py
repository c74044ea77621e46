"""The background jobs of the window, as plain (generator) functions for `worker.Worker`.

A job takes the worker's abort flag and yields events; it never touches widgets. `conversion_job` builds (or
reuses) the backend, loads the model with progress, then streams the pipeline's events; the conversion session
(`session`) receives `BackendReady` once (to cache the loaded backend) and the pipeline's
`Status`/`CodeDelta`/`Finished`. `preload_engine` imports the engine in the background at start-up.

Loading progress: `LocalBackend.load(progress)` reports through a callback on the loading thread, and a generator
cannot yield from inside a callback, so the load runs on a helper thread while the job yields the progress it
queues. Loading cannot be interrupted half-way (a checkpoint is mapped tensor by tensor); an abort during it is
honoured as soon as the load returns.
"""
from __future__ import annotations

import importlib
import os
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from app.events import Status


@dataclass(frozen=True)
class BackendReady:
    key: tuple
    backend: Any
    description: str


def preload_engine(cancel: threading.Event | None = None) -> None:
    """Import the engine (torch, vision, the pipeline and its backends): several seconds, done while the window
    is already up so the first drop or Generate does not wait for it."""
    importlib.import_module("app.pipeline")
    importlib.import_module("vision.preprocess")


def load_with_progress(backend, cancel: threading.Event) -> Iterator[Status]:
    """Run `backend.load(progress)` on a helper thread, yielding Status events with the fraction loaded."""
    load = getattr(backend, "load", None)
    if load is None:
        return
    events: queue.Queue = queue.Queue()
    outcome: dict = {}

    def progress(done: int, total: int) -> None:
        events.put((done, total))

    def run() -> None:
        try:
            load(progress=progress)
        except BaseException as exc:  # noqa: BLE001 -- re-raised in the job's thread below
            outcome["error"] = exc
        finally:
            events.put(None)

    describe = backend.describe() if hasattr(backend, "describe") else "the model"
    yield Status("load", f"loading {describe}…", None)
    thread = threading.Thread(target=run, name="uicode-load", daemon=True)
    thread.start()
    while True:
        item = events.get()
        if item is None:
            break
        done, total = item
        yield Status("load", f"loading {describe}: {done}/{total}", done / total if total else None)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]


def cpu_threads_for_gui(requested: int, cores: int | None = None) -> int:
    """Intra-op threads for a CPU model inside the GUI: as asked, or (0) all cores but one.

    Why: PyTorch's OpenMP workers spin-wait between operations; with one per core they starve the GUI thread
    on small machines (paint events of 20-90 ms measured on 2 cores while streaming)."""
    cores = cores or os.cpu_count() or 1
    if requested > 0:
        return requested
    return max(1, cores - 1)


def conversion_job(request, key: tuple, backend, factory: Callable[[], Any], cpu_threads: int | None = None):
    """The Generate/follow-up job: backend (built by `factory()` when `backend` is None), load, stream.
    `cpu_threads` (local CPU backends): torch's intra-op thread count to use, set before loading."""
    def job(cancel: threading.Event):
        nonlocal backend
        if cpu_threads:
            import torch

            if torch.get_num_threads() != cpu_threads:
                torch.set_num_threads(cpu_threads)
        if backend is None:
            yield Status("load", "preparing the backend…", None)
            backend = factory()
        yield from load_with_progress(backend, cancel)
        yield BackendReady(key, backend, backend.describe() if hasattr(backend, "describe") else str(key))
        if cancel.is_set():
            return None
        from app.pipeline import Pipeline

        yield from Pipeline(backend).stream(request, cancel)
    return job
