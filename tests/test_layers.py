"""The package's layers: every import points down, and no two modules import each other.

Layers, bottom to top (docs/how-it-works.md draws them). A module may import modules of
its own layer or a lower one -- module-level, lazy (inside a function) and type-only
imports alike -- and the import graph has no circle. The kernels import nothing of the
package outside ``kernels/``. A new module must be given a layer here: an unknown one
fails the test, so the check cannot pass by not looking.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "w2v_nce"

# (layer name, module prefixes); a module belongs to the longest prefix that matches.
LAYERS = (
    ("kernels", ("w2v_nce.kernels",)),
    (
        "tables",
        (
            "w2v_nce.version",
            "w2v_nce.errors",
            "w2v_nce.faults",
            "w2v_nce.losses",
            "w2v_nce.params",
            "w2v_nce.vocab",
            "w2v_nce.noise",
            "w2v_nce.memory",
            "w2v_nce.subwords",
        ),
    ),
    ("io", ("w2v_nce.io",)),
    ("model", ("w2v_nce.model", "w2v_nce.query", "w2v_nce.keywords", "w2v_nce.context")),
    ("training", ("w2v_nce.training",)),
    ("evaluation", ("w2v_nce.evaluation",)),
    ("front ends", ("w2v_nce.cli", "w2v_nce.api", "w2v_nce")),
)


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = rank, len(prefix)
    if best is None:
        raise AssertionError(f"{module} has no layer: give it one in LAYERS")
    return best


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The package modules ``module`` imports anywhere in its source (lazy and
    TYPE_CHECKING imports included); ``from x import name`` counts as importing
    ``x.name`` when that is a module."""
    found = set()
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                child = f"{target}.{alias.name}"
                found.add(child if child in known else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "w2v_nce" or name.startswith("w2v_nce.")}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    paths = {module_name(p, package): p for p in package.rglob("*.py")}
    known = set(paths)
    return {
        name: imports_of(path.read_text(), name, path.name == "__init__.py", known) - {name}
        for name, path in paths.items()
    }


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, targets in graph.items():
        for target in targets:
            in_kernels = module.startswith("w2v_nce.kernels")
            if in_kernels and not target.startswith("w2v_nce.kernels"):
                wrong.append(f"{module} -> {target} (the kernels import only kernels)")
            elif layer_of(target) > layer_of(module):
                wrong.append(
                    f"{module} ({LAYERS[layer_of(module)][0]}) -> "
                    f"{target} ({LAYERS[layer_of(target)][0]})"
                )
    return sorted(wrong)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_the_package():
    graph = import_graph()
    assert len(graph) > 30 and sum(map(len, graph.values())) > 80
    assert "w2v_nce.kernels.block" in graph["w2v_nce.training.trainer"]


def test_the_checker_catches_an_upward_import_a_lazy_one_and_a_circle(tmp_path):
    package = tmp_path / "w2v_nce"
    (package / "kernels").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "kernels" / "__init__.py").write_text("")
    (package / "kernels" / "block.py").write_text("from ..losses import TREE\n")
    (package / "losses.py").write_text("def f():\n    from .model import Model\n")
    (package / "model.py").write_text("from . import losses\n")
    graph = import_graph(package)
    assert upward_imports(graph) == [
        "w2v_nce.kernels.block -> w2v_nce.losses (the kernels import only kernels)",
        "w2v_nce.losses (tables) -> w2v_nce.model (model)",
    ]
    assert circles(graph) == [["w2v_nce.losses", "w2v_nce.model"]]


def test_every_module_has_a_layer_and_imports_point_down():
    graph = import_graph()
    for module in graph:
        layer_of(module)
    assert upward_imports(graph) == []


def test_no_import_circles():
    assert circles(import_graph()) == []


LONGEST_FUNCTION = 80  # lines
ONE_PIECE = "One piece, over 80 lines, on purpose"


def long_functions(source: str) -> list[str]:
    """The functions of ``source`` over LONGEST_FUNCTION lines whose docstring does not
    say why they are one piece (the hot Numba loops, where a helper costs speed)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = node.end_lineno - node.lineno + 1
            if lines > LONGEST_FUNCTION and ONE_PIECE not in (ast.get_docstring(node) or ""):
                found.append(f"{node.name} ({lines} lines)")
    return found


def test_no_function_is_over_80_lines_without_saying_why():
    body = "\n".join(f"    x{i} = {i}" for i in range(LONGEST_FUNCTION))
    assert long_functions(f"def f():\n{body}\n") == ["f (81 lines)"]
    said = f'def f():\n    """{ONE_PIECE}: the hot loop."""\n{body}\n'
    assert long_functions(said) == []
    hits = {
        str(path.relative_to(PACKAGE)): long_functions(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert {path: names for path, names in hits.items() if names} == {}


# Issue 22: a kernel's arguments are its bundles (kernels/bundles.py), not a long list of
# arrays; only the BLAS wrappers keep BLAS's own signatures.
MOST_KERNEL_ARGUMENTS = 8
BLAS_WRAPPERS = ("kernels/blas.py",)


def wide_kernels(source: str) -> list[str]:
    """The functions compiled by a ``*jit`` decorator that take over
    MOST_KERNEL_ARGUMENTS arguments."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            jitted = any("jit" in ast.unparse(d) for d in node.decorator_list)
            count = len(node.args.posonlyargs) + len(node.args.args) + len(node.args.kwonlyargs)
            if jitted and count > MOST_KERNEL_ARGUMENTS:
                found.append(f"{node.name} ({count} arguments)")
    return found


def test_no_kernel_takes_more_than_8_arguments():
    names = ", ".join(f"a{i}" for i in range(MOST_KERNEL_ARGUMENTS + 1))
    assert wide_kernels(f"@numba.njit(cache=True)\ndef f({names}):\n    pass\n") == [
        "f (9 arguments)"
    ]
    assert wide_kernels(f"def f({names}):\n    pass\n") == []
    hits = {
        str(path.relative_to(PACKAGE)): wide_kernels(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
        if str(path.relative_to(PACKAGE)) not in BLAS_WRAPPERS
    }
    assert {path: names for path, names in hits.items() if names} == {}
    assert any(wide_kernels(p.read_text()) for p in (PACKAGE / "kernels").glob("blas.py"))
