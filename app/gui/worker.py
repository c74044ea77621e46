"""The one background-work pattern of the desktop app: a `QRunnable` with a signals object.

Every slow thing the GUI does (building a backend and loading a checkpoint, streaming a conversion, decoding a
video, rendering a preview, grabbing nothing slower than a click) goes through `Worker`:

    worker = Worker(job)                # job(cancel: threading.Event) -> value or iterator of events
    worker.signals.yielded.connect(...) # one per item the iterator yields
    worker.signals.returned.connect(...)# the job's return value (a generator's `return` value)
    worker.signals.errored.connect(...) # the exception, already caught; the UI shows str(exc)
    worker.signals.finished.connect(...)# always last, after returned/errored: re-enable controls here
    pool.start(worker)

Signals are emitted from the pool thread and delivered to slots in the GUI thread (queued connections), so slots
may touch widgets. The abort flag is cooperative: `worker.abort()` sets the `threading.Event` passed to the job,
and for a generator job the worker also checks it between items and closes the generator, so the job's `finally`
blocks run. What was yielded before the abort has already been delivered; nothing is lost.

This module knows nothing about models, pipelines or widgets; `MainWindow` does the wiring (STYLE rule 13).
`WorkerPool` keeps the Python objects alive while Qt runs them and lets teardown stop everything.
"""
from __future__ import annotations

import threading
import traceback
import types
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

Job = Callable[[threading.Event], Any]


class WorkerSignals(QObject):
    """The five signals of a worker, in the order they fire: started, yielded*, returned|errored, finished."""

    started = Signal()
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)
    finished = Signal()


class Worker(QRunnable):
    """Runs `job(cancel_event)` on a pool thread; iterates it when it returns an iterator.

    `name` is shown in logs and lets the window find a running job of one kind (e.g. "generate").
    """

    def __init__(self, job: Job, name: str = "job"):
        super().__init__()
        self.setAutoDelete(False)  # the pool wrapper owns the Python object; Qt must not delete it under us
        self.job = job
        self.name = name
        self.signals = WorkerSignals()
        self.cancel = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.traceback_text = ""

    def abort(self) -> None:
        """Ask the job to stop at its next check; safe from any thread, idempotent."""
        self.cancel.set()

    @property
    def aborted(self) -> bool:
        return self.cancel.is_set()

    @Slot()
    def run(self) -> None:
        sig = self.signals
        try:
            sig.started.emit()
            result = self.job(self.cancel)
            if isinstance(result, types.GeneratorType) or (
                hasattr(result, "__next__") and hasattr(result, "__iter__")
            ):
                result = self._drain(result)
            sig.returned.emit(result)
        except Exception as exc:  # noqa: BLE001 -- every failure is delivered to the GUI, never raised in a thread
            self.error = exc
            self.traceback_text = traceback.format_exc()
            sig.errored.emit(exc)
        finally:
            self.done.set()
            sig.finished.emit()

    def _drain(self, iterator) -> Any:
        """Emit each item; stop (closing a generator) when aborted. Returns a generator's return value."""
        while True:
            if self.cancel.is_set():
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
                return None
            try:
                item = next(iterator)
            except StopIteration as stop:
                return stop.value
            self.signals.yielded.emit(item)


class WorkerPool:
    """Starts workers on a `QThreadPool` and remembers the live ones until their `finished`.

    `max_threads=1` gives a serial lane (used for the preview renderer, whose browser belongs to one thread).
    """

    def __init__(self, max_threads: int | None = None, keep_thread: bool = False):
        self.pool = QThreadPool()
        if max_threads is not None:
            self.pool.setMaxThreadCount(max_threads)
        if keep_thread:
            # A thread-affine resource (Playwright's sync browser) lives in the lane's thread: never retire it.
            self.pool.setExpiryTimeout(-1)
        self._live: set[Worker] = set()
        self._lock = threading.Lock()

    def start(self, worker: Worker) -> Worker:
        with self._lock:
            self._live.add(worker)
        worker.signals.finished.connect(lambda w=worker: self._forget(w))
        self.pool.start(worker)
        return worker

    def _forget(self, worker: Worker) -> None:
        with self._lock:
            self._live.discard(worker)

    def live(self, name: str | None = None) -> list[Worker]:
        with self._lock:
            return [w for w in self._live if not w.done.is_set() and (name is None or w.name == name)]

    def abort_all(self) -> None:
        for w in self.live():
            w.abort()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until every started worker has returned (teardown only). True when all are done."""
        return self.pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        self.abort_all()
        return self.wait(timeout_ms)
