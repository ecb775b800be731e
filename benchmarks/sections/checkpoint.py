"""The cost of one checkpoint (benchmarks/checkpoint_cost.py in a child)."""

import json
import sys
from pathlib import Path

from ..common import ROOT, Section, log


def measure(bench):
    """The cost of one checkpoint of a bench-dev-sized model (benchmarks/checkpoint_cost.py)."""
    log("checkpoint: one checkpoint of a 27,445 × 100 model, 7 writes")
    script = ROOT / "benchmarks" / "checkpoint_cost.py"
    run = bench.run("checkpoint cost", [sys.executable, str(script), "--json"])
    if not run.ok:
        return {"error": run.stderr_tail}
    return json.loads(Path(run.err_path).with_suffix(".out").read_text().splitlines()[-1])


def checkpoint_text(checkpoint):
    if "error" in checkpoint:
        return f"checkpoint: failed ({checkpoint['error']})."
    return (
        f"One checkpoint of a {checkpoint['words']:,} × {checkpoint['dim']} model (the size of "
        f"bench-dev's, both matrices) takes {checkpoint['seconds']:.3f} s "
        f"({checkpoint['mib']:.1f} MiB, written to a temporary file, fsynced, renamed, the "
        f"directory fsynced; median of 7): {100 * checkpoint['share']:.3f}% of training time "
        f"at the default `--checkpoint-every {checkpoint['interval'] / 60:.0f}m` "
        "(`benchmarks/checkpoint_cost.py`)."
    )


SECTION = Section("checkpoint", "Checkpoints", measure, lambda r: checkpoint_text(r["checkpoint"]))
