"""w2v-nce: word embeddings trained with the loss you choose.

The API is in :mod:`w2v_nce.api`: ``w2v_nce.train``, ``w2v_nce.load`` and the
:class:`~w2v_nce.model.Model` they return. Importing the package is instant;
numpy, numba and gensim load when first used (the command line's ``--help``
imports this package too).
"""

from w2v_nce.errors import TrainingInterrupted, UsageError, UserError, W2VNceWarning
from w2v_nce.version import __version__

__all__ = [
    "Model",
    "TrainingInterrupted",
    "UsageError",
    "UserError",
    "evaluate",
    "W2VNceWarning",
    "__version__",
    "load",
    "train",
]
_API = ("Model", "evaluate", "load", "train")


def __getattr__(name: str):
    if name in _API:
        from w2v_nce import api

        return getattr(api, name)
    raise AttributeError(f"module 'w2v_nce' has no attribute {name!r}")
