"""Tests of the OpenSearch Serverless specification (page 002): every rule passes a compliant example
and fails a mutated one; behaviour scenarios give the documented facts on the reference model and
are found nonconformant on a mutant target; the worked example setups give their verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kms_conformance.engine.behaviour import subject_index
from kms_conformance.errors import InputError
from kms_conformance.models import aoss_policies as P
from kms_conformance.models.opensearch_serverless import parse_request
from kms_conformance.rules import catalogue
from kms_conformance.scenarios.steps import StepFailed
from kms_conformance.setup import load_setup, parse_setup
from kms_conformance.specs.opensearch_serverless import DOC
from kms_conformance.strategies.opensearch_serverless import (
    identity_policy,
    sample_identity_policy,
    sample_key_statement,
)
from kms_conformance.targets.base import Outcome
from kms_conformance.targets.model import ModelTarget
from kms_conformance.targets.mutant import MutantTarget
from spec_support import (
    check_behaviour_on_model_and_mutant,
    config_reasons,
    example_setup,
    example_verdicts,
    holds,
    pages,
    rule,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "opensearch-serverless"
RULES = {r.id: r for r in catalogue() if r.service == "opensearch-serverless"}
KMS_CONFIG = [r for r in catalogue() if r.service == "kms" and r.check is not None]
BOTO = "opensearchserverless"


# --- the page ------------------------------------------------------------------------------------------


def _page() -> str:
    return " ".join((pages() / DOC).read_text(encoding="utf-8").split())


def _page_sample(marker: str) -> dict[str, Any]:
    page = _page()
    start = page.rfind('{ "Version"', 0, page.index(marker))
    doc, _end = json.JSONDecoder().raw_decode(page[start:])
    return dict(doc)


def test_sample_policies_are_the_pages() -> None:
    identity = _page_sample('"aoss:CreateSecurityPolicy"')
    assert sample_identity_policy("application-logs") == identity
    widened = identity_policy(["b", "a", "b"], [])
    assert widened["Statement"][0]["Condition"]["StringEquals"]["aoss:collection"] == ["a", "b"]
    assert widened["Statement"][1:] == identity["Statement"][1:]
    key_sample = _page_sample('"kms:DescribeKey", "kms:CreateGrant"')["Statement"][0]
    statement = sample_key_statement("arn:aws:iam::111122223333:role/R", "us-east-1")
    assert statement.pop("Principal") == {"AWS": "arn:aws:iam::111122223333:role/R"}
    assert {k: v for k, v in statement.items() if k != "Sid"} == key_sample
    other = sample_key_statement("arn:aws:iam::111122223333:role/R", "eu-west-1", service="es",
                                 actions=["kms:DescribeKey"])
    assert other["Action"] == ["kms:DescribeKey"]
    assert other["Condition"]["StringEquals"] == {"kms:ViaService": "es.eu-west-1.amazonaws.com"}


# --- the policy language ---------------------------------------------------------------------------


def test_pattern_matching_and_specificity() -> None:
    assert P.pattern_matches("collection/sales*", "sales")
    assert P.pattern_matches("collection/sales*", "sales-eu")
    assert not P.pattern_matches("collection/sales*", "presales")
    assert P.pattern_matches("collection/autopartsinventory", "autopartsinventory")
    assert not P.pattern_matches("collection/autopartsinventory", "autopartsinventory2")
    policies = {"a": P.EncryptionPolicy(("collection/log*",), False, "K1"),
                "b": P.EncryptionPolicy(("collection/logSpecial",), False, "K2"),
                "c": P.EncryptionPolicy(("collection/lo*",), True)}
    assert P.best_match(policies, "logSpecial") == ("b", "collection/logSpecial")
    assert P.best_match(policies, "logother") == ("a", "collection/log*")
    assert P.best_match(policies, "lox") == ("c", "collection/lo*")
    assert P.best_match(policies, "other") is None


def test_parse_encryption_policy_page_samples() -> None:
    sample = {"Rules": [{"ResourceType": "collection", "Resource": ["collection/autopartsinventory",
                                                                    "collection/sales*"]}], "AWSOwnedKey": True}
    parsed = P.parse_encryption_policy(json.dumps(sample))
    assert parsed.patterns == ("collection/autopartsinventory", "collection/sales*") and parsed.key == "auto"
    page_arn = "arn:aws:encryption:us-east-1:123456789012:key/93fd6da4-a317-4c17-bfe9-382b5d988b36"
    defective = {**sample, "AWSOwnedKey": False, "KmsARN": page_arn}
    with pytest.raises(P.PolicyDocError) as exc:
        P.parse_encryption_policy(defective)
    assert exc.value.path == "KmsARN" and "encryption" in exc.value.message
    fixed = {**defective, "KmsARN": page_arn.replace(":encryption:", ":kms:")}
    assert P.parse_encryption_policy(fixed).key == fixed["KmsARN"]
    both = {**fixed, "AWSOwnedKey": True}  # KmsARN given: AWSOwnedKey ignored
    assert P.parse_encryption_policy(both).key == fixed["KmsARN"]


def test_requests_of_a_setup() -> None:
    created = json.dumps({"Rules": [{"ResourceType": "collection", "Resource": ["collection/logs*"]}],
                          "AWSOwnedKey": True})
    twice = json.dumps({"Rules": [{"ResourceType": "collection", "Resource": ["collection/logs*", "collection/x"]}],
                        "AWSOwnedKey": True})
    setup = parse_setup({"service": "opensearch-serverless", "request": {
        "CreateSecurityPolicy": [{"name": "a", "type": "encryption", "policy": created},
                                 {"name": "b", "type": "encryption", "policy": twice},
                                 {"name": "c", "type": "encryption", "policy": "{}"}],
        "UpdateSecurityPolicy": [{"name": "a", "type": "encryption", "policyVersion": "v" * 20},
                                 {"name": "gone", "type": "encryption", "policyVersion": "v" * 20}],
        "CreateCollection": [{"name": "logs-1"}, {"name": "x"}, {"name": "other"}]}})
    req = parse_request(setup)
    repeated = [(p.name, pattern, other) for p, pattern, other in req.repeated_patterns()]
    assert repeated == [("b", "collection/logs*", "a")]
    assert [(op, p.name, patterns) for op, p, patterns in req.patterns_by_request()] == [
        ("CreateSecurityPolicy", "a", ("collection/logs*",)),
        ("CreateSecurityPolicy", "b", ("collection/logs*", "collection/x")),
        ("UpdateSecurityPolicy", "a", ("collection/logs*",))]  # no document: the created policy's patterns
    assert [(c.name, match) for c, match in req.collection_matches()] == [
        ("logs-1", ("a", "collection/logs*")), ("x", ("b", "collection/x")), ("other", None)]
    assert req.kms_arns() == []


# --- config rules --------------------------------------------------------------------------------------


def _compliant() -> dict[str, Any]:
    return example_setup(EXAMPLES)


def _reasons(rid: str, raw: dict[str, Any]) -> list[str]:
    return config_reasons(RULES[rid], raw)


def _policy(raw: dict[str, Any], i: int = 0) -> dict[str, Any]:
    return dict(json.loads(raw["request"]["CreateSecurityPolicy"][i]["policy"]))


def _set_policy(raw: dict[str, Any], doc: dict[str, Any], i: int = 0) -> dict[str, Any]:
    raw["request"]["CreateSecurityPolicy"][i]["policy"] = json.dumps(doc)
    return raw


def test_aoss01_grammar_names_the_path() -> None:
    raw = _compliant()
    assert _reasons("AOSS-01", raw) == []
    doc = _policy(raw)
    doc["Rules"][0]["ResourceType"] = "index"
    reasons = _reasons("AOSS-01", _set_policy(raw, doc))
    assert reasons and "request.CreateSecurityPolicy[0].policy.Rules[0].ResourceType" in reasons[0]


def test_aoss02_flags_the_page_sample_arn() -> None:
    raw = _compliant()
    assert _reasons("AOSS-02", raw) == []
    doc = _policy(raw)
    doc["KmsARN"] = doc["KmsARN"].replace(":kms:", ":encryption:")
    reasons = _reasons("AOSS-02", _set_policy(raw, doc))
    assert len(reasons) == 1 and "KmsARN" in reasons[0] and "arn:aws:kms" in reasons[0]
    doc.pop("KmsARN")
    assert "needs a KmsARN" in _reasons("AOSS-02", _set_policy(raw, doc))[0]


def test_aoss05_unmatched_collection() -> None:
    raw = _compliant()
    assert _reasons("AOSS-05", raw) == []
    raw["request"]["CreateCollection"].append({"name": "nothing-matches-me"})
    reasons = _reasons("AOSS-05", raw)
    assert len(reasons) == 1 and "nothing-matches-me" in reasons[0] and "ValidationException" in reasons[0]


def test_aoss07_names_both_policies() -> None:
    raw = _compliant()
    assert _reasons("AOSS-07", raw) == []
    first = raw["request"]["CreateSecurityPolicy"][0]
    raw["request"]["CreateSecurityPolicy"].append({"name": "copy", "type": "encryption", "policy": first["policy"]})
    reasons = _reasons("AOSS-07", raw)
    assert reasons and first["name"] in reasons[0] and "'copy'" in reasons[0]


def test_aoss13_and_14_reasons_come_from_the_evaluators() -> None:
    raw = _compliant()
    assert _reasons("AOSS-13", raw) == [] and _reasons("AOSS-14", raw) == []
    caller = raw["caller"]
    raw["identityPolicies"][caller][0]["Statement"][0]["Action"].remove("aoss:CreateSecurityPolicy")
    reasons = _reasons("AOSS-13", raw)
    assert reasons and "aoss:CreateSecurityPolicy" in reasons[0] and "ImplicitlyDenied" in reasons[0]
    raw = _compliant()
    raw["keys"][0]["policy"]["Statement"][1]["Action"] = ["kms:DescribeKey"]
    reasons = _reasons("AOSS-14", raw)
    assert len(reasons) == 1 and "kms:CreateGrant" in reasons[0] and caller in reasons[0]


def test_aoss14_the_pages_own_sample_passes() -> None:
    """The page's minimum key policy statement, as the only grant of kms:DescribeKey to the caller (no
    identity policy adds it), satisfies AOSS-14; without kms:CreateGrant, or bound to another service,
    it does not."""
    raw = _compliant()
    caller = raw["caller"]
    identity = raw["identityPolicies"][caller][0]["Statement"]
    raw["identityPolicies"][caller][0]["Statement"] = [s for s in identity if "kms:DescribeKey" not in s["Action"]]
    sample = _page_sample('"kms:DescribeKey", "kms:CreateGrant"')["Statement"][0]
    raw["keys"][0]["policy"]["Statement"] = [{**sample, "Principal": {"AWS": caller}}]
    assert _reasons("AOSS-14", raw) == []
    raw["keys"][0]["policy"]["Statement"][0]["Action"] = ["kms:DescribeKey"]
    assert any("kms:CreateGrant" in r for r in _reasons("AOSS-14", raw))
    raw["keys"][0]["policy"]["Statement"][0] = {
        **sample, "Principal": {"AWS": caller},
        "Condition": {**sample["Condition"], "StringEquals": {"kms:ViaService": "es.us-east-1.amazonaws.com"}}}
    assert len(_reasons("AOSS-14", raw)) == 2


@pytest.mark.parametrize("actions", [("kms:DescribeKey", "kms:CreateGrant"), ("kms:DescribeKey",),
                                     ("kms:CreateGrant",)])
def test_aoss14_the_model_agrees_with_the_pages_sample(actions: tuple[str, ...]) -> None:
    """The model does with the page's minimum key-policy statement (the principal's only KMS permission:
    no identity policy allows any kms action) what the static rule says: with both of the sample's
    actions the principal's encryption policy is created and a collection under it ends ACTIVE; without
    either one (what the page says the principal needs) both AOSS-14 and the model refuse."""
    from kms_conformance.scenarios import opensearch_serverless as aoss
    from kms_conformance.scenarios.steps import default_key_policy, new_key, new_role
    from kms_conformance.strategies.opensearch_serverless import encryption_policies

    model = ModelTarget()
    role = new_role(model, "aoss-user", inline_policies={"aoss": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "aoss:*", "Resource": "*"}]}})
    policy = default_key_policy(model.account)
    policy["Statement"].append(sample_key_statement(role, model.region, actions=actions))
    key = new_key(model, policy)["Arn"]
    created = aoss.create_policy(model, "page-sample", encryption_policies(["collection/page-sample"], key),
                                 principal=role)
    raw = _compliant()
    caller = raw["caller"]
    identity = raw["identityPolicies"][caller][0]["Statement"]
    raw["identityPolicies"][caller][0]["Statement"] = [s for s in identity if "kms:DescribeKey" not in s["Action"]]
    raw["keys"][0]["policy"]["Statement"][1]["Action"] = list(actions)
    static = _reasons("AOSS-14", raw)
    if len(actions) == 2:
        assert created.ok, created.message
        assert aoss.created_collection(model, "page-sample").fact == "OK"
        assert static == []
    else:
        assert created.code == "AccessDeniedException"
        assert static and all(a not in r for r in static for a in actions)


def test_aoss12_rotation_is_a_should() -> None:
    assert RULES["AOSS-12"].severity == "should"
    raw = _compliant()
    assert _reasons("AOSS-12", raw) == []
    raw["keys"][0]["keyRotationEnabled"] = False
    assert "rotation" in _reasons("AOSS-12", raw)[0]


def test_aoss18_page_policy_version_is_too_short() -> None:
    raw = _compliant()
    raw["request"]["UpdateSecurityPolicy"] = [{"name": "x", "type": "encryption", "policyVersion": "2"}]
    assert "policyVersion" in _reasons("AOSS-18", raw)[0]
    raw["request"]["UpdateSecurityPolicy"][0]["policyVersion"] = "MTY2MzY5MzIxNzgyNl8x"
    assert _reasons("AOSS-18", raw) == []


def test_aoss19_policy_before_collection_is_a_should() -> None:
    assert RULES["AOSS-19"].severity == "should"
    raw = _compliant()
    assert _reasons("AOSS-19", raw) == []
    key = raw["keys"][0]["arn"]
    raw["request"]["CreateCollection"].append({"name": "orders", "encryptionConfig": {"kmsKeyArn": key}})
    reasons = _reasons("AOSS-19", raw)
    assert len(reasons) == 1 and "'orders'" in reasons[0]
    assert _reasons("AOSS-05", raw) == []  # the requirement itself holds: an auto-orders policy is made


@pytest.mark.parametrize("request_,path", [
    ({"CreateSecurityPolicy": [{"type": "encryption", "policy": "{}"}]}, "request.CreateSecurityPolicy[0].name"),
    ({"CreateSecurityPolicy": [{"name": "a", "type": "data", "policy": "{}"}]},
     "request.CreateSecurityPolicy[0].type"),
    ({"CreateSecurityPolicy": [{"name": "a", "type": "encryption", "policy": "{not json"}]},
     "request.CreateSecurityPolicy[0].policy"),
    ({"CreateCollection": [{"name": 3}]}, "request.CreateCollection[0].name"),
    ({"DeleteCollection": []}, "request.DeleteCollection"),
])


def test_parse_request_errors_name_the_path(request_: dict[str, Any], path: str) -> None:
    setup = parse_setup({"service": "opensearch-serverless", "request": request_}, source="s.json")
    with pytest.raises(InputError) as exc:
        parse_request(setup)
    assert exc.value.path == path and exc.value.source == "s.json"


# --- the worked examples --------------------------------------------------------------------------------


def _verdicts(path: Path) -> dict[str, list[str]]:
    return example_verdicts(path, RULES, parse_request)


def test_example_setup_is_compliant() -> None:
    setup = load_setup(EXAMPLES / "setup.json")
    verdicts = _verdicts(EXAMPLES / "setup.json")
    assert all(v == [] for v in verdicts.values()), verdicts
    assert all(holds(r, setup) == [] for r in KMS_CONFIG)
    applicable = [rid for rid, r in RULES.items() if r.check is not None and (r.applies is None or r.applies(setup))]
    assert {"AOSS-01", "AOSS-02", "AOSS-05", "AOSS-07", "AOSS-12", "AOSS-13", "AOSS-14"} <= set(applicable)


@pytest.mark.parametrize("name,broken", [
    ("broken-page-sample-arn.json", {"AOSS-02", "AOSS-05"}),  # its collections lose their policy
    ("broken-duplicate-prefix.json", {"AOSS-07"}),
    ("broken-no-create-grant.json", {"AOSS-14"}),
])


def test_broken_examples_break_their_rule(name: str, broken: set[str]) -> None:
    verdicts = _verdicts(EXAMPLES / name)
    assert {rid for rid, reasons in verdicts.items() if reasons} == broken


# --- behaviour rules ----------------------------------------------------------------------------------


def _ex(**kw: Any) -> dict[str, Any]:
    return {"stem": "ab", "suffix": "x1", **kw}


#: (rule, example, expected facts (subset), operation the mutant flips)
BEHAVIOUR = [
    ("AOSS-01", _ex(defect="none"), {"CreateSecurityPolicy": "OK"}, "CreateSecurityPolicy"),
    ("AOSS-01", _ex(defect="resource-type"), {"CreateSecurityPolicy": "ValidationException"}, "CreateSecurityPolicy"),
    ("AOSS-01", _ex(defect="inner-wildcard"), {"CreateSecurityPolicy": "ValidationException"},
     "CreateSecurityPolicy"),
    ("AOSS-02", _ex(variant="kms-arn"), {"CreateSecurityPolicy": "OK"}, "CreateSecurityPolicy"),
    ("AOSS-02", _ex(variant="not-kms-arn"), {"CreateSecurityPolicy": "ValidationException"}, "CreateSecurityPolicy"),
    ("AOSS-02", _ex(variant="missing-key"), {"CreateSecurityPolicy": "ValidationException"}, "CreateSecurityPolicy"),
    ("AOSS-02", _ex(variant="not-symmetric"), {"CreateSecurityPolicy": "ValidationException"},
     "CreateSecurityPolicy"),
    ("AOSS-03", _ex(with_arn=True), {"CreateCollection": "OK", "key": "K1"}, "BatchGetCollection"),
    ("AOSS-03", _ex(with_arn=False), {"CreateCollection": "OK", "key": "auto"}, "BatchGetCollection"),
    ("AOSS-04", _ex(form="prefix", matching=True), {"CreateCollection": "OK", "key": "K1"}, "CreateCollection"),
    ("AOSS-04", _ex(form="exact", matching=True), {"CreateCollection": "OK", "key": "K1"}, "CreateCollection"),
    ("AOSS-04", _ex(form="prefix", matching=False), {"CreateCollection": "ValidationException", "key": None},
     "CreateCollection"),
    ("AOSS-05", _ex(with_policy=False), {"CreateCollection": "ValidationException"}, "CreateCollection"),
    ("AOSS-05", _ex(with_policy=True), {"CreateCollection": "OK"}, "CreateCollection"),
    ("AOSS-06", _ex(specific_form="exact", general_first=True), {"key": "K2"}, "CreateSecurityPolicy"),
    ("AOSS-06", _ex(specific_form="prefix", general_first=False), {"key": "K2"}, "CreateSecurityPolicy"),
    ("AOSS-07", _ex(form="prefix", same=True), {"first": "OK", "second": "ValidationException"},
     "CreateSecurityPolicy"),
    ("AOSS-07", _ex(form="exact", same=False), {"first": "OK", "second": "OK"}, "CreateSecurityPolicy"),
    ("AOSS-08", _ex(second=False), {"UpdateSecurityPolicy": "OK", "existing": "K1", "new": "K2"},
     "UpdateSecurityPolicy"),
    ("AOSS-09", _ex(second=False), {"UpdateSecurityPolicy": "OK", "existing": "K1"}, "BatchGetCollection"),
    ("AOSS-09", _ex(second=False), {"new_matching": ["OK", "K1"], "new_old_pattern": "ValidationException"},
     "CreateCollection"),
    ("AOSS-10", _ex(second=False), {"DeleteSecurityPolicy": "OK", "existing": "K1", "active": True},
     "DeleteSecurityPolicy"),
    ("AOSS-11", _ex(wildcard=True), {"CreateCollection": "OK", "key": "K1", "GetSecurityPolicy": "OK",
                                     "auto_rules": ["collection/<C>"], "auto_update": "OK"}, "CreateCollection"),
    ("AOSS-11", _ex(wildcard=True), {"auto_update": "OK"}, "UpdateSecurityPolicy"),
    ("AOSS-11", _ex(wildcard=False), {"CreateCollection": "ValidationException",
                                      "GetSecurityPolicy": "ResourceNotFoundException"}, "CreateCollection"),
    ("AOSS-13", _ex(allowed=True), {"CreateSecurityPolicy": "OK", "ListSecurityPolicies": "OK"},
     "CreateSecurityPolicy"),
    ("AOSS-13", _ex(allowed=False), {"CreateSecurityPolicy": "AccessDeniedException"}, "CreateSecurityPolicy"),
    ("AOSS-14", _ex(via="aoss", grant_action=True, other_region="us-west-2"), {"CreateSecurityPolicy": "OK"},
     "CreateSecurityPolicy"),
    ("AOSS-14", _ex(via="aoss", grant_action=False, other_region="us-west-2"),
     {"CreateSecurityPolicy": "AccessDeniedException"}, "CreateSecurityPolicy"),
    ("AOSS-14", _ex(via="other-service", grant_action=True, other_region="us-west-2"),
     {"CreateSecurityPolicy": "AccessDeniedException"}, "CreateSecurityPolicy"),
    ("AOSS-14", _ex(via="other-region", grant_action=True, other_region="us-west-2"),
     {"CreateSecurityPolicy": "AccessDeniedException"}, "CreateSecurityPolicy"),
    ("AOSS-15", _ex(second=False), {"grants": 1, "page_operations": True, "only_internal_operations": True},
     "ListGrants"),
    ("AOSS-15", _ex(second=True), {"CreateSecurityPolicy": ["OK", "OK"], "grants": 1, "page_operations": True},
     "ListGrants"),
    ("AOSS-15", _ex(second=False), {"grants": 1}, "CreateSecurityPolicy"),
    ("AOSS-16", _ex(second=True), {"RevokeGrant": ["OK"], "CreateCollection": "fails"}, "RevokeGrant"),
    ("AOSS-16", _ex(second=False), {"CreateCollection": "OK"}, "CreateCollection"),
    ("AOSS-17", _ex(second=False), {"DeleteSecurityPolicy": "OK", "grants_after_policy_deleted": 0},
     "DeleteSecurityPolicy"),
    ("AOSS-17", _ex(second=True), {"grants_after_policy_deleted": 1, "DeleteCollection": "OK",
                                   "grants_after_collection_deleted": 0}, "DeleteCollection"),
    ("AOSS-18", _ex(second=True), {"UpdateSecurityPolicy": "ValidationException"}, "UpdateSecurityPolicy"),
    ("AOSS-18", _ex(second=False), {"UpdateSecurityPolicy": "OK"}, "UpdateSecurityPolicy"),
    ("AOSS-20", _ex(second=False), {"ListSecurityPolicies": "OK", "listed": True, "GetSecurityPolicy": "OK",
                                    "key": "K1"}, "ListSecurityPolicies"),
    ("AOSS-20", _ex(second=True), {"listed": True, "GetSecurityPolicy": "OK", "key": "auto"}, "GetSecurityPolicy"),
]


@pytest.fixture(scope="module")
def model() -> ModelTarget:
    return ModelTarget()


@pytest.mark.parametrize("rid,example,expected,flip", BEHAVIOUR, ids=[f"{b[0]}-{i}" for i, b in enumerate(BEHAVIOUR)])
def test_behaviour_on_model_and_mutant(model: ModelTarget, rid: str, example: dict[str, Any],
                                       expected: dict[str, Any], flip: str) -> None:
    service = "kms" if flip in ("ListGrants", "RevokeGrant") else BOTO
    check_behaviour_on_model_and_mutant(RULES[rid].behavior, model, example, expected, (service, flip))


def test_every_behaviour_rule_is_exercised() -> None:
    with_behavior = {rid for rid, r in RULES.items() if r.behavior is not None}
    assert with_behavior == {b[0] for b in BEHAVIOUR}


def test_refused_or_failed_collection_both_fail() -> None:
    """CreateCollection refused (no encryption policy matches) and CreateCollection accepted whose
    collection ends FAILED (the grant revoked) are the same fact: the creation fails."""
    from kms_conformance.scenarios import opensearch_serverless as aoss_steps

    target = ModelTarget()
    refused = aoss_steps.created_collection(target, "kmsc-nothing-matches")
    assert (refused.fact, refused.outcome.ok) == ("fails", False)
    _, stem, key, _ = aoss_steps.policy_with_new_key(target, _ex(second=True))
    aoss_steps.revoke_grants(target, key)
    failed = aoss_steps.created_collection(target, stem + "a")
    assert (failed.fact, failed.outcome.ok) == ("fails", True) and failed.detail.startswith("FAILED")
    assert aoss_steps.created_collection(target, stem + "b").fact == "fails"


class _PolicyRecorder(MutantTarget):
    """Passes every call through and keeps the resource patterns of each CreateSecurityPolicy and
    UpdateSecurityPolicy sent."""

    def __init__(self, inner: ModelTarget) -> None:
        super().__init__(inner, ())
        self.patterns: list[str] = []

    def call(self, service: str, operation: str, params: Any = None, *, principal: str | None = None) -> Outcome:
        if operation in ("CreateSecurityPolicy", "UpdateSecurityPolicy"):
            doc = json.loads(params["policy"])
            self.patterns += [p for r in doc.get("Rules", []) for p in r.get("Resource", [])]
        return self.inner.call(service, operation, params, principal=principal)


@pytest.mark.parametrize("rid", ["AOSS-05", "AOSS-08", "AOSS-09", "AOSS-10", "AOSS-15", "AOSS-16"])
@pytest.mark.parametrize("second", [True, False])
def test_rules_not_about_prefixes_name_collections_exactly(rid: str, second: bool) -> None:
    """Prefix matching is AOSS-04's sentence: the other collection rules use exact names only, so a
    target that matches no prefix is still judged on them."""
    recorder = _PolicyRecorder(ModelTarget())
    r = rule(rid)
    assert r.behavior is not None
    r.behavior.scenario(recorder, _ex(second=second, with_policy=second))
    assert recorder.patterns or (rid == "AOSS-05" and not second)  # AOSS-05 without a policy sends none
    assert not [p for p in recorder.patterns if "*" in p]


def test_aoss_03_owned_key_branch_is_a_control(model: ModelTarget) -> None:
    r = rule("AOSS-03")
    assert r.behavior is not None
    with pytest.raises(StepFailed) as failed:
        r.behavior.scenario(MutantTarget(model, {(BOTO, "CreateCollection")}), _ex(with_arn=False))
    assert failed.value.role == "control" and failed.value.step == "opensearchserverless:CreateCollection"


def test_aoss_16_grant_to_revoke_is_a_stage_of_aoss_15(model: ModelTarget) -> None:
    r = rule("AOSS-16")
    assert r.behavior is not None
    with pytest.raises(StepFailed) as failed:
        r.behavior.scenario(MutantTarget(model, {("kms", "ListGrants")}), _ex(second=True))
    assert failed.value.role == "stage" and failed.value.step == "kms:ListGrants"
    assert subject_index(catalogue())["kms:ListGrants"] == "AOSS-15"
