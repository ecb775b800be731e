"""The ``w2v-nce`` console script.

It imports the CLI inside a ``try``: loading it (Numba, NumPy, the option tables) takes
a few tenths of a second, several seconds on a busy machine, and a Ctrl-C then would
otherwise end in a traceback from whatever module was loading rather than in one
``error:`` line like every other interruption.
"""

import sys


def run() -> None:
    try:
        from w2v_nce.cli.main import main
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted while starting; nothing was written\n")
        sys.exit(130)
    main()
