"""Mutators make one small, described change to a copy of their input (strategies/mutators.py),
and the change moves the policy decision the way "Policy evaluation logic" says it must."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kms_conformance.strategies import mutators as mut
from kms_conformance.strategies.grants import grants
from kms_conformance.strategies.policies import identity_policies, key_policies
from test_strategies_policies import shape_errors

FAST = settings(max_examples=40, deadline=None)

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ROLE_PASSED_TO_FORECAST"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VIA = "forecast.us-east-1.amazonaws.com"


def forecast_policy() -> dict[str, Any]:
    """Page 004's sample statement (curly quotes and braces repaired), as a key policy."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Allow access to principals authorized to use Amazon Forecast",
                "Effect": "Allow",
                "Principal": {"AWS": ROLE},
                "Action": ["kms:DescribeKey", "kms:CreateGrant", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": VIA, "kms:CallerAccount": ACCOUNT}},
            }
        ],
    }


def logs_policy() -> dict[str, Any]:
    """Page 003's CloudWatch Logs statement."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "logs.us-west-2.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                           "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-west-2:*:*"}
                },
            }
        ],
    }


def draw_all(strategy: st.SearchStrategy[mut.Mutation], n: int = 30) -> list[mut.Mutation]:
    found: list[mut.Mutation] = []

    @settings(max_examples=n, deadline=None, database=None)
    @given(strategy)
    def collect(m: mut.Mutation) -> None:
        found.append(m)

    collect()
    return found


# --- structural properties, always checked ------------------------------------------------------

@FAST
@given(key_policies(account=ACCOUNT, max_statements=4), st.data())
def test_key_policy_mutations_differ_and_leave_input_alone(doc: dict[str, Any], data: st.DataObject) -> None:
    before = copy.deepcopy(doc)
    names = mut.applicable(doc)
    assert "add_deny" in names and "narrow_principal" in names  # the admin statement is always there
    name = data.draw(st.sampled_from(names))
    m = data.draw(mut.MUTATORS[name](doc))
    assert doc == before, "mutator changed its input"
    assert m.document != doc
    assert m.kind == name and m.description and m.path
    assert shape_errors(m.document, key_policy=True) == [], m


@FAST
@given(identity_policies(account=ACCOUNT), st.data())
def test_identity_policy_mutations(doc: dict[str, Any], data: st.DataObject) -> None:
    before = copy.deepcopy(doc)
    m = data.draw(mut.any_mutation(doc))
    assert doc == before and m.document != doc
    assert shape_errors(m.document, key_policy=False) == [], m
    if m.kind == "add_deny":
        assert "Principal" not in m.document["Statement"][-1]


@FAST
@given(grants(key_arn=KEY, account=ACCOUNT), st.data())
def test_grant_mutations(grant: dict[str, Any], data: st.DataObject) -> None:
    before = copy.deepcopy(grant)
    names = mut.applicable(grant)
    assert "change_grantee" in names
    assert not set(names) & set(mut.POLICY_MUTATORS)
    m = data.draw(mut.any_mutation(grant))
    assert grant == before and m.document != grant
    assert m.document["Operations"] and m.document["KeyId"] == KEY


def test_drop_action_removes_one_action_or_its_statement() -> None:
    doc = forecast_policy()
    results = {m.description: m for m in draw_all(mut.drop_action(doc, action="kms:decrypt"))}
    (m,) = results.values()
    assert m.document["Statement"][0]["Action"] == ["kms:DescribeKey", "kms:CreateGrant"]
    assert m.path == "Statement[0].Action"
    two = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}
    ms = draw_all(mut.drop_action(two, statement=1))
    assert {len(x.document["Statement"]) for x in ms} == {1}
    assert ms[0].document["Statement"][0]["Action"] == "kms:Decrypt"


def test_drop_action_never_empties_a_policy() -> None:
    single = {"Version": "2012-10-17",
              "Statement": {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}}
    with pytest.raises(mut.NotApplicable):
        mut.drop_action(single)


def test_flip_operator_pairs() -> None:
    assert mut.flipped_operator("StringEquals") == "StringNotEquals"
    assert mut.flipped_operator("StringNotLike") == "StringLike"
    assert mut.flipped_operator("ArnLike") == "ArnNotLike"
    assert mut.flipped_operator("NumericLessThan") == "NumericGreaterThanEquals"
    assert mut.flipped_operator("DateGreaterThan") == "DateLessThanEquals"
    assert mut.flipped_operator("NotIpAddress") == "IpAddress"
    assert mut.flipped_operator("ForAllValues:StringEqualsIfExists") == "ForAllValues:StringNotEqualsIfExists"
    assert mut.flipped_operator("BinaryEquals") is None
    assert mut.flipped_operator("Bool") is None


def test_flip_operator_on_bool_flips_values() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["kms:DescribeKey", "kms:CreateGrant"], "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": "aoss.us-east-1.amazonaws.com"},
                      "Bool": {"kms:GrantIsForAWSResource": "true"}}}]}
    kinds = {m.path: m.document["Statement"][0]["Condition"] for m in draw_all(mut.flip_operator(doc))}
    assert kinds["Statement[0].Condition.Bool"]["Bool"] == {"kms:GrantIsForAWSResource": "false"}
    assert "StringNotEquals" in kinds["Statement[0].Condition.StringEquals"]
    assert "StringEquals" not in kinds["Statement[0].Condition.StringEquals"]


def test_flip_operator_skips_ambiguous_merges_and_binary() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
        "Condition": {"StringEquals": {"k": "a"}, "StringNotEquals": {"k": "b"},
                      "BinaryEquals": {"b": "AA=="}}}]}
    with pytest.raises(mut.NotApplicable):
        mut.flip_operator(doc)


def test_change_region_stays_in_partition() -> None:
    doc = forecast_policy()
    condition = doc["Statement"][0]["Condition"]["StringEquals"]
    condition["kms:ViaService"] = ["forecast.cn-north-1.amazonaws.com.cn"]
    (m, *_) = draw_all(mut.change_region_in_condition(doc))
    assert m.document["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "forecast.cn-northwest-1.amazonaws.com.cn"]
    assert m.path == "Statement[0].Condition.StringEquals.kms:ViaService[0]"


def test_change_region_in_arn_values() -> None:
    for m in draw_all(mut.change_region_in_condition(logs_policy())):
        value = m.document["Statement"][0]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        region = value.split(":")[3]
        assert region != "us-west-2" and not region.startswith(("cn-", "us-gov-"))
        assert value == f"arn:aws:logs:{region}:*:*"


def test_swap_service_keeps_region() -> None:
    for m in draw_all(mut.swap_service_in_via_service(forecast_policy())):
        value = m.document["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"]
        service, rest = value.split(".", 1)
        assert service != "forecast" and rest == "us-east-1.amazonaws.com"


def test_remove_condition_cleans_up_empty_blocks() -> None:
    doc = logs_policy()
    (m, *_) = draw_all(mut.remove_condition(doc))
    assert "Condition" not in m.document["Statement"][0]
    assert "Condition" in doc["Statement"][0]


def test_narrow_principal_keeps_account() -> None:
    for m in draw_all(mut.narrow_principal(forecast_policy())):
        new = m.document["Statement"][0]["Principal"]["AWS"]
        assert new.startswith(f"arn:aws:iam::{ACCOUNT}:role/") and new != ROLE


def test_narrow_principal_of_star() -> None:
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}
    for m in draw_all(mut.narrow_principal(doc, account=ACCOUNT)):
        assert m.document["Statement"][0]["Principal"]["AWS"].startswith(f"arn:aws:iam::{ACCOUNT}:role/")


def test_add_deny_copies_the_allowed_principal() -> None:
    ms = draw_all(mut.add_deny(forecast_policy(), action="kms:Decrypt"))
    assert {m.document["Statement"][-1]["Action"] for m in ms} == {"kms:Decrypt"}
    deny = ms[0].document["Statement"][-1]
    assert deny == {"Sid": "NearMissDeny", "Effect": "Deny", "Principal": {"AWS": ROLE},
                    "Action": "kms:Decrypt", "Resource": "*"}


def test_not_applicable_is_raised_eagerly() -> None:
    plain = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}]}
    assert mut.applicable(plain) == ["flip_effect"]
    for fn in (mut.flip_operator, mut.remove_condition, mut.change_region_in_condition,
               mut.swap_service_in_via_service, mut.narrow_principal, mut.add_deny):
        with pytest.raises(mut.NotApplicable):
            fn(plain)
    with pytest.raises(mut.NotApplicable):
        mut.drop_grant_operation({"KeyId": KEY, "GranteePrincipal": ROLE, "Operations": ["Decrypt"]})
    with pytest.raises(mut.NotApplicable):
        mut.change_grant_constraint({"KeyId": KEY, "GranteePrincipal": ROLE, "Operations": ["Decrypt"]})
    with pytest.raises(mut.NotApplicable):
        mut.drop_action({"KeyId": KEY})
    with pytest.raises(mut.NotApplicable):
        mut.any_mutation({"Version": "2012-10-17"})


def test_grant_constraint_mutations() -> None:
    grant = {"KeyId": KEY, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "Encrypt"],
             "Constraints": {"EncryptionContextSubset": {"project": "arn:x"}}}
    seen = {m.path: m.document["Constraints"] for m in draw_all(mut.change_grant_constraint(grant))}
    assert seen["Constraints"] == {"EncryptionContextEquals": {"project": "arn:x"}}
    assert seen["Constraints.EncryptionContextSubset.project"] == {
        "EncryptionContextSubset": {"project": "arn:x-x"}}
    dropped = {tuple(m.document["Operations"]) for m in draw_all(mut.drop_grant_operation(grant))}
    assert dropped == {("Decrypt",), ("Encrypt",)}


# --- decisions: the mutation changes what the policy evaluator decides ---------------------------

def evaluator() -> Any:
    return importlib.import_module("kms_conformance.policy")


def decide(doc: dict[str, Any], action: str, principal: str = ROLE, **context: Any) -> str:
    policy = evaluator()
    request = policy.make_request(action, KEY, principal, context)
    return str(policy.evaluate_policy(policy.parse_policy(doc), request, check_principal=True).decision.value)


FORECAST_CONTEXT = {"kms:ViaService": VIA, "kms:CallerAccount": ACCOUNT}


def test_drop_action_turns_allowed_into_implicitly_denied() -> None:
    doc = forecast_policy()
    assert decide(doc, "kms:Decrypt", **FORECAST_CONTEXT) == "Allowed"
    for m in draw_all(mut.drop_action(doc, action="kms:Decrypt")):
        assert decide(m.document, "kms:Decrypt", **FORECAST_CONTEXT) == "ImplicitlyDenied"


def test_add_deny_turns_allowed_into_explicitly_denied() -> None:
    for m in draw_all(mut.add_deny(forecast_policy())):
        action = m.document["Statement"][-1]["Action"]
        assert decide(m.document, action, **FORECAST_CONTEXT) == "ExplicitlyDenied"


@pytest.mark.parametrize("mutator", [mut.flip_operator, mut.change_region_in_condition,
                                     mut.swap_service_in_via_service, mut.narrow_principal])
def test_narrowing_mutators_deny_the_documented_request(mutator: Any) -> None:
    doc = forecast_policy()
    assert decide(doc, "kms:CreateGrant", **FORECAST_CONTEXT) == "Allowed"
    for m in draw_all(mutator(doc)):
        assert decide(m.document, "kms:CreateGrant", **FORECAST_CONTEXT) == "ImplicitlyDenied", m.description


def test_remove_condition_allows_the_request_it_used_to_refuse() -> None:
    doc = forecast_policy()
    direct = {"kms:CallerAccount": ACCOUNT}  # called directly, not through Forecast
    assert decide(doc, "kms:Decrypt", **direct) == "ImplicitlyDenied"
    m = next(x for x in draw_all(mut.remove_condition(doc)) if "kms:ViaService" in x.path)
    assert decide(m.document, "kms:Decrypt", **direct) == "Allowed"


def test_logs_statement_mutations_change_the_decision() -> None:
    arn = f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:airflow-MyEnv-Task"
    doc = logs_policy()
    service = "logs.us-west-2.amazonaws.com"
    ctx = {"kms:EncryptionContext:aws:logs:arn": arn}
    assert decide(doc, "kms:GenerateDataKey", service, **ctx) == "Allowed"
    for m in draw_all(mut.change_region_in_condition(doc)) + draw_all(mut.flip_operator(doc)):
        assert decide(m.document, "kms:GenerateDataKey", service, **ctx) == "ImplicitlyDenied"


# --- nested documents (setups) ---------------------------------------------------------------------

def setup_dict() -> dict[str, Any]:
    return {
        "service": "forecast", "account": ACCOUNT, "region": "us-east-1",
        "keys": [{"arn": KEY, "policy": forecast_policy()}],
        "grants": [{"KeyId": KEY, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "Encrypt"]}],
    }


def test_mutate_at_changes_only_the_nested_document() -> None:
    setup = setup_dict()
    before = copy.deepcopy(setup)
    for m in draw_all(mut.mutate_at(setup, ["keys", 0, "policy"], mut.drop_action, action="kms:Decrypt")):
        assert setup == before
        assert m.path == "keys[0].policy.Statement[0].Action"
        assert m.description.startswith("keys[0].policy: ")
        assert m.document["grants"] == setup["grants"]
        actions = m.document["keys"][0]["policy"]["Statement"][0]["Action"]
        assert actions == ["kms:DescribeKey", "kms:CreateGrant"]
    grant_paths = {m.path for m in draw_all(mut.mutate_at(setup, ["grants", 0], mut.drop_grant_operation))}
    assert grant_paths == {"grants[0].Operations"}


def test_mutate_at_reports_missing_documents() -> None:
    with pytest.raises(mut.NotApplicable, match=r"keys\[3\]"):
        mut.mutate_at(setup_dict(), ["keys", 3, "policy"], mut.drop_action)
    with pytest.raises(mut.NotApplicable, match="not a document"):
        mut.mutate_at(setup_dict(), ["service"], mut.drop_action)
