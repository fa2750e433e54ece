"""examples/ci/sandbox-role-policy.json: the sandbox role's identity policy allows every call the kit
makes (each rule's operations, the target's own calls, cleanup, ``sweep``) and little else.

Decisions come from the kit's own evaluator (:func:`kms_conformance.policy.evaluate`, "Policy evaluation
logic", IAM User Guide), for a session of the role in the sandbox account on representative ARNs of
what the kit creates (names from ``BotoTarget.unique``: ``kmsc-<prefix>-<token>-<n>``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from kms_conformance.policy import Decision, Policy, evaluate, make_request, parse_policy
from kms_conformance.resources import creation_tags, iam_tags, kms_tags
from kms_conformance.rules import catalogue
from moto import mock_aws

POLICY_PATH = Path(__file__).resolve().parents[1] / "examples" / "ci" / "sandbox-role-policy.json"
ACCOUNT = "111122223333"
CALLER = f"arn:aws:sts::{ACCOUNT}:assumed-role/kms-conformance-sandbox/GitHubActions"
REGION = "us-east-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALIAS = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/kmsc-mwaa-3f9a1c-7"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/kmsc-forecast-3f9a1c-2"
COLLECTION = f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/1fl3sydoxj0wg2nnh2vp"
FEATURE_GROUP = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:feature-group/kmsc-fsgroup-3f9a1c-4"
ENVIRONMENT = f"arn:aws:airflow:{REGION}:{ACCOUNT}:environment/kmsc-Envab-3f9a1c-5"
FORECAST = f"arn:aws:forecast:{REGION}:{ACCOUNT}:"
#: boto3 service name -> IAM action prefix, where they differ (Service Authorization Reference).
IAM_PREFIX = {"opensearchserverless": "aoss", "mwaa": "airflow", "sagemaker-featurestore-runtime": "sagemaker",
              "resourcegroupstaggingapi": "tag"}
#: Forecast's resources by the operation that makes or reads them (names from ``_fname``: ``kmsc_...``).
FORECAST_RESOURCES = {
    "CreateDatasetGroup": "dataset-group/kmsc_fcdg_3f9a1c_1", "CreateDataset": "dataset/kmsc_fcds_3f9a1c_2",
    "DescribeDataset": "dataset/kmsc_fcds_3f9a1c_2", "TagResource": "dataset/kmsc_fcds_3f9a1c_2",
    "DeleteDatasetGroup": "dataset-group/kmsc_fcdg_3f9a1c_1", "DeleteDataset": "dataset/kmsc_fcds_3f9a1c_2",
    "CreateDatasetImportJob": "dataset-import-job/kmsc_fcds_3f9a1c_2/kmsc_fcij_3f9a1c_3",
    "CreatePredictor": "predictor/kmsc_fcpr_3f9a1c_4", "DescribePredictor": "predictor/kmsc_fcpr_3f9a1c_4",
    "CreateForecast": "forecast/kmsc_fcfu_3f9a1c_5", "CreateExplainability": "explainability/kmsc_fcfu_3f9a1c_6",
    "CreatePredictorBacktestExportJob": "predictor-backtest-export-job/kmsc_fcfu_3f9a1c_7",
    "DeleteResourceTree": "dataset-group/kmsc_fcdg_3f9a1c_1",
}
#: Operations IAM authorizes on no resource type (Resource ``*``).
ACCOUNT_WIDE = {"sts:GetCallerIdentity", "iam:ListAccountAliases", "iam:ListRoles", "kms:CreateKey", "kms:ListKeys",
                "kms:ListAliases", "sagemaker:ListFeatureGroups", "airflow:ListEnvironments",
                "forecast:ListDatasetGroups", "forecast:ListDatasets", "tag:GetResources", "cloudtrail:LookupEvents"}
#: What the aws target calls besides the rules' operations: the account guard, assuming the kit's
#: roles, and the permissions its injected creation tags need (kms:TagResource for CreateKey with Tags, ...).
TARGET_CALLS = {"sts:GetCallerIdentity", "iam:ListAccountAliases", "sts:AssumeRole", "kms:TagResource",
                "iam:TagRole", "aoss:TagResource", "sagemaker:AddTags", "airflow:TagResource", "forecast:TagResource"}
#: BotoTarget._clean: aliases, grants, the services' resources, keys, roles.
CLEANUP_CALLS = {"kms:DeleteAlias", "kms:RevokeGrant", "kms:ScheduleKeyDeletion", "iam:ListRolePolicies",
                 "iam:DeleteRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy", "iam:DeleteRole",
                 "aoss:DeleteSecurityPolicy", "aoss:DeleteCollection", "airflow:DeleteEnvironment",
                 "sagemaker:DeleteFeatureGroup", "forecast:DeleteResourceTree",
                 # where the endpoint lacks DeleteResourceTree, the resource alone (resources.forecast_delete_alone)
                 "forecast:DeleteDatasetGroup", "forecast:DeleteDataset"}
#: kms_conformance.sweep: plan_sweep's reads and execute's removals, which are the target's cleanup
#: calls (kept honest by test_sweep_calls_are_listed, which records what the sweep really sends).
SWEEP_CALLS = {"kms:ListKeys", "kms:DescribeKey", "kms:ListResourceTags", "kms:ListAliases", "kms:ListGrants",
               "kms:DeleteAlias", "kms:RevokeGrant", "kms:ScheduleKeyDeletion", "iam:ListRoles", "iam:ListRoleTags",
               "iam:ListRolePolicies", "iam:DeleteRolePolicy", "iam:ListAttachedRolePolicies",
               "iam:DetachRolePolicy", "iam:DeleteRole", "aoss:ListCollections",
               "aoss:ListTagsForResource", "aoss:ListSecurityPolicies", "aoss:DeleteCollection",
               "aoss:DeleteSecurityPolicy", "sagemaker:ListFeatureGroups", "sagemaker:ListTags",
               "sagemaker:DescribeFeatureGroup", "sagemaker:DeleteFeatureGroup", "airflow:ListEnvironments",
               "airflow:GetEnvironment",
               "airflow:DeleteEnvironment", "forecast:ListDatasetGroups", "forecast:ListDatasets",
               "forecast:DeleteResourceTree", "forecast:DeleteDatasetGroup", "forecast:DeleteDataset",
               "tag:GetResources", "sts:GetCallerIdentity", "iam:ListAccountAliases"}
PASSED_TO = ("forecast.amazonaws.com", "sagemaker.amazonaws.com", "airflow.amazonaws.com")
#: The permissions boundary every kit role must carry (``run --permissions-boundary``): without it the
#: sandbox role could create a ``kmsc-*`` role with any inline policy and assume it.
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/kmsc-permissions-boundary"
#: The request context of calls whose permission depends on it.
CALL_CONTEXT = {"iam:CreateRole": {"iam:PermissionsBoundary": BOUNDARY}}


@pytest.fixture(scope="module")
def policy() -> Policy:
    return parse_policy(POLICY_PATH.read_text(), origin=POLICY_PATH.name)


def iam_action(boto_operation: str) -> str:
    """``opensearchserverless:CreateCollection`` -> ``aoss:CreateCollection``."""
    service, op = boto_operation.split(":", 1)
    return f"{IAM_PREFIX.get(service, service)}:{op}"


def resources(action: str) -> list[str]:
    """The ARNs IAM authorizes ``action`` against, for the kit's resources."""
    prefix, op = action.split(":", 1)
    if action in ACCOUNT_WIDE:
        return ["*"]
    if prefix == "kms":
        return [KEY, ALIAS] if op in ("CreateAlias", "DeleteAlias") else [KEY]
    if prefix in ("iam", "sts"):
        return [ROLE]
    if prefix == "aoss":
        return [COLLECTION] if "Collection" in op or op in ("TagResource", "ListTagsForResource") else ["*"]
    if prefix == "sagemaker":
        return [FEATURE_GROUP]
    if prefix == "airflow":
        return [ENVIRONMENT]
    if prefix == "forecast":
        return [FORECAST + FORECAST_RESOURCES[op]]
    raise AssertionError(f"no representative resource for {action}")


def decision(policy: Policy, action: str, resource: str, **context: str) -> Decision:
    request = make_request(action, resource, CALLER, context)
    return evaluate(request, identity_policies=[policy]).decision


def rule_operations() -> set[str]:
    return {iam_action(op) for rule in catalogue() for op in rule.operations}


def test_the_catalogue_has_operations_to_check() -> None:
    ops = rule_operations()
    assert len(ops) > 30 and {"kms:CreateKey", "aoss:CreateCollection", "airflow:CreateEnvironment",
                              "sagemaker:PutRecord", "forecast:CreatePredictor"} <= ops


@pytest.mark.parametrize("action", sorted(rule_operations() | TARGET_CALLS | CLEANUP_CALLS | SWEEP_CALLS))
def test_every_call_of_the_kit_is_allowed(policy: Policy, action: str) -> None:
    for resource in resources(action):
        context = CALL_CONTEXT.get(action, {})
        assert decision(policy, action, resource, **context) is Decision.ALLOWED, (action, resource)


@pytest.mark.parametrize("service", PASSED_TO)
def test_kit_roles_may_be_passed_to_the_services(policy: Policy, service: str) -> None:
    assert decision(policy, "iam:PassRole", ROLE, **{"iam:PassedToService": service}) is Decision.ALLOWED


@pytest.mark.parametrize("action, resource, context", [
    ("iam:PassRole", ROLE, {"iam:PassedToService": "ec2.amazonaws.com"}),
    ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin", {"iam:PassedToService": "sagemaker.amazonaws.com"}),
    ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole", {}),
    ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/users-role", {}),
    ("iam:CreateRole", ROLE, {}),  # a kit role without the boundary
    ("iam:CreateRole", ROLE, {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"}),
    ("iam:DeleteRolePermissionsBoundary", ROLE, {}),
    ("iam:PutRolePermissionsBoundary", ROLE, {"iam:PermissionsBoundary": BOUNDARY}),
    ("iam:DeleteRole", f"arn:aws:iam::{ACCOUNT}:role/users-role", {}),
    ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/kms-conformance-sandbox", {}),
    ("iam:AttachRolePolicy", ROLE, {}),
    ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/anyone", {}),
    ("kms:Decrypt", "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab", {}),
    ("kms:ScheduleKeyDeletion", "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab", {}),
    ("kms:DeleteAlias", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/production", {}),
    ("kms:ReplicateKey", KEY, {}),
    ("kms:CreateCustomKeyStore", "*", {}),
    ("sagemaker:DeleteFeatureGroup", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:feature-group/orders", {}),
    ("airflow:DeleteEnvironment", f"arn:aws:airflow:{REGION}:{ACCOUNT}:environment/prod-airflow", {}),
    ("forecast:DeleteResourceTree", f"{FORECAST}dataset-group/sales", {}),
    ("s3:GetObject", "arn:aws:s3:::any-bucket/any-key", {}),
    ("ec2:RunInstances", "*", {}),
])
def test_least_privilege(policy: Policy, action: str, resource: str, context: dict[str, str]) -> None:
    assert decision(policy, action, resource, **context) is not Decision.ALLOWED


def test_no_wildcard_actions() -> None:
    """Every action is named: no ``*``, no ``kms:*``, no ``kms:Get*`` (least privilege)."""
    doc: dict[str, Any] = json.loads(POLICY_PATH.read_text())
    for stmt in doc["Statement"]:
        assert stmt["Effect"] == "Allow" and "NotAction" not in stmt and "NotResource" not in stmt
        actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
        assert all("*" not in a and "?" not in a for a in actions), stmt["Sid"]
        if stmt["Resource"] == "*":  # resource "*" only for actions with no resource type, and AOSS
            assert all(a in ACCOUNT_WIDE or a.startswith("aoss:") for a in actions), stmt["Sid"]


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, set[str]]]:
    """A client factory on moto in-process that records every operation sent, as an IAM action."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    calls: set[str] = set()
    with mock_aws():
        cache: dict[str, Any] = {}

        def make(service: str) -> Any:
            if service not in cache:
                new: Any = boto3.client  # boto3's overloads want a Literal service name
                client = new(service, region_name=REGION)
                prefix = IAM_PREFIX.get(service, service)
                client.meta.events.register(
                    "before-call.*.*", lambda model, **_: calls.add(f"{prefix}:{model.name}"))
                cache[service] = client
            return cache[service]

        yield make, calls


def test_sweep_calls_are_listed(recorded: tuple[Any, set[str]]) -> None:
    """What the sweep really sends (planning and removing a key with alias and grant, a role with an
    inline policy, a collection, a Forecast dataset group) is all in SWEEP_CALLS, so all allowed."""
    import json as _json

    from kms_conformance.sweep import execute, plan_sweep

    clients, calls = recorded
    old = creation_tags("run-old", datetime.now(UTC) - timedelta(hours=30))
    kms, iam, aoss = clients("kms"), clients("iam"), clients("opensearchserverless")
    key = kms.create_key(Tags=kms_tags(old))["KeyMetadata"]
    kms.create_alias(AliasName="alias/kmsc-x-1", TargetKeyId=key["KeyId"])
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=ROLE, Operations=["Decrypt"])
    iam.create_role(RoleName="kmsc-role-x-2", AssumeRolePolicyDocument="{}", Tags=iam_tags(old))
    iam.put_role_policy(RoleName="kmsc-role-x-2", PolicyName="p", PolicyDocument=_json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}))
    aoss.create_security_policy(name="kmsc-pcx-3", type="encryption", policy=_json.dumps({
        "Rules": [{"ResourceType": "collection", "Resource": ["collection/kmsc-cx-3"]}],
        "AWSOwnedKey": False, "KmsARN": key["Arn"]}))
    aoss.create_collection(name="kmsc-cx-3", type="SEARCH", tags=[{"key": k, "value": v} for k, v in old.items()])
    clients("forecast").create_dataset_group(DatasetGroupName="kmsc_fcdg_x_4", Domain="RETAIL")
    clients("sagemaker").create_feature_group(  # found through tag:GetResources (moto lacks ListFeatureGroups)
        FeatureGroupName="kmsc-fsgroup-x-5", RecordIdentifierFeatureName="id", EventTimeFeatureName="t",
        FeatureDefinitions=[{"FeatureName": "id", "FeatureType": "String"},
                            {"FeatureName": "t", "FeatureType": "String"}],
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": "s3://kmsc-x/fs"}}, RoleArn=ROLE, Tags=iam_tags(old))
    calls.clear()

    plan = plan_sweep(clients, older_than_hours=0)
    assert {a.kind for a in plan} >= {"alias", "grant", "key", "role", "collection", "encryption-policy",
                                      "dataset-group", "feature-group"}
    execute(clients, plan, report=lambda _line: None)  # moto lacks some deletes; the calls are still sent
    assert calls >= {"kms:ListKeys", "iam:ListRoleTags", "aoss:ListTagsForResource", "kms:ScheduleKeyDeletion",
                     "iam:DeleteRole", "aoss:DeleteCollection", "forecast:DeleteResourceTree",
                     "tag:GetResources", "sagemaker:DescribeFeatureGroup"}
    assert calls <= SWEEP_CALLS, calls - SWEEP_CALLS


def test_the_boundary_caps_what_kit_roles_may_do() -> None:
    """examples/ci/sandbox-permissions-boundary.json: kit roles may use the services the pages are
    about and pass kit roles to them (the scenarios' callers pass a RoleArn), and nothing else of
    IAM, whatever inline policy they carry (a boundary only ever narrows: what it does not allow is
    denied, "Permissions boundaries for IAM entities")."""
    boundary = parse_policy((POLICY_PATH.parent / "sandbox-permissions-boundary.json").read_text(), origin="boundary")
    role_session = f"arn:aws:sts::{ACCOUNT}:assumed-role/kmsc-forecast-3f9a1c-2/kms-conformance"

    def allowed(action: str, resource: str, **context: str) -> bool:
        request = make_request(action, resource, role_session, context)
        return evaluate(request, identity_policies=[boundary]).decision is Decision.ALLOWED

    assert allowed("kms:Decrypt", KEY) and allowed("aoss:CreateSecurityPolicy", "*")
    assert allowed("sagemaker:PutRecord", FEATURE_GROUP) and allowed("airflow:CreateEnvironment", ENVIRONMENT)
    for service in PASSED_TO:
        assert allowed("iam:PassRole", ROLE, **{"iam:PassedToService": service})
    assert not allowed("iam:PassRole", ROLE, **{"iam:PassedToService": "ec2.amazonaws.com"})
    assert not allowed("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin", **{"iam:PassedToService": PASSED_TO[0]})
    for action, resource in [("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/x"), ("iam:PutRolePolicy", ROLE),
                             ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/admin"), ("ec2:RunInstances", "*")]:
        assert not allowed(action, resource), action
