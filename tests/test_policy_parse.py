"""Parsing policy documents ("IAM JSON policy elements reference", IAM User Guide): what AWS
accepts is accepted, every malformation is a PolicyError naming the JSON path and the problem,
and serialization round-trips."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from kms_conformance.errors import InputError
from kms_conformance.policy import (
    Decision,
    PolicyError,
    evaluate_policy,
    make_request,
    parse_policy,
    policy_to_dict,
    serialize_policy,
)
from kms_conformance.strategies.policies import identity_policies, key_policies

ACCOUNT = "111122223333"


def base() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "One", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "Two", "Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}}},
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:Encrypt", "Resource": "*",
             "Condition": {"StringLike": {"kms:ViaService": "s3.*"}}},
        ],
    }


def broken(change: Any) -> dict[str, Any]:
    doc = base()
    change(doc)
    return doc


def s(i: int) -> Any:
    return lambda doc: doc["Statement"][i]


MALFORMED: list[tuple[str, Any, str, str]] = [
    # (id, document, expected path, expected words in the message)
    ("not-object", [], "$", "JSON object"),
    ("bad-version", broken(lambda d: d.update(Version="2020-01-01")), "Version", "Version"),
    ("unknown-top", broken(lambda d: d.update(Statements=[])), "Statements", "unknown policy element"),
    ("no-statement", {"Version": "2012-10-17"}, "$", "missing Statement"),
    ("empty-statement", {"Version": "2012-10-17", "Statement": []}, "Statement", "empty"),
    ("statement-string", {"Version": "2012-10-17", "Statement": "x"}, "Statement", "object"),
    ("statement-item-not-object", broken(lambda d: d["Statement"].append(3)), "Statement[3]", "object"),
    ("id-not-string", broken(lambda d: d.update(Id=3)), "Id", "string"),
    ("bad-effect", broken(lambda d: d["Statement"][1].update(Effect="allow")), "Statement[1].Effect",
     "Allow' or 'Deny"),
    ("missing-effect", broken(lambda d: d["Statement"][1].pop("Effect")), "Statement[1]", "missing Effect"),
    ("action-and-notaction", broken(lambda d: d["Statement"][0].update(NotAction="kms:Decrypt")),
     "Statement[0]", "both Action and NotAction"),
    ("missing-action", broken(lambda d: d["Statement"][2].pop("Action")), "Statement[2]", "missing Action"),
    ("principal-and-notprincipal", broken(lambda d: d["Statement"][0].update(NotPrincipal="*")),
     "Statement[0]", "both Principal and NotPrincipal"),
    ("notprincipal-with-allow", broken(lambda d: d["Statement"][1].update(NotPrincipal=d["Statement"][1].pop(
        "Principal"))), "Statement[1].NotPrincipal", "only with"),
    ("resource-and-notresource", broken(lambda d: d["Statement"][0].update(NotResource="*")),
     "Statement[0]", "both Resource and NotResource"),
    ("unknown-statement-element", broken(lambda d: d["Statement"][0].update(Actions="kms:*")),
     "Statement[0].Actions", "unknown statement element"),
    ("sid-not-string", broken(lambda d: d["Statement"][0].update(Sid=1)), "Statement[0].Sid", "string"),
    ("duplicate-sid", broken(lambda d: d["Statement"][2].update(Sid="One")), "Statement", "duplicate Sid"),
    ("action-number", broken(lambda d: d["Statement"][0].update(Action=3)), "Statement[0].Action", "string"),
    ("action-empty-list", broken(lambda d: d["Statement"][0].update(Action=[])), "Statement[0].Action", "empty"),
    ("action-list-item", broken(lambda d: d["Statement"][1].update(Action=["kms:Decrypt", 4])),
     "Statement[1].Action[1]", "strings"),
    ("action-no-prefix", broken(lambda d: d["Statement"][1].update(Action=["kms:Decrypt", "Decrypt"])),
     "Statement[1].Action[1]", "service:Action"),
    # "Grammar of the IAM JSON policy language": an action string is a namespace, a colon and a name
    ("action-empty-name", broken(lambda d: d["Statement"][1].update(Action=["kms:Decrypt", "s3:"])),
     "Statement[1].Action[1]", "'s3:' has an empty action name"),
    ("notaction-empty-name", broken(lambda d: d["Statement"][0].update(NotAction=d["Statement"][0].pop("Action"))
                                    or d["Statement"][0].update(NotAction="s3:")),
     "Statement[0].NotAction", "'s3:' has an empty action name"),
    ("action-empty-namespace", broken(lambda d: d["Statement"][1].update(Action=":Decrypt")),
     "Statement[1].Action", "empty service namespace"),
    ("resource-dict", broken(lambda d: d["Statement"][0].update(Resource={"a": 1})), "Statement[0].Resource",
     "string"),
    ("principal-arn-string", broken(lambda d: d["Statement"][0].update(Principal=f"arn:aws:iam::{ACCOUNT}:root")),
     "Statement[0].Principal", "must be '*'"),
    ("principal-unknown-type", broken(lambda d: d["Statement"][0].update(Principal={"Aws": "*"})),
     "Statement[0].Principal.Aws", "unknown principal type"),
    ("principal-empty-map", broken(lambda d: d["Statement"][0].update(Principal={})), "Statement[0].Principal",
     "non-empty"),
    ("principal-number", broken(lambda d: d["Statement"][0].update(Principal={"AWS": 111122223333})),
     "Statement[0].Principal.AWS", "string"),
    ("principal-not-arn", broken(lambda d: d["Statement"][0].update(Principal={"AWS": ["*", "bob"]})),
     "Statement[0].Principal.AWS[1]", "not '*', a 12-digit account id or an ARN"),
    ("principal-empty-service", broken(lambda d: d["Statement"][0].update(Principal={"Service": " "})),
     "Statement[0].Principal.Service", "empty principal"),
    ("condition-not-map", broken(lambda d: d["Statement"][1].update(Condition=["x"])), "Statement[1].Condition",
     "map of operators"),
    ("unknown-operator", broken(lambda d: d["Statement"][2].update(Condition={"StringLikes": {"k": "v"}})),
     "Statement[2].Condition.StringLikes", "unknown condition operator"),
    ("unknown-qualifier", broken(lambda d: d["Statement"][2].update(
        Condition={"ForSomeValues:StringLike": {"k": "v"}})),
     "Statement[2].Condition.ForSomeValues:StringLike", "set qualifier"),
    ("null-ifexists", broken(lambda d: d["Statement"][2].update(Condition={"NullIfExists": {"k": "true"}})),
     "Statement[2].Condition.NullIfExists", "Null"),
    ("operator-block-not-map", broken(lambda d: d["Statement"][2].update(Condition={"StringLike": "v"})),
     "Statement[2].Condition.StringLike", "condition keys to values"),
    ("condition-value-object", broken(lambda d: d["Statement"][2].update(
        Condition={"StringLike": {"kms:ViaService": {"a": "b"}}})),
     "Statement[2].Condition.StringLike.kms:ViaService", "strings, numbers or booleans"),
    ("condition-value-null", broken(lambda d: d["Statement"][2].update(
        Condition={"StringLike": {"kms:ViaService": ["a", None]}})),
     "Statement[2].Condition.StringLike.kms:ViaService[1]", "strings, numbers or booleans"),
    ("numeric-not-number", broken(lambda d: d["Statement"][1].update(
        Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": ["10", "ten"]}})),
     "Statement[1].Condition.NumericLessThan.aws:MultiFactorAuthAge[1]", "not a number"),
    ("date-not-date", broken(lambda d: d["Statement"][1].update(
        Condition={"DateGreaterThan": {"aws:CurrentTime": "yesterday"}})),
     "Statement[1].Condition.DateGreaterThan.aws:CurrentTime", "ISO 8601"),
    ("ip-not-ip", broken(lambda d: d["Statement"][1].update(
        Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}})),
     "Statement[1].Condition.IpAddress.aws:SourceIp", "CIDR"),
    ("bool-not-bool", broken(lambda d: d["Statement"][1].update(
        Condition={"Bool": {"aws:SecureTransport": "yes"}})),
     "Statement[1].Condition.Bool.aws:SecureTransport", "true or false"),
    ("null-not-bool", broken(lambda d: d["Statement"][1].update(Condition={"Null": {"aws:TagKeys": "maybe"}})),
     "Statement[1].Condition.Null.aws:TagKeys", "true or false"),
    ("binary-not-base64", broken(lambda d: d["Statement"][1].update(
        Condition={"BinaryEquals": {"aws:RequestTag/blob": "not base64!"}})),
     "Statement[1].Condition.BinaryEquals.aws:RequestTag/blob", "base64"),
    ("bad-variable", broken(lambda d: d["Statement"][1].update(
        Condition={"StringEquals": {"aws:userid": "${aws:username, x}"}})),
     "Statement[1].Condition.StringEquals.aws:userid", "policy variable"),
]


@pytest.mark.parametrize(("doc", "path", "words"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_documents_name_the_json_path(doc: Any, path: str, words: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(doc, origin="key.json")
    err = info.value
    assert err.path == path, err
    assert words in err.message, err
    assert str(err) == f"key.json: {path}: {err.message}"
    assert isinstance(err, InputError) and isinstance(err, ValueError)


def test_single_statement_path_has_no_index() -> None:
    doc = {"Version": "2012-10-17", "Statement": {"Effect": "Maybe", "Action": "kms:*", "Resource": "*"}}
    with pytest.raises(PolicyError) as info:
        parse_policy(doc)
    assert info.value.path == "Statement.Effect"


def test_invalid_json_text() -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy('{"Version": "2012-10-17", "Statement": [')
    assert info.value.path == "$" and "not valid JSON" in info.value.message


def test_accepts_what_aws_accepts() -> None:
    """"IAM JSON policy elements reference": single statement object; string or list values;
    every principal type; bare account ids; numbers and booleans as condition values; Version
    2008-10-17 or none."""
    doc = {
        "Id": "key-policy-1",
        "Version": "2008-10-17",
        "Statement": {
            "Sid": "All kinds",
            "Effect": "Allow",
            "Principal": {"AWS": [ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/R"],
                          "Service": "logs.us-west-2.amazonaws.com",
                          "Federated": "cognito-identity.amazonaws.com",
                          "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
            "NotAction": "kms:Delete*",
            "NotResource": ["arn:aws:kms:us-east-1:444455556666:key/*"],
            "Condition": {"NumericLessThanEquals": {"aws:MultiFactorAuthAge": 3600},
                          "Bool": {"aws:SecureTransport": True},
                          "NumericGreaterThan": {"kms:RotationPeriodInDays": [90, 365.5]}},
        },
    }
    policy = parse_policy(json.dumps(doc), origin="k")
    (stmt,) = policy.statements
    assert policy.version == "2008-10-17" and policy.id == "key-policy-1" and policy.name == "k"
    assert stmt.index == 0 and stmt.sid == "All kinds" and stmt.not_action == ("kms:Delete*",)
    assert stmt.principal is not None and stmt.principal.aws == (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/R")
    values = {c.operator: c.values for c in stmt.conditions}
    assert values["NumericLessThanEquals"] == ("3600",)
    assert values["Bool"] == ("true",)
    assert values["NumericGreaterThan"] == ("90", "365.5")
    assert parse_policy({"Statement": [{"Effect": "Allow", "Action": "*"}]}).version is None


def test_operator_names_are_read_case_insensitively_but_kept() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                                   "Condition": {"forallvalues:stringequalsifexists": {"k": "v"}}}]}
    (cond,) = parse_policy(doc).statements[0].conditions
    assert (cond.qualifier, cond.base, cond.if_exists) == ("ForAllValues", "StringEquals", True)
    assert cond.operator == "forallvalues:stringequalsifexists"


def test_principal_star_forms() -> None:
    star = parse_policy({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}}).statements[0]
    aws_star = parse_policy({"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*"}})
    assert star.principal is not None and star.principal.everyone
    assert aws_star.statements[0].principal is not None and aws_star.statements[0].principal.everyone


def test_parse_does_not_change_its_input() -> None:
    doc = base()
    before = copy.deepcopy(doc)
    parse_policy(doc)
    assert doc == before


FAST = settings(max_examples=60, deadline=None)


@FAST
@given(key_policies(account=ACCOUNT))
def test_key_policies_parse_and_round_trip(doc: dict[str, Any]) -> None:
    policy = parse_policy(doc, origin="kp")
    assert len(policy.statements) == len(doc["Statement"])
    again = parse_policy(serialize_policy(policy), origin="kp")
    assert again == policy
    assert parse_policy(policy_to_dict(again), origin="kp") == policy


@FAST
@given(identity_policies(account=ACCOUNT))
def test_identity_policies_round_trip_and_decide_alike(doc: dict[str, Any]) -> None:
    policy = parse_policy(doc)
    again = parse_policy(serialize_policy(policy))
    assert again == policy
    request = make_request("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k", f"arn:aws:iam::{ACCOUNT}:user/u",
                           {"kms:CallerAccount": ACCOUNT})
    a = evaluate_policy(policy, request, check_principal=False)
    b = evaluate_policy(again, request, check_principal=False)
    assert a == b and a.decision in set(Decision)


def test_serialization_keeps_star_and_single_statement() -> None:
    doc = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                                                  "Resource": "*"}}
    assert policy_to_dict(parse_policy(doc)) == doc


@pytest.mark.parametrize("principal", [
    {"AWS": ACCOUNT}, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"AWS": "*"}, {"Service": "forecast.amazonaws.com"},
    {"Federated": "cognito-identity.amazonaws.com"}, {"CanonicalUser": "79a59df9"}, {"AWS": [ACCOUNT]},
    {"AWS": ACCOUNT, "Service": "s3.amazonaws.com"},
])
def test_principal_block_is_the_same_by_every_path(principal: dict[str, Any]) -> None:
    from kms_conformance.policy.model import PrincipalBlock

    doc = base()
    doc["Statement"][0]["Principal"] = principal
    block = parse_policy(doc).statements[0].principal
    fields = {"AWS": "aws", "Service": "service", "Federated": "federated", "CanonicalUser": "canonical_user"}
    want = {fields[k]: tuple(v) if isinstance(v, list) else (v,) for k, v in principal.items()}
    assert block == PrincipalBlock(everyone="*" in want.get("aws", ()), **want)
    assert parse_policy(copy.deepcopy(doc)).statements[0].principal == block


@pytest.mark.parametrize(("principal", "message"), [
    ({"AWS": "12345"}, "is not '\\*', a 12-digit account id or an ARN"), ({"AWS": " "}, "empty principal"),
    ({"Service": " "}, "empty principal"), ({"Bogus": "x"}, "unknown principal type"),
])
def test_single_principal_errors_name_the_value(principal: dict[str, Any], message: str) -> None:
    doc = base()
    doc["Statement"][0]["Principal"] = principal
    with pytest.raises(PolicyError, match=message) as err:
        parse_policy(doc)
    assert err.value.path == f"Statement[0].Principal.{next(iter(principal))}"


def test_builder_gives_what_init_gives() -> None:
    from dataclasses import dataclass

    from kms_conformance.policy.model import Condition, Statement, builder, new_condition, new_statement

    args = ("s", "Allow", None, None, ("kms:*",), None, ("*",), None, (), 3, True, None)
    built, made = new_statement(*args), Statement(*args)
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert vars(built) == vars(made)
    assert new_condition("Bool", "aws:SecureTransport", ("true",), "Bool", "", False, False, None) == Condition(
        "Bool", "aws:SecureTransport", ("true",))

    @dataclass(frozen=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            raise AssertionError

    with pytest.raises(TypeError, match="__post_init__"):
        builder(Checked)


def test_builder_takes_fields_by_name_and_fills_defaults() -> None:
    from dataclasses import dataclass, field

    from kms_conformance.policy.model import builder

    @dataclass(frozen=True)
    class Value:
        a: str
        b: int = 2
        c: dict[str, str] = field(default_factory=dict)

    build = builder(Value)
    assert build("x") == Value("x") and build(b=3, a="y") == Value("y", 3)
    assert vars(build("x")) == vars(Value("x"))
    first, second = build("x"), build("x")
    assert first.c == {} and first.c is not second.c  # a new default per instance, as __init__ gives
    with pytest.raises(TypeError):
        build()


def test_action_matcher_is_set_at_parse_time() -> None:
    doc = base()
    doc["Statement"] = [{"Effect": "Allow", "Action": "kms:Re*", "Resource": "*"},
                        {"Effect": "Deny", "NotAction": ["kms:Decrypt"], "Resource": "*"}]
    allow, deny = parse_policy(doc).statements
    assert "action_test" in vars(allow)
    assert allow.action_test("KMS:ReEncryptFrom") and not allow.action_test("kms:Decrypt")
    assert deny.action_test("kms:Encrypt") and not deny.action_test("kms:decrypt")
