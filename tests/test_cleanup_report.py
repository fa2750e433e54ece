"""What a run's cleanup left is never silent: ``meta.cleanup`` in report.json, one summary line per
kind left, and exit status 4 when it stays in a real account."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kms_conformance.progress import summary_table
from kms_conformance.report.schema import validate_report_dict
from kms_conformance.resources import leftovers_outlive_run
from kms_conformance.runner import run_meta
from kms_conformance.targets import TargetConfig, make_target
from kms_conformance.targets.boto import BotoTarget
from kms_conformance.verdicts import Cleanup, Leftover, Report, report_from_dict, report_to_dict

ENCRYPTION = json.dumps({"Rules": [{"ResourceType": "collection", "Resource": ["collection/kmsc-c"]}],
                         "AWSOwnedKey": True})
LEFT = Cleanup(removed=3, left=(
    Leftover("opensearchserverless security-policy", "kmsc-p-1", "NotImplementedError: not implemented"),
    Leftover("opensearchserverless security-policy", "kmsc-p-2", "NotImplementedError: not implemented"),
    Leftover("sagemaker feature-group", "kmsc-fg-3", "ClientError: ResourceInUse")))


def test_cleanup_counts_what_it_removed_and_lists_what_it_left() -> None:
    """moto lacks DeleteSecurityPolicy: the policy is left, with the error; a Forecast dataset group,
    whose DeleteResourceTree moto lacks too, is removed with DeleteDatasetGroup instead."""
    target = make_target(TargetConfig(name="moto", run_id="clean"))
    assert isinstance(target, BotoTarget)
    try:
        key = target.call("kms", "CreateKey", {}).value["KeyMetadata"]["KeyId"]
        policy = target.unique("p")
        assert target.call("opensearchserverless", "CreateSecurityPolicy",
                           {"name": policy, "type": "encryption", "policy": ENCRYPTION}).ok
        assert target.call("forecast", "CreateDatasetGroup", {"DatasetGroupName": "kmsc_g_1", "Domain": "RETAIL"}).ok
        cleaned = target._clean()
        assert cleaned.removed == 2
        assert [(i.kind, i.id) for i in cleaned.left] == [("opensearchserverless security-policy", policy)]
        assert "delete_security_policy" in cleaned.left[0].error
        assert target.client("forecast").list_dataset_groups()["DatasetGroups"] == []
        assert target.client("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
        assert "cleanup" not in target.describe()  # before close: nothing to say yet
        # moto in-process cleans up nothing at close (its state ends with the run); on here, to see close() say it
        target._cleanup = True
    finally:
        target.close()
    assert target.cleanup_result is not None and target.describe()["cleanup"] == target.cleanup_result
    assert [i.id for i in target.cleanup_result.left] == [policy]
    assert target.cleanup_failures and policy in target.cleanup_failures[0]


def test_moto_in_process_reports_no_cleanup() -> None:
    target = make_target(TargetConfig(name="moto", run_id="nocl"))
    target.close()
    assert "cleanup" not in target.describe()


def _report(cleanup: Cleanup | None, *, target: str = "aws", endpoint: str | None = None) -> Report:
    from kms_conformance.runner import RunOptions

    options = RunOptions(target=TargetConfig(name=target, endpoint_url=endpoint))
    meta = run_meta(options, describe={"name": target, "version": "", "endpoint": endpoint, "cleanup": cleanup},
                    account="123456789012", started="2026-01-01T00:00:00Z")
    return Report(meta=meta)


def test_report_carries_meta_cleanup_in_the_schema() -> None:
    data = report_to_dict(_report(LEFT))
    policy, error = "opensearchserverless security-policy", "NotImplementedError: not implemented"
    assert data["meta"]["cleanup"] == {"removed": 3, "left": [
        {"kind": policy, "id": "kmsc-p-1", "error": error}, {"kind": policy, "id": "kmsc-p-2", "error": error},
        {"kind": "sagemaker feature-group", "id": "kmsc-fg-3", "error": "ClientError: ResourceInUse"}]}
    assert validate_report_dict(data) == []
    assert report_from_dict(json.loads(json.dumps(data))).meta.cleanup == LEFT
    assert validate_report_dict(report_to_dict(_report(None))) == []
    bad = {**data, "meta": {**data["meta"], "cleanup": {"removed": 1, "left": [{"kind": "k", "id": "i"}]}}}
    assert validate_report_dict(bad)[0][0] == "meta.cleanup.left[0].error" or validate_report_dict(bad)


def test_summary_prints_one_line_per_kind_left() -> None:
    lines = summary_table(_report(LEFT)).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("cleanup:"))
    assert lines[start] == "cleanup: 3 removed, 3 left (`kms-conformance sweep` finds them):"
    assert lines[start + 1].startswith(
        "  left 2 opensearchserverless security-policy, e.g. kmsc-p-1: NotImplementedError")
    assert lines[start + 2].startswith("  left 1 sagemaker feature-group, e.g. kmsc-fg-3: ClientError")
    assert not any(line.startswith("cleanup:") for line in summary_table(_report(Cleanup(removed=5))).splitlines())


@pytest.mark.parametrize(("target", "endpoint", "outlives"), [
    ("aws", None, True),
    ("aws", "https://kms.example.com", True),
    ("aws", "http://127.0.0.1:5000", False),
    ("moto", None, False),
    ("model", None, False),
])
def test_leftovers_outlive_only_a_run_on_a_real_account(target: str, endpoint: str | None, outlives: bool) -> None:
    assert leftovers_outlive_run(target, endpoint) is outlives


@pytest.mark.parametrize(("target", "endpoint", "cleanup", "status"), [
    ("aws", None, LEFT, 4),
    ("aws", None, Cleanup(removed=3), 0),
    ("aws", "http://127.0.0.1:5000", LEFT, 0),
    ("moto", None, LEFT, 0),
])
def test_run_exits_4_when_cleanup_left_resources_in_a_real_account(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str],
        target: str, endpoint: str | None, cleanup: Cleanup, status: int) -> None:
    import kms_conformance.runner as runner
    from kms_conformance.cli import main

    monkeypatch.setattr(runner, "run", lambda options, progress=None, **_: _report(cleanup, target=target,
                                                                               endpoint=endpoint))
    argv = ["run", "--target", target, "--report-dir", str(tmp_path), "--rules", "KMS-01"]
    if endpoint:
        argv += ["--endpoint-url", endpoint]
    assert main(argv) == status
    out = capsys.readouterr().out
    assert ("left 1 sagemaker feature-group" in out) is bool(cleanup.left)
