"""The installed import names: ``kms_conformance`` and ``kms_conformance.strategies``, nothing generic.

The folders ``conformance/`` and ``strategies/`` are installed under names no other distribution
uses (pyproject.toml, ``package-dir``); a user's ``import strategies`` must not find the kit.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd)


def test_installed_names_only(tmp_path: Path) -> None:
    ok = _python("import kms_conformance, kms_conformance.strategies, kms_conformance.strategies.policies", tmp_path)
    assert ok.returncode == 0, ok.stderr
    for generic in ("conformance", "strategies"):
        proc = _python(f"import {generic}", tmp_path)
        assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, f"{generic} is importable"


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "kms_conformance", "--help"], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 0 and "usage: kms-conformance" in proc.stdout, proc.stderr


def test_every_package_folder_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for top, name in (("conformance", "kms_conformance"), ("strategies", "kms_conformance.strategies")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((name, *rel)))
    assert found == listed
