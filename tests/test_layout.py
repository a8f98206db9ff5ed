"""The package layout, read from the source: the network library (``model/nn``) depends on
nothing else of the project, ``model/`` never reaches for the web service or its frameworks, and
no module of ``model/`` or ``service/`` imports itself in a circle. Every import counts, also one
inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("model", "service")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
}


def imported_names(name: str) -> set[str]:
    """Every module ``name`` imports (absolute names), wherever the import statement stands."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from package import submodule" imports the submodule; other names come from base.
            submodules = {f"{base}.{alias.name}" for alias in node.names} & set(MODULES)
            found |= submodules if len(submodules) == len(node.names) else {*submodules, base}
    return found


GRAPH = {name: {other for other in imported_names(name) if other in MODULES} for name in MODULES}


def cycles() -> list[list[str]]:
    """One cycle through each strongly connected group of more than one module (or a self-import)."""
    found, done = [], set()
    for start in sorted(GRAPH):
        stack, path = [(start, iter(sorted(GRAPH[start])))], [start]
        on_path = {start}
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop(), path.pop(), on_path.discard(node)
                done.add(node)
            elif child in on_path:
                cycle = path[path.index(child) :]
                if not any(set(cycle) == set(other) for other in found):
                    found.append([*cycle, child])
            elif child not in done:
                stack.append((child, iter(sorted(GRAPH[child]))))
                path.append(child)
                on_path.add(child)
    return found


def test_the_layout_reader_sees_the_packages_and_their_imports() -> None:
    assert {"model", "model.nn", "model.nn.network", "service", "service.app"} <= set(MODULES)
    assert "model.nn.activations" in GRAPH["model.nn"] and "numpy" in imported_names("model.nn.network")


def test_no_module_of_model_or_service_imports_itself_through_others() -> None:
    assert cycles() == []


@pytest.mark.parametrize("name", sorted(name for name in MODULES if name.startswith("model.nn")))
def test_the_network_library_imports_nothing_of_the_project_outside_itself(name: str) -> None:
    outside = {
        other
        for other in imported_names(name)
        if other.split(".")[0] in PACKAGES and not (other == "model.nn" or other.startswith("model.nn."))
    }
    assert outside == set()


@pytest.mark.parametrize("name", sorted(name for name in MODULES if name.split(".")[0] == "model"))
def test_the_model_package_never_imports_the_service_or_a_web_framework(name: str) -> None:
    roots = {other.split(".")[0] for other in imported_names(name)}
    assert roots & {"service", "flask", "werkzeug", "pydantic", "pydantic_settings", "gunicorn"} == set()
