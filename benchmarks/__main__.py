"""``python -m benchmarks CORPUS ...``: see the package docstring."""

from .run import main

main()
