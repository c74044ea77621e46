"""GUI responsiveness while streaming on CPU: event-loop blocking and input-to-first-token latency.

The real window (offscreen unless DISPLAY and --xcb) converts an image with the real engine, several times. A
`QTimer` ticking every 5 ms on the GUI thread records the gaps between ticks; the longest gap minus the tick
period is the longest time the event loop was blocked (the goal: never more than 50 ms). Input-to-first-token is
measured from the Generate click to the moment the first code is in the editor, and compared with the same
request run headless through `Pipeline.stream` on the same loaded backend (the ratio is the GUI's overhead).
Runs are made with the live preview off and on (on: Chromium renders on the lane thread while tokens arrive,
and the GUI thread decodes and scales the PNGs).

Default checkpoint: the scripted tiny kimi_k25 checkpoint of the GUI tests (real layout and engine, one chunk
of a known page per token); pass --checkpoint for another. Appends a table to bench/RESULTS.md (--no-append
to only print). Run: `.venv/bin/python bench/gui_latency.py [--runs 5]`.
"""
from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import statistics
import sys
import tempfile
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench.report import append_results, cpu_model  # noqa: E402

TICK_MS = 5
BUDGET_MS = 50.0


def timing_application():
    """A QApplication that also records how long each event takes to handle on the GUI thread: the blocking
    the app itself causes, apart from time the OS gives to other processes (the tick gaps include both)."""
    from PySide6.QtWidgets import QApplication

    class TimedApplication(QApplication):
        def __init__(self, argv):
            super().__init__(argv)
            self.longest: list[tuple[float, str]] = []
            self.recording = False

        def notify(self, receiver, event):  # noqa: N802 -- Qt API
            if not self.recording:
                return super().notify(receiver, event)
            t0 = time.perf_counter()
            try:
                return super().notify(receiver, event)
            finally:
                self.longest.append(((time.perf_counter() - t0) * 1000.0,
                                     f"{event.type().name} → {type(receiver).__name__}"))

    return TimedApplication([sys.argv[0]])


class Probe:
    """Records the GUI thread's tick gaps while `active`."""

    def __init__(self):
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.gaps: list[float] = []
        self.active = False
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.active and self.last is not None:
            self.gaps.append((now - self.last) * 1000.0)
        self.last = now

    def start(self) -> None:
        self.gaps = []
        self.last = time.perf_counter()
        self.active = True

    def stop(self) -> list[float]:
        self.active = False
        return self.gaps


def wait_until(app, predicate, timeout_s: float) -> None:
    deadline = time.perf_counter() + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("timed out waiting for the window")
        app.processEvents()
        time.sleep(0.001)


def headless_first_token(backend, request) -> float:
    from app.events import CodeDelta
    from app.pipeline import Pipeline

    t0 = time.perf_counter()
    for event in Pipeline(backend).stream(request, threading.Event()):
        if isinstance(event, CodeDelta):
            return time.perf_counter() - t0
    return float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", help="checkpoint folder (default: the scripted tiny checkpoint)")
    ap.add_argument("--runs", type=int, default=5, help="generations per preview setting (default 5)")
    ap.add_argument("--max-new-tokens", type=int, default=256)
    ap.add_argument("--cpu-threads", type=int, default=0, help="the app's cpu_threads setting (0 = cores - 1)")
    ap.add_argument("--no-append", action="store_true", help="print only, do not touch bench/RESULTS.md")
    args = ap.parse_args(argv)

    from PIL import Image
    from app.gui.main_window import MainWindow
    from app.gui.prepare import build_request
    from app.gui.render_lane import render_png, visual_score
    from app.gui.settings import Settings

    work = pathlib.Path(tempfile.mkdtemp(prefix="uicode-gui-bench-"))
    if args.checkpoint:
        ckpt = pathlib.Path(args.checkpoint)
        ckpt_label = ckpt.name
    else:
        from test_gui_checkpoint import write_scripted_checkpoint

        from test_gui_checkpoint import SCRIPT

        # The page's body repeats until max_new_tokens: a stream as long as a real page's.
        ckpt = write_scripted_checkpoint(work / "ckpt", loop_to=SCRIPT.index("<main>\n"))
        ckpt_label = "scripted tiny kimi_k25 (tests/test_gui_checkpoint.py, looping body)"
    mock = work / "mock.png"
    img = Image.new("RGB", (640, 400), (244, 246, 251))
    img.paste((31, 59, 115), (0, 0, 640, 90))
    img.save(mock)

    from app.gui.app import make_application

    timing_application()
    app = make_application()
    settings = Settings(work / "config")
    settings.update({"backend": "checkpoint", "checkpoint_dir": str(ckpt), "max_new_tokens": args.max_new_tokens,
                     "autosave_ms": 1000, "preview_debounce_ms": 300,
                     "cpu_threads": args.cpu_threads})
    window = MainWindow(settings, render=render_png, score=visual_score, offer_recovery=False)
    window.show()
    probe = Probe()
    loaded = []
    window.inputs_loaded.connect(loaded.append)
    window.load_paths([str(mock)])
    wait_until(app, lambda: loaded, 60)

    rows = []
    state = {}
    window.code_delta.connect(lambda _t: state.setdefault("first", time.perf_counter()))
    window.generation_finished.connect(lambda reason: state.__setitem__("done", reason))
    for preview in (False, True):
        settings.set("live_preview", preview)
        for run in range(args.runs + 1):  # run 0 loads the model and warms up; not counted
            state.clear()
            window.editor.set_code("")
            wait_until(app, lambda: not window.preview.busy(), 60)
            probe.start()
            app.longest = []
            app.recording = True
            t0 = time.perf_counter()
            window.generate_button.click()
            wait_until(app, lambda: "done" in state, 600)
            finished = time.perf_counter()
            if preview:
                wait_until(app, lambda: not window.preview.busy(), 120)
            gaps = probe.stop()
            app.recording = False
            if run == 0:
                continue
            result = window.last_result
            rows.append({
                "preview": preview, "first_token_s": state["first"] - t0,
                "stream_s": finished - t0, "max_gap_ms": max(gaps), "p99_gap_ms": sorted(gaps)[int(0.99 * (len(gaps) - 1))],
                "ticks": len(gaps), "tok_s": result.tokens_per_s if result else float("nan"),
                "new_tokens": result.new_tokens if result else 0, "renders": window.preview.renders,
                "event_ms": max(app.longest) if app.longest else (0.0, ""),
                "slow_ticks": sum(1 for g in gaps if g - TICK_MS > BUDGET_MS),
            })
    # Same loaded backend, same request, no window work in between (before close(), which releases the model).
    request = build_request(window.strip.items, window.values())
    import torch

    from app.gui.jobs import cpu_threads_for_gui

    torch.set_num_threads(cpu_threads_for_gui(args.cpu_threads))  # as the window's job does (OpenMP: per thread)
    headless = statistics.median(headless_first_token(window.backend, request) for _ in range(args.runs))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    window.close()

    lines = ["| live preview | runs | input→first token (GUI), median s | headless first token, median s | GUI / "
             "headless | longest tick gap − tick, ms (max over runs) | ticks > 50 ms late | p99 tick gap, ms | "
             "longest single event handled on the GUI thread, ms | tokens/s | goal ≤ 50 ms (event) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for preview in (False, True):
        rs = [r for r in rows if r["preview"] == preview]
        first = statistics.median(r["first_token_s"] for r in rs)
        block = max(r["max_gap_ms"] for r in rs) - TICK_MS
        p99 = max(r["p99_gap_ms"] for r in rs)
        tok = statistics.median(r["tok_s"] for r in rs)
        event_ms, event_name = max(r["event_ms"] for r in rs)
        slow = sum(r["slow_ticks"] for r in rs)
        ticks = sum(r["ticks"] for r in rs)
        lines.append(f"| {'on' if preview else 'off'} | {len(rs)} | {first:.3f} | {headless:.3f} | "
                     f"{first / headless:.2f}x | {block:.1f} | {slow}/{ticks} | {p99:.1f} | {event_ms:.1f} "
                     f"({event_name}) | {tok:.1f} | {'met' if event_ms <= BUDGET_MS else 'missed'} |")
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = (f"\n## GUI responsiveness while streaming (bench/gui_latency.py)\n\n"
               f"{date}; {cpu_model()}; Qt platform {app.platformName()}; load average at the end {load:.1f}; "
               f"checkpoint: {ckpt_label}; {rows[0]['new_tokens'] if rows else 0} new tokens per run; "
               f"torch threads {__import__('torch').get_num_threads()} (setting cpu_threads={args.cpu_threads}); "
               f"tick {TICK_MS} ms. Tick gaps measure the event loop as the user feels it, including time the OS "
               f"gives to other processes; the longest handled event is the blocking the app itself causes.\n\n"
               + "\n".join(lines) + "\n")
    print(section)
    if not args.no_append:
        append_results(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
