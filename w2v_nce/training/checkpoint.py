"""Checkpoints: the state of a run at a task boundary, and resuming from it.

A checkpoint is a ``.npz`` holding the model as :meth:`Model.to_npz_arrays`
writes it (so ``w2v-nce most-similar --vectors ck.npz`` works on it too) and two
more arrays: ``checkpoint_done``, one bool per (epoch, block) task, and
``checkpoint_state``, a JSON object with the run's options, its statistics so far
and the identity of its corpus and of its ``--init`` model.

Every task has its own seed and learning rate from its position in the schedule
(trainer.py), so the state at a task boundary is all a resumed run needs: it
skips the done tasks and runs the others with their own seeds. With one thread
the tasks run in order and the checkpoint is written with none running, so a
resumed run replays exactly the tasks an uninterrupted run would have run next:
the result is bit-for-bit the same. With more threads the tasks done when the
checkpoint was written are the ones skipped; none is skipped that did not finish,
none is run twice.

Writing is atomic (temporary file in the same directory, fsync, rename, fsync of
the directory), so a crash while writing leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from dataclasses import dataclass

import numpy as np

from w2v_nce import faults
from w2v_nce.errors import UsageError, UserError
from w2v_nce.model import Model, TrainStats, load_npz
from w2v_nce.training.trainer import RunState

FORMAT = 1
STATE_KEY = "checkpoint_state"
DONE_KEY = "checkpoint_done"
#: Config entries that may differ on resume: they do not change what is computed.
MAY_DIFFER = ("threads",)


@dataclass
class Checkpoint:
    path: str
    model: Model
    state: RunState
    info: dict  # options, corpus, init identity (see save)


def save(path: str, model: Model, state: RunState, info: dict) -> str:
    """Write the checkpoint atomically; returns ``path``."""
    from w2v_nce.io.atomic import atomic_output

    record = {
        "format": FORMAT,
        **info,
        "stats": {
            "words": state.stats.words,
            "examples": state.stats.examples,
            "loss_sum": state.stats.loss_sum,
        },
    }
    arrays = model.to_npz_arrays()
    arrays[STATE_KEY] = np.array(json.dumps(record, sort_keys=True))
    arrays[DONE_KEY] = np.asarray(state.done, dtype=bool)
    with atomic_output(path) as handle:
        np.savez(handle, **arrays)
        handle.flush()
        faults.point("checkpoint")
    return path


class Writer:
    """A run's checkpoints: the trainer asks :meth:`due` between tasks and calls :meth:`save`."""

    def __init__(self, path: str, info: dict, every: float):
        self.path = path
        self.info = info  # options, corpus, init identity (see save)
        self.every = every  # seconds between checkpoints
        self.last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def save(self, model: Model, state: RunState) -> str:
        path = save(self.path, model, state, self.info)
        self.last = time.monotonic()
        return path


def load(path: str) -> Checkpoint:
    """Read a checkpoint; a corrupt or truncated one is a UserError, never a fresh start."""
    keep = "the checkpoint was left as it is: remove it to start over"
    _check_whole(path, keep)
    try:
        model, arrays = load_npz(path, extra=(STATE_KEY, DONE_KEY))
        info = json.loads(str(arrays[STATE_KEY]))
    except UserError as exc:
        raise UserError(f"{exc}; {keep}") from None
    except ValueError as exc:  # the state is not JSON
        raise UserError(f"{path}: the checkpoint is damaged ({exc}); {keep}") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise UserError(f"{path}: not a checkpoint of this version (format {FORMAT}); {keep}")
    stats = info.get("stats")
    if not isinstance(stats, dict) or not {"words", "examples", "loss_sum"} <= set(stats):
        raise UserError(f"{path}: the checkpoint's state is incomplete; {keep}")
    done = np.asarray(arrays[DONE_KEY], dtype=bool)
    state = RunState(
        done,
        TrainStats(words=stats["words"], examples=stats["examples"], loss_sum=stats["loss_sum"]),
    )
    return Checkpoint(path, model, state, info)


def _check_whole(path: str, keep: str) -> None:
    """A UserError saying "damaged checkpoint" for an empty file or a broken zip, and
    "not a checkpoint" for a model saved by --save-model, before the arrays are read."""
    damaged = f"{path}: damaged checkpoint"
    try:
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise UserError(f"{damaged} (an empty file); {keep}")
        if not os.path.isfile(path):
            return  # load_npz says what it is
        if not zipfile.is_zipfile(path):
            raise UserError(f"{damaged} (not a zip archive, which a checkpoint is); {keep}")
        with zipfile.ZipFile(path) as archive:
            names = {os.path.splitext(n)[0] for n in archive.namelist()}
            broken = archive.testzip()
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise UserError(f"{damaged} ({exc}); {keep}") from None
    if broken is not None:
        raise UserError(f"{damaged} (its {broken} does not match its checksum); {keep}")
    if STATE_KEY not in names and "input" in names:
        raise UserError(
            f"{path} is a model (written by --save-model or model.save), not a checkpoint; "
            "give --checkpoint a path of its own; the file was left as it is"
        )


def check_same(checkpoint: Checkpoint, options: dict, corpus: dict, init: dict | None) -> list[str]:
    """A UsageError naming the first difference between this run and the checkpoint's.

    ``options`` are the run's resolved options, ``corpus`` the corpus identity
    known before reading it (path, size, mtime), ``init`` the --init model's.
    Returns notes for the differences that are allowed (``MAY_DIFFER``).
    """
    saved = checkpoint.info
    notes = []
    for name, value in options.items():
        old = saved["options"].get(name)
        if old == value:
            continue
        option = f"--{name.replace('_', '-')}"
        now, then = f"{option} {_shown(value)}", _shown(old) if old is not None else "not set"
        if name in MAY_DIFFER:
            notes.append(f"{now} now, {then} in the checkpoint")
            continue
        raise _differs(checkpoint.path, f"{now} now, {then}")
    old_corpus = saved["corpus"]
    if corpus["size"] != old_corpus["size"]:
        raise _differs(
            checkpoint.path,
            f"the corpus {corpus['path']} has {corpus['size']:,} bytes now, {old_corpus['size']:,}",
        )
    if saved.get("init") != init:
        raise _differs(checkpoint.path, "the --init model is not the same")
    return notes


def check_same_encoding(checkpoint: Checkpoint, fingerprint: str, path: str) -> None:
    """After encoding: the corpus's ids and vocabulary are the checkpoint's."""
    if checkpoint.info["corpus"]["fingerprint"] != fingerprint:
        raise _differs(checkpoint.path, f"the corpus {path} has other content now than")


def _shown(value) -> str:
    """An option's value as it would be typed: 0.001 and 0 (not 0.0), none for None."""
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _differs(path: str, what: str) -> UsageError:
    return UsageError(
        f"{what} in the checkpoint {path}; rerun with the same corpus and options to resume, "
        "or remove the checkpoint (or give --checkpoint another path) to start over; the "
        "checkpoint was left as it is"
    )


def file_identity(path: str) -> dict:
    """What is known of a corpus file before reading it: its path, size and mtime."""
    st = os.stat(path)
    return {"path": os.path.abspath(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
