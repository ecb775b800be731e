"""``python benchmarks/bench.py CORPUS ...``: the same as ``python -m benchmarks CORPUS ...``
(the benchmark is the package around this file; see its docstring)."""

import sys
from pathlib import Path

# Run as a script, this file's folder is sys.path[0]; the package's parent must be instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks.run import main  # noqa: E402

if __name__ == "__main__":
    main()
