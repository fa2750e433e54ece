"""Tests of the Amazon Forecast specification (conformance/specs/forecast.py, page 004), with the
request parsing of its model (conformance/models/forecast.py).

Every rule twice: a compliant example holds (config: no reasons; behaviour: the documented facts on
the reference model) and a broken one fails (config: the mutated setup gives a reason naming the
right thing; behaviour: a target flipping one operation is found to differ).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from kms_conformance.errors import InputError
from kms_conformance.models.forecast import parse_request
from kms_conformance.rules import _REGISTRY
from kms_conformance.setup import load_setup, parse_setup
from kms_conformance.specs import forecast as spec
from kms_conformance.strategies import forecast as fst
from kms_conformance.targets.model import ModelTarget
from spec_support import (
    caught,
    check_kms_rules_accept,
    failing_rules,
    late_failure,
    reasons,
    rule,
    run,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "forecast"
CONFIG_RULES = ("FORECAST-01", "FORECAST-10", "FORECAST-11", "FORECAST-12", "FORECAST-13", "FORECAST-14",
                "FORECAST-15", "FORECAST-16", "FORECAST-17")
FAST = settings(max_examples=25, deadline=None)


@pytest.fixture
def model() -> ModelTarget:
    return ModelTarget()


def compliant() -> dict[str, Any]:
    """A fixed compliant setup: the page's sample, repaired, for one role and one caller."""
    account, region = "111122223333", "us-east-1"
    role = f"arn:aws:iam::{account}:role/ROLE_PASSED_TO_FORECAST"
    caller = f"arn:aws:iam::{account}:role/ForecastUser"
    key = f"arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    config = {"RoleArn": role, "KMSKeyArn": key}
    return {
        "service": "forecast", "account": account, "region": region, "caller": caller,
        "keys": [{"arn": key, "policy": {"Version": "2012-10-17", "Statement": [
            fst.role_statement(role, account, region), fst.caller_statement(caller),
            {"Sid": "Allow access for key administrators", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": ["kms:*"], "Resource": key}]}}],
        "request": {
            "CreateDataset": {"DatasetName": "sales", "Domain": "RETAIL", "DatasetType": "TARGET_TIME_SERIES",
                              "Schema": {"Attributes": [{"AttributeName": "item_id", "AttributeType": "string"}]},
                              "EncryptionConfig": dict(config)},
            "CreatePredictor": {"PredictorName": "p1", "ForecastHorizon": 7,
                                "InputDataConfig": {"DatasetGroupArn":
                                                    f"arn:aws:forecast:{region}:{account}:dataset-group/g"},
                                "FeaturizationConfig": {"ForecastFrequency": "D"}, "PerformAutoML": True,
                                "EncryptionConfig": dict(config)},
        },
    }


# --- config rules: compliant passes, broken fails with the right reason ----------------------------


def test_compliant_setup_passes_every_config_rule() -> None:
    for rule_id in CONFIG_RULES:
        assert reasons(rule_id, compliant()) == [], rule_id


def test_forecast_01_alias_arn_refused() -> None:
    raw = compliant()
    raw["keys"][0]["aliases"] = ["alias/forecast"]
    alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/forecast"
    raw["request"]["CreateDataset"]["EncryptionConfig"]["KMSKeyArn"] = alias_arn
    got = reasons("FORECAST-01", raw)
    assert len(got) == 1 and "request.CreateDataset.EncryptionConfig.KMSKeyArn" in got[0] and "alias" in got[0]


def test_forecast_01_role_arn_must_be_a_role() -> None:
    raw = compliant()
    raw["request"]["CreatePredictor"]["EncryptionConfig"]["RoleArn"] = "arn:aws:iam::111122223333:user/bob"
    got = reasons("FORECAST-01", raw)
    assert any("RoleArn" in r and "user/bob" in r for r in got)


@pytest.mark.parametrize(("rule_id", "action"), [("FORECAST-10", "kms:DescribeKey"),
                                                 ("FORECAST-11", "kms:CreateGrant"),
                                                 ("FORECAST-12", "kms:RetireGrant")])


def test_role_actions_required(rule_id: str, action: str) -> None:
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][0]["Action"].remove(action)
    got = reasons(rule_id, raw)
    assert got and all("ROLE_PASSED_TO_FORECAST" in r and action in r for r in got)
    # and only that rule of the three breaks
    for other in {"FORECAST-10", "FORECAST-11", "FORECAST-12"} - {rule_id}:
        assert reasons(other, raw) == []


def test_role_statement_with_placeholder_region_is_reported() -> None:
    """The page's sample keeps ``forecast.region.amazonaws.com``: it never matches a request."""
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"] = \
        "forecast.region.amazonaws.com"
    for rule_id in ("FORECAST-10", "FORECAST-11", "FORECAST-12"):
        assert reasons(rule_id, raw), rule_id


def test_role_access_through_iam_policy_is_accepted() -> None:
    """"these can be added using IAM policies as well": root delegation plus an identity policy."""
    raw = compliant()
    role = raw["request"]["CreateDataset"]["EncryptionConfig"]["RoleArn"]
    del raw["keys"][0]["policy"]["Statement"][0]
    raw["identityPolicies"] = {role: [{"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": list(fst.ROLE_ACTIONS), "Resource": raw["keys"][0]["arn"],
        "Condition": {"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com"}}}]}]}
    for rule_id in ("FORECAST-10", "FORECAST-11", "FORECAST-12", "FORECAST-14"):
        assert reasons(rule_id, raw) == [], rule_id


def test_forecast_01_role_of_another_account_refused() -> None:
    raw = compliant()
    raw["request"]["CreateDataset"]["EncryptionConfig"]["RoleArn"] = "arn:aws:iam::444455556666:role/Other"
    got = reasons("FORECAST-01", raw)
    assert len(got) == 1 and "444455556666" in got[0] and "InvalidInputException" in got[0]


def test_forecast_16_caller_permissions_only_from_iam() -> None:
    """FORECAST-13 (must) accepts the caller's permissions from an IAM policy; FORECAST-16 (should)
    reports that the key policy itself does not name the invoking identity."""
    raw = compliant()
    caller = raw["caller"]
    del raw["keys"][0]["policy"]["Statement"][1]
    raw["identityPolicies"] = {caller: [{"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": list(fst.CALLER_ACTIONS), "Resource": raw["keys"][0]["arn"]}]}]}
    assert reasons("FORECAST-13", raw) == []
    got = reasons("FORECAST-16", raw)
    assert len(got) == 2 and all("ForecastUser" in r and "key policy" in r for r in got)
    assert {a for a in fst.CALLER_ACTIONS if any(a in r for r in got)} == set(fst.CALLER_ACTIONS)
    assert rule("FORECAST-16").severity == "should" and rule("FORECAST-13").severity == "must"


def test_forecast_17_root_caller() -> None:
    raw = compliant()
    raw["caller"] = "arn:aws:iam::111122223333:root"
    got = reasons("FORECAST-17", raw)
    assert len(got) == 1 and "root user" in got[0]
    assert rule("FORECAST-17").severity == "should"


def test_forecast_13_caller_needs_decrypt_and_generate_data_key() -> None:
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][1]["Action"] = ["kms:Decrypt"]
    got = reasons("FORECAST-13", raw)
    assert got and all("ForecastUser" in r and "kms:GenerateDataKey" in r for r in got)


def test_forecast_14_role_usable_directly_is_reported() -> None:
    raw = compliant()
    del raw["keys"][0]["policy"]["Statement"][0]["Condition"]
    got = reasons("FORECAST-14", raw)
    assert len(got) == 4  # three actions; the two requests share role and key, so one reason each
    assert "directly" in got[0] and "forecast.us-east-1.amazonaws.com" in got[0]
    assert "caller of account" in got[3]  # and the sample's kms:CallerAccount is gone with it


def test_forecast_14_sample_caller_account() -> None:
    """The sample statement's "kms:CallerAccount" : "111122223333": absent, or another account, is
    reported; the account itself holds."""
    assert reasons("FORECAST-14", compliant()) == []
    raw = compliant()
    del raw["keys"][0]["policy"]["Statement"][0]["Condition"]["StringEquals"]["kms:CallerAccount"]
    got = reasons("FORECAST-14", raw)
    assert len(got) == 1 and "caller of account 999988887777" in got[0] and '"111122223333"' in got[0]
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][0]["Condition"]["StringEquals"]["kms:CallerAccount"] = "444455556666"
    got = reasons("FORECAST-14", raw)
    assert len(got) == 1 and "kms:CallerAccount 444455556666, not the role's account 111122223333" in got[0]
    assert failing_rules(parse_setup(raw), CONFIG_RULES) == {"FORECAST-10", "FORECAST-11", "FORECAST-12",
                                                             "FORECAST-14"}
    # the role's permissions in an IAM policy are not held to the key policy sample
    assert reasons("FORECAST-14", _role_in_iam()) == []


def _role_in_iam() -> dict[str, Any]:
    raw = compliant()
    stmt = raw["keys"][0]["policy"]["Statement"].pop(0)
    raw["identityPolicies"] = {stmt["Principal"]["AWS"]: [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": stmt["Action"], "Resource": raw["keys"][0]["arn"],
         "Condition": {"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com"}}}]}]}
    return raw


def test_forecast_15_email_in_tag() -> None:
    raw = compliant()
    raw["request"]["CreateDataset"]["Tags"] = [{"Key": "owner", "Value": "jane.doe@example.com"}]
    got = reasons("FORECAST-15", raw)
    assert got == ["request.CreateDataset.Tags[0]: tag 'owner'='jane.doe@example.com' holds an email address; "
                   "tags may be used in billing or diagnostic logs"]


def test_rules_do_not_apply_without_encryption_config() -> None:
    raw = compliant()
    for body in raw["request"].values():
        del body["EncryptionConfig"]
    setup = parse_setup(raw)
    for rule_id in CONFIG_RULES:
        r = rule(rule_id)
        if r.applies is not None:
            assert not r.applies(setup), rule_id


# --- property tests with the ServiceSpec ------------------------------------------------------------

SPEC = spec.SPEC


def test_kms_rules_accept_the_compliant_setup() -> None:
    """The compliant setup of this page also passes the KMS rules that apply to every setup."""
    check_kms_rules_accept(compliant())


# --- parse_request: bad input is an InputError naming the path --------------------------------------


@pytest.mark.parametrize(("change", "path"), [
    (lambda r: r["request"].update({"DeleteDataset": {}}), "request.DeleteDataset"),
    (lambda r: r["request"]["CreateDataset"].pop("Schema"), "request.CreateDataset.Schema"),
    (lambda r: r["request"]["CreateDataset"].update({"Domain": "SHOPPING"}), "request.CreateDataset.Domain"),
    (lambda r: r["request"]["CreatePredictor"]["EncryptionConfig"].pop("RoleArn"),
     "request.CreatePredictor.EncryptionConfig.RoleArn"),
    (lambda r: r["request"]["CreatePredictor"]["EncryptionConfig"].update(
        {"KMSKeyArn": "arn:aws:kms:us-east-1:111122223333:key/other"}),
     "request.CreatePredictor.EncryptionConfig.KMSKeyArn"),
    (lambda r: r["request"]["CreateDataset"].update({"DatasetName": "bad-name"}), "request.CreateDataset.DatasetName"),
    (lambda r: r.update({"request": {}}), "request"),
])


def test_bad_request_is_input_error(change: Any, path: str) -> None:
    raw = compliant()
    change(raw)
    with pytest.raises(InputError) as info:
        parse_request(parse_setup(raw, source="setup.json"))
    assert info.value.path == path and info.value.source == "setup.json"


# --- behaviour rules: documented facts on the model; a flipped operation is caught -------------------

POLICY = fst.key_policy_template()


@pytest.mark.parametrize("resource", ["CreateDataset", "CreatePredictor"])
def test_forecast_01_configuration_kept(model: ModelTarget, resource: str) -> None:
    ex = {"resource": resource, "policy": POLICY}
    assert run(model, "FORECAST-01", ex) == {"create": "OK", "describe": "OK", "same_config": True}
    assert caught("FORECAST-01", ex, ("forecast", resource), model)


def test_forecast_02_import_job(model: ModelTarget) -> None:
    kept = {"encrypted": True, "remove_access": False, "policy": POLICY}
    removed = {**kept, "remove_access": True}
    plain = {**removed, "encrypted": False}
    assert run(model, "FORECAST-02", kept)["CreateDatasetImportJob"] == "OK"
    assert run(model, "FORECAST-02", removed)["CreateDatasetImportJob"] == "AccessDeniedException"
    assert run(model, "FORECAST-02", plain)["CreateDatasetImportJob"] == "OK"
    assert caught("FORECAST-02", removed, ("forecast", "CreateDatasetImportJob"), model)


def test_forecast_03_role_must_trust_forecast(model: ModelTarget) -> None:
    ex = {"resource": "CreateDataset", "trusts_forecast": False, "policy": POLICY}
    assert run(model, "FORECAST-03", ex) == {"create": "fails"}
    assert run(model, "FORECAST-03", {**ex, "trusts_forecast": True}) == {"create": "OK"}
    assert caught("FORECAST-03", ex, ("forecast", "CreateDataset"), model)


def test_forecast_04_default_keys(model: ModelTarget) -> None:
    ex = {"resource": "CreatePredictor", "caller_kms": False}
    assert run(model, "FORECAST-04", ex) == {"create": "OK", "describe": "OK", "has_encryption_config": False}
    assert caught("FORECAST-04", ex, ("forecast", "CreatePredictor"), model)


@pytest.mark.parametrize("follow_up", fst.PREDICTOR_FOLLOW_UPS)
def test_forecast_05_follow_ups_inherit(model: ModelTarget, follow_up: str) -> None:
    ex = {"follow_up": follow_up, "encrypted": True, "remove_access": True, "policy": POLICY}
    assert run(model, "FORECAST-05", ex)[follow_up] == "AccessDeniedException"
    assert run(model, "FORECAST-05", {**ex, "remove_access": False})[follow_up] == "OK"
    assert run(model, "FORECAST-05", {**ex, "encrypted": False})[follow_up] == "OK"
    assert caught("FORECAST-05", ex, ("forecast", follow_up), model)


def test_forecast_06_grant_made_by_role(model: ModelTarget) -> None:
    role_ex = {"resource": "CreateDataset", "holder": "role", "policy": fst.grant_maker_policy("role")}
    caller_ex = {"resource": "CreateDataset", "holder": "caller", "policy": fst.grant_maker_policy("caller")}
    assert run(model, "FORECAST-06", role_ex) == {"create": "OK"}
    assert run(model, "FORECAST-06", caller_ex) == {"create": "fails"}
    assert caught("FORECAST-06", role_ex, ("forecast", "CreateDataset"), model)


@pytest.mark.parametrize(("allowed", "code"), [
    (["Decrypt", "GenerateDataKey"], "OK"),
    (["Decrypt", "Encrypt", "GenerateDataKey"], "OK"),
    (["Decrypt"], "fails"),
    (["Encrypt", "GenerateDataKey"], "fails"),
])


def test_forecast_07_grant_operations(model: ModelTarget, allowed: list[str], code: str) -> None:
    policy = fst.key_policy_template()
    policy["Statement"][1]["Condition"]["ForAllValues:StringEquals"] = {"kms:GrantOperations": allowed}
    ex = {"resource": "CreateDataset", "allowed": allowed, "policy": policy}
    assert run(model, "FORECAST-07", ex) == {"create": code}
    assert caught("FORECAST-07", ex, ("forecast", "CreateDataset"), model)


@pytest.mark.parametrize("how", ["policy", "grant"])
def test_forecast_08_revocation(model: ModelTarget, how: str) -> None:
    ex = {"how": how, "policy": fst.key_policy_template(role=how == "policy")}
    facts = run(model, "FORECAST-08", ex)
    assert facts["CreateForecast_before"] == "OK"
    assert facts["CreateForecast_after"] == "AccessDeniedException"
    assert caught("FORECAST-08", ex, ("forecast", "CreateForecast"), model)
    assert rule("FORECAST-08").behavior.lifecycle  # type: ignore[union-attr]


def test_forecast_09_symmetric(model: ModelTarget) -> None:
    ex = {"resource": "CreatePredictor", "key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT", "policy": POLICY}
    assert run(model, "FORECAST-09", ex) == {"create": "fails"}
    sym = {**ex, "key_spec": "SYMMETRIC_DEFAULT"}
    assert run(model, "FORECAST-09", sym) == {"create": "OK"}
    assert caught("FORECAST-09", sym, ("forecast", "CreatePredictor"), model)


@pytest.mark.parametrize(("rule_id", "action"), [("FORECAST-10", "kms:DescribeKey"),
                                                 ("FORECAST-11", "kms:CreateGrant")])


def test_role_actions_behaviour(model: ModelTarget, rule_id: str, action: str) -> None:
    missing = {"resource": "CreateDataset", "missing": action,
               "policy": fst.key_policy_template(role_actions=[a for a in fst.ROLE_ACTIONS if a != action])}
    full = {"resource": "CreateDataset", "missing": None, "policy": POLICY}
    assert run(model, rule_id, missing) == {"create": "fails"}
    assert run(model, rule_id, full) == {"create": "OK"}
    assert caught(rule_id, full, ("forecast", "CreateDataset"), model)


@pytest.mark.parametrize("missing", [None, "kms:RetireGrant"])
def test_forecast_12_grants_retired(model: ModelTarget, missing: str | None) -> None:
    ex = {"resource": "CreatePredictor", "missing": missing,
          "policy": fst.key_policy_template(role_actions=[a for a in fst.ROLE_ACTIONS if a != missing])}
    assert run(model, "FORECAST-12", ex) == {"create": "OK", "grants_left": []}
    assert caught("FORECAST-12", ex, ("kms", "ListGrants"), model)


@pytest.mark.parametrize("action", fst.CALLER_ACTIONS)
def test_forecast_13_caller_validation(model: ModelTarget, action: str) -> None:
    ex = {"resource": "CreatePredictor", "missing": action,
          "policy": fst.key_policy_template(caller_actions=[a for a in fst.CALLER_ACTIONS if a != action])}
    assert run(model, "FORECAST-13", ex) == {"create": "AccessDeniedException"}
    ok = {**ex, "missing": None, "policy": POLICY}
    assert run(model, "FORECAST-13", ok) == {"create": "OK"}
    assert caught("FORECAST-13", ok, ("forecast", "CreatePredictor"), model)


def test_forecast_14_via_service(model: ModelTarget) -> None:
    with_via = {"resource": "CreateDataset", "via": True, "policy": fst.key_policy_template(via=True)}
    without = {"resource": "CreateDataset", "via": False, "policy": fst.key_policy_template(via=False)}
    assert run(model, "FORECAST-14", with_via) == {"direct_CreateGrant": "AccessDeniedException", "create": "OK"}
    assert run(model, "FORECAST-14", without) == {"direct_CreateGrant": "OK", "create": "OK"}
    assert caught("FORECAST-14", with_via, ("kms", "CreateGrant"), model)


def test_forecast_14_caller_account(model: ModelTarget) -> None:
    """The sample's kms:CallerAccount: the key's own account lets the role through Forecast, another
    account refuses it everything."""
    own = {"resource": "CreatePredictor", "via": True, "caller_account": "own", "policy": fst.key_policy_template()}
    other = {**own, "caller_account": "other", "policy": fst.key_policy_template(caller_account=fst.OTHER_ACCOUNT)}
    assert run(model, "FORECAST-14", own) == {"direct_CreateGrant": "AccessDeniedException", "create": "OK"}
    assert run(model, "FORECAST-14", other) == {"direct_CreateGrant": "AccessDeniedException",
                                                "create": "fails"}
    assert caught("FORECAST-14", other, ("forecast", "CreatePredictor"), model)


def _role_missing(action: str, resource: str = "CreatePredictor") -> dict[str, Any]:
    return {"resource": resource, "missing": action,
            "policy": fst.key_policy_template(role_actions=[a for a in fst.ROLE_ACTIONS if a != action])}


#: Behaviour examples whose page says the creation fails for what the role or the key lacks.
FAILING_CREATES = [
    ("FORECAST-03", {"resource": "CreateDataset", "trusts_forecast": False, "policy": POLICY}),
    ("FORECAST-06", {"resource": "CreatePredictor", "holder": "caller", "policy": fst.grant_maker_policy("caller")}),
    ("FORECAST-09", {"resource": "CreateDataset", "key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT",
                     "policy": POLICY}),
    ("FORECAST-10", _role_missing("kms:DescribeKey", "CreateDataset")),
    ("FORECAST-11", _role_missing("kms:CreateGrant")),
    ("FORECAST-14", {"resource": "CreateDataset", "via": True, "caller_account": "other",
                     "policy": fst.key_policy_template(caller_account=fst.OTHER_ACCOUNT)}),
]


@pytest.mark.parametrize(("rule_id", "ex"), FAILING_CREATES, ids=[f[0] for f in FAILING_CREATES])
def test_accepted_then_failed_creation_is_a_failure(rule_id: str, ex: dict[str, Any]) -> None:
    """CreateDataset/CreatePredictor refused, or accepted and ended CREATE_FAILED: both are "the
    operation fails", so the model that accepts then fails is conformant; a target that accepts and then
    reports the resource ACTIVE where the page says the creation fails is not."""
    expected, late, liar = late_failure(rule_id, ex)
    assert expected["create"] == "fails"
    assert late is None
    assert liar is not None and "'OK'" in liar


@pytest.mark.parametrize("resource", ["CreateDataset", "CreatePredictor"])
def test_accept_then_fail_model_shows_create_failed(resource: str) -> None:
    """With ``accept_then_fail`` the model accepts a creation whose role cannot use the key and the
    resource ends CREATE_FAILED (a predictor with its Message); the caller's validation, which the page
    says answers AccessDeniedException, is still a refusal."""
    from kms_conformance.scenarios.forecast import create_resource, created_resource, describe_resource, stage

    late = ModelTarget(accept_then_fail=True)
    st_ = stage(late, _role_missing("kms:CreateGrant", resource))
    out, arn = create_resource(late, st_, resource)
    assert out.ok
    described = describe_resource(late, st_, resource, arn).value
    assert described["Status"] == "CREATE_FAILED"
    assert resource == "CreateDataset" or "CreateGrant" in described["Message"]
    settled, _ = created_resource(late, st_, resource)
    assert settled.fact == "fails" and settled.outcome.ok and settled.detail.startswith("CREATE_FAILED")
    refused = {"resource": resource, "missing": "kms:Decrypt",
               "policy": fst.key_policy_template(caller_actions=["kms:GenerateDataKey"])}
    assert run(late, "FORECAST-13", refused) == {"create": "AccessDeniedException"}


@pytest.mark.parametrize("resource", ["CreateDataset", "CreatePredictor"])
def test_forecast_18_kms_requests_in_cloudtrail(model: ModelTarget, resource: str) -> None:
    """The page's sample events (DescribeKey, CreateGrant with Decrypt and GenerateDataKey to a
    grantee, RetireGrant) follow a request with a customer managed key, none one without."""
    encrypted = {"resource": resource, "encrypted": True, "policy": POLICY}
    assert run(model, "FORECAST-18", encrypted) == {
        "create": "OK", "LookupEvents": "OK", "events": ["CreateGrant", "DescribeKey", "RetireGrant"],
        "grant_operations": ["Decrypt", "GenerateDataKey"], "grantee_named": True}
    plain = {**encrypted, "encrypted": False}
    assert run(model, "FORECAST-18", plain) == {"create": "OK", "LookupEvents": "OK", "events": [],
                                                "grant_operations": [], "grantee_named": False}
    assert caught("FORECAST-18", encrypted, ("cloudtrail", "LookupEvents"), model)
    assert caught("FORECAST-18", encrypted, ("forecast", resource), model)


def test_forecast_18_lookup_events_api(model: ModelTarget) -> None:
    """LookupEvents as the CloudTrail API Reference has it: one lookup attribute at most, of the
    documented keys; MaxResults 1-50; pages with NextToken; newest first."""
    run(model, "FORECAST-18", {"resource": "CreateDataset", "encrypted": True, "policy": POLICY})
    two = [{"AttributeKey": "EventSource", "AttributeValue": "kms.amazonaws.com"},
           {"AttributeKey": "EventName", "AttributeValue": "CreateGrant"}]
    assert model.call("cloudtrail", "LookupEvents", {"LookupAttributes": two}).code \
        == "InvalidLookupAttributesException"
    assert model.call("cloudtrail", "LookupEvents", {"LookupAttributes": [
        {"AttributeKey": "Color", "AttributeValue": "x"}]}).code == "InvalidLookupAttributesException"
    assert model.call("cloudtrail", "LookupEvents", {"MaxResults": 51}).code == "InvalidMaxResultsException"
    first = model.call("cloudtrail", "LookupEvents", {"MaxResults": 2})
    assert first.ok and len(first.value["Events"]) == 2 and first.value["NextToken"]
    assert first.value["Events"][0]["EventName"] == "RetireGrant"  # the last request Forecast sent
    rest = model.call("cloudtrail", "LookupEvents", {"MaxResults": 50, "NextToken": first.value["NextToken"]})
    assert [e["EventName"] for e in first.value["Events"] + rest.value["Events"]] == [
        "RetireGrant", "Decrypt", "GenerateDataKey", "CreateGrant", "DescribeKey"]
    assert "NextToken" not in rest.value
    by_name = model.call("cloudtrail", "LookupEvents", {"LookupAttributes": [
        {"AttributeKey": "EventName", "AttributeValue": "CreateGrant"}]})
    assert [e["EventName"] for e in by_name.value["Events"]] == ["CreateGrant"]


def test_every_rule_cites_the_page() -> None:
    ids = [r for r in _REGISTRY if r.startswith("FORECAST-")]
    assert len(ids) == 18
    for rule_id in ids:
        r = rule(rule_id)
        assert r.citation.doc == "004_1f23ff3028fec3c5.txt" and r.citation.quote and r.citation.section
        assert r.kinds, rule_id


# --- worked examples ------------------------------------------------------------------------------


def test_example_setup_is_compliant() -> None:
    setup = load_setup(EXAMPLES / "setup.json")
    parse_request(setup)
    assert failing_rules(setup, CONFIG_RULES) == set()


@pytest.mark.parametrize(("name", "broken"), [
    ("broken-no-creategrant.json", {"FORECAST-11"}),
    ("broken-caller-decrypt.json", {"FORECAST-13", "FORECAST-16"}),
    ("broken-sample-region.json", {"FORECAST-10", "FORECAST-11", "FORECAST-12"}),
    ("broken-no-caller-account.json", {"FORECAST-14"}),
])


def test_broken_examples(name: str, broken: set[str]) -> None:
    assert failing_rules(load_setup(EXAMPLES / name), CONFIG_RULES) == broken
