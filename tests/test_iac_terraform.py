"""``check --from terraform-plan``: plans (``terraform show -json``) read as setups (kms_conformance.iac.terraform)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from iac_support import EXAMPLES, failures, run_check, setup_failures
from kms_conformance.iac import from_terraform_plan, sniff

TF = EXAMPLES / "terraform"

#: (plan, the setup file it is derived from). The AWS provider has no Forecast resource types.
PAIRS = [
    ("feature-store.json", "feature-store/setup.json"),
    ("feature-store-broken-shared-key.json", "feature-store/broken-shared-key.json"),
    ("mwaa.json", "mwaa/setup.json"),
    ("mwaa-broken-alias.json", "mwaa/broken-alias.json"),
    ("opensearch-serverless.json", "opensearch-serverless/setup.json"),
    ("opensearch-serverless-broken-no-create-grant.json", "opensearch-serverless/broken-no-create-grant.json"),
]


@pytest.mark.parametrize(("plan", "setup_file"), PAIRS, ids=[p[0] for p in PAIRS])
def test_plan_finds_what_the_setup_finds(capsys: pytest.CaptureFixture[str], tmp_path: Path, plan: str,
                                         setup_file: str) -> None:
    want_status, want, raw = setup_failures(capsys, EXAMPLES / setup_file, tmp_path)
    status, report, err = run_check(capsys, "--from", "terraform-plan", str(TF / plan), "--caller", raw["caller"])
    assert report is not None, err
    assert failures(report) == want
    assert status == want_status
    if "broken" in plan:
        assert status == 1 and any(s == "violated" for _, s in want)
    else:
        assert status == 0 and report["ok"] is True


def test_every_shipped_plan_is_compared() -> None:
    assert sorted(p.name for p in TF.glob("*.json")) == sorted(p[0] for p in PAIRS)


def load(name: str) -> dict[str, Any]:
    return json.loads((TF / name).read_text())


def write(tmp_path: Path, plan: dict[str, Any]) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def change(plan: dict[str, Any], address: str) -> dict[str, Any]:
    return next(rc for rc in plan["resource_changes"] if rc["address"] == address)["change"]


def config(plan: dict[str, Any], address: str) -> dict[str, Any]:
    return next(r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == address)


def test_unknown_values_keep_their_links() -> None:
    t = from_terraform_plan(TF / "feature-store.json")
    body = t.setup.request["CreateFeatureGroup"]
    online, offline = (k.arn for k in t.setup.keys)
    assert body["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"] == online
    assert body["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] == offline != online
    assert body["RoleArn"] == "arn:aws:iam::111122223333:role/featurestore-offline"
    assert online == from_terraform_plan(TF / "feature-store.json").setup.keys[0].arn  # deterministic
    mwaa = from_terraform_plan(TF / "mwaa.json")
    env = mwaa.setup.request["CreateEnvironment"]
    assert env["KmsKey"] == mwaa.setup.keys[0].arn and mwaa.setup.keys[0].aliases == ("alias/mwaa-env",)
    assert env["SourceBucketArn"] == "arn:aws:s3:::my-airflow-dags"
    assert env["ExecutionRoleArn"] == "arn:aws:iam::111122223333:role/service-role/MwaaExecutionRole"


def test_region_comes_from_the_provider_unless_given() -> None:
    t = from_terraform_plan(TF / "mwaa.json")
    assert t.setup.region == "us-west-2" and "region us-west-2 (the plan's aws provider)" in t.assumptions
    assert from_terraform_plan(TF / "mwaa.json", region="eu-west-1").setup.region == "eu-west-1"


def test_known_values_of_existing_resources_are_used() -> None:
    t = from_terraform_plan(TF / "opensearch-serverless.json")  # the key is a no-op: it exists already
    assert t.setup.keys[0].arn == "arn:aws:kms:us-east-1:111122223333:key/93fd6da4-a317-4c17-bfe9-382b5d988b36"
    assert t.setup.keys[0].aliases == ()
    role = "arn:aws:iam::111122223333:role/EncryptionAdmin"
    assert len(t.setup.identity_policies[role]) == 1  # aws_iam_policy + aws_iam_role_policy_attachment
    assert list(t.setup.request) == ["CreateSecurityPolicy", "CreateCollection"]


def test_unresolvable_unknowns_are_listed_not_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = load("mwaa.json")
    change(plan, "aws_mwaa_environment.this")["after_unknown"]["dag_s3_path"] = True
    change(plan, "aws_mwaa_environment.this")["after"].pop("dag_s3_path")
    config(plan, "aws_mwaa_environment.this")["expressions"]["dag_s3_path"] = {"references": ["var.dags"]}
    key = change(plan, "aws_kms_key.env")
    key["after"].pop("policy")
    key["after_unknown"]["policy"] = True
    config(plan, "aws_kms_key.env")["expressions"]["policy"] = {"references": ["aws_iam_role.execution.arn",
                                                                             "aws_iam_role.execution"]}
    t = from_terraform_plan(write(tmp_path, plan))
    assert "DagS3Path" not in t.setup.request["CreateEnvironment"]
    assert ("not checked: aws_mwaa_environment aws_mwaa_environment.this.dag_s3_path (known only after apply "
            "(it refers to var.dags))") in [str(n) for n in t.not_checked]
    status, _, err = run_check(capsys, "--from", "terraform-plan", str(write(tmp_path, plan)))
    assert status == 2 and "request.CreateEnvironment.DagS3Path: DagS3Path is required" in err
    change(plan, "aws_mwaa_environment.this")["after"]["dag_s3_path"] = "dags"
    change(plan, "aws_mwaa_environment.this")["after_unknown"].pop("dag_s3_path")
    t = from_terraform_plan(write(tmp_path, plan))
    lines = [str(n) for n in t.not_checked]
    assert ("not checked: aws_kms_key aws_kms_key.env.policy (known only after apply (it refers to "
            "aws_iam_role.execution.arn, aws_iam_role.execution); the default key policy is assumed in its "
            "place)") in lines
    assert t.setup.keys[0].policy.statements[0].sid == "Enable IAM User Permissions"


def test_not_checked_lists_types_and_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    status, report, _ = run_check(capsys, "--from", "terraform-plan", str(TF / "mwaa.json"),
                                  "--caller", "arn:aws:iam::111122223333:role/MwaaAdmin")
    assert status == 0 and report["from"] == "terraform-plan"
    assert "not checked: aws_s3_bucket aws_s3_bucket.dags (no mapping for this resource type)" in report["notChecked"]
    assert ("not checked: aws_mwaa_environment aws_mwaa_environment.this.airflow_version (no rule of the kit reads it)"
            in report["notChecked"])
    assert not any(".arn " in line or ".id " in line for line in report["notChecked"])  # computed, not written


def test_deleted_resources_are_left_out_and_modules_are_read(tmp_path: Path) -> None:
    plan = load("mwaa.json")
    gone = copy.deepcopy(next(rc for rc in plan["resource_changes"] if rc["address"] == "aws_kms_key.env"))
    gone["address"], gone["name"] = "aws_kms_key.old", "old"
    gone["change"]["actions"] = ["delete"]
    plan["resource_changes"].append(gone)
    # the environment inside a module: its references are relative to the module
    for rc in plan["resource_changes"]:
        rc["address"] = "module.airflow." + rc["address"]
    plan["configuration"]["root_module"] = {"module_calls": {"airflow": {"source": "./airflow", "module":
                                                                         plan["configuration"]["root_module"]}}}
    t = from_terraform_plan(write(tmp_path, plan))
    assert len(t.setup.keys) == 1
    assert t.setup.request["CreateEnvironment"]["KmsKey"] == t.setup.keys[0].arn
    assert t.resources[-1] == "module.airflow.aws_mwaa_environment.this"


def test_plain_check_on_a_plan_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert sniff(load("mwaa.json")) == "terraform-plan"
    status, report, err = run_check(capsys, str(TF / "mwaa.json"))
    assert status == 2 and report is None
    assert "this is a Terraform plan, not a setup file: use check --from terraform-plan" in err
    status, _, err = run_check(capsys, "--from", "cloudformation", str(TF / "mwaa.json"))
    assert status == 2 and "use --from terraform-plan" in err


def test_bad_plans_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for doc, message in (("{", "not valid JSON"), (json.dumps({"a": 1}), "not a Terraform plan"),
                         (json.dumps({"format_version": "1.2", "resource_changes": []}), "no resource of forecast")):
        path = tmp_path / "p.json"
        path.write_text(doc)
        status, _, err = run_check(capsys, "--from", "terraform-plan", str(path))
        assert status == 2 and message in err and len(err.strip().splitlines()) == 1, err
    status, _, err = run_check(capsys, "--from", "terraform-plan", str(TF / "mwaa.json"), "--parameter", "a=b")
    assert status == 2 and "--parameter and --condition are for --from cloudformation" in err
