"""The kit's cache folder, and Hypothesis's storage kept there by the kit's own processes
(:mod:`kms_conformance.cache`): a run started in a fresh folder leaves no ``.hypothesis/`` in it and
computes Hypothesis's Unicode tables once per user, not once per folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from e2e_support import cli
from kms_conformance.cache import CACHE_ENV, HYPOTHESIS_STORAGE_ENV, cache_root, keep_hypothesis_storage
from kms_conformance.cli import main


def test_cache_root_default_and_variable(tmp_path: Path) -> None:
    assert cache_root({}) == Path.home() / ".cache" / "kms-conformance"
    assert cache_root({CACHE_ENV: str(tmp_path / "c")}) == tmp_path / "c"
    assert cache_root({CACHE_ENV: "~/elsewhere"}) == Path.home() / "elsewhere"


def test_hypothesis_storage_goes_to_the_cache_unless_the_user_chose(tmp_path: Path) -> None:
    env = {CACHE_ENV: str(tmp_path / "c")}
    assert keep_hypothesis_storage(env) == tmp_path / "c" / "hypothesis"
    assert env[HYPOTHESIS_STORAGE_ENV] == str(tmp_path / "c" / "hypothesis")
    mine = {CACHE_ENV: str(tmp_path / "c"), HYPOTHESIS_STORAGE_ENV: str(tmp_path / "mine")}
    assert keep_hypothesis_storage(mine) is None
    assert mine[HYPOTHESIS_STORAGE_ENV] == str(tmp_path / "mine")


def test_a_program_calling_main_keeps_its_own_hypothesis_settings(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(HYPOTHESIS_STORAGE_ENV, raising=False)
    assert main(["rules"]) == 0
    assert "KMS-01" in capsys.readouterr().out
    assert HYPOTHESIS_STORAGE_ENV not in os.environ


def test_a_run_in_a_fresh_folder_leaves_no_hypothesis_folder_there(tmp_path: Path) -> None:
    """AOSS-01's examples include text, for which Hypothesis first builds its Unicode tables."""
    work = tmp_path / "checkout"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != HYPOTHESIS_STORAGE_ENV}
    env[CACHE_ENV] = str(tmp_path / "cache")
    done = cli("-q", "run", "--target", "model", "--profile", "ci", "--rules", "AOSS-01", env=env, cwd=work)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in work.iterdir()) == ["reports"]
    tables = {p.name for p in (tmp_path / "cache" / "hypothesis").rglob("*.json.gz")}
    assert "codec-v2-utf-8.json.gz" in tables, tables
