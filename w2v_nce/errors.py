"""The exceptions of the package: user mistakes and interrupts.

The CLI catches :class:`UserError`, prints ``error: <message>`` on one line to
stderr and exits with ``exit_code`` -- never a traceback. Library code raises it
for anything a user can fix (bad path, bad option, malformed file, unknown word),
so a Python caller gets the same one-line message as an exception it can catch
(a ``ValueError``, as Python code expects of a bad argument); genuine bugs stay
ordinary exceptions so they keep their traceback.
"""

from __future__ import annotations

import signal


class UserError(ValueError):
    """A mistake the user can fix; ``str(err)`` is the one-line message."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(UserError):
    """Bad usage (an invalid option value, an unknown word): exit code 2."""

    def __init__(self, message: str):
        super().__init__(message, exit_code=2)


class W2VNceWarning(UserWarning):
    """A warning about a run or a model (a slow loss, memory that may not suffice)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an interrupt by the command line so that it stops like Ctrl-C."""

    signal = signal.SIGTERM


def signal_of(interrupt: BaseException) -> int:
    """The signal behind a KeyboardInterrupt: SIGTERM for :class:`Terminated`, else SIGINT."""
    return int(getattr(interrupt, "signal", signal.SIGINT))


class Interrupted(UserError):
    """The command line's report of an interrupt: exit code 128 + the signal (130 for Ctrl-C)."""

    def __init__(self, message: str, signum: int = signal.SIGINT):
        super().__init__(message, exit_code=128 + int(signum))


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during training, with what was trained so far.

    A ``KeyboardInterrupt``, so a notebook or script stops as it would anyway, and
    whoever catches it finds the partial model on ``.model`` (its config says
    ``"interrupted": true``), the statistics on ``.stats`` and, when the run
    wrote a checkpoint, its path on ``.checkpoint``.
    """

    def __init__(self, model, stats, total_words: int, signum: int = signal.SIGINT):
        super().__init__("training interrupted; the partial model is on .model")
        self.model = model
        self.stats = stats
        self.total_words = total_words
        self.signal = signum
        self.checkpoint: str | None = None

    @property
    def fraction(self) -> float:
        return self.stats.words / max(self.total_words, 1)
