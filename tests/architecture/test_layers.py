"""The package's layers: module-level imports only go downward, never in a cycle; renderers need no SymPy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from paths import PACKAGE

LAYERS = (
    ("rnncalc.errors", "rnncalc.numbers", "rnncalc.files", "rnncalc"),
    ("rnncalc.cell",),
    ("rnncalc.engine",),
    ("rnncalc.compute",),
    ("rnncalc.derivation",),
    ("rnncalc.features",),
    ("rnncalc.render",),
    ("rnncalc.cli", "rnncalc.__main__"),
)


def module_name(path: Path) -> str:
    """rnncalc/cell/rules.py -> rnncalc.cell.rules; a package's __init__ is the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The index of the layer a module belongs to (the longest matching prefix wins)."""
    best, best_length = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def top_level_statements(tree: ast.Module) -> list[ast.stmt]:
    """Statements run at import time: the module body, if/try blocks and class bodies, not functions."""
    pending, found = list(tree.body), []
    while pending:
        node = pending.pop()
        found.append(node)
        if isinstance(node, (ast.If, ast.Try, ast.With, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                pending += getattr(node, field, [])
        if isinstance(node, ast.ExceptHandler):
            pending += node.body
    return found


def _every_import(tree: ast.AST) -> list[ast.AST]:
    """Every node of the module, except those under ``if TYPE_CHECKING:`` (names for annotations only)."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            pending += node.orelse
            continue
        pending += list(ast.iter_child_nodes(node))
    return found


def imports_of(path: Path, everywhere: bool = False) -> set[str]:
    """The rnncalc modules a module imports when it is imported (``everywhere``: or inside a function)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in _every_import(tree) if everywhere else top_level_statements(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("rnncalc")}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            if not target.startswith("rnncalc"):
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                module_path = PACKAGE.parent / candidate.replace(".", "/")
                is_module = module_path.with_suffix(".py").exists() or (module_path / "__init__.py").exists()
                found.add(candidate if is_module else target)
    found.discard(name)
    return found


def import_graph(everywhere: bool = False) -> dict[str, set[str]]:
    """Every module of the package and what it imports at import time (``everywhere``: at any time,
    except the one documented way up: a result renders itself by calling the renderers)."""
    graph = {module_name(path): imports_of(path, everywhere) for path in sorted(PACKAGE.rglob("*.py"))}
    if everywhere:
        graph["rnncalc.result"] = {t for t in graph["rnncalc.result"] if not t.startswith(LAZY_RENDERING)}
    return graph


LAZY_RENDERING = "rnncalc.render"
"""What ``result.py`` imports inside its methods (``to_markdown()`` and the like): the renderers."""


def test_imports_only_go_downward_even_inside_functions() -> None:
    test_imports_only_go_downward(everywhere=True)


def test_imports_only_go_downward(everywhere: bool = False) -> None:
    upward = [
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in import_graph(everywhere).items()
        for target in targets
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "\n".join(upward)


def levels(graph: dict[str, set[str]]) -> dict[str, int]:
    """Each module's import depth (1 for a module importing nothing of the package); fails on a cycle."""
    depth: dict[str, int] = {}
    visiting: list[str] = []

    def visit(module: str) -> int:
        if module in depth:
            return depth[module]
        if module in visiting:
            cycle = visiting[visiting.index(module) :] + [module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        visiting.append(module)
        # a package's __init__ is imported with any of its modules: count it as a dependency too
        parents = {target.rpartition(".")[0] for target in graph[module] if target.count(".") > 1}
        below = [
            visit(t)
            for t in (graph[module] | parents) - {module}
            if t in graph and not module.startswith(t + ".")
        ]
        visiting.pop()
        depth[module] = 1 + max(below, default=0)
        return depth[module]

    for module in graph:
        visit(module)
    return depth


def test_no_import_cycles() -> None:
    depth = levels(import_graph())
    assert max(depth.values()) <= 13, f"{max(depth.values())} import levels"


def test_no_import_cycles_even_through_imports_inside_functions() -> None:
    levels(import_graph(everywhere=True))


def test_the_layer_test_catches_a_cycle_inside_functions() -> None:
    bad = PACKAGE / "cell" / "_planted_cycle.py"
    bad.write_text("def f():\n    from . import _planted_cycle_back\n", encoding="utf-8")
    back = PACKAGE / "cell" / "_planted_cycle_back.py"
    back.write_text("def g():\n    from . import _planted_cycle\n", encoding="utf-8")
    try:
        with pytest.raises(pytest.fail.Exception, match="_planted_cycle"):
            test_no_import_cycles_even_through_imports_inside_functions()
    finally:
        bad.unlink()
        back.unlink()


def test_the_layer_test_catches_an_upward_import(tmp_path: Path) -> None:
    bad = PACKAGE / "cell" / "_planted_upward_import.py"
    bad.write_text("from ..render import FORMATS\n", encoding="utf-8")
    try:
        with pytest.raises(AssertionError, match="_planted_upward_import"):
            test_imports_only_go_downward()
    finally:
        bad.unlink()


RENDER_WITHOUT_SYMPY = """
import sys
from rnncalc import Problem, Settings, derive
from rnncalc.features.check import check
from rnncalc.features.grade import grade
from rnncalc.features.graph import build_graph
from rnncalc.features.train import train
derivations = [
    derive(Problem(), Settings(exact=True)),
    derive(Problem(activation="relu"), Settings(round_intermediate=True), method="both"),
    derive(Problem(cell=("o = Wi*x + Wh*h_prev", "h = abs(o)", "y = exp(h) + c")), Settings(exact=True)),
    derive(Problem(activation="softplus"), scope="forward").blanked(),
]
reports = [check(Problem()), train(Problem(), 0.5, 3), build_graph(Problem()), grade(Problem(), {"h_1": 0.9})]
for name in [m for m in sys.modules if m == "sympy" or m.startswith(("sympy.", "mpmath"))]:
    sys.modules[name] = None
from rnncalc.render import View, formats_of, render
assert "html" in formats_of("Derivation") and "html" in formats_of("Grade")
for result in [*derivations, *reports]:
    for name in formats_of(type(result).__name__):
        assert render(result, name)
    assert result.to_data() and result.__rich__()
for result in [*derivations, reports[1]]:
    assert "<math" in render(result, "html", View(show_steps=True))
print("rendered")
"""


@pytest.mark.slow  # run by .ci/run (pytest -m slow)
def test_renderers_need_no_sympy() -> None:
    result = subprocess.run(
        [sys.executable, "-c", RENDER_WITHOUT_SYMPY], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and "rendered" in result.stdout, result.stderr


def test_the_map_names_every_module() -> None:
    """docs/architecture.md is the map: every module of the package is named in it."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name not in ("__init__.py", "__main__.py") and path.name not in text
    ]
    assert not missing, f"docs/architecture.md does not name {', '.join(missing)}"


def test_the_installed_package_holds_every_module() -> None:
    """Every folder of rnncalc/ is a package the build finds (else a fresh machine cannot import it)."""
    import tomllib

    from setuptools import find_packages

    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set(find_packages(str(PACKAGE.parent), **config["packages"]["find"]))
    folders = {
        ".".join(path.relative_to(PACKAGE.parent).parts)
        for path in PACKAGE.rglob("*")
        if path.is_dir() and path.name != "__pycache__" and any(path.glob("*.py"))
    }
    assert folders | {"rnncalc"} <= found


def test_the_tests_import_the_checkout() -> None:
    """pytest tests this working tree, not some other installed copy of rnncalc."""
    import rnncalc

    assert Path(rnncalc.__file__).resolve().parent == PACKAGE
