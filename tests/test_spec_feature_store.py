"""Tests of the SageMaker Feature Store specification (conformance/specs/feature_store.py, page 001),
its reference model (conformance/models/feature_store.py) and its scenario steps.

Every rule twice: a compliant example holds (config: no reasons; behaviour: the documented facts on
the reference model) and a broken one fails (config: the mutated setup gives a reason naming the
right thing; behaviour: a target flipping one operation is found to differ).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from kms_conformance.errors import InputError
from kms_conformance.models.feature_store import parse_request
from kms_conformance.rules import _REGISTRY
from kms_conformance.scenarios import steps
from kms_conformance.scenarios.feature_store import (
    create_group,
    created_group,
    data_plane,
    grant_count,
    stage,
    store_keys,
)
from kms_conformance.setup import load_setup, parse_setup
from kms_conformance.specs import feature_store as spec
from kms_conformance.strategies import feature_store as fss
from kms_conformance.targets.base import Outcome
from kms_conformance.targets.model import ModelTarget
from kms_conformance.targets.mutant import MutantTarget
from spec_support import (
    caught,
    check_kms_rules_accept,
    failing_rules,
    reasons,
    rule,
    run,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "feature-store"
CONFIG_RULES = ("FS-03", "FS-04", "FS-05", "FS-06", "FS-09", "FS-10", "FS-11", "FS-13")
FAST = settings(max_examples=25, deadline=None)
ACCOUNT, REGION = "111122223333", "us-east-1"
CALLER = f"arn:aws:iam::{ACCOUNT}:role/featurestore-writer"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/featurestore-offline"
ONLINE = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OFFLINE = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321"


@pytest.fixture(autouse=True)
def _no_poll_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mutant target's flipped creation leaves nothing to poll: retry at once."""
    monkeypatch.setattr(steps, "POLL_SECONDS", 0.0)


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


def test_severities() -> None:
    assert {r for r in _REGISTRY if r.startswith("FS-") and rule(r).severity == "should"} == {"FS-05", "FS-13"}


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


S3_VIA = {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}


def test_fs_06_is_about_the_pages_condition_not_any_via_service() -> None:
    """The page's "kondisi khusus ini" limits the key to SageMaker; a kms:ViaService condition that
    admits S3 (the offline store's path) is not it: FS-06 and FS-10 both hold."""
    raw = compliant()
    raw["keys"][1]["policy"]["Statement"][1]["Condition"] = S3_VIA
    assert reasons("FS-06", raw) == []
    assert reasons("FS-10", raw) == []
    # Both services admitted (a wildcard over every endpoint) limits nothing to the online store.
    raw["keys"][1]["policy"]["Statement"][1]["Condition"] = {"StringLike": {"kms:ViaService": "*.amazonaws.com"}}
    assert reasons("FS-06", raw) == []
    # The page's condition, as the sample writes it, still fails.
    raw["keys"][1]["policy"]["Statement"][1]["Condition"] = {"StringLike": {"kms:ViaService": fss.VIA_PATTERN}}
    assert reasons("FS-06", raw) and reasons("FS-10", raw)


def test_fs_06_s3_condition_lets_the_model_create_the_group(model: ModelTarget) -> None:
    """The reference model agrees with the static check: the RoleArn allowed kms:GenerateDataKey on
    the offline key only through S3 writes the offline store."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::<<ACCOUNT>>:root"},
         "Action": "kms:*", "Resource": "*"},
        fss.role_statement("<<ROLE>>", condition={"StringEquals": {"kms:ViaService": "s3.<<REGION>>.amazonaws.com"}})]}
    st_ = stage(model, {"policy": policy}, online=False)
    out, _ = create_group(model, st_, online=False)
    assert out.ok, out


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


ADMIN = f"arn:aws:iam::{ACCOUNT}:role/key-admin"


def test_fs_13_administrators_read_only() -> None:
    """The sample's administrators' statement holds; a use of the key or a change to it added, or a
    read taken away, is reported; a setup without administrators is not judged."""
    assert reasons("FS-13", compliant()) == []
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][1]["Action"].append("kms:Decrypt")
    got = reasons("FS-13", raw)
    assert got == [f"keys[0] {ONLINE}: the key policy gives administrator {ADMIN} kms:Decrypt: more than "
                   "read-only access and kms:RevokeGrant"]
    raw["keys"][0]["policy"]["Statement"][1]["Action"] = ["kms:*"]
    got = reasons("FS-13", raw)
    assert len(got) == 1 and "kms:PutKeyPolicy" in got[0] and "kms:ScheduleKeyDeletion" in got[0]
    raw = compliant()
    raw["keys"][0]["policy"]["Statement"][1]["Action"].remove("kms:Get*")
    got = reasons("FS-13", raw)
    assert len(got) == 1 and got[0].startswith(f"keys[0] administrator {ADMIN} calling kms:GetKeyPolicy")
    raw = compliant()
    del raw["keys"][0]["policy"]["Statement"][1]
    assert rule("FS-13").applies is not None and not rule("FS-13").applies(parse_setup(raw))


def test_fs_13_users_of_the_key_are_not_administrators() -> None:
    """The caller's sample statement lists kms:RevokeGrant with the uses of the key: the caller is a
    user of the key, not one of its administrators."""
    raw = compliant()
    del raw["keys"][0]["policy"]["Statement"][1]
    raw["keys"][1]["policy"]["Statement"][1]["Action"].append("kms:RevokeGrant")  # the RoleArn's statement
    assert not rule("FS-13").applies(parse_setup(raw))  # type: ignore[misc]


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
        parse_request(parse_setup(raw, source="fs.json"))
    assert info.value.path == path and info.value.source == "fs.json"


@pytest.mark.parametrize("alias", ["alias/aws/s3", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3"])
def test_aws_managed_key_alias_needs_no_key_entry(alias: str) -> None:
    raw = compliant()
    raw["request"]["CreateFeatureGroup"]["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"] = alias
    setup = parse_setup(raw)
    assert parse_request(setup).offline_key == alias
    applies = rule("FS-10").applies
    assert applies is not None and not applies(setup)


@pytest.mark.parametrize(("role", "accepted"), [
    (ROLE, True),
    (f"arn:aws:iam::{ACCOUNT}:role/service-role/featurestore-offline", True),
    (f"arn:aws-us-gov:iam::{ACCOUNT}:role/featurestore-offline", True),
    (f"arn:aws:iam::{ACCOUNT}:user/featurestore-offline", False),
    (f"arn:aws:iam:{REGION}:{ACCOUNT}:role/featurestore-offline", False),
    ("arn:aws:iam::123456789:role/featurestore-offline", False),
    ("featurestore-offline", False),
])


def test_role_arn_is_an_iam_role(role: str, accepted: bool) -> None:
    raw = compliant()
    raw["request"]["CreateFeatureGroup"]["RoleArn"] = role
    setup = parse_setup(raw, source="fs.json")
    if accepted:
        assert parse_request(setup).role_arn == role
    else:
        with pytest.raises(InputError) as info:
            parse_request(setup)
        assert info.value.path == "request.CreateFeatureGroup.RoleArn"


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
    assert run(model, "FS-03", bad) == {"create": "fails"}
    assert run(model, "FS-03", good) == {"create": "OK"}
    assert caught("FS-03", good, CREATE, model)


class CallerCreateRefused(MutantTarget):
    """A target that refuses CreateFeatureGroup sent by a principal (the scenario's caller) and accepts
    it from the administrator: the subject fails while the control step (:func:`can_create`) holds."""

    def call(self, service: str, operation: str, params: Any = None, *, principal: str | None = None) -> Outcome:
        if (service, operation) == CREATE and principal is not None:
            return Outcome(ok=False, error="AccessDeniedException", message="refused")
        return self.inner.call(service, operation, params, principal=principal)


@pytest.mark.parametrize("source", ["key_policy", "iam"])
@pytest.mark.parametrize("missing", [None, *fss.EXERCISED_ACTIONS])
@pytest.mark.parametrize("stores", fss.ONLINE_STORES)
def test_fs_04_minimal_permissions(model: ModelTarget, source: str, missing: str | None, stores: str) -> None:
    ex = fss.missing_action_example(missing, source, stores)
    expected = {"create": "OK" if missing is None else "fails"}
    assert run(model, "FS-04", ex) == expected
    if missing is None:  # the subject refused, the control accepted: a divergence of FS-04 itself
        observed = rule("FS-04").behavior.scenario(CallerCreateRefused(model, ()), ex)  # type: ignore[union-attr]
        assert rule("FS-04").behavior.compare(expected, observed)  # type: ignore[union-attr]


@pytest.mark.parametrize("rule_id", ["FS-04", "FS-12"])
def test_a_target_creating_no_group_is_a_control_failure(model: ModelTarget, rule_id: str) -> None:
    """When no feature group of the example's stores can be created, without a key either, the refusal
    says nothing about the key (or the caller's permission): the control step fails, blocked by FS-01."""
    ex = (fss.missing_action_example(None, "key_policy", "online") if rule_id == "FS-04"
          else {"allowed": True, "stores": "online", "policy": fss.key_policy_template(role=False)})
    with pytest.raises(steps.StepFailed) as failed:
        rule(rule_id).behavior.scenario(MutantTarget(model, {CREATE}), ex)  # type: ignore[union-attr]
    assert failed.value.role == "control" and failed.value.step == "sagemaker:CreateFeatureGroup"


@pytest.mark.parametrize("via", [True, False])
def test_fs_06_shared_key(model: ModelTarget, via: bool) -> None:
    ex = {"via": via, "policy": fss.key_policy_template(via=via, role_via=via)}
    assert run(model, "FS-06", ex) == {"create": "fails" if via else "OK"}
    assert caught("FS-06", ex, CREATE, model)


@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("stores", fss.ONLINE_STORES)
def test_fs_07_grant_per_group(model: ModelTarget, groups: int, stores: str) -> None:
    ex = {"groups": groups, "stores": stores, "policy": POLICY}
    assert run(model, "FS-07", ex) == {"grants": groups}
    assert caught("FS-07", ex, ("kms", "ListGrants"), model)
    with pytest.raises(steps.StepFailed) as failed:  # the groups are stage steps
        rule("FS-07").behavior.scenario(MutantTarget(model, {CREATE}), ex)  # type: ignore[union-attr]
    assert failed.value.role == "stage"


@pytest.mark.parametrize("operation", ["PutRecord", "GetRecord", "DeleteRecord"])
def test_fs_08_revoked_grant(model: ModelTarget, operation: str) -> None:
    ex = {"operation": operation, "stores": "both", "policy": POLICY}
    assert run(model, "FS-08", ex) == {"before": True, "grants": 1, "RevokeGrant": "OK",
                                       "after": False}
    assert caught("FS-08", ex, ("kms", "RevokeGrant"), model)
    assert rule("FS-08").behavior.lifecycle  # type: ignore[union-attr]


@pytest.mark.parametrize("operation", ["PutRecord", "GetRecord", "DeleteRecord"])
def test_fs_09_data_plane(model: ModelTarget, operation: str) -> None:
    ex = {"operation": operation, "decrypt": False, "stores": "online", "policy": POLICY}
    assert run(model, "FS-09", ex) == {operation: "AccessForbidden"}
    ok = {**ex, "decrypt": True, "stores": "both"}
    assert run(model, "FS-09", ok) == {operation: "OK"}
    assert caught("FS-09", ok, ("sagemaker-featurestore-runtime", operation), model)


def test_fs_10_offline_role(model: ModelTarget) -> None:
    ok = {"generate": True, "policy": fss.key_policy_template()}
    bad = {"generate": False, "policy": fss.key_policy_template(role_actions=("kms:Decrypt",))}
    assert run(model, "FS-10", ok) == {"create": "OK"}
    assert run(model, "FS-10", bad) == {"create": "fails"}
    assert caught("FS-10", ok, CREATE, model)


@pytest.mark.parametrize("allowed", [True, False])
@pytest.mark.parametrize("stores", fss.ONLINE_STORES)
def test_fs_12_principal_needs_feature_store_permission(model: ModelTarget, allowed: bool, stores: str) -> None:
    ex = {"allowed": allowed, "stores": stores, "policy": fss.key_policy_template(role=False)}
    expected = {"create": "OK" if allowed else "fails"}
    assert run(model, "FS-12", ex) == expected
    if allowed:  # the caller refused, the administrator's control group accepted
        observed = rule("FS-12").behavior.scenario(CallerCreateRefused(model, ()), ex)  # type: ignore[union-attr]
        assert rule("FS-12").behavior.compare(expected, observed)  # type: ignore[union-attr]


FAILING_CREATES = [
    ("FS-03", {"store": "online", "spec": ("RSA_2048", "ENCRYPT_DECRYPT"), "policy": POLICY}),
    ("FS-03", {"store": "offline", "spec": ("RSA_2048", "ENCRYPT_DECRYPT"), "policy": POLICY}),
    ("FS-04", fss.missing_action_example("kms:CreateGrant", "key_policy")),
    ("FS-06", {"via": True, "policy": fss.key_policy_template(via=True, role_via=True)}),
    ("FS-10", {"generate": False, "policy": fss.key_policy_template(role_actions=("kms:Decrypt",))}),
]


@pytest.mark.parametrize(("rule_id", "ex"), FAILING_CREATES)
def test_accepted_then_failed_creation_is_a_failure(rule_id: str, ex: dict[str, Any]) -> None:
    """CreateFeatureGroup refused, or accepted and ended CreateFailed: both are "the operation fails",
    so the facts of a model that refuses and of one that accepts then fails are the same."""
    refusing, late = ModelTarget(), ModelTarget(accept_then_fail=True)
    assert run(refusing, rule_id, ex) == run(late, rule_id, ex)
    assert run(late, rule_id, ex) == {"create": "fails"}


def test_accept_then_fail_model_shows_create_failed() -> None:
    late = ModelTarget(accept_then_fail=True)
    st_ = stage(late, {"policy": fss.key_policy_template(role_actions=("kms:Decrypt",))}, online=False)
    out, name = create_group(late, st_, online=False)
    assert out.ok
    described = late.call("sagemaker", "DescribeFeatureGroup", {"FeatureGroupName": name}).value
    assert described["FeatureGroupStatus"] == "CreateFailed" and "GenerateDataKey" in described["FailureReason"]
    settled, _ = created_group(late, st_, online=False)
    assert settled.fact == "fails" and settled.outcome.ok and settled.detail.startswith("CreateFailed: ")


def test_data_plane_needs_feature_store_permission(model: ModelTarget) -> None:
    """The data plane judges the caller's own permission too (the runtime's AccessForbidden)."""
    from kms_conformance.scenarios.steps import new_role

    name = model.unique("fs")
    req = fss.feature_group_request(name, online_key=None, offline_key=None, role=None, offline=False)
    assert model.call("sagemaker", "CreateFeatureGroup", req).ok
    reader = new_role(model, "reader", inline_policies={"sm": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sagemaker:GetRecord", "Resource": "*"}]}})
    assert data_plane(model, "GetRecord", name, reader).ok
    assert data_plane(model, "PutRecord", name, reader).code == "AccessForbidden"


def test_delete_feature_group_retires_its_grant(model: ModelTarget) -> None:
    st_ = stage(model, {"policy": POLICY}, offline=False)
    out, name = create_group(model, st_, offline=False)
    assert out.ok and grant_count(model, st_.online_key) == 1
    described = model.call("sagemaker", "DescribeFeatureGroup", {"FeatureGroupName": name}).value
    assert store_keys(described) == (st_.online_key, None)
    assert model.call("sagemaker", "DeleteFeatureGroup", {"FeatureGroupName": name}).ok
    assert grant_count(model, st_.online_key) == 0


def test_data_plane_without_key_needs_no_kms(model: ModelTarget) -> None:
    from kms_conformance.scenarios.steps import new_role

    caller = new_role(model, "plain", inline_policies={"sm": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}})
    name = model.unique("fs")
    req = fss.feature_group_request(name, online_key=None, offline_key=None, role=None, offline=False)
    assert model.call("sagemaker", "CreateFeatureGroup", req, principal=caller).ok
    assert data_plane(model, "PutRecord", name, caller).ok
    got = data_plane(model, "GetRecord", name, caller)
    assert got.ok and got.value["Record"][0] == {"FeatureName": "record_id", "ValueAsString": "r1"}
    assert model.call("sagemaker", "DeleteFeatureGroup", {"FeatureGroupName": name}).ok
    assert model.call("sagemaker", "DescribeFeatureGroup", {"FeatureGroupName": name}).code == "ResourceNotFound"


#: What each Feature Store module may import of the kit (the layers, one way down).
ALLOWED_IMPORTS = {
    "kms_conformance.models.feature_store": (
        "kms_conformance.kms", "kms_conformance.policy", "kms_conformance.errors", "kms_conformance.arns",
        "kms_conformance.setup", "kms_conformance.models.registry"),
    "kms_conformance.scenarios.feature_store": (
        "kms_conformance.scenarios.steps", "kms_conformance.strategies", "kms_conformance.targets",
        "kms_conformance.models"),
    "kms_conformance.strategies.feature_store": ("kms_conformance.strategies",),
}


@pytest.mark.parametrize("module", sorted(ALLOWED_IMPORTS))
def test_layers(module: str) -> None:
    path = importlib.import_module(module).__file__
    assert path is not None
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    kit = [n for n in names if n.startswith("kms_conformance")]
    assert kit, module
    allowed = ALLOWED_IMPORTS[module]
    assert [n for n in kit if not any(n == a or n.startswith(a + ".") for a in allowed)] == [], module


def test_every_rule_cites_the_page() -> None:
    ids = [r for r in _REGISTRY if r.startswith("FS-")]
    assert len(ids) == 13
    for rule_id in ids:
        r = rule(rule_id)
        assert r.citation.doc == "001_33dc1ec0c5fdd4cf.txt" and r.citation.quote and r.citation.section
        assert r.kinds, rule_id


# --- worked examples ------------------------------------------------------------------------------


def failing(setup_path: Path) -> set[str]:
    setup = load_setup(setup_path)
    parse_request(setup)
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


@pytest.mark.parametrize(("actions", "refused"), [
    (list(fss.ADMIN_ACTIONS), set()),
    ([a for a in fss.ADMIN_ACTIONS if a != "kms:Describe*"], {"DescribeKey"}),
    ([a for a in fss.ADMIN_ACTIONS if a != "kms:Get*"], {"GetKeyPolicy"}),
    ([a for a in fss.ADMIN_ACTIONS if a != "kms:List*"], {"ListGrants"}),
])


def test_fs_13_administrator_reads_and_revokes(model: ModelTarget, actions: list[str], refused: set[str]) -> None:
    facts = run(model, "FS-13", {"actions": actions})
    assert {call for call, code in facts.items() if code != "OK"} == {"ListAliases", "Encrypt", *refused}
    assert facts["RevokeGrant"] == "OK"


def test_fs_13_wider_administrator_and_a_wrong_target(model: ModelTarget) -> None:
    wider = run(model, "FS-13", {"actions": [*fss.ADMIN_ACTIONS, "kms:Encrypt"]})
    assert wider["Encrypt"] == "OK"
    sample = {"actions": list(fss.ADMIN_ACTIONS)}
    assert caught("FS-13", sample, ("kms", "Encrypt"), model)
    assert caught("FS-13", sample, ("kms", "GetKeyPolicy"), model)
