"""The decode thread-count chooser of model.generate: picks the measured-faster count and restores state."""
import time

import pytest
import torch

from model.generate import _DecodeThreads


@pytest.fixture
def two_threads():
    prev = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(prev)


@pytest.mark.parametrize("slow_with", [1, 2])
def test_chooser_keeps_the_faster_count_and_restores_threads(two_threads, slow_with):
    chooser = _DecodeThreads(torch.device("cpu"))
    seen = []

    def step():
        n = torch.get_num_threads()
        seen.append(n)
        time.sleep(0.02 if n == slow_with else 0.001)
        return n

    for _ in range(10):
        chooser.step(step)
        assert torch.get_num_threads() == 2  # restored after every step
    fast = 2 if slow_with == 1 else 1
    assert chooser.chosen == fast
    assert seen[-4:] == [fast] * 4
    assert set(seen[:6]) == {1, 2}  # both candidates were measured


def test_chooser_leaves_other_devices_alone(two_threads):
    chooser = _DecodeThreads(torch.device("meta"))
    assert chooser.step(torch.get_num_threads) == 2
    assert chooser.chosen == 2
