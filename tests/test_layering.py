"""The kit's layers, enforced: no module imports from a layer above its own, and no import cycle.

The table :data:`LAYERS` is the one statement of the layering (DESIGN.md, "Layers", explains it).
Every module of ``kms_conformance`` (the ``conformance/`` folder) and ``kms_conformance.strategies``
(``strategies/``) is read with :mod:`ast`; every ``import`` and ``from ... import`` counts, those
inside functions and under ``if TYPE_CHECKING:`` included (a deferred import is still a dependency).
A module loaded by a computed name (``importlib.import_module``) is not an import: the three
registries that do it (``cli`` its commands, ``rules.catalogue`` the spec modules,
``models.operations`` the service models) load modules of their own layer.

A failure lists one line per violation, ``module -> imported (layer X above layer Y)``, and one
line per cycle, ``a -> b -> a``.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable, Mapping, Sized
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT_PACKAGE = "kms_conformance"

#: The layers, top to bottom. A module may import its own layer and the layers below it, never one
#: above. Each entry names modules relative to ``kms_conformance``: ``"report"`` is the module or
#: package ``kms_conformance.report`` and everything under it; ``""`` is the package root alone.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("faces", ("cli", "__main__", "commands", "pytest_plugin", "fixtures", "progress", "batch_progress")),
    ("runner", ("runner", "engine", "check", "baseline", "report", "iac", "recording", "journal", "workers",
                "interrupts")),
    ("specs", ("rules", "specs")),
    ("scenarios", ("scenarios",)),
    ("strategies", ("strategies",)),
    ("targets", ("targets", "enforcement", "safety", "resources", "sweep")),
    ("models", ("models",)),
    ("kms", ("kms", "setup", "setup_validate")),
    ("policy", ("policy",)),
    ("values", ("errors", "inputs", "regions", "arns", "verdicts", "documents", "scrub", "cache", "sessions", "")),
)

#: Module name -> the kit's modules it imports.
Graph = Mapping[str, frozenset[str]]


# -- reading the imports --------------------------------------------------------------------------


def source_folders() -> dict[str, Path]:
    """The installed package names and the folders they are read from (the editable install's mapping)."""
    folders = {}
    for package in (ROOT_PACKAGE, f"{ROOT_PACKAGE}.strategies"):
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations, f"{package} is not installed"
        folders[package] = Path(next(iter(spec.submodule_search_locations)))
    return folders


def modules(folders: Mapping[str, Path]) -> dict[str, Path]:
    """Every module of the kit: dotted name -> file (a package is named by its ``__init__.py``)."""
    found: dict[str, Path] = {}
    for package, folder in folders.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join((package, *parts))
            found.setdefault(name, path)
    return found


def imports_of(source: str, module: str, *, is_package: bool, known: Iterable[str]) -> frozenset[str]:
    """The kit's modules ``source`` (the text of ``module``) imports, wherever the statement stands.

    ``from pkg import name`` imports the module ``pkg.name`` when there is one, else ``pkg`` itself;
    relative imports are resolved against ``module``."""
    known = frozenset(known)
    here = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            for alias in node.names:
                found.add(f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in known else origin)
    inside = {name for name in found if name == ROOT_PACKAGE or name.startswith(f"{ROOT_PACKAGE}.")}
    return frozenset(_nearest_module(name, known) for name in inside)


def _nearest_module(name: str, known: frozenset[str]) -> str:
    """``import kms_conformance.kms.keys`` names a module; a name below a module (an attribute) is its module."""
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def import_graph() -> dict[str, frozenset[str]]:
    found = modules(source_folders())
    return {
        name: imports_of(path.read_text(encoding="utf-8"), name, is_package=path.name == "__init__.py",
                         known=found) - {name}
        for name, path in found.items()
    }


# -- the checks -----------------------------------------------------------------------------------


def short(module: str) -> str:
    """``kms_conformance.report.junit`` -> ``report.junit``; the package root keeps its name."""
    return module[len(ROOT_PACKAGE) + 1:] if module.startswith(f"{ROOT_PACKAGE}.") else module


def layer_of(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> int | None:
    """The index of ``module``'s layer in ``layers`` (0 is the top), None when no entry names it."""
    name = short(module)
    for index, (_, entries) in enumerate(layers):
        for entry in entries:
            if (entry == "" and module == ROOT_PACKAGE) or (entry and (name == entry or name.startswith(f"{entry}."))):
                return index
    return None


@dataclass(frozen=True)
class Violation:
    """``module`` imports ``imported``, which sits in a layer above the module's."""

    module: str
    imported: str
    imported_layer: str
    module_layer: str

    def __str__(self) -> str:
        return (f"{short(self.module)} -> {short(self.imported)} "
                f"(layer {self.imported_layer} above layer {self.module_layer})")


def unlayered(graph: Graph, layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> list[str]:
    return sorted(short(m) for m in graph if layer_of(m, layers) is None)


def upward_imports(graph: Graph, layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> list[Violation]:
    """Every import of a module in a higher layer than the importer's (modules without a layer are skipped)."""
    found = []
    for module in sorted(graph):
        own = layer_of(module, layers)
        for imported in sorted(graph[module]):
            theirs = layer_of(imported, layers)
            if own is not None and theirs is not None and theirs < own:
                found.append(Violation(module, imported, layers[theirs][0], layers[own][0]))
    return found


def cycles(graph: Graph) -> list[tuple[str, ...]]:
    """The import cycles, each as a path ``(a, b, a)``: for every strongly connected component of more
    than one node, shortest cycles until each of its members is on one (sorted)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
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
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    found = []
    for component in components:
        covered: set[str] = set()
        for member in sorted(component):  # every member of the component on at least one cycle shown
            if member not in covered:
                cycle = _cycle_through(member, set(component), graph)
                covered.update(cycle)
                found.append(cycle)
    return sorted(found)


def _cycle_through(start: str, members: set[str], graph: Graph) -> tuple[str, ...]:
    """A shortest path ``start -> ... -> start`` inside one strongly connected component."""
    paths: dict[str, tuple[str, ...]] = {start: (start,)}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    return (*paths[node], start)
                if nxt in members and nxt not in paths:
                    paths[nxt] = (*paths[node], nxt)
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{start} is on no cycle")  # unreachable for a component of two or more


def unit_of(module: str) -> str:
    """The package-level unit of a module: its first name below ``kms_conformance`` (``report``,
    ``strategies``, ``runner``); the package root is its own unit."""
    name = short(module)
    return module if name == module else name.split(".")[0]


def package_graph(graph: Graph) -> dict[str, frozenset[str]]:
    """The module graph collapsed to package-level units (imports inside one unit dropped)."""
    units: dict[str, set[str]] = {}
    for module, imported in graph.items():
        unit = unit_of(module)
        units.setdefault(unit, set()).update(unit_of(m) for m in imported if unit_of(m) != unit)
    return {unit: frozenset(found) for unit, found in units.items()}


def render(lines: Iterable[object]) -> str:
    return "\n".join(f"  {line}" for line in lines)


def count(found: Sized, noun: str) -> str:
    return f"{len(found)} {noun}{'' if len(found) == 1 else 's'}"


def show_cycle(cycle: tuple[str, ...]) -> str:
    return " -> ".join(short(m) for m in cycle)


# -- the kit ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> dict[str, frozenset[str]]:
    """The kit's import graph, read when a test of this module first needs it (not at collection, which
    every xdist worker does)."""
    return import_graph()


def test_every_module_has_a_layer(graph: dict[str, frozenset[str]]) -> None:
    missing = unlayered(graph)
    if missing:
        pytest.fail("modules no entry of LAYERS names (place each in its layer):\n" + render(missing), pytrace=False)


def test_every_layer_entry_names_a_module(graph: dict[str, frozenset[str]]) -> None:
    names = {short(m) for m in graph}
    stale = [entry for _, entries in LAYERS for entry in entries
             if entry and not any(n == entry or n.startswith(f"{entry}.") for n in names)]
    if stale:
        pytest.fail("LAYERS names modules that do not exist:\n" + render(stale), pytrace=False)


def test_no_module_imports_a_higher_layer(graph: dict[str, frozenset[str]]) -> None:
    found = upward_imports(graph)
    if found:
        pytest.fail(f"{count(found, 'import')} from a higher layer:\n" + render(found), pytrace=False)


def test_no_import_cycle_between_modules(graph: dict[str, frozenset[str]]) -> None:
    found = cycles(graph)
    if found:
        lines = render(map(show_cycle, found))
        pytest.fail(f"{count(found, 'import cycle')} between modules:\n{lines}", pytrace=False)


def test_no_import_cycle_between_packages(graph: dict[str, frozenset[str]]) -> None:
    found = cycles(package_graph(graph))
    if found:
        lines = render(map(show_cycle, found))
        pytest.fail(f"{count(found, 'import cycle')} between packages:\n{lines}", pytrace=False)


# -- the checker itself -------------------------------------------------------------------------------


def test_the_reader_sees_every_kind_of_import() -> None:
    source = (
        "from __future__ import annotations\n"
        "import json\n"
        "from typing import TYPE_CHECKING\n"
        "import kms_conformance.policy.model\n"
        "from kms_conformance import errors, __version__\n"
        "from . import steps\n"
        "from ..kms.keys import KEY_STATES\n"
        "if TYPE_CHECKING:\n"
        "    from kms_conformance.targets.base import Target\n"
        "def later() -> None:\n"
        "    from kms_conformance.strategies.mutators import NotApplicable\n"
    )
    known = {"kms_conformance", "kms_conformance.errors", "kms_conformance.policy", "kms_conformance.policy.model",
             "kms_conformance.scenarios", "kms_conformance.scenarios.steps", "kms_conformance.kms",
             "kms_conformance.kms.keys", "kms_conformance.targets", "kms_conformance.targets.base",
             "kms_conformance.strategies", "kms_conformance.strategies.mutators"}
    found = imports_of(source, "kms_conformance.scenarios.forecast", is_package=False, known=known)
    assert found == {"kms_conformance.policy.model", "kms_conformance.errors", "kms_conformance",
                     "kms_conformance.scenarios.steps", "kms_conformance.kms.keys",
                     "kms_conformance.targets.base", "kms_conformance.strategies.mutators"}


def test_the_checker_reports_an_upward_import_and_a_cycle() -> None:
    # A small kit: runner -> rules is downward; rules -> runner goes up a layer and closes a cycle.
    layers = (("runner", ("runner",)), ("specs", ("rules",)), ("values", ("errors",)))
    graph = {
        "kms_conformance.runner": frozenset({"kms_conformance.rules", "kms_conformance.errors"}),
        "kms_conformance.rules": frozenset({"kms_conformance.runner", "kms_conformance.errors"}),
        "kms_conformance.errors": frozenset(),
        "kms_conformance.loose": frozenset(),
    }
    violations = upward_imports(graph, layers)
    assert [str(v) for v in violations] == ["rules -> runner (layer runner above layer specs)"]
    assert cycles(graph) == [("kms_conformance.rules", "kms_conformance.runner", "kms_conformance.rules")]
    assert unlayered(graph, layers) == ["loose"]


def test_the_checker_reports_a_cycle_between_packages_only_there() -> None:
    # report.a -> specs.b and specs.c -> report.d: no module cycle, but the packages import each other.
    graph = {
        "kms_conformance.report.a": frozenset({"kms_conformance.specs.b"}),
        "kms_conformance.specs.b": frozenset(),
        "kms_conformance.specs.c": frozenset({"kms_conformance.report.d"}),
        "kms_conformance.report.d": frozenset(),
    }
    assert cycles(graph) == []
    assert [show_cycle(c) for c in cycles(package_graph(graph))] == ["report -> specs -> report"]
