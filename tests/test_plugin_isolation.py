"""The plugin leaves a user's tests alone: tests/user_suite (moto by decorator and by context
manager, un-mocked code, the kit's fixtures) has the same outcomes with and without
``--kms-conformance`` (also under ``-n 2``), and a session-wide mock, which is what leaked before,
is caught by that suite."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import boto3
import pytest
from computed_once import computed_once
from kms_conformance.targets.moto_scope import MotoScope, moto_patch_active
from moto import mock_aws

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "tests" / "user_suite"
RULES = ("--kms-rules", "KMS-01,KMS-02")

# pytest runs of a user's suite in subprocesses, several seconds each; one worker (see computed_once)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("plugin-isolation")]


def _outcomes(tmp_path: Path, name: str, *args: str, plugin_dir: Path | None = None) -> dict[str, str]:
    """Each user test's outcome (passed, failed, error, skipped) in one pytest run of the suite."""
    junit = tmp_path / f"{name}.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))}
    if plugin_dir is not None:
        env["PYTHONPATH"] = str(plugin_dir)
    # --confcutdir: the user's project has no conftest; without it pytest would also load this suite's
    # tests/conftest.py (the folder above, under the same rootdir), whose settings are not the user's.
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(SUITE),
                           f"--confcutdir={SUITE}", f"--junitxml={junit}", "--kms-report-dir", str(tmp_path / name),
                           *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert junit.exists(), proc.stdout + proc.stderr
    out: dict[str, str] = {}
    for case in ET.parse(junit).iter("testcase"):
        if "user_suite" not in case.get("classname", ""):
            continue
        kinds = {child.tag for child in case}
        outcome = ("failed" if "failure" in kinds else "error" if "error" in kinds
                   else "skipped" if "skipped" in kinds else "passed")
        out[f"{case.get('classname')}::{case.get('name')}"] = outcome
    return out


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The suite's outcomes without the kit, found once for the whole test run (under xdist, by
    whichever worker needs them first)."""
    outcomes: dict[str, str] = computed_once(tmp_path_factory, "plain", lambda folder: _outcomes(folder, "plain"))
    return outcomes


def test_the_user_suite_passes_on_its_own(plain: dict[str, str]) -> None:
    assert len(plain) == 5
    assert set(plain.values()) == {"passed"}, plain


def test_kms_conformance_leaves_the_user_suite_alone(plain: dict[str, str], tmp_path: Path) -> None:
    assert _outcomes(tmp_path, "kit", "--kms-conformance", *RULES) == plain


def test_kms_conformance_under_xdist_leaves_the_user_suite_alone(plain: dict[str, str], tmp_path: Path) -> None:
    assert _outcomes(tmp_path, "xdist", "--kms-conformance", *RULES, "-n", "2") == plain


def test_a_session_wide_mock_is_caught_by_the_suite(plain: dict[str, str], tmp_path: Path) -> None:
    """The control: a plugin that keeps one mock_aws started for the session (what the kit did
    before) changes the suite's outcomes, so the comparisons above can fail."""
    (tmp_path / "session_mock.py").write_text(
        "from moto import mock_aws\n_MOCK = mock_aws()\n"
        "def pytest_configure(config):\n    _MOCK.start()\n"
        "def pytest_unconfigure(config):\n    _MOCK.stop()\n")
    leaky = _outcomes(tmp_path, "leaky", "-p", "session_mock", plugin_dir=tmp_path)
    assert set(leaky) == set(plain)
    assert "failed" in leaky.values()


def test_the_kit_scope_keeps_its_state_apart() -> None:
    """Inside the scope the kit's key exists, between scopes no mock is started and a user's
    mock_aws sees no key; the next scope finds the key again."""
    scope = MotoScope()
    with scope.live():
        kms = boto3.client("kms", region_name="us-east-1")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    assert not moto_patch_active()
    with mock_aws():
        assert boto3.client("kms", region_name="us-east-1").list_keys()["Keys"] == []
        boto3.client("kms", region_name="us-east-1").create_key()
    with scope.live():
        keys = [k["KeyId"] for k in boto3.client("kms", region_name="us-east-1").list_keys()["Keys"]]
        assert keys == [key_id]
    assert not moto_patch_active()


@pytest.mark.parametrize("extra", [(), ("--kms-conformance", *RULES)], ids=["plain", "with-kit"])
def test_the_example_project_passes(extra: tuple[str, ...], tmp_path: Path) -> None:
    """examples/pytest (isolation, kms_enforce, kms_record + assert_conformant) passes, with and
    without the kit's rules in the same run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(ROOT / "examples" / "pytest" / "test_app.py"),
                           "--kms-report-dir", str(tmp_path), *extra],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    passed = 5 + (2 if extra else 0)  # the app's tests, and the two rule items with the kit
    assert f"\n{passed} passed" in proc.stdout, proc.stdout[-2000:]
