import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_CORPUS = ROOT / "data" / "wordnet-glosses.txt.gz"


def entry_point() -> str:
    """The installed console script, next to the running interpreter."""
    candidate = Path(sys.executable).parent / "w2v-nce"
    found = str(candidate) if candidate.exists() else shutil.which("w2v-nce")
    assert found, "the w2v-nce console script is not installed (pip install -e .)"
    return found


def run_cli(*args, input=None, stdin=None, cwd=None, check=False):
    """Run the real entry point in a subprocess; returns CompletedProcess (text).

    ``stdin``: a file (e.g. another process's stdout pipe) instead of ``input``."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    result = subprocess.run(
        [entry_point(), *map(str, args)],
        input=input,
        stdin=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def default_sigint():
    """A child's SIGINT back to its default: Python only turns SIGINT into
    KeyboardInterrupt if it is not ignored at start-up, and it is in background jobs
    of non-interactive shells (a test suite run with ``&``)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# What the bar says while the kernel loads: the trainer's, a Dask run's.
LOADING = ("compiling (first run only)", "loading the training kernel")


def wait_for_training(proc, seconds=300):
    """Read ``proc``'s stderr until its progress bar is back to ``training:`` after
    saying it loads the kernel (:data:`LOADING`): the kernel is loaded (or compiled)
    and the training loop runs, so that a signal sent next lands in training however
    long the compile took. (The bar says ``training:`` once before the kernel loads,
    too.)"""
    seen, deadline = "", time.monotonic() + seconds
    while not any("training:" in seen.partition(marker)[2] for marker in LOADING):
        seen += proc.stderr.read(1)
        assert proc.poll() is None and time.monotonic() < deadline, seen


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory):
    """The demo corpus trained once through the CLI (neg, k=5, 5 epochs, 2 threads)."""
    out = tmp_path_factory.mktemp("demo")
    run_cli(
        "train",
        DEMO_CORPUS,
        "--threads",
        "2",
        "--seed",
        "1",
        "--quiet",
        "-o",
        out / "vectors.txt",
        "--save-model",
        out / "model.npz",
        check=True,
    )
    return out
