"""The ``train --loss-log`` file: its format, for the run that writes it and ``plot-loss``
that reads it (:func:`w2v_nce.evaluation.plots.read_loss_log`).

A TSV file: the :attr:`LossLog.HEADER` line, then a row per progress interval -- seconds
since training started, corpus words processed so far (all epochs), the learning
rate and the mean loss per example over the interval.
"""

from __future__ import annotations

from w2v_nce.io.atomic import atomic_output, check_writable_output


class LossLog:
    """The writer: a row per progress interval, written atomically when the run ends."""

    HEADER = "seconds\twords\tlearning_rate\tloss\n"

    def __init__(self, path: str):
        check_writable_output(path)
        self.path = path
        self.rows: list[str] = []

    def add(self, seconds: float, words: int, lr: float, loss: float) -> None:
        self.rows.append(f"{seconds:.3f}\t{words}\t{lr:.6g}\t{loss:.6g}\n")

    def close(self) -> None:
        with atomic_output(self.path) as handle:
            handle.write((self.HEADER + "".join(self.rows)).encode("ascii"))
