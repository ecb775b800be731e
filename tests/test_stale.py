"""What a killed run leaves behind, and its removal by the next run (w2v_nce.io.stale)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from w2v_nce.io.atomic import atomic_output, check_writable_output
from w2v_nce.io.encode import make_workdir
from w2v_nce.io.stale import host, remove_stale

# A child that starts writing two outputs and encoding a corpus, then waits to be killed.
CHILD = textwrap.dedent(
    """
    import sys, time
    from w2v_nce.io.atomic import atomic_output
    from w2v_nce.io.encode import make_workdir

    out, model, tmp_dir = sys.argv[1:4]
    with atomic_output(out) as a, atomic_output(model) as b:
        a.write(b"half of the vectors")
        workdir = make_workdir(tmp_dir)
        open(workdir + "/provisional-0.int32", "wb").write(b"1234")
        print(workdir, flush=True)
        time.sleep(600)
    """
)


class Child:
    def __init__(self, tmp_path):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, tmp_path / "vectors.txt", tmp_path / "model.npz",
             tmp_path / "scratch"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.workdir = self.proc.stdout.readline().strip()
        assert self.workdir, "the child did not start"

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()  # reaped: its pid no longer exists

    def stop(self):
        if self.proc.poll() is None:
            self.kill()


@pytest.fixture
def place(tmp_path):
    (tmp_path / "scratch").mkdir()
    (tmp_path / "vectors.txt").write_text("the previous vectors")
    return tmp_path


def left(place) -> tuple[list[str], list[str]]:
    hidden = sorted(p.name for p in place.glob(".*.tmp"))
    return hidden, sorted(p.name for p in (place / "scratch").iterdir())


def outputs(place) -> list[str]:
    return [str(place / "vectors.txt"), str(place / "model.npz")]


def test_names_carry_host_and_pid(place):
    with atomic_output(place / "vectors.txt"):
        (name,) = left(place)[0]
    assert name.startswith(f".vectors.txt.{host()}-{os.getpid()}.") and name.endswith(".tmp")
    workdir = os.path.basename(make_workdir(str(place / "scratch")))
    assert workdir.startswith(f"w2v-nce-{host()}-{os.getpid()}-")
    assert "-" not in host() and "." not in host() and host()


def test_what_a_killed_process_left_is_removed(place):
    child = Child(place)
    try:
        hidden, workdirs = left(place)
        assert len(hidden) == 2 and len(workdirs) == 1
        assert remove_stale(outputs(place), str(place / "scratch")) == []  # still alive
        assert left(place) == (hidden, workdirs)
        child.kill()
        removed = remove_stale(outputs(place), str(place / "scratch"))
    finally:
        child.stop()
    assert sorted(removed) == sorted([str(place / name) for name in hidden] + [child.workdir])
    assert left(place) == ([], [])
    assert (place / "vectors.txt").read_text() == "the previous vectors"


def test_a_live_process_keeps_its_files_while_a_dead_ones_go(place):
    live, dead = Child(place), Child(place)
    try:
        before = left(place)
        assert len(before[0]) == 4 and len(before[1]) == 2
        dead.kill()
        removed = remove_stale(outputs(place), str(place / "scratch"))
        after = left(place)
        assert len(removed) == 3
        assert all(f"-{live.proc.pid}" in name for name in after[0] + after[1])
        assert len(after[0]) == 2 and len(after[1]) == 1
    finally:
        live.stop()
        dead.stop()


def test_only_exact_names_of_this_host_are_touched(place):
    child = Child(place)
    child.kill()
    child.stop()
    pid = child.proc.pid  # dead
    scratch = place / "scratch"
    keep = [
        place / f".vectors.txt.otherhost-{pid}.abcd1234.tmp",  # another machine's
        place / f".vectors.txt.{host()}-{pid}.abcd1234.tmp.bak",
        place / ".vectors.txt.abcd1234.tmp",  # the old form, without an owner
        place / f".vectors.txt.{host()}-{pid}x.abcd1234.tmp",
        place / f".other.txt.{host()}-{pid}.abcd1234.tmp",  # not one of the outputs
        place / "vectors.txt",
    ]
    for path in keep[:-1]:
        path.write_text("x")
    keep_dirs = [scratch / f"w2v-nce-otherhost-{pid}-abcd1234", scratch / f"w2v-nce-{pid}-x"]
    for path in keep_dirs:
        path.mkdir()
    # The right name, but a symlink (to a directory) and a file instead of a directory.
    (scratch / "target").mkdir()
    os.symlink(scratch / "target", scratch / f"w2v-nce-{host()}-{pid}-abcd1234")
    (scratch / f"w2v-nce-{host()}-{pid}-efgh5678").write_text("x")
    removed = remove_stale(outputs(place), str(scratch))
    assert len(removed) == 3 and child.workdir in removed  # the child's own files only
    assert all(path.exists() for path in keep + keep_dirs)
    assert os.path.islink(scratch / f"w2v-nce-{host()}-{pid}-abcd1234")
    assert (scratch / "target").is_dir()
    assert (scratch / f"w2v-nce-{host()}-{pid}-efgh5678").is_file()


def test_a_missing_tmp_dir_or_output_directory_is_no_error(tmp_path):
    assert remove_stale([str(tmp_path / "nowhere" / "out.txt")], str(tmp_path / "nowhere")) == []


def test_the_probe_of_check_writable_output_is_named_like_the_others(place, monkeypatch):
    made = []
    real_mkstemp = __import__("tempfile").mkstemp

    def spy(*args, **kwargs):
        made.append(kwargs["prefix"])
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr("tempfile.mkstemp", spy)
    check_writable_output(place / "vectors.txt")
    assert made == [f".vectors.txt.{host()}-{os.getpid()}."]
