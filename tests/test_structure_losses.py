"""No code outside the loss table switches on a loss's name or its kind of output step.

Everything that differs between the losses is a field or method of its record in
:mod:`w2v_nce.losses`; the kernels' dispatch (``w2v_nce/kernels/``) is the one other
place that may compare a step kind. This test parses every module of the package
and fails on a comparison (``==``, ``!=``, ``in``, ``not in``, ``is``) with a loss
name among its operands (a string constant, or one inside a literal tuple, list or
set), on a comparison of an attribute named ``step`` or ``output`` with a step
constant, and on a dict literal keyed by loss names (a switch by another name).
Loss names used as data (``TrainConfig(loss="nce")``, nce-table's list of runs)
are not comparisons and pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import w2v_nce
from w2v_nce import losses

PACKAGE = Path(w2v_nce.__file__).parent
ALLOWED = (PACKAGE / "losses.py", PACKAGE / "kernels")
STEP_CONSTANTS = ("NOISE", "SAMPLED_SOFTMAX", "TREE", "FULL_SOFTMAX")
STEP_ATTRIBUTES = ("step", "output")


def _loss_names_in(node: ast.AST) -> list[str]:
    """The loss names a comparison operand spells: a string constant, or constants in a
    literal tuple, list or set."""
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [
        item.value
        for item in items
        if isinstance(item, ast.Constant) and item.value in losses.LOSS_NAMES
    ]


def _is_step_constant(node: ast.AST) -> bool:
    """``TREE`` or ``losses.TREE`` (any module's attribute of that name)."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    return name in STEP_CONSTANTS


def _is_step_attribute(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in STEP_ATTRIBUTES


def switches(source: str, filename: str = "<source>") -> list[str]:
    """Every loss-name or step-kind switch in ``source``, as ``file:line: what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            names = [name for operand in operands for name in _loss_names_in(operand)]
            if names:
                found.append(f"{filename}:{node.lineno}: compares with loss name {names[0]!r}")
            elif any(map(_is_step_attribute, operands)) and any(map(_is_step_constant, operands)):
                found.append(f"{filename}:{node.lineno}: compares a step kind")
        elif isinstance(node, ast.Dict):
            names = [name for key in node.keys if key is not None for name in _loss_names_in(key)]
            if names:
                found.append(f"{filename}:{node.lineno}: a table keyed by loss name {names[0]!r}")
    return found


def package_modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if not any(path == allowed or allowed in path.parents for allowed in ALLOWED)
    ]


@pytest.mark.parametrize(
    "snippet",
    [
        'if config.loss == "hs":\n    pass',
        'tree = model.config.get("loss") != "softmax"',
        'x = loss in ("neg", "nce")',
        'x = "infonce" in names',
        "x = record.output == losses.TREE",
        "x = spec.step != FULL_SOFTMAX",
        "x = losses.SAMPLED_SOFTMAX == self.step",
        'GROUPS = {"nce": 4}',
    ],
)
def test_the_checker_finds_a_switch(snippet):
    """It cannot pass vacuously: each kind of switch it looks for is found."""
    assert len(switches(snippet)) == 1, snippet


@pytest.mark.parametrize(
    "snippet",
    [
        'config = TrainConfig(loss="nce", k=5)',
        'runs = [("softmax", None), ("hs", None)]',
        "x = record.tree and model.output is None",
        "x = model.output.shape[0] == len(vocab)",
        'x = kind == "cosine"',
    ],
)
def test_the_checker_lets_data_pass(snippet):
    assert switches(snippet) == [], snippet


def test_the_package_has_no_switch_outside_the_loss_table():
    modules = package_modules()
    assert PACKAGE / "training" / "trainer.py" in modules
    assert PACKAGE / "evaluation" / "pmi.py" in modules
    assert not any(path.is_relative_to(PACKAGE / "kernels") for path in modules)
    found = [
        hit
        for path in modules
        for hit in switches(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    ]
    assert found == [], "\n".join(found)


def test_the_loss_table_itself_is_what_the_checker_sees():
    """The checker reads the real table: a switch on any of its names would be found."""
    for name in losses.LOSS_NAMES:
        assert switches(f"x = loss == {name!r}")
    assert switches((PACKAGE / "losses.py").read_text(encoding="utf-8"))  # its own tree test
