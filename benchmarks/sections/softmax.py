"""The full softmax's GFLOP/s against a numpy sgemm of the same shape."""

from w2v_nce.kernels.softmax import BATCH as SOFTMAX_BATCH  # the sgemm shape to compare with

# The kernel section imports much the same list: both time w2v-nce against numpy's sgemm.
from ..common import (
    SETTINGS,
    Section,
    count_tokens,
    fmt,
    head_corpus,
    log,
    median,
    offered,
    ratio,
    table,
    train_summary,
)
from ..systems import Setup, w2v_nce_command

SOFTMAX_TOKENS = 200_000  # the softmax corpus (every pair costs 6·V·dim flops)


def measure(bench):
    """Full-softmax GFLOP/s (6·pairs·V·dim / training seconds) vs numpy sgemm."""
    if "softmax" not in offered()[0]:
        return {"available": False}
    args = bench.args
    corpus = head_corpus(bench.corpus, bench.work_dir / "softmax.txt", SOFTMAX_TOKENS)
    command = w2v_nce_command(
        corpus,
        bench.work_dir / "softmax.bin",
        args.threads,
        1,
        Setup(loss="softmax"),
        tmp_dir=bench.work_dir,
    )
    rates = []
    vocab = None
    for round_ in range(args.repeats):
        log(f"softmax: round {round_ + 1}/{args.repeats}")
        run = bench.run(f"w2v-nce softmax (round {round_ + 1})", command)
        summary = train_summary(run) if run.ok else None
        if summary:
            vocab = summary["vocab_size"]
            rates.append(
                6 * summary["examples"] * vocab * SETTINGS["dim"] / summary["seconds"] / 1e9
            )
    if vocab is None:
        return {"available": True, "error": "no run gave a parsable summary line"}
    return {
        "available": True,
        "gflops": median(rates),
        "sgemm_gflops": sgemm_gflops(vocab),
        "vocab": vocab,
        "tokens": count_tokens(corpus),
    }


def sgemm_gflops(vocab, batch=SOFTMAX_BATCH, seconds=1.0):
    """numpy float32 (batch × dim) @ (dim × vocab): the softmax's score sgemm."""
    from w2v_nce.memory import sgemm_rate

    return sgemm_rate(batch, vocab, SETTINGS["dim"], seconds=seconds) / 1e9


def softmax_text(softmax):
    if not softmax.get("available"):
        return "softmax: not available yet (`w2v-nce train --help` lists no `softmax` loss)."
    if "error" in softmax:
        return f"softmax: {softmax['error']}."
    note = (
        f"`w2v-nce train --loss softmax --epochs 1` on the first {softmax['tokens']:,} tokens "
        f"(vocabulary {softmax['vocab']:,}); flops = 6 · pairs · V · dim (three sgemms per batch), "
        f"over the training seconds of its summary line. sgemm: numpy float32 "
        f"({SOFTMAX_BATCH} × {SETTINGS['dim']}) @ ({SETTINGS['dim']} × {softmax['vocab']:,}), "
        "the shape of the softmax's score product."
    )
    rows = [
        [
            "w2v-nce softmax",
            fmt(softmax["gflops"]),
            fmt(ratio(softmax["gflops"], softmax["sgemm_gflops"])),
        ],
        ["numpy sgemm", fmt(softmax["sgemm_gflops"]), "1.00"],
    ]
    return note + "\n\n" + table(["what", "GFLOP/s", "÷ sgemm"], rows)


SECTION = Section(
    "softmax", "Full softmax against numpy sgemm", measure, lambda r: softmax_text(r["softmax"])
)
