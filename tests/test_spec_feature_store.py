"""Tests of the SageMaker Feature Store specification (conformance/specs/feature_store.py, page 001).

Every rule twice: a compliant example holds (config: no reasons; behaviour: the documented facts on
the reference model) and a broken one fails (config: the mutated setup gives a reason naming the
right thing; behaviour: a target flipping one operation is found to differ).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kms_conformance.errors import InputError
from kms_conformance.rules import _REGISTRY, services
from kms_conformance.setup import load_setup, parse_setup
from kms_conformance.specs import feature_store as spec
from kms_conformance.strategies import feature_store as fss
from kms_conformance.targets.model import ModelTarget
from spec_support import (
    caught,
    check_deterministic_on_the_model,
    check_generated_setup_passes,
    check_kms_rules_accept,
    check_mutation_is_caught,
    check_quotes_are_in_the_page,
    check_quotes_stand_in_their_section,
    failing_rules,
    reasons,
    rule,
    run,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "feature-store"
CONFIG_RULES = ("FS-03", "FS-04", "FS-05", "FS-06", "FS-09", "FS-10", "FS-11")
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ACCOUNT, REGION = "111122223333", "us-east-1"
CALLER = f"arn:aws:iam::{ACCOUNT}:role/featurestore-writer"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/featurestore-offline"
ONLINE = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OFFLINE = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321"


@pytest.fixture
def model() -> ModelTarget:
    return ModelTarget()


def compliant() -> dict[str, Any]:
    """The page's sample key policy for the online key (principals replaced), a separate offline key
    for the RoleArn, both symmetric."""
    online_policy = {"Id": "key-policy-feature-store", "Version": "2012-10-17", "Statement": [
        fss.caller_statement(CALLER),
        fss.admin_revoke_statement(f"arn:aws:iam::{ACCOUNT}:role/key-admin"),
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"}]}
    offline_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        fss.role_statement(ROLE)]}
    return {
        "service": "feature-store", "account": ACCOUNT, "region": REGION, "caller": CALLER,
        "keys": [{"arn": ONLINE, "policy": online_policy}, {"arn": OFFLINE, "policy": offline_policy}],
        "request": {"CreateFeatureGroup": fss.feature_group_request("customers", online_key=ONLINE,
                                                                    offline_key=OFFLINE, role=ROLE)},
    }


# --- config rules ----------------------------------------------------------------------------------

def test_compliant_setup_passes_every_config_rule() -> None:
    for rule_id in CONFIG_RULES:
        assert reasons(rule_id, compliant()) == [], rule_id


@pytest.mark.parametrize("index", [0, 1])
def test_fs_03_asymmetric_key(index: int) -> None:
    raw = compliant()
    raw["keys"][index].update({"keySpec": "RSA_2048", "keyUsage": "ENCRYPT_DECRYPT"})
    got = reasons("FS-03", raw)
    assert len(got) == 1 and raw["keys"][index]["arn"] in got[0] and "RSA_2048" in got[0]


@pytest.mark.parametrize("action", fss.REQUIRED_ACTIONS)
def test_fs_04_each_required_action(action: str) -> None:
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][0]["Action"].remove(action)
    got = reasons("FS-04", raw)
    assert len(got) == 1 and action in got[0] and "featurestore-writer" in got[0]


def test_fs_04_includes_revoke_grant() -> None:
    """The page's list (and the SageMaker API Reference) include kms:RevokeGrant, which the page's
    sample gives only to the administrators: the sample as written fails FS-04 ..."""
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][0] = fss.caller_statement(CALLER, fss.SAMPLE_ACTIONS)
    got = reasons("FS-04", raw)
    assert len(got) == 1 and "kms:RevokeGrant" in got[0] and "featurestore-writer" in got[0]
    # ... and holds with an IAM policy adding it (the sample's root statement delegates to IAM).
    raw["identityPolicies"] = {CALLER: [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:RevokeGrant", "Resource": ONLINE}]}]}
    assert reasons("FS-04", raw) == []


PREFIX = 'FS-'
HEADINGS = (
    'Keamanan dan kontrol akses EMR Studio',
    'Menggunakan AWS KMS izin untuk Amazon SageMaker Feature Store',
    'Mengizinkan penggunaan kunci yang dikelola pelanggan',
    'Kebijakan kunci CMK yang dikelola pelanggan',
    'Menggunakan hibah untuk mengotorisasi Toko Fitur',
    'Memantau interaksi Feature Store dengan AWS KMS',
    'Mengakses data di toko online Anda',
)

def test_quotes_stand_in_their_section() -> None:
    """A citation's section is the one its quote stands in (each part around "...")."""
    check_quotes_stand_in_their_section(PREFIX, spec.DOC, HEADINGS)


def test_quotes_are_in_the_page() -> None:
    """Every citation quotes the page verbatim (each part around "...", whitespace normalised)."""
    check_quotes_are_in_the_page(PREFIX, spec.DOC)


def test_severities() -> None:
    assert {r for r in _REGISTRY if r.startswith("FS-") and rule(r).severity == "should"} == {"FS-05"}


def test_fs_04_permissions_from_a_grant_count() -> None:
    """"Anda dapat memberikan izin ini dalam kebijakan kunci, kebijakan IAM, atau pemberian izin"."""
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][0]["Action"].remove("kms:Encrypt")
    raw["grants"] = [{"KeyId": ONLINE, "GranteePrincipal": CALLER, "Operations": ["Encrypt"]}]
    assert reasons("FS-04", raw) == []


def test_fs_05_via_service_must_name_sagemaker() -> None:
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][0]["Condition"]["StringLike"]["kms:ViaService"] = "dynamodb.*.amazonaws.com"
    got = reasons("FS-05", raw)
    assert len(got) == 1 and "dynamodb.*.amazonaws.com" in got[0] and "sagemaker.us-east-1.amazonaws.com" in got[0]


def test_fs_05_string_equals_with_star_is_literal() -> None:
    raw = compliant()
    stmt = raw["keys"][0]["policy"]["Statement"][0]
    stmt["Condition"] = {"StringEquals": {"kms:ViaService": "sagemaker.*.amazonaws.com"}}
    assert reasons("FS-05", raw)
    stmt["Condition"] = {"StringEquals": {"kms:ViaService": "sagemaker.us-east-1.amazonaws.com"}}
    assert reasons("FS-05", raw) == []


def test_fs_06_same_key_with_via_service() -> None:
    raw = compliant()
    raw["request"]["CreateFeatureGroup"]["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] = ONLINE
    got = reasons("FS-06", raw)
    assert got and "CreateFeatureGroup fails" in got[0] and ONLINE in got[0]


def test_fs_06_same_key_without_via_service_is_fine() -> None:
    raw = compliant()
    del raw["keys"][0]["policy"]["Statement"][0]["Condition"]
    raw["request"]["CreateFeatureGroup"]["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] = ONLINE
    raw["keys"][0]["policy"]["Statement"].append(fss.role_statement(ROLE))
    assert reasons("FS-06", raw) == []
    assert reasons("FS-10", raw) == []


def test_fs_09_data_plane_decrypt() -> None:
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][0]["Action"].remove("kms:Decrypt")
    got = reasons("FS-09", raw)
    assert got == [g for g in got if "data plane caller" in g and "kms:Decrypt" in g] and len(got) == 1


def test_fs_10_role_generate_data_key() -> None:
    raw = compliant()
    raw["keys"][1]["policy"]["Statement"][1]["Action"] = ["kms:Decrypt"]
    got = reasons("FS-10", raw)
    assert len(got) == 1 and "featurestore-offline" in got[0] and "kms:GenerateDataKey" in got[0]


def test_fs_10_role_statement_limited_to_sagemaker_fails() -> None:
    """S3 writes the offline store: a statement limited to SageMaker does not cover it."""
    raw = compliant()
    raw["keys"][1]["policy"]["Statement"][1]["Condition"] = {"StringLike": {"kms:ViaService": fss.VIA_PATTERN}}
    assert reasons("FS-10", raw)
    assert reasons("FS-06", raw)


def test_fs_11_sample_principals() -> None:
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][1] = fss.admin_revoke_statement(fss.SAMPLE_PRINCIPALS[1])
    got = reasons("FS-11", raw)
    assert got == [f"keys[0].policy Statement[1] still names the page's sample principal {fss.SAMPLE_PRINCIPALS[1]}"]


def test_rules_without_their_store_do_not_apply() -> None:
    raw = compliant()
    fg = raw["request"]["CreateFeatureGroup"]
    del fg["OnlineStoreConfig"]["SecurityConfig"]
    del fg["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"]
    setup = parse_setup(raw)
    for rule_id in ("FS-03", "FS-04", "FS-05", "FS-06", "FS-09", "FS-10"):
        applies = rule(rule_id).applies
        assert applies is not None and not applies(setup), rule_id


# --- property tests with the ServiceSpec ------------------------------------------------------------

SPEC = spec.SPEC


@FAST
@given(fss.feature_store_setups())
def test_generated_compliant_setups_pass(raw: dict[str, Any]) -> None:
    check_generated_setup_passes(raw, CONFIG_RULES)


@FAST
@given(fss.feature_store_setups(), st.data())
def test_every_mutation_is_caught_by_its_rule(raw: dict[str, Any], data: st.DataObject) -> None:
    check_mutation_is_caught(SPEC.mutators, raw, data)


def test_every_config_rule_has_a_mutator() -> None:
    assert set(SPEC.mutators) == set(CONFIG_RULES)


def test_service_registered() -> None:
    assert services()["feature-store"] is SPEC


def test_kms_rules_accept_the_compliant_setup() -> None:
    check_kms_rules_accept(compliant())


@pytest.mark.parametrize(("change", "path"), [
    (lambda r: r["request"].update({"PutRecord": {}}), "request.PutRecord"),
    (lambda r: r["request"]["CreateFeatureGroup"].pop("FeatureDefinitions"),
     "request.CreateFeatureGroup.FeatureDefinitions"),
    (lambda r: r["request"]["CreateFeatureGroup"].update({"EventTimeFeatureName": "nope"}),
     "request.CreateFeatureGroup.EventTimeFeatureName"),
    (lambda r: r["request"]["CreateFeatureGroup"].pop("RoleArn"), "request.CreateFeatureGroup.RoleArn"),
    (lambda r: r["request"]["CreateFeatureGroup"]["OnlineStoreConfig"]["SecurityConfig"].update(
        {"KmsKeyId": "alias/unknown"}), "request.CreateFeatureGroup.OnlineStoreConfig.SecurityConfig.KmsKeyId"),
    (lambda r: r["request"]["CreateFeatureGroup"]["OfflineStoreConfig"]["S3StorageConfig"].update(
        {"S3Uri": "bucket/prefix"}), "request.CreateFeatureGroup.OfflineStoreConfig.S3StorageConfig.S3Uri"),
    (lambda r: r["request"]["CreateFeatureGroup"].update({"FeatureGroupName": "bad name"}),
     "request.CreateFeatureGroup.FeatureGroupName"),
])
def test_bad_request_is_input_error(change: Any, path: str) -> None:
    raw = compliant()
    change(raw)
    with pytest.raises(InputError) as info:
        spec.parse_request(parse_setup(raw, source="fs.json"))
    assert info.value.path == path and info.value.source == "fs.json"


def test_aws_managed_key_alias_needs_no_key_entry() -> None:
    raw = compliant()
    raw["request"]["CreateFeatureGroup"]["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] = "alias/aws/s3"
    setup = parse_setup(raw)
    assert spec.parse_request(setup).offline_key == "alias/aws/s3"
    applies = rule("FS-10").applies
    assert applies is not None and not applies(setup)


# --- behaviour rules -------------------------------------------------------------------------------

POLICY = fss.key_policy_template()
CREATE = ("sagemaker", "CreateFeatureGroup")


@pytest.mark.parametrize("stores", ["online", "offline", "both"])
def test_fs_01_default_keys(model: ModelTarget, stores: str) -> None:
    ex = {"stores": stores}
    assert run(model, "FS-01", ex) == {"create": "OK", "describe": "OK", "kms_key_ids": []}
    assert caught("FS-01", ex, CREATE, model)


def test_fs_02_separate_keys(model: ModelTarget) -> None:
    ex = {"policy": POLICY}
    assert run(model, "FS-02", ex) == {"create": "OK", "online_key_kept": True, "offline_key_kept": True,
                                       "grants_online": 1, "grants_offline": 0}
    assert caught("FS-02", ex, ("kms", "ListGrants"), model)


@pytest.mark.parametrize("store", ["online", "offline"])
def test_fs_03_symmetric(model: ModelTarget, store: str) -> None:
    bad = {"store": store, "spec": ("RSA_2048", "ENCRYPT_DECRYPT"), "policy": POLICY}
    good = {**bad, "spec": ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")}
    assert run(model, "FS-03", bad) == {"create": "ValidationException"}
    assert run(model, "FS-03", good) == {"create": "OK"}
    assert caught("FS-03", good, CREATE, model)


@pytest.mark.parametrize("source", ["key_policy", "iam"])
@pytest.mark.parametrize("missing", [None, *fss.EXERCISED_ACTIONS])
def test_fs_04_minimal_permissions(model: ModelTarget, source: str, missing: str | None) -> None:
    ex = fss.missing_action_example(missing, source)
    assert run(model, "FS-04", ex) == {"create": "OK" if missing is None else "AccessDeniedException"}
    if missing is None:
        assert caught("FS-04", ex, CREATE, model)


@pytest.mark.parametrize("via", [True, False])
def test_fs_06_shared_key(model: ModelTarget, via: bool) -> None:
    ex = {"via": via, "policy": fss.key_policy_template(via=via, role_via=via)}
    assert run(model, "FS-06", ex) == {"succeeded": not via}
    assert caught("FS-06", ex, CREATE, model)


@pytest.mark.parametrize("groups", [1, 3])
def test_fs_07_grant_per_group(model: ModelTarget, groups: int) -> None:
    ex = {"groups": groups, "policy": POLICY}
    assert run(model, "FS-07", ex) == {"created": groups, "grants": groups}
    assert caught("FS-07", ex, ("kms", "ListGrants"), model)


@pytest.mark.parametrize("operation", ["PutRecord", "GetRecord", "DeleteRecord"])
def test_fs_08_revoked_grant(model: ModelTarget, operation: str) -> None:
    ex = {"operation": operation, "policy": POLICY}
    assert run(model, "FS-08", ex) == {"create": "OK", "before": True, "grants": 1, "RevokeGrant": "OK",
                                       "after": False}
    assert caught("FS-08", ex, ("kms", "RevokeGrant"), model)
    assert rule("FS-08").behavior.lifecycle  # type: ignore[union-attr]


@pytest.mark.parametrize("operation", ["PutRecord", "GetRecord", "DeleteRecord"])
def test_fs_09_data_plane(model: ModelTarget, operation: str) -> None:
    ex = {"operation": operation, "decrypt": False, "policy": POLICY}
    assert run(model, "FS-09", ex) == {"create": "OK", operation: "AccessForbidden"}
    ok = {**ex, "decrypt": True}
    assert run(model, "FS-09", ok) == {"create": "OK", operation: "OK"}
    assert caught("FS-09", ok, ("sagemaker-featurestore-runtime", operation), model)


def test_fs_10_offline_role(model: ModelTarget) -> None:
    ok = {"generate": True, "policy": fss.key_policy_template()}
    bad = {"generate": False, "policy": fss.key_policy_template(role_actions=("kms:Decrypt",))}
    assert run(model, "FS-10", ok) == {"succeeded": True}
    assert run(model, "FS-10", bad) == {"succeeded": False}
    assert caught("FS-10", ok, CREATE, model)


@pytest.mark.parametrize("allowed", [True, False])
def test_fs_12_principal_needs_feature_store_permission(model: ModelTarget, allowed: bool) -> None:
    ex = {"allowed": allowed, "policy": fss.key_policy_template(role=False)}
    assert run(model, "FS-12", ex) == {"create": "OK" if allowed else "AccessDeniedException"}
    assert caught("FS-12", ex, CREATE, model)


def test_data_plane_needs_feature_store_permission(model: ModelTarget) -> None:
    """The data plane judges the caller's own permission too (the runtime's AccessForbidden)."""
    from kms_conformance.scenarios.steps import new_role

    name = model.unique("fs")
    req = fss.feature_group_request(name, online_key=None, offline_key=None, role=None, offline=False)
    assert model.call("sagemaker", "CreateFeatureGroup", req).ok
    reader = new_role(model, "reader", inline_policies={"sm": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sagemaker:GetRecord", "Resource": "*"}]}})
    assert spec.data_plane(model, "GetRecord", name, reader).ok
    assert spec.data_plane(model, "PutRecord", name, reader).code == "AccessForbidden"


def test_data_plane_without_key_needs_no_kms(model: ModelTarget) -> None:
    from kms_conformance.scenarios.steps import new_role

    caller = new_role(model, "plain", inline_policies={"sm": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}})
    name = model.unique("fs")
    req = fss.feature_group_request(name, online_key=None, offline_key=None, role=None, offline=False)
    assert model.call("sagemaker", "CreateFeatureGroup", req, principal=caller).ok
    assert spec.data_plane(model, "PutRecord", name, caller).ok
    got = spec.data_plane(model, "GetRecord", name, caller)
    assert got.ok and got.value["Record"][0] == {"FeatureName": "record_id", "ValueAsString": "r1"}
    assert model.call("sagemaker", "DeleteFeatureGroup", {"FeatureGroupName": name}).ok
    assert model.call("sagemaker", "DescribeFeatureGroup", {"FeatureGroupName": name}).code == "ResourceNotFound"


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_behaviour_examples_are_deterministic_on_the_model(data: st.DataObject) -> None:
    check_deterministic_on_the_model("FS-", data)


def test_every_rule_cites_the_page() -> None:
    ids = [r for r in _REGISTRY if r.startswith("FS-")]
    assert len(ids) == 12
    for rule_id in ids:
        r = rule(rule_id)
        assert r.citation.doc == "001_33dc1ec0c5fdd4cf.txt" and r.citation.quote and r.citation.section
        assert r.kinds, rule_id


# --- worked examples ------------------------------------------------------------------------------

def failing(setup_path: Path) -> set[str]:
    setup = load_setup(setup_path)
    spec.parse_request(setup)
    return failing_rules(setup, CONFIG_RULES)


def test_example_setup_is_compliant() -> None:
    assert failing(EXAMPLES / "setup.json") == set()


@pytest.mark.parametrize(("name", "broken"), [
    ("broken-shared-key.json", {"FS-06", "FS-10"}),
    ("broken-asymmetric-online.json", {"FS-03"}),
    ("broken-sample-policy.json", {"FS-11"}),
])
def test_broken_examples(name: str, broken: set[str]) -> None:
    assert failing(EXAMPLES / name) == broken
