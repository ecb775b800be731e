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


def test_a_terminal_of_no_width_still_gets_a_bar(tmp_path):
    """A pseudo-terminal nobody sized reports 0 columns (``script``, some CI runners):
    tqdm drew a bar of no width there, only an empty line. The real entry point, its
    stderr such a terminal: the finished bar is there, 80 columns wide."""
    import os
    import pty
    import subprocess

    from tests.conftest import entry_point

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(words) for words in sentences()) + "\n")
    main, other = pty.openpty()  # a new pseudo-terminal: 0 × 0
    assert os.get_terminal_size(other).columns == 0
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    with os.fdopen(main, "rb", buffering=0) as reader:
        process = subprocess.Popen(
            [entry_point(), "train", str(corpus), "--threads", "1", "--epochs", "1",
             "--dim", "8", "--min-count", "1", "-o", str(tmp_path / "v.txt")],
            stdout=subprocess.DEVNULL, stderr=other, env=env,
        )  # fmt: skip
        os.close(other)
        output = b""
        while True:
            try:
                chunk = reader.read(4096)
            except OSError:  # the terminal's other end closed: the process is done
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=120) == 0
    lines = [part for part in re.split(rb"[\r\n]+", output) if part.strip()]
    finished = [line for line in lines if line.startswith(b"training: 100%")]
    assert finished, output
    assert len(finished[-1].decode().rstrip()) == 80
