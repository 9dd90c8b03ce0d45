"""The layers of docs/architecture.md hold in the code: imports go down only, no cycle.

An AST scan of every top-level package (imports inside functions count; migrations/ and tests/
folders are left out, and bench/ and tests/ may import anything). The layer list is the page's
fenced `layers` block: a new app is added there, and this test reads it.
"""

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "architecture.md"
# Top-level folders that are not layered packages: they may import anything (bench/, tests/),
# or they hold no importable code of the portal (scripts, docs, state, templates).
NOT_LAYERED = {"bench", "tests", "bin", "docs", "var", "templates", "static"}


@dataclass(frozen=True)
class Layers:
    order: list[str]  # bottom -> top
    planned: set[str]  # named in the page, not in the tree yet
    leaves: set[str]  # standalone: import nothing of ours, importable by any layer

    def rank(self, package: str) -> int:
        return self.order.index(package)


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    where: str  # path:line

    def __str__(self) -> str:
        return f"{self.where}: {self.importer} imports {self.imported}"


def read_layers(text: str) -> Layers:
    """The page's ```layers block: one package a line, bottom first; `planned` and `leaf` after
    the name mark a package still to come and a standalone leaf; `#` starts a comment."""
    blocks = text.split("```layers\n")
    assert len(blocks) == 2, f"{PAGE.name} must hold exactly one ```layers block"
    order, planned, leaves = [], set(), set()
    for line in blocks[1].split("```", 1)[0].splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        name, marks = words[0], set(words[1:])
        assert marks <= {"planned", "leaf"}, f"unknown mark in layers block: {line!r}"
        if "leaf" in marks:
            leaves.add(name)
        else:
            order.append(name)
        if "planned" in marks:
            planned.add(name)
    return Layers(order=order, planned=planned, leaves=leaves)


def top_level_packages(root: Path) -> set[str]:
    return {
        path.name
        for path in root.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and path.name not in NOT_LAYERED
        and any(path.glob("*.py"))
    }


def scan_imports(root: Path, packages: set[str]) -> list[Import]:
    found = []
    for package in sorted(packages):
        for source in sorted((root / package).rglob("*.py")):
            parts = source.relative_to(root).parts
            if "migrations" in parts or "tests" in parts:
                continue
            tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
            for node in ast.walk(tree):  # every import, module level or inside a function
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in packages and top != package:
                        where = f"{'/'.join(parts)}:{node.lineno}"
                        found.append(Import(package, top, where))
    return found


def cycles(imports: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    edges = defaultdict(set)
    for imp in imports:
        edges[imp.importer].add(imp.imported)
    nodes = sorted(set(edges) | {p for targets in edges.values() for p in targets})
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in nodes:
        if v not in index:
            visit(v)
    return found


def violations(layers: Layers, imports: list[Import]) -> list[str]:
    """Each import that goes up (or sideways), or out of a leaf, or into faultportal's way."""
    wrong = []
    for imp in imports:
        if imp.importer in layers.leaves:
            wrong.append(f"{imp} — {imp.importer} is a standalone leaf: it imports nothing of ours")
        elif imp.imported in layers.leaves:
            continue
        elif layers.rank(imp.imported) >= layers.rank(imp.importer):
            wrong.append(f"{imp} — {imp.imported} is not below {imp.importer}")
    return wrong


@pytest.fixture(scope="module")
def layers() -> Layers:
    return read_layers(PAGE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def packages() -> set[str]:
    return top_level_packages(REPO)


@pytest.fixture(scope="module")
def imports(packages) -> list[Import]:
    return scan_imports(REPO, packages)


def test_the_page_lists_every_top_level_package_and_nothing_that_is_not_there(layers, packages):
    listed = set(layers.order) | layers.leaves
    missing = sorted(packages - listed)
    assert not missing, f"top-level packages missing from {PAGE.name}'s layers block: {missing}"
    gone = sorted(listed - packages - layers.planned)
    assert not gone, f"listed in {PAGE.name} but not in the tree (mark them planned): {gone}"
    present = sorted(layers.planned & packages)
    assert not present, f"marked planned in {PAGE.name} but present: {present}"
    assert layers.order[0] == "faultportal", "the project package is the bottom layer"


def test_faultportal_imports_no_app(imports):
    upward = [str(imp) for imp in imports if imp.importer == "faultportal"]
    assert not upward, "the project package imports no app:\n" + "\n".join(upward)


def test_no_import_cycle_between_top_level_packages(imports):
    found = cycles(imports)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_every_import_goes_down_the_layers(layers, imports):
    wrong = violations(layers, imports)
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_the_scan_sees_imports_inside_functions_and_finds_a_cycle(tmp_path):
    """The scan itself: an import inside a function is seen, and two packages importing each
    other are a cycle and an upward import."""
    for package, body in {
        "low": "def f():\n    from high import thing\n",
        "high": "from low import f\n",
    }.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(body)
    found = scan_imports(tmp_path, top_level_packages(tmp_path))
    assert {str(imp) for imp in found} == {
        "high/__init__.py:1: high imports low",
        "low/__init__.py:2: low imports high",
    }
    assert cycles(found) == [["high", "low"]]
    layers = read_layers("```layers\nlow\nhigh\n```\n")
    assert violations(layers, found) == [
        "low/__init__.py:2: low imports high — high is not below low"
    ]
