"""Condition operators, one family at a time, with the examples and edge cases of "IAM JSON
policy elements: Condition operators", "Single-valued vs. multivalued context keys" and "IAM
policy elements: Variables and tags" (IAM User Guide)."""

from __future__ import annotations

from typing import Any

import pytest
from kms_conformance.policy import Decision, evaluate_policy, make_request, parse_policy, policy_notes, request_notes

ACCOUNT = "111122223333"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def holds(condition: dict[str, Any], context: dict[str, Any] | None = None, *, version: str = "2012-10-17",
          principal: str = USER, resource: str = "*") -> bool:
    """Does an Allow statement with this Condition block allow a request with this context?"""
    doc = {"Version": version, "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": resource,
                                              "Condition": condition}]}
    request = make_request("kms:Decrypt", KEY, principal, context or {})
    decision = evaluate_policy(parse_policy(doc), request, check_principal=False).decision
    assert decision in (Decision.ALLOWED, Decision.IMPLICITLY_DENIED)
    return decision is Decision.ALLOWED


# --- String ----------------------------------------------------------------------------------------

def test_string_equals_is_case_sensitive_and_ors_values() -> None:
    """"String condition operators": StringEquals is exact, case-sensitive matching; several
    values for one key match if any does."""
    cond = {"StringEquals": {"kms:ViaService": ["forecast.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]}}
    assert holds(cond, {"kms:ViaService": "s3.us-east-1.amazonaws.com"})
    assert not holds(cond, {"kms:ViaService": "S3.us-east-1.amazonaws.com"})
    assert not holds(cond, {})


def test_string_not_equals_on_missing_key_is_true() -> None:
    """"Condition operators": when the key is not in the request context a negated operator
    (StringNotEquals) evaluates to true."""
    cond = {"StringNotEquals": {"kms:CallerAccount": ACCOUNT}}
    assert holds(cond, {})
    assert holds(cond, {"kms:CallerAccount": "444455556666"})
    assert not holds(cond, {"kms:CallerAccount": ACCOUNT})


def test_string_not_equals_with_several_values_is_nor() -> None:
    """"Condition operators": a negated operator with several values holds when the context
    value matches none of them."""
    cond = {"StringNotEquals": {"aws:PrincipalTag/team": ["data", "ml"]}}
    assert holds(cond, {"aws:PrincipalTag/team": "web"})
    assert not holds(cond, {"aws:PrincipalTag/team": "ml"})
    assert not holds(cond, {"aws:PrincipalTag/team": "data"})


def test_ignore_case_operators() -> None:
    cond = {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "Data"}}
    assert holds(cond, {"aws:PrincipalTag/team": "DATA"})
    assert not holds(cond, {"aws:PrincipalTag/team": "ml"})
    neg = {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "Data"}}
    assert not holds(neg, {"aws:PrincipalTag/team": "dAtA"})
    assert holds(neg, {"aws:PrincipalTag/team": "ml"})
    assert holds(neg, {})


def test_string_like_wildcards_are_iam_not_fnmatch() -> None:
    """"String condition operators": StringLike takes ``*`` (any run, also empty) and ``?``
    (exactly one character); ``[`` is an ordinary character."""
    cond = {"StringLike": {"kms:ViaService": "sagemaker.*.amazonaws.com"}}
    assert holds(cond, {"kms:ViaService": "sagemaker.eu-west-1.amazonaws.com"})
    assert not holds(cond, {"kms:ViaService": "forecast.eu-west-1.amazonaws.com"})
    q = {"StringLike": {"aws:PrincipalTag/team": "m?"}}
    assert holds(q, {"aws:PrincipalTag/team": "ml"})
    assert not holds(q, {"aws:PrincipalTag/team": "m"})
    assert not holds(q, {"aws:PrincipalTag/team": "mlx"})
    brackets = {"StringLike": {"aws:PrincipalTag/team": "[ab]*"}}
    assert holds(brackets, {"aws:PrincipalTag/team": "[ab]cd"})
    assert not holds(brackets, {"aws:PrincipalTag/team": "acd"})
    star = {"StringLike": {"aws:PrincipalTag/team": "*"}}
    assert holds(star, {"aws:PrincipalTag/team": ""})
    assert not holds(star, {})


def test_string_not_like() -> None:
    cond = {"StringNotLike": {"kms:ViaService": ["s3.*", "logs.*"]}}
    assert holds(cond, {"kms:ViaService": "forecast.us-east-1.amazonaws.com"})
    assert not holds(cond, {"kms:ViaService": "logs.us-east-1.amazonaws.com"})
    assert holds(cond, {})


def test_condition_key_names_are_case_insensitive_values_are_not() -> None:
    """"IAM JSON policy elements: Condition": condition key names are not case-sensitive."""
    assert holds({"StringEquals": {"KMS:VIASERVICE": "x"}}, {"kms:viaservice": "x"})
    assert holds({"StringEquals": {"kms:viaservice": "x"}}, {"Kms:ViaService": "x"})
    assert not holds({"StringEquals": {"kms:ViaService": "x"}}, {"kms:ViaService": "X"})


def test_several_keys_and_operators_are_anded() -> None:
    cond = {"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com", "kms:CallerAccount": ACCOUNT},
            "Bool": {"aws:SecureTransport": "true"}}
    full = {"kms:ViaService": "forecast.us-east-1.amazonaws.com", "kms:CallerAccount": ACCOUNT,
            "aws:SecureTransport": "true"}
    assert holds(cond, full)
    for key in full:
        assert not holds(cond, {k: v for k, v in full.items() if k != key}), key


# --- IfExists -----------------------------------------------------------------------------------

def test_if_exists_holds_when_the_key_is_missing() -> None:
    """"...IfExists condition operators": if the key is not present the condition is true;
    if it is, the operator applies as usual."""
    cond = {"StringEqualsIfExists": {"kms:ViaService": "forecast.us-east-1.amazonaws.com"}}
    assert holds(cond, {})
    assert holds(cond, {"kms:ViaService": "forecast.us-east-1.amazonaws.com"})
    assert not holds(cond, {"kms:ViaService": "s3.us-east-1.amazonaws.com"})
    num = {"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}
    assert holds(num, {}) and holds(num, {"aws:MultiFactorAuthAge": "10"})
    assert not holds(num, {"aws:MultiFactorAuthAge": "7200"})
    arn = {"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:logs:*:*:*"}}
    assert holds(arn, {}) and not holds(arn, {"aws:SourceArn": "arn:aws:s3:::b"})


# --- Numeric, Date, Bool, Binary ----------------------------------------------------------------

@pytest.mark.parametrize(("op", "results"), [
    ("NumericEquals", (False, True, False)),
    ("NumericNotEquals", (True, False, True)),
    ("NumericLessThan", (True, False, False)),
    ("NumericLessThanEquals", (True, True, False)),
    ("NumericGreaterThan", (False, False, True)),
    ("NumericGreaterThanEquals", (False, True, True)),
])
def test_numeric_operators(op: str, results: tuple[bool, bool, bool]) -> None:
    """"Numeric condition operators" ("aws:MultiFactorAuthAge" example)."""
    for value, expected in zip(("9", "10", "10.5"), results, strict=True):
        assert holds({op: {"aws:MultiFactorAuthAge": "10"}}, {"aws:MultiFactorAuthAge": value}) is expected, value
    assert holds({op: {"aws:MultiFactorAuthAge": "10"}}, {}) is (op == "NumericNotEquals")


def test_numeric_policy_values_may_be_json_numbers() -> None:
    assert holds({"NumericLessThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 7}},
                 {"kms:ScheduleKeyDeletionPendingWindowInDays": "7"})
    assert not holds({"NumericLessThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 7}},
                     {"kms:ScheduleKeyDeletionPendingWindowInDays": 30})


@pytest.mark.parametrize(("op", "results"), [
    ("DateEquals", (False, True, False)),
    ("DateNotEquals", (True, False, True)),
    ("DateLessThan", (True, False, False)),
    ("DateLessThanEquals", (True, True, False)),
    ("DateGreaterThan", (False, False, True)),
    ("DateGreaterThanEquals", (False, True, True)),
])
def test_date_operators_iso_and_epoch(op: str, results: tuple[bool, bool, bool]) -> None:
    """"Date condition operators": ISO 8601 or epoch (UNIX) time, compared as instants."""
    bound = "2020-04-01T00:00:00Z"
    values = ("2020-03-31T23:59:59Z", "1585699200", "2020-04-01T00:00:00.5+00:00")
    for value, expected in zip(values, results, strict=True):
        assert holds({op: {"aws:CurrentTime": bound}}, {"aws:CurrentTime": value}) is expected, value
    epoch_bound = {op: {"aws:EpochTime": 1585699200}}
    assert holds(epoch_bound, {"aws:EpochTime": "2020-04-01T00:00:00Z"}) is results[1]


def test_date_only_and_offsets() -> None:
    assert holds({"DateEquals": {"aws:CurrentTime": "2020-04-01"}}, {"aws:CurrentTime": "2020-04-01T00:00:00Z"})
    assert holds({"DateEquals": {"aws:CurrentTime": "2020-04-01T02:00:00+02:00"}},
                 {"aws:CurrentTime": "2020-04-01T00:00:00Z"})
    assert not holds({"DateLessThan": {"aws:CurrentTime": "2020-04-01"}}, {"aws:CurrentTime": "not a date"})


def test_bool() -> None:
    """"Boolean condition operators" (aws:SecureTransport example); JSON true is accepted."""
    assert holds({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"})
    assert holds({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": True})
    assert not holds({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"})
    assert not holds({"Bool": {"aws:SecureTransport": "false"}}, {})
    assert holds({"BoolIfExists": {"aws:SecureTransport": "false"}}, {})


def test_binary_equals_compares_base64_values() -> None:
    """"Binary condition operators": the policy value is base64 encoded."""
    cond = {"BinaryEquals": {"aws:RequestTag/blob": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}
    assert holds(cond, {"aws:RequestTag/blob": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="})
    assert not holds(cond, {"aws:RequestTag/blob": "QmluYXJ5"})
    assert not holds(cond, {})


# --- IP addresses ------------------------------------------------------------------------------------

def test_ip_address_ipv4_and_ipv6() -> None:
    """"IP address condition operators": CIDR blocks of IPv4 or IPv6; NotIpAddress is the negation."""
    cond = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}
    assert holds(cond, {"aws:SourceIp": "203.0.113.77"})
    assert holds(cond, {"aws:SourceIp": "2001:db8:1234:5678::1"})
    assert not holds(cond, {"aws:SourceIp": "198.51.100.1"})
    assert not holds(cond, {"aws:SourceIp": "2001:db8:1234:5679::1"})
    assert not holds(cond, {"aws:SourceIp": "garbage"})
    single = {"IpAddress": {"aws:SourceIp": "203.0.113.5"}}
    assert holds(single, {"aws:SourceIp": "203.0.113.5"}) and not holds(single, {"aws:SourceIp": "203.0.113.6"})
    neg = {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    assert holds(neg, {"aws:SourceIp": "198.51.100.1"})
    assert not holds(neg, {"aws:SourceIp": "203.0.113.9"})
    assert holds(neg, {})


# --- ARN -----------------------------------------------------------------------------------------

def test_arn_like_matches_component_by_component() -> None:
    """"Amazon Resource Name (ARN) condition operators": each of the six colon-delimited
    components is checked separately, each may hold ``*``/``?``; a wildcard does not reach into
    the next component."""
    cond = {"ArnLike": {"aws:SourceArn": "arn:aws:logs:us-west-2:*:*"}}
    assert holds(cond, {"aws:SourceArn": f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:airflow-x:*"})
    assert not holds(cond, {"aws:SourceArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:g"})
    assert not holds(cond, {"aws:SourceArn": "arn:aws:logs:us-west-2"})
    # "*" in the region component does not swallow the account component: five colons needed.
    region_star = {"ArnLike": {"aws:SourceArn": "arn:aws:logs:*:log-group"}}
    assert not holds(region_star, {"aws:SourceArn": f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group"})
    q = {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket-?"}}
    assert holds(q, {"aws:SourceArn": "arn:aws:s3:::bucket-1"})
    assert not holds(q, {"aws:SourceArn": "arn:aws:s3:::bucket-12"})
    per_segment = {"ArnLike": {"aws:SourceArn": "arn:aws:logs:us-west-?:*:log-group:*"}}
    assert holds(per_segment, {"aws:SourceArn": f"arn:aws:logs:us-west-1:{ACCOUNT}:log-group:a"})
    assert not holds(per_segment, {"aws:SourceArn": f"arn:aws:logs:us-west-10:{ACCOUNT}:log-group:a"})


def test_arn_equals_also_takes_wildcards_and_is_case_sensitive() -> None:
    cond = {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}}
    assert holds(cond, {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Admin"})
    assert not holds(cond, {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/Admin"})
    assert not holds({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::Bucket"}}, {"aws:SourceArn": "arn:aws:s3:::bucket"})


def test_arn_negated_operators() -> None:
    cond = {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/admin-*"}}
    assert holds(cond, {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/dev"})
    assert not holds(cond, {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/admin-1"})
    assert holds(cond, {})
    eq = {"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:::b"}}
    assert not holds(eq, {"aws:SourceArn": "arn:aws:s3:::b"}) and holds(eq, {"aws:SourceArn": "arn:aws:s3:::c"})


def test_principal_arn_of_a_session_is_its_role() -> None:
    """"AWS global condition context keys: aws:PrincipalArn": for an assumed-role session, the
    ARN of the role, not of the session."""
    cond = {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Admin"}}
    assert holds(cond, principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice")
    assert not holds(cond, principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/Dev/alice")


# --- Null --------------------------------------------------------------------------------------------

def test_null_checks_presence() -> None:
    """"Condition operator to check existence of condition keys": Null true means the key is absent."""
    assert holds({"Null": {"aws:TokenIssueTime": "true"}}, {})
    assert not holds({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"})
    assert holds({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"})
    assert not holds({"Null": {"aws:TokenIssueTime": False}}, {})
    assert holds({"Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": []})


# --- set qualifiers --------------------------------------------------------------------------------

def test_for_all_values() -> None:
    """"Single-valued vs. multivalued context keys": ForAllValues holds when every value in the
    request is in the policy's set, and also when the key is missing or empty."""
    cond = {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt", "Encrypt", "GenerateDataKey"]}}
    assert holds(cond, {"kms:GrantOperations": ["Decrypt", "Encrypt"]})
    assert not holds(cond, {"kms:GrantOperations": ["Decrypt", "RetireGrant"]})
    assert holds(cond, {})
    assert holds(cond, {"kms:GrantOperations": []})


def test_for_any_value() -> None:
    """ForAnyValue holds when at least one request value matches; false when the key is missing."""
    cond = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["Project", "Owner"]}}
    assert holds(cond, {"aws:TagKeys": ["CostCenter", "Owner"]})
    assert not holds(cond, {"aws:TagKeys": ["CostCenter"]})
    assert not holds(cond, {})
    assert not holds(cond, {"aws:TagKeys": []})
    assert holds({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "Owner"}}, {})


def test_set_qualifiers_with_negated_operators() -> None:
    """ForAllValues:StringNotEquals: every request value is outside the set; ForAnyValue:
    StringNotLike: some request value is."""
    all_not = {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["Secret"]}}
    assert holds(all_not, {"aws:TagKeys": ["A", "B"]})
    assert not holds(all_not, {"aws:TagKeys": ["A", "Secret"]})
    assert holds(all_not, {})
    any_not = {"ForAnyValue:StringNotLike": {"aws:TagKeys": "Sec*"}}
    assert holds(any_not, {"aws:TagKeys": ["Secret", "Owner"]})
    assert not holds(any_not, {"aws:TagKeys": ["Secret"]})
    assert not holds(any_not, {})


def test_for_all_values_like_with_encryption_context_keys() -> None:
    """"AWS KMS condition keys: kms:EncryptionContextKeys" with ForAllValues:StringLike."""
    cond = {"ForAllValues:StringLike": {"kms:EncryptionContextKeys": ["aws:logs:*", "Department"]}}
    assert holds(cond, {"kms:EncryptionContextKeys": ["aws:logs:arn"]})
    assert not holds(cond, {"kms:EncryptionContextKeys": ["aws:logs:arn", "Project"]})


def test_multivalued_key_without_qualifier_is_any_value() -> None:
    """A multivalued key used without a set qualifier (AWS advises against it): a positive
    operator holds when any value matches, a negated one when none does."""
    assert holds({"StringEquals": {"aws:TagKeys": "Owner"}}, {"aws:TagKeys": ["A", "Owner"]})
    assert not holds({"StringNotEquals": {"aws:TagKeys": "Owner"}}, {"aws:TagKeys": ["A", "Owner"]})
    assert holds({"StringNotEquals": {"aws:TagKeys": "Owner"}}, {"aws:TagKeys": ["A", "B"]})


# --- policy variables ------------------------------------------------------------------------------

def test_variables_in_resource() -> None:
    """"IAM policy elements: Variables and tags": ${aws:username} in Resource."""
    resource = "arn:aws:s3:::bucket/home/${aws:username}/*"
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                   "Resource": resource}]}
    policy = parse_policy(doc)

    def allowed(obj: str, principal: str = USER) -> bool:
        req = make_request("s3:GetObject", f"arn:aws:s3:::bucket/home/{obj}", principal)
        return evaluate_policy(policy, req, check_principal=False).allowed

    assert allowed("alice/notes.txt")
    assert not allowed("bob/notes.txt")
    # a session has no aws:username: the variable's key is missing, the value matches nothing
    assert not allowed("alice/notes.txt", f"arn:aws:sts::{ACCOUNT}:assumed-role/R/alice")


def test_variables_only_under_2012_10_17() -> None:
    cond = {"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}
    assert holds(cond, {"aws:PrincipalTag/owner": "alice"})
    assert not holds(cond, {"aws:PrincipalTag/owner": "alice"}, version="2008-10-17")
    assert holds(cond, {"aws:PrincipalTag/owner": "${aws:username}"}, version="2008-10-17")


def test_variable_from_principal_tag_and_default() -> None:
    cond = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}
    assert holds(cond, {"aws:ResourceTag/team": "ml", "aws:PrincipalTag/team": "ml"})
    assert not holds(cond, {"aws:ResourceTag/team": "ml", "aws:PrincipalTag/team": "data"})
    assert not holds(cond, {"aws:ResourceTag/team": "ml"})
    default = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team, 'nobody'}"}}
    assert holds(default, {"aws:ResourceTag/team": "nobody"})
    assert holds(default, {"aws:ResourceTag/team": "ml", "aws:PrincipalTag/team": "ml"})


def test_special_character_variables_are_literal() -> None:
    """${*}, ${?}, ${$} stand for the characters themselves, never wildcards."""
    cond = {"StringLike": {"aws:PrincipalTag/x": "a${*}b*"}}
    assert holds(cond, {"aws:PrincipalTag/x": "a*bcd"})
    assert not holds(cond, {"aws:PrincipalTag/x": "axbcd"})
    assert holds({"StringEquals": {"aws:PrincipalTag/x": "${$}{x}${?}"}}, {"aws:PrincipalTag/x": "${x}?"})


def test_substituted_values_are_not_wildcards() -> None:
    cond = {"StringLike": {"aws:ResourceTag/owner": "${aws:PrincipalTag/owner}"}}
    assert holds(cond, {"aws:ResourceTag/owner": "a*", "aws:PrincipalTag/owner": "a*"})
    assert not holds(cond, {"aws:ResourceTag/owner": "abc", "aws:PrincipalTag/owner": "a*"})


def test_variables_in_arn_conditions() -> None:
    cond = {"ArnLike": {"aws:SourceArn": "arn:aws:logs:*:${aws:PrincipalAccount}:*"}}
    assert holds(cond, {"aws:SourceArn": f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:g"})
    assert not holds(cond, {"aws:SourceArn": "arn:aws:logs:us-west-2:444455556666:log-group:g"})


def test_aws_userid_of_root_and_federated_user() -> None:
    assert holds({"StringEquals": {"aws:userid": ACCOUNT}}, principal=f"arn:aws:iam::{ACCOUNT}:root")
    assert holds({"StringEquals": {"aws:userid": f"{ACCOUNT}:bob"}},
                 principal=f"arn:aws:sts::{ACCOUNT}:federated-user/bob")
    assert holds({"StringEquals": {"aws:userid": "AROAEXAMPLE:alice"}}, {"aws:userid": "AROAEXAMPLE:alice"},
                 principal=f"arn:aws:sts::{ACCOUNT}:assumed-role/R/alice")


# --- where AWS documents nothing: one behaviour, and the decision says so ------------------------

def test_undocumented_combinations_keep_one_behaviour_and_are_reported() -> None:
    """Neither "IAM JSON policy elements: Condition operators" nor "Single-valued vs.
    multivalued context keys" says what ForAnyValue with IfExists does on an absent key, nor how
    an operator without set qualifier compares a multivalued key. The kit keeps one behaviour
    (IfExists wins; any value for a positive operator, none for a negated one) and
    ``policy_notes``/``request_notes`` name every condition that relies on it."""
    any_if_exists = {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "Owner"}}
    plain = {"StringEquals": {"kms:EncryptionContextKeys": "Dept"}}
    negated = {"StringNotEquals": {"kms:EncryptionContextKeys": "Secret"}}
    assert holds(any_if_exists, {})
    assert holds(plain, {"kms:EncryptionContextKeys": ["Team", "Dept"]})
    assert not holds(negated, {"kms:EncryptionContextKeys": ["Team", "Secret"]})
    assert holds(negated, {"kms:EncryptionContextKeys": ["Team", "Dept"]})

    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": any_if_exists},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": plain},
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*", "Condition": negated},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": "Dept"},
                       "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}]}
    policy = parse_policy(doc, origin="p")
    assert [n.split(":", 1)[0] for n in policy_notes(policy)] == [
        "p Statement[0].Condition.ForAnyValue", "p Statement[1].Condition.StringEquals.kms",
        "p Statement[2].Condition.StringNotEquals.kms"]
    assert all("AWS does not document" in n for n in policy_notes(policy))
    absent = make_request("kms:Decrypt", KEY, USER, {"kms:EncryptionContextKeys": ["Dept"]})
    notes = request_notes([(policy, False)], absent)
    assert len(notes) == 2 and "Statement[0]" in notes[0] and "Statement[1]" in notes[1]
    present = make_request("kms:Decrypt", KEY, USER, {"aws:TagKeys": ["Owner"]})
    assert request_notes([(policy, False)], present) == ()  # TagKeys present; Statement[2] is for Encrypt
    assert request_notes([(policy, True)], absent) == ()  # no Principal: applies to nobody in a resource policy
