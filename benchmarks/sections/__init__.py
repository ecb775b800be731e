"""The sections of the benchmark, one module each, in the order of BENCHMARKS.md.

A section is a module with a ``SECTION`` (:class:`benchmarks.common.Section`: its
name, its heading, ``measure(bench)`` and ``text(results)``); adding one is its module
and its line below.
"""

from . import (
    checkpoint,
    distributed,
    encode,
    kernel,
    losses,
    main,
    models,
    nce,
    pword2vec,
    softmax,
    startup,
    subwords,
    threads,
)

SECTIONS = {
    section.name: section
    for section in (
        main.SECTION,
        pword2vec.SECTION,
        models.SECTION,
        losses.SECTION,
        threads.SECTION,
        encode.SECTION,
        nce.SECTION,
        kernel.SECTION,
        startup.SECTION,
        softmax.SECTION,
        checkpoint.SECTION,
        distributed.SECTION,
        subwords.SECTION,
    )
}
