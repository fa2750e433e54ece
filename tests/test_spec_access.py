"""Tests of kms_conformance.specs.access: the shared KMS access helper of the config checks."""

from __future__ import annotations

from typing import Any

import pytest
from kms_conformance.setup import parse_setup
from kms_conformance.specs.access import (
    access_reasons,
    caller_of,
    evaluate_access,
    expand_actions,
    grants_for,
    identity_policies_of,
    is_customer_managed,
    key_for,
    via_service_name,
)

ACCOUNT = "111122223333"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/ROLE_PASSED_TO_FORECAST"
OTHER = f"arn:aws:iam::{ACCOUNT}:role/other"
ROOT_STMT = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}


def setup_of(policy: dict[str, Any] | None = None, *, identity: dict[str, Any] | None = None,
             grants: list[dict[str, Any]] | None = None) -> Any:
    key: dict[str, Any] = {"arn": KEY_ARN, "aliases": ["alias/forecast-key"]}
    if policy is not None:
        key["policy"] = policy
    return parse_setup({"service": "forecast", "account": ACCOUNT, "keys": [key],
                        "identityPolicies": identity or {}, "grants": grants or []})


def key_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [ROOT_STMT, *statements]}


def allow_role(actions: list[str], condition: dict[str, Any] | None = None, sid: str = "Role") -> dict[str, Any]:
    stmt: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": actions,
                            "Resource": "*"}
    if condition:
        stmt["Condition"] = condition
    return stmt


def identity(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_default_key_policy_delegates_to_identity_policies() -> None:
    bare = setup_of()
    reasons = access_reasons(bare, bare.keys[0], ROLE, ["kms:Decrypt"])
    assert len(reasons) == 1
    assert ROLE in reasons[0] and "kms:Decrypt" in reasons[0] and KEY_ARN in reasons[0]
    assert "ImplicitlyDenied" in reasons[0]
    granted = setup_of(identity={ROLE: [identity({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN})]})
    assert access_reasons(granted, granted.keys[0], ROLE, ["kms:Decrypt"]) == []
    # the identity policy allows Decrypt only: GenerateDataKey is still denied
    assert len(access_reasons(granted, granted.keys[0], ROLE, ["kms:Decrypt", "kms:GenerateDataKey"])) == 1


def test_key_policy_naming_the_role_allows_without_iam() -> None:
    s = setup_of(key_policy(allow_role(["kms:DescribeKey", "kms:CreateGrant"])))
    assert access_reasons(s, s.keys[0], ROLE, ["kms:DescribeKey", "CreateGrant"]) == []
    reasons = access_reasons(s, s.keys[0], ROLE, ["kms:Decrypt"])
    assert len(reasons) == 1 and "kms:Decrypt" in reasons[0]
    assert access_reasons(s, s.keys[0], OTHER, ["kms:DescribeKey"]) != []


def test_key_policy_without_account_statement_ignores_iam() -> None:
    policy = {"Version": "2012-10-17", "Statement": [allow_role(["kms:DescribeKey"])]}
    s = setup_of(policy, identity={ROLE: [identity({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})]})
    assert access_reasons(s, s.keys[0], ROLE, ["kms:DescribeKey"]) == []
    assert len(access_reasons(s, s.keys[0], ROLE, ["kms:Decrypt"])) == 1


def test_via_service_condition_needs_the_service() -> None:
    cond = {"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com", "kms:CallerAccount": ACCOUNT}}
    s = setup_of(key_policy(allow_role(["kms:CreateGrant"], cond)))
    direct = access_reasons(s, s.keys[0], ROLE, ["kms:CreateGrant"])
    assert len(direct) == 1 and "via" not in direct[0]
    assert access_reasons(s, s.keys[0], ROLE, ["kms:CreateGrant"], via_service="forecast") == []
    assert access_reasons(s, s.keys[0], ROLE, ["kms:CreateGrant"],
                          via_service="forecast.us-east-1.amazonaws.com") == []
    wrong = access_reasons(s, s.keys[0], ROLE, ["kms:CreateGrant"], via_service="sagemaker")
    assert len(wrong) == 1 and "via sagemaker.us-east-1.amazonaws.com" in wrong[0]


def test_explicit_deny_is_named() -> None:
    deny = {"Sid": "NoDecrypt", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}
    allow = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    s = setup_of(identity={ROLE: [identity(allow, deny)]})
    reasons = access_reasons(s, s.keys[0], ROLE, ["kms:Decrypt", "kms:Encrypt"])
    assert len(reasons) == 1
    assert "ExplicitlyDenied" in reasons[0] and "NoDecrypt" in reasons[0]


def test_grants_allow_their_operations_only() -> None:
    grant = {"KeyId": KEY_ID, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "GenerateDataKey"]}
    s = setup_of(grants=[grant])
    assert grants_for(s, s.keys[0])[0].key_arn == KEY_ARN
    assert access_reasons(s, s.keys[0], ROLE, ["kms:Decrypt", "kms:GenerateDataKey"]) == []
    assert len(access_reasons(s, s.keys[0], ROLE, ["kms:Encrypt"])) == 1
    assert len(access_reasons(s, s.keys[0], OTHER, ["kms:Decrypt"])) == 1


def test_grant_on_another_key_does_not_count() -> None:
    other_key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    s = setup_of(grants=[{"KeyId": other_key, "GranteePrincipal": ROLE, "Operations": ["Decrypt"]}])
    assert grants_for(s, s.keys[0]) == ()
    assert len(access_reasons(s, s.keys[0], ROLE, ["kms:Decrypt"])) == 1


def test_encryption_context_condition() -> None:
    log = f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:airflow-env-Task"
    stmt = {"Effect": "Allow", "Principal": {"Service": "logs.us-west-2.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:GenerateDataKey*"], "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-west-2:*:*"}}}
    s = setup_of(key_policy(stmt))
    principal = "logs.us-west-2.amazonaws.com"
    assert access_reasons(s, s.keys[0], principal, ["kms:Encrypt"],
                          context={"kms:EncryptionContext:aws:logs:arn": log}) == []
    denied = access_reasons(s, s.keys[0], principal, ["kms:Encrypt"])
    assert len(denied) == 1 and "ImplicitlyDenied" in denied[0]
    wrong = access_reasons(s, s.keys[0], principal, ["kms:Encrypt"],
                           context={"kms:EncryptionContext:aws:logs:arn": log.replace("us-west-2", "eu-west-1")})
    assert len(wrong) == 1 and "aws:logs:arn" in wrong[0]


def test_patterns_expand_to_each_action() -> None:
    assert expand_actions(["kms:ReEncrypt*", "Decrypt", "kms:decrypt"]) == ["ReEncryptFrom", "ReEncryptTo", "Decrypt"]
    s = setup_of()
    reasons = access_reasons(s, s.keys[0], ROLE, ["kms:ReEncrypt*"])
    assert len(reasons) == 2
    assert "kms:ReEncryptFrom" in reasons[0] and "kms:ReEncryptTo" in reasons[1]


def test_sessions_use_their_roles_policies() -> None:
    s = setup_of(identity={ROLE: [identity({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})]})
    session = caller_of(ROLE)
    assert session == f"arn:aws:sts::{ACCOUNT}:assumed-role/ROLE_PASSED_TO_FORECAST/kms-conformance"
    assert len(identity_policies_of(s, session)) == 1
    assert access_reasons(s, s.keys[0], session, ["kms:Decrypt"]) == []
    assert evaluate_access(s, s.keys[0], ROLE, "kms:Decrypt").allowed


def test_key_lookup_and_customer_managed() -> None:
    s = setup_of()
    key = s.keys[0]
    for ref in (KEY_ID, KEY_ARN, "alias/forecast-key", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/forecast-key"):
        assert key_for(s, ref) is key
    assert key_for(s, "alias/unknown") is None and key_for(s, None) is None
    assert is_customer_managed(KEY_ARN) and is_customer_managed("alias/forecast-key")
    assert not is_customer_managed("alias/aws/forecast")
    assert not is_customer_managed(f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/sagemaker")
    assert not is_customer_managed("") and not is_customer_managed(None)


@pytest.mark.parametrize(("service", "expected"), [
    ("aoss", "aoss.us-east-1.amazonaws.com"),
    ("airflow.eu-west-1.amazonaws.com", "airflow.eu-west-1.amazonaws.com"),
    (None, None),
])
def test_via_service_name(service: str | None, expected: str | None) -> None:
    assert via_service_name(service, "us-east-1") == expected
    assert via_service_name("forecast", "cn-north-1", "aws-cn") == "forecast.cn-north-1.amazonaws.com.cn"
