"""Policy strategies produce documents in the grammar of "IAM JSON policy elements reference"
(strategies/policies.py), and the kit's own ``kms_conformance.policy.parse_policy`` accepts them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kms_conformance.policy import KMS_ACTIONS, parse_policy
from kms_conformance.setup import parse_key
from kms_conformance.strategies import aws, policies

FAST = settings(max_examples=40, deadline=None)

ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")
_BASES = {op for ops in policies.OPERATORS.values() for op in ops}
OPERATOR = re.compile(
    r"^(ForAnyValue:|ForAllValues:)?(" + "|".join(sorted(_BASES, key=len, reverse=True)) + r")(IfExists)?$"
)


def shape_errors(doc: Mapping[str, Any], *, key_policy: bool) -> list[str]:
    """Structural problems of a policy document (empty when well formed). Independent of the
    policy package: a second reading of the grammar that shares no code with the parser."""
    errors: list[str] = []
    if doc.get("Version") != "2012-10-17":
        errors.append("Version")
    stmts = doc.get("Statement")
    if not isinstance(stmts, list) or not stmts:
        return [*errors, "Statement"]
    for i, s in enumerate(stmts):
        where = f"Statement[{i}]"
        if s.get("Effect") not in ("Allow", "Deny"):
            errors.append(f"{where}.Effect")
        actions = s.get("Action")
        action_list = actions if isinstance(actions, list) else [actions]
        if not action_list or not all(isinstance(a, str) and ACTION.match(a) for a in action_list):
            errors.append(f"{where}.Action {actions!r}")
        if "Sid" in s and not (isinstance(s["Sid"], str) and s["Sid"]):
            errors.append(f"{where}.Sid")
        if key_policy != ("Principal" in s):
            errors.append(f"{where}.Principal presence")
        if "Principal" in s:
            p = s["Principal"]
            ok = p == "*" or (
                isinstance(p, dict) and len(p) == 1 and set(p) <= {"AWS", "Service"}
                and all(isinstance(v, str) for v in (p[next(iter(p))] if isinstance(p[next(iter(p))], list)
                                                     else [p[next(iter(p))]]))
            )
            if not ok:
                errors.append(f"{where}.Principal {p!r}")
        resource = s.get("Resource")
        res_list = resource if isinstance(resource, list) else [resource]
        if not all(isinstance(r, str) and (r == "*" or r.startswith("arn:")) for r in res_list):
            errors.append(f"{where}.Resource {resource!r}")
        cond = s.get("Condition", {})
        if not isinstance(cond, dict) or ("Condition" in s and not cond):
            errors.append(f"{where}.Condition")
            continue
        for op, entries in cond.items():
            if not OPERATOR.match(op) or op == "NullIfExists" or not isinstance(entries, dict) or not entries:
                errors.append(f"{where}.Condition.{op}")
                continue
            for key, value in entries.items():
                values = value if isinstance(value, list) else [value]
                if not values or not all(isinstance(v, str) for v in values):
                    errors.append(f"{where}.Condition.{op}.{key}")
    return errors


def check_policy(doc: Mapping[str, Any], *, key_policy: bool) -> None:
    assert shape_errors(doc, key_policy=key_policy) == [], doc
    parsed = parse_policy(dict(doc), origin="strategy")
    assert len(parsed.statements) == len(doc["Statement"])


def test_shape_checker_rejects_broken_documents() -> None:
    admin = policies.admin_statement("111122223333")
    good: dict[str, Any] = {"Version": "2012-10-17", "Statement": [admin]}
    assert shape_errors(good, key_policy=True) == []
    assert shape_errors(good, key_policy=False) == ["Statement[0].Principal presence"]
    bad_op = {**good, "Statement": [{**admin, "Condition": {"StringEqualz": {"k": "v"}}}]}
    assert shape_errors(bad_op, key_policy=True) == ["Statement[0].Condition.StringEqualz"]
    bad_action = {**good, "Statement": [{**admin, "Action": "Decrypt"}]}
    assert shape_errors(bad_action, key_policy=True) == ["Statement[0].Action 'Decrypt'"]


@FAST
@given(policies.kms_actions(case_variants=True))
def test_kms_actions_are_kms_actions_or_patterns(action: str) -> None:
    assert action.lower().startswith("kms:")
    name = action.split(":", 1)[1]
    if "*" not in name and "?" not in name:
        assert name.lower() in {a.split(":", 1)[1].lower() for a in KMS_ACTIONS}


def test_kms_action_list_covers_the_documents_actions() -> None:
    # Every action page 001 (intended list) and page 004 name is a real KMS action.
    names = set(KMS_ACTIONS)
    for name in ("Encrypt", "Decrypt", "DescribeKey", "CreateGrant", "RetireGrant", "ReEncryptFrom",
                 "ReEncryptTo", "GenerateDataKey", "ListAliases", "ListGrants", "RevokeGrant"):
        assert "kms:" + name in names


@pytest.mark.parametrize("service", ["forecast", "sagemaker", "aoss", "airflow", "logs", "iam", "kms"])
def test_iam_actions_per_service(service: str) -> None:
    @FAST
    @given(policies.iam_actions(service))
    def check(action: str) -> None:
        assert action.startswith(service + ":")
        assert ACTION.match(action)

    check()


def test_iam_actions_refuse_unknown_service() -> None:
    with pytest.raises(ValueError, match="no actions known"):
        policies.iam_actions("glacier")


@pytest.mark.parametrize("family", policies.FAMILIES)
def test_condition_entries_of_every_family(family: str) -> None:
    @FAST
    @given(policies.condition_entries(family))
    def check(entry: tuple[str, str, str | list[str]]) -> None:
        op, key, value = entry
        m = OPERATOR.match(op)
        assert m is not None, op
        assert m[2] in policies.OPERATORS[family]
        if m[1]:  # set operators only on multivalued keys
            assert key in policies.MULTIVALUED_KEYS
        if family == "Null":
            assert op == "Null" and value in ("true", "false")
        values = value if isinstance(value, list) else [value]
        assert values and all(isinstance(v, str) and v for v in values)
        if family == "Bool":
            assert value in ("true", "false")
        if family == "Numeric":
            assert all(v.isdigit() for v in values)
        if family == "IpAddress":
            import ipaddress

            for v in values:
                ipaddress.ip_network(v, strict=False)
        if family == "Date":
            assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|\d{10}", v) for v in values)
        if family == "Arn":
            assert all(v.startswith("arn:") and v.count(":") >= 5 for v in values)

    check()


def test_condition_entries_refuse_unknown_family() -> None:
    with pytest.raises(ValueError, match="unknown operator family"):
        policies.condition_entries("Regex")


@FAST
@given(policies.condition_blocks(min_entries=2, max_entries=4))
def test_condition_blocks_are_well_formed(block: dict[str, dict[str, Any]]) -> None:
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": block}]}
    check_policy(doc, key_policy=False)
    assert 1 <= sum(len(v) for v in block.values()) <= 4


@FAST
@given(policies.condition_operators())
def test_condition_operators(op: str) -> None:
    assert OPERATOR.match(op) and op != "NullIfExists"


@FAST
@given(policies.statements(effect="Allow", principal=True, account="111122223333"))
def test_key_policy_statements(stmt: dict[str, Any]) -> None:
    assert stmt["Effect"] == "Allow" and stmt["Resource"] == "*"
    check_policy({"Version": "2012-10-17", "Statement": [stmt]}, key_policy=True)


@FAST
@given(policies.statements(principal=False, conditions=True))
def test_identity_statements_have_no_principal_and_a_condition(stmt: dict[str, Any]) -> None:
    assert "Principal" not in stmt and stmt["Condition"]
    check_policy({"Version": "2012-10-17", "Statement": [stmt]}, key_policy=False)


@FAST
@given(policies.key_policies(account="111122223333", min_statements=2, max_statements=5))
def test_key_policies_include_the_admin_statement(doc: dict[str, Any]) -> None:
    check_policy(doc, key_policy=True)
    assert 2 <= len(doc["Statement"]) <= 5
    assert policies.admin_statement("111122223333") in doc["Statement"]


@FAST
@given(policies.key_policies(min_statements=1, max_statements=3, include_admin=False))
def test_key_policies_without_admin(doc: dict[str, Any]) -> None:
    check_policy(doc, key_policy=True)
    assert 1 <= len(doc["Statement"]) <= 3
    assert all(s.get("Sid") != "Enable IAM User Permissions" for s in doc["Statement"])


def test_key_policies_refuse_bad_bounds() -> None:
    with pytest.raises(ValueError):
        policies.key_policies(min_statements=3, max_statements=2)


@FAST
@given(policies.identity_policies(account="111122223333"))
def test_identity_policies(doc: dict[str, Any]) -> None:
    check_policy(doc, key_policy=False)
    for s in doc["Statement"]:
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        for r in resources:
            assert r == "*" or r.split(":")[4] == "111122223333"


@FAST
@given(policies.principal_blocks(account="111122223333"))
def test_principal_blocks(principal: Any) -> None:
    if principal == "*":
        return
    ((kind, value),) = principal.items()
    for v in value if isinstance(value, list) else [value]:
        if kind == "Service":
            assert v.endswith(".amazonaws.com")
        else:
            assert v == "*" or "111122223333" in v


@FAST
@given(policies.encryption_contexts(), policies.ipv4_cidrs(), policies.ipv6_cidrs())
def test_encryption_contexts_and_cidrs(ctx: dict[str, str], v4: str, v6: str) -> None:
    import ipaddress

    assert 1 <= len(ctx) <= 4 and all(isinstance(k, str) and k for k in ctx)
    assert ipaddress.ip_network(v4, strict=True).version == 4
    assert ipaddress.ip_network(v6, strict=True).version == 6


def test_admin_statement_matches_default_key_policy() -> None:
    assert policies.admin_statement("111122223333", "aws-cn") == {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws-cn:iam::111122223333:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


@FAST
@given(st.data())
def test_via_service_conditions_use_region_values(data: st.DataObject) -> None:
    region = data.draw(aws.regions())
    value = data.draw(aws.via_service_values("mwaa", region))
    assert value.startswith(f"airflow.{region}.")


@pytest.fixture
def moto_clients(monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("iam", region_name="us-east-1"), boto3.client("kms", region_name="us-east-1")


def test_moto_accepts_generated_policies(moto_clients: Any) -> None:
    """moto's IAM policy validator (Version, Sid uniqueness, Action and Resource formats, condition
    operator names) and its PutKeyPolicy accept what the strategies generate."""
    import json

    iam, kms = moto_clients
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "airflow.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="strategy-check", AssumeRolePolicyDocument=json.dumps(trust))
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]

    @settings(max_examples=30, deadline=None)
    @given(policies.identity_policies(account="123456789012"), policies.key_policies(account="123456789012"))
    def check(identity: dict[str, Any], key_policy: dict[str, Any]) -> None:
        iam.put_role_policy(RoleName="strategy-check", PolicyName="p", PolicyDocument=json.dumps(identity))
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(key_policy))

    check()


@pytest.mark.parametrize("like", [False, True])
def test_service_access_statements(like: bool) -> None:
    @FAST
    @given(policies.service_access_statements("forecast", account="111122223333", region="eu-west-1",
                                              like=like))
    def check(stmt: dict[str, Any]) -> None:
        check_policy({"Version": "2012-10-17", "Statement": [stmt]}, key_policy=True)
        assert stmt["Principal"]["AWS"].startswith("arn:aws:iam::111122223333:")
        cond = stmt["Condition"]
        assert cond["StringEquals"]["kms:CallerAccount"] == "111122223333"
        via = cond["StringLike" if like else "StringEquals"]["kms:ViaService"]
        assert via == ("forecast.*.amazonaws.com" if like else "forecast.eu-west-1.amazonaws.com")
        assert set(stmt["Action"]) <= set(policies.SERVICE_KEY_ACTIONS)

    check()


@FAST
@given(policies.key_setups(account="111122223333", region="us-east-1", symmetric=None))
def test_key_setups(entry: dict[str, Any]) -> None:
    assert entry["arn"].startswith("arn:aws:kms:us-east-1:111122223333:key/")
    assert entry["keyUsage"] in aws.KEY_SPEC_USAGES[entry["keySpec"]]
    assert entry["multiRegion"] == ("/mrk-" in entry["arn"])
    check_policy(entry["policy"], key_policy=True)
    key = parse_key(entry, source="strategy", path="keys[0]")
    assert (key.arn, key.key_spec) == (entry["arn"], entry["keySpec"])


@FAST
@given(aws.key_specs(symmetric=False))
def test_asymmetric_key_specs(pair: tuple[str, str]) -> None:
    assert pair[0] != "SYMMETRIC_DEFAULT" and pair[1] in aws.KEY_SPEC_USAGES[pair[0]]
