"""Ctrl-C and SIGTERM through the real entry point: a prompt stop, a message saying how
far it got, a non-zero exit, the previous output intact and no temporary files --
or, with --save-on-interrupt, the partial model written and marked as such."""

import json
import re
import signal
import subprocess
import threading
import time

import numpy as np
import pytest
from gensim.models import KeyedVectors

from tests.conftest import DEMO_CORPUS, default_sigint, entry_point

PREVIOUS = b"2 1\nprevious 1\nvectors 2\n"


class Running:
    """``w2v-nce ARGS`` in the background, its stderr collected as it comes."""

    def __init__(self, *args, cwd, stdin=None):
        self.proc = subprocess.Popen(
            [entry_point(), *map(str, args)],
            cwd=cwd,
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=default_sigint,
        )
        self.chunks = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for chunk in iter(lambda: self.proc.stderr.read1(4096), b""):
            self.chunks.append(chunk)

    @property
    def stderr(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace")

    def wait_for(self, predicate, what, timeout=120):
        deadline = time.monotonic() + timeout
        while not predicate(self.stderr):
            assert self.proc.poll() is None, f"exited before {what}: {self.stderr}"
            assert time.monotonic() < deadline, f"no {what} after {timeout} s: {self.stderr}"
            time.sleep(0.05)

    def stop(self, signum, within=30):
        """Send ``signum``; the process must exit within ``within`` seconds."""
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"still running {within} s after {signum!r}: {self.stderr}")
        self.reader.join(timeout=10)
        return code


def trained_some(stderr: str) -> bool:
    """The progress bar shows a non-zero word count ("120k/28.1M")."""
    return any(float(n) > 0 for n in re.findall(r"\|\s*([0-9.]+)[kMG]?/", stderr))


def start_training(tmp_path, *extra):
    """Train on the demo corpus for far longer than the test waits (50 epochs)."""
    return Running(
        "train", DEMO_CORPUS, "--epochs", "50", "--threads", "2", "--dim", "50",
        "-o", "vectors.txt", "--tmp-dir", tmp_path / "scratch", *extra, cwd=tmp_path,
    )  # fmt: skip


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "scratch").mkdir()
    (tmp_path / "vectors.txt").write_bytes(PREVIOUS)
    (tmp_path / "model.npz").write_bytes(b"previous model")
    return tmp_path


def assert_clean(workdir):
    """Previous outputs byte-identical, no temporary file, the encoded corpus removed."""
    assert (workdir / "vectors.txt").read_bytes() == PREVIOUS
    assert (workdir / "model.npz").read_bytes() == b"previous model"
    assert sorted(p.name for p in workdir.iterdir()) == ["model.npz", "scratch", "vectors.txt"]
    assert list((workdir / "scratch").iterdir()) == []


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_during_training_writes_nothing(workdir, signum, code):
    run = start_training(workdir, "--save-model", "model.npz")
    # Once a block has finished the kernels are compiled (a cold Numba cache can take
    # longer than the deadline below under load); from then on blocks are short.
    run.wait_for(trained_some, "trained words")
    assert run.stop(signum) == code
    line = last_line(run.stderr)
    assert re.fullmatch(
        r"error: interrupted after \d+% of training \([\d,]+ of [\d,]+ words\); "
        r"nothing was written \(--save-on-interrupt keeps it\)",
        line,
    ), line
    assert "Traceback" not in run.stderr
    assert_clean(workdir)


def test_ctrl_c_while_reading_the_corpus_removes_the_encoded_corpus(workdir):
    run = Running(
        "train", "-", "-o", "vectors.txt", "--tmp-dir", workdir / "scratch",
        cwd=workdir, stdin=subprocess.PIPE,
    )  # fmt: skip
    run.proc.stdin.write(b"the quick brown fox jumps over the lazy dog\n" * 10_000)
    run.proc.stdin.flush()  # ...and keep stdin open: the reader waits for more
    deadline = time.monotonic() + 60
    while not list((workdir / "scratch").iterdir()):  # its work directory exists
        assert run.proc.poll() is None and time.monotonic() < deadline, run.stderr
        time.sleep(0.05)
    assert run.stop(signal.SIGINT) == 130
    run.proc.stdin.close()
    assert last_line(run.stderr) == (
        "error: interrupted while reading the corpus; nothing was written"
    )
    assert_clean(workdir)


def test_save_on_interrupt_writes_the_partial_model(workdir):
    run = start_training(workdir, "--save-model", "model.npz", "--save-on-interrupt")
    run.wait_for(trained_some, "trained words")
    assert run.stop(signal.SIGINT) == 130
    line = last_line(run.stderr)
    assert line.startswith("error: interrupted after ") and line.endswith(
        "wrote the partial vectors to vectors.txt and model.npz (marked interrupted)"
    ), line
    done, total = (int(n.replace(",", "")) for n in re.findall(r"([\d,]+) of ([\d,]+)", line)[0])
    assert 0 < done < total

    model = np.load(workdir / "model.npz")
    config = json.loads(str(model["config"]))
    assert config["interrupted"] is True
    assert config["words_trained"] == done
    kv = KeyedVectors.load_word2vec_format(str(workdir / "vectors.txt"))
    assert kv.index_to_key == list(model["vocab"])
    np.testing.assert_array_equal(kv.vectors, model["input"])
    assert np.isfinite(kv.vectors).all()
    assert not list(workdir.glob(".*.tmp")) and list((workdir / "scratch").iterdir()) == []


def test_ctrl_c_while_the_cli_is_still_loading_is_one_error_line():
    """The console script imports the CLI inside a try (w2v_nce.cli.entry): a Ctrl-C
    while it loads (seconds on a busy machine) is one error line and exit 130, not a
    traceback. The interrupt is made to arrive exactly there: importing the CLI module
    raises KeyboardInterrupt, in a real interpreter running the entry point."""
    import sys

    code = (
        "import builtins\n"
        "real = builtins.__import__\n"
        "def interrupted(name, *args, **kwargs):\n"
        "    if name == 'w2v_nce.cli.main':\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = interrupted\n"
        "from w2v_nce.cli.entry import run\n"
        "run()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "train", "c.txt"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 130
    assert result.stderr == "error: interrupted while starting; nothing was written\n"


def test_ctrl_c_ends_a_long_block_at_once_without_a_checkpoint(workdir):
    """Without --checkpoint nothing is resumed, so Ctrl-C ends the blocks in flight at
    their next sentence instead of letting them run to their end: one epoch of one
    block (a small corpus, k = 64 drawn per pair, window 20), interrupted as training
    starts, stops part of the way through the block. Before, the block ran to its end,
    and the message said 'interrupted after 100% of training' with nothing written."""
    import gzip
    import itertools

    corpus = workdir / "scratch" / "small.txt"
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        corpus.write_text("".join(itertools.islice(lines, 3000)), encoding="utf-8")
    run = Running(
        "train", corpus, "--epochs", "1", "--threads", "1", "--dim", "50", "--k", "64",
        "--no-share-negatives", "--window", "20", "--sample", "0", "--min-count", "1",
        "-o", "vectors.txt", cwd=workdir,
    )  # fmt: skip
    loading = ("loading the training kernel", "compiling (first run only)")
    run.wait_for(lambda err: any("training:" in err.partition(m)[2] for m in loading), "training")
    assert run.stop(signal.SIGINT) == 130
    line = last_line(run.stderr)
    done = re.fullmatch(r"error: interrupted after (\d+)% of training \(.*", line)
    assert done is not None, line
    assert int(done.group(1)) < 100, line
    corpus.unlink()
    assert_clean(workdir)
