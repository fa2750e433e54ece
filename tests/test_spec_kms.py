"""Tests of kms_conformance.specs.kms: every KMS rule passes a compliant example and fails a mutated one.

Behaviour rules: the scenario's facts on the reference model are the documented outcome, and a
MutantTarget that flips the operation the rule is about is found different. Config rules: a
compliant setup holds, a broken one is refused with a reason naming the culprit; property tests
run the kms ServiceSpec's compliant strategy and every mutator.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import kms_conformance.rules as rules_module
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kms_conformance.rules import Rule
from kms_conformance.setup import parse_setup
from spec_support import pages

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ROLE_PASSED_TO_FORECAST"
ROOT_STMT: dict[str, Any] = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
FORECAST_STMT: dict[str, Any] = {
    "Sid": "Allow access to principals authorized to use Amazon Forecast", "Effect": "Allow",
    "Principal": {"AWS": ROLE}, "Action": ["kms:DescribeKey", "kms:CreateGrant", "kms:RetireGrant"],
    "Resource": "*",
    "Condition": {"StringEquals": {"kms:ViaService": "forecast.us-east-1.amazonaws.com",
                                   "kms:CallerAccount": ACCOUNT}},
}
FAST = settings(max_examples=15, deadline=None, database=None)


def kms_rules() -> dict[str, Rule]:
    return {r.id: r for r in rules_module.catalogue() if r.service == "kms"}


def the(rule_id: str) -> Rule:
    return kms_rules()[rule_id]


def model() -> Any:
    from kms_conformance.targets.model import ModelTarget

    return ModelTarget(account="123456789012")


def run(rule_id: str, example: Any, target: Any = None) -> Mapping[str, Any]:
    behavior = the(rule_id).behavior
    assert behavior is not None
    return behavior.scenario(target if target is not None else model(), example)


def differs(rule_id: str, example: Any, flip: tuple[str, str]) -> str | None:
    """Run on the model and on a mutant flipping ``flip``; the rule's comparison of the two."""
    from kms_conformance.targets.mutant import MutantTarget

    behavior = the(rule_id).behavior
    assert behavior is not None
    expected = run(rule_id, example)
    observed = run(rule_id, example, MutantTarget(model(), flips={flip}))
    return behavior.compare(expected, observed)


def setup(keys: list[dict[str, Any]] | None = None, grants: list[dict[str, Any]] | None = None,
          identity: dict[str, Any] | None = None) -> Any:
    return parse_setup({"service": "forecast", "account": ACCOUNT, "keys": keys or [],
                        "grants": grants or [], "identityPolicies": identity or {}})


def key(policy: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"arn": KEY_ARN, **fields}
    if policy is not None:
        out["policy"] = policy
    return out


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def check(rule_id: str, s: Any) -> list[str] | None:
    """The rule's reasons, or None when it does not apply."""
    r = the(rule_id)
    assert r.check is not None
    if r.applies is not None and not r.applies(s):
        return None
    return r.check(s)


# --- the catalogue -------------------------------------------------------------------------------


def test_catalogue_has_the_kms_rules() -> None:
    found = kms_rules()
    assert sorted(found) == [f"KMS-{i:02d}" for i in range(1, 20)]
    for r in found.values():
        assert r.citation.doc in rules_module.DOCS
        assert r.citation.quote and r.citation.section
        assert r.kinds, r.id
        assert r.note, f"{r.id} has no docstring"
    assert {r.severity for r in found.values() if r.id in ("KMS-17", "KMS-18")} == {"should"}


def test_quotes_are_in_the_pages() -> None:
    docs = pages()
    for r in kms_rules().values():
        text = " ".join((docs / r.citation.doc).read_text(encoding="utf-8").split())
        quote = r.citation.quote.split("...")[0].strip()
        assert quote in text, f"{r.id}: quote not found in {r.citation.doc}"
        assert r.citation.section in text, f"{r.id}: section not found"


# --- behaviour rules on the reference model, and a mutant that must be caught ------------------


def test_kms01_one_key_policy() -> None:
    example = {"Version": "2012-10-17", "Statement": [{"Sid": "Account"}]}
    facts = run("KMS-01", example)
    assert facts == {"policies_after_create": ["default"], "put": "OK", "policies_after_put": ["default"],
                     "get_returns_new_policy": True}
    assert differs("KMS-01", example, ("kms", "ListKeyPolicies")) is not None
    assert differs("KMS-01", example, ("kms", "GetKeyPolicy")) is not None


def test_kms02_policy_at_creation() -> None:
    example = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Account"}, {"Effect": "Allow", "Principal": {"AWS": "<<ROLE>>"}, "Action": "kms:Encrypt",
                             "Resource": "*"}]}
    facts = run("KMS-02", example)
    assert facts == {"given_policy_kept": True, "default_allows_account_decrypt": True,
                     "default_allows_account_put_key_policy": True}
    assert differs("KMS-02", example, ("kms", "GetKeyPolicy")) is not None


ROLE_ENCRYPT = {"Effect": "Allow", "Principal": {"AWS": "<<ROLE>>"}, "Action": "kms:Encrypt", "Resource": "*"}


@pytest.mark.parametrize(("example", "expected"), [
    ({"account": "admin", "statements": [ROLE_ENCRYPT], "identity": None, "call": "Encrypt", "context": {}}, "OK"),
    ({"account": "admin", "statements": [ROLE_ENCRYPT], "identity": None, "call": "GenerateDataKey",
      "context": {}}, "AccessDeniedException"),
    ({"account": "admin", "statements": [{**ROLE_ENCRYPT, "Principal": {"AWS": "<<OTHER>>"}}], "identity": None,
      "call": "Encrypt", "context": {}}, "AccessDeniedException"),
    ({"account": "all", "statements": [ROLE_ENCRYPT, {**ROLE_ENCRYPT, "Effect": "Deny"}], "identity": None,
      "call": "Encrypt", "context": {}}, "AccessDeniedException"),
    ({"account": "admin", "statements": [{**ROLE_ENCRYPT, "Condition": {"StringEquals": {
        "kms:CallerAccount": "<<ACCOUNT>>"}}}], "identity": None, "call": "Encrypt", "context": {}}, "OK"),
    ({"account": "admin", "statements": [{**ROLE_ENCRYPT, "Condition": {"StringEquals": {
        "kms:CallerAccount": "000000000000"}}}], "identity": None, "call": "Encrypt", "context": {}},
     "AccessDeniedException"),
    ({"account": "all", "statements": [ROLE_ENCRYPT],
      "identity": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
                                                            "Resource": "<<KEY_ARN>>"}]},
      "call": "Decrypt", "context": {"purpose": "test"}}, "OK"),
])
def test_kms03_key_policy_decides(example: dict[str, Any], expected: str) -> None:
    facts = dict(run("KMS-03", example))
    assert facts.pop("_feature") in ("Allow", "Deny", "conditioned Deny")  # tells findings apart, never compared
    assert facts == {"call": expected}
    flip = ("kms", example["call"])
    assert differs("KMS-03", example, flip) is not None


@pytest.mark.parametrize(("account", "allow", "expected"), [
    ("all", ["kms:Encrypt"], "OK"),
    ("admin", ["kms:Encrypt"], "AccessDeniedException"),
    ("all", ["kms:Decrypt"], "AccessDeniedException"),
])
def test_kms04_iam_needs_delegation(account: str, allow: list[str], expected: str) -> None:
    example = {"account": account, "allow": allow, "resource": "<<KEY_ARN>>", "call": "Encrypt"}
    assert run("KMS-04", example) == {"call": expected}
    assert differs("KMS-04", example, ("kms", "Encrypt")) is not None


def test_kms04_describe_key_is_delegated_by_the_admin_statement() -> None:
    example = {"account": "admin", "allow": ["kms:DescribeKey"], "resource": "*", "call": "DescribeKey"}
    assert run("KMS-04", example) == {"call": "OK"}


@pytest.mark.parametrize(("example", "expected"), [
    ({"operations": ["Decrypt", "GenerateDataKey"], "constraints": None, "call": "Decrypt", "context": {}}, "OK"),
    ({"operations": ["GenerateDataKey"], "constraints": None, "call": "Decrypt", "context": {}},
     "AccessDeniedException"),
    ({"operations": ["Decrypt"], "constraints": {"EncryptionContextSubset": {"purpose": "test"}},
      "call": "Decrypt", "context": {"purpose": "test", "team": "prod"}}, "OK"),
    ({"operations": ["Decrypt"], "constraints": {"EncryptionContextEquals": {"purpose": "test"}},
      "call": "Decrypt", "context": {"purpose": "test", "team": "prod"}}, "AccessDeniedException"),
    ({"operations": ["Decrypt"], "constraints": {"EncryptionContextSubset": {"purpose": "test"}},
      "call": "Decrypt", "context": {"purpose": "Test"}}, "AccessDeniedException"),
])
def test_kms05_grant_allows_its_operations(example: dict[str, Any], expected: str) -> None:
    assert run("KMS-05", example) == {"call": expected}
    assert differs("KMS-05", example, ("kms", "Decrypt")) is not None


def test_kms06_grant_operations_validated() -> None:
    ok = {"key": ["HMAC_256", "GENERATE_VERIFY_MAC"], "operations": ["GenerateMac", "DescribeKey"]}
    bad = {"key": ["HMAC_256", "GENERATE_VERIFY_MAC"], "operations": ["GenerateMac", "Decrypt"]}
    assert run("KMS-06", ok) == {"CreateGrant": "OK"}
    assert run("KMS-06", bad) == {"CreateGrant": "ValidationException"}
    assert differs("KMS-06", ok, ("kms", "CreateGrant")) is not None


def test_kms07_revoke() -> None:
    example = {"operations": ["Encrypt", "GenerateDataKey"], "call": "GenerateDataKey"}
    assert run("KMS-07", example) == {"before": "OK", "revoke": "OK", "after": "AccessDeniedException",
                                      "listed_after": False}
    assert differs("KMS-07", example, ("kms", "RevokeGrant")) is not None


def test_kms08_policy_update() -> None:
    example = {"operations": ["DescribeKey", "Encrypt"], "call": "Encrypt"}
    assert run("KMS-08", example) == {"before": "OK", "put": "OK", "after": "AccessDeniedException"}
    assert differs("KMS-08", example, ("kms", "PutKeyPolicy")) is not None


@pytest.mark.parametrize(("retiring", "by", "ops", "retire"), [
    ("retirer", "retirer", ["Encrypt"], "OK"),
    (None, "grantee", ["Encrypt", "RetireGrant"], "OK"),
    (None, "grantee", ["Encrypt"], "AccessDeniedException"),
    ("retirer", "other", ["Encrypt"], "AccessDeniedException"),
    # "the AWS account in which the grant was created" can retire it ("Retiring and revoking grants")
    (None, "account", ["Encrypt"], "OK"),
])
def test_kms09_retire(retiring: str | None, by: str, ops: list[str], retire: str) -> None:
    example = {"operations": ops, "call": "Encrypt", "retiring": retiring, "by": by}
    facts = dict(run("KMS-09", example))
    retired = retire == "OK"
    assert facts.pop("_feature") == ("retiring allowed" if retired else "retiring refused")  # never compared
    assert facts == {"retire": retire, "after": "AccessDeniedException" if retired else "OK",
                     "listed_after": not retired}
    assert differs("KMS-09", example, ("kms", "RetireGrant")) is not None


def test_kms10_list_grants() -> None:
    example = [["Decrypt", "Encrypt"], ["DescribeKey"]]
    facts = run("KMS-10", example)
    assert facts == {"ListGrants": "OK", "count": 2, "operations": [["Decrypt", "Encrypt"], ["DescribeKey"]],
                     "ids_match": True}
    assert differs("KMS-10", example, ("kms", "ListGrants")) is not None


@pytest.mark.parametrize("like", [True, False])
def test_kms11_via_service(like: bool) -> None:
    example = {"service": "sagemaker", "like": like, "actions": ["kms:Encrypt"], "call": "Encrypt"}
    assert run("KMS-11", example) == {"direct": "AccessDeniedException", "without_condition": "OK"}
    assert differs("KMS-11", example, ("kms", "Encrypt")) is not None


def test_kms13_grant_is_for_aws_resource() -> None:
    example = {"operations": ["Decrypt"], "grantee": "other"}
    assert run("KMS-13", example) == {"direct": "AccessDeniedException", "without_condition": "OK"}
    assert differs("KMS-13", example, ("kms", "CreateGrant")) is not None


@pytest.mark.parametrize(("operator", "key", "pattern", "context", "expected"), [
    ("ArnLike", "aws:logs:arn", "arn:aws:logs:<<REGION>>:*:*",
     {"aws:logs:arn": "arn:aws:logs:<<REGION>>:<<ACCOUNT>>:log-group:airflow-env-Task"}, "OK"),
    ("ArnLike", "aws:logs:arn", "arn:aws:logs:<<REGION>>:*:*",
     {"aws:logs:arn": "arn:aws:logs:eu-west-3:<<ACCOUNT>>:log-group:airflow-env-Task"}, "AccessDeniedException"),
    ("ArnLike", "aws:logs:arn", "arn:aws:logs:<<REGION>>:*:*", {}, "AccessDeniedException"),
    ("StringEquals", "purpose", "test", {"purpose": "Test"}, "AccessDeniedException"),
    ("StringLike", "purpose", "te*", {"purpose": "test"}, "OK"),
])
def test_kms14_encryption_context(operator: str, key: str, pattern: str, context: dict[str, str],
                                  expected: str) -> None:
    example = {"operator": operator, "key": key, "pattern": pattern, "context": context, "call": "GenerateDataKey"}
    assert run("KMS-14", example) == {"call": expected}
    assert differs("KMS-14", example, ("kms", "GenerateDataKey")) is not None


def test_kms15_symmetric_behavior() -> None:
    assert run("KMS-15", ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")) == {"GenerateDataKey": "OK"}
    assert run("KMS-15", ("HMAC_256", "GENERATE_VERIFY_MAC")) == {"GenerateDataKey": "InvalidKeyUsageException"}
    assert differs("KMS-15", ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), ("kms", "GenerateDataKey")) is not None


@pytest.mark.parametrize("call", ["Encrypt", "Decrypt", "GenerateDataKey"])
def test_kms16_disabled_key(call: str) -> None:
    facts = run("KMS-16", {"call": call})
    assert facts == {"disable": "OK", "while_disabled": "DisabledException", "describe_while_disabled": "OK",
                     "enable": "OK", "after_enable": "OK"}
    assert differs("KMS-16", {"call": call}, ("kms", "DisableKey")) is not None


@pytest.mark.parametrize(("allow", "expected"), [
    ("kms:RevokeGrant", "OK"), ("kms:Revoke*", "OK"), ("kms:RetireGrant", "AccessDeniedException"),
    (None, "AccessDeniedException"),
])
def test_kms18_revoke_needs_key_policy(allow: str | None, expected: str) -> None:
    example = {"allow": allow, "operations": ["Decrypt"]}
    assert run("KMS-18", example) == {"RevokeGrant": expected}
    assert differs("KMS-18", example, ("kms", "RevokeGrant")) is not None


def _grant(grantee: int, operations: list[str], constraint: str | None = None, retiring: bool = False
           ) -> dict[str, Any]:
    return {"step": "CreateGrant", "grantee": grantee, "operations": operations, "constraint": constraint,
            "retiring": retiring}


def _use(call: str, role: int, context: str) -> dict[str, Any]:
    return {"step": call, "role": role, "context": context}


#: A hand-written grant program and what the documentation says each step gives.
KMS19_PROGRAM: list[tuple[dict[str, Any], str]] = [
    (_use("Encrypt", 0, "none"), "AccessDeniedException"),  # no grant yet: the default key policy delegates to IAM
    (_grant(0, ["Encrypt", "RetireGrant"], "EncryptionContextSubset"), "OK"),
    (_use("Encrypt", 0, "exact"), "OK"),
    (_use("Encrypt", 0, "more"), "OK"),  # Subset: more pairs are fine
    (_use("Encrypt", 0, "none"), "AccessDeniedException"),  # the constraint is not met
    (_use("Encrypt", 1, "exact"), "AccessDeniedException"),  # the grant is for role 0 only
    (_use("GenerateDataKey", 0, "exact"), "AccessDeniedException"),  # not among its operations
    (_grant(1, ["Decrypt", "GenerateDataKey"], "EncryptionContextEquals", retiring=True), "OK"),
    (_use("Decrypt", 1, "more"), "AccessDeniedException"),  # Equals: exactly the pairs
    (_use("Decrypt", 1, "exact"), "OK"),
    ({"step": "ListGrants"}, "OK 2 grants"),
    ({"step": "RetireGrant", "grant": 1, "by": "stranger"}, "AccessDeniedException"),
    ({"step": "RetireGrant", "grant": 1, "by": "grantee"}, "AccessDeniedException"),  # lacks RetireGrant
    ({"step": "RetireGrant", "grant": 0, "by": "grantee"}, "OK"),  # lists RetireGrant
    (_use("Encrypt", 0, "exact"), "AccessDeniedException"),  # retired: nothing left
    (_use("Decrypt", 1, "exact"), "OK"),  # the other grant is untouched
    ({"step": "RevokeGrant", "grant": 1}, "OK"),
    (_use("GenerateDataKey", 1, "exact"), "AccessDeniedException"),  # revoked
    ({"step": "ListGrants"}, "OK 0 grants"),
    ({"step": "RetireGrant", "grant": 0, "by": "grantee"}, "gone"),  # already retired: no call
    (_grant(0, ["GenerateDataKey"], retiring=True), "OK"),
    (_use("GenerateDataKey", 0, "none"), "OK"),
    ({"step": "RetireGrant", "grant": 2, "by": "retiring"}, "OK"),  # role 1, its retiring principal
    (_use("GenerateDataKey", 0, "none"), "AccessDeniedException"),
    ({"step": "RevokeGrant", "grant": 5}, "skipped"),  # names a grant the program never made
]


def test_kms19_grant_program() -> None:
    program = [step for step, _ in KMS19_PROGRAM]
    assert run("KMS-19", program) == {"outcomes": [code for _, code in KMS19_PROGRAM]}
    for flip in (("kms", "RevokeGrant"), ("kms", "RetireGrant"), ("kms", "Decrypt"), ("kms", "CreateGrant"),
                 ("kms", "ListGrants")):
        assert differs("KMS-19", program, flip) is not None, flip


def test_kms19_revoke_mutant_is_caught_on_a_short_program() -> None:
    program = [_grant(0, ["Encrypt"]), {"step": "RevokeGrant", "grant": 0}, _use("Encrypt", 0, "none")]
    assert run("KMS-19", program) == {"outcomes": ["OK", "OK", "AccessDeniedException"]}
    diff = differs("KMS-19", program, ("kms", "RevokeGrant"))
    assert diff is not None and "outcomes" in diff


def test_kms19_is_a_lifecycle_rule_whose_examples_are_programs() -> None:
    behavior = the("KMS-19").behavior
    assert behavior is not None and behavior.lifecycle
    from kms_conformance.strategies.kms_scenarios import grant_programs

    assert behavior.examples is grant_programs


def _run_cli(target: str, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    import json

    from kms_conformance.cli import main

    out = tmp_path / target
    status = main(["run", "--target", target, "--rules", "KMS-19", "--profile", "ci", "--report-dir", str(out)])
    (result,) = json.loads((out / "report.json").read_text())["results"]
    return status, result


def test_kms19_run_model_conformant_moto_nonconformant(tmp_path: Path) -> None:
    """``kms-conformance run --rules KMS-19 --profile ci``: the model is conformant; moto, which
    enforces neither key policies nor grants, is nonconformant with a one- or two-step program."""
    status, result = _run_cli("model", tmp_path)
    assert (status, result["verdict"]) == (0, "conformant") and result["examples"] >= 1
    status, result = _run_cli("moto", tmp_path)
    assert (status, result["verdict"]) == (1, "nonconformant")
    program = result["counterexample"]
    assert 1 <= len(program) <= 2
    assert result["expected"] != result["observed"]


def test_kms19_moto_lets_a_stranger_retire_a_grant() -> None:
    """The lifecycle divergence behind the shortest one: on moto anybody may retire a grant."""
    from kms_conformance.targets import TargetConfig, make_target

    program = [_grant(0, ["Encrypt"]), {"step": "RetireGrant", "grant": 0, "by": "stranger"}, {"step": "ListGrants"}]
    moto = make_target(TargetConfig(name="moto"))
    try:
        observed = run("KMS-19", program, moto)
    finally:
        moto.close()
    expected = run("KMS-19", program)
    assert expected == {"outcomes": ["OK", "AccessDeniedException", "OK 1 grants"]}
    # moto 5.2.5 answers {"outcomes": ["OK", "OK", "OK 0 grants"]}: its RetireGrant checks nobody
    behavior = the("KMS-19").behavior
    assert behavior is not None and behavior.compare(expected, observed) is not None


@FAST
@given(st.data())
def test_every_scenario_runs_on_the_model(data: st.DataObject) -> None:
    """Generated examples of every behaviour rule run on the model without a kit error, and
    return JSON-like facts."""
    target = model()
    for r in kms_rules().values():
        if r.behavior is None:
            continue
        facts = r.behavior.scenario(target, data.draw(r.behavior.examples(), label=r.id))
        assert facts and all(isinstance(v, str | bool | int | list) for v in facts.values()), r.id


# --- config rules --------------------------------------------------------------------------------


def test_kms06_config() -> None:
    grant = {"KeyId": KEY_ARN, "GranteePrincipal": ROLE, "Operations": ["Decrypt", "GenerateDataKey"]}
    assert check("KMS-06", setup([key()], [grant])) == []
    bad = setup([key()], [{**grant, "Operations": ["Decrypt", "Sign"]}])
    reasons = check("KMS-06", bad)
    assert reasons and "grants[0]" in reasons[0] and "Sign" in reasons[0] and "ValidationException" in reasons[0]
    assert check("KMS-06", setup([key()])) is None  # no grant: not applicable


def test_kms12_config() -> None:
    ok = setup([key(policy(ROOT_STMT, FORECAST_STMT))])
    assert check("KMS-12", ok) == []
    like = copy.deepcopy(FORECAST_STMT)
    like["Condition"] = {"StringLike": {"kms:ViaService": "sagemaker.*.amazonaws.com"}}
    assert check("KMS-12", setup([key(policy(ROOT_STMT, like))])) == []
    verbatim = copy.deepcopy(FORECAST_STMT)
    verbatim["Condition"]["StringEquals"]["kms:ViaService"] = "forecast.region.amazonaws.com"
    reasons = check("KMS-12", setup([key(policy(ROOT_STMT, verbatim))]))
    assert reasons and "forecast.region.amazonaws.com" in reasons[0] and "Statement[1]" in reasons[0]
    other = copy.deepcopy(FORECAST_STMT)
    other["Condition"]["StringEquals"]["kms:ViaService"] = "forecast.eu-west-1.amazonaws.com"
    assert check("KMS-12", setup([key(policy(ROOT_STMT, other))]))
    assert check("KMS-12", setup([key(policy(ROOT_STMT))])) is None


def test_kms15_config() -> None:
    assert check("KMS-15", setup([key()])) == []
    reasons = check("KMS-15", setup([key(keySpec="RSA_2048", keyUsage="SIGN_VERIFY")]))
    assert reasons and "RSA_2048" in reasons[0] and KEY_ARN in reasons[0]
    assert check("KMS-15", setup()) is None


def test_kms16_config() -> None:
    assert check("KMS-16", setup([key()])) == []
    reasons = check("KMS-16", setup([key(keyState="Disabled")]))
    assert reasons and "Disabled" in reasons[0] and "DisabledException" in reasons[0]
    reasons = check("KMS-16", setup([key(keyState="PendingDeletion")]))
    assert reasons and "KMSInvalidStateException" in reasons[0]


def test_kms17_config() -> None:
    assert check("KMS-17", setup([key()])) == []  # the default key policy
    assert check("KMS-17", setup([key(policy(ROOT_STMT, FORECAST_STMT))])) == []
    admin_role = f"arn:aws:iam::{ACCOUNT}:role/featurestore-admin"
    named = {"Effect": "Allow", "Principal": {"AWS": admin_role}, "Action": "kms:*", "Resource": "*"}
    assert check("KMS-17", setup([key(policy(named, FORECAST_STMT))])) == []
    reasons = check("KMS-17", setup([key(policy(FORECAST_STMT))]))
    assert reasons and "kms:PutKeyPolicy" in reasons[0] and ACCOUNT in reasons[0]


def test_kms18_config() -> None:
    assert check("KMS-18", setup([key(policy(ROOT_STMT))])) == []
    admin: dict[str, Any] = {
             "Sid": "Allow administrators to view the customer managed key and revoke grants", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/featurestore-admin"},
             "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"], "Resource": "*"}
    assert check("KMS-18", setup([key(policy(admin, FORECAST_STMT))])) == []
    no_revoke = {**ROOT_STMT, "Action": ["kms:Describe*", "kms:PutKeyPolicy"]}
    reasons = check("KMS-18", setup([key(policy(no_revoke, FORECAST_STMT))]))
    assert reasons and "kms:RevokeGrant" in reasons[0]
    # an identity policy alone gives nothing the key policy's account statement does not delegate
    read = {**ROOT_STMT, "Action": "kms:Describe*"}
    role_stmt = {**admin, "Action": "kms:Describe*"}
    ident = {admin["Principal"]["AWS"]: [policy({"Effect": "Allow", "Action": "kms:RevokeGrant", "Resource": "*"})]}
    assert check("KMS-18", setup([key(policy(read, role_stmt))], identity=ident))


# --- the kms ServiceSpec: compliant setups hold, every mutation breaks exactly its rule ---------


def config_rules() -> dict[str, Rule]:
    return {rid: r for rid, r in kms_rules().items() if r.check is not None}


def verdicts(raw: dict[str, Any]) -> dict[str, list[str] | None]:
    s = parse_setup(raw)
    return {rid: check(rid, s) for rid in config_rules()}


@FAST
@given(st.data())
def test_compliant_setups_hold_every_kms_rule(data: st.DataObject) -> None:
    spec = rules_module.services()["kms"]
    raw = data.draw(spec.compliant())
    found = verdicts(raw)
    assert all(v == [] for v in found.values()), found  # every rule applies and holds
    assert spec.parse_request(parse_setup(raw)) is None


def test_every_config_rule_has_a_mutator() -> None:
    spec = rules_module.services()["kms"]
    assert set(spec.mutators) == set(config_rules())


@pytest.mark.parametrize("rule_id", ["KMS-06", "KMS-12", "KMS-15", "KMS-16", "KMS-17", "KMS-18"])
@FAST
@given(data=st.data())
def test_mutation_breaks_exactly_its_rule(rule_id: str, data: st.DataObject) -> None:
    spec = rules_module.services()["kms"]
    raw = data.draw(spec.compliant(), label="compliant")
    mutated = data.draw(spec.mutators[rule_id](raw), label="mutated")
    found = verdicts(mutated)
    assert found[rule_id], f"{rule_id} did not catch its mutation"
    others = {rid: v for rid, v in found.items() if rid != rule_id and v}
    assert not others, f"mutation for {rule_id} also broke {others}"
    assert verdicts(raw)[rule_id] == []  # the mutator did not change its input


# --- citations: every quote of the audited rules stands in the page it names --------------------------


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _audited() -> list[Rule]:
    return [r for r in rules_module.catalogue() if r.service in ("kms", "opensearch-serverless", "mwaa")]


def test_quotes_are_verbatim_in_their_page() -> None:
    """Principle 1 (DESIGN.md): each quote, split at "...", occurs word for word (white space
    normalised) in the page the rule cites, and so does its section heading."""
    wrong = []
    for r in _audited():
        page = _normalised((pages() / r.citation.doc).read_text(encoding="utf-8"))
        parts = [_normalised(p) for p in r.citation.quote.split("...") if _normalised(p)]
        wrong += [f"{r.id}: {p!r}" for p in parts if p not in page]
        if _normalised(r.citation.section) not in page:
            wrong.append(f"{r.id}: section {r.citation.section!r}")
    assert wrong == []


def test_kms_rules_are_filed_under_the_kms_group() -> None:
    """The KMS rules all pages share are the ``kms`` group (``--doc kms``), each citing a page of it;
    KMS-16 names the developer guide page its key-state behaviour comes from; rules whose page names no
    error say so (``inferred``) in ``rules --json``."""
    from kms_conformance.documents import EXTERNAL, GROUPS
    from kms_conformance.rules import catalogue, select

    rules = catalogue()
    kms_rules = [r for r in rules if r.service == "kms"]
    assert kms_rules and all(r.group == "kms" and r.doc in GROUPS["kms"] for r in kms_rules)
    assert select(rules, docs=["kms"]) == tuple(kms_rules)
    key_states = next(r for r in rules if r.id == "KMS-16")
    assert key_states.summary()["source"] == dict(zip(("title", "url"), EXTERNAL["kms-key-states"], strict=True))
    inferred = {r.id for r in rules if r.summary()["inferred"] == "error code"}
    assert {"FS-03", "AOSS-11", "AOSS-14", "MWAA-07", "MWAA-08"} <= inferred


def test_inferred_error_code_accepts_any_refusal() -> None:
    from kms_conformance.rules import catalogue

    compare = next(r for r in catalogue() if r.id == "AOSS-14").behavior.compare  # type: ignore[union-attr]
    assert compare({"c": "AccessDeniedException"}, {"c": "ValidationException"}) is None
    assert compare({"c": "AccessDeniedException"}, {"c": "OK"}) is not None
    assert compare({"c": "AccessDeniedException"}, {"c": "InternalServerException"}) is not None
