"""The layer arrows of docs/architecture.md, enforced by parsing every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mtjnn"
# layer -> layers it may import from (besides itself and the shared top-level helpers)
ALLOWED = {
    "physics": set(),
    "devices": {"physics"},
    "circuits": {"physics", "devices"},
    "nn": {"physics", "devices", "circuits"},
    "data": set(),
    "experiments": {"physics", "devices", "circuits", "nn", "data"},
    "estimators": {"physics", "devices", "circuits", "nn", "data"},
}
SHARED = {"constants", "validation", "testing", "threads"}


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    rel = path.relative_to(PACKAGE).parts
    layers = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against this module's package
                base = list(rel[:-1])[: len(rel) - node.level]
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.startswith("mtjnn."):
                target = node.module.split(".")[1:]
            else:
                continue
            if target:
                layers.add(target[0])
            else:  # "from .. import x" -> the names are modules of the package
                layers.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mtjnn."):
                    layers.add(alias.name.split(".")[1])
    return layers


def test_layers_import_only_from_their_left() -> None:
    violations = []
    for layer, allowed in ALLOWED.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            bad = _imported_layers(path) - allowed - SHARED - {layer}
            if bad:
                violations.append(f"{path.relative_to(PACKAGE)} imports {sorted(bad)}")
    assert not violations, "\n".join(violations)


def test_physics_modules_import_no_cycle() -> None:
    """No import cycle among the engine's modules, lazy (function-level) imports included."""
    folder = PACKAGE / "physics"
    modules = {p.stem for p in folder.glob("*.py")}
    graph = {}
    for name in modules:
        tree = ast.parse((folder / f"{name}.py").read_text())
        graph[name] = {n.module for n in ast.walk(tree)
                       if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module in modules}

    def cycle_from(start: str, node: str, seen: tuple) -> tuple | None:
        for nxt in graph[node]:
            if nxt == start:
                return seen + (nxt,)
            if nxt not in seen:
                found = cycle_from(start, nxt, seen + (nxt,))
                if found:
                    return found
        return None

    cycles = [c for c in (cycle_from(m, m, (m,)) for m in sorted(modules)) if c]
    assert not cycles, " -> ".join(cycles[0])
