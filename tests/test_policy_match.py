"""Matching of actions, resources and principals ("IAM JSON policy elements: Action",
"...: Resource", "AWS JSON policy elements: Principal", IAM User Guide)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
from kms_conformance.policy.conditions import arn_matcher, pieces_matcher
from kms_conformance.policy.match import string_set_matcher
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


# --- the matcher never backtracks: checked against a slow reference ---------------------------------


def reference_match(tokens: list[tuple[str, bool]], value: str) -> bool:
    """The obvious dynamic programme over (token, position): ``(c, True)`` is a wildcard ``c``
    (``*`` or ``?``), ``(c, False)`` a character matched literally. Slow (quadratic) and plainly
    right."""
    n = len(value)
    reach = [True] + [False] * n  # reach[j]: the tokens so far can match value[:j]
    for ch, wild in tokens:
        if wild and ch == "*":
            for j in range(1, n + 1):
                reach[j] = reach[j] or reach[j - 1]
        else:
            reach = [False] + [reach[j - 1] and ((wild and ch == "?") or value[j - 1] == ch)
                               for j in range(1, n + 1)]
    return reach[n]


def as_tokens(pattern: str) -> list[tuple[str, bool]]:
    return [(ch, ch in "*?") for ch in pattern]


PATTERNS = st.text(alphabet="ab*?:", max_size=12)
VALUES = st.text(alphabet="abAB:", max_size=14)


@settings(max_examples=400, deadline=None)
@given(PATTERNS, VALUES)
def test_wildcard_match_agrees_with_the_reference(pattern: str, value: str) -> None:
    assert wildcard_match(pattern, value) is reference_match(as_tokens(pattern), value)
    folded = reference_match(as_tokens(pattern.casefold()), value.casefold())
    assert wildcard_match(pattern, value, ignore_case=True) is folded


@settings(max_examples=200, deadline=None)
@given(st.lists(PATTERNS, min_size=1, max_size=4), VALUES, st.booleans())
def test_pattern_sets_agree_with_the_reference(patterns: list[str], value: str, ignore_case: bool) -> None:
    fold = str.casefold if ignore_case else str
    expected = any(reference_match(as_tokens(fold(p)), fold(value)) for p in patterns)
    assert string_set_matcher(patterns, ignore_case=ignore_case)(value) is expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="ab*?", max_size=5), st.booleans()), max_size=4), VALUES)
def test_literal_pieces_never_act_as_wildcards(pieces: list[tuple[str, bool]], value: str) -> None:
    """A substituted policy variable (or ``${*}``) is matched literally: its ``*``/``?`` are characters."""
    tokens = [(ch, is_pattern and ch in "*?") for text, is_pattern in pieces for ch in text]
    assert pieces_matcher(tuple(pieces))(value) is reference_match(tokens, value)


def arn_reference(pattern: str, value: str) -> bool:
    """ArnLike as the condition operators page describes it, the slow way: a wildcard in the
    first five components never matches ``:``; in the resource component it matches anything."""
    colons = min(pattern.count(":"), 5)
    head = pattern.split(":", colons)
    parts = value.split(":", colons)
    return len(parts) == len(head) and all(
        reference_match(as_tokens(p), v) for p, v in zip(head, parts, strict=True))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab*?:", max_size=14), st.text(alphabet="ab:", max_size=16))
def test_arn_matching_agrees_with_the_reference(pattern: str, value: str) -> None:
    assert arn_matcher(((pattern, True),))(value) is arn_reference(pattern, value)


def test_many_wildcards_against_a_long_value_answer_quickly() -> None:
    """No backtracking: 50 wildcards against a 1 kB value that almost matches. (A regular
    expression ``.*a.*a...b`` takes minutes here; this is a complexity check, not a benchmark,
    hence the generous bound.)"""
    pattern = "*a" * 50 + "*b"
    value = "a" * 1024
    started = time.perf_counter()
    assert not wildcard_match(pattern, value)
    assert wildcard_match(pattern, value + "b")
    assert not string_set_matcher([pattern, "*?a" * 50 + "*c"], ignore_case=True)(value)
    assert not arn_matcher(((f"arn:aws:kms:*:{A}:key/" + pattern, True),))(f"arn:aws:kms:us-east-1:{A}:key/" + value)
    assert not pieces_matcher(((pattern, True), ("lit*", False)))(value + "lit*")
    assert time.perf_counter() - started < 0.5


def test_a_long_resource_pattern_is_decided_quickly() -> None:
    """The Resource, StringLike and ArnLike of a statement through the evaluator: a 40-character
    key id against ``key/*a*a*...*b``."""
    key_id = "a" * 40
    key_arn = f"arn:aws:kms:us-east-1:{A}:key/{key_id}"
    pattern = f"arn:aws:kms:us-east-1:{A}:key/" + "*a" * 25 + "*b"
    stmt = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": [pattern],
            "Condition": {"StringLike": {"kms:RequestAlias": "alias/" + "*a" * 25 + "*b"},
                          "ArnLike": {"aws:SourceArn": pattern}}}
    started = time.perf_counter()
    request = make_request("kms:Decrypt", key_arn, ROLE, {"kms:RequestAlias": "alias/" + key_id,
                                                          "aws:SourceArn": key_arn})
    policy = parse_policy({"Version": "2012-10-17", "Statement": [stmt]})
    assert not statement_applies(policy.statements[0], request, check_principal=False)
    matching = make_request("kms:Decrypt", key_arn + "b", ROLE, {"kms:RequestAlias": "alias/" + key_id + "b",
                                                                 "aws:SourceArn": key_arn + "b"})
    assert statement_applies(policy.statements[0], matching, check_principal=False)
    assert time.perf_counter() - started < 0.5


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


ONCE_PATTERNS = ["", "a", "*", "a*", "*a", "a*b", "ab*ba", "a*b*c", "a?c", "*?", "arn:aws:s3:::b/*"]
ONCE_VALUES = ["", "a", "ab", "aba", "abba", "abc", "aXbYc", "ba", "arn:aws:s3:::b/k", "arn:aws:s3:::b"]


@pytest.mark.parametrize("pattern", ONCE_PATTERNS)
@pytest.mark.parametrize("value", ONCE_VALUES)
def test_match_once_agrees_with_the_compiled_glob(pattern: str, value: str) -> None:
    from kms_conformance.policy.match import compile_glob, match_once

    assert match_once(pattern, value) is compile_glob(pattern)(value)
