"""Layout meta-tests: no import circle anywhere in awsaudit, and each stage imports only what
lies upstream of it (checks never call AWS, collectors never judge, the IAM engine is a library)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).parents[1] / "src"
PACKAGE = SRC / "awsaudit"


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every awsaudit module `path` imports, at the top or inside a function (a lazy import is
    still an edge), but not under `if TYPE_CHECKING:` (annotations only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""  # the code base uses absolute imports only
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
    return {m for m in found if m in modules}


def graph() -> nx.DiGraph:
    paths = {(_module(p)): p for p in PACKAGE.rglob("*.py")}
    g = nx.DiGraph()
    g.add_nodes_from(paths)
    for name, path in paths.items():
        g.add_edges_from((name, target) for target in _imports(path, set(paths)) if target != name)
    return g


def test_there_is_no_import_circle() -> None:
    g = graph()
    assert g.number_of_edges() > 100
    assert list(nx.simple_cycles(g)) == []


def _reaches(g: nx.DiGraph, source_prefix: str, target_prefix: str) -> list[tuple[str, str]]:
    def within(module: str, prefix: str) -> bool:
        return module == prefix or module.startswith(prefix + ".")

    return sorted((a, b) for a, b in g.edges if within(a, source_prefix) and within(b, target_prefix))


def test_each_stage_imports_only_upstream() -> None:
    g = graph()
    assert _reaches(g, "awsaudit.checks", "awsaudit.collect") == [], "checks never call AWS"
    assert _reaches(g, "awsaudit.collect", "awsaudit.checks") == [], "collectors never judge"
    for downstream in ("awsaudit.cli", "awsaudit.collect", "awsaudit.checks", "awsaudit.report",
                       "awsaudit.demo"):
        assert _reaches(g, "awsaudit.iam", downstream) == [], "the IAM engine is a library"
    for stage in ("awsaudit.collect", "awsaudit.checks", "awsaudit.report", "awsaudit.iam"):
        assert _reaches(g, stage, "awsaudit.cli") == [], "only the CLI prints errors and exits"
    assert _reaches(g, "awsaudit.report", "awsaudit.collect") == []


def test_no_loose_modules_at_the_top() -> None:
    """The top level holds the shared vocabulary and the snapshot format; every stage is a package."""
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == ["__init__", "__main__", "errors", "model", "settings", "snapshot"]


def test_the_network_engine_is_a_library() -> None:
    """Reachability is computed from snapshot data alone: no CLI, scanner, checks or reports inside."""
    g = graph()
    assert any(a.startswith("awsaudit.network") for a, _ in g.edges), "the network package exists"
    for downstream in ("awsaudit.cli", "awsaudit.collect", "awsaudit.checks", "awsaudit.report",
                       "awsaudit.demo"):
        assert _reaches(g, "awsaudit.network", downstream) == [], "the network engine is a library"
