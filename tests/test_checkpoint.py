"""Crash-safe checkpoints: real processes killed with SIGKILL at exact points, then the
same command again, which must carry on and finish with the vectors of a run that was
never interrupted (one thread: bit for bit).

The kill points are the package's fault-injection hook (``W2V_NCE_TEST_KILL=NAME[:N]``,
w2v_nce/faults.py): the process sends itself SIGKILL there, as the OOM killer would.
"""

import os
import signal
import subprocess
import time

import numpy as np
import pytest

import w2v_nce
from tests.conftest import DEMO_CORPUS, default_sigint, entry_point, run_cli, wait_for_training
from w2v_nce.io.stale import owner
from w2v_nce.model import load

# 2 epochs × 11 blocks of the demo corpus: 22 tasks of a fraction of a second each.
SETTINGS = ["--dim", "20", "--epochs", "2", "--threads", "1", "--seed", "7", "--quiet"]


def train(workdir, *extra, kill=None, corpus=DEMO_CORPUS):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    env.pop("W2V_NCE_TEST_KILL", None)
    if kill:
        env["W2V_NCE_TEST_KILL"] = kill
    return subprocess.run(
        [entry_point(), "train", str(corpus), *SETTINGS, "-o", "v.txt", "--save-model", "m.npz",
         "--tmp-dir", "tmp", *extra],
        cwd=workdir, capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The same run, never interrupted (no checkpoint at all)."""
    work = tmp_path_factory.mktemp("whole")
    (work / "tmp").mkdir()
    done = train(work)
    assert done.returncode == 0, done.stderr
    return load(work / "m.npz")


@pytest.fixture
def work(tmp_path):
    (tmp_path / "tmp").mkdir()
    return tmp_path


def leftovers(work):
    """Temporary files and encoded corpora left in the work directory and --tmp-dir."""
    names = [p.name for p in [*work.iterdir(), *(work / "tmp").iterdir()]]
    return sorted(name for name in names if name.startswith((".", "w2v")))


def assert_same_vectors(work, reference):
    model = load(work / "m.npz")
    np.testing.assert_array_equal(model.input, reference.input)
    np.testing.assert_array_equal(model.output, reference.output)
    assert model.config["words_trained"] == reference.config["words_trained"]
    assert not model.config["interrupted"]


@pytest.mark.parametrize(
    ("kill", "left"),
    [("encoded", 1), ("task:1", 1), ("task:9", 1), ("task:21", 1), ("checkpoint:4", 2),
     ("outputs", 1)],
    ids=["while encoding", "first task", "mid-training", "last task", "writing a checkpoint",
         "writing the outputs"],
)  # fmt: skip
def test_killed_run_resumes_to_the_uninterrupted_vectors(work, uninterrupted, kill, left):
    """``left``: what the killed run leaves: its encoded corpus (until the outputs are
    written) and the temporary file it was writing."""
    ck = ["--checkpoint", "ck.npz", "--checkpoint-every", "0"]
    killed = train(work, *ck, kill=kill)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (work / "m.npz").exists()
    assert len(leftovers(work)) == left
    resumed = run_cli_in(work, *ck)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_vectors(work, uninterrupted)
    assert leftovers(work) == []  # killed run's temp files and encoded corpus removed
    assert not (work / "ck.npz").exists()  # a finished run removes its checkpoint
    assert f"removed {left} file(s) left by killed runs" in resumed.stderr
    # Killed before the first checkpoint (after the first task): it starts over.
    resumed_from = "resumed from ck.npz at epoch" in resumed.stderr
    assert resumed_from == (kill not in ("encoded", "task:1"))


def run_cli_in(work, *extra):
    """The same command, not quiet (to read what it says), without a kill point."""
    settings = [s for s in SETTINGS if s != "--quiet"]
    return run_cli(
        "train", DEMO_CORPUS, *settings, "-o", "v.txt", "--save-model", "m.npz",
        "--tmp-dir", "tmp", *extra, cwd=work,
    )  # fmt: skip


def killed_with_checkpoint(work, after="task:9"):
    killed = train(work, "--checkpoint", "ck.npz", "--checkpoint-every", "0", kill=after)
    assert killed.returncode == -signal.SIGKILL
    return (work / "ck.npz").read_bytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--dim", "30"], "--dim 30 now, 20 in the checkpoint ck.npz"),
        (["--loss", "nce"], "--loss nce now, neg in the checkpoint ck.npz"),
        (["--seed", "8"], "--seed 8 now, 7 in the checkpoint ck.npz"),
        (["--epochs", "3"], "--epochs 3 now, 2 in the checkpoint ck.npz"),
    ],
)
def test_a_changed_option_is_refused_and_the_checkpoint_kept(work, change, message):
    saved = killed_with_checkpoint(work)
    result = train(work, "--checkpoint", "ck.npz", *change)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {message}; rerun with the same corpus and options to resume, or remove the "
        "checkpoint (or give --checkpoint another path) to start over; the checkpoint was "
        "left as it is"
    ]
    assert (work / "ck.npz").read_bytes() == saved


def test_more_threads_may_resume_a_run(work, uninterrupted):
    killed_with_checkpoint(work)
    result = run_cli_in(work, "--checkpoint", "ck.npz", "--threads", "2")
    assert result.returncode == 0, result.stderr
    assert "--threads 2 now, 1 in the checkpoint" in result.stderr
    model = load(work / "m.npz")
    assert model.config["words_trained"] == uninterrupted.config["words_trained"]
    # Hogwild's order differs, the quality does not: WordSim-353 inside the other's interval.
    ours, theirs = w2v_nce.evaluate(model), w2v_nce.evaluate(uninterrupted)
    assert theirs["ws353_ci"][0] <= ours["ws353"] <= theirs["ws353_ci"][1]


def test_a_changed_corpus_is_refused(work):
    corpus = work / "corpus.txt"
    text = "the cat sat on the mat and the dog sat on the log\n" * 30_000  # three blocks
    corpus.write_text(text)
    killed = train(work, "--checkpoint", "ck.npz", "--checkpoint-every", "0", "--min-count",
                   "1", kill="checkpoint:2", corpus=corpus)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    saved = (work / "ck.npz").read_bytes()
    corpus.write_text(text + "one more line\n")
    result = train(work, "--checkpoint", "ck.npz", "--min-count", "1", corpus=corpus)
    assert result.returncode == 2 and "has 1,500,014 bytes now, 1,500,000" in result.stderr
    corpus.write_text(text.replace("cat", "cow"))  # the same size, other words
    result = train(work, "--checkpoint", "ck.npz", "--min-count", "1", corpus=corpus)
    assert (
        result.returncode == 2 and "has other content now than in the checkpoint" in result.stderr
    )
    assert (work / "ck.npz").read_bytes() == saved


@pytest.mark.parametrize("damage", ["truncated", "garbage", "not a checkpoint"])
def test_a_damaged_checkpoint_is_a_clear_error_never_a_fresh_start(work, damage):
    saved = killed_with_checkpoint(work)
    if damage == "truncated":
        (work / "ck.npz").write_bytes(saved[: len(saved) // 2])
    elif damage == "garbage":
        (work / "ck.npz").write_bytes(b"\x00" * 1000)
    else:  # a model, not a checkpoint
        run_cli("train", DEMO_CORPUS, "--dim", "4", "--epochs", "1", "-q", "-o", work / "x.txt",
                "--save-model", work / "ck.npz")  # fmt: skip
    before = (work / "ck.npz").read_bytes()
    result = train(work, "--checkpoint", "ck.npz")
    assert result.returncode == 1
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ck.npz") and "Traceback" not in result.stderr
    assert "left as it is" in err[0]
    assert (work / "ck.npz").read_bytes() == before
    assert not (work / "m.npz").exists()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_write_a_checkpoint_then_the_rerun_finishes(
    work, uninterrupted, signum, code
):
    proc = subprocess.Popen(
        [entry_point(), "train", str(DEMO_CORPUS), *SETTINGS[:-1], "-o", "v.txt",
         "--save-model", "m.npz", "--tmp-dir", "tmp", "--checkpoint", "ck.npz"],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_sigint,
    )  # fmt: skip
    wait_for_training(proc)
    time.sleep(0.2)  # into training (1.5 s of it; at the default interval: no checkpoint yet)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    err = err.splitlines()[-1]
    assert proc.returncode == code, err
    assert "saved the checkpoint ck.npz (rerun the same command to resume)" in err
    assert (work / "ck.npz").exists() and not (work / "m.npz").exists()
    resumed = run_cli_in(work, "--checkpoint", "ck.npz")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_vectors(work, uninterrupted)
    assert leftovers(work) == []


def test_stdin_with_a_checkpoint_is_refused(work):
    result = run_cli("train", "-", "--checkpoint", "ck.npz", cwd=work, input="a b c\n")
    assert result.returncode == 2
    assert "--checkpoint needs a corpus that can be read again" in result.stderr
    assert not (work / "ck.npz").exists()


def test_a_live_runs_files_are_not_touched(work):
    """Files named like a killed run's but of a process that is alive stay."""
    live = work / f".v.txt.{owner()}.abcd1234.tmp"
    live.write_text("in progress")
    result = run_cli_in(work, "--epochs", "1")
    assert result.returncode == 0, result.stderr
    assert live.exists()


def test_ctrl_c_between_marking_a_task_done_and_counting_it_loses_no_words(
    work, uninterrupted, monkeypatch
):
    """Ctrl-C lands in the main thread wherever it is; here, on the third task, after
    the task is marked done and before its numbers are added (where a CI run's came:
    the checkpoint claimed a block's words fewer than its model had trained). The
    checkpoint counts every task the pool trained, so the rerun ends with the
    uninterrupted run's words as well as its vectors."""
    from w2v_nce.model import TrainStats

    add, calls = TrainStats.add, []

    def interrupted_once(self, *numbers):
        calls.append(numbers)
        if len(calls) == 3:
            raise KeyboardInterrupt
        add(self, *numbers)

    monkeypatch.setattr(TrainStats, "add", interrupted_once)
    options = dict(dim=20, epochs=2, threads=1, seed=7, progress=False)
    checkpoint = str(work / "ck.npz")
    with pytest.raises(w2v_nce.TrainingInterrupted):
        w2v_nce.train(str(DEMO_CORPUS), checkpoint=checkpoint, **options)
    monkeypatch.setattr(TrainStats, "add", add)
    model = w2v_nce.train(str(DEMO_CORPUS), checkpoint=checkpoint, **options)
    np.testing.assert_array_equal(model.input, uninterrupted.input)
    assert model.config["words_trained"] == uninterrupted.config["words_trained"]
