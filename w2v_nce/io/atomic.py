"""Write output files atomically, so an interrupted run never leaves half a file.

Training can take hours and is often stopped with Ctrl-C; writing vectors can fail
half-way on a full disk. Writing straight to the destination would then destroy
the previous good file and leave a truncated one that readers choke on much
later. Instead we write to a temporary file in the *same directory* (so that
``os.replace`` is an atomic rename on the same filesystem), fsync it, and only then
rename it over the destination. The temporary file's name says which process on which
host wrote it (:mod:`w2v_nce.io.stale`), so that one left by a killed run can be removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from w2v_nce.errors import UserError
from w2v_nce.io.stale import remove_stale as remove_stale  # callers import it from here
from w2v_nce.io.stale import temp_prefix

# Errors raised while the caller writes into the temporary file that the user can
# fix (free space, quota, file-size limit); anything else keeps its traceback.
NO_SPACE_ERRNOS = frozenset(
    e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG) if e is not None
)


def _resolve(path: str | os.PathLike) -> str:
    """Absolute path with symlinks resolved.

    Replacing a symlink would silently turn it into a regular file; users who point
    ``--output`` at a symlink expect the file it points to to be updated.
    """
    return os.path.realpath(os.fspath(path))


def _check_not_special(target: str, shown: str) -> None:
    """Refuse directories and non-regular files (``/dev/null``, FIFOs, sockets).

    ``os.replace`` onto a device node would replace the node itself -- as root that
    would clobber ``/dev/null`` -- so only regular files (or nothing) are allowed.
    """
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return
    except NotADirectoryError:  # small.txt/v.txt: a part of the path is a file
        raise UserError(
            f"cannot use output path {shown}: {os.path.dirname(shown)} is a file, not a "
            "directory; choose another output path"
        ) from None
    except OSError as exc:
        raise UserError(f"cannot use output path {shown}: {exc.strerror}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise UserError(f"output path {shown} is a directory; give a file name inside it instead")
    if not stat.S_ISREG(st.st_mode):
        raise UserError(
            f"output path {shown} exists and is not a regular file; choose another output path"
        )


def _missing_directory(directory: str) -> str:
    return f"output directory {directory} does not exist; create it or choose another output path"


def check_writable_output(path: str | os.PathLike) -> None:
    """Fail early, before training starts, if ``path`` cannot be written.

    Raises :class:`UserError` with a one-line message saying what to do when the
    parent directory is missing, ``path`` is a directory (or other non-regular
    file), or no file can be created in the directory (permissions, a read-only
    or pseudo filesystem). This is a best-effort early check;
    :func:`atomic_output` still reports failures that only show up when writing.
    """
    shown = os.fspath(path)
    target = _resolve(path)
    directory = os.path.dirname(target)
    _check_not_special(target, shown)
    if not os.path.isdir(directory):
        raise UserError(_missing_directory(directory))
    # W_OK to create the temporary file, X_OK to reach entries inside the directory.
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UserError(
            f"output directory {directory} is not writable; fix its permissions or choose "
            f"another output path"
        )
    # access() says yes to root everywhere and knows nothing of read-only mounts or
    # pseudo-filesystems: create (and remove) the same kind of temporary file that
    # atomic_output will write, which is the real test.
    name = os.path.basename(target)
    try:
        fd, probe = tempfile.mkstemp(prefix=temp_prefix(name), suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UserError(
            f"cannot create files in output directory {directory} ({exc.strerror}); "
            "choose another output path"
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _new_file_mode(target: str) -> int:
    """Permissions the finished file should get.

    ``mkstemp`` creates files with mode 0600, which would make every output
    unreadable to other users; keep the old file's mode when replacing one,
    otherwise use what a plain ``open()`` would have given (0666 minus umask).
    """
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        pass
    umask = os.umask(0)  # the only portable way to read the umask is to set it
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable; not supported everywhere, so best effort."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Context manager yielding a binary file that replaces ``path`` on success.

    The data goes to ``.<name>.<host>-<pid>.XXXXXXXX.tmp`` next to ``path``. On normal exit it is
    flushed, fsynced and renamed over ``path`` with ``os.replace``. On *any*
    exception -- including ``KeyboardInterrupt`` -- the temporary file is closed and
    removed and the exception propagates, so a pre-existing ``path`` is untouched
    and no temporary file is left behind. Out-of-space style ``OSError``s become a
    one-line :class:`UserError`.
    """
    shown = os.fspath(path)
    target = _resolve(path)
    directory, name = os.path.split(target)
    _check_not_special(target, shown)
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(name), suffix=".tmp", dir=directory)
    except FileNotFoundError:  # the API's model.save and the like, which no check preceded
        raise UserError(_missing_directory(directory)) from None
    except OSError as exc:
        raise UserError(f"cannot write {shown}: {exc.strerror}") from exc
    fh = os.fdopen(fd, "wb")
    try:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        os.chmod(tmp, _new_file_mode(target))
        os.replace(tmp, target)
    except BaseException as exc:
        # close() flushes whatever is still buffered, which can fail again (disk
        # full); that must not replace the exception we are propagating.
        with contextlib.suppress(OSError):
            fh.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS:
            raise UserError(f"cannot write {shown}: {exc.strerror}") from exc
        raise
    _fsync_directory(directory)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """``a`` and ``b`` name one file: the same resolved path, or the same inode."""
    if _resolve(a) == _resolve(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): different files
        return False


def check_distinct(named: list[tuple[str, str | os.PathLike | None]]) -> None:
    """A UsageError if two of the ``(option, path)`` outputs are the same file: one would
    overwrite (or, for a checkpoint, delete) the other. Unset paths are ignored."""
    from w2v_nce.errors import UsageError

    given = [(option, path) for option, path in named if path]
    for i, (option, path) in enumerate(given):
        for other, other_path in given[i + 1 :]:
            if same_file(path, other_path):
                raise UsageError(
                    f"{option} and {other} are the same file ({os.fspath(path)}); "
                    f"give each output its own path"
                )
