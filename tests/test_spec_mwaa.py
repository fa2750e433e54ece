"""Tests of the Amazon MWAA specification (page 003): every rule passes a compliant example and fails a
mutated one; behaviour scenarios give the documented facts on the reference model and are found
nonconformant on a mutant target; the worked example setups give their verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kms_conformance.errors import InputError
from kms_conformance.models import mwaa as M
from kms_conformance.rules import catalogue
from kms_conformance.setup import load_setup, parse_setup
from kms_conformance.strategies.mwaa import MUTATORS
from kms_conformance.targets.model import ModelTarget
from spec_support import (
    check_behaviour_on_model_and_mutant,
    config_reasons,
    example_setup,
    example_verdicts,
    holds,
    late_failure,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "mwaa"
RULES = {r.id: r for r in catalogue() if r.service == "mwaa"}
KMS_CONFIG = [r for r in catalogue() if r.service == "kms" and r.check is not None]


def test_grant_operations_expand_the_page_wildcards() -> None:
    by_prefix = {g.prefix: g.operations for g in M.GRANTS}
    base = ("Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
            "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo")
    assert by_prefix["mwaa-grant-for-env-mgmt-role-"] == tuple(sorted((*base, "CreateGrant", "DescribeKey",
                                                                       "RetireGrant")))
    assert by_prefix["mwaa-grant-for-lambda-exec-"] == tuple(sorted((*base, "DescribeKey", "RetireGrant")))
    assert by_prefix["mwaa-grant-for-cfn-mgmt-"] == tuple(sorted((*base, "DescribeKey")))
    assert by_prefix["mwaa-fargate-access-for-"] == tuple(sorted((*base, "DescribeKey", "RetireGrant")))
    assert all(" " not in g.prefix for g in M.GRANTS)  # the page's leading space is a defect


@pytest.mark.parametrize("value,form", [
    ("1234abcd-12ab-34cd-56ef-1234567890ab", "id"),
    ("arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "arn"),
    ("alias/mwaa", "alias"),
    ("arn:aws:kms:us-west-2:111122223333:alias/mwaa", "alias-arn"),
    ("not a key", "invalid"),
])


def test_classify_kms_key(value: str, form: str) -> None:
    assert M.classify_kms_key(value).form == form


# --- config rules --------------------------------------------------------------------------------------


def _compliant() -> dict[str, Any]:
    return example_setup(EXAMPLES)


def _reasons(rid: str, raw: dict[str, Any]) -> list[str]:
    return config_reasons(RULES[rid], raw)


def test_mwaa04_cross_account_key_needs_its_arn() -> None:
    raw = _compliant()
    other = raw["keys"][0]["arn"].replace("111122223333", "444455556666")
    raw["keys"][0]["arn"] = other
    raw["request"]["CreateEnvironment"]["KmsKey"] = other
    assert _reasons("MWAA-04", raw) == []
    raw["request"]["CreateEnvironment"]["KmsKey"] = other.rsplit("/", 1)[1]
    reasons = _reasons("MWAA-04", raw)
    assert len(reasons) == 1 and "444455556666" in reasons[0] and "key ARN" in reasons[0]


def test_mwaa07_reason_names_the_missing_action() -> None:
    raw = _compliant()
    assert _reasons("MWAA-07", raw) == []
    raw["keys"][0]["policy"]["Statement"][1]["Action"] = ["kms:DescribeKey"]
    reasons = _reasons("MWAA-07", raw)
    assert reasons and all("kms:CreateGrant" in r and "airflow.us-west-2.amazonaws.com" in r for r in reasons)


def test_mwaa08_checks_each_enabled_log_group() -> None:
    raw = _compliant()
    assert _reasons("MWAA-08", raw) == []
    stmt = raw["keys"][0]["policy"]["Statement"][2]
    stmt["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] = "arn:aws:logs:us-east-1:111122223333:*"
    reasons = _reasons("MWAA-08", raw)
    assert any("airflow-MyMWAAEnvironment-Task" in r for r in reasons)
    assert any("airflow-MyMWAAEnvironment-Scheduler" in r for r in reasons)
    assert all(r.startswith("logs.us-west-2.amazonaws.com calling kms:") for r in reasons)


def test_mwaa08_page_sample_account_wildcard_is_accepted() -> None:
    raw = _compliant()  # the page's own sample: arn:aws:logs:<region>:*:*
    raw["keys"][0]["policy"]["Statement"][2]["Condition"]["ArnLike"][
        "kms:EncryptionContext:aws:logs:arn"] = "arn:aws:logs:us-west-2:*:*"
    assert _reasons("MWAA-08", raw) == []


@pytest.mark.parametrize("member,value,path", [
    ("Name", "1bad", "request.CreateEnvironment.Name"),
    ("ExecutionRoleArn", None, "request.CreateEnvironment.ExecutionRoleArn"),
    ("KmsKey", "not a key", "request.CreateEnvironment.KmsKey"),
    ("NetworkConfiguration", None, "request.CreateEnvironment.NetworkConfiguration"),
    ("LoggingConfiguration", {"AuditLogs": {"Enabled": True}},
     "request.CreateEnvironment.LoggingConfiguration.AuditLogs"),
])


def test_parse_request_errors_name_the_path(member: str, value: Any, path: str) -> None:
    raw = _compliant()
    if value is None:
        del raw["request"]["CreateEnvironment"][member]
    else:
        raw["request"]["CreateEnvironment"][member] = value
    with pytest.raises(InputError) as exc:
        M.parse_request(parse_setup(raw, source="env.json"))
    assert exc.value.path == path and exc.value.source == "env.json"


@pytest.mark.parametrize("member,value", [
    ("ExecutionRoleArn", "arn:aws:iam::111122223333:user/MwaaExecutionRole"),
    ("ExecutionRoleArn", "arn:aws:iam::1111:role/MwaaExecutionRole"),
    ("ExecutionRoleArn", "arn:aws:iam::111122223333:role/" + "r" * 65),
    ("SourceBucketArn", "arn:aws:s3:::my-airflow-dags-"),
    ("SourceBucketArn", "arn:aws:s3:us-west-2::my-airflow-dags"),
    ("KmsKey", "arn:aws:kms:us-west-2:111122223333:key/not-a-key-id"),
])


def test_parse_request_refuses_malformed_arns(member: str, value: str) -> None:
    raw = _compliant()
    raw["request"]["CreateEnvironment"][member] = value
    with pytest.raises(InputError) as exc:
        M.parse_request(parse_setup(raw, source="env.json"))
    assert exc.value.path == f"request.CreateEnvironment.{member}"


@pytest.mark.parametrize("member,value", [
    ("ExecutionRoleArn", "arn:aws:iam::111122223333:role/MwaaExecutionRole"),
    ("ExecutionRoleArn", "arn:aws-cn:iam::111122223333:role/service-role/a/b/R+=,.@_-"),
    ("SourceBucketArn", "arn:aws:s3:::a.b-1"),
    ("KmsKey", "mrk-1234abcd12ab34cd56ef1234567890ab"),
    ("KmsKey", "arn:aws:kms:us-west-2:111122223333:alias/mwaa/env"),
])


def test_parse_request_accepts_well_formed_arns(member: str, value: str) -> None:
    raw = _compliant()
    raw["request"]["CreateEnvironment"][member] = value
    req = M.parse_request(parse_setup(raw, source="env.json"))
    assert (req.execution_role if member == "ExecutionRoleArn" else value) == value


# --- the worked examples --------------------------------------------------------------------------------


def _verdicts(path: Path) -> dict[str, list[str]]:
    return example_verdicts(path, RULES, M.parse_request)


def test_example_setup_is_compliant() -> None:
    setup = load_setup(EXAMPLES / "setup.json")
    verdicts = _verdicts(EXAMPLES / "setup.json")
    assert all(v == [] for v in verdicts.values()), verdicts
    assert all(holds(r, setup) == [] for r in KMS_CONFIG)
    applicable = {rid for rid, r in RULES.items() if r.check is not None and (r.applies is None or r.applies(setup))}
    assert applicable == set(MUTATORS)


def test_mwaa_01_bucket_region() -> None:
    """"... Amazon S3 버킷과 동일한 리전에 생성해야 합니다": the key must be in the source bucket's Region,
    where the setup's ``buckets`` says which it is; without it the bucket half is not judged."""
    raw = _compliant()
    check = RULES["MWAA-01"].check
    assert check is not None
    assert check(parse_setup(raw)) == []
    raw["buckets"][0]["region"] = "eu-central-1"
    got = check(parse_setup(raw))
    assert len(got) == 1 and got[0].startswith("request.CreateEnvironment.SourceBucketArn: bucket "
                                               "arn:aws:s3:::my-airflow-dags is in eu-central-1")
    del raw["buckets"]
    assert check(parse_setup(raw)) == []
    with pytest.raises(InputError) as err:
        parse_setup({**_compliant(), "buckets": [{"arn": "my-airflow-dags", "region": "us-west-2"}]})
    assert err.value.path == "buckets[0].arn"


@pytest.mark.parametrize("name,broken", [
    ("broken-alias.json", {"MWAA-02"}),
    ("broken-no-logs-statement.json", {"MWAA-08"}),
    ("broken-other-region.json", {"MWAA-01"}),
    ("broken-bucket-region.json", {"MWAA-01"}),
])


def test_broken_examples_break_their_rule(name: str, broken: set[str]) -> None:
    verdicts = _verdicts(EXAMPLES / name)
    assert {rid for rid, reasons in verdicts.items() if reasons} == broken


# --- behaviour rules ----------------------------------------------------------------------------------


def _ex(**kw: Any) -> dict[str, Any]:
    return {"stem": "Ab", **kw}


EXPECTED_GRANTS = sorted(
    ({"name": g.prefix + "<ENV>", "grantee": True, "retiring": True, "page_operations": True,
      "only_expansion": True} for g in M.GRANTS), key=lambda f: str(f["name"]))

#: (rule, example, expected facts (subset), (service, operation) the mutant flips)
BEHAVIOUR = [
    ("MWAA-01", _ex(other_region=None), {"CreateEnvironment": "OK"}, ("mwaa", "CreateEnvironment")),
    ("MWAA-01", _ex(other_region="eu-central-1"), {"CreateEnvironment": "fails"},
     ("mwaa", "CreateEnvironment")),
    ("MWAA-02", _ex(form="id"), {"CreateEnvironment": "OK"}, ("mwaa", "CreateEnvironment")),
    ("MWAA-02", _ex(form="arn"), {"CreateEnvironment": "OK"}, ("mwaa", "CreateEnvironment")),
    ("MWAA-02", _ex(form="alias"), {"CreateEnvironment": "fails"}, ("mwaa", "CreateEnvironment")),
    ("MWAA-02", _ex(form="alias-arn"), {"CreateEnvironment": "fails"}, ("mwaa", "CreateEnvironment")),
    ("MWAA-03", _ex(multi_region=True), {"CreateEnvironment": "fails"}, ("mwaa", "CreateEnvironment")),
    ("MWAA-03", _ex(multi_region=False), {"CreateEnvironment": "OK"}, ("mwaa", "CreateEnvironment")),
    ("MWAA-05", _ex(), {"CreateEnvironment": "OK", "ListGrants": "OK", "grants": EXPECTED_GRANTS},
     ("kms", "ListGrants")),
    ("MWAA-06", _ex(), {"grants_before": 4, "DeleteEnvironment": "OK", "grants_after": 0},
     ("mwaa", "DeleteEnvironment")),
    ("MWAA-07", _ex(grant_action=True, other_region=None), {"CreateEnvironment": "OK"},
     ("mwaa", "CreateEnvironment")),
    ("MWAA-07", _ex(grant_action=False, other_region=None), {"CreateEnvironment": "fails"},
     ("mwaa", "CreateEnvironment")),
    ("MWAA-07", _ex(grant_action=True, other_region="ap-south-1"), {"CreateEnvironment": "fails"},
     ("mwaa", "CreateEnvironment")),
    ("MWAA-08", _ex(statement="present", other_region="eu-west-2"), {"CreateEnvironment": "OK"},
     ("mwaa", "GetEnvironment")),
    ("MWAA-08", _ex(statement="absent", other_region="eu-west-2"), {"CreateEnvironment": "fails"},
     ("mwaa", "GetEnvironment")),
    ("MWAA-08", _ex(statement="other-region", other_region="eu-west-2"), {"CreateEnvironment": "fails"},
     ("mwaa", "GetEnvironment")),
]


@pytest.fixture(scope="module")
def model() -> ModelTarget:
    return ModelTarget()


@pytest.fixture(autouse=True)
def _no_poll_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference model answers a final status at once; a mutant whose GetEnvironment fails is polled
    without waiting between polls (the number of polls is what decides ``unknown``, not the time)."""
    monkeypatch.setattr("kms_conformance.scenarios.steps.POLL_SECONDS", 0.0)


@pytest.mark.parametrize("rid,example,expected,flip", BEHAVIOUR, ids=[f"{b[0]}-{i}" for i, b in enumerate(BEHAVIOUR)])
def test_behaviour_on_model_and_mutant(model: ModelTarget, rid: str, example: dict[str, Any],
                                       expected: dict[str, Any], flip: tuple[str, str]) -> None:
    check_behaviour_on_model_and_mutant(RULES[rid].behavior, model, example, expected, flip)


#: Behaviour examples whose page says the environment cannot be made with the key as it stands.
FAILING_CREATES = [
    ("MWAA-07", _ex(grant_action=False, other_region=None)),
    ("MWAA-07", _ex(grant_action=True, other_region="ap-south-1")),
    ("MWAA-08", _ex(statement="absent", other_region="eu-west-2")),
    ("MWAA-08", _ex(statement="other-region", other_region="eu-west-2")),
]


@pytest.mark.parametrize(("rid", "example"), FAILING_CREATES,
                         ids=[f"{f[0]}-{i}" for i, f in enumerate(FAILING_CREATES)])
def test_accepted_then_failed_environment_is_a_failure(rid: str, example: dict[str, Any]) -> None:
    """CreateEnvironment refused, or accepted and ended CREATE_FAILED: both are "the operation fails",
    so the model that accepts then fails is conformant; a target that accepts and then reports the
    environment AVAILABLE where the page says it cannot work is not."""
    expected, late, liar = late_failure(rid, example)
    assert expected == {"CreateEnvironment": "fails"}
    assert late is None
    assert liar is not None and "'OK'" in liar


def test_accept_then_fail_model_shows_create_failed() -> None:
    """With ``accept_then_fail`` a caller without kms:CreateGrant has its CreateEnvironment accepted; the
    environment ends CREATE_FAILED with the reason in LastUpdate.Error and leaves no grant on the key."""
    from kms_conformance.models.mwaa import caller_key_statement, logs_statement
    from kms_conformance.scenarios import steps
    from kms_conformance.scenarios.mwaa import create_environment, environment_params, new_environment

    late = ModelTarget(accept_then_fail=True)
    name, role = new_environment(late, "Late")
    policy = steps.default_key_policy(late.account)
    user = steps.new_role(late, "mwaa-user", inline_policies={"mwaa": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["airflow:*", "iam:PassRole"], "Resource": "*"}]}})
    policy["Statement"] += [caller_key_statement(user, late.region, ("kms:DescribeKey",)),
                            logs_statement(late.region, late.account)]
    key = steps.new_key(late, policy)["Arn"]
    assert create_environment(late, environment_params(name, key, role), principal=user).ok
    env = late.call("mwaa", "GetEnvironment", {"Name": name}).value["Environment"]
    assert env["Status"] == "CREATE_FAILED" and "CreateGrant" in env["LastUpdate"]["Error"]["ErrorMessage"]
    assert late.call("kms", "ListGrants", {"KeyId": key}).value["Grants"] == []


def test_every_behaviour_rule_is_exercised() -> None:
    assert {rid for rid, r in RULES.items() if r.behavior is not None} == {b[0] for b in BEHAVIOUR}


class _ListedGrants:
    """A target whose ListGrants shows the given grants (the other members are never read)."""

    region = "us-east-1"

    def __init__(self, grants: list[dict[str, Any]]) -> None:
        self.grants = grants

    def call(self, service: str, operation: str, params: Any = None, *, principal: str | None = None) -> Any:
        from kms_conformance.targets.base import Outcome

        assert (service, operation) == ("kms", "ListGrants")
        return Outcome(ok=True, value={"Grants": self.grants})


def _grant(spec: Any, operations: list[str]) -> dict[str, Any]:
    return {"Name": spec.prefix + "env1", "GranteePrincipal": "airflow.us-east-1.amazonaws.com",
            "RetiringPrincipal": "airflow.us-east-1.amazonaws.com", "Operations": operations}


@pytest.mark.parametrize(("change", "present", "inside"), [
    (lambda ops: ops, True, True),
    # one name of each wildcard family is enough (the page's wildcards leave the names open)
    (lambda ops: [o for o in ops if o not in ("GenerateDataKeyWithoutPlaintext", "ReEncryptTo")], True, True),
    (lambda ops: [o for o in ops if o != "DescribeKey"], False, True),
    (lambda ops: [o for o in ops if not o.startswith("GenerateDataKey")], False, True),
    (lambda ops: [*ops, "Sign"], True, False),
])


def test_mwaa05_page_operations_present_and_nothing_outside(change: Any, present: bool, inside: bool) -> None:
    from kms_conformance.scenarios.mwaa import page_grant_facts

    spec = M.GRANTS[0]
    code, facts = page_grant_facts(_ListedGrants([_grant(spec, change(list(spec.operations)))]),  # type: ignore[arg-type]
                                   "key", "env1")
    assert code == "OK" and facts == [{"name": spec.prefix + "<ENV>", "grantee": True, "retiring": True,
                                       "page_operations": present, "only_expansion": inside}]
