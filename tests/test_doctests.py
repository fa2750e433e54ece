"""The examples in the kit's docstrings are run: every module of the installed ``kms_conformance``
(``kms_conformance.strategies`` included) is imported and its doctests run, one test per module that
has any. A module that does not import fails collection; an example whose output differs fails its
module's test."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

PACKAGES = ("kms_conformance", "kms_conformance.strategies")
#: Importing ``__main__`` runs the command line (and exits); it holds no examples.
NOT_IMPORTED = frozenset({"kms_conformance.__main__"})


def _module_names() -> list[str]:
    """Every module of the installed packages. ``kms_conformance.strategies`` lives in its own folder
    (setuptools' package-dir), so a walk of ``kms_conformance``'s folder does not reach it."""
    names: set[str] = set()
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.add(package_name)
        names.update(info.name for info in pkgutil.walk_packages(package.__path__, f"{package_name}."))
    return sorted(names - NOT_IMPORTED)


def _doctests(module: ModuleType) -> list[doctest.DocTest]:
    return [test for test in doctest.DocTestFinder().find(module) if test.examples]


MODULES = _module_names()
WITH_DOCTESTS = [name for name in MODULES if _doctests(importlib.import_module(name))]


def test_the_walk_reaches_both_packages() -> None:
    assert {"kms_conformance.policy.match", "kms_conformance.strategies.aws"} <= set(MODULES)
    assert len(WITH_DOCTESTS) >= 5, WITH_DOCTESTS


@pytest.mark.parametrize("name", WITH_DOCTESTS)
def test_doctests(name: str) -> None:
    report: list[str] = []
    runner = doctest.DocTestRunner()
    for test in _doctests(importlib.import_module(name)):
        runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0
    assert results.failed == 0, "".join(report)


def test_a_wrong_example_fails() -> None:
    """The runner used above reports a docstring example whose output differs."""
    module = ModuleType("kms_conformance_sample")
    module.__doc__ = ">>> 1 + 1\n3\n"
    runner = doctest.DocTestRunner()
    for test in _doctests(module):
        runner.run(test, out=lambda _: None)
    assert runner.summarize(verbose=False) == (1, 1)
