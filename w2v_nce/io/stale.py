"""Temporary files that say whose they are, and the removal of those a killed run left.

A run killed with SIGKILL (or by the OOM killer, or a power cut) cannot clean up:
its encoded corpus stays in the temporary directory and its half-written outputs
stay next to the outputs as hidden ``.tmp`` files. Every such name carries the
writer's host and process id:

* the encoded corpus: ``w2v-nce-<host>-<pid>-XXXXXXXX`` (a directory in ``--tmp-dir``);
* an output being written: ``.<name>.<host>-<pid>.XXXXXXXX.tmp`` next to ``<name>``.

so :func:`remove_stale` can remove exactly those of processes that no longer exist.
The host (a short, sanitised host name) keeps two machines that share a network
directory from judging each other's process ids; a name of another host, of a live
process, or not of exactly this form is never touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import stat
import tempfile

WORKDIR_PREFIX = "w2v-nce-"
_RANDOM = "[a-z0-9_]{8}"  # what tempfile.mkstemp/mkdtemp put in the middle of a name


def host() -> str:
    """The first label of the host name, with anything but letters and digits as ``_``."""
    label = socket.gethostname().split(".")[0]
    return re.sub(r"[^A-Za-z0-9]", "_", label)[:32] or "localhost"


def owner() -> str:
    """``<host>-<pid>``: whose temporary files these are (computed anew after a fork)."""
    return f"{host()}-{os.getpid()}"


def workdir_prefix() -> str:
    """The prefix of this process's encoded-corpus directories, for ``mkdtemp``."""
    return f"{WORKDIR_PREFIX}{owner()}-"


def temp_prefix(name: str) -> str:
    """The prefix of this process's temporary files for output ``name``, for ``mkstemp``."""
    return f".{name}.{owner()}."


def remove_stale(outputs: list[str], tmp_dir: str | None) -> list[str]:
    """Remove what dead processes of this host left; return the paths removed.

    Next to each of ``outputs`` (symlinks resolved, as :func:`~w2v_nce.io.atomic.atomic_output`
    does), that output's temporary files; in ``tmp_dir`` (default: $TMPDIR) the
    encoded-corpus directories. A directory that cannot be listed and a file that
    cannot be removed are left alone: this is housekeeping, never an error.
    """
    here = re.escape(host())
    removed = []
    for output in outputs:
        directory, name = os.path.split(os.path.realpath(os.fspath(output)))
        pattern = re.compile(rf"\.{re.escape(name)}\.{here}-(\d+)\.{_RANDOM}\.tmp")
        removed += _remove_dead(directory, pattern, stat.S_ISREG, os.unlink)
    where = tmp_dir if tmp_dir is not None else tempfile.gettempdir()
    pattern = re.compile(rf"{re.escape(WORKDIR_PREFIX)}{here}-(\d+)-{_RANDOM}")
    removed += _remove_dead(where, pattern, stat.S_ISDIR, shutil.rmtree)
    return removed


def _remove_dead(directory, pattern, is_kind, remove) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    removed = []
    for name in sorted(names):
        match = pattern.fullmatch(name)
        if match is None or _alive(int(match.group(1))):
            continue
        path = os.path.join(directory, name)
        with contextlib.suppress(OSError):
            if is_kind(os.lstat(path).st_mode):  # never a symlink, never the wrong kind
                remove(path)
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this host); when in doubt, it does."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):
        return True  # EPERM: it exists but is someone else's; nonsense pids: leave them
    return True
