"""What every benchmark script shares: naming the machine it ran on and appending a section to RESULTS.md.

Scripts run as `python bench/NAME.py` with the repository root on `sys.path`, so they import this as
`bench.report`.
"""
from __future__ import annotations

import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().with_name("RESULTS.md")
HEADER = "# Measured results\n\n"


def cpu_model() -> str:
    """`<model name>, N of M cores usable` from /proc/cpuinfo (what lscpu prints as Model name)."""
    name = platform.processor() or platform.machine() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{name}, {usable} of {os.cpu_count()} cores usable"


def append_results(section: str, path: Path = RESULTS) -> None:
    """Append `section` (markdown) to RESULTS.md, creating it with a header, one blank line between sections."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if not existing:
        prefix = HEADER
    else:
        prefix = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(prefix + section.strip("\n") + "\n")
