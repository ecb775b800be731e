"""The docs say what the code does: their option tables, option names and Python blocks.

- docs/commands.md's table of training options is what ``python -m w2v_nce.cli.optiondoc``
  generates from ``w2v_nce/params.py``;
- every option table of a command in docs/commands.md lists exactly that command's
  options, and every ``--option`` the docs name in code format is one of some command;
- every ```python block of README.md and docs/*.md runs as pasted, in a directory
  holding the files the blocks name (made from a twentieth of the demo corpus), unless
  an HTML comment ``<!-- not run: reason -->`` just before it says why not. A block of
  ``>>>`` lines runs its statements (its printed outputs vary with threads and are not
  compared). Shell blocks are not run.
"""

import gzip
import itertools
import os
import re
import shutil
import subprocess
import sys
import textwrap

import click
import pytest

from tests.conftest import DEMO_CORPUS, ROOT, run_cli
from w2v_nce import params
from w2v_nce.cli import optiondoc
from w2v_nce.cli.main import cli

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMANDS_MD = ROOT / "docs" / "commands.md"
NOT_RUN = re.compile(r"<!--\s*not run:\s*\S.*-->")
FENCE = re.compile(r"^([ \t]*)```python[ \t]*\n(.*?)^\1```[ \t]*$", re.MULTILINE | re.DOTALL)


# -- the option tables ---------------------------------------------------------------


def test_the_option_table_is_the_generated_one():
    text = COMMANDS_MD.read_text(encoding="utf-8")
    assert text.count(optiondoc.BEGIN) == 1 and text.count(optiondoc.END) == 1
    assert optiondoc.marked_table(text) == optiondoc.option_table(), (
        "docs/commands.md's option table is not params.py's: run "
        "`python -m w2v_nce.cli.optiondoc docs/commands.md`"
    )


def test_the_generated_table_has_every_training_option():
    table = optiondoc.option_table()
    for name in ("--model", "--loss", "--noise-group", "--checkpoint-every", "--loss-log"):
        assert f"`{name}`" in table
    assert table.count("\n") == 2 + len(optiondoc.HYPERPARAMETERS) + len(optiondoc.RUN_OPTIONS)


def command_flags(command: click.Command) -> set[str]:
    flags = set()
    for param in command.params:
        if isinstance(param, click.Option):
            flags.update(param.opts, param.secondary_opts)
    return flags


def named_flags(text: str) -> set[str]:
    """The options named in code spans: `-k, --k`, `--plot PATH.png`, `--a/--no-a`."""
    flags = set()
    for span in re.findall(r"`([^`\n]+)`", text):
        flags.update(re.findall(r"(?<![\w-])(--?[a-z][a-z0-9-]*)", span))
    return flags


def sections(text: str) -> dict[str, str]:
    """Each command's section of commands.md (a heading naming the command, up to the
    next heading of that level or higher)."""
    found = {}
    headings = list(re.finditer(r"^(#{2,3}) (\S+)\s*$", text, re.MULTILINE))
    for heading in headings:
        level = len(heading.group(1))
        end = next(
            (
                h.start()
                for h in headings
                if h.start() > heading.start() and len(h.group(1)) <= level
            ),
            len(text),
        )
        found[heading.group(2)] = text[heading.end() : end]
    return found


def table_rows(section: str) -> list[list[str]]:
    """The cells of the section's option table rows."""
    return [
        [cell.strip() for cell in line.split("|")[1:-1]]
        for line in section.splitlines()
        if line.startswith("| `-")
    ]


def check_default(command: click.Command, row: list[str]) -> None:
    """The row's default, when it is a value (not words such as "the file names"),
    is the option's."""
    flags = named_flags(row[0])
    options = {p for p in command.params if isinstance(p, click.Option) and flags & set(p.opts)}
    if len(options) != 1:
        return  # several options in one row, "as for `train`"
    default, cell = options.pop().get_default(click.Context(command)), row[1]
    if default is getattr(click.core, "UNSET", None):  # click 8.2's "no default"
        default = None
    if cell == "off":
        assert default in (False, None), row
    elif cell == "none":
        assert default in (None, ()), row
    elif re.fullmatch(r"`[^`]+`", cell):
        assert str(default) == cell.strip("`"), row
    elif re.fullmatch(r"[0-9.e+-]+", cell):
        assert float(default) == float(cell), row


def test_each_option_table_lists_exactly_its_commands_options_and_defaults():
    text = COMMANDS_MD.read_text(encoding="utf-8")
    found = sections(text)
    checked = []
    for name, command in cli.commands.items():
        rows = table_rows(found.get(name, ""))
        if not rows:
            continue
        documented = set().union(*(named_flags(row[0]) for row in rows))
        for row in rows:
            check_default(command, row)
        assert documented == command_flags(command), (
            f"{name}: options missing from its table "
            f"{sorted(command_flags(command) - documented)}, in the table but not the "
            f"command {sorted(documented - command_flags(command))}"
        )
        checked.append(name)
    assert {"train", "evaluate", "nce-table", "plot-loss"} <= set(checked)


def spans_between(text: str, start: str, end: str) -> set[str]:
    """The code spans of ``text`` from ``start`` to the next ``end`` (both must be there)."""
    begin = text.index(start)
    return set(re.findall(r"`([^`\n]+)`", text[begin : text.index(end, begin)]))


def option_names(spans: set[str]) -> set[str]:
    """`--min-count` -> min_count, `-k` -> k."""
    return {span.lstrip("-").replace("-", "_") for span in spans}


def test_the_docs_lists_of_options_are_the_tables():
    """python.md's keywords of train; commands.md's options an --init model fixes and
    lends (params.FIXED_BY_MODEL, params.INHERITED)."""
    python_md = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    keywords = spans_between(python_md, "Every keyword is the", "`progress=False`")
    keywords = {span for span in keywords if re.fullmatch(r"[a-z_]+", span)}
    assert keywords == {*params.HYPERPARAMETERS, *params.RUN_OPTIONS}
    commands = COMMANDS_MD.read_text(encoding="utf-8")
    fixed = spans_between(commands, "- `--model`, `--loss`", "are the model's")
    assert option_names(fixed) == set(params.FIXED_BY_MODEL)
    inherited = spans_between(commands, "`-k`, `--window`", "default to the model's values too")
    assert option_names(inherited) == set(params.INHERITED)


def test_every_command_has_a_section_naming_its_options():
    """Commands without a table name each of their options in their section's text."""
    found = sections(COMMANDS_MD.read_text(encoding="utf-8"))
    assert set(cli.commands) <= set(found), "docs/commands.md lacks a section for a command"
    missing = {
        name: sorted(command_flags(command) - named_flags(found[name]) - {"-h", "--help"})
        for name, command in cli.commands.items()
    }
    assert not {name: flags for name, flags in missing.items() if flags}


def test_every_option_the_docs_name_exists():
    known = set().union(*(command_flags(c) for c in cli.commands.values()))
    known |= {"-h", "--help", "--version"}
    for doc in DOCS:
        text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.DOTALL)
        unknown = {flag for flag in named_flags(text) if flag.startswith("--")} - known
        assert not unknown, f"{doc.name} names options no command has: {sorted(unknown)}"


# -- the Python blocks -----------------------------------------------------------------


def python_blocks():
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            before = text[: match.start()].rstrip().rsplit("\n", 1)[-1]
            code = textwrap.dedent(match.group(2))
            if NOT_RUN.search(before):
                continue
            if code.lstrip().startswith(">>>"):
                code = "\n".join(
                    row[4:] for row in code.splitlines() if row.startswith((">>> ", "... "))
                )
            yield pytest.param(code, id=f"{doc.relative_to(ROOT)}:{line}")


BLOCKS = list(python_blocks())


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The files the blocks name, from every 20th line of the demo corpus (5,883 lines;
    enough of king, dog, man, woman, boy for the blocks' queries)."""
    where = tmp_path_factory.mktemp("doc-files")
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        lines = list(lines)
    corpus = "".join(itertools.islice(lines, 19, None, 20))
    for name in ("corpus.txt", "big.txt"):
        (where / name).write_text(corpus, encoding="utf-8")
    more = "".join(itertools.islice(lines, 9, None, 20))
    (where / "more.txt").write_text(more, encoding="utf-8")
    (where / "mine.tsv").write_text("dog\tcat\t7\nking\tman\t5\nboy\twoman\t2\n")  # --pairs
    (where / "data").mkdir()
    for gz in ("corpus.txt.gz", "data/wordnet-glosses.txt.gz"):
        with gzip.open(where / gz, "wt", encoding="utf-8") as out:
            out.write(corpus)
    common = ("train", "corpus.txt", "--threads", "1", "--quiet")
    run_cli(*common, "-o", "vectors.txt", "--save-model", "model.npz", cwd=where, check=True)
    run_cli(*common, "-o", "vectors.bin", "--binary", cwd=where, check=True)
    return where


def test_the_docs_have_python_blocks():
    assert len(BLOCKS) >= 4 and any("README" in b.id for b in BLOCKS)


@pytest.mark.parametrize("code", BLOCKS)
def test_python_block_runs_as_pasted(code, files, tmp_path):
    shutil.copytree(files, tmp_path, dirs_exist_ok=True)
    (tmp_path / "block.py").write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "block.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, f"{code}\n---\n{result.stderr[-3000:]}"


def test_a_failing_block_fails(files, tmp_path):
    """The runner is not vacuous: a block that raises is a failure."""
    with pytest.raises(AssertionError):
        test_python_block_runs_as_pasted(
            "import w2v_nce\nw2v_nce.load('missing.npz')", files, tmp_path
        )
