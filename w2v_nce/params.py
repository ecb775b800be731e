"""Every training option once, and ``evaluate``'s: its name, default, range and help.

The command line (``options.py`` turns each :class:`Param` into a click option)
and the Python API (``w2v_nce.train(**options)``) take the same options with the
same defaults, and both validate a value with :meth:`Param.check`, so a mistake
gives the same one-line message from either: ``--k must be an integer ≥ 1, not 0``
(a :class:`~w2v_nce.errors.UsageError`). :class:`TrainConfig` holds the
hyperparameters of one run, with its defaults taken from the table, and checks
the rules that involve several options (``--min-alpha`` at most ``--alpha``, a base
measure the loss can use). :data:`EVALUATE_OPTIONS` are ``evaluate``'s, for
``w2v-nce evaluate`` and ``w2v_nce.evaluate`` alike.

No numpy, no click here: importing it costs nothing.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from w2v_nce import losses
from w2v_nce.errors import UsageError

MAX_WINDOW = 10_000  # a sentence has at most 10,000 tokens (corpus.MAX_SENTENCE_TOKENS)
MAX_NOISE_POWER = 10.0  # count^power must stay a finite float64
MAX_NOISE_GROUP = 16  # a step's block holds this many windows of hidden rows


@dataclass(frozen=True)
class Param:
    """One option: ``kind`` is int, float, str (with ``choices``), bool, "duration",
    "path", "paths" (one path or a list of them) or "text"."""

    name: str
    flags: tuple[str, ...]
    kind: Any
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False  # None is a valid value ("no limit", "none")
    default_text: str | None = None  # what --help shows when the default is computed

    @property
    def flag(self) -> str:
        return next(f for f in self.flags if f.startswith("--"))

    def rule(self) -> str:
        """The accepted values, as the error messages say them."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind == "duration":
            return "a duration in seconds, or with a unit: 90s, 10m, 1h"
        if self.kind == "path":
            return "a path"
        if self.kind == "paths":
            return "a path or a list of paths"
        if self.kind == "text":
            return "a non-empty text"
        what = {int: "an integer", float: "a finite number"}[self.kind]
        bounds = []
        if self.low is not None:
            bounds.append(f"> {self.low:g}" if self.low_open else f"≥ {self.low:g}")
        if self.high is not None:
            bounds.append(f"≤ {self.high:g}")
        return what + (" " + " and ".join(bounds) if bounds else "")

    def check(self, value):
        """``value`` (a Python value, or the string typed on the command line) validated
        and converted; a :class:`UsageError` naming the option otherwise."""
        if value is None and (self.optional or self.default is None):
            return None
        if self.kind == "path" and isinstance(value, str | os.PathLike) and not os.fspath(value):
            # an unset shell variable (--checkpoint "$CK"): not the option left out
            raise UsageError(f"{self.flag} is empty; give a path, or leave {self.flag} out")
        converted = _convert(self, value)
        if converted is _INVALID:
            raise UsageError(f"{self.flag} must be {self.rule()}, not {value}")
        return converted


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (a container's cpuset, taskset),
    where os.cpu_count() counts the machine's, which would oversubscribe them."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no affinity on this platform
        return os.cpu_count() or 1


_INVALID = object()


def _convert(param: Param, value):
    kind = param.kind
    if kind is bool:
        return value if isinstance(value, bool) else _INVALID
    if kind is str:
        return value if isinstance(value, str) and value in param.choices else _INVALID
    if kind == "duration":
        return parse_duration(value)
    if kind == "path":
        return os.fspath(value) if isinstance(value, str | os.PathLike) else _INVALID
    if kind == "paths":  # a str is one path: iterating it would make a path of each letter
        paths = (value,) if isinstance(value, str | os.PathLike) else value
        if not isinstance(paths, list | tuple) or not all(
            isinstance(path, str | os.PathLike) for path in paths
        ):
            return _INVALID
        return tuple(os.fspath(path) for path in paths)
    if kind == "text":
        return value if isinstance(value, str) and value.strip() else _INVALID
    if isinstance(value, bool):  # True is an int to Python, never to us
        return _INVALID
    try:
        if kind is int:
            if isinstance(value, float) and not value.is_integer():
                return _INVALID
            number = int(value) if not isinstance(value, str) else int(value.strip())
        else:
            number = float(value)
    except (TypeError, ValueError):
        return _INVALID
    if kind is float and not math.isfinite(number):
        return _INVALID
    if param.low is not None and (number < param.low or (param.low_open and number == param.low)):
        return _INVALID
    if param.high is not None and number > param.high:
        return _INVALID
    return number


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|m|h)?\s*$")
_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600}


def parse_duration(value):
    """Seconds from 600, 600.0, "600", "90s", "10m" or "1h"; _INVALID otherwise."""
    if isinstance(value, bool):
        return _INVALID
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value >= 0 else _INVALID
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        return _INVALID
    return float(match.group(1)) * _UNITS[match.group(2)]


def _params(*items: Param) -> dict[str, Param]:
    return {p.name: p for p in items}


_SHARING = [loss for loss in losses.LOSSES.values() if loss.share_negatives]
_SHARED_BY = "/".join(loss.name for loss in _SHARING)  # in the help texts
_GROUPING = [loss for loss in losses.LOSSES.values() if loss.noise_groups]
_GROUPED_BY = "/".join(loss.name for loss in _GROUPING)  # "neg/nce"


def _taking(option: str) -> str:
    """The losses an option of the contrastive family applies to: "triplet/contrastive"."""
    return "/".join(loss.name for loss in losses.LOSSES.values() if option in loss.options)


def _per_similarity(option: str, defaults_of) -> str:
    """An option's defaults per loss and similarity: "triplet: 1 (dot), 0.5 (cosine)"."""
    return "; ".join(
        f"{loss.name}: " + ", ".join(f"{value:g} ({s})" for s, value in defaults_of(loss))
        for loss in losses.LOSSES.values()
        if option in loss.options
    )


#: The hyperparameters: what a model's config records, what ``compare`` and
#: ``nce-table`` share with ``train``.
HYPERPARAMETERS = _params(
    Param(
        "model",
        ("--model",),
        str,
        "skipgram",
        "skipgram: each context word predicts the centre word; cbow: the mean of the "
        "context words predicts it (word2vec's -cbow 1).",
        choices=losses.MODELS,
    ),
    Param(
        "loss",
        ("--loss",),
        str,
        "neg",
        "; ".join(f"{loss.name}: {loss.help}" for loss in losses.LOSSES.values()) + ".",
        choices=losses.LOSS_NAMES,
    ),
    Param("k", ("-k", "--k"), int, 5, "Noise words per positive pair.", low=1),
    Param("dim", ("--dim",), int, 100, "Vector dimension.", low=1),
    Param(
        "window",
        ("--window",),
        int,
        5,
        "Maximum context distance (the effective window is uniform in 1..window).",
        low=1,
        high=MAX_WINDOW,
    ),
    Param("epochs", ("--epochs",), int, 5, "Passes over the corpus.", low=1),
    Param("min_count", ("--min-count",), int, 5, "Drop words occurring fewer times.", low=1),
    Param(
        "max_vocab",
        ("--max-vocab",),
        int,
        None,
        "Keep only the most frequent words.",
        low=1,
        optional=True,
        default_text="no limit",
    ),
    Param(
        "sample",
        ("--sample",),
        float,
        1e-3,
        "Subsampling threshold for frequent words; 0 turns it off.",
        low=0,
    ),
    Param(
        "alpha",
        ("--alpha",),
        float,
        None,
        "Initial learning rate.",
        low=0,
        low_open=True,
        optional=True,
        default_text="0.025 for skipgram, 0.05 for cbow, as word2vec.c; times "
        + ", ".join(
            f"{f:g} for {loss.name} ({s})"
            for loss in losses.LOSSES.values()
            for s, f in loss.default_alpha_factors
            if f != 1
        ),
    ),
    Param(
        "min_alpha",
        ("--min-alpha",),
        float,
        0.0001,
        "Final learning rate (linear decay by global progress).",
        low=0,
    ),
    Param(
        "noise_power",
        ("--noise-power",),
        float,
        0.75,
        "Noise distribution q(w) ∝ count(w)^power.",
        low=0,
        high=MAX_NOISE_POWER,
    ),
    Param(
        "share_negatives",
        ("--share-negatives/--no-share-negatives",),
        bool,
        True,
        f"{_SHARED_BY}: the contexts of one centre word share their k noise draws "
        "(Ji et al. 2016): fewer random memory accesses, same per-pair terms.",
    ),
    Param(
        "noise_group",
        ("--noise-group",),
        int,
        None,
        f"{_GROUPED_BY} with --share-negatives: this many consecutive centre words of a sentence "
        "share one set of k noise draws, scored as one block (a row is not scored against "
        "another centre's positive); 1 draws a set per centre word.",
        low=1,
        high=MAX_NOISE_GROUP,
        optional=True,
        default_text=losses.per_loss(lambda loss: loss.default_noise_group, _GROUPING)
        + " (word2vec's draws per centre word)",  # of 1, listed last
    ),
    Param(
        "base",
        ("--base",),
        str,
        "auto",
        "Base measure b_c in the score u_w·v_c + b_c: unigram (b_c = log P(c), so the "
        "vectors learn PMI) or none. auto: "
        + losses.per_loss(lambda loss: loss.default_base, sep="; ")
        + ".",
        choices=("auto", "unigram", "none"),
    ),
    Param(
        "similarity",
        ("--similarity",),
        str,
        None,
        f"{_taking('similarity')}: the score s(w, c) of the hidden vector and an output row: "
        "dot u·v, cosine, or euclidean −|u − v|² (contrastive's distance is euclidean).",
        choices=("dot", "cosine", "euclidean"),
        optional=True,
        default_text=losses.per_loss(
            lambda loss: loss.similarities[0],
            [loss for loss in losses.LOSSES.values() if len(loss.similarities) > 1],
        ),
    ),
    Param(
        "temperature",
        ("--temperature",),
        float,
        None,
        f"{_taking('temperature')}: the logits are s/τ (SimCLR/CPC use cosine with τ ≈ 0.05–0.2).",
        low=0,
        low_open=True,
        optional=True,
        default_text=_per_similarity("temperature", lambda loss: loss.default_temperatures),
    ),
    Param(
        "margin",
        ("--margin",),
        float,
        None,
        f"{_taking('margin')}: the margin M of the hinge (triplet: s(w,c⁺) − s(w,n) ≥ M; "
        "contrastive: noise words at least M away).",
        low=0,
        low_open=True,
        optional=True,
        default_text=_per_similarity("margin", lambda loss: loss.default_margins),
    ),
    Param(
        "mining",
        ("--mining",),
        str,
        None,
        f"{_taking('mining')}: which noise draws enter the hinge: all violating ones, "
        "FaceNet's semi-hard ones (else the hardest), or the hardest only.",
        choices=("all", "semi-hard", "hard"),
        optional=True,
        default_text="all",
    ),
    Param(
        "subwords",
        ("--subwords",),
        "text",
        None,
        "MIN-MAX: fastText's subword model: a word's input vector is the mean of its row "
        "and the rows of its character n-grams of MIN..MAX characters (fastText's 3-6), "
        "hashed into --buckets rows; a word out of the vocabulary gets the mean of its "
        "n-grams' rows. See docs/subwords.md.",
        optional=True,
        default_text="off",
    ),
    Param(
        "buckets",
        ("--buckets",),
        int,
        2_000_000,
        "With --subwords: the rows the n-grams are hashed into (fastText's -bucket); the "
        "bucket matrix takes buckets × dim × 4 bytes.",
        low=1,
    ),
    Param(
        "threads",
        ("--threads",),
        int,
        usable_cores(),
        "Worker threads (Hogwild).",
        low=1,
        default_text="the cores this process may use",
    ),
    Param(
        "seed",
        ("--seed",),
        int,
        1,
        "Random seed; with --threads 1 the result is bit-for-bit reproducible.",
        low=0,
    ),
)

#: Options of a training run that are not hyperparameters of the model.
RUN_OPTIONS = _params(
    Param(
        "encoding_errors",
        ("--encoding-errors",),
        str,
        "strict",
        "What to do with invalid UTF-8: stop, or replace/drop the bad bytes.",
        choices=("strict", "replace", "ignore"),
    ),
    Param(
        "tmp_dir",
        ("--tmp-dir",),
        "path",
        None,
        "Where the encoded corpus (4 bytes per token) is kept while training.",
        optional=True,
        default_text="$TMPDIR",
    ),
    Param(
        "init",
        ("--init",),
        "path",
        None,
        "Continue training this model (a .npz from --save-model).",
        optional=True,
        default_text="a new model",
    ),
    Param(
        "update_vocab",
        ("--update-vocab",),
        bool,
        False,
        "With --init: add the new corpus's words that reach --min-count in it.",
    ),
    Param(
        "checkpoint",
        ("--checkpoint",),
        "path",
        None,
        "Write the run's state here every --checkpoint-every and on Ctrl-C/SIGTERM; if it "
        "exists, resume from it. Removed when the run finishes.",
        optional=True,
        default_text="none",
    ),
    Param(
        "checkpoint_every",
        ("--checkpoint-every",),
        "duration",
        600.0,
        "With --checkpoint: at most this often, write the checkpoint (90s, 10m, 1h).",
        default_text="10m",
    ),
    Param(
        "loss_log",
        ("--loss-log",),
        "path",
        None,
        "Write a row per progress interval (seconds, words, learning rate, mean loss) to this "
        "TSV file (see plot-loss).",
        optional=True,
        default_text="none",
    ),
    Param(
        "workers",
        ("--workers",),
        int,
        None,
        "Train on this many Dask worker processes on this machine (a LocalCluster), each "
        "running --threads threads; see docs/distributed.md.",
        low=1,
        optional=True,
        default_text="one process, no Dask",
    ),
    Param(
        "scheduler",
        ("--scheduler",),
        "text",
        None,
        "Train on the existing Dask cluster of this scheduler (tcp://host:8786), one shard "
        "per worker; the corpus must be readable at the same path on every worker.",
        optional=True,
        default_text="none",
    ),
    Param(
        "sync_every",
        ("--sync-every",),
        int,
        1 << 18,  # measured: docs/distributed.md
        "With --workers/--scheduler: words each worker trains between two synchronisations "
        "of the model.",
        low=1,
    ),
)

#: The options of ``evaluate`` (besides MODEL, --corpus and what only the command line
#: does: --json, --plot). --pairs and --analogies are checked for existence by the
#: evaluation, as every input file is, not here.
EVALUATE_OPTIONS = _params(
    Param(
        "pairs",
        ("--pairs",),
        "paths",
        (),
        "Another word-similarity file (WORD1<TAB>WORD2<TAB>score); repeat for several.",
        default_text="none",
    ),
    Param(
        "analogies",
        ("--analogies",),
        "path",
        None,
        "Analogy questions in the format of Google's questions-words.txt.",
        optional=True,
        default_text="that file, as gensim ships it",
    ),
    Param(
        "pmi_top",
        ("--pmi-top",),
        int,
        3000,
        "PMI: pairs among this many most frequent words.",
        low=1,
    ),
    Param(
        "pmi_min_count",
        ("--pmi-min-count",),
        float,
        20.0,
        "PMI: only pairs seen at least this often (weighted by the dynamic window).",
        low=0,
        low_open=True,
    ),
    RUN_OPTIONS["encoding_errors"],
)

#: Options whose value a model fixes: continued training defaults to the model's
#: value and refuses another.
FIXED_BY_MODEL = ("model", "loss", "dim", "base", "subwords", "buckets")
#: Options that shape what a model learns: continued training defaults to the model's.
INHERITED = (
    "k", "window", "noise_power", "sample", "share_negatives", "noise_group", "min_count",
    "similarity", "temperature", "margin", "mining",
)  # fmt: skip
#: The contrastive family's options: a loss record's ``options`` say which apply.
CONTRAST_OPTIONS = ("similarity", "temperature", "margin", "mining")


def default(name: str):
    return HYPERPARAMETERS[name].default


@dataclass
class TrainConfig:
    """The hyperparameters of one run; defaults are :data:`HYPERPARAMETERS`'s."""

    model: str = default("model")
    loss: str = default("loss")
    k: int = default("k")
    dim: int = default("dim")
    window: int = default("window")
    epochs: int = default("epochs")
    alpha: float | None = default("alpha")  # None: the model's default (resolved_alpha)
    min_alpha: float = default("min_alpha")
    sample: float = default("sample")
    noise_power: float = default("noise_power")
    min_count: int = default("min_count")
    max_vocab: int | None = default("max_vocab")
    threads: int = field(default_factory=lambda: default("threads"))
    seed: int = default("seed")
    share_negatives: bool = default("share_negatives")
    noise_group: int | None = default("noise_group")  # None: resolved_noise_group
    base: str = default("base")  # "auto", "unigram" or "none"
    similarity: str | None = default("similarity")  # None: the loss's (resolved_contrast)
    temperature: float | None = default("temperature")
    margin: float | None = default("margin")
    mining: str | None = default("mining")
    subwords: str | None = default("subwords")  # "MIN-MAX" (subword_model), None: off
    buckets: int = default("buckets")

    @property
    def loss_record(self) -> losses.Loss:
        return losses.get(self.loss)

    @property
    def resolved_alpha(self) -> float:
        """--alpha, else word2vec.c's for the model times the loss's factor (at its
        similarity: the contrastive family's steps are larger than the logistic's)."""
        if self.alpha is not None:
            return self.alpha
        factor = self.loss_record.alpha_factor(self.similarity or self.loss_record.similarities[0])
        return losses.DEFAULT_ALPHA[self.model] * factor

    @property
    def random_output(self) -> bool:
        """Output rows start random, not zero: the cosine of a zero row has no gradient
        direction (its norm is floored, and the first steps would be huge)."""
        return self.resolved_contrast()["similarity"] == "cosine"

    def resolved_noise_group(self) -> int:
        if self.noise_group is not None:
            return self.noise_group
        return self.loss_record.default_noise_group

    def resolved_base(self) -> str:
        """The base measure actually used ("unigram" or "none")."""
        return self.loss_record.resolved_base(self.base)

    def validate(self) -> TrainConfig:
        """Check (and convert) every field; a UsageError with the CLI's message otherwise."""
        for name, param in HYPERPARAMETERS.items():
            setattr(self, name, param.check(getattr(self, name)))
        if not self.min_alpha <= self.resolved_alpha:
            raise UsageError(
                f"--min-alpha ({self.min_alpha:g}) must be at most --alpha "
                f"({self.resolved_alpha:g})"
            )
        if self.base == "unigram" and not self.loss_record.base_allowed:
            raise UsageError(f"--loss {self.loss} {self.loss_record.no_base}; drop --base unigram")
        self._check_contrast()
        if self.subwords is not None:  # "3-6" (a malformed one is a UsageError here)
            self.subwords = str(self.subword_model)
        return self

    @property
    def subword_model(self):
        """The run's :class:`w2v_nce.subwords.Subwords`, or None without --subwords."""
        if self.subwords is None:
            return None
        from w2v_nce.subwords import Subwords

        return Subwords.parse(self.subwords, self.buckets)

    def _check_contrast(self) -> None:
        """The contrastive family's options make sense for the loss (a UsageError saying
        why otherwise)."""
        record = self.loss_record
        for name in CONTRAST_OPTIONS[1:]:
            if getattr(self, name) is not None and name not in record.options:
                takers = _taking(name)
                raise UsageError(
                    f"--{name} applies to --loss {takers} only, not to {self.loss}; drop --{name}"
                )
        if self.similarity is not None and self.similarity not in record.similarities:
            raise UsageError(
                f"--loss {self.loss} scores {record.score}: it takes --similarity "
                f"{' or '.join(record.similarities)} only, not {self.similarity}; "
                "drop --similarity"
            )
        if record.share_negatives and not record.noise_groups and self.resolved_noise_group() > 1:
            raise UsageError(
                f"--loss {self.loss} scores one centre word's positive against its draws "
                f"(column 0 of its block): --noise-group must be 1, not {self.noise_group}"
            )

    def resolved_contrast(self) -> dict:
        """similarity, temperature, margin and mining: the given ones, else the loss's
        defaults (what the kernels' Contrast is built from)."""
        record = self.loss_record
        similarity = self.similarity or record.similarities[0]
        return {
            "similarity": similarity,
            "temperature": record.default_temperature(similarity)
            if self.temperature is None
            else self.temperature,
            "margin": record.default_margin(similarity) if self.margin is None else self.margin,
            "mining": self.mining or record.default_mining,
        }

    def as_dict(self) -> dict:
        """The config a model records: alpha, noise_group and base resolved, and the
        contrastive options that apply to the loss (None for those that do not)."""
        resolved = {"alpha": self.resolved_alpha, "noise_group": self.resolved_noise_group()}
        applying = self.loss_record.options
        contrast = {
            name: value if name in applying else None
            for name, value in self.resolved_contrast().items()
        }
        return {**asdict(self), **resolved, "base": self.resolved_base(), **contrast}


def check_options(given: dict, allowed: dict[str, Param]) -> dict:
    """Validate the ``given`` options against ``allowed``; unknown names are an error."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise UsageError(
            f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"known: {', '.join(allowed)}"
        )
    return {name: allowed[name].check(value) for name, value in given.items()}
