"""The progress bar's clock starts when the training kernel is ready: its rate and ETA
never count the first run's compile, and while the kernel loads the bar says so.

A first run compiles the kernel for some seconds; a test cannot afford a real empty
Numba cache, so the kernel's load is made that slow (a real load, then a sleep)."""

import re
import time

import numpy as np

import w2v_nce
from w2v_nce.training import trainer

LOAD_SECONDS = 2.0


def sentences():
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(40)]
    return [list(rng.choice(words, size=12)) for _ in range(300)]


def test_the_bars_clock_starts_after_the_kernel_is_ready(monkeypatch, capsys):
    bars, said, ready = [], [], []
    make_bar = trainer._progress_bar

    def recorded_bar(*args):
        bars.append(make_bar(*args))
        return bars[-1]

    load = trainer.Tasks.load_kernel

    def slow_load(self):
        said.append(bars[-1].desc)
        starting_loss = load(self)
        time.sleep(LOAD_SECONDS)  # as long as a compile
        said.append(bars[-1].desc)
        ready.append(bars[-1]._time())  # the bar's own clock
        return starting_loss

    monkeypatch.setattr(trainer, "_progress_bar", recorded_bar)
    monkeypatch.setattr(trainer.Tasks, "load_kernel", slow_load)
    options = dict(min_count=1, dim=8, epochs=1, threads=1, seed=1, loss="neg")
    model = w2v_nce.train(sentences(), progress=True, **options)

    # "loading" at first, "compiling" once loading has taken longer than a cached load
    assert LOAD_SECONDS > trainer.COMPILING_AFTER
    assert [d.rstrip(": ") for d in said] == [trainer.LOADING, trainer.COMPILING]
    assert trainer.COMPILING == "compiling (first run only)"
    (bar,) = bars
    # Every rate sample is counted from start_t: none spans the load.
    assert bar.start_t >= ready[0]
    # What the user sees: the bar's last line gives the training's time, not the load's.
    last = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    minutes, seconds = map(int, re.search(r"\[(\d+):(\d+)<", last).groups())
    assert 60 * minutes + seconds < LOAD_SECONDS, last
    assert "training" in last and model.stats.kernel_seconds >= LOAD_SECONDS


def test_the_bar_counts_the_words_of_the_blocks_in_flight_once():
    """Between two blocks' ends the bar shows the words the blocks being trained have
    read (their kernels' counters); when a block finishes, its words are counted once,
    in place of its counter."""

    class Tasks:
        in_flight = 0
        total_words = 10_000

        def words_in_flight(self):
            return self.in_flight

        def learning_rate(self, words):
            return 0.01

    tasks, stats = Tasks(), trainer.TrainStats()
    progress = trainer.Progress(tasks, stats, True, None, None)  # a disabled bar counts nothing
    tasks.in_flight = 300  # a block has read 300 words
    progress.refresh(last=False)
    assert progress.bar.n == 300
    tasks.in_flight = 0  # it ends with 1,000 words: its counter is gone
    progress.add(1.0, 10, 1_000)
    assert progress.bar.n == 1_000
    tasks.in_flight = 250  # the next one has read 250
    progress.refresh(last=False)
    assert progress.bar.n == 1_250
