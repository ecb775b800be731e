"""Fault injection for the crash tests: SIGKILL this process at a named point.

The checkpoint tests must kill a real process at exact moments -- while the
corpus is being encoded, between two training tasks, half-way through writing a
checkpoint or the outputs -- and a timer cannot hit those reliably. With
``W2V_NCE_TEST_KILL=NAME`` (or ``NAME:N``, the N-th time the point is reached) in
the environment, :func:`point` sends SIGKILL to its own process there, which is
exactly what an OOM killer or a pre-empted machine does. Without the variable it
does nothing. No user-facing behaviour depends on it.
"""

import os
import signal

_VARIABLE = "W2V_NCE_TEST_KILL"
_seen: dict[str, int] = {}


def point(name: str) -> None:
    wanted = os.environ.get(_VARIABLE)
    if not wanted:
        return
    target, _, nth = wanted.partition(":")
    if target != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
