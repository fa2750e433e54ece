"""Run mypy over the kit under its installed name.

The folders ``conformance/`` and ``strategies/`` install as ``kms_conformance`` and
``kms_conformance.strategies`` (a setuptools ``package-dir`` mapping). mypy reads folders, not
import hooks, so it cannot follow an editable install's mapping; this script lays the same package
out as symbolic links in a temporary folder and runs mypy there (settings from pyproject.toml)::

    python tests/typecheck.py            # what `tox -e type` runs
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "kms_conformance"
        package.mkdir()
        for entry in (ROOT / "conformance").iterdir():
            if entry.name != "__pycache__":
                (package / entry.name).symlink_to(entry)
        (package / "strategies").symlink_to(ROOT / "strategies")
        cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *sys.argv[1:]]
        return subprocess.run(cmd, cwd=tmp).returncode


if __name__ == "__main__":
    sys.exit(main())
