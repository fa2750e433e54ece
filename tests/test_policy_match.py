"""Matching of actions, resources and principals ("IAM JSON policy elements: Action",
"...: Resource", "AWS JSON policy elements: Principal", IAM User Guide)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from kms_conformance.policy import (
    KMS_ACTIONS,
    expand_kms_actions,
    make_request,
    parse_policy,
    principal_info,
    principal_matches,
    statement_applies,
    wildcard_match,
)
from kms_conformance.policy.model import PrincipalBlock

A = "111122223333"
B = "444455556666"
ROLE = f"arn:aws:iam::{A}:role/ROLE_PASSED_TO_FORECAST"
SESSION = f"arn:aws:sts::{A}:assumed-role/ROLE_PASSED_TO_FORECAST/forecast-session"


@pytest.mark.parametrize(("pattern", "value", "expected"), [
    ("kms:*", "kms:Decrypt", True),
    ("kms:ReEncrypt*", "kms:ReEncryptFrom", True),
    ("kms:ReEncrypt*", "kms:ReEncrypt", True),
    ("kms:?ecrypt", "kms:Decrypt", True),
    ("kms:?ecrypt", "kms:Encrypt", False),
    ("a?c", "ac", False),
    ("a[bc]d", "abd", False),
    ("a[bc]d", "a[bc]d", True),
    ("a.c", "abc", False),
    ("a+", "aa", False),
    ("*", "", True),
    ("a*b*c", "aXbYc", True),
    ("a*b*c", "aXbY", False),
    ("line\n*", "line\nnext", True),
])
def test_wildcard_match_is_iam_not_fnmatch(pattern: str, value: str, expected: bool) -> None:
    assert wildcard_match(pattern, value) is expected


def test_wildcard_case() -> None:
    assert not wildcard_match("kms:decrypt", "kms:Decrypt")
    assert wildcard_match("kms:decrypt", "KMS:Decrypt", ignore_case=True)
    assert wildcard_match("KMS:DEC*", "kms:Decrypt", ignore_case=True)


def applies(stmt: Mapping[str, Any], action: str, resource: str = "*", principal: str = ROLE,
            check_principal: bool = True) -> bool:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [stmt]})
    return statement_applies(policy.statements[0], make_request(action, resource, principal),
                             check_principal=check_principal)


def test_action_names_are_case_insensitive() -> None:
    """"IAM JSON policy elements: Action": action names (prefix and name) are case-insensitive."""
    stmt = {"Effect": "Allow", "Principal": "*", "Action": ["KMS:decrypt", "kms:Generate*"], "Resource": "*"}
    assert applies(stmt, "kms:Decrypt")
    assert applies(stmt, "Kms:GENERATEDATAKEY")
    assert not applies(stmt, "kms:Encrypt")
    assert not applies(stmt, "s3:Decrypt")


def test_not_action() -> None:
    stmt = {"Effect": "Deny", "Principal": "*", "NotAction": ["kms:Describe*", "kms:List*"], "Resource": "*"}
    assert applies(stmt, "kms:ScheduleKeyDeletion")
    assert not applies(stmt, "kms:describekey")
    assert applies(stmt, "s3:GetObject")


def test_resources_match_case_sensitively() -> None:
    stmt = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": f"arn:aws:kms:us-east-1:{A}:key/*"}
    assert applies(stmt, "kms:Decrypt", f"arn:aws:kms:us-east-1:{A}:key/abc", check_principal=False)
    assert not applies(stmt, "kms:Decrypt", f"arn:aws:kms:us-east-1:{A}:KEY/abc", check_principal=False)
    assert not applies(stmt, "kms:Decrypt", f"arn:aws:kms:us-east-1:{B}:key/abc", check_principal=False)
    not_res = {"Effect": "Allow", "Action": "kms:Decrypt", "NotResource": f"arn:aws:kms:*:{B}:key/*"}
    assert applies(not_res, "kms:Decrypt", f"arn:aws:kms:us-east-1:{A}:key/abc", check_principal=False)
    assert not applies(not_res, "kms:Decrypt", f"arn:aws:kms:eu-west-1:{B}:key/abc", check_principal=False)


def test_role_arn_matches_the_role_and_its_sessions() -> None:
    """"AWS JSON policy elements: Principal" (IAM role principals / role sessions)."""
    block = PrincipalBlock(aws=(ROLE,))
    assert principal_matches(block, ROLE)
    assert principal_matches(block, SESSION)
    assert not principal_matches(block, f"arn:aws:sts::{A}:assumed-role/OTHER/forecast-session")
    assert not principal_matches(block, f"arn:aws:sts::{B}:assumed-role/ROLE_PASSED_TO_FORECAST/s")
    assert not principal_matches(block, f"arn:aws:iam::{A}:user/ROLE_PASSED_TO_FORECAST")
    with_path = PrincipalBlock(aws=(f"arn:aws:iam::{A}:role/service-role/ROLE_PASSED_TO_FORECAST",))
    assert principal_matches(with_path, SESSION)


def test_account_principals_match_every_iam_principal_of_the_account() -> None:
    """"AWS account principals": ``arn:aws:iam::A:root`` and the bare id ``A`` stand for the
    account: its users, roles, sessions (service-linked role sessions too), not service principals."""
    for value in (A, f"arn:aws:iam::{A}:root"):
        block = PrincipalBlock(aws=(value,))
        assert principal_matches(block, f"arn:aws:iam::{A}:user/alice")
        assert principal_matches(block, SESSION)
        assert principal_matches(block, f"arn:aws:iam::{A}:root")
        assert principal_matches(block, f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForAmazonOpenSearchServerless/s")
        assert not principal_matches(block, f"arn:aws:iam::{B}:user/alice")
        assert not principal_matches(block, "forecast.amazonaws.com")
    assert not principal_matches(PrincipalBlock(aws=(f"arn:aws-cn:iam::{A}:root",)), f"arn:aws:iam::{A}:user/a")


def test_star_matches_everyone_including_services() -> None:
    for block in (PrincipalBlock(everyone=True), PrincipalBlock(everyone=True, aws=("*",))):
        assert principal_matches(block, "logs.us-west-2.amazonaws.com")
        assert principal_matches(block, f"arn:aws:iam::{B}:user/x")


def test_service_principals_match_exactly() -> None:
    block = PrincipalBlock(service=("logs.us-west-2.amazonaws.com",))
    assert principal_matches(block, "logs.us-west-2.amazonaws.com")
    assert not principal_matches(block, "logs.us-east-1.amazonaws.com")
    assert not principal_matches(block, f"arn:aws:iam::{A}:root")
    assert not principal_matches(PrincipalBlock(aws=("logs.us-west-2.amazonaws.com",)), "logs.us-west-2.amazonaws.com")


def test_partial_wildcards_in_principals_are_literal() -> None:
    """"AWS JSON policy elements: Principal": a wildcard cannot stand for part of a principal
    name or ARN; such a value is compared as written."""
    block = PrincipalBlock(aws=(f"arn:aws:iam::{A}:role/*",))
    assert not principal_matches(block, ROLE)
    assert not principal_matches(block, SESSION)
    assert principal_matches(block, f"arn:aws:iam::{A}:role/*")


def test_not_principal_needs_the_account_listed_too() -> None:
    """"AWS JSON policy elements: NotPrincipal": AWS checks the account, then the role, then the
    session; naming only the role leaves its sessions denied, naming the role and its account
    exempts the role's sessions."""
    role_only = {"Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "kms:*", "Resource": "*"}
    assert applies(role_only, "kms:Decrypt", principal=SESSION)
    assert applies(role_only, "kms:Decrypt", principal=f"arn:aws:iam::{A}:user/alice")
    with_account = {"Effect": "Deny", "NotPrincipal": {"AWS": [ROLE, f"arn:aws:iam::{A}:root"]},
                    "Action": "kms:*", "Resource": "*"}
    assert not applies(with_account, "kms:Decrypt", principal=SESSION)
    assert not applies(with_account, "kms:Decrypt", principal=ROLE)
    assert not applies(with_account, "kms:Decrypt", principal=f"arn:aws:iam::{A}:root")
    assert applies(with_account, "kms:Decrypt", principal=f"arn:aws:iam::{B}:user/bob")
    assert applies(with_account, "kms:Decrypt", principal="logs.us-west-2.amazonaws.com")
    service = {"Effect": "Deny", "NotPrincipal": {"Service": "logs.us-west-2.amazonaws.com"}, "Action": "kms:*",
               "Resource": "*"}
    assert not applies(service, "kms:Decrypt", principal="logs.us-west-2.amazonaws.com")
    assert applies(service, "kms:Decrypt", principal=SESSION)


def test_statement_without_principal_does_not_apply_in_a_resource_policy() -> None:
    stmt = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    assert not applies(stmt, "kms:Decrypt")
    assert applies(stmt, "kms:Decrypt", check_principal=False)


def test_principal_info_and_derived_context() -> None:
    assert principal_info(SESSION).arn == ROLE
    assert principal_info("kms.amazonaws.com").kind == "Service"
    assert principal_info(A).kind == "Account"
    r = make_request("kms:Decrypt", "*", SESSION, {"aws:PrincipalType": "Custom"})
    assert r.get("AWS:PRINCIPALARN") == (ROLE,)
    assert r.get("aws:principalaccount") == (A,)
    assert r.get("aws:PrincipalType") == ("Custom",)  # the caller's value wins
    user = make_request("kms:Decrypt", "*", f"arn:aws:iam::{A}:user/path/alice")
    assert user.get("aws:username") == ("alice",) and user.get("aws:principaltype") == ("User",)
    assert make_request("kms:Decrypt", "*", ROLE).get("aws:PrincipalType") == ("AssumedRole",)
    assert make_request("kms:Decrypt", "*", A).get("aws:PrincipalArn") == (f"arn:aws:iam::{A}:root",)
    svc = make_request("kms:Decrypt", "*", "logs.us-west-2.amazonaws.com")
    assert svc.get("aws:PrincipalServiceName") == ("logs.us-west-2.amazonaws.com",)
    assert svc.get("aws:PrincipalArn") is None and svc.get("aws:PrincipalIsAWSService") == ("true",)
    listy = make_request("kms:CreateGrant", "*", ROLE, {"kms:GrantOperations": ["Decrypt", "Encrypt"], "b": True})
    assert listy.get("kms:grantoperations") == ("Decrypt", "Encrypt") and listy.get("B") == ("true",)


def test_kms_actions_expand() -> None:
    assert expand_kms_actions("kms:ReEncrypt*") == ("kms:ReEncryptFrom", "kms:ReEncryptTo")
    assert expand_kms_actions("KMS:*") == KMS_ACTIONS
    assert "kms:Decrypt" in expand_kms_actions("kms:?ecrypt")
