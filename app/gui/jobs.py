"""The background jobs of the window, as plain generator functions for `worker.Worker`.

A job takes the worker's abort flag and yields events; it never touches widgets. `conversion_job` builds (or
reuses) the backend, loads the model with progress, then streams the pipeline's events; the window receives
`BackendReady` once (to cache the loaded backend) and the pipeline's `Status`/`CodeDelta`/`Finished`.

Loading progress: `LocalBackend.load(progress)` reports through a callback on the loading thread, and a generator
cannot yield from inside a callback, so the load runs on a helper thread while the job yields the progress it
queues. Loading cannot be interrupted half-way (a checkpoint is mapped tensor by tensor); an abort during it is
honoured as soon as the load returns.
"""
from __future__ import annotations

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


def conversion_job(request, key: tuple, backend, factory: Callable[[], Any]):
    """The Generate/follow-up job: backend (built by `factory()` when `backend` is None), load, stream."""
    def job(cancel: threading.Event):
        nonlocal backend
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
