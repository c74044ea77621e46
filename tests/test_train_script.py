"""`scripts/train_mini.sh`: which steps it runs, read from the commands it gives a stand-in Python."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def sandbox(tmp_path):
    """A copy of the script in an empty project whose `.venv/bin/python` logs its arguments, one call a line."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "train_mini.sh", tmp_path / "scripts" / "train_mini.sh")
    py = tmp_path / ".venv" / "bin" / "python"
    py.parent.mkdir(parents=True)
    py.write_text('#!/bin/sh\necho "$*" >> "$(dirname "$0")/../../calls.txt"\n')
    py.chmod(0o755)
    return tmp_path


def _run(root: Path, *args: str) -> list[str]:
    subprocess.run(["bash", str(root / "scripts" / "train_mini.sh"), *args], check=True, capture_output=True, timeout=60)
    return (root / "calls.txt").read_text().splitlines()


def test_a_further_sketch_run_whose_packs_travelled_renders_nothing_and_starts_from_the_committed_state(sandbox):
    """On a machine without Chromium (the GPU machine) the packs built elsewhere are all there is: no corpus step
    runs, and a run started from a committed state uses the shipped tokenizer and a run folder of its own."""
    packs = sandbox / "data" / "mini"
    packs.mkdir(parents=True)
    (packs / "trainS-1300000.pack").write_bytes(b"x")
    (packs / "heldout-sketch.pack").write_bytes(b"x")
    calls = _run(sandbox, "--prompt", "sketch", "--init", "train/checkpoints/mini-sketch3.pt", "--run", "mini-gpu",
                 "--seed", "1300000", "--device", "cuda", "--minutes", "12", "--out", "runs/mini-gpu/export")
    assert len(calls) == 1 and calls[0].startswith("-m train.train ")
    train = calls[0].split()
    assert train[train.index("--pack") + 1] == "data/mini/trainS-1300000.pack"
    assert train[train.index("--tokenizer") + 1] == "assets/mini"  # the .pt state holds no tokenizer
    assert train[train.index("--run") + 1] == "runs/mini-gpu"
    assert train[train.index("--portable") + 1] == "train/checkpoints/mini-gpu.pt"
    assert train[train.index("--init") + 1] == "train/checkpoints/mini-sketch3.pt"
    assert train[train.index("--lr") + 1] == "5e-4"  # the fine-tune's peak unless told


def test_a_sketch_runs_peak_learning_rate_is_an_option(sandbox):
    calls = _run(sandbox, "--prompt", "sketch", "--init", "train/checkpoints/mini-sketch6.pt", "--lr", "2e-4")
    train = calls[-1].split()
    assert train[train.index("--lr") + 1] == "2e-4" and train[train.index("--warmup") + 1] == "20"


def test_a_fresh_sketch_run_renders_and_packs_its_pages_first(sandbox):
    calls = _run(sandbox, "--prompt", "sketch", "--init", "assets/mini", "--minutes", "1")
    steps = [" ".join(c.split()[:4]) for c in calls]
    assert steps == ["-m train.corpus build data/mini/heldout", "-m train.corpus build data/mini/trainS",
                     "-m train.prepare pack data/mini/heldout", "-m train.prepare pack data/mini/trainS",
                     "-m train.train --pack data/mini/trainS.pack"]
    assert "--tokenizer assets/mini" in calls[-1] and "--run runs/mini-sketch " in calls[-1]


def test_an_unknown_option_is_one_line_and_exit_2(sandbox):
    done = subprocess.run(["bash", str(sandbox / "scripts" / "train_mini.sh"), "--pages-seed", "3"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.strip() == "unknown option --pages-seed"
    assert not (sandbox / "calls.txt").exists()


def test_a_learning_rate_that_is_no_number_is_one_line_and_exit_2_before_anything_runs(sandbox):
    done = subprocess.run(["bash", str(sandbox / "scripts" / "train_mini.sh"), "--prompt", "sketch", "--lr", "fast"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.strip() == "--lr must be a number, e.g. 2e-4"
    assert not (sandbox / "calls.txt").exists()
