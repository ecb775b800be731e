"""Data-parallel training on a real Dask LocalCluster of 2 worker processes (issue 25).

One cluster for the module; each training run is a few seconds. What is checked:
the vocabulary is one process's, training learns a planted structure and lowers
the loss, two runs give the same vectors bit for bit, a worker SIGKILLed in the
middle of a round changes nothing (its task reruns from the synchronised model),
a checkpoint resumes to the uninterrupted result, and a worker's bad byte is the
one-process error message.
"""

import bz2
import gzip
import logging
import os
import signal
import subprocess
import time

import numpy as np
import pytest

distributed = pytest.importorskip("dask.distributed")

import w2v_nce  # noqa: E402
from w2v_nce.errors import TrainingInterrupted, UserError  # noqa: E402
from w2v_nce.io.encode import encode_corpus  # noqa: E402
from w2v_nce.training import distributed as dist  # noqa: E402
from w2v_nce.vocab import Fresh  # noqa: E402

from .conftest import default_sigint, entry_point, run_cli, wait_for_training  # noqa: E402

GROUPS, GROUP_SIZE, FILLERS = 8, 6, 200
OPTIONS = dict(
    dim=24, epochs=2, window=3, k=5, sample=0, min_count=2, threads=1, seed=7, sync_every=12_000
)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


def planted_lines(n: int, seed: int = 0) -> list[str]:
    """Sentences of one group's words and a few fillers: a word's neighbours are its group."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n):
        group = rng.integers(GROUPS)
        words = [f"g{group}w{w}" for w in rng.integers(GROUP_SIZE, size=8)]
        words += [f"f{f}" for f in rng.integers(FILLERS, size=3)]
        rng.shuffle(words)
        lines.append(" ".join(words))
    return lines


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = tmp_path_factory.mktemp("planted") / "planted.txt"
    path.write_text("\n".join(planted_lines(6000)) + "\n")
    return path


@pytest.fixture(scope="module")
def reference(client, planted):
    """The planted corpus trained once on the cluster."""
    return w2v_nce.train(planted, client=client, progress=False, **OPTIONS)


def test_vocabulary_is_one_process_s(client, tmp_path):
    """A directory of a plain file (BOM, CRLF, tabs, a bad byte replaced), a .gz and a
    .bz2, counted in pieces on the workers: the vocabulary and counts of one process."""
    lines = planted_lines(3000, seed=1)
    texts = [
        "\ufeff" + "\r\n".join(lines[:1000]).replace(" ", "\t", 50) + "\n",
        "\n".join(lines[1000:2000]) + "\nbad\xff\xfe word g0w1\n",
        "\n\n".join(lines[2000:]),
    ]
    folder = tmp_path / "corpus"
    folder.mkdir()
    data = [t.encode("utf-8", "surrogateescape") for t in texts]
    data[1] = texts[1].encode("latin-1", "replace")
    (folder / "a.txt").write_bytes(data[0])
    (folder / "b.txt.gz").write_bytes(gzip.compress(data[1]))
    (folder / "c.txt.bz2").write_bytes(bz2.compress(data[2]))
    whole = tmp_path / "whole.txt"
    whole.write_bytes(data[0] + data[1] + data[2])

    pieces = dist.split_corpus(str(folder), 3)
    assert len(pieces) == 5  # the plain file in 3 ranges, the compressed ones whole
    counted = dist.count_corpus(client, pieces, "replace", "corpus")
    vocab, _ = Fresh(2, None)(counted.words, counted.counts, "corpus")
    with encode_corpus(whole, min_count=2, encoding_errors="replace") as one:
        assert vocab.words == one.vocab.words
        assert np.array_equal(vocab.counts, one.vocab.counts)
        assert counted.tokens == one.raw_tokens
        assert counted.sentences == one.sentences


def test_a_file_url_is_read_as_its_local_path(client, tmp_path):
    """An fsspec URL (file://, a glob, a plain file with a BOM and a .gz) is split into
    newline-aligned pieces, counted on the workers and encoded as its local path is."""
    lines = planted_lines(2000, seed=3)
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("\ufeff" + "\n".join(lines[:1500]) + "\n")
    (folder / "b.txt.gz").write_bytes(gzip.compress("\n".join(lines[1500:]).encode()))
    url = f"file://{folder}/*.txt*"
    pieces, local = dist.split_corpus(url, 3), dist.split_corpus(str(folder), 3)
    assert len(pieces) == 4 and all(p.path.startswith("file://") for p in pieces)
    assert pieces[-1].end == -1  # the .gz whole
    counted = dist.count_corpus(client, pieces, "strict", url)
    expected = dist.count_corpus(client, local, "strict", str(folder))
    assert counted.words == expected.words and np.array_equal(counted.counts, expected.counts)
    ids = dist.encode_shard(pieces, counted.words, "strict")
    assert np.array_equal(ids, dist.encode_shard(local, counted.words, "strict"))
    with pytest.raises(UserError, match="no file at file://"):
        dist.split_corpus(f"file://{folder}/*.csv", 2)


def test_a_worker_s_bad_byte_is_the_one_process_error(client, tmp_path):
    lines = planted_lines(400, seed=2)
    lines[300] += " caf\xe9"
    path = tmp_path / "bad.txt"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(UserError) as one:
        encode_corpus(path)
    with pytest.raises(UserError) as cluster:
        w2v_nce.train(path, client=client, progress=False, **OPTIONS)
    assert str(cluster.value) == str(one.value)
    assert "line 301 is not valid UTF-8" in str(one.value)


def test_a_model_too_large_for_the_workers_is_refused_before_it_is_made(client, planted, reference):
    """A dim at which each of the 2 workers would hold more than its Dask memory limit
    (its mirror, its training copy and the 2 updates of a round, each half a model in
    bfloat16: 3 models) is refused before anything large is made; the driver (the model
    and a snapshot) would fit."""
    limit = min(w["memory_limit"] for w in client.scheduler_info()["workers"].values())
    dim = limit // (3 * len(reference.vocab) * 2 * 4) + 1
    with pytest.raises(UserError, match="not enough memory on the Dask workers"):
        w2v_nce.train(planted, client=client, progress=False, **{**OPTIONS, "dim": dim})


def test_training_learns_the_planted_groups(reference, planted, client, tmp_path):
    loss_log = tmp_path / "loss.tsv"
    model = w2v_nce.train(
        planted, client=client, progress=False, loss_log=str(loss_log), **{**OPTIONS, "seed": 8}
    )
    losses = [float(row.split("\t")[3]) for row in loss_log.read_text().splitlines()[1:]]
    assert len(losses) == model.config["distributed"]["rounds"] >= 6
    assert losses[-1] < 0.8 * losses[0]
    hits = 0
    for group in range(GROUPS):
        word = f"g{group}w0"
        hits += sum(w.startswith(f"g{group}w") for w, _ in model.most_similar(word, topn=5))
    assert hits >= 0.9 * GROUPS * 5
    assert model.stats.words == 2 * model.config["corpus_words"]
    assert model.config["distributed"]["workers"] == 2


def test_two_runs_give_the_same_vectors(reference, planted, client):
    again = w2v_nce.train(planted, client=client, progress=False, **OPTIONS)
    assert np.array_equal(again.input, reference.input)
    assert np.array_equal(again.output, reference.output)


def test_a_killed_worker_changes_nothing(reference, planted, client, monkeypatch):
    """SIGKILL to a worker while round 2's tasks run: Dask restarts the worker and reruns
    its task from the synchronised model; every shard is trained, the result is exact."""
    submit = dist.Rounds._submit
    killed = []

    def submit_then_kill(self, number, epoch, rnd, shard, previous):
        future = submit(self, number, epoch, rnd, shard, previous)
        if number == 2 and not killed:
            time.sleep(0.2)
            pid = next(iter(client.run(os.getpid).values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        return future

    monkeypatch.setattr(dist.Rounds, "_submit", submit_then_kill)
    model = w2v_nce.train(planted, client=client, progress=False, **OPTIONS)
    client.wait_for_workers(2, timeout=60)
    assert killed and killed[0] not in client.run(os.getpid).values()
    assert model.stats.words == 2 * model.config["corpus_words"]
    assert np.array_equal(model.input, reference.input)
    assert np.array_equal(model.output, reference.output)


def test_checkpoint_resumes_to_the_same_vectors(reference, planted, client, tmp_path, monkeypatch):
    ck = tmp_path / "ck.npz"
    count_round = dist._count_round

    def stop_at_round_3(sync, updates, seconds):  # after the round's sync
        count_round(sync, updates, seconds)
        if sync.rounds == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(dist, "_count_round", stop_at_round_3)
    with pytest.raises(TrainingInterrupted) as stop:
        w2v_nce.train(planted, client=client, progress=False, checkpoint=str(ck), **OPTIONS)
    assert stop.value.checkpoint == str(ck) and ck.exists()
    monkeypatch.setattr(dist, "_count_round", count_round)
    model = w2v_nce.train(planted, client=client, progress=False, checkpoint=str(ck), **OPTIONS)
    assert model.stats.resumed_words > 0
    # the checkpoint's count of words is the rounds it holds, though Ctrl-C (here, inside
    # a round's counting) came between a round's being marked done and being counted
    assert model.stats.words == reference.stats.words
    assert not ck.exists()  # removed when the run finished
    assert np.array_equal(model.input, reference.input)
    assert np.array_equal(model.output, reference.output)


def test_the_command_line_trains_on_workers(planted, tmp_path):
    """--workers through the real entry point: its own LocalCluster, a model that says so."""
    out = tmp_path / "model.npz"
    result = run_cli(
        "train", planted, "--workers", "2", "--threads", "1", "--dim", "16", "--epochs", "1",
        "--min-count", "2", "-o", tmp_path / "v.txt", "--save-model", out, "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    model = w2v_nce.load(out)
    assert model.config["distributed"]["workers"] == 2
    bad = run_cli("train", "-", "--workers", "2", input="a b c\n")
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and bad.stderr.startswith("error: --workers")


def test_ctrl_c_writes_the_checkpoint_and_the_rerun_resumes(planted, tmp_path):
    """Ctrl-C to the whole process group (as a terminal sends it, workers included): one
    error line naming the checkpoint, exit 130; the same command then resumes."""
    ck = tmp_path / "ck.npz"
    command = [
        entry_point(), "train", planted, "--workers", "2", "--threads", "1", "--dim", "16",
        "--epochs", "12", "--min-count", "2", "--sync-every", "4000", "--checkpoint", ck,
        "-o", tmp_path / "v.txt",
    ]  # fmt: skip

    def own_group():
        default_sigint()
        os.setsid()

    proc = subprocess.Popen(
        list(map(str, command)), stderr=subprocess.PIPE, text=True, preexec_fn=own_group
    )
    wait_for_training(proc)
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130
    lines = [line for line in rest.replace("\r", "\n").splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and f"saved the checkpoint {ck}" in lines[0], rest
    assert "Traceback" not in rest
    again = run_cli(*command[1:], "--quiet")
    assert again.returncode == 0, again.stderr
    assert not ck.exists()


def test_the_driver_receives_snapshots_not_updates(reference):
    """Each update goes from worker to worker; the driver is sent whole models only:
    the snapshot after the last round (and one every SNAPSHOT_SECONDS of a long run)."""
    sync = reference.config["distributed"]
    model_bytes = reference.input.nbytes + reference.output.nbytes
    assert sync["bytes_to_driver"] >= model_bytes
    assert sync["bytes_to_driver"] % model_bytes == 0
    assert sync["bytes_between_workers"] == sync["update_bytes"] > 0  # 2 workers: once each


def test_a_checkpoint_from_a_snapshot_resumes_to_the_same_vectors(
    reference, planted, client, tmp_path, monkeypatch
):
    """--checkpoint-every 0: a snapshot asked for after every round and written with its
    round's state; a run that fails (no Ctrl-C handling) leaves the last one, and the
    rerun resumes from it to the uninterrupted vectors."""
    from w2v_nce.training import checkpoint

    ck = tmp_path / "ck.npz"
    count_round = dist._count_round

    def fail_at_round_5(sync, numbers, seconds):
        count_round(sync, numbers, seconds)
        if sync.rounds == 5:
            raise RuntimeError("stop")

    monkeypatch.setattr(dist, "_count_round", fail_at_round_5)
    options = {**OPTIONS, "checkpoint": str(ck), "checkpoint_every": 0}
    with pytest.raises(RuntimeError, match="stop"):
        w2v_nce.train(planted, client=client, progress=False, **options)
    saved = checkpoint.load(str(ck))
    assert 0 < saved.state.done.sum() < 5 and not saved.state.done[5:].any()
    assert saved.state.stats.words < reference.stats.words
    monkeypatch.setattr(dist, "_count_round", count_round)
    model = w2v_nce.train(planted, client=client, progress=False, **options)
    assert model.stats.resumed_words == saved.state.stats.words
    assert np.array_equal(model.input, reference.input)
    assert np.array_equal(model.output, reference.output)


def test_hs_tree_is_one_process_s(client, planted):
    """hs's Huffman tree takes words of equal count in order of first appearance: the
    cluster finds that order in its merged counts, one process in its id file; the trees
    are the same, and not the tree of the vocabulary's alphabetical order."""
    from w2v_nce.model import huffman_tree

    options = {**OPTIONS, "loss": "hs", "epochs": 1}
    cluster = w2v_nce.train(planted, client=client, progress=False, **options)
    one = w2v_nce.train(planted, progress=False, **options)
    assert cluster.vocab == one.vocab
    counts = one.counts
    assert len(np.unique(counts)) < len(counts) / 2  # many ties to order
    for mine, theirs in zip(cluster.tree, one.tree, strict=True):
        assert np.array_equal(mine, theirs)
    alphabetical = huffman_tree(counts)
    assert not all(np.array_equal(a, b) for a, b in zip(alphabetical, one.tree, strict=True))
