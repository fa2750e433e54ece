"""What the tests of ``check --from`` share: running the command and comparing its findings with
``check`` on the equivalent setup file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kms_conformance.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    """``kms-conformance check ARGV --json``: (status, the JSON printed or None, stderr)."""
    capsys.readouterr()
    status = main(["check", *argv, "--json"])
    out, err = capsys.readouterr()
    return status, (json.loads(out) if out.strip() else None), err


def failures(report: Any) -> list[tuple[str, str]]:
    """The findings that are not ``holds``: (rule, status), sorted."""
    return sorted((f["rule"], f["status"]) for f in report["findings"] if f["status"] != "holds")


def setup_failures(capsys: pytest.CaptureFixture[str], setup_file: Path, tmp_path: Path,
                   drop: tuple[str, ...] = ()) -> tuple[int, list[tuple[str, str]], dict[str, Any]]:
    """``check`` on a setup file (its ``request`` members in ``drop`` left out): status, failures, the setup."""
    raw = json.loads(setup_file.read_text())
    for op in drop:
        raw["request"].pop(op, None)
    path = tmp_path / setup_file.name
    path.write_text(json.dumps(raw))
    status, report, err = run_check(capsys, str(path))
    assert report is not None, err
    return status, failures(report), raw
